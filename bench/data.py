"""The benchmark's data, made once and kept under build/bench/ between runs.

- sim_<rows>.db, sim_<rows>_r<raters>.db, sim_<rows>_<shape>.db: the simulated data set (bench/gen_sim.c says
  what it holds and what a shape is), remade when missing or older than the generator; the generator is compiled when missing or older than its source.
- ml_<rows>.db: MovieLens-shaped ratings (bench/gen_ml.c), made as the simulated data are.
- ref.db: every data set of tests/data loaded by tests/data/load.sql, remade when older than those files.
- <name>.csv: the rows of one model exported by the sqlite3 CLI for R, remade when older than its database
  or when its columns differ.
"""
import glob
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "build", "bench")


def _stale(target, *sources):
    if not os.path.exists(target):
        return True
    t = os.path.getmtime(target)
    return any(os.path.getmtime(s) > t for s in sources)


def generator(name="gen_sim"):
    src, exe = os.path.join(ROOT, "bench", name + ".c"), os.path.join(OUT, name)
    if _stale(exe, src, os.path.join(ROOT, "bench", "rng.h")):
        os.makedirs(OUT, exist_ok=True)
        cc = os.environ.get("CC") or "cc"
        subprocess.run([cc, "-O2", "-std=c11", "-Wall", "-Wextra", "-o", exe, src, "-lsqlite3", "-lm"], check=True)
    return exe


def sim_db(rows, raters=None, shape=None):
    """Path of the simulated database with `rows` rows (table sim), made if needed; raters None: the
    generator's default, 500*sqrt(rows/1M); shape: gen_sim's SHAPE ("text,trt3", ...), None the default."""
    exe = generator()
    name = "sim_%d" % rows + ("" if raters is None else "_r%d" % raters) \
        + ("" if not shape else "_" + shape.replace(",", "_"))
    extra = [] if raters is None and not shape else [str(raters or 0)] + ([shape] if shape else [])
    return _generated(os.path.join(OUT, name + ".db"), exe, [str(rows)], extra)


def ml_db(rows):
    """Path of the MovieLens-shaped ratings with `rows` rows (table ml; bench/gen_ml.c), made if needed."""
    exe = generator("gen_ml")
    return _generated(os.path.join(OUT, "ml_%d.db" % rows), exe, [str(rows)], [])


def _generated(path, exe, before, after):
    """path, made by `exe *before path.tmp *after` when missing or older than exe."""
    if _stale(path, exe):
        tmp = path + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        subprocess.run([exe] + before + [tmp] + after, check=True)
        os.replace(tmp, path)
    return path


def ref_db():
    """Path of the database with the reference data sets (arabidopsis, insteval, ...), made if needed."""
    load = os.path.join(ROOT, "tests", "data", "load.sql")
    path = os.path.join(OUT, "ref.db")
    if _stale(path, load, *glob.glob(os.path.join(ROOT, "tests", "data", "*.csv"))):
        os.makedirs(OUT, exist_ok=True)
        tmp = path + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        with open(load) as f:       # load.sql names its CSVs relative to the repository root
            subprocess.run(["sqlite3", tmp], stdin=f, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        os.replace(tmp, path)
    return path


def _header(path):
    with open(path) as f:
        return f.readline().strip()


def csv(db, table, columns, name):
    """The model's columns of `table` as CSV with a header, for R."""
    path = os.path.join(OUT, name + ".csv")
    if _stale(path, db) or _header(path) != ",".join(columns):
        sql = "SELECT %s FROM %s" % (", ".join('"%s"' % c for c in columns), '"%s"' % table)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            subprocess.run(["sqlite3", "-csv", "-header", db, sql], stdout=f, check=True)
        os.replace(tmp, path)
    return path


def panel_db(subjects):
    """Path of the simulated panel of the structured rows (table panel, `subjects` x 10 times), made if needed:
    subject s in group 'abc'[s % 3] with residual sd 1, 1.5 or 2 and group effect 0, 1, -1, a random intercept of
    sd 1, AR(1) errors with phi 0.5 along time 0..9, x ~ N(0, 1), y = 1 + 0.5 x + group + intercept + sd e; one
    seeded Python stream, so the same size always gives the same table."""
    import math
    import random
    import sqlite3
    path = os.path.join(OUT, "panel_%d.db" % subjects)
    if _stale(path, os.path.abspath(__file__)):
        os.makedirs(OUT, exist_ok=True)
        tmp = path + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        rnd = random.Random(1)
        con = sqlite3.connect(tmp)
        con.execute("CREATE TABLE panel(subject INTEGER, time INTEGER, x REAL, grp TEXT, y REAL)")

        def rows():
            for s in range(subjects):
                b, g = rnd.gauss(0, 1), "abc"[s % 3]
                sd, eff, e = (1, 1.5, 2)[s % 3], (0, 1, -1)[s % 3], rnd.gauss(0, 1)
                for t in range(10):
                    e = 0.5 * e + math.sqrt(0.75) * rnd.gauss(0, 1)
                    x = rnd.gauss(0, 1)
                    yield s, t, x, g, 1 + 0.5 * x + eff + b + sd * e
        con.executemany("INSERT INTO panel VALUES (?, ?, ?, ?, ?)", rows())
        con.commit()
        con.close()
        os.replace(tmp, path)
    return path
