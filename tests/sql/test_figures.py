"""Figures as data (lmm_plot, lmm_histogram, lmm_barplot): each SVG parses as XML, and its marks, mapped back
through the panel's axis transform (data-xlim, data-ylim, data-box), give the numbers they draw: hist()'s
breaks and counts and R's axis ticks (tests/reference/figures.json, from make_figures.R), the models' own
residuals, BLUPs, estimates and standard errors (lmm_augment, lmm_ranef, lmm_tidy), R's lowess.  A mark is
read back to 5e-4 of its axis' span: three significant digits of the axis' scale."""
import json
import math
import os
import statistics
import xml.etree.ElementTree as ET

from harness import ROOT, fit

NS = "{http://www.w3.org/2000/svg}"
REF = json.load(open(os.path.join(ROOT, "tests", "reference", "figures.json")))
F = "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
TOL = 5e-4


def parse(t, svg, what):
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        t.ok(False, "%s: not XML: %s" % (what, e))
        return None
    t.ok(root.tag == NS + "svg" and root.get("viewBox", "").startswith("0 0 "), what + ": an <svg> with a viewBox")
    t.ok(root.find(NS + "title") is not None and root.find(NS + "desc") is not None, what + ": <title> and <desc>")
    t.ok("NaN" not in svg and "inf" not in svg.lower().replace("info", ""), what + ": no NaN or Inf written")
    t.ok("<script" not in svg and "href" not in svg, what + ": nothing external, no script")
    return root


def classes(e):
    return (e.get("class") or "").split()


class Panel:
    def __init__(self, g):
        self.g = g
        self.xlo, self.xhi = map(float, g.get("data-xlim").split())
        self.ylo, self.yhi = map(float, g.get("data-ylim").split())
        self.bx, self.by, self.bw, self.bh = map(float, g.get("data-box").split())

    def x(self, px):
        return self.xlo + (float(px) - self.bx) / self.bw * (self.xhi - self.xlo)

    def y(self, py):
        return self.ylo + (self.by + self.bh - float(py)) / self.bh * (self.yhi - self.ylo)

    def marks(self, tag, cls):
        return [e for e in self.g.iter(NS + tag) if cls in classes(e)]

    def points(self, cls="point"):
        return [(self.x(c.get("cx")), self.y(c.get("cy"))) for c in self.marks("circle", cls)]

    def ticks(self, axis):
        for a in self.g.iter(NS + "g"):
            if classes(a)[:2] == ["axis", axis]:
                labels = [e for e in a.iter(NS + "text") if "tick-label" in classes(e)]
                return [float(e.get("data-value")) for e in labels], [float(e.text) for e in labels]
        return [], []

    def categories(self, axis):
        for a in self.g.iter(NS + "g"):
            if classes(a)[:2] == ["axis", axis]:
                return [e.text for e in a.iter(NS + "text") if "category-label" in classes(e)]
        return []

    def xspan(self):
        return self.xhi - self.xlo

    def yspan(self):
        return self.yhi - self.ylo


def panels(root):
    return [Panel(g) for g in root.iter(NS + "g") if "panel" in classes(g)]


def near_all(t, got, want, span, what):
    want = want if isinstance(want, list) else [want]   # R's one-element vectors come as scalars
    if not t.ok(len(got) == len(want), "%s: %d marks, want %d" % (what, len(got), len(want))):
        return
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if abs(g - w) > TOL * span]
    t.ok(not bad, "%s: %d of %d off by more than %g of the span, first %r" % (what, len(bad), len(want), TOL, bad[:1]))


def ticks_are(t, p, axis, want, what):
    want = want if isinstance(want, list) else [want]
    values, labels = p.ticks(axis)
    t.ok(len(values) == len(want) and all(abs(a - b) <= 1e-9 * max(1, abs(b)) for a, b in zip(values, want)),
         "%s: %s ticks %r, R %r" % (what, axis, values, want))
    t.ok(all(abs(a - b) <= 1e-9 * max(1, abs(b)) for a, b in zip(labels, values)), "%s: %s labels %r" % (what, axis, labels))


