"""The eleven NIST StRD linear-regression data sets (tests/nist/*.dat) through
lmm_fit itself: each loaded into a table as NIST wrote its numbers, fitted with
the formula of its model line, and every estimate, standard error, the residual
standard deviation and R^2 held to 7 significant digits of the certified values
(the log relative error of tests/nist/test_nist.c: |x - c| / |c|, or |x| where
c is 0).  Filip's degree-10 polynomial is fitted twice, with I(x^k) and with
poly(x, 10, raw = TRUE); Wampler1 and Wampler2 are exact fits (residual
standard deviation 0), which lm reports with zero standard errors."""
import os
import re

from harness import ROOT, fit

DIGITS = 7
POWERS = lambda k: " + ".join(["x"] + ["I(x^%d)" % j for j in range(2, k + 1)])
MODELS = {   # set: the formulas of its model line (terms in the order of B1, B2, ...)
    "Norris": ["y ~ x"],
    "Pontius": ["y ~ x + I(x^2)"],
    "NoInt1": ["y ~ 0 + x"],
    "NoInt2": ["y ~ x - 1"],
    "Filip": ["y ~ " + POWERS(10), "y ~ poly(x, 10, raw = TRUE)"],
    "Longley": ["y ~ x1 + x2 + x3 + x4 + x5 + x6"],
    "Wampler1": ["y ~ " + POWERS(5)], "Wampler2": ["y ~ " + POWERS(5)], "Wampler3": ["y ~ " + POWERS(5)],
    "Wampler4": ["y ~ " + POWERS(5)], "Wampler5": ["y ~ " + POWERS(5)],
}


def load(name):
    """(certified {Bj: (estimate, sd)}, residual sd, R^2, column names, rows) of one .dat file."""
    with open(os.path.join(ROOT, "tests", "nist", name + ".dat")) as f:
        lines = [l.rstrip() for l in f]
    start = next(i for i, l in enumerate(lines) if re.match(r"\s*Data:\s+[A-Za-z]", l))
    cert, sd, r2 = {}, None, None
    for i, l in enumerate(lines[:start]):
        m = re.match(r"\s*B(\d+)\s+(\S+)\s+(\S+)\s*$", l)
        if m:
            cert[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
        elif "Standard Deviation" in l and "Residual" in lines[i - 1]:
            sd = float(l.split()[-1])
        elif l.strip().startswith("R-Squared"):
            r2 = float(l.split()[-1])
    cols = lines[start].split()[1:]
    rows = [tuple(float(v) for v in l.split()) for l in lines[start + 1:] if l.strip()]
    assert all(len(r) == len(cols) for r in rows), name
    return cert, sd, r2, cols, rows


def lre(got, cert):
    if got is None:
        return 0.0
    if got == cert:
        return 15.0
    import math
    d = abs(got) if cert == 0 else abs(got - cert) / abs(cert)
    return min(15.0, -math.log10(d)) if d > 0 else 15.0


def run(t, db):
    for name, formulas in MODELS.items():
        cert, sd, r2, cols, rows = load(name)
        t.ok(len(cert) >= 1 and sd is not None and r2 is not None and len(rows) >= 3, "%s: certified values read" % name)
        table = "nist_" + name.lower()
        db.execute("CREATE TABLE %s(%s)" % (table, ", ".join("%s REAL" % c for c in cols)))
        db.executemany("INSERT INTO %s VALUES(%s)" % (table, ",".join("?" * len(cols))), rows)
        for formula in formulas:
            got = fit(db, table, formula)
            fixed = [r for r in got if r["effect"] == "fixed"]
            stat = {r["term"]: r["estimate"] for r in got if r["effect"] == "fit"}
            what = "%s %r" % (name, formula)
            t.ok(len(fixed) == len(cert), "%s: %d coefficients, NIST certifies %d" % (what, len(fixed), len(cert)))
            for row, j in zip(fixed, sorted(cert)):
                b, s = cert[j]
                t.ok(lre(row["estimate"], b) >= DIGITS, "%s: B%d %r, certified %r" % (what, j, row["estimate"], b))
                t.ok(lre(row["std_error"], s) >= DIGITS, "%s: sd(B%d) %r, certified %r" % (what, j, row["std_error"], s))
            t.ok(lre(stat.get("sigma"), sd) >= DIGITS, "%s: residual sd %r, certified %r" % (what, stat.get("sigma"), sd))
            t.ok(lre(stat.get("r_squared"), r2) >= DIGITS, "%s: R^2 %r, certified %r" % (what, stat.get("r_squared"), r2))
            t.ok(stat.get("nobs") == len(rows), "%s: nobs %r of %d rows" % (what, stat.get("nobs"), len(rows)))
    exact(t, db)


def exact(t, db):
    """An exact fit is a result: zero standard errors and sigma, t infinite, p 0, R^2 1; lm, and gls by REML.
    R^2 without an intercept is summary.lm's (R 4.2.2); with an offset, that of R >= 4.3.0, which takes the offset out
    of the fitted values (mss / (mss + rss), computed in R 4.2.2 by hand; its summary.lm gives 0.331409366237745)."""
    for options in (None, "method=REML"):
        got = fit(db, "nist_wampler1", "y ~ " + POWERS(5), None, options)
        fixed = [r for r in got if r["effect"] == "fixed"]
        stat = {r["term"]: r["estimate"] for r in got if r["effect"] == "fit"}
        what = "Wampler1 %s" % (options or "lm")
        t.ok(all(r["std_error"] == 0 and r["statistic"] == float("inf") and r["p_value"] == 0 for r in fixed),
             "%s: standard errors 0, t Inf, p 0: %r" % (what, fixed))
        t.ok(stat["sigma"] == 0 and stat["logLik"] == float("inf"), "%s: sigma 0, logLik Inf: %r" % (what, stat))
        t.ok(stat.get("r_squared") == (1.0 if options is None else None), "%s: R^2 %r" % (what, stat.get("r_squared")))
    db.execute("CREATE TABLE nist_flat AS SELECT 5.0 AS y, x FROM nist_wampler1")
    got = {r["term"]: r for r in fit(db, "nist_flat", "y ~ 1")}
    t.ok(got["(Intercept)"]["estimate"] == 5 and got["(Intercept)"]["std_error"] == 0 and got["r_squared"]["estimate"] is None,
         "a response that does not vary: %r" % got)
    # as many rows as coefficients: lm interpolates them (R: standard errors and sigma NaN, logLik Inf); gls refuses, as R's
    db.execute("CREATE TABLE nist_two(x REAL, y REAL)")
    db.executemany("INSERT INTO nist_two VALUES (?, ?)", [(1, 5), (2, 8)])
    got = {r["term"]: r for r in fit(db, "nist_two", "y ~ x")}
    t.ok([got[k]["estimate"] for k in ("(Intercept)", "x")] == [2, 3] and got["x"]["std_error"] is None
         and got["sigma"]["estimate"] is None and got["logLik"]["estimate"] == float("inf")
         and got["r_squared"]["estimate"] == 1, "lm through two rows: %r" % got)
    t.error(db, "SELECT * FROM lmm_fit('nist_two', 'y ~ x', NULL, 'method=ML')", (), ["2 rows are too few for 2"], "gls, n = p")
    for formula, r2 in [("distance ~ Sex + offset(age/2)", 0.201761627177663), ("distance ~ 0 + age:Sex", 0.972569449061076)]:
        got = {r["term"]: r["estimate"] for r in fit(db, "orthodont", formula)}
        t.close(1e-12, got.get("r_squared"), r2, 1e-12, "R^2 of %r" % formula)
