"""Transforms whose values depend on the fitted data (scale, poly, ns, bs) and offset() beyond what the R
reference cases (tests/reference/bases_*.json) check: the option offset= is the formula's offset(); a
basis learns from every row that has its value, a row dropped for a NULL response included, also when
the rows are many (the frame's second thread adds them without allocating); and a prediction on new rows
uses the fitted basis whatever the new rows hold."""
import math
import random

from harness import fit


def run(t, db):
    log_base(t, db)
    offset_option(t, db)
    many_rows(t, db)
    predictions(t, db)


def estimates(rows):
    return {r["term"]: r["estimate"] for r in rows}


def log_base(t, db):
    """log(x, base = b), R's named second argument, as log(x, b); R's lm gives (Intercept) 7.912600312431109 and
    log(Days + 1, base = 10) 0.433207640189164 for this formula."""
    a = estimates(fit(db, "sleepstudy", "log(Reaction, base = 2) ~ log(Days + 1, base = 10)"))
    b = estimates(fit(db, "sleepstudy", "log(Reaction, 2) ~ log(Days + 1, 10)"))
    t.close(1e-12, a["log(Days + 1, base = 10)"], b["log(Days + 1, 10)"], 1e-12, "log(x, base = 10) is log(x, 10)")
    t.close(1e-12, a["log(Days + 1, base = 10)"], 0.433207640189164, 1e-12, "log(x, base = 10): R's coefficient")
    t.close(1e-12, a["(Intercept)"], 7.912600312431109, 1e-12, "log(y, base = 2): R's intercept")


def offset_option(t, db):
    a = estimates(fit(db, "orthodont", "distance ~ Sex + offset(age/2) + (1|Subject)", None, "save=bases_off_f"))
    b = estimates(fit(db, "orthodont", "distance ~ Sex + (1|Subject)", None, "offset=age/2, save=bases_off_o"))
    t.ok(a == b, "offset= and offset() differ: %r %r" % (a, b))
    t.close(1, a["logLik"], -220.1707908535, 1e-9, "offset: logLik (lme4 -220.1708)")
    pf = db.execute("SELECT prediction FROM lmm_predict('bases_off_f', 'orthodont_new') ORDER BY source_rowid").fetchall()
    po = db.execute("SELECT prediction FROM lmm_predict('bases_off_o', 'orthodont_new') ORDER BY source_rowid").fetchall()
    t.ok(pf == po and len(pf) == 4, "offset predictions: %r %r" % (pf, po))
    # R: predict(lmer(distance ~ Sex + offset(age/2) + (1|Subject)), orthodont_new, allow.new.levels = TRUE)
    for (got,), want in zip(pf, (26.34611, 24.58993, 24.96875, 25.78590)):
        t.absclose(got, want, 5e-5, "offset prediction")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'bases_off_%'")
    db.commit()


def many_rows(t, db):
    """y ~ scale(x) over 30,000 rows, a fifth of the responses NULL: the centre and scale are those of all
    x, the coefficients the least squares of the rows kept (closed form for one predictor)."""
    rng = random.Random(15)
    rows = []
    for i in range(30000):
        x = rng.uniform(0, 10) + (i % 7)
        y = None if i % 5 == 2 else 3 + 0.5 * x + rng.gauss(0, 1)
        rows.append((y, x))
    db.execute("CREATE TABLE bases_many (y REAL, x REAL)")
    db.executemany("INSERT INTO bases_many VALUES (?, ?)", rows)
    db.commit()
    xs = [x for _, x in rows]
    centre = sum(xs) / len(xs)
    scale = math.sqrt(sum((x - centre) ** 2 for x in xs) / (len(xs) - 1))
    kept = [(y, (x - centre) / scale) for y, x in rows if y is not None]
    zbar = sum(z for _, z in kept) / len(kept)
    ybar = sum(y for y, _ in kept) / len(kept)
    slope = sum((z - zbar) * (y - ybar) for y, z in kept) / sum((z - zbar) ** 2 for _, z in kept)
    got = estimates(fit(db, "bases_many", "y ~ scale(x)"))
    t.close(1, got["scale(x)"], slope, 1e-10, "scale(x) over many rows: slope")
    t.close(1, got["(Intercept)"], ybar - slope * zbar, 1e-10, "scale(x) over many rows: intercept")
    t.ok(got["nobs"] == 24000, "scale(x) over many rows: nobs %r" % got["nobs"])
    db.execute("DROP TABLE bases_many")
    db.commit()


def predictions(t, db):
    """One new row alone, at a value the fit never saw: the fitted basis makes its columns (a basis made from
    the new rows would have no spread, and poly would refuse it)."""
    db.execute("CREATE TABLE bases_one AS SELECT 12.5 AS Days, '308' AS Subject")
    for formula, want in (("Reaction ~ poly(Days, 2)", 255.4493728 + 7.4340850 * 12.5 + 0.3370223 * 12.5 ** 2),
                          ("Reaction ~ scale(Days)", 251.405105 + 10.467286 * 12.5)):
        fit(db, "sleepstudy", formula, None, "save=bases_one_m")
        (got,), = db.execute("SELECT prediction FROM lmm_predict('bases_one_m', 'bases_one')").fetchall()
        t.absclose(got, want, 1e-4, "%s predicted at Days 12.5" % formula)
        db.execute("DELETE FROM lmm_models WHERE name = 'bases_one_m'")
    db.execute("DROP TABLE bases_one")
    db.commit()
