"""F tests of the terms of one saved model with a residual structure (weights=, correlation=): lmm_anova('m'
[, 'type=...' or 'L=...']) against nlme's anova(m), sequential and marginal, and anova(m, L = L), in
tests/reference/anova_structures.json (make_anova_structures.R): gls and lme with corAR1, varIdent and varPower.
Each model's logLik is checked first (the F tests follow from the same optimum); then F within 1e-4 relative, p
within 0.1 %, the df exactly.  An lme4-style structured model is refused: lmerTest has no residual structures.
"""
import json
import os

from harness import ROOT
from test_anova_terms import anova, check_table, save


def run(t, db):
    with open(os.path.join(ROOT, "tests", "reference", "anova_structures.json")) as f:
        cases = json.load(f)["anova_structures"]
    for case in cases:
        name = "as_" + case["case"]
        try:
            save(db, name, case["sql"])
        except Exception as e:
            t.ok(False, "%s: %s" % (name, e))
            continue
        ll = db.execute("SELECT estimate FROM lmm_tidy(?) WHERE term = 'logLik'", (name,)).fetchone()[0]
        t.close(None, ll, case["logLik"], 1e-7, name + " logLik")
        for tab in case["tables"]:
            asked = "L=" + tab["L"] if tab["type"] == "contrast" else "type=" + tab["type"]
            got = anova(db, name, asked)
            t.ok(all(g["type"] == tab["type"] and g["model"] == name for g in got), "%s %s: type and model" % (name, asked))
            # nlme's df are integers: exactly
            t.ok([g["den_df"] for g in got] == [w["den_df"] for w in tab["rows"]], "%s %s: den_df %r, R %r" % (
                name, asked, [g["den_df"] for g in got], [w["den_df"] for w in tab["rows"]]))
            check_table(t, got, tab["rows"], "%s %s" % (name, asked), False)
        t.ok(anova(db, name) == anova(db, name, "type=sequential"), name + ": the default is sequential")
    t.ok(len(cases) == 10, "10 structured models, found %d" % len(cases))
    # lme4's notation with df=containment fits nlme's model, but its F tests would be lmerTest's
    db.execute("SELECT count(*) FROM lmm_fit('ovary', 'follicles ~ sin(2*pi*Time) + (1|Mare)', NULL, "
               "'correlation=corAR1(form = ~ 1 | Mare), df=containment, save=as_lme4')").fetchall()
    before = db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall()
    for opts in (None, "type=III", "L=0 1", "df=kenward-roger"):
        t.error(db, "SELECT * FROM lmm_anova('as_lme4'%s)" % (", ?" if opts else ""), (opts,) if opts else (),
                ["lmm_anova: lmerTest's F tests take Satterthwaite's or Kenward-Roger's df", "weights= or correlation=",
                 "nlme's notation"], "lme4-style structured F tests (%s)" % opts)
    t.ok(db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall() == before, "the refusals changed lmm_models")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'as\\_%' ESCAPE '\\'")
    db.commit()
