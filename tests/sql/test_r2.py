"""The fit rows r2_marginal and r2_conditional (Nakagawa & Schielzeth's R², checked against R in
test_reference through make_r2.R's cases) in saved models: a new saved model keeps them and lmm_tidy gives
them back; a model saved before they existed (its rows without them) still loads, predicts and is opened
on its data again, and lmm_tidy gives its rows as saved."""
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
