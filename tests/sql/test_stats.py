"""lmm_stats_sql and lmm_fit_stats (issue 19): a model's statistics computed by SQL where the rows live
(here the sqlite dialect against the local table), stored as <prefix>_center and <prefix>_groups, and the
fit from them equals lmm_fit's on the rows: logLik within 1e-9 relative, every fixed estimate within 1e-6 of its standard error,
standard errors and variance parameters within 1e-6 relative.

Every reference case of tests/reference qualifies (lm, gls without structures, nested, crossed, random
slopes) unless it has a residual structure (weights=, correlation=), an offset, a basis learned
from the data (poly, ns, bs, scale) or a factor of an expression: those are refused with the reason, and
the refusal is checked here too.  nlme-style cases are fitted with df=satterthwaite on both sides
(containment's df needs the rows)."""
import glob
import json
import os
import sqlite3

from harness import ROOT

REFUSALS = ("statistics do not carry", "not carried by the statistics", "need the rows at every evaluation",
            "needs the rows", "has no SQL form",
            "write the columns out")


def stats_tables(db, prefix, data, formula, random, options, dialect="sqlite"):
    """Runs lmm_stats_sql's queries against data and stores each result as <prefix>_<name>; returns the
    queries."""
    queries = db.execute("SELECT name, sql FROM lmm_stats_sql(?, ?, ?, ?, ?)",
                         (data, formula, random, options, dialect)).fetchall()
    for name, sql in queries:
        db.execute('DROP TABLE IF EXISTS "%s_%s"' % (prefix, name))
        db.execute('CREATE TABLE "%s_%s" AS %s' % (prefix, name, sql))
    return queries


def rows_of(db, sql, params):
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def compare(t, local, remote, what, se_tol=1e-6, ll_tol=1e-9):
    """remote (lmm_fit_stats's rows) against local (lmm_fit's)."""
    key = lambda r: (r["effect"], r["grp"], r["term"])
    lf, rf = {key(r): r for r in local}, {key(r): r for r in remote}
    t.ok(set(rf) == set(lf), "%s: rows %s vs %s" % (what, sorted(set(rf) ^ set(lf), key=str), ""))
    ll = lf[("fit", None, "logLik")]["estimate"]
    t.close(None, rf[("fit", None, "logLik")]["estimate"], ll, ll_tol, what + " logLik")
    t.ok(rf[("fit", None, "nobs")]["estimate"] == lf[("fit", None, "nobs")]["estimate"], what + " nobs")
    # R² takes its variances over the rows, which statistics do not carry: NULL (up to 4,096 rows they were once
    # taken over the padding rows of the groups: sleepstudy's r2_marginal 0.0 for lmm_fit's 0.279)
    r2 = [(k[2], r["estimate"]) for k, r in rf.items() if k[2] in ("r2_marginal", "r2_conditional", "r_squared")]
    t.ok(all(v is None for _, v in r2), "%s: R² from statistics %r" % (what, r2))
    for k, r in lf.items():
        if k not in rf:
            continue
        if k[0] == "fixed":
            t.absclose(rf[k]["estimate"], r["estimate"], se_tol * r["std_error"], "%s %s estimate" % (what, k[2]))
            t.close(None, rf[k]["std_error"], r["std_error"], 1e-5, "%s %s std_error" % (what, k[2]))
        elif k[0] == "ran_pars" and k[2].startswith("sd__"):   # flat directions of the likelihood: 1e-4
            sigma = lf[("fit", None, "sigma")]["estimate"]
            t.absclose(rf[k]["estimate"], r["estimate"], max(1e-4 * abs(r["estimate"]), 1e-6 * sigma),
                       "%s %s %s" % (what, k[1], k[2]))


# Two fixed-effect columns that differ by 1e-5 of their spread (condition number about 5e5): sums of products
# square it, so the Gram of the statistics loses digits that the local QR of the rows keeps.  Held, by name, to
# what the statistics reach: estimates within 2e-5 of their SE (8.5e-6 measured), logLik within 1e-8 (3.4e-9).
NEAR_COLLINEAR = {"robust_near_collinear": (2e-5, 1e-8)}


