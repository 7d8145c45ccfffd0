"""lmm_update(model, formula [, random [, options]]), R's update() of a saved model, and '.' in lmm_fit's
formula (the data's columns not otherwise used).

The tutorial's three update() calls are checked against R's numbers (the arabidopsis_* cases of
tests/reference, nlme's and lme4's fits of the model each update makes), and every updated fit must equal
lmm_fit of the spelled-out call exactly, row for row.  The calls run on a private copy of the test
database, whose lmm_models and tables they change."""
import json
import os
import shutil
import sqlite3

from harness import ROOT, connect, fit, private_copy
from test_reference import check_case, r_term

COLS = "effect, grp, term, estimate, std_error, statistic, df, p_value"
RESPONSE = "log(1 + total_fruits)"
FIXED = RESPONSE + " ~ factor(rack) + factor(nutrient) + amd + status"


def rows(db, sql, params=()):
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def update(db, *args):
    marks = ", ".join("?" for _ in args)
    return rows(db, "SELECT %s FROM lmm_update(%s)" % (COLS, marks), args)


def reference(name):
    with open(os.path.join(ROOT, "tests", "reference", name + ".json")) as f:
        return json.load(f)


def saved(db, name):
    return db.execute("SELECT data, formula, random, options FROM lmm_models WHERE name = ?", (name,)).fetchone()


def snapshot(db):
    schema = db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()
    tables = [n for (ty, n, s) in schema if ty == "table" and not n.startswith("sqlite_")]
    return schema, [db.execute('SELECT * FROM "%s" ORDER BY 1' % n).fetchall() for n in tables]


def near_lme4(t, ref, got):
    """Where nlme stops short (the tutorial's random-slope models), lme4's fit of the same model is R's optimum:
    logLik, estimates and variance parameters at the tolerances of test_reference.  (nlme scales an ML fit's
    standard errors otherwise than lme4 does, so those are compared with nlme's, by check_case.)"""
    name = ref["case"] + " (lme4) by lmm_update"
    mine = {(r["effect"], r["grp"], r["term"]): r["estimate"] for r in got}
    t.close(None, mine[("fit", None, "logLik")], ref["logLik"], 1e-4, name + " logLik")
    fixed = {r_term(r["term"]): r["estimate"] for r in got if r["effect"] == "fixed"}
    for f in ref["fixed"]:
        t.absclose(fixed.get(f["term"]), f["estimate"], 1e-3 * f["std_error"], "%s %s" % (name, f["term"]))
    pars = {(r["grp"], r_term(r["term"])): r["estimate"] for r in got if r["effect"] == "ran_pars"}
    for p in ref["ran_pars"]:
        tol = 1e-3 * abs(p["estimate"]) if p["term"].startswith("sd__") else 1e-2
        t.absclose(pars.get((p["grp"], p["term"])), p["estimate"], tol, "%s %s %s" % (name, p["grp"], p["term"]))


def tutorial(t, db):
    """lmm6.2 <- update(lmm6, .~., random = ~nutrient|popu/gen); lmm8 <- update(lmm6.2, .~. + nutrient:amd);
    finalModel <- update(lmm6.2, .~., method = "REML")."""
    fit(db, "arabidopsis", FIXED, "1|popu/gen", "method=ML, save=lmm6")
    steps = [
        ("lmm6.2", ("lmm6", None, "factor(nutrient)|popu/gen", "save=lmm6.2"), ["arabidopsis_lmm6.2", "arabidopsis_lmm6.2_lme4"],
         (FIXED, "factor(nutrient)|popu/gen", "method=ML, save=lmm6.2")),
        ("lmm8", ("lmm6.2", ". ~ . + factor(nutrient):amd", None, "save=lmm8"), ["arabidopsis_lmm8", "arabidopsis_lmm8_lme4"],
         (FIXED + " + factor(nutrient):amd", "factor(nutrient)|popu/gen", "method=ML, save=lmm8")),
        ("final", ("lmm6.2", None, None, "method=REML, save=final"), ["arabidopsis_final", "arabidopsis_final_lme4"],
         (FIXED, "factor(nutrient)|popu/gen", "method=REML, save=final")),
    ]
    for name, args, refs, call in steps:
        got = update(db, *args)
        check_case(t, db, reference(refs[0]), "%s by lmm_update" % refs[0], got)
        near_lme4(t, reference(refs[1]), got)
        t.ok(saved(db, name) == ("arabidopsis",) + call, "%s saved as %r, want %r" % (name, saved(db, name), call))
        spelled = fit(db, "arabidopsis", *call[:2], call[2].split(", save=")[0])
        t.ok(got == spelled, "%s: lmm_update's rows are not lmm_fit's of %r" % (name, call))
    # without save= nothing is saved, and the saved save= is not inherited
    before = snapshot(db)
    reml = update(db, "lmm6.2", None, None, "method=REML")
    t.ok(reml == update(db, "final"), "update(lmm6.2, method = 'REML') is not the saved final model refitted")
    t.ok(snapshot(db) == before, "an update without save= changed lmm_models")
    # the formula absent is '. ~ .', and options absent are the saved ones (less save=)
    t.ok(rows(db, "SELECT %s FROM lmm_update('lmm6')" % COLS) == fit(db, "arabidopsis", FIXED, "1|popu/gen", "method=ML"),
         "lmm_update('lmm6') is not lmm6 refitted")
    # GLM2 <- update(GLM, .~., method = "REML"): gls stays gls
    fit(db, "arabidopsis", FIXED, None, "method=ML, save=GLM")
    check_case(t, db, reference("arabidopsis_GLM2"), "GLM2 by lmm_update", update(db, "GLM", None, None, "method=REML"))


