"""What make bench prints: the table, how time grows with rows, and the notes."""
import math

COLUMNS = [  # heading, key, format
    ("model", "model", "%s"),
    ("rows", "rows", "%d"),
    ("runs", "runs", "%s"),
    ("lmm s", "lmm", "%.3g"),
    ("scan s", "scan", "%.3g"),
    ("lmm/scan", "lmm/scan", "%.2f"),   # issue 20 asks "within 5x": the digits decide it
    ("lmm MB", "lmm_mb", "%.1f"),
    ("lme4 s", "lme4", "%.3g"),
    ("lme4/lmm", "lme4/lmm", "%.2f"),
    ("lme4 MB", "lme4_mb", "%.1f"),
    ("evals", "evals", "%d"),
    ("logLik lmm", "ll_lmm", "%.12g"),
    ("logLik lme4", "ll_lme4", "%.12g"),
    ("lme4 warned", "lme4_warned", "%s"),
]
LME4_KEYS = {"lme4", "lme4/lmm", "lme4_mb", "ll_lme4", "lme4_warned"}


def cell(r, key, fmt, lme4):
    if key == "lmm/scan":
        v = r["lmm"] / r["scan"] if r.get("lmm") and r.get("scan") else None
    elif key == "lme4/lmm":
        v = r["lme4"] / r["lmm"] if r.get("lme4") and r.get("lmm") else None
    elif key == "runs":
        v = "%d/%d" % (r.get("lmm_runs", 0), r.get("lme4_runs", 0)) if lme4 else "%d" % r.get("lmm_runs", 0)
    elif key == "lme4_warned":
        v = None if r.get(key) is None else ("yes" if r[key] else "no")
    else:
        v = r.get(key)
    if v is None:
        if key == "lmm" and r.get("lmm_status") in ("timeout", "error"):
            return r["lmm_status"]
        if key == "lme4" and r.get("lme4_status") in ("timeout", "error"):
            return r["lme4_status"]
        return "-"
    return fmt % v


def table(results, lme4):
    cols = [c for c in COLUMNS if lme4 or c[1] not in LME4_KEYS]
    grid = [[h for h, _, _ in cols]] + [[cell(r, k, f, lme4) for _, k, f in cols] for r in results]
    widths = [max(len(row[i]) for row in grid) for i in range(len(cols))]
    print()
    for n, row in enumerate(grid):
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print("s: median wall seconds over runs (lmm/lme4); scan: SELECT count(*) and sum()/count() of the model's columns")
    print("MB: peak resident set of the fitting process minus the same process before fitting"
          " (lmm: after a first scan; lme4: after reading the CSV)")


def slope(points):
    """Least-squares slope of log(time) on log(rows)."""
    pts = [(math.log(n), math.log(t)) for n, t in points if n and t]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else None


def growth(n0, t0, n1, t1):
    """The exponent b of time = c * rows^b through two points."""
    return math.log(t1 / t0) / math.log(n1 / n0)


def scaling(sims, lme4):
    for key, who in [("lmm", "lmm")] + ([("lme4", "lme4")] if lme4 else []):
        pts = [(r["rows"], r.get(key)) for r in sims]
        b = slope(pts)
        if b is None:
            print("%s time vs rows: fewer than two simulated sizes with a time" % who)
            continue
        steps = ", ".join("%d->%d rows: %.2f" % (n0, n1, growth(n0, t0, n1, t1))
                          for (n0, t0), (n1, t1) in zip(pts, pts[1:]) if t0 and t1)
        print("%s time grows as rows^%.2f (slope of log time on log rows over the simulated sizes; step by step %s)"
              % (who, b, steps))


def scaling_fixed(sims, raters):
    """Growth of lmm's time from the 1M row to the rows fitted with the 1M data set's raters."""
    pts = [(r["rows"], r.get("lmm")) for r in sims if r.get("lmm")]
    if len(pts) < 2 or pts[0][0] != 1_000_000:
        return
    (n0, t0), rest = pts[0], pts[1:]
    steps = ", ".join("%d->%d rows: %.2f" % (n0, n, growth(n0, t0, n, t)) for n, t in rest)
    print("lmm time with %d raters at every size (more schools, the same raters) grows as rows^: %s" % (raters, steps))


def notes(results, lme4):
    base = ["%s %.0f" % (r["model"], r["lmm_base_mb"]) for r in results if r.get("lmm_base_mb")]
    if base:
        print("baseline MB of the lmm process (python3 + sqlite3 + extension, after a first scan): " + ", ".join(base))
    if lme4:
        base = ["%s %.0f" % (r["model"], r["lme4_base_mb"]) for r in results if r.get("lme4_base_mb")]
        if base:
            print("baseline MB of the Rscript process (lme4 loaded, data read): " + ", ".join(base))
        lls = ["%s %+.1e" % (r["model"], r["ll_rel"]) for r in results if r.get("ll_rel") is not None]
        if lls:
            print("logLik (lmm - lme4) / |lme4|, positive where lmm's is higher: " + ", ".join(lls))
    flagged = [(r["model"], n) for r in results for n in r["notes"]]
    if flagged:
        print()
        print("LOOK:")
        for model, n in flagged:
            print("  %s: %s" % (model, n))
