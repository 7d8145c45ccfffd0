"""make bench: lmm_fit's speed against a bare scan of the same rows, and against lme4 when R has it.

    /usr/bin/python3 bench/bench.py [--ext build/lmm] [--sizes "10000 100000 1000000 10000000"]
                                    [--fixed-sizes "10000000 100000000"] [--timeout 300] [--budget 180] [--no-lme4]
                                    [--lme4-max-rows 1000000] [--shape-rows 1000000] [--hard-rows 1000000]
                                    [--only REGEX]

For each model (Arabidopsis random slopes ML, InstEval ML, the simulated model at each size) it
measures, in the same run: the rows; the median wall time of lmm_fit and of a bare scan of the same
columns; the peak memory of the fit (bench/lmm_fit.py, a process of its own); deviance evaluations
and logLik; and, when `Rscript -e 'library(lme4)'` works, the same model fitted by lmer on the same
rows (bench/lme4_fit.R).  Then one table, and how lmm's time grows with rows across the simulated
sizes.  The simulated raters grow as 500*sqrt(rows/1M), so at 10M rows the dense rater-by-rater block
is ten times the 1M one's; the model is also fitted at --fixed-sizes (10M) with the 1M data set's 500
raters, and the growth printed with the rows alone growing (1M to 10M).  The machine may be shared
and noisy: read the ratios, not the absolute times.
lme4 is not run above --lme4-max-rows (1M): at 10M rows it would need over 10 GB and most of an hour,
so the 10M row has lmm's numbers and the scan's only.
Shapes: the simulated model is also fitted at --shape-rows (1M) on data of other shapes (models.SHAPES:
text ids, three treatment levels, uniform and skewed x, rows sorted by school), each against a bare scan
of its own columns, lmm only.  Hard models at --hard-rows (1M): random slopes on both crossed terms, on
data where the rater slope's variance is zero and on data where it is 0.2, and MovieLens-shaped crossed
intercepts (6,040 users x 3,706 items, heavy-tailed); lme4's fits of the crossed slopes get three times
--timeout.  --only REGEX keeps the models whose name matches (and skips the profile
and bootstrap sections): `--only 'sim 1M'` runs the 1M row and its shapes.

Timeouts: a fit (lmm or lme4) that gives no result within TIMEOUT seconds, scaled by
max(1, rows / 1M), is killed and printed as 'timeout'.  Repeats: 5 runs up to 1M rows, 3 above;
but a further run of one model in one engine starts only if the runs so far plus one more of their
median stay within BUDGET seconds (so at 1M rows lme4, ~95 s a fit, runs once).
"""
import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys

import confint_profile
import bootstrap
import data
import models
import report
import runner
import structures

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SIZES = "10000 100000 1000000 10000000"
FIXED_RATERS = 500          # the 1M data set's raters: --fixed-sizes fits the model with this many too
LOGLIK_RTOL = 1e-4


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def lme4_version():
    """lme4's version when `Rscript -e 'library(lme4)'` works, else None."""
    try:
        p = subprocess.run(["Rscript", "-e", "suppressMessages(library(lme4)); cat(format(packageVersion('lme4')))"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def timeout_for(args, m):
    return args.timeout * m.timeout * max(1.0, (m.rows or 0) / 1e6)


def run_lmm(args, m):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "lmm_fit.py"), args.ext, m.db, m.table, m.formula,
           m.options, str(m.runs), str(args.budget), ",".join(m.columns)]
    return runner.run(cmd, timeout_for(args, m))


def run_lme4(args, m):
    csv = data.csv(m.db, m.table, m.columns, m.slug)
    cmd = ["Rscript", os.path.join(HERE, "lme4_fit.R"), csv, m.formula, "TRUE" if m.reml else "FALSE",
           str(m.runs), str(args.budget), ",".join(m.factors)]
    return runner.run(cmd, timeout_for(args, m))


def median(xs):
    return statistics.median(xs) if xs else None


def summarize(res, who, r):
    """Put one engine's measurements (a runner.Result) into the row r under keys who, who_runs, ..."""
    times = res.floats("time_s")
    r[who + "_runs"] = len(times)
    r[who + "_status"] = res.status
    r[who] = median(times) if res.status != "timeout" else None    # a timed-out fit has no time
    if res.status != "ok":
        r["notes"].append("%s %s: %s" % (who, res.status, res.message))
    if res.get("peak_kb") and res.get("base_kb"):
        r[who + "_mb"] = (float(res.get("peak_kb")) - float(res.get("base_kb"))) / 1024
        r[who + "_base_mb"] = float(res.get("base_kb")) / 1024
    r["ll_" + who] = _num(res.get("logLik"))


