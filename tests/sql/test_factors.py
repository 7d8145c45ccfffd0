"""Factors leveled and coded as R's (issue 15): what the reference cases (tests/reference/factors_*.json) cannot
show -- a prediction of a row whose level factor(x, levels = ) leaves out is NULL (R's NA), a saved model predicts
with the fit's level order and contrasts, and a formula's literal text round-trips through a saved model."""
import os
import shutil

from harness import connect, private_copy


def run(t, shared):
    d, path = private_copy("lmm-factors-")
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    listed_levels(t, db)
    saved_contrasts(t, db)
    db.close()
    shutil.rmtree(d)


def predictions(db, model, data):
    return [r[0] for r in db.execute("SELECT prediction FROM lmm_predict(?, ?) ORDER BY source_rowid", (model, data))]


def listed_levels(t, db):
    """R: lm(breaks ~ wool + factor(tension, levels = c("M", "H"))) drops the 18 rows of L (NA), and predict()
    gives NA for a new row of L: 21.9166666666667, NA, 26.1388888888889 on warpbreaks_new."""
    rows = db.execute("SELECT term, estimate FROM lmm_fit('warpbreaks', 'breaks ~ wool + factor(tension, levels = "
                      "c(\"M\", \"H\"))', NULL, 'save=listed') WHERE term = 'nobs'").fetchall()
    t.ok(rows == [("nobs", 36)], "levels = drops the rows of other levels: %r" % rows)
    got = predictions(db, "listed", "warpbreaks_new")
    want = [21.9166666666667, None, 26.1388888888889]
    t.ok(len(got) == 3 and got[1] is None, "a new row of an unlisted level predicts NULL: %r" % got)
    for g, w in zip(got, want):
        if w is not None and g is not None:
            t.close(None, g, w, 1e-12, "listed-level prediction")


def saved_contrasts(t, db):
    """A saved model predicts its own fitted rows with the order and contrasts it was fitted with: relevel, sum
    and polynomial contrasts, and the option contrasts=sum (which is not in the formula)."""
    for name, formula, options in [
            ("f_relevel", "breaks ~ relevel(tension, ref = 'M') * wool", None),
            ("f_poly", "breaks ~ ordered(tension, levels = c('L', 'M', 'H')) + C(wool, contr.sum)", None),
            ("f_option", "log(breaks) ~ tension * wool", "contrasts=sum"),
            ("f_lmer", "breaks ~ C(tension, contr.helmert) + (1 | wool)", None)]:
        opts = "save=%s" % name + (", " + options if options else "")
        db.execute("SELECT * FROM lmm_fit('warpbreaks', ?, NULL, ?)", (formula, opts)).fetchall()
        pairs = db.execute("SELECT p.prediction, a.fitted FROM lmm_predict(?1, 'warpbreaks') p JOIN lmm_augment(?1) a "
                           "USING (source_rowid)", (name,)).fetchall()
        t.ok(len(pairs) == 54, "%s: %d predictions" % (name, len(pairs)))
        t.ok(all(abs(p - f) <= 1e-9 * max(1, abs(f)) for p, f in pairs), "%s: predictions differ from fitted values" % name)
        stored = db.execute("SELECT formula FROM lmm_models WHERE name = ?", (name,)).fetchone()
        t.ok(stored == (formula,), "%s: the formula is stored as written: %r" % (name, stored))
