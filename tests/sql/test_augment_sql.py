"""lmm_augment_sql (issue 19): the SQL that gives a saved model's fitted values and residuals where its rows
live.  Run here (the sqlite dialect) against the local table, it gives lmm_augment's fitted values and residuals
to 1e-9 on every reference case that has an SQL form (lm, gls without structures, nested, crossed, random
slopes, factors with every coding, transforms); for a model fitted from statistics (lmm_fit_stats) it gives the
local fit's, within what the two fits differ.  Bad input is a clear error."""
import sqlite3

from test_stats import qualifying_cases, rows_of, stats_tables

REFUSALS = ("statistics do not carry", "not carried by the statistics", "has no SQL form", "residual structure")
# one of each shape, which must be among the cases compared
SHAPES = {"lm": "sleepstudy_lm_quad", "nested": "pastes_nlme", "crossed": "penicillin", "slopes": "sleepstudy_reml",
          "factor": "cake_factor", "transform": "chickweight_sqrt", "crossed slopes": "crossed_slopes"}


def augment_sql(db, model, data=None, dialect=None):
    return db.execute("SELECT sql FROM lmm_augment_sql(?, ?, ?)", (model, data, dialect)).fetchone()[0]


def compare_rows(t, db, model, sql, what, tol=1e-9):
    """The query's rows against lmm_augment's, row by row (both in the table's order); how many compared."""
    got = db.execute(sql).fetchall()
    want = db.execute("SELECT response, fitted, resid FROM lmm_augment(?)", (model,)).fetchall()
    if not t.ok(len(got) == len(want) > 0, "%s: %d rows, lmm_augment %d" % (what, len(got), len(want))):
        return 0
    bad = [(i, g[-2:], w[1:]) for i, (g, w) in enumerate(zip(got, want))
           if abs(g[-2] - w[1]) > tol * (1 + abs(w[0])) or abs(g[-1] - w[2]) > tol * (1 + abs(w[0]))]
    t.ok(not bad, "%s: %d rows differ, first %r" % (what, len(bad), bad[:1]))
    return len(got)


def run(t, db):
    compared, refused, seen = 0, 0, set()
    for name, ref in qualifying_cases():
        sql = ref["sql"]
        options = (sql["options"] + ", " if sql.get("options") else "") + "save=aug_m"
        try:
            db.execute("SELECT * FROM lmm_fit(?, ?, ?, ?)", (sql["data"], sql["formula"], sql.get("random"),
                                                             options)).fetchall()
        except sqlite3.Error:
            continue   # test_reference checks what lmm_fit refuses
        try:
            q = augment_sql(db, "aug_m")
        except sqlite3.Error as e:
            if t.ok(any(r in str(e) for r in REFUSALS), "%s: %s" % (name, e)):
                refused += 1
            continue
        if compare_rows(t, db, "aug_m", q, name):
            compared += 1
            seen.add(name)
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_m'")
    print("augment_sql: %d reference cases compared, %d refused" % (compared, refused))
    t.ok(compared >= 100, "only %d reference cases compared" % compared)
    for shape, case in SHAPES.items():
        t.ok(case in seen, "%s (%s) was not compared" % (shape, case))
    check_from_stats(t, db)
    check_collation(t, db)
    check_quote_levels(t, db)
    check_number_levels(t, db)
    check_dialects(t, db)
    check_errors(t, db)
    db.commit()


def check_from_stats(t, db):
    """A model fitted from statistics: the rows' SQL gives the local fit's fitted values and residuals."""
    f = "Reaction ~ Days + (Days | Subject)"
    stats_tables(db, "aus", "sleepstudy", f, None, None)
    db.execute("SELECT * FROM lmm_fit_stats('aus', ?, NULL, 'save=aug_s')", (f,)).fetchall()
    db.execute("SELECT * FROM lmm_fit('sleepstudy', ?, NULL, 'save=aug_l')", (f,)).fetchall()
    q = augment_sql(db, "aug_s", "sleepstudy")
    t.ok(compare_rows(t, db, "aug_l", q, "from statistics", 1e-7) == 180, "from statistics: 180 rows")
    # the same model fitted from the rows gives the same text but for the last digits of its numbers
    t.ok(augment_sql(db, "aug_l").split(" + ")[0] == q.split(" + ")[0], "the query's shape is the local model's")
    for m in ("aug_s", "aug_l"):
        db.execute("DELETE FROM lmm_models WHERE name = ?", (m,))
    db.execute('DROP TABLE "aus_groups"')
    db.execute('DROP TABLE "aus_center"')


def nocase_table(db):
    """A table whose text column groups 'a' with 'A' by its declared collation, where lmm keeps them apart (as R)."""
    db.execute("CREATE TABLE nocase(y REAL, g TEXT COLLATE NOCASE, x REAL)")
    effect = {"a": 0.0, "A": 3.0, "b": 1.0, "B": -2.0, "c": 0.5}
    db.executemany("INSERT INTO nocase VALUES (?, ?, ?)",
                   [(effect[g] + 0.3 * x + ((7 * i) % 11 - 5) / 5.0, g, x)
                    for i, (g, x) in enumerate((("aAbBc"[i % 5], (i * 37 % 101) / 101.0) for i in range(200)))])