def bars(p):
    out = []
    for r in p.marks("rect", "bar"):
        x0, x1 = p.x(r.get("x")), p.x(float(r.get("x")) + float(r.get("width")))
        top, bottom = p.y(r.get("y")), p.y(float(r.get("y")) + float(r.get("height")))
        out.append((x0, x1, top - bottom, bottom))
    return out


def histograms(t, db):
    for case in REF["hist"]:
        what = "histogram " + case["name"]
        if "sql" in case:
            svg = db.execute(case["sql"]).fetchone()[0]
        else:
            db.execute("CREATE TEMP TABLE hv(v REAL)")
            db.executemany("INSERT INTO hv VALUES (?)", [(v,) for v in case["values"]])
            svg = db.execute("SELECT lmm_histogram(v) FROM hv").fetchone()[0]
            db.execute("DROP TABLE hv")
        root = parse(t, svg, what)
        if root is None:
            continue
        p = panels(root)[0]
        b = bars(p)
        near_all(t, [x[0] for x in b] + [b[-1][1]], case["breaks"], p.xspan(), what + " breaks")
        near_all(t, [x[2] for x in b], case["counts"], p.yspan(), what + " counts")
        t.ok(all(abs(x[3]) <= TOL * p.yspan() for x in b), what + ": bars stand on 0")
        ticks_are(t, p, "x", case["xticks"], what)
        ticks_are(t, p, "y", case["yticks"], what)


def barplots(t, db):
    ref = REF["barplot_gen"]
    for sql in ["SELECT lmm_barplot(gen) FROM arabidopsis",
                "SELECT lmm_barplot(gen, n) FROM (SELECT gen, count(*) AS n FROM arabidopsis GROUP BY gen ORDER BY n)"]:
        root = parse(t, db.execute(sql).fetchone()[0], sql)
        p = panels(root)[0]
        t.ok(p.categories("x") == ref["labels"], "%s: labels %r, R's table() %r" % (sql, p.categories("x"), ref["labels"]))
        near_all(t, [x[2] for x in bars(p)], ref["counts"], p.yspan(), sql + " counts")
        ticks_are(t, p, "y", ref["yticks"], sql)
    t.ok(db.execute("SELECT lmm_barplot(reg) FROM arabidopsis WHERE 0").fetchone()[0] is None, "no rows: NULL")
    # ticks too wide for fixed notation, or too fine for 15 decimals, are labelled as R's axis() labels them
    # (2e+307, 1e-20): never cut to a label's first 63 digits or rounded to 0.000000000000000
    for sql, want in [("SELECT lmm_barplot(x, c) FROM (SELECT 'a' AS x, 1e308 AS c UNION ALL SELECT 'b', 5e307)",
                       [0, 2e307, 4e307, 6e307, 8e307, 1e308]),
                      ("SELECT lmm_barplot(x, c) FROM (SELECT 'a' AS x, 5e-20 AS c UNION ALL SELECT 'b', 2e-20)",
                       [0, 1e-20, 2e-20, 3e-20, 4e-20, 5e-20])]:
        values, labels = panels(parse(t, db.execute(sql).fetchone()[0], sql))[0].ticks("y")
        t.ok(len(values) == len(want) and all(abs(a - b) <= 1e-9 * b for a, b in zip(values, want)),
             "%s: ticks %r, R %r" % (sql, values, want))
        t.ok(all(abs(a - b) <= 1e-9 * abs(b) for a, b in zip(labels, values)), "%s: labels %r" % (sql, labels))
    t.ok(db.execute("SELECT lmm_histogram(total_fruits) FROM arabidopsis WHERE 0").fetchone()[0] is None, "no rows: NULL")


