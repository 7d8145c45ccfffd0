"""Profile confidence intervals (issue 17): lmm_confint(m, 'profile') against lme4's confint(m, method =
"profile") on the tutorial's lmm6.2 in lme4's notation (ML), both timed in this run, medians of the runs.

    /usr/bin/python3 bench/confint_profile.py [--ext build/lmm] [--runs 5] [--lme4-runs 1]   (bench.py runs it last)

Each engine fits once, untimed; then the intervals alone are timed: lmm opens the saved model (re-reads its 625
rows, evaluates at the saved theta) and profiles every parameter; R profiles the fitted merMod, which takes
minutes on this singular fit, so lme4 runs once unless asked for more.
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import data

HERE = os.path.dirname(os.path.abspath(__file__))
FORMULA = ("log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
           " + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)")
R_SCRIPT = r"""
suppressMessages(library(lme4))
A <- read.csv(file.path("%s", "tests", "data", "arabidopsis.csv"), stringsAsFactors = FALSE)
m <- lmer(%s, A, REML = FALSE)
for (i in seq_len(%d)) { t0 <- proc.time()[["elapsed"]]
  suppressWarnings(confint(m, method = "profile", quiet = TRUE))
  cat("run", proc.time()[["elapsed"]] - t0, "\n") }
"""


def lmm_runs(ext, runs):
    d = tempfile.mkdtemp(prefix="lmm-bench-confint-")
    try:
        path = os.path.join(d, "ref.db")
        shutil.copy(data.ref_db(), path)
        db = sqlite3.connect(path)
        db.enable_load_extension(True)
        db.load_extension(ext)
        db.execute("SELECT count(*) FROM lmm_fit('arabidopsis', ?, NULL, 'method=ML, save=lmm62')", (FORMULA,)).fetchall()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = db.execute("SELECT * FROM lmm_confint('lmm62', 'profile')").fetchall()
            times.append(time.perf_counter() - t0)
        db.close()
        return times, len(rows)
    finally:
        shutil.rmtree(d)


def lme4_runs(runs):
    root = os.path.dirname(HERE)
    p = subprocess.run(["Rscript", "-e", R_SCRIPT % (root, FORMULA, runs)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode:
        return None, p.stderr.strip().splitlines()[-1:]
    return [float(l.split()[1]) for l in p.stdout.splitlines() if l.startswith("run ")], None


def report(ext, runs, with_lme4, lme4_runs_n=1):
    lt, nrows = lmm_runs(ext, runs)
    print("\nprofile intervals of lmm6.2 (lme4 notation, ML; %d parameters): median of %d runs" % (nrows, runs))
    print("  lmm  lmm_confint(m, 'profile')        %8.3f s" % statistics.median(lt))
    if not with_lme4:
        return
    rt, err = lme4_runs(lme4_runs_n)
    if rt is None:
        print("  lme4 confint(method = 'profile')   failed: %s" % err)
        return
    print("  lme4 confint(m, method = 'profile') %8.3f s (%d runs)" % (statistics.median(rt), len(rt)))
    print("  lme4 / lmm: %.1fx" % (statistics.median(rt) / statistics.median(lt)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ext", default="build/lmm")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--lme4-runs", type=int, default=1, help="lme4's runs (each takes minutes on lmm6.2)")
    p.add_argument("--no-lme4", action="store_true")
    a = p.parse_args()
    report(os.path.abspath(a.ext), a.runs, not a.no_lme4, a.lme4_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
