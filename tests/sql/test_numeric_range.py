"""Data in any units: a response or a predictor multiplied by 2^k fits to the
same digits times 2^k (the fit scales by powers of two before it squares),
data near 1e-160 or 1e+200 fit as they do in ordinary units, and a value the
data's units put beyond the range of a double is an error that names it."""
import math
import sqlite3

from harness import fit
from test_errors import snapshot

SLEEP = "SELECT Reaction * %r AS Reaction, Days * %r AS Days, Subject FROM sleepstudy"
MODELS = [   # (data with the response and Days scaled, formula, options, n, p, kind)
    (SLEEP, "Reaction ~ Days + (Days|Subject)", None, 180, 2, "REML"),
    (SLEEP, "Reaction ~ Days + (1|Subject)", "method=ML", 180, 2, "ML"),
    (SLEEP, "Reaction ~ Days", None, 180, 2, "lm"),
    (SLEEP, "Reaction ~ Days", "method=REML", 180, 2, "REML"),
    ("SELECT strength * %r AS strength, %r AS one, batch, cask FROM pastes", "strength ~ 1 + (1|batch/cask)", None, 60, 1,
     "REML"),
    ("SELECT diameter * %r AS diameter, %r AS one, plate, sample FROM penicillin",
     "diameter ~ 1 + (1|plate) + (1|sample)", "method=ML", 144, 1, "ML"),
]
SCALE_FREE = ("nobs", "df", "ngroups", "converged", "singular", "evaluations", "r_squared")
CRITERIA = ("logLik", "AIC", "BIC", "REMLcrit", "deviance")


def rows(db, src, formula, opts):
    return db.execute("SELECT effect, grp, term, estimate, std_error FROM lmm_fit(?, ?, NULL, ?)",
                      (src, formula, opts)).fetchall()


def factor(term, cy, cx):
    """How a row's estimate scales when the response is times cy and the predictor times cx."""
    if term in SCALE_FREE or term.startswith("cor__") or term.startswith("r2_"):   # R² of mixed models: theta's precision
        return 1.0
    if term in ("Days", "sd__Days"):
        return cy / cx
    return cy


def log_shift(term, cy, cx, n, p, reml):
    """What scaling adds to a criterion: -n log cy (ML) or -(n-p) log cy - log cx (REML, one scaled column)."""
    ll = -(n - p if reml else n) * math.log(cy) - (math.log(cx) if reml else 0)
    return {"logLik": ll, "AIC": -2 * ll, "BIC": -2 * ll, "REMLcrit": -2 * ll, "deviance": -2 * ll}[term]


def compare(t, base, got, cy, cx, n, p, kind, tol, tol_theta, what):
    if not t.ok(isinstance(got, list) and len(got) == len(base), "%s: %r" % (what, got)):
        return
    reml = kind == "REML"
    for a, b in zip(base, got):
        eff, grp, term = a[:3]
        if term in CRITERIA:
            if term == "deviance" and kind == "lm":
                want = a[3] * cy * cy   # lm's deviance is the residual sum of squares
                t.close(None, b[3], want, tol, "%s %s" % (what, term))
            else:
                want = a[3] + log_shift(term, cy, cx, n, p, reml)
                t.ok(abs(b[3] - want) <= 1e-9 * max(abs(want), abs(a[3]), 1e3), "%s %s: got %r, want %r" % (what, term, b[3], want))
            continue
        if term == "evaluations":
            continue
        f = factor(term, cy, cx)
        for k, (x, y) in enumerate(zip(a[3:], b[3:])):
            # a mixed model's standard errors depend on theta; these balanced designs' estimates do not
            rel = tol if term in SCALE_FREE or (eff == "fixed" and (k == 0 or kind == "lm")) else tol_theta
            if x is None:
                t.ok(y is None, "%s %s: got %r, want NULL" % (what, term, y))
            else:
                t.close(None, y, x * f, rel, "%s %s %s" % (what, term, ("estimate", "std_error")[k]))


