"""lmm_confint of a saved model with a residual structure (weights=, correlation=) against nlme's intervals() in
tests/reference/intervals_structures.json (make_confint_structures.R): gls and lme with corAR1, varIdent and varPower
of a covariate, REML and ML, two at level 0.9.

intervals  fixed effects within 1e-4 relative of nlme's; random-effects sds and correlations, the structure's
           parameters (nlme's corStruct and varStruct intervals, on their natural scale) and sigma within 1e-4 of
           rows_accurate, nlme's own apVar with its fdHess replaced by an exact Hessian: nlme's printed bounds
           carry its differencing noise (0.1 % on gls varIdent and varPower, 12 % on one of Dialyzer's
           correlations), so they are not the reference for those rows.  A value nearer 0 than its interval is
           wide is held to 1e-4 of the width (varPower's power 0.0016 on [-0.088, 0.091]; a bound of Dialyzer's
           correlation at -0.0499, where lmm's Richardson step and numDeriv's agree to 3e-5).
wald       the saved fit's fixed effects on their t df: nlme's intervals(which = "fixed").
Refused with clear errors, nothing changed: profile (lme4's profile has no structures), intervals of corSymm and of
a variance function of the fitted values (not done).
"""
import json
import os

from harness import ROOT, fit


def confint(db, *args):
    cur = db.execute("SELECT effect, grp, term, lower, estimate, upper, method FROM lmm_confint(%s)" %
                     ", ".join("?" * len(args)), args)
    return [dict(zip(("effect", "grp", "term", "lower", "estimate", "upper", "method"), r)) for r in cur.fetchall()]


def key(r):
    return (r["effect"], r["grp"], r["term"])


def check(t, got, want, tol, what):
    by = {key(r): r for r in got}
    for w in want:
        g = by.get(key(w))
        if not t.ok(g is not None, "%s: no row %r (rows %r)" % (what, key(w), list(by))):
            continue
        # relative to the value, or to the interval's width where the value is nearer 0 than that
        for k in ("lower", "estimate", "upper"):
            bound = tol * max(abs(w[k]), w["upper"] - w["lower"])
            t.ok(g[k] is not None and abs(g[k] - w[k]) <= bound,
                 "%s %s %s: got %r, R %r (abs tol %g)" % (what, "/".join(x for x in key(w) if x), k, g[k], w[k], bound))


def save(db, name, sql):
    opts = ", ".join(x for x in (sql.get("options"), "save=" + name) if x)
    fit(db, sql["data"], sql["formula"], sql.get("random"), opts)


def run(t, db):
    with open(os.path.join(ROOT, "tests", "reference", "intervals_structures.json")) as f:
        cases = json.load(f)["confint_structures"]
    for case in cases:
        name = "cs_" + case["case"]
        save(db, name, case["sql"])
        opts = "level=%g" % case["level"]
        got = confint(db, name, "intervals", opts)
        t.ok(len(got) == len(case["rows"]) and all(r["method"] == "intervals" for r in got),
             "%s: %d rows, R %d" % (name, len(got), len(case["rows"])))
        fixed = [r for r in case["rows"] if r["effect"] == "fixed"]
        check(t, got, fixed, 1e-4, name + " nlme")
        check(t, got, [r for r in case["rows_accurate"] if r["effect"] != "fixed"], 1e-4, name + " nlme, exact Hessian")
        # the default method of an nlme call is intervals; wald is intervals(which = "fixed")
        t.ok(confint(db, name, None, opts) == got, name + ": the default method is intervals")
        check(t, confint(db, name, "wald", opts), fixed, 1e-4, name + " wald")
    t.ok(len(cases) == 10, "10 structured models, found %d" % len(cases))
    refusals(t, db)
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'cs\\_%' ESCAPE '\\'")
    db.commit()


def refusals(t, db):
    fit(db, "bodyweight", "weight ~ Time * Diet", "Time|Rat", "weights=varPower(), save=cs_fitted")
    fit(db, "orthodont_chr", "distance ~ I(age - 11) * Sex", None,
        "weights=varIdent(form = ~ 1 | age), correlation=corSymm(form = ~ 1 | Subject), save=cs_symm")
    before = db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall()
    for q, args, fragments, what in [
        ("SELECT * FROM lmm_confint(?, 'profile')", ("cs_ovary_lme_ar1",),
         ["lmm_confint: profile intervals of a model with weights= or correlation= are not done yet",
          "use method 'intervals'"], "profile of a structured model"),
        ("SELECT * FROM lmm_confint(?, 'intervals')", ("cs_fitted",),
         ["lmm_confint: intervals: the variance function is of the fitted values", "use method 'wald'"],
         "intervals of a variance of the fitted values"),
        ("SELECT * FROM lmm_confint(?, 'intervals')", ("cs_symm",),
         ["lmm_confint: intervals: nlme's intervals of corSymm's correlations", "use method 'wald'"],
         "intervals of corSymm"),
    ]:
        t.error(db, q, args, fragments, what)
    t.ok(db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall() == before, "the refusals changed lmm_models")
    # the wald rows of the refused models are there
    t.ok(len(confint(db, "cs_fitted", "wald")) == 6 and len(confint(db, "cs_symm", "wald")) == 4,
         "wald intervals of the models intervals refuses")