def qualifying_cases():
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "reference", "*.json"))):
        with open(path) as f:
            ref = json.load(f)
        if "case" not in ref or "sql" not in ref or ref.get("aliased"):
            continue
        yield os.path.basename(path)[:-5], ref


def run(t, db):
    fitted = refused = 0
    for name, ref in qualifying_cases():
        sql = ref["sql"]
        data, formula, random, options = sql["data"], sql["formula"], sql.get("random"), sql.get("options")
        if random:   # nlme's containment df need the rows; the fit is the same with Satterthwaite's
            options = (options + ", " if options else "") + "df=satterthwaite"
        try:
            local = rows_of(db, "SELECT * FROM lmm_fit(?, ?, ?, ?)", (data, formula, random, options))
        except sqlite3.Error:
            continue   # test_reference checks what lmm_fit refuses
        try:
            stats_tables(db, "st", data, formula, random, options)
            remote = rows_of(db, "SELECT * FROM lmm_fit_stats('st', ?, ?, ?)", (formula, random, options))
        except sqlite3.Error as e:
            if t.ok(any(r in str(e) for r in REFUSALS), "%s: %s" % (name, e)):
                refused += 1
            continue
        compare(t, local, remote, name, *NEAR_COLLINEAR.get(name, ()))
        fitted += 1
    print("stats: %d reference cases fitted from statistics, %d refused" % (fitted, refused))
    t.ok(fitted >= 50, "only %d reference cases fitted from statistics" % fitted)
    db.execute('DROP TABLE IF EXISTS "st_groups"')
    db.execute('DROP TABLE IF EXISTS "st_center"')
    check_saved(t, db)
    check_errors(t, db)
    check_dialects(t, db)


FORMULA = "Reaction ~ Days + (Days | Subject)"


def check_saved(t, db):
    """A saved fit from statistics: lmm_ranef, lmm_predict on local new rows and lmm_anova as the local fit's."""
    stats_tables(db, "sst", "sleepstudy", FORMULA, None, None)
    db.execute("SELECT * FROM lmm_fit_stats('sst', ?, NULL, 'save=st_m1')", (FORMULA,)).fetchall()
    db.execute("SELECT * FROM lmm_fit_stats('sst', 'Reaction ~ Days + (1 | Subject)', NULL, 'save=st_m0')").fetchall()
    db.execute("SELECT * FROM lmm_fit('sleepstudy', ?, NULL, 'save=st_l1')", (FORMULA,)).fetchall()
    db.execute("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1 | Subject)', NULL, 'save=st_l0')").fetchall()
    a = db.execute("SELECT grp, level, term, estimate, cond_sd FROM lmm_ranef('st_m1')").fetchall()
    b = db.execute("SELECT grp, level, term, estimate, cond_sd FROM lmm_ranef('st_l1')").fetchall()
    t.ok(len(a) == len(b) == 36, "ranef rows %d vs %d" % (len(a), len(b)))
    for x, y in zip(a, b):
        t.ok(x[:3] == y[:3], "ranef %r vs %r" % (x[:3], y[:3]))
        t.absclose(x[3], y[3], 1e-6 * y[4], "ranef %s %s" % (x[1], x[2]))
        t.close(None, x[4], y[4], 1e-6, "ranef sd %s %s" % (x[1], x[2]))
    a = db.execute("SELECT * FROM lmm_predict('st_m1', 'sleepstudy_new')").fetchall()
    b = db.execute("SELECT * FROM lmm_predict('st_l1', 'sleepstudy_new')").fetchall()
    t.ok(len(a) == len(b) > 0, "predict rows %d vs %d" % (len(a), len(b)))
    for x, y in zip(a, b):
        t.close(None, x[-1], y[-1], 1e-8, "predict row %r" % (x[0],))
    a = db.execute("SELECT * FROM lmm_anova('st_m0, st_m1')").fetchall()
    b = db.execute("SELECT * FROM lmm_anova('st_l0, st_l1')").fetchall()
    t.ok(len(a) == len(b) == 2, "anova rows")
    t.close(None, a[1][6], b[1][6], 1e-6, "anova chisq")
    t.close(None, a[1][4], b[1][4], 1e-9, "anova logLik")
    for m in ("st_m1", "st_m0", "st_l1", "st_l0"):
        db.execute("DELETE FROM lmm_models WHERE name = ?", (m,))
    db.execute('DROP TABLE "sst_groups"')
    db.execute('DROP TABLE "sst_center"')


