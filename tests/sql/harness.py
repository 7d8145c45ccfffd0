"""A small test harness for SQL-level tests: a fresh database with the test
data loaded, the extension loaded into it, and counted checks that end with
the line 'N passed, N failed'."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what)
        return cond

    def close(self, rel, got, want, tol, what):
        good = got is not None and want is not None and abs(got - want) <= tol * max(abs(want), 1e-300)
        return self.ok(good, "%s: got %r, R %r (rel tol %g)" % (what, got, want, tol))

    def absclose(self, got, want, tol, what):
        good = got is not None and want is not None and abs(got - want) <= tol
        return self.ok(good, "%s: got %r, R %r (abs tol %g)" % (what, got, want, tol))

    def error(self, db, sql, params, fragments, what):
        """The statement fails with a message containing every fragment."""
        try:
            db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            msg = str(e)
            missing = [f for f in fragments if f not in msg]
            return self.ok(not missing, "%s: message %r lacks %r" % (what, msg, missing))
        return self.ok(False, "%s: no error from %s %r" % (what, sql, params))

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


_DB_FILE = None


def database_file():
    """A database holding every test data set, made once per run."""
    global _DB_FILE
    if _DB_FILE is None:
        d = tempfile.mkdtemp(prefix="lmm-test-")
        _DB_FILE = os.path.join(d, "data.db")
        with open(os.path.join(ROOT, "tests", "data", "load.sql")) as f:
            subprocess.run(["sqlite3", _DB_FILE], stdin=f, cwd=ROOT, check=True)
    return _DB_FILE


def private_copy(prefix):
    """A copy of the test database that a test may change at will: (its directory, its path)."""
    d = tempfile.mkdtemp(prefix=prefix)
    path = os.path.join(d, "data.db")
    shutil.copy(database_file(), path)
    return d, path


def connect(extension, path=None):
    db = sqlite3.connect(path or database_file())
    db.enable_load_extension(True)
    db.load_extension(extension)
    return db


def row_counter(db):
    """An SQL function tick() that is true and counts its calls: a data query
    "SELECT * FROM t WHERE tick()" counts the rows a statement reads."""
    calls = [0]

    def tick():
        calls[0] += 1
        return 1
    db.create_function("tick", 0, tick)
    return calls


def fit(db, data, formula, random=None, options=None):
    """The rows of one lmm_fit call as dictionaries."""
    cur = db.execute("SELECT effect, grp, term, estimate, std_error, statistic, df, p_value "
                     "FROM lmm_fit(?, ?, ?, ?)", (data, formula, random, options))
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]
