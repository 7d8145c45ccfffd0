"""A saved model keeps what prediction needs (issue 22): lmm_predict and lmm_ranef restore it from its
snapshot (core/restore.h) -- each variable's levels, the groupings' levels, the fixed effects and the BLUPs
with their conditional sds -- and never read its data again, so they work whatever happened to the table
since (a nightly fit scoring new rows all day), while lmm_augment, which lists the fitted rows, still checks
them.  Restoring must give exactly the fitted model: on the fitted rows, lmm_predict of the restored model is
lmm_augment's fitted value (which evaluates the saved theta on the data again), for every kind of grouping
(one column, nested interactions, crossed, factor slopes), text and number levels, levels with NUL bytes,
data imported as untyped text, factors releveled and coded by contrasts,
bases that learned from the fitted data (ns, poly, scale: their knots and coefficients are kept), offsets, and lm."""
from harness import fit

MODELS = [
    # name, data, formula, random, options
    ("sm_nested", "nest3", "y ~ x + (1|a/b/c)", None, None),
    ("sm_nlme", "nest3", "y ~ x", "1|a/b", "method=ML"),
    ("sm_crossed", "penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", None, None),
    ("sm_fslope", "machines", "score ~ Machine + (0 + Machine|Worker)", None, None),
    ("sm_levels", "levels", "y ~ grp + factor(dose) + x + (1|site)", None, None),
    ("sm_lm", "warpbreaks", "breaks ~ wool * tension", None, None),
    ("sm_coded", "warpbreaks", "breaks ~ relevel(tension, ref = 'M') * C(wool, contr.helmert)", None, None),
    ("sm_sum", "orthodont", "distance ~ ordered(age) + factor(Sex, levels = c('Male', 'Female')) + (1|Subject)", None,
     "contrasts=sum"),
    ("sm_bases", "sleepstudy", "Reaction ~ ns(Days, df = 3) + (poly(Days, 2) | Subject)", None, None),
    ("sm_scale", "orthodont", "distance ~ scale(age) * Sex + offset(age / 2)", None, None),
    ("sm_arab", "arabidopsis", "log(1 + total_fruits) ~ factor(nutrient) * amd + rack", "1|popu/gen", "method=ML"),
]


def run(t, db):
    for name, data, formula, random, options in MODELS:
        fit(db, data, formula, random, ", ".join(x for x in (options, "save=" + name) if x))
        restored_is_fitted(t, db, name, data)
    nul_levels(t, db)
    untyped(t, db)
    interaction_damage(t, db)
    basis_damage(t, db)
    grown(t, db)
    quoted_name(t, db)


def quoted_name(t, db):
    """save="m" and save='m' name the model m: the quotes are the option's, not the name's."""
    for opt in ('save="sm_quoted"', "save='sm_quoted'", "save=`sm_quoted`"):
        fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, opt)
        t.ok(db.execute("SELECT count(*) FROM lmm_models WHERE name = 'sm_quoted'").fetchone()[0] == 1 and
             db.execute("SELECT count(*) FROM lmm_models WHERE name LIKE '%sm_quoted_'").fetchone()[0] == 0,
             "%s saves the model sm_quoted" % opt)
    t.ok(len(db.execute("SELECT * FROM lmm_anova('sm_quoted, sm_quoted')").fetchall()) == 2, "a quoted save in a list")
    db.execute("DELETE FROM lmm_models WHERE name = 'sm_quoted'")


def restored_is_fitted(t, db, name, data):
    got = db.execute("SELECT p.prediction, a.fitted FROM lmm_predict(?1, ?2) AS p JOIN lmm_augment(?1) AS a "
                     "USING (source_rowid)", (name, data)).fetchall()
    n = db.execute("SELECT count(*) FROM lmm_augment(?)", (name,)).fetchone()[0]
    t.ok(len(got) == n > 0 and all(abs(p - f) <= 1e-9 * max(1.0, abs(f)) for p, f in got),
         "%s: the restored model predicts its fitted rows as fitted (%d of %d rows; worst %r)"
         % (name, len(got), n, max((abs(p - f) for p, f in got), default=None)))


def nul_levels(t, db):
    """A level holding a NUL byte is kept whole ({"hex": ...} in the JSON) and still found."""
    db.execute("CREATE TEMP TABLE nul AS SELECT Reaction, Days, Subject || char(0) || 'x' AS Subject FROM sleepstudy")
    fit(db, "nul", "Reaction ~ Days + (1|Subject)", None, "save=sm_nul")
    t.ok(db.execute("SELECT count(*) FROM lmm_models WHERE name = 'sm_nul' AND fit LIKE '%\"hex\":\"33303800%'")
         .fetchone()[0] == 1, "a level with a NUL byte is saved as its bytes")
    restored_is_fitted(t, db, "sm_nul", "nul")
    cut = db.execute("SELECT count(DISTINCT prediction) FROM lmm_predict('sm_nul', "
                     "'SELECT Reaction, Days, substr(Subject, 1, 3) AS Subject FROM nul')").fetchone()[0]
    t.ok(cut == 10, "without the bytes after the NUL the levels are new groups: one prediction per day, not %d" % cut)