def powers_of_two(t, db):
    """Exact: 2^k scales no digit, so every number is the unscaled fit's times 2^k."""
    for src, formula, opts, n, p, kind in MODELS:
        base = rows(db, src % (1.0, 1.0), formula, opts)
        for cy, cx in ((2.0 ** -600, 1.0), (2.0 ** 600, 1.0), (1.0, 2.0 ** 700), (2.0 ** -500, 2.0 ** -800)):
            if kind == "lm" and abs(math.log2(cy)) > 500:
                continue   # lm's deviance, the residual sum of squares, leaves the range (see errors below)
            try:
                got = rows(db, src % (cy, cx), formula, opts)
            except sqlite3.Error as e:
                got = str(e)
            cxx = cx if "Days" in formula else 1.0
            compare(t, base, got, cy, cxx, n, p, kind, 0, 0, "%s [%s] y*2^%d x*2^%d" % (formula, opts, math.log2(cy), math.log2(cx)))


def decimal_units(t, db):
    """y * 1e-160 and y * 1e+200: the fixed effects to 1e-12, the variance
    parameters as closely as the optimizer settles them in ordinary units
    (y * 3 moves them by up to 1e-7 too); and the same numbers as the fit of
    the same mantissas in ordinary units, exactly."""
    for src, formula, opts, n, p, kind in MODELS:
        base = rows(db, src % (1.0, 1.0), formula, opts)
        cases = [(1e-160, 1.0), (1e200, 1.0), (1e-200, 1.0)] if "|" in formula else [(1e-140, 1.0), (1e140, 1.0)]
        if "Days" in formula:
            cases += [(1.0, 1e250), (1.0, 1e-250), (1e-100, 1e120)]
        for cy, cx in cases:
            try:
                got = rows(db, src % (cy, cx), formula, opts)
            except sqlite3.Error as e:
                got = str(e)
            cxx = cx if "Days" in formula else 1.0
            compare(t, base, got, cy, cxx, n, p, kind, 1e-12, 1e-6, "%s [%s] y*%g x*%g" % (formula, opts, cy, cx))
    # the same mantissas in ordinary units: y * 1e-160 * 2^532 is y * 1e-160 exactly, times a power of two
    k = 532
    src = "SELECT Reaction * 1e-160 * %r AS Reaction, Days, Subject FROM sleepstudy"
    base = rows(db, src % 2.0 ** k, "Reaction ~ Days + (Days|Subject)", None)
    got = rows(db, src % 1.0, "Reaction ~ Days + (Days|Subject)", None)
    compare(t, base, got, 2.0 ** -k, 1.0, 180, 2, "REML", 0, 0, "y*1e-160 against y*1e-160*2^532")


