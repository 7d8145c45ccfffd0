"""lmm_plot of saved models with a residual structure (weights=, correlation=): the residual kinds draw nlme's
Pearson residuals by default, as nlme's plot(m) and qqnorm(m) do, read back from the SVG to 5e-4 of the axis'
span against nlme's resid(m, type = "pearson") and fitted(m) in tests/reference/structures (make_structures.R);
type=normalized draws nlme's normalized residuals; ranef draws the structured fit's BLUPs.  The kinds that need hat
values are refused (nlme gives a structured fit none), naming the kinds that draw it."""
import json
import os

from harness import ROOT, fit
from test_figures import near_all, panels, parse, plot, ppoints

CASES = os.path.join(ROOT, "tests", "reference", "structures")


def save(db, case, name):
    ref = json.load(open(os.path.join(CASES, case + ".json")))
    sql = ref["sql"]
    fit(db, sql["data"], sql["formula"], sql.get("random"), ", ".join(x for x in (sql.get("options"), "save=" + name) if x))
    return ref


def run(t, db):
    for case in ("ovary_lme_ar1", "orthodont_gls_compsymm_varident"):
        name = "ps_" + case
        ref = save(db, case, name)
        svg = plot(db, name, "qq")
        p = panels(parse(t, svg, "qq " + name))[0]
        pts = p.points()
        n = len(ref["resid_pearson"])
        t.ok(len(pts) == n, "qq %s: %d points, rows %d" % (name, len(pts), n))
        near_all(t, [y for _, y in pts], sorted(ref["resid_pearson"]), p.yspan(), "qq %s: nlme's Pearson residuals" % name)
        near_all(t, [x for x, _ in pts], ppoints(n), p.xspan(), "qq %s: against qnorm(ppoints(n))" % name)
        t.ok("Pearson residuals" in svg, "qq %s: the axis says Pearson residuals" % name)
        p = panels(parse(t, plot(db, name, "qq", "type=normalized"), "qq normalized " + name))[0]
        near_all(t, [y for _, y in p.points()], sorted(ref["resid_normalized"]), p.yspan(),
                 "qq %s type=normalized: nlme's normalized residuals" % name)
        p = panels(parse(t, plot(db, name, "resid_fitted"), "resid_fitted " + name))[0]
        pts = p.points()
        near_all(t, [x for x, _ in pts], ref["fitted"], p.xspan(), "resid_fitted %s: nlme's fitted(m)" % name)
        near_all(t, [y for _, y in pts], ref["resid_pearson"], p.yspan(), "resid_fitted %s: Pearson residuals" % name)
        # the residuals really differ: a test of the default that a plain model's residuals would pass is none
        t.ok(max(abs(a - b) for a, b in zip(ref["resid_pearson"], ref["resid_normalized"])) > 0.1,
             "%s: Pearson and normalized residuals differ" % name)
    # a structured lme's BLUPs, and a structured model beside a plain one in one figure
    svg = plot(db, "ps_ovary_lme_ar1", "ranef")
    t.ok(len(panels(parse(t, svg, "ranef ps_ovary_lme_ar1"))) == 1, "ranef of a structured lme: one panel")
    fit(db, "ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "1|Mare", "save=ps_plain")
    two = panels(parse(t, plot(db, "ps_plain, ps_ovary_lme_ar1", "qq"), "qq plain and structured"))
    t.ok(len(two) == 2, "qq of a plain and a structured model: two panels")
    before = db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall()
    for kind in ("diagnostics", "scale_location", "resid_leverage"):
        t.error(db, "SELECT lmm_plot('ps_orthodont_gls_compsymm_varident', ?)", (kind,),
                ["lmm_plot: kind '%s' is plot(lm)'s and needs hat values" % kind, "weights= or correlation=",
                 "kind qq or resid_fitted"], "lmm_plot %s of a structured model" % kind)
    t.ok(db.execute("SELECT * FROM lmm_models ORDER BY name").fetchall() == before, "the refusals changed lmm_models")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'ps\\_%' ESCAPE '\\'")
    db.commit()