def saved(db, name):
    try:
        return db.execute("SELECT count(*) FROM lmm_models WHERE name = ?", (name,)).fetchone()[0]
    except sqlite3.Error:
        return 0


def check_errors(t, db):
    """Statistics that do not match the model: a clear error, nothing saved."""
    fs = "SELECT * FROM lmm_fit_stats(?, ?, NULL, 'save=st_bad')"
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    t.error(db, fs, ("nosuch", FORMULA), ["no statistics table 'nosuch_groups'", "lmm_stats_sql"], "no table")
    # another model's statistics: a sum it lacks, or more sums than it has
    t.error(db, fs, ("sse", "Reaction ~ Days + I(Days^2) + (Days | Subject)"), ["sse_center", "no number in a column 'c_3'"],
            "stats of a smaller model")
    t.error(db, fs, ("sse", "Reaction ~ 1 + (1 | Subject)"), ["sse_groups", "more sums than the model has"],
            "stats of a larger model")
    t.error(db, fs, ("sse", "Reaction ~ Days + (Days | Days2)"), ["no column 'Days2'", "a key of the model"],
            "a key missing")
    # a level missing: its group deleted, the rows no longer add up to the first pass's
    db.execute("DELETE FROM sse_groups WHERE Subject = (SELECT min(Subject) FROM sse_groups)")
    t.error(db, fs, ("sse", FORMULA), ["hold 170 rows but the data had 180", "groups are missing"], "a level missing")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_groups SET s_1_1 = NULL WHERE rowid = 1")
    t.error(db, fs, ("sse", FORMULA), ["sse_groups", "a sum is NULL"], "a NULL sum")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_groups SET s_1_1 = 1e308 * 10 WHERE rowid = 1")
    t.error(db, fs, ("sse", FORMULA), ["not a finite number", "rescale"], "an overflowed sum")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("INSERT INTO sse_center SELECT * FROM sse_center")
    t.error(db, fs, ("sse", FORMULA), ["sse_center", "more than one row"], "two first passes")
    db.execute("DELETE FROM sse_center")
    t.error(db, fs, ("sse", FORMULA), ["sse_center", "no row"], "no first pass")
    db.execute("DROP TABLE sse_center")
    t.error(db, fs, ("sse", FORMULA), ["no statistics table 'sse_center'", "'center'"], "no center table")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_center SET c_2 = NULL")
    t.error(db, fs, ("sse", FORMULA), ["sse_center", "no number in a column 'c_2'"], "a center missing")
    db.execute("UPDATE sse_center SET c_2 = 'abc'")
    t.error(db, fs, ("sse", FORMULA), ["sse_center", "no number in a column 'c_2'"], "a center of text")
    # numbers no first pass gives: each named, rather than a message about something else later on
    for column, value, fragment in (("n_all", "180.5", "holds 180.5, which is no count of rows"),
                                    ("n_all", "-3", "holds -3, which is no count of rows"),
                                    ("n_all", "1e300", "which is no count of rows"),
                                    ("c_1", "1e999", "its column 'c_1' holds Inf, which is not finite"),
                                    ("mx_y", "-2", "its column 'mx_y' holds -2, which is negative")):
        stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
        db.execute("UPDATE sse_center SET %s = %s" % (column, value))
        t.error(db, fs, ("sse", FORMULA), ["sse_center", fragment], "%s = %s in the first pass" % (column, value))
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_groups SET s_1_2 = 'abc' WHERE rowid = 3")
    t.error(db, fs, ("sse", FORMULA), ["sse_groups", "a sum is not a number"], "a sum of text")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_groups SET Subject = NULL WHERE rowid = 2")
    t.error(db, fs, ("sse", FORMULA), ["NULL key"], "a NULL key")
    # SQLite's own error while the groups are read (a view that fails on its rows): its message, named
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("CREATE TEMP VIEW ssv_center AS SELECT * FROM sse_center")
    db.execute("CREATE TEMP VIEW ssv_groups AS SELECT *, CASE WHEN n > 0 THEN abs(-9223372036854775807 - 1) END AS boom FROM sse_groups")
    t.error(db, fs, ("ssv", FORMULA), ["lmm_fit_stats: ssv_groups: integer overflow"], "SQLite's error while reading")
    stats_tables(db, "sse", "sleepstudy", FORMULA, None, None)
    db.execute("UPDATE sse_groups SET part = 1 WHERE rowid = 2")
    t.error(db, fs, ("sse", FORMULA), ["sse_groups", "a part that is not one of 0 .. 0"], "a part out of range")
    db.execute("CREATE TEMP VIEW ssp_groups AS SELECT Subject, n, s_0_1, s_0_2, s_1_1, s_1_2, s_2_2 FROM sse_groups")
    db.execute("CREATE TEMP VIEW ssp_center AS SELECT * FROM sse_center")
    t.error(db, fs, ("ssp", FORMULA), ["ssp_groups", "no column 'part'"], "no part column")
    t.ok(saved(db, "st_bad") == 0, "a refused fit from statistics saved a model")
    db.execute('DROP TABLE "sse_groups"')
    db.execute('DROP TABLE "sse_center"')
    db.execute("DROP VIEW ssp_groups")
    db.execute("DROP VIEW ssp_center")
    # what the statistics cannot carry
    st = "SELECT * FROM lmm_stats_sql('sleepstudy', ?, NULL, ?)"
    t.error(db, st, ("Reaction ~ Days + (1 | Subject)", "weights=varPower()"), ["weights= and correlation=",
            "need the rows at every evaluation"], "a residual structure")
    t.error(db, st, ("Reaction ~ poly(Days, 2) + (1 | Subject)", None), ["'poly(Days, 2)'", "learns its columns"],
            "a basis learned from the data")
    t.error(db, st, ("Reaction ~ Days + (1 | Subject)", "offset=Days"), ["offset", "subtract it"], "an offset")
    t.error(db, "SELECT * FROM lmm_stats_sql('sleepstudy', ?, NULL, NULL, 'oracle')", (FORMULA,),
            ["dialect 'oracle'", "clickhouse"], "an unknown dialect")
    # a column named as a statistic was read for it: a grouping named s_0_1 came back as the sum s_0_1 from the
    # sqlite text's CREATE TABLE AS (intercept 18.38 for lmm_fit's 2.65, no error), and ClickHouse's aliases
    # shadow such columns; the augment query's own names (fitted, resid, lmm_...) likewise
    db.execute('CREATE TABLE ss_names AS SELECT Reaction AS y, Days AS n, Days AS x, Subject AS s_0_1, '
               'Subject AS "S_0_2", Days AS fitted, Days AS c_1, Days AS s_1 FROM sleepstudy')
    for fr, col in (("y ~ x + (1 | s_0_1)", "s_0_1"), ("y ~ x + (1 | S_0_2)", "S_0_2"), ("y ~ n", "n"),
                    ("y ~ c_1", "c_1"), ("y ~ fitted", "fitted")):
        t.error(db, "SELECT * FROM lmm_stats_sql('ss_names', ?)", (fr,),
                ["lmm_stats_sql: the column '%s' has a name the queries give a column of their own" % col, "rename it"],
                "a column named as a statistic: " + fr)
    # 1e999 was written inf, which names a column in SQLite and the others (here ss_names has one)
    db.execute("ALTER TABLE ss_names ADD COLUMN inf REAL")
    t.error(db, "SELECT * FROM lmm_stats_sql('ss_names', 'y ~ I(x * 1e999)')", (),
            ["the number at character 11 is beyond a double's range"], "a number beyond a double's range")
    t.ok(len(db.execute("SELECT * FROM lmm_stats_sql('ss_names', 'y ~ s_1 + (1 | x)')").fetchall()) == 2,
         "s_1 is no statistic's name")
    db.execute("SELECT * FROM lmm_fit('ss_names', 'y ~ n + (1 | s_0_1)', NULL, 'save=ss_names_m')").fetchall()
    t.ok(db.execute("SELECT count(*) FROM (%s)" % db.execute("SELECT sql FROM lmm_augment_sql('ss_names_m')")
                    .fetchone()[0]).fetchone()[0] == 180, "lmm_augment_sql of a model of n and s_0_1")
    db.execute("SELECT * FROM lmm_fit('ss_names', 'y ~ fitted + (1 | s_0_1)', NULL, 'save=ss_names_m')").fetchall()
    t.error(db, "SELECT * FROM lmm_augment_sql('ss_names_m')", (),
            ["the column 'fitted' has a name the queries give a column of their own (fitted, resid"], "augment: fitted")
    db.execute("DELETE FROM lmm_models WHERE name = 'ss_names_m'")
    db.execute("DROP TABLE ss_names")


