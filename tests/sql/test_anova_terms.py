"""F tests of the terms of one saved model (issue 17): lmm_anova('m' [, 'type=...']) against R's anova(m) in
tests/reference/anova_terms.json (make_anova_terms.R): nlme's sequential and marginal tables of lme and gls
fits, lmerTest's types III, II and I with Satterthwaite's df, anova(lm) with its Residuals row, and the joint test
of a contrast matrix (L=: lmerTest's contest, nlme's anova(m, L = L), lm's Wald F).  F and the
sums of squares within 1e-4 relative, df within 1e-3, p within 0.1 %, numerator df exactly.
"""
import json
import math
import os

from harness import ROOT

COLS = "model, df, AIC, BIC, logLik, test, L_ratio, p_value, term, type, num_df, den_df, statistic, sum_sq, mean_sq"


def anova(db, *args):
    cur = db.execute("SELECT %s FROM lmm_anova(%s)" % (COLS, ", ".join("?" * len(args))), args)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def save(db, name, sql):
    opts = ", ".join(x for x in (sql.get("options"), "save=" + name) if x)
    db.execute("SELECT count(*) FROM lmm_fit(?, ?, ?, ?)", (sql["data"], sql["formula"], sql.get("random"), opts)).fetchall()


def check_table(t, got, want, what, lm):
    t.ok([r["term"] for r in got] == [r["term"] for r in want],
         "%s: terms %r, R %r" % (what, [r["term"] for r in got], [r["term"] for r in want]))
    resid = [r for r in want if r["term"] == "Residuals"]
    for g, w in zip(got, want):
        w = dict(w)
        if lm and w["term"] != "Residuals" and w["den_df"] is None:
            w["den_df"] = resid[0]["num_df"]
        where = "%s %s" % (what, w["term"])
        t.ok(g["num_df"] == w["num_df"], "%s num_df: got %r, R %r" % (where, g["num_df"], w["num_df"]))
        for key, tol in (("statistic", 1e-4), ("den_df", 1e-3), ("p_value", 1e-3), ("sum_sq", 1e-4), ("mean_sq", 1e-4)):
            if w[key] is None:
                t.ok(g[key] is None, "%s %s: got %r, R none" % (where, key, g[key]))
            elif key == "p_value" and w[key] < 1e-12:
                # far in the tail p moves 1000 times faster than F (the intercept's 1e-29): its log within 1e-3
                t.ok(g[key] is not None and g[key] > 0 and abs(math.log(g[key]) / math.log(w[key]) - 1) <= 1e-3,
                     "%s p_value: got %r, R %r (log within 1e-3)" % (where, g[key], w[key]))
            else:
                t.close(None, g[key], w[key], tol, "%s %s" % (where, key))
        # the comparison's columns stay empty in a row of F tests
        t.ok(all(g[k] is None for k in ("df", "AIC", "BIC", "logLik", "test", "L_ratio")), where + ": comparison columns")


def run(t, db):
    with open(os.path.join(ROOT, "tests", "reference", "anova_terms.json")) as f:
        cases = json.load(f)["anova_terms"]
    for case in cases:
        name = "at_" + case["case"]
        try:
            save(db, name, case["sql"])
        except Exception as e:
            t.ok(False, "%s: %s" % (name, e))
            continue
        lm = case["engine"] == "stats::lm"
        for tab in case["tables"]:
            # a contrast is asked by its matrix: lmerTest's contest(m, L, joint = TRUE), nlme's anova(m, L = L)
            asked = "L=" + tab["L"] if tab["type"] == "contrast" else "type=" + tab["type"]
            if tab.get("df"):   # Kenward-Roger's tables (lmerTest's ddf = "Kenward-Roger")
                asked += ", df=" + tab["df"]
            got = anova(db, name, asked)
            t.ok(all(g["type"] == tab["type"] and g["model"] == name for g in got), "%s %s: type and model" % (name, asked))
            check_table(t, got, tab["rows"], "%s %s" % (name, asked), lm)
        # the default is R's: sequential (nlme, lm), III (lmerTest)
        default = anova(db, name)
        t.ok(default == anova(db, name, "type=" + case["tables"][0]["type"]), name + ": default type")
    # a model fitted with df=kenward-roger is tested with Kenward-Roger's df unless df= says otherwise, as its own
    # rows are: Satterthwaite's beside them would give a term two p-values
    kr_case = next(c for c in cases if any(tab.get("df") == "kenward-roger" for tab in c["tables"]))
    kr_sql = dict(kr_case["sql"], options=", ".join(x for x in (kr_case["sql"].get("options"), "df=kenward-roger") if x))
    save(db, "at_kr_fit", kr_sql)
    name = "at_" + kr_case["case"]

    def stats(rows):
        return [(r["term"], r["den_df"], r["statistic"], r["p_value"]) for r in rows]
    t.ok(stats(anova(db, "at_kr_fit")) == stats(anova(db, name, "df=kenward-roger")),
         "a df=kenward-roger fit: lmm_anova's default df is Kenward-Roger's")
    t.ok(stats(anova(db, "at_kr_fit", "df=satterthwaite")) == stats(anova(db, name)),
         "a df=kenward-roger fit: df=satterthwaite still asks for Satterthwaite's")
    t.ok(stats(anova(db, name, "df=kenward-roger")) != stats(anova(db, name)), "the two df differ on " + name)
    # lmerTest's spellings of a type are one type; nlme's type=1 is its sequential
    roman = anova(db, "at_sleepstudy", "type=II")
    t.ok(anova(db, "at_sleepstudy", "type=2") == roman and anova(db, "at_sleepstudy", " Type = ii ") == roman, "type=2 is II")
    t.ok([r["statistic"] for r in anova(db, "at_orthodont_lme", "type=1")] ==
         [r["statistic"] for r in anova(db, "at_orthodont_lme")], "nlme's type=1 is sequential")
    # a comparison of models keeps its table, the new columns empty
    rows = anova(db, "at_orthodont_lme_ml, at_orthodont_lme_ml")
    t.ok(len(rows) == 2 and all(r[k] is None for r in rows for k in ("term", "type", "num_df", "den_df", "statistic")),
         "comparison rows leave the F columns empty")
    # the database is the other modules' too: leave lmm_models as it was
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'at\\_%' ESCAPE '\\'")
    db.commit()
