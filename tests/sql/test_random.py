"""The randomized differential suite of issue 21: lmm_fit on designs R has fitted, reaching R's best optimum.

tests/reference/random/designs.json holds designs drawn at random by tests/reference/make_random.R (single,
nested and crossed groupings, correlated and || slopes on numeric and factor predictors, ML and REML, lme4 and
nlme syntax, NULLs, text and integer ids, badly scaled covariates, singular truths), issue21.json the issue's
repro y ~ f + (f|g) in 105 variants, ML and REML.  Each stores the optima R's engines reached: lme4's default,
tight bobyqa and nloptwrap refits, nlme where the model is one of nlme's, and for a covariate x * 1e6 or x + 1e6
lme4's fit on the well-scaled x mapped back exactly.

For each design, in lme4 syntax and, where lmm_fit has it, nlme's random part:
- nobs, df, ngroups and the coefficients' names are R's;
- lmm's logLik reaches R's best: at least best - 1e-6 |best|;
- where lmm's logLik and an R engine's agree to 1e-7 relative, lmm's values are compared with the best such
  engine's at test_reference.py's tolerances: sigma 0.1 %, estimates within 1e-3 of their standard error,
  standard errors 0.1 %, standard deviations 0.1 % (within 1e-3 sigma at the boundary, and in a singular fit,
  whose likelihood is flat along the face of the boundary it lies on: R's own engines differ there by 2.6 %
  in issue21_M37_P113_G12_K11_D4_REML's sd__fb, 0.0355 and 0.0346, with logLik equal to 1e-9), correlations within
  2e-3 (1e-2 at +-1; a correlation of a term whose standard deviation is at the boundary has no value and is
  not compared);  nlme's denominator df exactly, where nlme fits the model;
- where lmm's logLik is above every R engine's by more than 1e-7 relative, R stopped short (lme4 on a slope of
  x * 1e6 stops logLik units short, and all of lme4's optimizers stop short with x + 1e6 in the fixed part):
  the logLik check above is what holds, and such designs are listed.  For the scaled designs the rescaled refit
  is the engine that agrees with lmm, so their values are checked against it.
(f||g), lme4's (1|g) + (0 + f|g), has one variance too many: its likelihood is flat along a line, so its
variance components are not compared; its logLik, fixed effects and standard errors are.

Outside make test, another draw is checked with: python3 tests/sql/test_random.py build/lmm FILE.json ...
"""
import collections
import json
import math
import os
import re
import sys
import time

import harness

FILES = [os.path.join(harness.ROOT, "tests", "reference", "random", f) for f in ("designs.json", "issue21.json")]
NOT_IDENTIFIED = {"single_funcorr"}


def canon_grp(grp):
    # lme4 names (x||g)'s second term g.1 and (1|a/b/c)'s inner levels b:a, c:(b:a); nlme (here) and lmm a:b
    if grp == "Residual":
        return grp
    return ":".join(sorted(re.sub(r"[()]", "", re.sub(r"\.\d+$", "", grp)).split(":")))


def ran_pars(rows):
    return {(canon_grp(r["grp"]), r["term"]): r["estimate"] for r in rows}


def make_table(db, design):
    db.execute("DROP TABLE IF EXISTS d")
    cols = list(design["data"])
    decl = {"text": "TEXT", "integer": "INTEGER", "real": "REAL"}
    db.execute("CREATE TABLE d (%s)" % ", ".join('"%s" %s' % (c, decl[design["types"][c]]) for c in cols))
    db.executemany("INSERT INTO d VALUES (%s)" % ", ".join("?" * len(cols)), zip(*(design["data"][c] for c in cols)))


def se_scale(nlme_style, design, fit):
    # nlme's summary() (and lmm_fit given nlme's random part) reports ML standard errors times sqrt(n / (n - p));
    # lme4 does not
    ml = design.get("options") == "method=ML"
    return math.sqrt(fit["nobs"] / (fit["nobs"] - len(fit["fixed"]))) if ml and nlme_style else 1.0