def check_collation(t, db):
    """Levels that differ only in case, in a column declared COLLATE NOCASE: the sqlite text compared them by the
    column's collation, and 'a' took the BLUP and coding of 'A'."""
    nocase_table(db)
    for f, what in (("y ~ x + (1 | g)", "a grouping"), ("y ~ x + g", "a factor")):
        db.execute("SELECT * FROM lmm_fit('nocase', ?, NULL, 'save=aug_c')", (f,)).fetchall()
        compare_rows(t, db, "aug_c", augment_sql(db, "aug_c"), "levels apart only by case, " + what)
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_c'")
    db.execute("DROP TABLE nocase")


def check_quote_levels(t, db):
    """A level with a quote: Spark reads no '' in a text literal ('it''s' is 'it' 's', joined: its), so there the
    quote is written \\'; the others double it, and ClickHouse and Spark double a backslash."""
    db.execute("CREATE TABLE quotes AS SELECT Reaction AS y, Days AS x, CASE WHEN Days < 3 THEN 'it''s' WHEN Days < 6 "
               "THEN 'a\\b' ELSE 'c' END AS g FROM sleepstudy")
    db.execute("SELECT * FROM lmm_fit('quotes', 'y ~ x + (1 | g)', NULL, 'save=aug_q')").fetchall()
    text = {d: augment_sql(db, "aug_q", "quotes", d) for d in ("spark", "clickhouse", "postgresql", "sqlite")}
    t.ok("'it\\'s'" in text["spark"] and "'it''s'" not in text["spark"] and "'a\\\\b'" in text["spark"],
         "spark: a quote as \\', a backslash doubled: %s" % text["spark"][:200])
    t.ok("'it''s'" in text["clickhouse"] and "'a\\\\b'" in text["clickhouse"], "clickhouse literals")
    t.ok("'it''s'" in text["postgresql"] and "'a\\b'" in text["postgresql"], "postgresql literals")
    compare_rows(t, db, "aug_q", text["sqlite"], "levels with a quote and a backslash")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_q'")
    db.execute("DROP TABLE quotes")


def check_number_levels(t, db):
    """Levels matched to values as lmm_fit matched them (helper-47): text by its bytes, where '000' had been
    compared as the number 0 and matched no row; numbers by R's 15 digits, where 0.1 + 0.2 (the level 0.3) had
    matched nothing, and 100000 (the level 1e+05) nothing in ClickHouse, whose text for it is 100000."""
    db.execute("CREATE TABLE numlev(y REAL, x REAL, t TEXT, u, v REAL)")
    rows = []
    for i in range(240):
        k = i % 6
        rows.append((k * 0.7 + (i * 37 % 23) / 23.0 + 0.2 * (i % 5), i % 5,
                     ["000", "001", "002", "5", "6", "abc"][k],             # text that reads as numbers
                     [1, "1.5", 2.5, "x", 100000, 3][k],                    # numbers and text in one column
                     [0.1 + 0.2, 0.7, 100000.0, 2e5, 1e-05, 0.0][k]))       # numbers that print short
    db.executemany("INSERT INTO numlev VALUES (?, ?, ?, ?, ?)", rows)
    for f in ("y ~ x + (1 | t)", "y ~ x + (1 | u)", "y ~ x + (1 | v)", "y ~ x + factor(v)",
              "y ~ x + factor(v, levels = c('0.3', '0.7', '1e+05', '2e+05', '1e-05'))", "y ~ x + (1 | t:u)"):
        db.execute("SELECT * FROM lmm_fit('numlev', ?, NULL, 'save=aug_n')", (f,)).fetchall()
        compare_rows(t, db, "aug_n", augment_sql(db, "aug_n"), "levels from numbers and text: " + f)
    db.execute("SELECT * FROM lmm_fit('numlev', 'y ~ x + (1 | v)', NULL, 'save=aug_n')").fetchall()
    ch = augment_sql(db, "aug_n", "numlev", "clickhouse")
    # 0.3's range at 15 digits is 5e-16 either side; below 1e+05 the digits are a decade finer
    t.ok("(toFloat64(`v`) >= 0.29999999999999949 AND toFloat64(`v`) < 0.30000000000000049)" in ch
         and "(toFloat64(`v`) >= 99999.999999999956 AND toFloat64(`v`) < 100000.00000000049)" in ch
         and "transform(" not in ch, "clickhouse: numbers that are not whole by their range: %s" % ch[:400])
    db.execute("SELECT * FROM lmm_fit('numlev', 'y ~ x + (1 | x)', NULL, 'save=aug_n')").fetchall()
    t.ok("transform(toInt64(toFloat64(`x`)), [0, 1, 2, 3, 4], [" in augment_sql(db, "aug_n", "numlev", "clickhouse"),
         "clickhouse: whole numbers looked up as integers")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_n'")
    db.execute("DROP TABLE numlev")