def fit_models(db):
    fit(db, "arabidopsis", F, None, "save=LM")
    fit(db, "arabidopsis", F, None, "method=ML, save=GLM")
    fit(db, "arabidopsis", F, None, "method=REML, save=GLM2")
    fit(db, "arabidopsis", F, "factor(nutrient)|popu/gen", "method=ML, save=lmm6.2")
    fit(db, "arabidopsis", F, "factor(nutrient)|popu/gen", "method=REML, save=final")


def ppoints(n):
    a = 3 / 8 if n <= 10 else 1 / 2
    nd = statistics.NormalDist()
    return [nd.inv_cdf((i - a) / (n + 1 - 2 * a)) for i in range(1, n + 1)]


def plot(db, models, kind, options=None):
    return db.execute("SELECT lmm_plot(?, ?, ?)", (models, kind, options)).fetchone()[0]


def augment(db, model, col):
    return [r[0] for r in db.execute("SELECT %s FROM lmm_augment(?) ORDER BY row" % col, (model,))]


def qq(t, db):
    svg = plot(db, "GLM", "qq")
    p = panels(parse(t, svg, "qq GLM"))[0]
    pts = p.points()
    res = sorted(augment(db, "GLM", "normalized"))
    near_all(t, [y for _, y in pts], res, p.yspan(), "qq GLM: points are the sorted normalized residuals")
    near_all(t, [x for x, _ in pts], ppoints(len(res)), p.xspan(), "qq GLM: against qnorm(ppoints(n))")
    ticks_are(t, p, "x", REF["qq_glm"]["xticks"], "qq GLM")
    ticks_are(t, p, "y", REF["qq_glm"]["yticks"], "qq GLM")
    t.ok(len(p.marks("line", "ref")) == 1, "qq GLM: the y = x line")
    ref = p.marks("line", "ref")[0]
    t.ok(abs(p.x(ref.get("x1")) - p.y(ref.get("y1"))) < TOL * p.xspan(), "qq GLM: the line is y = x")
    # the tutorial's two QQ plots, drawn to the same scale
    svg = plot(db, "GLM, lmm6.2", "qq", "xlim=-3.5:3.5, ylim=-3.5 3.5")
    two = panels(parse(t, svg, "qq GLM, lmm6.2"))
    t.ok(len(two) == 2, "two models: two panels")
    for p, m in zip(two, ["GLM", "lmm6.2"]):
        t.ok(abs(p.xlo + 3.78) < 1e-9 and abs(p.yhi - 3.78) < 1e-9, "%s: limits -3.5:3.5 widened 4%% as R does" % m)
        ticks_are(t, p, "x", REF["qq_lims"]["xticks"], "qq " + m)
        ticks_are(t, p, "y", REF["qq_lims"]["yticks"], "qq " + m)
        near_all(t, [y for _, y in p.points()], sorted(augment(db, m, "normalized")), p.yspan(), "qq " + m)
    two = panels(parse(t, plot(db, "GLM, lmm6.2", "qq"), "qq shared"))
    t.ok((two[0].xlo, two[0].xhi, two[0].ylo, two[0].yhi) == (two[1].xlo, two[1].xhi, two[1].ylo, two[1].yhi),
         "qq of two models: shared limits")
    p = panels(parse(t, plot(db, "lmm6.2", "qq", "type=pearson"), "qq pearson"))[0]
    near_all(t, [y for _, y in p.points()], sorted(augment(db, "lmm6.2", "pearson")), p.yspan(), "qq type=pearson")
    p = panels(parse(t, plot(db, "LM", "qq"), "qq LM"))[0]
    near_all(t, [y for _, y in p.points()], sorted(augment(db, "LM", "std_resid")), p.yspan(), "qq of lm: standardized")


