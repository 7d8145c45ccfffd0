"""lmm_variogram(model [, options]): nlme's Variogram(m, form = ~ t) of a saved model's residuals (issue 16),
against tests/reference/structures' variograms (bodyweight_varpower: ~ Time, 11 distinct distances, one row each;
wheat2_ratio: ~ latitude + longitude, binned at the distances' quantiles, the pairs at the smallest distance
outside every bin as in R's cut()) to 4 significant digits, rows and pair counts exactly; nlme's options
resType=normalized and maxDist=, its default form (positions in the group, or a spatial correlation's
covariates), and its errors."""
import json
import os
import sqlite3
import threading
import time

from harness import ROOT, fit
from test_structures import local

CASES = os.path.join(ROOT, "tests", "reference", "structures")


def close4(got, want, floor=0):
    return got is not None and abs(got - want) <= 1e-4 * max(abs(want), floor)


def check(t, db, name, options, want, what, floor=0):
    got = db.execute("SELECT dist, variog, n_pairs FROM lmm_variogram(?, ?)", (name, options)).fetchall()
    t.ok(len(got) == len(want), "%s: %d rows, nlme %d" % (what, len(got), len(want)))
    bad = [(g, w) for g, w in zip(got, want) if not (close4(g[0], w["dist"]) and close4(g[1], w["variog"], floor)
                                                     and g[2] == w["n_pairs"])]
    t.ok(not bad, "%s against nlme: %r" % (what, bad[:3]))


def reference(t, db, case, form):
    ref = json.load(open(os.path.join(CASES, case + ".json")))
    sql = local(ref["sql"])
    fit(db, sql["data"], sql["formula"], sql.get("random"), sql["options"] + ", save=vg_" + case)
    check(t, db, "vg_" + case, "form=" + form, ref["variogram"]["rows"], "%s Variogram(m, form = %s)" % (case, form))
    return "vg_" + case


# R 4.2.2, nlme 3.1-162, on the reference fits (bodyweight with Rat and Diet as text):
# Variogram(b, form = ~ Time, maxDist = 20), Variogram(b)[1:3, ] (positions in the group) and
# Variogram(m, form = ~ latitude + longitude, resType = "normalized")[1:3, ]
R_MAXDIST = [(1, 0.3450598811, 16), (6, 0.9932556665, 16), (7, 0.7620087706, 144), (8, 0.6849327675, 16),
             (13, 0.6818411515, 16), (14, 0.9511900418, 128), (15, 0.8996143281, 16), (20, 1.6944077778, 16)]
R_POSITIONS = [(1, 0.6904928455, 160), (2, 0.9791491746, 144), (3, 1.0880132095, 128)]
R_NORMALIZED = [(4.3, 0.7228780695, 1143), (5.608029957, 0.7230848050, 1259), (8.386298349, 0.7312549050, 1263)]


def as_rows(rows):
    return [{"dist": d, "variog": v, "n_pairs": n} for d, v, n in rows]


def options(t, db, bw, wheat):
    """nlme's options and defaults against R."""
    check(t, db, bw, "form=~ Time, maxDist=20", as_rows(R_MAXDIST), "maxDist=20")
    got = db.execute("SELECT dist, variog, n_pairs FROM lmm_variogram(?) LIMIT 3", (bw,)).fetchall()
    t.ok(all(g[0] == w[0] and close4(g[1], w[1]) and g[2] == w[2] for g, w in zip(got, R_POSITIONS)) and len(got) == 3,
         "the default form of an lme: positions in the group, %r, R %r" % (got, R_POSITIONS))
    got = db.execute("SELECT dist, variog, n_pairs FROM lmm_variogram(?, 'resType=normalized') LIMIT 3", (wheat,)).fetchall()
    t.ok(all(close4(g[0], w[0]) and close4(g[1], w[1]) and g[2] == w[2] for g, w in zip(got, R_NORMALIZED)) and len(got) == 3,
         "normalized residuals of the spatial fit, its covariates the default form: %r, R %r" % (got, R_NORMALIZED))
    every = db.execute("SELECT * FROM lmm_variogram(?, 'form=~ Time')", (bw,)).fetchall()
    t.ok(db.execute("SELECT * FROM lmm_variogram(?, 'form=~ Time, resType=normalized')", (bw,)).fetchall() == every,
         "resType=normalized without a correlation is pearson")