def saved_models(t, db):
    """lmm_ranef, lmm_augment and lmm_predict of a model saved in extreme units
    give the unscaled model's numbers in those units."""
    def readers(name, src):
        ranef = db.execute("SELECT estimate, cond_sd FROM lmm_ranef(?) ORDER BY grp, level, term", (name,)).fetchall()
        aug = db.execute("SELECT response, fitted, fixed, resid, pearson FROM lmm_augment(?) ORDER BY source_rowid", (name,)).fetchall()
        pred = db.execute("SELECT prediction FROM lmm_predict(?, ?) ORDER BY source_rowid", (name, src)).fetchall()
        return ranef, aug, pred

    for cy, cx, tag in ((1.0, 1.0, "nr_base"), (2.0 ** -600, 2.0 ** -500, "nr_pow2"), (1e-160, 1.0, "nr_small"), (1e200, 1e150, "nr_big")):
        db.execute("DROP TABLE IF EXISTS %s" % tag)
        db.execute(("CREATE TABLE %s AS " % tag) + SLEEP % (cy, cx))
        try:
            db.execute("SELECT count(*) FROM lmm_fit(?, 'Reaction ~ Days + (Days|Subject)', NULL, ?)", (tag, "save=" + tag)).fetchall()
        except sqlite3.Error as e:
            t.ok(False, "saving %s: %s" % (tag, e))
    db.commit()
    base = readers("nr_base", "nr_base")
    for cy, cx, tag, tol in ((2.0 ** -600, 2.0 ** -500, "nr_pow2", 0), (1e-160, 1.0, "nr_small", 1e-6), (1e200, 1e150, "nr_big", 1e-6)):
        try:
            got = readers(tag, tag)
        except sqlite3.Error as e:
            t.ok(False, "saved model %s: %s" % (tag, e))
            continue
        (rb, ab, pb), (rg, ag, pg) = base, got
        t.ok(len(rg) == len(rb) and len(ag) == len(ab) and len(pg) == len(pb), "saved model %s: row counts" % tag)
        # ranef rows alternate by term within a level: (Intercept) then Days
        for i, (x, y) in enumerate(zip(rb, rg)):
            f = cy if i % 2 == 0 else cy / cx
            for k in range(2):
                t.absclose(y[k], x[k] * f, tol * 60 * abs(f) if tol else 0, "%s lmm_ranef row %d col %d" % (tag, i, k))
        for i, (x, y) in enumerate(zip(ab, ag)):
            for k in range(5):
                f = 1.0 if k == 4 else cy
                t.absclose(y[k], x[k] * f, tol * 300 * f if tol else 0, "%s lmm_augment row %d col %d" % (tag, i, k))
        for i, (x, y) in enumerate(zip(pb, pg)):
            t.absclose(y[0], x[0] * cy, tol * 300 * cy if tol else 0, "%s lmm_predict row %d" % (tag, i))


def errors(t, db):
    """What no double can hold, named, and the database left as it was."""
    db.execute("CREATE TABLE nr_wide AS SELECT Reaction, CASE WHEN rowid % 2 THEN (Days + 1) * 1e-300 "
               "ELSE (Days + 1) * 1e300 END AS a, rowid % 2 AS odd, Subject FROM sleepstudy")
    db.commit()
    before = snapshot(db)
    cases = [
        ((SLEEP % (1e-150, 1e200), "Reaction ~ Days + (1|Subject)"), ["the coefficient of 'Days'", "1e-349", "range of double"],
         "coefficient below the range"),
        ((SLEEP % (1e200, 1e-150), "Reaction ~ Days"), ["the coefficient of 'Days'", "1e+351", "range of double"],
         "coefficient above the range"),
        ((SLEEP % (1e-170, 1.0), "Reaction ~ Days"), ["residual sum of squares of 'Reaction'", "range of double"],
         "lm's deviance below the range"),
        ((SLEEP % (1e-320, 1.0), "Reaction ~ Days + (1|Subject)"), ["'Reaction' is at most", "subnormal"],
         "subnormal response"),
        (("nr_wide", "Reaction ~ a * factor(odd) + (1|Subject)"), ["'a:factor(odd)'", "1e-300", "1e+301"],
         "a column split by a factor across the range"),
        (("nr_wide", "Reaction ~ 1 + (a|Subject)"), ["'a'", "1e-300", "1e+301", "groups"],
         "a random slope across the range"),
    ]
    for (src, formula), fragments, what in cases:
        t.error(db, "SELECT * FROM lmm_fit(?, ?)", (src, formula), fragments, what)
    # a saved fit whose covariances leave the range: lmm_vcov says so, the others read it
    t.error(db, "SELECT * FROM lmm_vcov('nr_small')", (), ["covariance of '(Intercept)' and '(Intercept)'", "range of double"],
            "lmm_vcov beyond the range")
    t.ok(snapshot(db) == before, "the database is unchanged by the errors")


def run(t, db):
    powers_of_two(t, db)
    decimal_units(t, db)
    saved_models(t, db)
    errors(t, db)