def resid_fitted(t, db):
    p = panels(parse(t, plot(db, "LM", "resid_fitted"), "resid_fitted LM"))[0]
    pts = p.points()
    near_all(t, [x for x, _ in pts], augment(db, "LM", "fitted"), p.xspan(), "resid_fitted LM: fitted")
    near_all(t, [y for _, y in pts], augment(db, "LM", "resid"), p.yspan(), "resid_fitted LM: residuals")
    ref = REF["resid_fitted_lm"]
    ticks_are(t, p, "x", ref["xticks"], "resid_fitted LM")
    ticks_are(t, p, "y", ref["yticks"], "resid_fitted LM")
    line = p.marks("polyline", "lowess")
    t.ok(len(line) == 1, "resid_fitted LM: one lowess line")
    xy = [tuple(map(float, s.split(","))) for s in line[0].get("points").split()]
    near_all(t, [p.x(a) for a, _ in xy], ref["lowess_x"], p.xspan(), "lowess x")
    near_all(t, [p.y(b) for _, b in xy], ref["lowess_y"], p.yspan(), "lowess y, R's lowess()")
    p = panels(parse(t, plot(db, "final", "resid_fitted", "smooth=0"), "resid_fitted final"))[0]
    t.ok(not p.marks("polyline", "lowess"), "smooth=0: no lowess")
    near_all(t, [y for _, y in p.points()], augment(db, "final", "normalized"), p.yspan(), "resid_fitted final: normalized")


def diagnostics(t, db):
    ps = panels(parse(t, plot(db, "LM", "diagnostics"), "diagnostics"))
    t.ok(len(ps) == 4, "diagnostics: four panels")
    fitted, std, hat = augment(db, "LM", "fitted"), augment(db, "LM", "std_resid"), augment(db, "LM", "hat")
    near_all(t, [y for _, y in ps[0].points()], sorted(std), ps[0].yspan(), "diagnostics QQ: standardized residuals")
    near_all(t, [y for _, y in ps[1].points()], augment(db, "LM", "resid"), ps[1].yspan(), "diagnostics: residuals")
    t.ok(len(ps[1].marks("polyline", "lowess")) == 1, "diagnostics: residuals vs fitted with lowess")
    sl = ps[2].points()
    near_all(t, [y for _, y in sl], [math.sqrt(abs(r)) for r in std], ps[2].yspan(), "scale-location")
    near_all(t, [x for x, _ in sl], fitted, ps[2].xspan(), "scale-location x")
    lev = ps[3].points()
    near_all(t, [x for x, _ in lev], hat, ps[3].xspan(), "leverage x: hat values")
    near_all(t, [y for _, y in lev], std, ps[3].yspan(), "leverage y: standardized residuals")
    # no Cook's contour within the tutorial's leverages (max hat ~0.03): a contour needs h >= c p / (r^2 + c p)
    t.ok(not ps[3].marks("polyline", "cooks"), "diagnostics LM: the 0.5 contour lies beyond its leverages, as in R")
    # a high-leverage point brings them in
    db.execute("CREATE TEMP TABLE lev AS SELECT column1 AS x, column2 AS y FROM (VALUES (1, 1.2), (2, 1.9), (3, 3.4), "
               "(4, 3.8), (5, 5.3), (6, 5.7), (7, 7.4), (8, 7.7), (30, 20))")
    fit(db, "lev", "y ~ x", None, "save=lev")
    p, rank = panels(parse(t, plot(db, "lev", "resid_leverage"), "leverage"))[0], 2
    cooks = p.marks("polyline", "cooks")
    t.ok(len(cooks) >= 2, "Cook's contours drawn: %d" % len(cooks))
    for line in cooks:   # each point on |r| = sqrt(c p (1 - h) / h) for c 0.5 or 1
        xy = [(p.x(a), p.y(b)) for a, b in (tuple(map(float, s.split(","))) for s in line.get("points").split())]
        cs = [y * y * h / (rank * (1 - h)) for h, y in xy]
        t.ok(all(abs(c - cs[0]) < 0.02 * cs[0] for c in cs) and min(abs(cs[0] - 0.5), abs(cs[0] - 1)) < 0.02,
             "a Cook's contour at 0.5 or 1: %r" % cs[:3])
    near_all(t, [x for x, _ in p.points()], augment(db, "lev", "hat"), p.xspan(), "leverage: hat values")
    db.execute("DROP TABLE lev")
    for kind, k in [("scale_location", 2), ("resid_leverage", 3)]:
        one = panels(parse(t, plot(db, "LM", kind), kind))[0]
        t.ok(len(one.points()) == len(fitted), kind + " alone")


