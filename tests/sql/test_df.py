"""The df= option (issue 17): the denominator df of the fixed effects' t tests.

lme4's formulas get lmerTest's Satterthwaite df by default (test_reference compares them with lmerTest on
every lme4 case), nlme's calls nlme's containment df; df=residual is n - p, df=none lme4's summary() (the t
statistic, no df, no p).  lm and gls keep R's n - p whatever is asked, but none.  The p-value is the t
test's on those df.  A saved model keeps its df: lmm_tidy gives the rows lmm_fit gave.
"""
import json
import math
import os

from harness import ROOT, fit


def lmertest_df(case):
    with open(os.path.join(ROOT, "tests", "reference", case + ".json")) as f:
        return [x["df_satterthwaite"] for x in json.load(f)["fixed"]]


def fixed(rows):
    return [r for r in rows if r["effect"] == "fixed"]


def close(a, b, tol=1e-9):
    return a is not None and b is not None and abs(a - b) <= tol * max(1.0, abs(b))


def t_p(t, df):
    """Two-sided p of a t statistic on df degrees of freedom, by the regularized incomplete beta's
    continued fraction (Numerical Recipes' betacf): enough digits for the comparisons below."""
    if df is None:
        return None
    x = df / (df + t * t)
    a, b = df / 2, 0.5
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x)) / a
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / d
    f = d
    for m in range(1, 500):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 / (1 + num * d)
            c = 1 + num / c
            f *= d * c
    return front * f


def run(t, db):
    crossed = "diameter ~ 1 + (1|plate) + (1|sample)"
    # default for lme4's formulas: Satterthwaite, so a crossed fit has df and a p-value (it had NULL before)
    sat = fixed(fit(db, "penicillin", crossed))[0]
    want = lmertest_df("satt_penicillin")[0]
    t.ok(close(sat["df"], want, 1e-4), "penicillin, default df %r (lmerTest %r)" % (sat["df"], want))
    t.ok(close(sat["p_value"], t_p(sat["statistic"], sat["df"]), 1e-6), "penicillin: p %r is the t test's" % sat["p_value"])
    same = fixed(fit(db, "penicillin", crossed, None, "df=satterthwaite"))[0]
    t.ok(same == sat, "df=satterthwaite is the default for lme4's formulas")
    none = fixed(fit(db, "penicillin", crossed, None, "DF = None"))[0]
    t.ok((none["df"], none["p_value"]) == (None, None) and none["statistic"] == sat["statistic"],
         "df=none: the t statistic without df or p (%r)" % none)
    res = fixed(fit(db, "penicillin", crossed, None, "df=residual"))[0]
    t.ok(res["df"] == 144 - 1 and close(res["p_value"], t_p(res["statistic"], 143), 1e-6), "df=residual: n - p, %r" % res)

    # nested: lme4's formula gets Satterthwaite (Pastes: lmerTest's 9 for the intercept, not nlme's 30);
    # nlme's call keeps containment unless asked, and asked gives the same df as lme4's formula
    lme4 = fixed(fit(db, "pastes", "strength ~ 1 + (1|batch/cask)"))[0]
    nlme = fixed(fit(db, "pastes", "strength ~ 1", "1|batch/cask"))[0]
    nlme_sat = fixed(fit(db, "pastes", "strength ~ 1", "1|batch/cask", "df=satterthwaite"))[0]
    lme4_cont = fixed(fit(db, "pastes", "strength ~ 1 + (1|batch/cask)", None, "df=containment"))[0]
    t.ok(nlme["df"] == 30 and lme4_cont["df"] == 30, "containment: nlme's 30 (%r, %r)" % (nlme["df"], lme4_cont["df"]))
    want = lmertest_df("satt_pastes_nested")[0]
    t.ok(close(lme4["df"], want, 1e-6), "pastes, lme4 formula: Satterthwaite's %r (lmerTest %r)" % (lme4["df"], want))
    t.ok(close(nlme_sat["df"], lme4["df"], 1e-6), "nlme's call with df=satterthwaite: %r, lme4's %r" % (nlme_sat["df"], lme4["df"]))

    # a variance at zero (Dyestuff2): lmerTest's Hessian is flat in that theta, it drops the direction and the
    # df are n - p = 29, as lmerTest reports (tests/reference/satt_dyestuff2_singular.json); lmm does the same
    d2 = fixed(fit(db, "dyestuff2", "Yield ~ 1 + (1|Batch)"))[0]
    t.ok(close(d2["df"], 29, 1e-8), "singular Dyestuff2: df %r, lmerTest 29" % d2["df"])

    # lm and gls keep R's n - p whatever is asked, but none
    for options in (None, "df=satterthwaite", "df=containment", "method=REML, df=satterthwaite"):
        rows = fixed(fit(db, "sleepstudy", "Reaction ~ Days", None, options))
        t.ok([r["df"] for r in rows] == [178, 178], "lm/gls, %s: df %r" % (options, [r["df"] for r in rows]))
    rows = fixed(fit(db, "sleepstudy", "Reaction ~ Days", None, "df=none"))
    t.ok([(r["df"], r["p_value"]) for r in rows] == [(None, None)] * 2, "lm, df=none: NULL df and p")

    # a saved model keeps its df: lmm_tidy gives lmm_fit's rows
    cols = "effect, grp, term, estimate, std_error, statistic, df, p_value"
    for name, options in (("df_sat", "save=df_sat"), ("df_res", "df=residual, save=df_res"), ("df_none", "save=df_none, df=none")):
        fitted = db.execute("SELECT %s FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)', NULL, ?)" % cols,
                            (options,)).fetchall()
        tidy = db.execute("SELECT %s FROM lmm_tidy(?)" % cols, (name,)).fetchall()
        t.ok(tidy == fitted, "%s: lmm_tidy gives lmm_fit's rows" % name)
        df = [r[6] for r in tidy if r[0] == "fixed"]
        want = {"df_sat": lambda v: v is not None and abs(v - 17) < 0.01, "df_res": lambda v: v == 178,
                "df_none": lambda v: v is None}[name]
        t.ok(all(want(v) for v in df), "%s: saved df %r" % (name, df))
    unread(t, db)


