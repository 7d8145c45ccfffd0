"""lmm_confint (issue 17) against R: tests/reference/confint_*.json (make_confint.R).

wald      lme4's confint(method = "Wald"), R's confint(lm): bounds within 1e-4 relative.
intervals nlme's intervals(): fixed effects within 1e-4 relative; the variance parameters within 1e-4 of
          rows_accurate (the same intervals from the Hessian of the same log-likelihood by Richardson
          extrapolation) and within 5e-3 of nlme's printed ones, whose finite differences (steps 6e-6 relative)
          leave 0.1-0.4 % of rounding in the standard errors (make_confint.R says how it was measured).
profile   lme4's confint(method = "profile"): within 1e-3 relative; a bound on a boundary (sd 0, cor -+1)
          exactly.  Where lme4's own profile stopped short (rows_checked: R's multi-start profile of the same
          deviance puts zeta elsewhere), the checked bound; lmm6.2 within 2e-3 (PROFILE_TOL says why).
The estimate column is the model's own (lmm_tidy's), the method column the method used.
"""
import glob
import json
import os
import threading
import time

from harness import ROOT


# lmm6.2's profile (both correlations at -+1): 25 of its 26 bounds agree with rows_checked within 1e-8; the lower
# bound of popu's sd(Intercept) is 0.263714 in lmm, 0.264180 in R's check (1.8e-3).  R's BOBYQA from 61 starts puts
# zeta at -1.96082 at lmm's bound, lmm -1.95996: which of the two minima is the lower is not settled, so that case
# is held to 2e-3.
PROFILE_TOL = {"confint_arabidopsis_lmm6.2_profile": 2e-3}


def confint(db, name, method=None, options=None):
    cur = db.execute("SELECT effect, grp, term, lower, estimate, upper, method FROM lmm_confint(?, ?, ?)",
                     (name, method, options))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def key(r):
    return (r["effect"], r["grp"], r["term"])


def bound_ok(got, want, tol):
    if want in (0, 1, -1):   # on a boundary: exactly there
        return got is not None and abs(got - want) <= 1e-12
    return got is not None and abs(got - want) <= tol * abs(want)


def check_rows(t, case, got, want, tol, label, fields=("lower", "upper")):
    by = {key(r): r for r in got}
    for w in want:
        g = by.get(key(w))
        if not t.ok(g is not None, "%s: no row %r (rows: %r)" % (case, key(w), list(by))):
            continue
        for f in fields:
            t.ok(bound_ok(g[f], w[f], tol), "%s %s %s %s: got %r, R %r (%s, rel tol %g)"
                 % (case, w["grp"], w["term"], f, g[f], w[f], label, tol))


def run_case(t, db, ref):
    case, sql = ref["confint_case"], ref["sql"]
    opts = ((sql["options"] + ", ") if sql["options"] else "") + "save=" + case
    db.execute("SELECT count(*) FROM lmm_fit(?, ?, ?, ?)", (sql["data"], sql["formula"], sql["random"], opts)).fetchall()
    level = "level=%r" % ref["level"] if ref["level"] != 0.95 else None
    got = confint(db, case, ref["method"], level)
    t.ok(all(r["method"] == ref["method"] for r in got), "%s: method column %r" % (case, {r["method"] for r in got}))
    t.ok(len(got) == len(ref["rows"]), "%s: %d rows, R %d" % (case, len(got), len(ref["rows"])))
    # the estimate column is the model's own: lmm_tidy's estimates, which are R's within R's optimum's precision
    # (lme4 stops 3e-6 short in logLik on Orthodont's (age|Subject): 1.4e-4 in sd(Intercept); test_reference
    # holds the estimates to R's)
    tidy = {(r[0], r[1], r[2]): r[3] for r in db.execute("SELECT effect, grp, term, estimate FROM lmm_tidy(?)", (case,))}
    t.ok(all(r["estimate"] == tidy[key(r)] for r in got), "%s: estimates are lmm_tidy's" % case)
    check_rows(t, case, got, ref["rows"], 1e-3, "estimate", ("estimate",))
    if ref["method"] == "wald":
        check_rows(t, case, got, ref["rows"], 1e-4, "R")
    elif ref["method"] == "intervals":
        fixed = [r for r in ref["rows"] if r["effect"] == "fixed"]
        varpar = [r for r in ref["rows"] if r["effect"] != "fixed"]
        check_rows(t, case, got, fixed, 1e-4, "nlme")
        check_rows(t, case, got, ref.get("rows_accurate") or varpar, 1e-4, "nlme's log-likelihood, exact Hessian")
        check_rows(t, case, got, varpar, 5e-3, "nlme's printed intervals")
    else:
        check_rows(t, case, got, ref.get("rows_checked") or ref["rows"], PROFILE_TOL.get(case, 1e-3), "lme4 profile")
    return got


