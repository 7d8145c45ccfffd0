"""df=kenward-roger (issue 17): pbkrtest's adjusted covariance and lmerTest's Kenward-Roger t tests.

test_reference compares lmm_fit's fixed rows with lmerTest's summary(ddf = "Kenward-Roger") on the kr_*
cases (df, p, and the standard errors, which are the adjusted covariance's).  Here: a saved model keeps the
choice, lmm_vcov gives pbkrtest's vcovAdj and lmm_tidy the rows lmm_fit gave; a model saved with another df
gives the unadjusted vcov; lmm_update keeps the option; lm is R's n - p whatever is asked.
"""
import json
import os

from harness import ROOT, fit


def ref(case):
    with open(os.path.join(ROOT, "tests", "reference", case + ".json")) as f:
        return json.load(f)


def fixed(rows):
    return [r for r in rows if r["effect"] == "fixed"]


def tidy(db, name):
    cur = db.execute("SELECT * FROM lmm_tidy(?) WHERE effect = 'fixed'", (name,))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def vcov(db, name):
    return [r[0] for r in db.execute("SELECT covariance FROM lmm_vcov(?)", (name,))]


def check_vcov(t, got, want, what, tol=1e-4):
    p = len(want)
    flat = [want[i][j] for i in range(p) for j in range(p)]
    t.ok(len(got) == len(flat), "%s: %d entries, R %d" % (what, len(got), len(flat)))
    for k, (g, w) in enumerate(zip(got, flat)):
        i, j = divmod(k, p)
        scale = (want[i][i] * want[j][j]) ** 0.5   # covariances near zero: relative to their variances
        t.ok(abs(g - w) <= tol * scale, "%s[%d][%d]: got %r, R %r" % (what, i, j, g, w))


def run(t, db):
    for case, name in (("kr_sleepstudy", "kr_s"), ("kr_machines", "kr_m"), ("kr_arabidopsis_lmm6.2", "kr_a")):
        r = ref(case)
        sql = r["sql"]
        rows = fixed(fit(db, sql["data"], sql["formula"], sql.get("random"), sql["options"] + ", save=" + name))
        check_vcov(t, vcov(db, name), r["vcov"], case + " lmm_vcov is vcovAdj's")
        saved = tidy(db, name)
        t.ok([(x["term"], x["std_error"], x["df"], x["p_value"]) for x in saved] ==
             [(x["term"], x["std_error"], x["df"], x["p_value"]) for x in rows], case + ": lmm_tidy gives lmm_fit's rows")
        opts = db.execute("SELECT options FROM lmm_models WHERE name = ?", (name,)).fetchone()[0]
        t.ok("df=kenward-roger" in opts, "%s: the saved options keep df=kenward-roger (%r)" % (case, opts))
        # the variances on the diagonal are the squared standard errors the rows give
        p = len(rows)
        v = vcov(db, name)
        for j, x in enumerate(rows):
            t.close(None, v[j * p + j] ** 0.5, x["std_error"], 1e-12, case + " " + x["term"] + ": se is sqrt(vcov)")
        # lmm_update lays no option over the saved ones: still Kenward-Roger's
        upd = fixed([dict(zip(["effect", "grp", "term", "estimate", "std_error", "statistic", "df", "p_value"], x[:8]))
                     for x in db.execute("SELECT effect, grp, term, estimate, std_error, statistic, df, p_value "
                                         "FROM lmm_update(?, '. ~ .')", (name,))])
        t.ok([(x["std_error"], x["df"]) for x in upd] == [(x["std_error"], x["df"]) for x in rows],
             case + ": lmm_update keeps df=kenward-roger")
        # lmm_augment opens the saved model on its rows (no KR there) and lists them
        n = db.execute("SELECT count(*) FROM lmm_augment(?)", (name,)).fetchone()[0]
        t.ok(n == r["nobs"], "%s: lmm_augment of a KR model lists %r rows" % (case, n))
    # the same model saved with Satterthwaite's df: lme4's own vcov.  Arabidopsis is unbalanced, so its adjusted
    # variances exceed it (in balanced designs, sleepstudy's and Machines', KR adjusts nothing)
    r = ref("kr_arabidopsis_lmm6.2")
    fit(db, r["sql"]["data"], r["sql"]["formula"], None, "df=satterthwaite, save=sat_a")
    check_vcov(t, vcov(db, "sat_a"), r["vcov_unadjusted"], "df=satterthwaite: lmm_vcov is vcov()'s")
    adj, un = vcov(db, "kr_a"), vcov(db, "sat_a")
    t.ok(adj[0] > un[0] * 1.01, "the adjusted variance %r exceeds the unadjusted %r" % (adj[0], un[0]))
    # KR's df do not depend on the data's units: a slope in a column of 1e9 or 1e-9 (its variance's information
    # 1e36 apart from the residual's) gives Days' df, and its standard error scaled by the column's factor
    base = fixed(fit(db, "robust", "Reaction ~ Days + (Days|Subject)", None, "df=kenward-roger"))
    for col, factor in (("Days_big", 1e9), ("Days_small", 1e-9)):
        got = fixed(fit(db, "robust", "Reaction ~ %s + (%s|Subject)" % (col, col), None, "df=kenward-roger"))
        for a, b in zip(got, base):
            t.close(None, a["df"], b["df"], 1e-6, "%s %s: KR df as Days'" % (col, a["term"]))
        t.close(None, got[1]["std_error"] * factor, base[1]["std_error"], 1e-6, col + ": se as Days' scaled")
    # lm: R's n - p whatever is asked
    lm = fixed(fit(db, "sleepstudy", "Reaction ~ Days", None, "df=kenward-roger"))
    t.ok(all(x["df"] == 178 for x in lm), "lm with df=kenward-roger: n - p (%r)" % [x["df"] for x in lm])