def errors(t, db, bw):
    before = db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall()
    q = "SELECT * FROM lmm_variogram(?, ?)"
    for opts, fragments, what in [
        ("form=~ Tim", ["lmm_variogram: form: 'Tim' is not a numeric variable the model reads"], "an unknown covariate"),
        ("form=~ Time | Diett", ["form: 'Diett' is not a grouping the model reads"], "an unknown grouping"),
        ("form=Time", ["form must be a one-sided formula, form=~ t"], "a form without ~"),
        ("resType=deviance", ["resType must be pearson, normalized or response, not 'deviance'"], "an unknown resType"),
        ("maxDist=far", ["maxDist must be a distance (a number, 0 or more), not 'far'"], "maxDist not a number"),
        ("colour=red", ["'colour' is not an option of lmm_variogram; it takes form=, resType=, maxDist=, nint=, breaks=, "
                        "robust= and collapse="], "an unknown option"),
        ("nint=0", ["nint must be a whole number of bins from 1 to 100000, not '0'"], "nint 0"),
        ("nint=2.5", ["nint must be a whole number of bins", "not '2.5'"], "nint not whole"),
        ("breaks=c(1, x)", ["breaks must be up to 256 numbers, as breaks=c(0, 5, 10), not 'c(1, x)'"], "breaks with a word"),
        ("breaks=c()", ["breaks must be numbers"], "no breaks"),
        ("robust=maybe", ["robust must be TRUE or FALSE, not 'maybe'"], "robust not logical"),
        ("collapse=bins", ["collapse must be quantiles, fixed or none, not 'bins'"], "an unknown collapse"),
        ("form=~ Time, breaks=c(10, 30, 50), nint=5",
         ["nint=5 is not consistent with breaks= (3 bins: nlme adds the smallest distance below the breaks"],
         "nint against breaks (nlme's \"'nint' is not consistent with 'breaks'\")"),
        ("form=~ Time, breaks=c(10, 30, 30)", ["breaks are not unique (30 is given twice"], "repeated breaks"),
        ("form=~ Time, maxDist=0.5", ["the variogram has no pairs of rows", "maxDist= leaves none"], "maxDist below every pair"),
    ]:
        t.error(db, q, (bw, opts), fragments, what)
    t.error(db, q, ("vg_nosuch", None), ["lmm_variogram: no saved model 'vg_nosuch'"], "an unknown model")
    t.ok(db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall() == before, "the errors changed lmm_models")


def nlme_options(t, db):
    """nlme's Variogram() options (nint, collapse = "fixed" and "none", breaks, robust, resType = "response", with
    maxDist) and a grouped gls's default grouping (the correlation's groups) against tests/reference/structures3/
    variograms.json (make_structures3.R), to 4 significant digits, rows and pair counts exactly."""
    ref = json.load(open(os.path.join(ROOT, "tests", "reference", "structures3", "variograms.json")))
    saved = {}
    for case in ref["cases"]:
        if case["model"] not in saved:
            sql = local(case["sql"])
            saved[case["model"]] = "vg3_" + case["model"]
            fit(db, sql["data"], sql["formula"], sql.get("random"), (sql["options"] or "") + ", save=vg3_" + case["model"])
        want = [dict(r, n_pairs=1 if r["n_pairs"] is None else r["n_pairs"]) for r in case["rows"]]
        # every pair a row: a semivariance is a squared difference of two residuals, so where they nearly cancel
        # (1e-6 against a typical 1) it keeps fewer digits; those are held to 1e-4 of 0.01
        floor = 0.01 if "collapse=none" in case["options"] else 0
        check(t, db, saved[case["model"]], case["options"], want, "%s %s" % (case["model"], case["call"]), floor)
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'vg3\\_%' ESCAPE '\\'")
    db.commit()


def interrupted(t, db):
    """One group of 4,000 rows, 8 million pairs: their sort (qsort, 1.9 s here) and the collapse saw no
    interrupt (10,000 rows, 50 million pairs, were stopped 12 s after sqlite3_interrupt()).  Stopped within LAG
    now, and the variogram is the one qsort's stable merge sort gave (the same rows to the last bit)."""
    LAG = 2.0 if os.environ.get("ASAN_OPTIONS") else 0.5
    rows = ("WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 3999) "
            "SELECT (i * 7919 % 1000) / 1000.0 AS y, (i * 7907 % 4001) * 1.0 AS t FROM r")
    fit(db, rows, "y ~ t", None, "save=vg_pairs")
    fired = []
    timer = threading.Timer(0.1, lambda: (fired.append(time.perf_counter()), db.interrupt()))
    timer.start()
    try:
        db.execute("SELECT * FROM lmm_variogram('vg_pairs', 'form=~ t')").fetchall()
        got = "finished"
    except sqlite3.OperationalError as e:
        got = str(e)
    timer.join()
    lag = time.perf_counter() - fired[0]
    t.ok(got == "lmm_variogram: interrupted" and lag < LAG, "variogram of 8M pairs: %s, %.3f s after the interrupt"
         % (got, lag))
    got = db.execute("SELECT * FROM lmm_variogram('vg_pairs', 'form=~ t, nint=5')").fetchall()
    want = [(207.0, 1.0021414065202285, 1598231), (654.0, 0.9983640321302643, 1598423),
            (1173.0, 0.9978251253487187, 1600597), (1810.0, 1.0002492357662975, 1597290),
            (2735.0, 0.9993923082985906, 1599461)]
    t.ok(got == want, "variogram of 8M pairs in 5 bins: %r" % got)
    # uncollapsed, every pair is a row of the result, held whole: 8M rows are refused, not a bare out-of-memory
    t.error(db, "SELECT count(*) FROM lmm_variogram('vg_pairs', 'form=~ t, collapse=none')", (),
            ["collapse=none gives a row for each of the 7998000 pairs of rows, more than 5000000", "maxDist="],
            "collapse=none over 8M pairs")
    t.ok(db.execute("SELECT count(*) FROM lmm_variogram('vg_pairs', 'form=~ t, collapse=none, maxDist=1')").fetchone()[0]
         > 0, "collapse=none narrowed by maxDist=")
    db.execute("DELETE FROM lmm_models WHERE name = 'vg_pairs'")


def run(t, db):
    interrupted(t, db)
    nlme_options(t, db)
    bw = reference(t, db, "bodyweight_varpower", "~ Time")
    wheat = reference(t, db, "wheat2_ratio", "~ latitude + longitude")
    options(t, db, bw, wheat)
    errors(t, db, bw)
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'vg\\_%' ESCAPE '\\'")
    db.commit()