def measure(args, m, lme4):
    """One row of the table: a dict of numbers (None where there is none), with notes."""
    log("%s: lmm_fit ..." % m.name)
    a = run_lmm(args, m)
    if a.get("rows"):
        m.rows = int(a.get("rows"))
    r = {"model": m.name, "rows": m.rows, "scan": median(a.floats("scan_s")),
         "evals": _num(a.get("evaluations")), "notes": []}
    summarize(a, "lmm", r)
    if a.get("converged") not in (None, "1", "1.0"):
        r["notes"].append("lmm says converged = %s" % a.get("converged"))
    if not lme4 or not m.lme4:
        return r
    if m.rows and m.rows > args.lme4_max_rows:
        r["notes"].append("lme4 not run: %d rows is above --lme4-max-rows %d" % (m.rows, args.lme4_max_rows))
        return r
    log("%s: lme4 ..." % m.name)
    b = run_lme4(args, m)
    summarize(b, "lme4", r)
    w = b.get("warnings")
    r["lme4_warned"] = None if w is None else w != "none"
    if r["lme4_warned"]:
        r["notes"].append("lme4 warned: %s" % w)
    if r["ll_lmm"] is not None and r["ll_lme4"] is not None:
        # signed: positive where lmm's likelihood is the higher (the issue asks for at least lme4's)
        r["ll_rel"] = (r["ll_lmm"] - r["ll_lme4"]) / abs(r["ll_lme4"])
        if abs(r["ll_rel"]) > LOGLIK_RTOL:
            r["notes"].append("logLik differs from lme4 by %.2g relative (lmm %.10g, lme4 %.10g)"
                              % (r["ll_rel"], r["ll_lmm"], r["ll_lme4"]))
    return r


def _num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def sim_sizes(db):
    con = sqlite3.connect(db)
    schools, raters = con.execute("SELECT schools, raters FROM sim_meta").fetchone()
    con.close()
    return "%d schools x %d raters" % (schools, raters)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ext", default="build/lmm", help="the extension to load (default build/lmm)")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="rows of the simulated data sets")
    p.add_argument("--fixed-sizes", default="10000000 100000000",
                   help="rows at which the simulated model is also fitted with %d raters (the 1M data set's"
                        " pool) instead of 500*sqrt(rows/1M); '' for none" % FIXED_RATERS)
    p.add_argument("--timeout", type=float, default=300, help="seconds per fit at up to 1M rows")
    p.add_argument("--budget", type=float, default=180, help="seconds of fitting per model and engine")
    p.add_argument("--no-lme4", action="store_true", help="do not run lme4 even if R has it")
    p.add_argument("--boot-lme4-runs", type=int, default=1, help="bootMer runs of 1,000 refits per model")
    p.add_argument("--lme4-max-rows", type=int, default=1_000_000, help="run lme4 only up to this many rows")
    p.add_argument("--shape-rows", default="1000000", help="rows at which the shapes are fitted; '' for none")
    p.add_argument("--hard-rows", default="1000000",
                   help="rows at which the hard models (crossed slopes, MovieLens-shaped) are fitted; '' for none")
    p.add_argument("--only", help="fit only the models whose name matches this regular expression")
    args = p.parse_args()
    args.ext = os.path.abspath(args.ext)
    sizes = [int(float(s)) for s in args.sizes.split()]
    fixed = [n for n in (int(float(s)) for s in args.fixed_sizes.split()) if n != 1_000_000]

    lme4 = None if args.no_lme4 else lme4_version()
    log("lme4: %s" % (lme4 or "not used (no lme4 columns)"))
    log("making the data under %s ..." % os.path.relpath(data.OUT))
    todo = models.reference_models() + [models.sim_model(n) for n in sizes] \
        + [models.sim_model(n, FIXED_RATERS) for n in fixed] \
        + [models.shape_model(int(float(n)), s) for n in args.shape_rows.split() for s in models.SHAPES] \
        + [m for n in args.hard_rows.split() for m in models.crossed_slopes_models(int(float(n)))
           + [models.movielens_model(int(float(n)))]]
    if args.only:
        todo = [m for m in todo if re.search(args.only, m.name)]
    results = [measure(args, m, lme4) for m in todo]

    print("lmm bench: %s; %d cores; sqlite %s; lme4 %s" % (os.path.relpath(args.ext), os.cpu_count(),
          sqlite3.sqlite_version, lme4 or "not used"))
    print("simulated: y ~ x + trt + (1 + x | school) + (1 | rater), schools = rows/50, raters = 500*sqrt(rows/1M)"
          " unless the name says: " + "; ".join("%s %s" % (models.human(m.rows), sim_sizes(m.db))
                                                for m in todo if m.series))
    report.table(results, lme4)
    sims = [(m, r) for m, r in zip(todo, results) if m.series]
    report.scaling([r for m, r in sims if m.raters is None], lme4)
    report.scaling_fixed([r for m, r in sims if m.raters is None and r["rows"] == 1_000_000]
                         + [r for m, r in sims if m.raters is not None], FIXED_RATERS)
    report.notes(results, lme4)
    if args.only:
        return 0
    confint_profile.report(args.ext, 5, lme4 is not None)
    bootstrap.report(args, lme4)
    structures.report(args, structures.nlme_available())
    return 0


if __name__ == "__main__":
    sys.exit(main())