def run(t, db):
    refs = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "reference", "confint_*.json"))):
        with open(path) as f:
            ref = json.load(f)
        refs[ref["confint_case"]] = (ref, run_case(t, db, ref))
    t.ok(len(refs) == 13, "%d confint reference cases, 13 expected" % len(refs))
    # the default method: profile for lme4's formulas, intervals for nlme's calls and gls, wald for lm
    for case, method in (("confint_sleepstudy_profile", "profile"), ("confint_orthodont_lme", "intervals"),
                         ("confint_orthodont_gls", "intervals"), ("confint_orthodont_lm", "wald")):
        got = confint(db, case)
        t.ok({r["method"] for r in got} == {method}, "%s: default method %r" % (case, {r["method"] for r in got}))
    # wald of an nlme fit is intervals(which = "fixed"); of lm its confint; profile and intervals agree with it
    # on the fixed effects of lm-like models
    iv = [r for r in confint(db, "confint_orthodont_lme", "wald")]
    want = [r for r in refs["confint_orthodont_lme"][0]["rows"] if r["effect"] == "fixed"]
    check_rows(t, "confint_orthodont_lme wald", iv, want, 1e-4, "nlme intervals(which = 'fixed')")
    # level= moves the bounds: a 90 % interval lies inside the 95 % one
    narrow = {key(r): r for r in confint(db, "confint_sleepstudy_profile", "profile", "level=0.9")}
    for r in refs["confint_sleepstudy_profile"][1]:
        n = narrow[key(r)]
        t.ok(r["lower"] < n["lower"] < n["estimate"] < n["upper"] < r["upper"], "90 %% inside 95 %%: %r %r" % (n, r))
    # a profile is many fits: sqlite3_interrupt() stops it within a moment.  lmm6.2's takes 0.2 s here, so a
    # crossed model of 300 + 300 levels whose profile takes some seconds, interrupted halfway through what the
    # uninterrupted call took, well after the model is open (lmm_augment opens it the same way)
    db.execute("CREATE TEMP TABLE ci_crossed AS WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i "
               "WHERE k < 19999) SELECT (k * 7919 % 1003) * 0.01 + (k % 300) * 0.05 + ((k * 31 + k / 300) % 300) * 0.03 "
               "AS y, k % 300 AS a, (k * 31 + k / 300) % 300 AS b FROM i")
    db.execute("SELECT * FROM lmm_fit('ci_crossed', 'y ~ 1 + (1|a) + (1|b)', NULL, 'method=ML, save=confint_crossed')")
    start = time.time()
    db.execute("SELECT * FROM lmm_augment('confint_crossed')").fetchall()
    opened = time.time() - start
    start = time.time()
    db.execute("SELECT * FROM lmm_confint('confint_crossed', 'profile')").fetchall()
    whole = time.time() - start
    t.ok(whole > 3 * opened, "the profile (%.2f s) takes longer than opening the model (%.2f s)" % (whole, opened))
    timer = threading.Timer(whole / 2, db.interrupt)
    start = time.time()
    timer.start()
    t.error(db, "SELECT * FROM lmm_confint('confint_crossed', 'profile')", (), ["lmm_confint: interrupted"],
            "profile interrupted")
    timer.join()
    t.ok(time.time() - start < whole / 2 + 1, "the profile took %.2f s to stop after an interrupt at %.2f s"
         % (time.time() - start, whole / 2))
    db.execute("DROP TABLE ci_crossed")
    # boot: lme4's confint(method = "boot", boot.type = "perc") on lmm_bootstrap's replicates of the same seed; with
    # 199 finite replicates (R + 1) alpha is 5 and 195 at level 0.95 (5 + 4e-15 in doubles, as in R, whose boot
    # then interpolates with that weight), so the bounds are the 5th and 195th of them
    boot = confint(db, "confint_sleepstudy_profile", "boot", "nsim=199, seed=3")
    reps = {}
    for r in db.execute("SELECT effect, grp, term, estimate FROM lmm_bootstrap('confint_sleepstudy_profile', "
                        "'nsim=199, seed=3')"):
        reps.setdefault(r[:3], []).append(r[3])
    t.ok([key(r) for r in boot] == list(reps) and len(boot) == 6, "boot: one row a parameter, %r" % [key(r) for r in boot])
    for r in boot:
        s = sorted(x for x in reps.get(key(r), []) if x is not None)
        t.ok(len(s) == 199 and abs(r["lower"] - s[4]) <= 1e-12 * abs(s[4]) and abs(r["upper"] - s[194]) <= 1e-12 * abs(s[194])
             and r["method"] == "boot",
             "boot %r: %r, the 5th and 195th of %d replicates %r" % (key(r), (r["lower"], r["upper"]), len(s),
                                                                      (s[4], s[194]) if len(s) > 194 else None))
    prof = {key(r): r["estimate"] for r in refs["confint_sleepstudy_profile"][1]}
    t.ok(all(abs(r["estimate"] - prof[key(r)]) <= 1e-9 * abs(prof[key(r)]) for r in boot), "boot: the fit's estimates")
    t.ok(confint(db, "confint_sleepstudy_profile", "boot", "nsim=199, seed=3, threads=1") == boot,
         "boot: the same intervals on one thread")
    # the models this module saved go, so later modules' lists of saved models are theirs
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'confint\\_%' ESCAPE '\\'")
    db.commit()