def check_dialects(t, db):
    """Each dialect's text: quoting, casts, logarithms, the join of the centers."""
    f = "log(Reaction) ~ Days + I(Days^2) + log10(Days + 1) + (1 | Subject)"
    sql = {d: db.execute("SELECT sql FROM lmm_stats_sql('sleepstudy', ?, NULL, NULL, ?) WHERE name = 'groups'",
                         (f, d)).fetchone()[0]
           for d in ("sqlite", "clickhouse", "postgresql", "duckdb", "spark")}
    t.ok('ln(CAST("Reaction" AS REAL))' in sql["sqlite"] and 'GROUP BY "Subject"' in sql["sqlite"], "sqlite text")
    t.ok("log(toFloat64(`Reaction`))" in sql["clickhouse"] and "GLOBAL CROSS JOIN" in sql["clickhouse"]
         and "GROUP BY `Subject`" in sql["clickhouse"], "clickhouse text")
    t.ok('ln(CAST("Reaction" AS DOUBLE PRECISION))' in sql["postgresql"]
         and 'log((CAST("Days" AS DOUBLE PRECISION) + 1.0))' in sql["postgresql"], "postgresql text: ln, log for log10")
    t.ok('ln(CAST("Reaction" AS DOUBLE))' in sql["duckdb"] and 'log10(' in sql["duckdb"], "duckdb text")
    t.ok("ln(CAST(`Reaction` AS DOUBLE))" in sql["spark"] and " CROSS JOIN (SELECT" in sql["spark"]
         and "GLOBAL" not in sql["spark"], "spark text")
    # crossed groupings: a part per grouping with every sum, and the pairs' part with only what the pair block
    # reads (here n and the sums of x's centered values): the level pairs, the most numerous rows, stay narrow
    (g,) = db.execute("SELECT sql FROM lmm_stats_sql('crossed', 'y ~ x + (1 + x | a) + (1 | b)', "
                      "NULL, NULL, 'clickhouse') WHERE name = 'groups'").fetchone()
    parts = g.split(" UNION ALL ")
    t.ok(len(parts) == 3 and parts[0].startswith("SELECT `a`, lmm_least_1 AS `b`, part, n, s_0_1, ")
         and "(SELECT `a`, min(`b`) AS lmm_least_1, 0 AS part, count(*) AS n, sum(" in parts[0]
         and "(SELECT min(`a`) AS lmm_least_0, `b`, 1 AS part, count(*) AS n, sum(" in parts[1]
         and parts[2].startswith("SELECT `a`, `b`, 2 AS part, count(*) AS n, sum(")
         and ", 0.0 AS s_0_2, 0.0 AS s_1_1, 0.0 AS s_1_2, 0.0 AS s_2_2 FROM" in parts[2]
         and "0.0 AS" not in parts[0] + parts[1], "the parts of crossed groupings: %s" % g[:300])
    # ClickHouse reads backslash escapes in a quoted name as in its text: `y\` was an open quote there, and the text
    # after it was read as SQL; a backslash is doubled in that dialect only (Spark's and the others' names have none)
    db.execute('CREATE TABLE ss_bs AS SELECT Reaction AS "y\\", Days, Subject AS "S\\" FROM sleepstudy')
    fb = r"`y\` ~ Days + (1 | `S\`)"
    bs = {d: " ".join(s for (s,) in db.execute("SELECT sql FROM lmm_stats_sql('ss_bs', ?, NULL, NULL, ?)", (fb, d)))
          for d in ("clickhouse", "spark", "postgresql")}
    t.ok(r"toFloat64(`y\\`)" in bs["clickhouse"] and r"GROUP BY `S\\`" in bs["clickhouse"]
         and r"`y\`" not in bs["clickhouse"].replace(r"`y\\`", ""), "clickhouse: a backslash doubled in a name")
    t.ok(r"CAST(`y\` AS DOUBLE)" in bs["spark"] and r"GROUP BY `S\`" in bs["spark"], "spark: a backslash as it is")
    t.ok(r'CAST("y\" AS DOUBLE PRECISION)' in bs["postgresql"] and r'GROUP BY "S\"' in bs["postgresql"],
         "postgresql: a backslash as it is")
    stats_tables(db, "ssb", "ss_bs", fb, None, None)
    compare(t, rows_of(db, "SELECT * FROM lmm_fit('ss_bs', ?)", (fb,)), rows_of(db, "SELECT * FROM lmm_fit_stats('ssb', ?)",
                                                                               (fb,)), "names with a backslash")
    for name in ("ssb_center", "ssb_groups", "ss_bs"):
        db.execute('DROP TABLE "%s"' % name)
    # a column declared COLLATE NOCASE grouped 'a' with 'A' in the sqlite text, where lmm_fit keeps them apart (as
    # R): the fit from those statistics had 3 groups for 5, and no error said so
    from test_augment_sql import nocase_table
    nocase_table(db)
    for fc in ("y ~ x + (1 | g)", "y ~ x + g", "y ~ x + (1 | g) + (1 | x)"):
        stats_tables(db, "ssn", "nocase", fc, None, None)
        compare(t, rows_of(db, "SELECT * FROM lmm_fit('nocase', ?)", (fc,)),
                rows_of(db, "SELECT * FROM lmm_fit_stats('ssn', ?)", (fc,)), "levels apart only by case: " + fc)
    for name in ("ssn_center", "ssn_groups", "nocase"):
        db.execute('DROP TABLE "%s"' % name)
    # text in any value, not only the first, makes a column a factor, as lmm_fit reads it: a number column with
    # one 'abc' was a slope here (CAST('abc' AS REAL) is 0) and a factor of 7 levels to lmm_fit; read as a number
    # (the response, arithmetic) such a column is refused, as lmm_fit refuses it
    db.execute("CREATE TABLE mixed(y, x, g TEXT)")
    db.executemany("INSERT INTO mixed VALUES (?, ?, ?)", [(i * 1.3 % 7 + (i % 6) * 0.4, i % 6 if i != 17 else "abc",
                                                           "g%d" % (i % 5)) for i in range(60)])
    fm = "y ~ x + (1 | g)"
    stats_tables(db, "ssm", "mixed", fm, None, None)
    compare(t, rows_of(db, "SELECT * FROM lmm_fit('mixed', ?)", (fm,)), rows_of(db, "SELECT * FROM lmm_fit_stats('ssm', ?)",
                                                                              (fm,)), "one text value among numbers")
    for fm in ("x ~ y + (1 | g)", "y ~ log(x + 1) + (1 | g)"):
        t.error(db, "SELECT * FROM lmm_stats_sql('mixed', ?)", (fm,),
                ["lmm_stats_sql: the column 'x' is read as a number but holds text"], "text read as a number: " + fm)
    for name in ("ssm_center", "ssm_groups", "mixed"):
        db.execute('DROP TABLE "%s"' % name)
    q = db.execute("SELECT sql FROM lmm_stats_sql('main.sleepstudy', ?, NULL, NULL, 'clickhouse')", (f,)).fetchall()
    t.ok(all("FROM `main`.`sleepstudy`" in s for (s,) in q), "db.table: each part quoted")
    # which columns are text (factors) is asked of the table lmm_fit would read: main.t was once looked up as one
    # name, found nothing, and a TEXT column entered the statistics as a number, a slope where lmm_fit has a factor
    codes = "SELECT breaks, CAST(CASE tension WHEN 'L' THEN 1 WHEN 'M' THEN 2 ELSE 3 END AS TEXT) AS code FROM warpbreaks"
    db.execute("CREATE TABLE ss_codes AS " + codes)
    want = [(r["term"], r["estimate"]) for r in rows_of(db, "SELECT * FROM lmm_fit('ss_codes', 'breaks ~ code') "
                                                              "WHERE effect = 'fixed'", ())]
    t.ok([w[0] for w in want] == ["(Intercept)", "code2", "code3"], "codes as text: a factor, %r" % want)
    for data in ("main.ss_codes", '"main"."ss_codes"', "[ss_codes]"):
        stats_tables(db, "ssc", data, "breaks ~ code", None, None)
        got = [(r["term"], r["estimate"]) for r in rows_of(db, "SELECT * FROM lmm_fit_stats('ssc', 'breaks ~ code') "
                                                                 "WHERE effect = 'fixed'", ())]
        t.ok([g[0] for g in got] == [w[0] for w in want] and all(abs(g[1] - w[1]) < 1e-9 for g, w in zip(got, want)),
             "statistics of %s: %r, lmm_fit %r" % (data, got, want))
    # a quoted name, as lmm_fit takes it, was quoted again whole: FROM """main"""."""ss_codes""" named no table
    db.execute("SELECT * FROM lmm_fit('[main].\"ss_codes\"', 'breaks ~ code', NULL, 'save=ss_codes_fit')").fetchall()
    (aug,) = db.execute("SELECT sql FROM lmm_augment_sql('ss_codes_fit')").fetchone()
    t.ok('FROM "main"."ss_codes"' in aug and db.execute("SELECT count(*) FROM (%s)" % aug).fetchone()[0] == 54,
         "lmm_augment_sql of [main].\"ss_codes\": %s" % aug[-120:])
    db.execute("DELETE FROM lmm_models WHERE name = 'ss_codes_fit'")
    for name in ("ssc_center", "ssc_groups", "ss_codes"):
        db.execute('DROP TABLE "%s"' % name)
    for d, s in sql.items():   # Days^2 as a product, no integer division anywhere: every column cast
        t.ok("^" not in s and "pow" not in s, "%s: I(Days^2) as a product" % d)
    # the sqlite text runs here, and the fit from it is the local one
    stats_tables(db, "ssd", "sleepstudy", f, None, None)
    local = rows_of(db, "SELECT * FROM lmm_fit('sleepstudy', ?)", (f,))
    remote = rows_of(db, "SELECT * FROM lmm_fit_stats('ssd', ?)", (f,))
    compare(t, local, remote, "transforms")
    db.execute('DROP TABLE "ssd_groups"')
    db.execute('DROP TABLE "ssd_center"')
