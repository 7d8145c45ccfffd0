"""The slips a new user makes most, each answered with what to do; every function's usage on a wrong call;
lmm_version(); a second load of the extension on one connection."""
import os
import re
import sqlite3

from harness import ROOT, fit

CALL = "SELECT * FROM lmm_fit(?, ?, ?, ?)"
AGG_CALL = ("SELECT lmm_agg('Reaction ~ Days', ?, ?, 'Reaction', Reaction, 'Days', Days, 'Subject', Subject) "
            "FROM sleepstudy")


def run(t, db):
    slips(t, db)
    agg_fit_as_model(t, db)
    usage(t, db)
    predict_levels(t, db)
    version(t, db)
    load_twice(t)


def slips(t, db):
    """The call as an lme4 or nlme user writes it by habit, and the message that says how lmm takes it."""
    cases = [
        (("sleepstudy", "Reaction ~ Days + (1|Subject)", "method=ML", None),
         ["random: 'method=ML' looks like options", "lmm_fit(data, formula, NULL, 'method=ML')"], "options as random"),
        (("sleepstudy", "Reaction ~ Days + (1|Subject)", "save=m1, method=ML", None),
         ["looks like options", "NULL, 'save=m1, method=ML'"], "two options as random"),
        (("sleepstudy", "Reaction ~ Days + (1|Subject)", "1|Subject", None),
         ["random effects are given twice", "(... | Subject)", "random is '1|Subject'", "use one"],
         "bars in the formula and a random argument"),
        (("sleepstudy", "Reaction ~ Days + (Days||Subject)", "~ 1 | Subject", "method=ML"),
         ["random effects are given twice"], "(x||g) and a random argument"),
        (("SELECT * FROM sleepstudy WHERE Subject = ?", "Reaction ~ Days + (1|Subject)", None, None),
         ["the data query has a parameter (?) that nothing binds", "write the value into the query's text"],
         "an unbound ? in the data query"),
        (("SELECT * FROM sleepstudy WHERE Days < :days", "Reaction ~ Days", None, None),
         ["has a parameter (:days) that nothing binds"], "an unbound :name in the data query"),
    ]
    for params, fragments, what in cases:
        t.error(db, CALL, params, fragments, what)
    # the same slips in lmm_agg, whose options come third
    t.error(db, AGG_CALL, ("method=ML", None), ["looks like options", "lmm_agg(formula, NULL, 'method=ML', ...)"],
            "lmm_agg: options as random")
    t.error(db, AGG_CALL.replace("'Reaction ~ Days'", "'Reaction ~ Days + (1|Subject)'"), ("1|Subject", None),
            ["random effects are given twice"], "lmm_agg: bars and random")
    t.error(db, AGG_CALL, ("1|Subject", "method=ML, save=agg1"),
            ["save= is not taken here", "lmm_tidy(fit)", "lmm_fit(data, formula, random, 'save=NAME')"], "lmm_agg: save=")
    t.ok(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'lmm_models'").fetchone()[0] == 0 or
         db.execute("SELECT count(*) FROM lmm_models WHERE name = 'agg1'").fetchone()[0] == 0,
         "lmm_agg with save= saved a model")
    # with the options in their place the same calls fit, and as R does: lme's random, lmer's bars
    ml = {r["term"]: r["estimate"] for r in fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "method=ML")}
    t.close(0, ml["logLik"], -897.0393, 1e-6, "lmer(Reaction ~ Days + (1|Subject), REML = FALSE) logLik")
    nlme = {r["term"]: r["estimate"] for r in fit(db, "sleepstudy", "Reaction ~ Days", "1|Subject", "method=ML")}
    t.close(0, nlme["logLik"], -897.0393, 1e-6, "lme(Reaction ~ Days, random = ~1|Subject, method = 'ML') logLik")
    sub = fit(db, "SELECT * FROM sleepstudy WHERE Subject = '308'", "Reaction ~ Days")
    t.close(0, sub[1]["estimate"], 21.7647, 1e-4, "lm(Reaction ~ Days, subset(sleepstudy, Subject == 308)) slope")


