"""make bench-compare OLD=path/to/old/lmm: is a change slower?  The bench's models fitted by two
builds of the extension in one run, the builds alternating fit by fit.

    /usr/bin/python3 bench/compare.py OLD_EXT NEW_EXT [--sizes "10000 100000 1000000"] [--rounds 5]
                                      [--shape-rows 1000000] [--hard-rows 1000000] [--only REGEX]

Each round fits every model once with each build, in a fresh process each (bench/lmm_fit.py), the
order of the two builds swapped from one round to the next, so that both see the shared machine in
the same minutes.  Prints, per model, the median fit time of each build, their ratio (new / old),
and each build's deviance evaluations and logLik: a change of structure must leave those equal, and
a ratio is noise unless it stays away from 1 across reruns.
"""
import argparse
import os
import re
import statistics
import sys

import models
import runner

HERE = os.path.dirname(os.path.abspath(__file__))


def fit_once(ext, m, timeout):
    cmd = ["/usr/bin/python3", os.path.join(HERE, "lmm_fit.py"), ext, m.db, m.table, m.formula,
           m.options, "1", "1e9", ",".join(m.columns)]
    res = runner.run(cmd, timeout)
    if res.status != "ok":
        raise SystemExit("%s with %s: %s %s" % (m.name, ext, res.status, res.message))
    return res


def compare(m, exts, rounds, timeout):
    times = {e: [] for e in exts}
    last = {}
    for r in range(rounds):
        for e in (exts if r % 2 == 0 else exts[::-1]):
            res = fit_once(e, m, timeout)
            times[e] += res.floats("time_s")
            last[e] = res
    return times, last


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--sizes", default="10000 100000 1000000", help="rows of the simulated data sets")
    p.add_argument("--rounds", type=int, default=5, help="fits of each model by each build")
    p.add_argument("--timeout", type=float, default=600, help="seconds a fit may take")
    p.add_argument("--shape-rows", default="1000000", help="rows at which the shapes are fitted; '' for none")
    p.add_argument("--hard-rows", default="1000000", help="rows of the hard models (crossed slopes, MovieLens)")
    p.add_argument("--only", help="compare only the models whose name matches this regular expression")
    args = p.parse_args()
    exts = [os.path.abspath(args.old), os.path.abspath(args.new)]
    todo = models.reference_models() + [models.sim_model(int(float(s))) for s in args.sizes.split()] \
        + [models.shape_model(int(float(n)), s) for n in args.shape_rows.split() for s in models.SHAPES] \
        + [m for n in args.hard_rows.split() for m in models.crossed_slopes_models(int(float(n)))
           + [models.movielens_model(int(float(n)))]]
    if args.only:
        todo = [m for m in todo if re.search(args.only, m.name)]
    print("%-40s %10s %10s %7s %13s %s" % ("model", "old s", "new s", "new/old", "evals old/new", "logLik old/new"))
    worst = 0.0
    for m in todo:
        print("%s ..." % m.name, file=sys.stderr, flush=True)
        times, last = compare(m, exts, args.rounds, args.timeout)
        old, new = (statistics.median(times[e]) for e in exts)
        ev = "/".join("%d" % float(last[e].get("evaluations")) for e in exts)
        ll = " / ".join(last[e].get("logLik") for e in exts)
        print("%-40s %10.4f %10.4f %7.3f %13s %s" % (m.name, old, new, new / old, ev, ll), flush=True)
        worst = max(worst, new / old)
    print("largest ratio new/old: %.3f (medians of %d fits each, builds alternating)" % (worst, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
