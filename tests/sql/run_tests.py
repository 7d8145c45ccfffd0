"""Runs the SQL-level tests through the real extension: every tests/sql/test_*.py
module's run(t, db), each on a fresh connection, the reference cases first and
the slow timings (time limits, interrupts) last.
Usage: python3 tests/sql/run_tests.py build/lmm [module ...]"""
import glob
import importlib
import os
import sys

import harness

FIRST, LAST = ["test_reference"], ["test_time_limit", "test_interrupt"]


def module_names():
    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(here, "test_*.py")))
    middle = [n for n in names if n not in FIRST + LAST]
    return [n for n in FIRST if n in names] + middle + [n for n in LAST if n in names]


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "build/lmm"
    os.environ["LMM_EXT"] = ext
    t = harness.Checks()
    for name in sys.argv[2:] or module_names():
        mod = importlib.import_module(name)
        db = harness.connect(ext)
        before = t.failed
        mod.run(t, db)
        db.close()
        print("%-22s %s" % (name, "ok" if t.failed == before else "FAILED"))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