def formulas(t, db):
    """R's '.' on either side, '-' of a term, of a random-effects term, and random '' dropping the saved one."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days | Subject)", None, "method=ML, save=sl")
    cases = [
        ("log(.) ~ .", None, "log(Reaction) ~ Days + (Days | Subject)"),
        (". ~ . - Days", None, "Reaction ~ (Days | Subject)"),
        (". ~ . - (Days | Subject) + (1 | Subject)", None, "Reaction ~ Days + (1 | Subject)"),
        ("~ . + I(Days^2)", None, "Reaction ~ Days + (Days | Subject) + I(Days^2)"),
        (". ~ . - 1", None, "Reaction ~ Days + (Days | Subject) - 1"),
    ]
    for new, random, spelled in cases:
        got = update(db, "sl", new, random, "save=sl2")
        t.ok(got == fit(db, "sleepstudy", spelled, None, "method=ML"), "update(sl, %s) is not %s" % (new, spelled))
        t.ok(saved(db, "sl2")[1] == spelled, "update(sl, %s) saved %r, want %r" % (new, saved(db, "sl2")[1], spelled))
    fit(db, "sleepstudy", "Reaction ~ Days", "Days | Subject", "save=sn")
    t.ok(update(db, "sn", None, "") == fit(db, "sleepstudy", "Reaction ~ Days"), "random '' does not drop the saved random part")
    t.ok(update(db, "sn", None, "1 | Subject") == fit(db, "sleepstudy", "Reaction ~ Days", "1 | Subject"),
         "a new random part does not replace the saved one")
    # options key by key: the saved na= stays, method= is replaced
    fit(db, "sleep_na", "Reaction ~ Days + (1 | Subject)", None, "na=NA, method=ML, save=na1")
    t.ok(update(db, "na1", None, None, "method=REML") == fit(db, "sleep_na", "Reaction ~ Days + (1 | Subject)", None, "na=NA, method=REML"),
         "options given do not override the saved ones key by key")


def todays_rows(t, path):
    """An update refits on the rows the data hold today, as R's update() evaluates its data again."""
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    db.execute("CREATE TABLE ss AS SELECT * FROM sleepstudy")
    fit(db, "ss", "Reaction ~ Days + (1 | Subject)", None, "save=ss1")
    db.execute("DELETE FROM ss WHERE Days > 7")
    db.commit()
    got = update(db, "ss1")
    nobs = [r["estimate"] for r in got if r["term"] == "nobs"]
    t.ok(nobs == [144], "lmm_update read %r rows, the table holds 144 today" % nobs)
    t.ok(got == fit(db, "ss", "Reaction ~ Days + (1 | Subject)"), "lmm_update on today's rows is not lmm_fit's")
    db.close()


def dots(t, db):
    """'.' in lmm_fit's formula: the data's columns in table order, less the response, grouping factors and offsets."""
    db.execute("CREATE TABLE dotted(g TEXT, y REAL, a REAL, b TEXT, c REAL)")
    db.execute("INSERT INTO dotted SELECT Subject, Reaction, Days, CASE WHEN rowid % 3 = 0 THEN 'p' ELSE 'q' END, "
               "(rowid * 7) % 5 FROM sleepstudy")
    db.execute("CREATE VIEW dotted_rowid AS SELECT rowid, * FROM dotted")
    cases = [
        ("dotted", "y ~ .", None, "y ~ g + a + b + c"),
        ("dotted", "y ~ . + (1 | g)", None, "y ~ a + b + c + (1 | g)"),
        ("dotted", "y ~ .", "1 | g", "y ~ a + b + c"),
        ("dotted", "log(y) ~ . - b + (1 | g)", None, "log(y) ~ a + c + (1 | g)"),
        ("dotted", "y ~ (.)^2 + (1 | g)", None, "y ~ a + b + c + a:b + a:c + b:c + (1 | g)"),
        ("dotted", "y ~ .*. + (1 | g)", None, "y ~ a*b*c - a:b:c + (1 | g)"),
        ("dotted_rowid", "y ~ . + (1 | g)", None, "y ~ a + b + c + (1 | g)"),
        ("SELECT c, y, a, g FROM dotted", "y ~ . + (a | g)", None, "y ~ c + a + (a | g)"),
    ]
    for data, formula, random, spelled in cases:
        got = fit(db, data, formula, random)
        want = fit(db, data, spelled, random)
        t.ok(got == want, "lmm_fit(%s, %s) is not %s: %r" % (data, formula, spelled, [r["term"] for r in got][:12]))
    fit(db, "dotted", "y ~ . + (1 | g)", None, "save=dot1")
    t.ok(saved(db, "dot1")[1] == "y ~ (a + b + c) + (1 | g)", "the saved formula is %r" % (saved(db, "dot1")[1],))
    # the saved model is the one fitted, whatever columns the data gain later
    db.execute("ALTER TABLE dotted ADD COLUMN d REAL")
    db.execute("UPDATE dotted SET d = a * a")
    t.ok(len(rows(db, "SELECT * FROM lmm_augment('dot1')")) == 180, "a saved '.' model does not reopen")
    t.ok(update(db, "dot1") == fit(db, "dotted", "y ~ a + b + c + (1 | g)"), "an update of a '.' model is not its columns'")
    t.ok([r["term"] for r in fit(db, "dotted", "y ~ . + (1 | g)") if r["effect"] == "fixed"][-1] == "d",
         "a new fit's '.' does not take the new column")


