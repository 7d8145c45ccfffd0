"""Residual structures (issue 16): lmm_fit with nlme's correlation= and weights= on the simulated panel
(data.panel_db: subjects x 10 times, AR(1) errors, three groups of unequal variance), against nlme fitted on the
same rows in the same run where nlme takes minutes at most, and against a bare scan of the model's columns.

    /usr/bin/python3 bench/structures.py [--ext build/lmm] [--budget 180] [--no-nlme]   (bench.py runs it last)

Rows: lme's y ~ x + grp, random = ~ 1 | subject, corAR1(form = ~ time | subject), varIdent(form = ~ 1 | grp), REML,
at 100k rows against nlme::lme (the issue's 50x) and at 1M rows against the scan (its 10x); gls with
corAR1(form = ~ time | subject), REML, at 1M rows against the scan.  The lmm side is bench/lmm_fit.py, the
nlme side bench/nlme_fit.R, both through bench/runner.py; medians of the runs.
"""
import argparse
import os
import statistics
import subprocess
import sys

import data
import runner

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["y", "x", "grp", "subject", "time"]
AR1 = "corAR1(form = ~ time | subject)"
VARIDENT = "varIdent(form = ~ 1 | grp)"
# (name, subjects, random, correlation, weights, runs, with nlme)
ROWS = [
    ("lme AR1 + varIdent", 10_000, "1|subject", AR1, VARIDENT, 3, True),
    ("lme AR1 + varIdent", 100_000, "1|subject", AR1, VARIDENT, 3, False),
    ("gls AR1", 100_000, "", AR1, "", 3, False),
]


def options(correlation, weights):
    return ", ".join(o for o in ("correlation=" + correlation if correlation else "",
                                 "weights=" + weights if weights else "") if o)


def nlme_available():
    try:
        return subprocess.run(["Rscript", "-e", "library(nlme)"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


def measure(args, name, subjects, random, correlation, weights, runs, with_nlme):
    db = data.panel_db(subjects)
    r = {"model": name, "rows": subjects * 10, "notes": []}
    cmd = ["/usr/bin/python3", os.path.join(HERE, "lmm_fit.py"), args.ext, db, "panel", "y ~ x + grp",
           options(correlation, weights), str(runs), str(args.budget), ",".join(COLUMNS), random]
    a = runner.run(cmd, args.timeout)
    times, scans = a.floats("time_s"), a.floats("scan_s")
    r["lmm"] = statistics.median(times) if times else None
    r["scan"] = statistics.median(scans) if scans else None
    r["runs"] = len(times)
    r["evals"] = a.get("evaluations")
    r["ll_lmm"] = a.get("logLik")
    if a.status != "ok":
        r["notes"].append("lmm %s: %s" % (a.status, a.message))
    if with_nlme:
        csv = data.csv(db, "panel", COLUMNS, "panel_%d" % subjects)
        cmd = ["Rscript", os.path.join(HERE, "nlme_fit.R"), csv, "y ~ x + grp", random.replace("|", " | "),
               correlation, weights, "TRUE", str(runs), str(args.budget), "grp,subject"]
        b = runner.run(cmd, args.timeout)
        nt = b.floats("time_s")
        r["nlme"] = statistics.median(nt) if nt else None
        r["nlme_runs"] = len(nt)
        r["ll_nlme"] = b.get("logLik")
        if b.status != "ok":
            r["notes"].append("nlme %s: %s" % (b.status, b.message))
    return r


def fmt(v, f):
    return "-" if v is None else f % v


def report(args, with_nlme):
    print("\nresidual structures on the simulated panel (y ~ x + grp, REML; subjects x 10 times): medians")
    head = ("model", "rows", "runs", "lmm s", "scan s", "lmm/scan", "nlme s", "nlme/lmm", "evals", "logLik lmm",
            "logLik nlme")
    grid = [head]
    for name, subjects, random, correlation, weights, runs, nl in ROWS:
        r = measure(args, name, subjects, random, correlation, weights, runs, nl and with_nlme)
        lmm, scan, nlme = r["lmm"], r["scan"], r.get("nlme")
        grid.append((r["model"], "%d" % r["rows"], "%d/%d" % (r["runs"], r.get("nlme_runs", 0)), fmt(lmm, "%.3g"),
                     fmt(scan, "%.3g"), fmt(lmm / scan if lmm and scan else None, "%.1f"), fmt(nlme, "%.3g"),
                     fmt(nlme / lmm if nlme and lmm else None, "%.0f"), r["evals"] or "-", r["ll_lmm"] or "-",
                     r.get("ll_nlme") or "-"))
        for n in r["notes"]:
            print("  note: %s %d: %s" % (name, r["rows"], n))
    widths = [max(len(str(row[i])) for row in grid) for i in range(len(head))]
    for k, row in enumerate(grid):
        print("  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ext", default="build/lmm")
    p.add_argument("--budget", type=float, default=180)
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--no-nlme", action="store_true")
    a = p.parse_args()
    a.ext = os.path.abspath(a.ext)
    report(a, not a.no_nlme and nlme_available())
    return 0


if __name__ == "__main__":
    sys.exit(main())