def unread(t, db):
    """Satterthwaite's df (2k^2 factorizations) are made only where the statement reads df or p_value: a query of
    the estimates alone gets the same estimates, standard errors and statistics, and any query that reads either
    column -- in its result, in WHERE, in ORDER BY -- the same df and p-values as SELECT *; a fit saved, or
    updated, keeps its df whatever its statement reads."""
    cases = (("sleepstudy", "Reaction ~ Days + (Days|Subject)"), ("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)"),
             ("arabidopsis", "log(1 + total_fruits) ~ factor(nutrient) + amd + (1|popu) + (1|popu:gen)"))
    for data, formula in cases:
        whole = db.execute("SELECT effect, grp, term, estimate, std_error, statistic, df, p_value FROM lmm_fit(?, ?)",
                           (data, formula)).fetchall()
        fixed_df = [r[6] for r in whole if r[0] == "fixed"]
        t.ok(fixed_df and all(v is not None for v in fixed_df), "%s: SELECT * has Satterthwaite's df %r" % (data, fixed_df))
        est = db.execute("SELECT effect, grp, term, estimate, std_error, statistic FROM lmm_fit(?, ?)",
                         (data, formula)).fetchall()
        t.ok(est == [r[:6] for r in whole], "%s: the estimates read alone are SELECT *'s" % data)
        df = db.execute("SELECT term, df FROM lmm_fit(?, ?)", (data, formula)).fetchall()
        t.ok(df == [(r[2], r[6]) for r in whole], "%s: df read alone are SELECT *'s" % data)
        p = db.execute("SELECT term, p_value FROM lmm_fit(?, ?)", (data, formula)).fetchall()
        t.ok(p == [(r[2], r[7]) for r in whole], "%s: p-values read alone are SELECT *'s" % data)
        where = db.execute("SELECT term, estimate FROM lmm_fit(?, ?) WHERE df > 0", (data, formula)).fetchall()
        t.ok(where == [(r[2], r[3]) for r in whole if r[6] is not None and r[6] > 0],
             "%s: df read in WHERE only: %r" % (data, where))
        order = db.execute("SELECT term FROM lmm_fit(?, ?) WHERE effect = 'fixed' ORDER BY p_value, term",
                           (data, formula)).fetchall()
        t.ok(order == [(r[2],) for r in sorted((r for r in whole if r[0] == "fixed"), key=lambda r: (r[7], r[2]))],
             "%s: p-values read in ORDER BY only" % data)
    formula = "Reaction ~ Days + (Days|Subject)"
    whole = db.execute("SELECT term, df, p_value FROM lmm_fit('sleepstudy', ?)", (formula,)).fetchall()
    db.execute("SELECT term, estimate FROM lmm_fit('sleepstudy', ?, NULL, 'save=df_unread')", (formula,)).fetchall()
    saved = db.execute("SELECT term, df, p_value FROM lmm_tidy('df_unread')").fetchall()
    t.ok(saved == whole, "a fit saved by a statement that reads no df keeps them: %r" % saved[:2])
    updated = db.execute("SELECT term, estimate FROM lmm_update('df_unread', '. ~ . - Days + Days')").fetchall()
    again = db.execute("SELECT term, df FROM lmm_update('df_unread', '. ~ . - Days + Days')").fetchall()
    t.ok([r[0] for r in updated] == [r[0] for r in whole] and again == [r[:2] for r in whole],
         "lmm_update: estimates alone, and the df read: %r" % again[:2])
    db.execute("DELETE FROM lmm_models WHERE name = 'df_unread'")
    db.commit()
