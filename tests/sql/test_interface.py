"""lmm_fit as SQL sees it: the ways to name the data, the argument columns,
NULL handling, and the equivalences R guarantees between spellings."""
import sqlite3

from harness import fit, row_counter

SLEEP = "Reaction ~ Days + (Days|Subject)"


def estimates(rows):
    return {(r["effect"], r["grp"], r["term"]): r["estimate"] for r in rows if r["term"] != "evaluations"}


def same(t, a, b, what, tol=1e-9):
    ea, eb = estimates(a), estimates(b)
    t.ok(ea.keys() == eb.keys(), "%s: different rows %r vs %r" % (what, sorted(ea.keys() ^ eb.keys()), ""))
    for k in ea.keys() & eb.keys():
        x, y = ea[k], eb[k]
        if x is None or y is None:
            t.ok(x is y, "%s %s: %r vs %r" % (what, k, x, y))
        else:
            t.ok(abs(x - y) <= tol * max(1, abs(y)), "%s %s: %r vs %r" % (what, k, x, y))


def run(t, db):
    base = fit(db, "sleepstudy", SLEEP)
    same(t, fit(db, "main.sleepstudy", SLEEP), base, "schema-qualified table")
    same(t, fit(db, "SELECT * FROM sleepstudy", SLEEP), base, "query")
    same(t, fit(db, "  with s as (select * from sleepstudy) select * from s ;", SLEEP), base, "WITH query")
    # a query in parentheses, as it would stand in a FROM clause, is read as the query
    same(t, fit(db, " (SELECT * FROM sleepstudy) ; -- parenthesised", SLEEP), base, "parenthesised query")
    t.error(db, "SELECT * FROM lmm_fit(?, ?)", ("(SELECT * FROM sleepstudy); DELETE FROM sleepstudy", SLEEP),
            ["does not compile"], "parenthesised query and another statement")
    db.execute("CREATE TEMP VIEW sleep_view AS SELECT Reaction, Days, Subject FROM sleepstudy")
    same(t, fit(db, "sleep_view", SLEEP), base, "view")
    # names in any script, bare as R reads them in a UTF-8 locale (a byte past ASCII is part of a letter), in the
    # formula and in a structure's form; the terms named as written
    db.execute('CREATE TEMP VIEW schlaf AS SELECT Reaction AS "Reaktionszeit", Days AS "Tage_ä", Subject AS "Versuchs·person" '
               'FROM sleepstudy')
    uni = fit(db, "schlaf", "Reaktionszeit ~ Tage_ä + (Tage_ä | Versuchs·person)")
    t.ok([r["term"] for r in uni if r["effect"] == "fixed"] == ["(Intercept)", "Tage_ä"] and
         {r["grp"] for r in uni if r["effect"] == "ran_pars"} == {"Versuchs·person", "Residual"},
         "non-ASCII names: terms %r" % [(r["grp"], r["term"]) for r in uni if r["effect"] != "fit"])
    t.ok([r["estimate"] for r in uni if r["effect"] != "fit"] == [r["estimate"] for r in base if r["effect"] != "fit"],
         "non-ASCII names: the same fit as sleepstudy's")
    same(t, fit(db, "schlaf", "Reaktionszeit ~ `Tage_ä` + (`Tage_ä` | `Versuchs·person`)"), uni, "back-quoted non-ASCII names",
         tol=0)
    ar = fit(db, "schlaf", "Reaktionszeit ~ Tage_ä", "1 | Versuchs·person", "correlation=corAR1(form = ~ Tage_ä | Versuchs·person)")
    t.ok(any(r["term"] == "corAR1__Phi" for r in ar), "a non-ASCII name in a structure's form")
    # rows reach lmm through lmm_source_row() inside SQLite's loop; a model with more columns than a function
    # may take (SQLITE_LIMIT_FUNCTION_ARG: here 4 < 3 columns + rowid + the scan) reads them one by one
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 4)
    same(t, fit(db, "sleepstudy", SLEEP), base, "columns read one by one", tol=0)
    same(t, fit(db, "SELECT * FROM sleepstudy", SLEEP), base, "a query's columns read one by one", tol=0)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, limit)
    # data larger than a batch of the feed (core/feed.c: the frame built on a second thread), whichever way
    # the rows come -- a table's WHERE clause, a query's or a view's plain SELECT, column by column -- make
    # one frame, so the same bits
    math = "MathAch ~ SES + Sector + (SES|School)"
    mbase = fit(db, "mathach", math)
    t.ok(len(mbase) > 0 and db.execute("SELECT count(*) FROM mathach").fetchone()[0] == 7185, "mathach has 7,185 rows")
    same(t, fit(db, "SELECT * FROM mathach", math), mbase, "a large query", tol=0)
    db.execute("CREATE TEMP VIEW math_view AS SELECT * FROM mathach")
    same(t, fit(db, "math_view", math), mbase, "a large view", tol=0)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 4)
    same(t, fit(db, "mathach", math), mbase, "a large table column by column", tol=0)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, limit)
    # a level 70,000 bytes long, more than a batch's room for text: each of its rows takes a batch of its own
    db.execute("CREATE TEMP TABLE math_long AS SELECT MathAch, SES, Sector, "
               "CASE WHEN School = '1224' THEN School || hex(zeroblob(35000)) ELSE School END AS School FROM mathach")
    t.ok(db.execute("SELECT count(*), max(length(School)) FROM math_long WHERE School LIKE '1224%'").fetchone()
         == (47, 70004), "math_long: 47 rows with a 70,004-byte school")
    same(t, fit(db, "math_long", math), mbase, "a 70,000-byte level")

    # a column name is matched as SQLite matches it, case-insensitively
    lower = fit(db, "sleepstudy", "reaction ~ days + (days|subject)")
    t.ok([r["estimate"] for r in lower] [:-1] == [r["estimate"] for r in base][:-1], "column names ignore case")

    # lmm_tidy gives the rows lmm_fit gave, types too: counts and flags are integers, the rest reals, whether
    # the fit was saved or came from lmm_agg
    types = "SELECT effect, grp, term, typeof(estimate) FROM %s ORDER BY rowid"
    fitted = db.execute(types % "lmm_fit('sleepstudy', ?, NULL, 'method=ML, save=types')", (SLEEP,)).fetchall()
    t.ok(("fit", None, "nobs", "integer") in fitted and ("fit", None, "sigma", "real") in fitted,
         "lmm_fit: nobs an integer, sigma a real: %r" % fitted)
    t.ok(db.execute(types % "lmm_tidy('types')").fetchall() == fitted, "lmm_tidy of a saved fit: lmm_fit's types")
    agg = db.execute("SELECT lmm_agg(?, NULL, 'method=ML', 'Reaction', Reaction, 'Days', Days, 'Subject', Subject) "
                     "FROM sleepstudy", (SLEEP,)).fetchone()[0]
    t.ok(db.execute(types % "lmm_tidy(?)", (agg,)).fetchall() == fitted, "lmm_tidy of lmm_agg's fit: lmm_fit's types")

    # the arguments are hidden columns
    rows = db.execute("SELECT count(*) FROM lmm_fit WHERE data = 'sleepstudy' AND formula = ?", (SLEEP,)).fetchone()
    t.ok(rows[0] == len(base), "hidden-column call gives %r rows, not %r" % (rows[0], len(base)))
    cols = [c[0] for c in db.execute("SELECT * FROM lmm_fit('dyestuff', 'Yield ~ 1 + (1|Batch)')").description]
    t.ok(cols == ["effect", "grp", "term", "estimate", "std_error", "statistic", "df", "p_value"], "columns %r" % cols)

    # rows with NULL in a used column are dropped, and nobs says so
    db.execute("CREATE TEMP TABLE sleep_nulls AS SELECT * FROM sleepstudy")
    db.execute("UPDATE sleep_nulls SET Reaction = NULL WHERE rowid % 10 = 0")
    db.execute("UPDATE sleep_nulls SET Subject = NULL WHERE rowid = 1")
    nobs = [r["estimate"] for r in fit(db, "sleep_nulls", SLEEP) if r["term"] == "nobs"]
    t.ok(nobs == [180 - 18 - 1], "nobs after NULLs: %r" % nobs)
    same(t, fit(db, "sleep_nulls", SLEEP), fit(db, "SELECT * FROM sleepstudy WHERE rowid % 10 <> 0 AND rowid <> 1", SLEEP),
         "NULL rows dropped")
    # a column the model does not use may hold NULL
    db.execute("ALTER TABLE sleep_nulls ADD COLUMN unused")
    t.ok(len(fit(db, "sleep_nulls", SLEEP)) > 0, "unused NULL column")

    # spellings R treats as the same model
    a = fit(db, "pastes", "strength ~ 1 + (1|batch/cask)")
    b = fit(db, "pastes", "strength ~ 1 + (1|batch) + (1|batch:cask)")
    la = [r["estimate"] for r in a if r["term"] == "logLik"]
    lb = [r["estimate"] for r in b if r["term"] == "logLik"]
    t.ok(abs(la[0] - lb[0]) < 1e-8, "a/b as a + a:b: %r vs %r" % (la, lb))
    t.ok({r["grp"] for r in a if r["effect"] == "ran_pars"} == {"batch", "cask:batch", "Residual"},
         "lme4 names (1|batch/cask) cask:batch: %r" % {r["grp"] for r in a})
    c = fit(db, "pastes", "strength ~ 1", "1|batch/cask")
    t.ok({r["grp"] for r in c if r["effect"] == "ran_pars"} == {"batch", "batch:cask", "Residual"},
         "nlme random batch/cask names batch:batch:cask: %r" % {r["grp"] for r in c})
    d = fit(db, "sleepstudy", "Reaction ~ Days", "~ Days | Subject")
    same(t, d, fit(db, "sleepstudy", "Reaction ~ Days", "Days|Subject"), "leading ~ in random")
    e = fit(db, "dyestuff", "Yield ~ 1", "Batch")
    f = fit(db, "dyestuff", "Yield ~ 1", "1|Batch")
    same(t, e, f, "random 'g' means '1|g'")
    # y ~ a*b is y ~ a + b + a:b
    same(t, fit(db, "orthodont_chr", "distance ~ age * Sex"), fit(db, "orthodont_chr", "distance ~ age + Sex + age:Sex"), "a*b")
    # uncorrelated terms name their second grouping Subject.1, as lme4 does
    g = fit(db, "sleepstudy", "Reaction ~ Days + (Days||Subject)")
    t.ok([r["grp"] for r in g if r["effect"] == "ran_pars"] == ["Subject", "Subject.1", "Residual"],
         "(x||g) groups %r" % [r["grp"] for r in g if r["effect"] == "ran_pars"])
    # crossed designs: no nlme df, but lmerTest's Satterthwaite df (test_reference compares them); df=none is
    # lme4's summary(): the t statistic without df or p
    h = fit(db, "penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", None, "df=none")
    t.ok([(r["df"], r["p_value"]) for r in h if r["effect"] == "fixed"] == [(None, None)], "df=none: NULL df and p")

    # lmm_fit on the inner side of a join fits once per statement, not once per
    # outer row: the data are read once (tick counts the rows read), and the
    # rows are the same as those of a lone call
    calls = row_counter(db)
    counted = "SELECT * FROM sleepstudy WHERE tick()"
    joined = db.execute("SELECT a.term, a.estimate, b.estimate FROM lmm_fit(?1, ?2) a JOIN lmm_fit(?1, 'Reaction ~ Days + (1|Subject)') b "
                        "ON a.term = b.term AND a.effect = b.effect AND a.effect = 'fixed'", (counted, SLEEP)).fetchall()
    t.ok(calls[0] == 2 * 180, "a join of two fits read %d rows, not 2 x 180" % calls[0])
    t.ok([(r[0], r[1]) for r in joined] == [(r["term"], r["estimate"]) for r in base if r["effect"] == "fixed"],
         "joined fit rows %r" % joined)
