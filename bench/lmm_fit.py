"""The lmm side of the benchmark: one model in a process of its own.

    /usr/bin/python3 bench/lmm_fit.py EXT DB TABLE FORMULA OPTIONS RUNS BUDGET COLUMNS [RANDOM]

Loads the extension EXT into database DB, scans the model's columns of TABLE once untimed (so the
scans and the fits find the file equally warm), records the peak resident set so far (the baseline:
this process doing only the scan), then times up to RUNS bare scans and RUNS fits of
lmm_fit(TABLE, FORMULA, RANDOM, OPTIONS) in turn (RANDOM: nlme's random part, NULL when not given), a scan
before each fit, so that both see the shared
machine in the same minutes, and records the peak resident set again.  A further fit starts only if
the fits so far plus one more of their median would stay within BUDGET seconds; the scans that are
left are timed after the fits.

Prints "key<TAB>value" lines, each as soon as it is known: rows, scan_s (one per scan), base_kb,
time_s (one per fit), peak_kb, logLik, evaluations, converged; or error.
"""
import sqlite3
import statistics
import sys
import time


def out(key, value):
    print("%s\t%s" % (key, value), flush=True)


def hwm_kb():
    """Peak resident set of this process so far (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def scan_sql(db, table, columns):
    """A bare scan that reads every column the model uses: sum() of numbers, count() of text."""
    types = {name: (decl or "").upper() for _, name, decl, *_ in db.execute("PRAGMA table_info(%s)" % quote(table))}
    parts = [("count(%s)" if "TEXT" in types.get(c, "") else "sum(%s)") % quote(c) for c in columns]
    return "SELECT count(*), %s FROM %s" % (", ".join(parts), quote(table))


def quote(name):
    return '"%s"' % name.replace('"', '""')


def timed(db, sql, params=()):
    t = time.perf_counter()
    rows = db.execute(sql, params).fetchall()
    return time.perf_counter() - t, rows


def main():
    ext, path, table, formula, options, runs, budget = sys.argv[1:8]
    columns = sys.argv[8].split(",")
    random = sys.argv[9] if len(sys.argv) > 9 and sys.argv[9] else None
    runs, budget = int(runs), float(budget)
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension(ext)

    scan = scan_sql(db, table, columns)
    _, rows = timed(db, scan)               # untimed warm-up
    out("rows", rows[0][0])
    out("base_kb", hwm_kb())

    fit = "SELECT effect, term, estimate FROM lmm_fit(?, ?, ?, ?)"
    times = []
    scans = 0
    for i in range(runs):
        if times and sum(times) + statistics.median(times) > budget:
            break
        out("scan_s", timed(db, scan)[0])
        scans += 1
        try:
            t, result = timed(db, fit, (table, formula, random, options or None))
        except sqlite3.Error as e:
            out("error", str(e).replace("\t", " ").replace("\n", " "))
            return 1
        times.append(t)
        out("time_s", t)
    for _ in range(runs - scans):
        out("scan_s", timed(db, scan)[0])
    out("peak_kb", hwm_kb())
    stats = {term: est for effect, term, est in result if effect == "fit"}
    for key in ("logLik", "evaluations", "converged"):
        out(key, repr(stats.get(key)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
