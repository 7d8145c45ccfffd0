"""Models too large to fit: refused before anything is allocated, with a message that says what is too large
and how large, and the database left as it was.  Sizes were once multiplied in int: a 65,537-level factor
beside (1|g) made X'X's 65,538^2 wrap to 262,148 entries, and LAPACK wrote 34 GB into them; 65,536
random-effects terms wrapped the table of blocks the same way.  The data are made by recursive CTEs, so
each case costs a second or less."""
import ctypes
import ctypes.util
import sqlite3

from test_errors import snapshot

CALL = "SELECT * FROM lmm_fit(?, ?, NULL, 'save=too_large')"


def rows(n, columns):
    """A query of n rows: i = 0 .. n-1, y a spread of values, and the given column expressions of i."""
    cols = "".join(", %s AS %s" % (expr, name) for name, expr in columns)
    return ("WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < %d) "
            "SELECT (i * 7919 %% 1000) / 1000.0 AS y%s FROM r" % (n - 1, cols))


def refused(t, db, data, formula, fragments, what, avoid=("out of memory",)):
    """The fit fails with every fragment in its message and none of avoid."""
    try:
        db.execute(CALL, (data, formula)).fetchall()
    except (sqlite3.Error, MemoryError) as e:   # Python raises SQLITE_NOMEM as MemoryError
        msg = str(e)
        t.ok(all(f in msg for f in fragments) and not any(a in msg for a in avoid),
             "%s: message %r should hold %r" % (what, msg, fragments))
        return
    t.ok(False, "%s: no error" % what)


def refused_with(t, db, data, formula, random, options, fragments, what):
    """refused, for a call with a random part and options of its own."""
    try:
        db.execute("SELECT * FROM lmm_fit(?, ?, ?, ?)", (data, formula, random, options + ", save=too_large")).fetchall()
    except sqlite3.Error as e:
        t.ok(all(f in str(e) for f in fragments), "%s: message %r should hold %r" % (what, str(e), fragments))
        return
    t.ok(False, "%s: no error" % what)


