"""sqlite3_interrupt() (Ctrl-C in the shell) stops a fit in progress within a
fraction of a second, with an error that says so, and leaves the connection
and the database as they were."""
import sqlite3
import threading
import time

from harness import fit

ROWS = 400000
MODEL = "y ~ x + (1 + x | school) + (1 | rater)"


def run(t, db):
    # a crossed model large enough that its fit takes a good second here
    db.execute("CREATE TEMP TABLE big AS WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < ROWS) "
               "SELECT abs(random() % 1000) * 0.002 AS y, abs(random() % 997) * 0.01 AS x, "
               "abs(random() % 8000) AS school, abs(random() % 300) AS rater FROM i".replace("ROWS", str(ROWS)))
    before = db.execute("SELECT count(*), total(y) FROM big").fetchone()
    for delay in (0.05, 0.4):   # while the rows are read, and later, in the blocks or the optimizer
        fired = []
        timer = threading.Timer(delay, lambda: (fired.append(time.perf_counter()), db.interrupt()))
        start = time.perf_counter()
        timer.start()
        try:
            db.execute("SELECT * FROM lmm_fit('big', ?)", (MODEL,)).fetchall()
            t.ok(False, "interrupt after %.2f s: the fit finished (%.2f s) before it" % (delay, time.perf_counter() - start))
        except sqlite3.OperationalError as e:
            lag = time.perf_counter() - fired[0] if fired else float("nan")
            t.ok("interrupted" in str(e), "interrupt after %.2f s: message %r" % (delay, str(e)))
            t.ok(lag < 0.5, "interrupt after %.2f s: the fit stopped %.3f s after sqlite3_interrupt" % (delay, lag))
        timer.join()
    t.ok(db.execute("SELECT count(*), total(y) FROM big").fetchone() == before, "the data changed")
    rows = fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)")
    t.ok(rows[0]["term"] == "(Intercept)" and abs(rows[0]["estimate"] - 251.405104848485) < 1e-6,
         "a fit after the interrupts gives %r" % rows[:1])