def compare_values(t, name, design, call, rows, ref):
    fitrow = {(r["term"], r["grp"]): r["estimate"] for r in rows if r["effect"] == "fit"}
    sigma = ref["sigma"]
    scale = se_scale(call["random"] is not None, design, ref) / se_scale(ref["engine"] == "nlme", design, ref)
    t.close(None, fitrow[("sigma", None)], sigma, 1e-3, name + " sigma")
    fixed = {r["term"]: r for r in rows if r["effect"] == "fixed"}
    for f in ref["fixed"]:
        mine = fixed.get(f["term"])
        if not t.ok(mine is not None, "%s: no coefficient %s" % (name, f["term"])):
            continue
        t.absclose(mine["estimate"], f["estimate"], 1e-3 * f["std_error"], "%s %s estimate" % (name, f["term"]))
        t.close(None, mine["std_error"], f["std_error"] * scale, 1e-3, "%s %s std_error" % (name, f["term"]))
    want = ran_pars(ref["ran_pars"])
    got = ran_pars([r for r in rows if r["effect"] == "ran_pars"])
    if design["kind"] in NOT_IDENTIFIED:
        want = {k: v for k, v in want.items() if k[0] == "Residual"}
        got = {k: v for k, v in got.items() if k[0] == "Residual"}
    t.ok(sorted(got) == sorted(want), "%s: variance parameters %r, R (%s) %r" % (name, sorted(got), ref["engine"], sorted(want)))
    for (grp, term), v in want.items():
        mine = got.get((grp, term))
        what = "%s %s %s (%s)" % (name, grp, term, ref["engine"])
        if mine is None:
            continue
        if term.startswith("sd__"):
            if ref.get("singular"):   # flat along the face it lies on: 0.1 % or 1e-3 sigma, the larger
                t.absclose(mine, v, max(1e-3 * abs(v), 1e-3 * sigma), what)
            elif v > 1e-3 * sigma:
                t.close(None, mine, v, 1e-3, what)
            else:
                t.absclose(mine, v, 1e-3 * sigma, what)
            continue
        sds = [want[(grp, s)] for s in sd_pair(term, [k[1] for k in want if k[0] == grp])]
        if min(sds) <= 1e-3 * sigma:
            continue  # the correlation of a zero-variance column is not determined
        t.absclose(mine, v, 1e-2 if abs(v) > 0.999 else 2e-3, what)


def sd_pair(cor_term, terms):
    sds = [s[4:] for s in terms if s.startswith("sd__")]
    for a in sds:
        for b in sds:
            if cor_term == "cor__%s.%s" % (a, b):
                return ["sd__" + a, "sd__" + b]
    raise ValueError("no standard deviations for " + cor_term)