def run(t, db):
    before = snapshot(db)
    # the heap overflow: 65,537 fixed-effect columns beside (1|g), 131,074 rows
    big = rows(131074, [("f", "'f' || (i % 65537)"), ("g", "'g' || (i % 5)")])
    refused(t, db, big, "y ~ f + (1|g)", ["the fixed effects have 65,537 columns", "X'X needs 34 GB", "(2.1 GB)"],
            "65,537-level fixed factor beside (1|g)")
    # 20,000 levels: once a bare "out of memory"
    f20k = rows(40000, [("f", "'f' || (i % 20000)"), ("g", "'g' || (i % 5)")])
    refused(t, db, f20k, "y ~ f + (1|g)", ["the fixed effects have 20,000 columns", "X'X needs 3.2 GB"],
            "20,000-level fixed factor beside (1|g)")
    refused(t, db, f20k, "y ~ f", ["20,000 columns over 40,000 rows", "factors X itself", "6.4 GB"],
            "20,000-level fixed factor in an lm")
    # an lm whose dense X is 4 GB: once SQLite's "out of memory"
    refused(t, db, rows(1000000, [("rater", "i % 503")]), "y ~ factor(rater)",
            ["503 columns over 1,000,000 rows", "factors X itself", "4.0 GB"], "lm with a 4 GB X")
    # random-effects terms: 300 copies of (1|g) on a one-level g: the count of terms is refused before the level
    one = rows(100, [("g", "'x'")])
    refused(t, db, one, "y ~ 1 + " + " + ".join(["(1|g)"] * 300),
            ["makes 257 random-effect terms in all, more than the 256 a model may have"], "300 random-effects terms")
    # 20,000 copies: once "out of memory" (400 million blocks); the parser refuses so long a chain first
    ten = rows(1000, [("g", "'g' || (i % 10)")])
    refused(t, db, ten, "y ~ 1 + " + " + ".join(["(1|g)"] * 20000), ["formula is more than 1000 operators deep"],
            "20,000 random-effects terms")
    # theta: one 64-column term has 2,080 parameters, the most; a second is refused
    k64 = rows(300, [("g", "'g' || (i % 3)"), ("k", "'k' || (i % 64)")])
    refused(t, db, k64, "y ~ 1 + (k | g) + (0 + k | g)",
            ["4160 covariance parameters (theta), more than the 2080"], "4,160 covariance parameters")
    # a residual structure's parameters: varIdent's strata were unbounded, and BOBYQA's workspace grows as their
    # square (2 GB for 6,000 strata, allocated inside NLopt where no interrupt is seen); held to theta's limit,
    # with theta where they are fitted together
    strata = rows(6000, [("s", "'s' || (i % 3000)"), ("g", "i % 10")])
    refused_with(t, db, strata, "y ~ 1", None, "method=ML, weights=varIdent(form = ~ 1 | s)",
                 ["weights= and correlation= have 2999 parameters to estimate more than the 2080"],
                 "varIdent over 3,000 strata")
    refused_with(t, db, rows(4000, [("s", "'s' || (i % 1041)"), ("x", "1 + i % 7")]), "y ~ 1", None,
                 "weights=varConstPower(form = ~ x | s)", ["have 2082 parameters to estimate more than the 2080"],
                 "varConstPower over 1,041 strata")
    k60 = rows(8000, [("s", "'s' || (i % 400)"), ("g", "i % 67"), ("k", "'k' || (i % 60)")])
    refused_with(t, db, k60, "y ~ 1", "k | g", "weights=varIdent(form = ~ 1 | s)",
                 ["have 399 parameters to estimate, fitted with the random effects' 1830 covariance parameters, more "
                  "than the 2080"], "varIdent beside a 60-column random term")
    # crossed terms whose factor fills in to a dense matrix of order 20,002 (3.2 GB)
    crossed = rows(60000, [("a", "i % 30000"), ("b", "(i * 7) % 20000")])
    refused(t, db, crossed, "y ~ 1 + (1|a) + (1|b)", ["terms from 'b' on are crossed", "order 20,002", "3.2 GB"],
            "crossed terms with a 3.2 GB dense factor")
    # a grouping of five variables whose levels multiply past 2^64: the mixed-radix key of a:b:c:d:e wrapped,
    # 2^16-level b..e shifted a out of it, and the fit ran on half the groups without a word
    wide = rows(131072, [("a", "i / 65536")] + [(v, "i % 65536") for v in "bcde"])
    refused(t, db, wide, "y ~ 1 + (1 | a:b:c:d:e)", ["grouping factor 'a:b:c:d:e'", "beyond 2^64"],
            "a grouping whose levels multiply past 2^64")
    # the host's heap limit (PRAGMA hard_heap_limit) is the memory available: X'X of 2,001 columns and its
    # copies need 256 MB, refused under a limit of 100 MB before any of it is allocated
    limit = db.execute("PRAGMA hard_heap_limit").fetchone()[0]
    db.execute("PRAGMA hard_heap_limit = 100000000")
    try:
        refused(t, db, rows(4000, [("f", "'f' || (i % 2000)"), ("g", "'g' || (i % 5)")]), "y ~ f + (1|g)",
                ["the fit needs about 256 MB of memory, more than the 100 MB available", "X'X and its copies, 32 MB"],
                "a model beyond the heap limit")
    finally:
        # the pragma only lowers the limit, which is the process's: put it back through the C call, or every
        # later test of this run would fit under 100 MB
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
        lib.sqlite3_hard_heap_limit64.restype = ctypes.c_int64
        lib.sqlite3_hard_heap_limit64.argtypes = [ctypes.c_int64]
        lib.sqlite3_hard_heap_limit64(limit)
    t.ok(db.execute("PRAGMA hard_heap_limit").fetchone()[0] == limit, "the heap limit was put back")
    t.ok(snapshot(db) == before, "the refused fits left the database as it was")
    t.ok(db.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'lmm_models'").fetchone()[0] == 0
         or db.execute("SELECT count(*) FROM lmm_models WHERE name = 'too_large'").fetchone()[0] == 0,
         "no refused model was saved")