def agg_fit_as_model(t, db):
    """A fit from lmm_agg where a saved model is needed: said so in a short message, not 1,200 characters of JSON."""
    fit_json = db.execute(AGG_CALL, ("1|Subject", None)).fetchone()[0]
    t.ok(len(fit_json) > 1000, "lmm_agg's fit is %d characters" % len(fit_json))
    for sql in ["SELECT * FROM lmm_ranef(?)", "SELECT * FROM lmm_augment(?)", "SELECT * FROM lmm_predict(?, 'sleepstudy')"]:
        fn = sql.split()[3].split("(")[0]
        t.error(db, sql, (fit_json,), [fn + ": '{\"version\"", "is a fit from lmm_agg", "needs a saved model",
                                      "'save=NAME'"], fn + " on lmm_agg's fit")
        short(t, db, sql, (fit_json,), fn + " on lmm_agg's fit")
    # lmm_tidy and lmm_vcov take the JSON itself
    t.ok(len(db.execute("SELECT * FROM lmm_tidy(?)", (fit_json,)).fetchall()) > 5, "lmm_tidy reads lmm_agg's fit")
    long_name = "m" * 5000
    t.error(db, "SELECT * FROM lmm_ranef(?)", (long_name,), ["no saved model 'mmm"], "a long name")
    short(t, db, "SELECT * FROM lmm_ranef(?)", (long_name,), "a long name")
    # many saved models: the first ten are named, the rest counted
    fit(db, "sleepstudy", "Reaction ~ Days", None, "save=usage_lm")   # lmm_models made, when it is not there
    for i in range(12):
        db.execute("INSERT INTO lmm_models SELECT ?, data, formula, random, options, fit, created, version FROM lmm_models "
                   "WHERE name = 'usage_lm'", ("usage%02d" % i,))
    n = db.execute("SELECT count(*) FROM lmm_models").fetchone()[0]
    first = db.execute("SELECT group_concat(name, ', ') FROM (SELECT name FROM lmm_models ORDER BY name LIMIT 10)").fetchone()[0]
    t.error(db, "SELECT * FROM lmm_ranef('nosuch')", (), ["no saved model 'nosuch' (saved: %s and %d more: "
                                                          "SELECT name FROM lmm_models)" % (first, n - 10)], "many saved models")
    short(t, db, "SELECT * FROM lmm_ranef('nosuch')", (), "many saved models")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'usage%'")


def short(t, db, sql, params, what):
    try:
        db.execute(sql, params).fetchall()
        t.ok(False, what + ": no error")
    except sqlite3.Error as e:
        t.ok(len(str(e)) < 400, "%s: a message of %d characters" % (what, len(str(e))))


# Each function called wrongly: too few arguments, the wrong type; the message is its usage.
WRONG = [
    ("SELECT * FROM lmm_fit()", ["lmm_fit needs at least data and formula: lmm_fit(data, formula [, random [, options]])"]),
    ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days', NULL, 2)",
     ["lmm_fit: argument 'options' must be text, not an integer; lmm_fit needs at least data and formula"]),
    ("SELECT * FROM lmm_tidy()", ["lmm_tidy needs a model: lmm_tidy(name)"]),
    ("SELECT * FROM lmm_tidy(3)", ["lmm_tidy: argument 'model' must be text, not an integer; lmm_tidy needs a model"]),
    ("SELECT * FROM lmm_ranef()", ["lmm_ranef needs a saved model: lmm_ranef(name)"]),
    ("SELECT * FROM lmm_ranef(x'6d31')", ["lmm_ranef: argument 'model' must be text, not a BLOB; lmm_ranef needs"]),
    ("SELECT * FROM lmm_augment()", ["lmm_augment needs a saved model: lmm_augment(name)"]),
    ("SELECT * FROM lmm_augment(1.5)", ["lmm_augment: argument 'model' must be text, not a real; lmm_augment needs"]),
    ("SELECT * FROM lmm_vcov()", ["lmm_vcov needs a model: lmm_vcov(name)"]),
    ("SELECT * FROM lmm_vcov(7)", ["lmm_vcov: argument 'model' must be text, not an integer; lmm_vcov needs"]),
    ("SELECT * FROM lmm_anova()", ["lmm_anova needs saved model names: lmm_anova('m1, m2, m3')"]),
    ("SELECT * FROM lmm_anova(12)", ["lmm_anova: argument 'models' must be text, not an integer; lmm_anova needs"]),
    ("SELECT * FROM lmm_predict('m1')", ["lmm_predict needs a saved model and data: lmm_predict(name, data [, level])"]),
    ("SELECT * FROM lmm_predict()", ["lmm_predict needs a saved model and data"]),
    ("SELECT lmm_agg('Reaction ~ Days') FROM sleepstudy", ["lmm_agg(formula, random, options, 'y', y, 'x', x)"]),
    ("SELECT lmm_agg(1, NULL, NULL, 'Reaction', Reaction) FROM sleepstudy",
     ["lmm_agg: argument 'formula' must be text, not an integer", "lmm_agg(formula, random, options"]),
    ("SELECT lmm_agg('Reaction ~ Days', NULL, 2, 'Reaction', Reaction, 'Days', Days) FROM sleepstudy",
     ["lmm_agg: argument 'options' must be text, not an integer"]),
    ("SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 'Reaction', Reaction, 3, Days) FROM sleepstudy",
     ["lmm_agg: argument 6 must be a column name (text), not an integer", "lmm_agg(formula, random, options"]),
    ("SELECT * FROM lmm_update()", ["lmm_update needs a saved model: lmm_update(model [, formula [, random [, options]]])"]),
    ("SELECT * FROM lmm_update('m1', 2)", ["lmm_update: argument 'formula' must be text, not an integer; lmm_update needs"]),
    ("SELECT lmm_version(1)", ["lmm_version takes no arguments: SELECT lmm_version()"]),
]


