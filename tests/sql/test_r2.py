"""The fit rows r2_marginal and r2_conditional (Nakagawa & Schielzeth's R², checked against R in
test_reference through make_r2.R's cases) in saved models: a new saved model keeps them and lmm_tidy gives
them back; a model saved before they existed (its rows without them) still loads, predicts and is opened
on its data again, and lmm_tidy gives its rows as saved.  On data large enough that the pass over the rows
runs in parts (r2.c), both R²s equal the definition computed here from the fit's own estimates."""
import math

from harness import fit

SLEEP = ("sleepstudy", "Reaction ~ Days + (Days|Subject)")
R2 = ("r2_marginal", "r2_conditional")
# the saved rows of model 'r2_new' without the R² rows: a fit saved by an earlier version
OLD_ROWS = ("json_set(fit, '$.rows', (SELECT json_group_array(json(value)) FROM json_each(fit, '$.rows') "
            "WHERE json_extract(value, '$[2]') NOT IN ('r2_marginal', 'r2_conditional')))")


def tidy(db, name):
    return {r[0]: r[1] for r in db.execute("SELECT term, estimate FROM lmm_tidy(?) WHERE effect = 'fit'", (name,))}


def run(t, db):
    got = {r["term"]: r["estimate"] for r in fit(db, SLEEP[0], SLEEP[1], None, "save=r2_new") if r["effect"] == "fit"}
    t.ok(all(0 < got[k] < 1 for k in R2) and got["r2_marginal"] < got["r2_conditional"], "R² rows of a fit: %r" % got)
    saved = tidy(db, "r2_new")
    t.ok(all(saved.get(k) == got[k] for k in R2), "lmm_tidy of a saved model: %r, the fit's %r" % (saved, got))
    t.ok(all(r["term"] not in R2 for r in fit(db, SLEEP[0], "Reaction ~ Days")), "lm has no R² rows of mixed models")
    db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) SELECT 'r2_old', data, "
               "formula, random, options, %s, created, version FROM lmm_models WHERE name = 'r2_new'" % OLD_ROWS)
    old = tidy(db, "r2_old")
    t.ok(old and not any(k in old for k in R2) and old["logLik"] == got["logLik"], "an old saved model's rows: %r" % old)
    pred = db.execute("SELECT count(*), total(prediction) FROM lmm_predict('r2_old', 'sleepstudy')").fetchone()
    want = db.execute("SELECT count(*), total(prediction) FROM lmm_predict('r2_new', 'sleepstudy')").fetchone()
    t.ok(pred == want and pred[0] == 180, "an old saved model predicts: %r, the new %r" % (pred, want))
    aug = db.execute("SELECT count(*), total(resid) FROM lmm_augment('r2_old')").fetchone()
    t.ok(aug[0] == 180, "an old saved model is opened on its data again (lmm_augment): %r" % (aug,))
    db.execute("DELETE FROM lmm_models WHERE name IN ('r2_new', 'r2_old')")
    large(t, db)


def large(t, db):
    """60,000 rows, random slopes, x's distribution unlike in the two halves the pass is cut into (r2.c): the
    R²s from lmm_fit's estimates, computed row by row in Python; and the same with 1e7 added to y and its
    spread times 1e-3, where X beta's mean is 1e9 times its spread (the fixed part's variance is b1² var(x),
    computed so in Python: b0 + b1 x in double would keep no digit of it)."""
    db.execute("CREATE TEMP TABLE r2_large AS WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i "
               "WHERE k < 59999), v AS (SELECT k, k % 300 AS g, ((k * 7919) % 1000) / 100.0 * (1 + k / 20000) AS x "
               "FROM i) SELECT g, x, 2 + 0.5 * x + (g * 37 % 11) / 5.0 + (g * 13 % 7) / 20.0 * x "
               "+ ((k * 104729) % 1000) / 500.0 AS y FROM v")
    db.execute("CREATE TEMP VIEW r2_shifted AS SELECT g, x, 1e7 + 1e-3 * y AS y FROM r2_large")
    xs = [r[0] for r in db.execute("SELECT x FROM r2_large")]
    mx = math.fsum(xs) / len(xs)
    var_x = math.fsum((x - mx) ** 2 for x in xs) / (len(xs) - 1)
    # (shifted: its estimates themselves hold about 12 digits, y's 1e7 beside a spread of 1e-3)
    for src, tol in (("r2_large", 1e-12), ("r2_shifted", 1e-11)):
        est = {(r["effect"], r["term"]): r["estimate"] for r in fit(db, src, "y ~ x + (1 + x | g)")}
        b1 = est[("fixed", "x")]
        s0, s1, c = est[("ran_pars", "sd__(Intercept)")], est[("ran_pars", "sd__x")], est[("ran_pars", "cor__(Intercept).x")]
        sigma = est[("ran_pars", "sd__Observation")]
        vf = b1 * b1 * var_x
        vr = math.fsum(s0 * s0 + 2 * c * s0 * s1 * x + s1 * s1 * x * x for x in xs) / len(xs)
        total = vf + vr + sigma * sigma
        want = {"r2_marginal": vf / total, "r2_conditional": (vf + vr) / total}
        got = {k: est[("fit", k)] for k in R2}
        t.ok(all(abs(got[k] - want[k]) <= tol * want[k] for k in R2) and 0.05 < want["r2_marginal"] < 0.95,
             "R² of 60,000 rows (%s), the pass in parts: %r, by definition %r" % (src, got, want))
    db.execute("DROP VIEW r2_shifted")
    db.execute("DROP TABLE r2_large")
