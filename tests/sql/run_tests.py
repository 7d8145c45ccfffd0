"""Runs the SQL-level tests through the real extension.
Usage: python3 tests/sql/run_tests.py build/lmm"""
import os
import sys

import harness
import test_analysis
import test_errors
import test_interface
import test_interrupt
import test_random
import test_reference
import test_store

MODULES = [test_reference, test_interface, test_errors, test_analysis, test_store, test_interrupt, test_random]


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "build/lmm"
    os.environ["LMM_EXT"] = ext
    t = harness.Checks()
    for mod in MODULES:
        db = harness.connect(ext)
        before = t.failed
        mod.run(t, db)
        db.close()
        print("%-16s %s" % (mod.__name__, "ok" if t.failed == before else "FAILED"))
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
