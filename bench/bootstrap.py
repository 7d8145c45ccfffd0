"""The parametric bootstrap against lme4's bootMer (issue 17): 1,000 refits of sleepstudy (Days|Subject)
(REML) and of the Arabidopsis tutorial's lmm6.2 (ML), lmm_bootstrap's wall time against bootMer's, medians
over the runs (lmm: 5 runs, threads as lmm_bootstrap chooses and on one thread; lme4: --boot-lme4-runs,
1 by default, as one run is itself a thousand fits)."""
import os
import sqlite3
import statistics
import subprocess
import time

import data

MODELS = [
    ("sleepstudy", "sleepstudy", "Reaction ~ Days + (Days|Subject)", ""),
    ("lmm6.2", "arabidopsis", "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
     " + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)", "method=ML"),
]
NSIM = 1000
RUNS = 5


def _lmm_times(ext, table, formula, options, boot_options):
    con = sqlite3.connect(":memory:")
    src = sqlite3.connect(data.ref_db())
    src.backup(con)
    src.close()
    con.enable_load_extension(True)
    con.load_extension(ext)
    con.execute("SELECT count(*) FROM lmm_fit(?, ?, NULL, ?)", (table, formula, "save=b" + ("," + options if options else "")))
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        n = con.execute("SELECT count(*) FROM lmm_bootstrap('b', ?)", (boot_options,)).fetchone()[0]
        times.append(time.perf_counter() - t)
    con.close()
    return times, n


def _lme4_times(model, runs, timeout):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lme4_boot.R")
    try:
        out = subprocess.run(["Rscript", script, model, str(NSIM), str(runs)], capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return []
    return [float(line.split("\t")[1]) for line in out.stdout.splitlines() if line.startswith("time_s\t")]


def report(args, lme4):
    print()
    print("bootstrap: %d refits (lmm_bootstrap vs lme4's bootMer), median seconds" % NSIM)
    print("%-12s %10s %10s %10s %8s %8s" % ("model", "lmm", "lmm 1thr", "lme4", "ratio", "ratio1"))
    for name, table, formula, options in MODELS:
        lmm, n = _lmm_times(args.ext, table, formula, options, "nsim=%d, seed=1" % NSIM)
        lmm1, _ = _lmm_times(args.ext, table, formula, options, "nsim=%d, seed=1, threads=1" % NSIM)
        ref = _lme4_times(name, args.boot_lme4_runs, args.timeout * 4) if lme4 else []
        a, b = statistics.median(lmm), statistics.median(lmm1)
        c = statistics.median(ref) if ref else None
        print("%-12s %10.3f %10.3f %10s %8s %8s" % (name, a, b, "%.2f" % c if c else "-", "%.0fx" % (c / a) if c else "-",
                                                    "%.0fx" % (c / b) if c else "-"))


if __name__ == "__main__":   # this part alone: python3 bench/bootstrap.py [--ext build/lmm] [--no-lme4]
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ext", default="build/lmm")
    p.add_argument("--no-lme4", action="store_true")
    p.add_argument("--boot-lme4-runs", type=int, default=1)
    p.add_argument("--timeout", type=float, default=300)
    a = p.parse_args()
    a.ext = os.path.abspath(a.ext)
    report(a, None if a.no_lme4 else "lme4")