def check_call(t, db, design, call, data, stats):
    name = "%s [%s]" % (design["name"], "nlme syntax" if call["random"] else "lme4 syntax")
    fits = [f for f in design["fits"] if not f.get("error")]
    nlme = [f for f in fits if f["engine"] == "nlme"]
    options = design.get("options")
    if nlme and not call["random"]:   # lme4's formulas get Satterthwaite's df unless asked for nlme's
        options = (options + ", " if options else "") + "df=containment"
    rows = harness.fit(db, data, call["formula"], call["random"], options)
    fitrow = {(r["term"], r["grp"]): r["estimate"] for r in rows if r["effect"] == "fit"}
    r0 = fits[0]
    t.ok(fitrow[("nobs", None)] == r0["nobs"], "%s nobs %r, R %r" % (name, fitrow[("nobs", None)], r0["nobs"]))
    t.ok(fitrow[("df", None)] == r0["df"], "%s df %r, R %r" % (name, fitrow[("df", None)], r0["df"]))
    ngroups = {canon_grp(g): n for g, n in r0["ngroups"].items()}
    mine = {canon_grp(g): n for (term, g), n in fitrow.items() if term == "ngroups"}
    t.ok(mine == ngroups, "%s ngroups %r, R %r" % (name, mine, ngroups))
    terms = [r["term"] for r in rows if r["effect"] == "fixed"]
    t.ok(terms == [f["term"] for f in r0["fixed"]], "%s coefficients %r, R %r" % (name, terms, [f["term"] for f in r0["fixed"]]))
    if nlme:
        df = {r["term"]: r["df"] for r in rows if r["effect"] == "fixed"}
        for f in nlme[0]["fixed"]:
            t.ok(df.get(f["term"]) == f["df"], "%s %s df %r, nlme %r" % (name, f["term"], df.get(f["term"]), f["df"]))

    loglik = fitrow[("logLik", None)]
    # R's fits on a badly scaled column compute the likelihood with lost digits and may land above the true
    # optimum; where the exact rescaled refit exists, it is the reference
    rescaled = [f for f in fits if f["engine"].startswith("rescaled")]
    best = max(rescaled or fits, key=lambda f: f["logLik"])
    t.ok(loglik >= best["logLik"] - 1e-6 * abs(best["logLik"]),
         "%s: logLik %r below R's best %r (%s)" % (name, loglik, best["logLik"], best["engine"]))
    agree = [f for f in fits if abs(loglik - f["logLik"]) <= 1e-7 * abs(f["logLik"])]
    if agree:
        ref = max(agree, key=lambda f: f["logLik"])
        stats["compared with " + ref["engine"].split(" (")[0]] += 1
        compare_values(t, name, design, call, rows, ref)
    elif loglik > best["logLik"]:
        stats["above"].append("%s: lmm %.10g, R's best %.10g (%s)" % (name, loglik, best["logLik"], best["engine"]))


def check_file(t, db, path, report=print):
    with open(path) as f:
        suite = json.load(f)
    start = time.time()
    stats = collections.Counter()
    stats["above"] = []
    kinds = collections.OrderedDict()
    tags = collections.defaultdict(lambda: [0, 0])
    for design in suite["designs"]:
        if "query" in design:
            data = design["query"]
            y_sum = db.execute("SELECT sum(y) FROM (%s)" % data).fetchone()[0]
            t.close(None, y_sum, design["y_sum"], 1e-12, design["name"] + ": the query's rows are R's")
        else:
            make_table(db, design)
            data = "d"
        k = kinds.setdefault(design["kind"], [0, 0, 0])
        k[0] += 1
        for call in design["calls"]:
            before = t.failed
            try:
                check_call(t, db, design, call, data, stats)
            except Exception as e:  # an SQL error is a failed call, not a crash of the run
                t.ok(False, "%s [%s]: %s: %s" % (design["name"], call["formula"], type(e).__name__, e))
            k[1] += 1
            k[2] += t.failed > before
            for tag in design["tags"] + [design.get("fixed_template", ""), "call_nlme" if call["random"] else "call_lme4"]:
                tags[tag][0] += 1
                tags[tag][1] += t.failed > before
    report("%s: %d designs in %.1f s" % (os.path.basename(path), len(suite["designs"]), time.time() - start))
    for kind, (n, calls, failed) in kinds.items():
        report("  %-16s %3d designs %3d calls %3d failed" % (kind, n, calls, failed))
    report("  by feature (calls, failed): " + ", ".join("%s %d/%d" % (k, v[0], v[1]) for k, v in sorted(tags.items()) if k))
    for key in sorted(k for k in stats if k != "above"):
        report("  %s: %d calls" % (key, stats[key]))
    for line in stats["above"]:
        report("  lmm above every R engine: " + line)


def run(t, db):
    mem = harness.connect(os.environ["LMM_EXT"], ":memory:")
    for path in FILES:
        check_file(t, mem, path)
    mem.close()


if __name__ == "__main__":
    os.environ["LMM_EXT"] = sys.argv[1]
    checks = harness.Checks()
    conn = harness.connect(sys.argv[1], ":memory:")
    for p in sys.argv[2:] or FILES:
        check_file(checks, conn, p)
    sys.exit(checks.summary())