def ranef(t, db):
    p2 = panels(parse(t, plot(db, "lmm6.2", "ranef", "level=2, interval=0.95"), "ranef"))
    t.ok(len(p2) == 2, "ranef of (nutrient | popu/gen) at gen: two panels (intercept, slope)")
    rows = db.execute("SELECT level, term, estimate, cond_sd FROM lmm_ranef('lmm6.2') WHERE grp = 'popu:gen'").fetchall()
    icpt = sorted((r for r in rows if r[1] == "(Intercept)"), key=lambda r: r[2])
    t.ok(p2[0].categories("y") == [r[0] for r in icpt], "levels sorted by their intercept")
    z = statistics.NormalDist().inv_cdf(0.975)
    for p, term in zip(p2, ["(Intercept)", "factor(nutrient)8"]):
        by = {r[0]: r for r in rows if r[1] == term}
        want = [by[r[0]] for r in icpt]
        dots = p.points("dot")
        near_all(t, [x for x, _ in dots], [r[2] for r in want], p.xspan(), "ranef %s: the BLUPs" % term)
        bars_ = p.marks("line", "errbar")
        near_all(t, [min(p.x(b.get("x1")), p.x(b.get("x2"))) for b in bars_], [r[2] - z * r[3] for r in want],
                 p.xspan(), "ranef %s: BLUP - 1.96 cond. sd" % term)
        near_all(t, [max(p.x(b.get("x1")), p.x(b.get("x2"))) for b in bars_], [r[2] + z * r[3] for r in want],
                 p.xspan(), "ranef %s: BLUP + 1.96 cond. sd" % term)
        near_all(t, [p.y(c.get("cy")) for c in p.marks("circle", "dot")], list(range(1, len(want) + 1)), p.yspan(),
                 "ranef: one level per row, 1..n")
    p1 = panels(parse(t, plot(db, "lmm6.2", "ranef", "level=1"), "ranef level 1"))
    pops = db.execute("SELECT level, estimate FROM lmm_ranef('lmm6.2') WHERE grp = 'popu' AND term = '(Intercept)' "
                      "ORDER BY estimate").fetchall()
    t.ok(p1[0].categories("y") == [r[0] for r in pops], "level=1: the populations")
    near_all(t, [x for x, _ in p1[0].points("dot")], [r[1] for r in pops], p1[0].xspan(), "level=1 BLUPs")
    t.ok(not p1[0].marks("line", "errbar"), "no interval: no bars")


def coef(t, db):
    p = panels(parse(t, plot(db, "GLM2, final", "coef"), "coef"))[0]
    ticks_are(t, p, "x", REF["coef"]["xticks"], "coef")
    terms = list(reversed(p.categories("y")))
    for k, m in enumerate(["GLM2", "final"]):
        tidy = {r[0]: r[1:] for r in db.execute("SELECT term, estimate, std_error FROM lmm_tidy(?) WHERE effect = 'fixed'", (m,))}
        t.ok(terms == list(tidy), "coef: the terms in the model's order")
        dots = p.points("s%d" % k)
        want = [tidy[x] for x in reversed(terms)]
        near_all(t, [x for x, _ in dots], [w[0] for w in want], p.xspan(), "coef %s: estimates" % m)
        bars_ = [b for b in p.marks("line", "errbar") if "s%d" % k in classes(b)]
        near_all(t, [p.x(b.get("x1")) for b in bars_], [w[0] - w[1] for w in want], p.xspan(), "coef %s: estimate - SE" % m)
        near_all(t, [p.x(b.get("x2")) for b in bars_], [w[0] + w[1] for w in want], p.xspan(), "coef %s: estimate + SE" % m)
    root = parse(t, plot(db, "GLM2, final", "coef"), "coef legend")
    legend = [e.text for e in root.iter(NS + "text") if "legend" in classes(e)]
    t.ok(legend == ["final", "GLM2"] or legend == ["GLM2", "final"], "coef: a legend naming the models %r" % legend)