def errors(t, db):
    fit(db, "dyestuff", "Yield ~ 1 + (1 | Batch)", None, "save=dy_err")
    db.commit()
    before = snapshot(db)
    agg = db.execute("SELECT lmm_agg('Yield ~ 1', '1|Batch', NULL, 'Yield', Yield, 'Batch', Batch) FROM dyestuff").fetchone()[0]
    cases = [
        ("SELECT * FROM lmm_update('nosuch', NULL)", ["lmm_update: no saved model 'nosuch'", "dy_err"], "unknown model"),
        ("SELECT * FROM lmm_update(?, NULL)", ["lmm_update:", "fit from lmm_agg, which keeps no call"], "an lmm_agg fit"),
        ("SELECT * FROM lmm_update('dy_err', '. + 1')", ["lmm_update: formula \". + 1\" needs a '~'", "'. ~ . + x'"], "no ~"),
        ("SELECT * FROM lmm_update('dy_err', '. ~ . +')", ["lmm_update: formula syntax error at character 8"], "syntax"),
        ("SELECT * FROM lmm_update('dy_err', '. ~ . + nosuch')", ["lmm_update: no column 'nosuch'"], "unknown column"),
        ("SELECT * FROM lmm_update('dy_err', NULL, NULL, 'method=MLE')", ["lmm_update: options: method must be ML or REML"],
         "bad option"),
        ("SELECT * FROM lmm_update('dy_err', NULL, '. | Batch')", ["lmm_update: random effects are given twice"], "random twice"),
        # texts are no terms, in the update's rewrite too (it crashed the process: fuzz_formula)
        ("SELECT * FROM lmm_update('dy_err', 'y ~ ''a''')", ["lmm_update:", "a text is not a term"], "a text as a term"),
        ("SELECT * FROM lmm_update('dy_err', '. ~ . + ''a''')", ["lmm_update:", "a text is not a term"], "a text added"),
        ("SELECT * FROM lmm_update()", ["lmm_update needs a saved model", "lmm_update(model [, formula"], "no arguments"),
        ("SELECT * FROM lmm_update('dy_err', 12)", ["'formula' must be text", "lmm_update(model"], "formula not text"),
    ]
    for sql, fragments, what in cases:
        t.error(db, sql, (agg,) if "?" in sql else (), fragments, "lmm_update, " + what)
    t.ok(snapshot(db) == before, "failing lmm_update calls changed the database")


# A saved call is the database's, as lmm_models is: lmm_update runs its data again only as lmm_store_open would.
HOSTILE = [
    ("up_twostatements", "'SELECT * FROM dyestuff; DROP TABLE dyestuff'", ["single statement"]),
    ("up_loadext", "'SELECT * FROM dyestuff WHERE load_extension(''/nonexistent/lib'') IS NULL'",
     ["calls load_extension()", "SQLITE_DIRECTONLY"]),
    ("up_fitsave", "'SELECT * FROM dyestuff WHERE (SELECT count(*) FROM lmm_fit(''dyestuff'', ''Yield ~ 1'', NULL, "
                   "''save=evil'')) > 0'", ["may read no virtual table"]),
]


def hostile(t, db):
    fit(db, "dyestuff", "Yield ~ 1 + (1 | Batch)", None, "save=up_good")
    for name, data, _ in HOSTILE:
        db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) SELECT ?, %s, "
                   "formula, random, options, fit, created, version FROM lmm_models WHERE name = 'up_good'" % data, (name,))
    db.commit()
    before = snapshot(db)
    for name, _, fragments in HOSTILE:
        t.error(db, "SELECT * FROM lmm_update(?, '. ~ .', NULL, 'save=up_new')", (name,), ["lmm_update:"] + fragments,
                "lmm_update of " + name)
    t.ok(snapshot(db) == before, "lmm_update of hostile saved calls changed the database")


def run(t, db):
    d, path = private_copy("lmm-update-")
    try:
        mine = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
        tutorial(t, mine)
        formulas(t, mine)
        dots(t, mine)
        errors(t, mine)
        hostile(t, mine)
        mine.close()
        todays_rows(t, path)
    except sqlite3.Error as e:   # a failed check, not a crash of the run
        t.ok(False, "test_update: %s" % e)
    finally:
        shutil.rmtree(d)
