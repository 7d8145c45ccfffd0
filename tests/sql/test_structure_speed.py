"""Residual structures fitted by one optimizer over theta and the structure's parameters (issue 16's speed):
the evaluations it takes, the one-pass sums (corAR1 with varIdent) against the rows whitened anew (corARMA(1, 0),
the same model), and an interrupt of a long structured lme fit on either path.  nlme's numbers are
test_structures'; here the two paths of lmm agree with each other, and the fits stop when asked."""
import threading
import time

from harness import fit

OVARY = ("ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "1|Mare")


def est(rows, term):
    return next(r["estimate"] for r in rows if r["term"] == term)


def evaluations(t, db):
    """Before the one optimizer, each evaluation of the structure's parameters was a whole inner fit: Orthodont's
    lme with varIdent and corCompSymm took 63,329 deviance evaluations, Dialyzer's varConstPower 16,785, the
    Ovary lme with corAR1 several hundred.  The one optimizer took 1,012, 1,384 and 79, and a panel of 3,000
    subjects with corAR1 and varIdent 154, while its restarts began with the whole first trust region, theta's
    first step was the one of a fit without a structure and its first run was polished before the restart did
    it again; now 317, 696, 61 and 99."""
    panel = ("SELECT i / 10 AS subject, i % 10 AS time, ((i * 7919) % 1000) / 1000.0 AS x, CASE (i / 10) % 3 "
             "WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS grp, ((i / 10) * 104729 % 997) / 300.0 + "
             "((i * 15485863) % 1009) / 200.0 AS y FROM (WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
             "FROM k WHERE i < 29999) SELECT i FROM k)")
    cases = [("orthodont_chr", "distance ~ age * Sex", "1|Subject",
              "weights=varIdent(form = ~ 1 | Sex), correlation=corCompSymm(form = ~ 1 | Subject)", 500),
             ("dialyzer", "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB",
              "pressure + I(pressure^2)|Subject", "weights=varConstPower(form = ~ pressure)", 1000),
             OVARY + ("correlation=corAR1(form = ~ 1 | Mare)", 70),
             (panel, "y ~ x + grp", "1|subject",
              "correlation=corAR1(form = ~ time | subject), weights=varIdent(form = ~ 1 | grp)", 125)]
    for data, formula, random, options, most in cases:
        n = est(fit(db, data, formula, random, options), "evaluations")
        t.ok(n <= most, "%s %s: %d deviance evaluations, more than %d" % (data[:40], options, n, most))


def sums_against_whitening(t, db):
    """corAR1 goes through the sums accumulated once, corARMA(p = 1, q = 0) (the same correlation) through a dense
    whitening of each group: the same optimum, with random effects and without, and with varIdent."""
    strata = "SELECT *, Time > 0.5 AS late FROM ovary"
    for random in ("1|Mare", None):
        for weights in ("", ", weights=varIdent(form = ~ 1 | late)"):
            a = fit(db, strata, OVARY[1], random, "correlation=corAR1(form = ~ 1 | Mare)" + weights)
            b = fit(db, strata, OVARY[1], random, "correlation=corARMA(p = 1, q = 0, form = ~ 1 | Mare)" + weights)
            what = "corAR1 against corARMA(1, 0), random %s%s" % (random, weights)
            t.close(None, est(a, "logLik"), est(b, "logLik"), 1e-9, what + ": logLik")
            t.close(None, est(a, "corAR1__Phi"), est(b, "corARMA__Phi1"), 1e-4, what + ": Phi")
            for term in ("(Intercept)", "sin(2 * pi * Time)"):
                t.close(None, est(a, term), est(b, term), 1e-5, what + ": " + term)
    # 6,000 subjects: enough levels that the sums' combination is cut into parts run on threads
    db.execute("CREATE TEMP TABLE s16_parts AS SELECT i / 10 AS subject, i % 10 AS time, ((i * 7919) % 1000) / 1000.0 "
               "AS x, CASE (i / 10) % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS grp, ((i / 10) * 104729 % 997) "
               "/ 300.0 + ((i * 15485863) % 1009) / 200.0 + ((i * 31) % 17) / 10.0 AS y FROM (WITH RECURSIVE k(i) AS "
               "(SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 59999) SELECT i FROM k)")
    weights = ", weights=varIdent(form = ~ 1 | grp)"
    a = fit(db, "s16_parts", "y ~ x + grp", "1|subject", "correlation=corAR1(form = ~ time | subject)" + weights)
    b = fit(db, "s16_parts", "y ~ x + grp", "1|subject", "correlation=corARMA(p = 1, q = 0, form = ~ time | subject)" + weights)
    t.close(None, est(a, "logLik"), est(b, "logLik"), 1e-12, "6,000 subjects, corAR1 against corARMA(1, 0): logLik")
    t.close(None, est(a, "corAR1__Phi"), est(b, "corARMA__Phi1"), 1e-6, "6,000 subjects: Phi")
    t.close(None, est(a, "x"), est(b, "x"), 1e-7, "6,000 subjects: x")


def interrupted(t, db):
    """sqlite3_interrupt() stops a long structured lme fit on the sums and on the rows whitened anew."""
    db.execute("CREATE TEMP TABLE s16_panel AS WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k "
               "WHERE i < 299999) SELECT i / 10 AS subject, i % 10 AS time, ((i * 7919) % 1000) / 1000.0 AS x, "
               "CASE (i / 10) % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS grp, "
               "((i / 10) * 104729 % 997) / 300.0 + ((i * 15485863) % 1009) / 200.0 AS y FROM k")
    for options in ("correlation=corAR1(form = ~ time | subject), weights=varIdent(form = ~ 1 | grp)",
                    "correlation=corCompSymm(form = ~ 1 | subject)"):
        # halfway through the whole fit, timed first: a fixed delay fell after the end once the fit got faster
        start = time.time()
        whole = fit(db, "s16_panel", "y ~ x + grp", "1|subject", options)
        t.ok(len(whole) > 0, "the structured fit uninterrupted (%s)" % options)
        fired = []

        def interrupt():
            fired.append(time.time())
            db.interrupt()
        timer = threading.Timer((time.time() - start) / 2, interrupt)
        timer.start()
        t.error(db, "SELECT * FROM lmm_fit('s16_panel', 'y ~ x + grp', '1|subject', ?)", (options,), ["interrupted"],
                "a structured lme fit interrupted (%s)" % options)
        stopped = time.time()
        timer.join()
        # from the interrupt, not from the statement's start: under the sanitizers half the fit is 3 s or more
        t.ok(fired and stopped - fired[0] < 3, "the structured fit took %.1f s to stop after the interrupt"
             % (stopped - fired[0] if fired else -1))
    db.execute("DROP TABLE s16_panel")
    t.ok(len(fit(db, *OVARY, "correlation=corAR1(form = ~ 1 | Mare)")) > 0, "a fit after the interrupts")


def run(t, db):
    evaluations(t, db)
    sums_against_whitening(t, db)
    interrupted(t, db)