def ic(t, db):
    names = ["GLM", "lmm6.2", "final"]
    ps = panels(parse(t, plot(db, ", ".join(names), "ic"), "ic"))
    t.ok(len(ps) == 3, "ic: AIC, BIC, logLik")
    for p, stat in zip(ps, ["AIC", "BIC", "logLik"]):
        want = [db.execute("SELECT estimate FROM lmm_tidy(?) WHERE effect = 'fit' AND term = ?", (m, stat)).fetchone()[0]
                for m in names]
        near_all(t, [x for x, _ in p.points("dot")], list(reversed(want)), p.xspan(), "ic " + stat)


def deterministic(t, db):
    for call in [("LM", "diagnostics", None), ("lmm6.2", "ranef", "level=2, interval=0.9"), ("GLM2, final", "coef", None)]:
        a, b = plot(db, *call), plot(db, *call)
        t.ok(a == b, "%r: the same bytes twice" % (call,))
    a = db.execute("SELECT lmm_histogram(total_fruits, 'width=800, height=300, title=''a, b''') FROM arabidopsis").fetchone()[0]
    root = parse(t, a, "options")
    t.ok(root.get("viewBox") == "0 0 800 300" and root.find(NS + "title").text == "a, b", "width, height, title")


def undrawable(t, db):
    """Ranges a double cannot map onto a panel: an error naming the axis, never a figure of marks at 0 (R stops on
    "infinite axis extents")."""
    for sql, fragments in [
            ("SELECT lmm_plot('final', 'qq', 'xlim=-1e308:1e308')", ["x axis's range is too wide to draw", "xlim="]),
            ("SELECT lmm_plot('final', 'qq', 'ylim=-1e308:1e308')", ["y axis's range is too wide to draw", "ylim="]),
            ("SELECT lmm_histogram(x) FROM (SELECT 1e308 AS x UNION ALL SELECT -1e308)",
             ["range (-1e+308 to 1e+308) is too wide for a histogram's breaks"]),
            ("SELECT lmm_histogram(x) FROM (SELECT 8e307 AS x UNION ALL SELECT -8e307)",
             ["range (-8e+307 to 8e+307) is too wide for a histogram's breaks"]),
            ("SELECT lmm_histogram(x) FROM (SELECT 5e-324 AS x UNION ALL SELECT 0)", ["x axis's range is too narrow to draw"])]:
        t.error(db, sql, (), fragments, sql)
    # a saved fit whose standard error overflows the axis (a database from elsewhere)
    db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) SELECT 'wide', data, "
               "formula, random, options, json_replace(fit, '$.rows[1][4]', 1e308), created, version FROM lmm_models "
               "WHERE name = 'GLM2'")
    t.error(db, "SELECT lmm_plot('wide', 'coef')", (), ["x axis's range is too wide to draw"], "coef of an SE of 1e308")
    db.execute("DELETE FROM lmm_models WHERE name = 'wide'")
    t.ok(db.execute("SELECT lmm_histogram(x) FROM (SELECT 1e308 AS x UNION ALL SELECT 0)").fetchone()[0].startswith("<svg"),
         "a histogram up to 1e308 is drawn")


def run(t, db):
    histograms(t, db)
    barplots(t, db)
    fit_models(db)
    qq(t, db)
    resid_fitted(t, db)
    diagnostics(t, db)
    ranef(t, db)
    coef(t, db)
    ic(t, db)
    undrawable(t, db)
    deterministic(t, db)