def usage(t, db):
    for sql, fragments in WRONG:
        t.error(db, sql, (), fragments, "wrong call " + sql)


def predict_levels(t, db):
    """A prediction reads only the columns its level uses: level 0 (R's predict(m, level = 0), re.form = NA)
    needs no grouping column, level 1 of popu/gen no gen; the values are those from the full table."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=usage_slopes")
    db.execute("CREATE TEMP TABLE days_only AS SELECT rowid AS id, Days FROM sleepstudy")
    full = db.execute("SELECT source_rowid, prediction FROM lmm_predict('usage_slopes', 'sleepstudy', 0)").fetchall()
    bare = db.execute("SELECT source_rowid, prediction FROM lmm_predict('usage_slopes', 'days_only', 0)").fetchall()
    t.ok(len(bare) == 180 and bare == full, "level 0 without Subject: %d rows, the same as with it" % len(bare))
    # lmer(Reaction ~ Days + (Days | Subject), sleepstudy): fixef 251.405105, 10.467286
    t.close(0, bare[9][1], 251.405105 + 10.467286 * 9, 1e-7, "level-0 prediction at Days = 9")
    t.error(db, "SELECT * FROM lmm_predict('usage_slopes', 'days_only', 1)", (), ["no column 'Subject' in 'days_only'"],
            "level 1 needs the grouping column")
    t.error(db, "SELECT * FROM lmm_predict('usage_slopes', 'days_only')", (), ["no column 'Subject' in 'days_only'"],
            "every level needs the grouping column")
    fit(db, "arabidopsis", "log(1 + total_fruits) ~ amd", "1|popu/gen", "method=ML, save=usage_nested")
    db.execute("CREATE TEMP TABLE no_gen AS SELECT amd, popu FROM arabidopsis")
    full = db.execute("SELECT prediction FROM lmm_predict('usage_nested', 'arabidopsis', 1)").fetchall()
    bare = db.execute("SELECT prediction FROM lmm_predict('usage_nested', 'no_gen', 1)").fetchall()
    t.ok(len(bare) == 625 and bare == full, "level 1 of popu/gen without gen: %d rows, the same as with it" % len(bare))
    t.ok(full != db.execute("SELECT prediction FROM lmm_predict('usage_nested', 'arabidopsis', 2)").fetchall(),
         "level 2 differs from level 1")
    db.execute("DROP TABLE days_only")
    db.execute("DROP TABLE no_gen")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'usage%'")


def version(t, db):
    """lmm_version(): lmm's version, the SQLite it was built against and runs with, the BLAS."""
    with open(os.path.join(ROOT, "core", "model.h")) as f:
        lmm = re.search(r'#define LMM_VERSION "([^"]+)"', f.read()).group(1)
    v = db.execute("SELECT lmm_version()").fetchone()[0]
    m = re.fullmatch(r"lmm (\S+); SQLite (\S+) \(built against (\d+\.\d+\.\d+)\); BLAS (.+)", v or "")
    if t.ok(m is not None, "lmm_version() is %r" % v):
        t.ok(m.group(1) == lmm, "lmm_version() says lmm %s, core/model.h %s" % (m.group(1), lmm))
        t.ok(m.group(2) == sqlite3.sqlite_version, "lmm_version() says SQLite %s, Python's is %s" %
             (m.group(2), sqlite3.sqlite_version))
        t.ok(m.group(4).startswith("OpenBLAS "), "lmm_version() names the BLAS %r" % m.group(4))
    # it reads nothing, so a view may call it (unlike every function that fits or reads tables)
    db.execute("CREATE TEMP VIEW version_view AS SELECT lmm_version() AS v")
    t.ok(db.execute("SELECT v FROM version_view").fetchone()[0] == v, "lmm_version() from a view")
    db.execute("DROP VIEW version_view")


def load_twice(t):
    """A second load on one connection is harmless, while a statement runs too (it once failed with an empty
    message: replacing a function under a running statement is refused)."""
    ext = os.environ.get("LMM_EXT", "build/lmm")
    from harness import connect
    db = connect(ext)
    for how in ["load_extension()", "SELECT load_extension(?)", "load under a running statement"]:
        try:
            if how == "load_extension()":
                db.load_extension(ext)
            elif how == "SELECT load_extension(?)":
                db.execute("SELECT load_extension(?)", (ext,)).fetchall()
            else:
                cur = db.execute("SELECT term FROM lmm_fit('sleepstudy', 'Reaction ~ Days')")
                cur.fetchone()
                db.load_extension(ext)
                t.ok(len(cur.fetchall()) > 5, "the running statement goes on after a second load")
            t.ok(True, how)
        except sqlite3.Error as e:
            t.ok(False, "a second %s failed: %r" % (how, str(e)))
    rows = fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)")
    t.close(0, rows[0]["estimate"], 251.4051, 1e-6, "a fit after loading twice")
    db.close()