def untyped(t, db):
    """Data as .import --csv makes them (every column TEXT): the model keeps that it read them as numbers."""
    db.execute("CREATE TEMP TABLE csvsleep(Reaction TEXT, Days TEXT, Subject TEXT)")
    db.execute("INSERT INTO csvsleep SELECT CAST(Reaction AS TEXT), CAST(Days AS TEXT), Subject FROM sleepstudy")
    fit(db, "csvsleep", "Reaction ~ Days + (Days|Subject)", None, "save=sm_csv")
    restored_is_fitted(t, db, "sm_csv", "csvsleep")
    typed = db.execute("SELECT estimate FROM lmm_ranef('sm_csv')").fetchall()
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=sm_typed")
    t.ok(typed == db.execute("SELECT estimate FROM lmm_ranef('sm_typed')").fetchall(), "untyped and typed fits agree")
    db.execute("INSERT INTO csvsleep VALUES ('NA', '12', '308')")
    last = db.execute("SELECT prediction FROM lmm_predict('sm_csv', 'csvsleep') ORDER BY row DESC LIMIT 1").fetchone()[0]
    want = db.execute("SELECT prediction FROM lmm_predict('sm_typed', 'SELECT 12 AS Days, ''308'' AS Subject')").fetchone()[0]
    t.ok(abs(last - want) < 1e-9 * abs(want), "a row added as text is read as the fit read its rows: %r, %r" % (last, want))


def refused(t, db, base, data, cases):
    """Copies of the saved model base, each fit damaged by an SQL expression, refused by name by lmm_ranef and
    by lmm_predict on data."""
    for name, expr, fragment in cases:
        db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) SELECT ?, data, "
                   "formula, random, options, %s, created, version FROM lmm_models WHERE name = ?" % expr, (name, base))
        for sql in ("SELECT * FROM lmm_ranef('%s')" % name, "SELECT * FROM lmm_predict('%s', '%s')" % (name, data)):
            t.error(db, sql, (), ["'%s' is damaged" % name, fragment], sql)
        db.execute("DELETE FROM lmm_models WHERE name = ?", (name,))


def interaction_damage(t, db):
    """The codes of an interaction grouping's levels, damaged, are refused by name."""
    refused(t, db, "sm_nested", "nest3", (
            ("sm_badcode", "json_set(fit, '$.snapshot.ranef[1].codes[3]', 99)", "level 2 of grouping 'b:a' names level 100 of 'a', which has 4"),
            ("sm_order", "json_set(fit, '$.snapshot.ranef[1].codes[0]', 2)", "the levels of grouping 'b:a' are not in order (level 2)"),
            ("sm_odd", "json_remove(fit, '$.snapshot.ranef[1].codes[0]')", "which its 2 variables cannot share"),
            ("sm_negcode", "json_set(fit, '$.snapshot.ranef[1].codes[1]', -1)", "ranef[1].codes[1] is not a level code")))


def basis_damage(t, db):
    """What a basis learned, damaged, is refused by name: too few numbers, knots out of order."""
    refused(t, db, "sm_bases", "sleepstudy", (
            ("sm_coefshort", "json_remove(fit, '$.snapshot.vars[0].coef[0]')",
             "'ns(Days, df = 3)' keeps 3 numbers of what it learned from the data where its formula needs 4"),
            ("sm_coeforder", "json_set(fit, '$.snapshot.vars[0].coef[0]', 20)", "what 'ns(Days, df = 3)' learned"),
            ("sm_coeftext", "json_set(fit, '$.snapshot.vars[0].coef[1]', 'x')", "vars[0].coef[1] is text, not a number"),
            ("sm_nocoef", "json_remove(fit, '$.snapshot.vars[0].coef')", "keeps 0 numbers of what it learned")))


def grown(t, db):
    """After the fitted table grows, new rows are predicted from the saved coefficients and BLUPs."""
    db.execute("CREATE TEMP TABLE nest3g AS SELECT * FROM nest3")
    fit(db, "nest3g", "y ~ x + (1|a/b/c)", None, "save=sm_grown")
    before = db.execute("SELECT * FROM lmm_predict('sm_grown', 'nest3g')").fetchall()
    ranef = db.execute("SELECT * FROM lmm_ranef('sm_grown')").fetchall()
    db.execute("INSERT INTO nest3g SELECT a, b, c, rep, x + 1, NULL FROM nest3 LIMIT 5")
    after = db.execute("SELECT * FROM lmm_predict('sm_grown', 'nest3g')").fetchall()
    t.ok(after[:len(before)] == before and len(after) == len(before) + 5, "the fitted rows' predictions are unchanged")
    slope = db.execute("SELECT estimate FROM lmm_tidy('sm_grown') WHERE term = 'x'").fetchone()[0]
    t.ok(all(abs(after[len(before) + i][2] - before[i][2] - slope) < 1e-9 * abs(slope) for i in range(5)),
         "a new row with x + 1 is its group's prediction plus the slope")
    t.ok(db.execute("SELECT * FROM lmm_ranef('sm_grown')").fetchall() == ranef, "lmm_ranef after the table grew")
    t.error(db, "SELECT * FROM lmm_augment('sm_grown')", (), ["have changed since it was fitted", "fit it again on today's rows: lmm_update('sm_grown', NULL, NULL, 'save=sm_grown')"],
            "lmm_augment after the table grew")