def check_dialects(t, db):
    """ClickHouse looks a one-column grouping's BLUPs up by transform() and compares levels as text."""
    db.execute("SELECT * FROM lmm_fit('Pastes', 'strength ~ 1 + (1 | batch/cask)', NULL, 'save=aug_d')").fetchall()
    ch = augment_sql(db, "aug_d", "db.pastes", "clickhouse")
    t.ok("transform(toString(`batch`), ['A', " in ch and "FROM `db`.`pastes`" in ch, "clickhouse: transform, quoting")
    t.ok("WHEN (toString(`cask`) = 'a') AND (toString(`batch`) = 'A') THEN" in ch, "clickhouse: a nested level's test")
    pg = augment_sql(db, "aug_d", None, "postgresql")
    t.ok('CAST("strength" AS DOUBLE PRECISION) AS lmm_y' in pg and 'FROM "Pastes"' in pg, "postgresql text")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_d'")


def check_errors(t, db):
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_nosuch')", (), ["lmm_augment_sql", "aug_nosuch"], "unknown model")
    db.execute("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1 | Subject)', NULL, 'save=aug_e')").fetchall()
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e', NULL, 'oracle')", (), ["dialect 'oracle'", "clickhouse"],
            "unknown dialect")
    db.execute("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1 | Subject)', NULL, "
               "'weights=varPower(), df=residual, save=aug_e')").fetchall()
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e')", (), ["lmm_augment_sql", "residual structure"],
            "a structured model")
    db.execute("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ poly(Days, 2) + (1 | Subject)', NULL, "
               "'save=aug_e')").fetchall()
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e')", (), ["lmm_augment_sql", "'poly(Days, 2)'"],
            "a basis learned from the data")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_e'")
    f = "Reaction ~ Days + (1 | Subject)"
    stats_tables(db, "aue", "sleepstudy", f, None, None)
    db.execute("SELECT * FROM lmm_fit_stats('aue', ?, NULL, 'save=aug_e')", (f,)).fetchall()
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e')", (), ["fitted from statistics", "give the table"],
            "a model from statistics without its rows' table")
    t.error(db, "SELECT * FROM lmm_augment('aug_e')", (), ["lmm_augment", "lmm_augment_sql"],
            "lmm_augment of a model from statistics points to lmm_augment_sql")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_e'")
    db.execute('DROP TABLE "aue_groups"')
    db.execute('DROP TABLE "aue_center"')
    # a saved model's data is the database maker's text: anything with a blank or a parenthesis was pasted in as a
    # query, so a row of lmm_models wrote its own statements into every dialect's text
    db.execute("SELECT * FROM lmm_fit('sleepstudy', ?, NULL, 'save=aug_e')", (f,)).fetchall()
    db.execute("UPDATE lmm_models SET data = 'sleepstudy) AS lmm_data, (SELECT 1) AS z; DROP TABLE sleepstudy; "
               "SELECT * FROM (sleepstudy' WHERE name = 'aug_e'")
    for dialect in ("sqlite", "clickhouse", "postgresql"):
        q = augment_sql(db, "aug_e", None, dialect)
        quote = "`" if dialect == "clickhouse" else '"'
        t.ok(" AS fitted FROM %ssleepstudy) AS lmm_data, (SELECT 1) AS z; DROP TABLE sleepstudy; SELECT * FROM "
             "(sleepstudy%s WHERE " % (quote, quote) in q, "%s: the stored data was pasted in: %s" % (dialect, q[-160:]))
    try:
        db.executescript(augment_sql(db, "aug_e"))
    except sqlite3.Error as e:
        t.ok("no such table" in str(e), "the stored data as a table name: %s" % e)
    t.ok(db.execute("SELECT count(*) FROM sleepstudy").fetchone()[0] == 180, "the stored data's statements ran")
    # a query, lmm_fit's data, is checked as lmm_fit checks it and is SQLite's own: another engine needs the table
    db.execute("SELECT * FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days > 0', ?, NULL, 'save=aug_e')", (f,)).fetchall()
    t.ok(compare_rows(t, db, "aug_e", augment_sql(db, "aug_e"), "a query's model") == 162, "a query's model: 162 rows")
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e', NULL, 'duckdb')", (),
            ["the data is an SQLite query", "give the table where the rows live"], "a query for another engine")
    db.execute("UPDATE lmm_models SET data = 'SELECT * FROM sleepstudy; DELETE FROM sleepstudy' WHERE name = 'aug_e'")
    t.error(db, "SELECT * FROM lmm_augment_sql('aug_e')", (), ["must be a single statement"], "two statements stored")
    t.ok('FROM "my data"' in augment_sql(db, "aug_e", "my data", "postgresql"), "a table name with a blank, quoted")
    db.execute("DELETE FROM lmm_models WHERE name = 'aug_e'")
