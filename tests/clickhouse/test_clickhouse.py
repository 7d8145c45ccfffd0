"""The distributed pass end to end (issue 19): a two-shard ClickHouse cluster on 127.0.0.1 started here
(tests/clickhouse/cluster.sh) and stopped at the end, whatever happens; every reference case that lmm fits
from statistics (tests/sql/test_stats.py's) with its data split between the shards, and the simulated
y ~ x + trt + (1 + x | school) + (1 | rater) at 1M rows generated inside the engine (tools/ch_bench.py): the
fit from the statistics ClickHouse computes (tools/lmm_clickhouse.py) equals lmm_fit's on the same rows
(logLik within 1e-9 relative, estimates within 1e-6 of their SE).  The bytes of statistics moved are printed
beside the rows' bytes.  Fitted values and residuals computed in the cluster by lmm_augment_sql's query equal
lmm_augment's: row by row for sleepstudy, and the residual sum of squares of the simulated rows.  An unreachable
engine and an engine error are clear errors.

Usage: /usr/bin/python3 tests/clickhouse/test_clickhouse.py build/lmm [rows of the simulated data]"""
import os
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "sql"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import harness  # noqa: E402
import test_stats  # noqa: E402
import ch_bench  # noqa: E402
from lmm_clickhouse import EngineError, augment as ch_augment, fit as ch_fit, query  # noqa: E402

PORT = int(os.environ.get("LMM_CH_PORT", "18423"))   # not the bench cluster's (make ch-start: 18123)
URL = "http://127.0.0.1:%d" % PORT
URL2 = "http://127.0.0.1:%d" % (PORT + 1)


def ch_type(values):
    nums = [v for v in values if v is not None]
    base = "Float64" if all(isinstance(v, (int, float)) for v in nums) else "String"
    return "Nullable(%s)" % base if len(nums) < len(values) else base


def tsv(v):
    if v is None:
        return "\\N"
    if isinstance(v, float):
        return repr(v)
    return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def ch_name(name):
    """A name quoted for ClickHouse, which reads backslash escapes inside backquotes."""
    return "`%s`" % name.replace("\\", "\\\\").replace("`", "\\`")


def load_table(db, table):
    """The SQLite table as <table>_local on both shards (rows alternately) and the Distributed <table>."""
    cur = db.execute('SELECT * FROM "%s"' % table)
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    cols = ", ".join("%s %s" % (ch_name(n), ch_type([r[i] for r in rows])) for i, n in enumerate(names))
    for k, url in enumerate((URL, URL2)):
        query(url, "DROP TABLE IF EXISTS `%s`" % table)
        query(url, "DROP TABLE IF EXISTS `%s_local`" % table)
        query(url, "CREATE TABLE `%s_local` (%s) ENGINE = Log" % (table, cols))
        part = rows[k::2]
        if part:
            body = "".join("\t".join(tsv(v) for v in r) + "\n" for r in part)
            query(url, "INSERT INTO `%s_local` FORMAT TSV\n%s" % (table, body))
    query(URL, "CREATE TABLE `%s` AS `%s_local` ENGINE = Distributed(lmm2, default, `%s_local`)" % (table, table, table))


def reference_cases(t, db):
    loaded, fitted = set(), 0
    for name, ref in test_stats.qualifying_cases():
        sql = ref["sql"]
        data, formula, random, options = sql["data"], sql["formula"], sql.get("random"), sql.get("options")
        if random:
            options = (options + ", " if options else "") + "df=satterthwaite"
        try:   # the cases test_stats fits from statistics: lmm_fit fits them and the sqlite dialect carries them
            local = test_stats.rows_of(db, "SELECT * FROM lmm_fit(?, ?, ?, ?)", (data, formula, random, options))
            db.execute("SELECT * FROM lmm_stats_sql(?, ?, ?, ?, 'clickhouse')", (data, formula, random, options))
        except sqlite3.Error:
            continue
        if data not in loaded:
            load_table(db, data)
            loaded.add(data)
        try:
            remote, m = ch_fit(db, URL, data, formula, random, options, prefix="ch", measure=False)
        except (sqlite3.Error, EngineError) as e:
            t.ok(any(r in str(e) for r in test_stats.REFUSALS), "%s: %s" % (name, e))
            continue
        test_stats.compare(t, local, remote, "clickhouse " + name, *test_stats.NEAR_COLLINEAR.get(name, ()))
        fitted += 1
    print("clickhouse: %d reference cases fitted from the cluster's statistics (%d tables)" % (fitted, len(loaded)))
    t.ok(fitted >= 150, "only %d reference cases fitted from ClickHouse" % fitted)


def augmented(t, db):
    """lmm_augment_sql's query run in the cluster: a local fit's fitted values and residuals are lmm_augment's to
    1e-9, row by row (matched by Subject and Days: the shards return them in any order); a fit from the cluster's
    statistics gives the same within what the two fits differ."""
    f = test_stats.FORMULA
    db.execute("SELECT * FROM lmm_fit('sleepstudy', ?, NULL, 'save=ch_aug_l')", (f,)).fetchall()
    ch_fit(db, URL, "sleepstudy", f, options="save=ch_aug_s", prefix="ch", measure=False)
    key = lambda subject, days: (int(float(subject)), float(days))
    want = {key(r[0], r[1]): r[2:] for r in db.execute(
        "SELECT s.Subject, s.Days, a.fitted, a.resid FROM lmm_augment('ch_aug_l') AS a JOIN sleepstudy AS s "
        "ON s.rowid = a.source_rowid")}
    for model, tol in (("ch_aug_l", 1e-9), ("ch_aug_s", 1e-7)):
        (sql,) = db.execute("SELECT sql FROM lmm_augment_sql(?, 'sleepstudy', 'clickhouse')", (model,)).fetchone()
        got = [line.split("\t") for line in query(URL, sql + " FORMAT TSV").decode().splitlines()]
        t.ok(len(got) == len(want) == 180, "%s: %d rows from the cluster" % (model, len(got)))
        bad = [g for g in got if key(g[2], g[1]) not in want or any(
            abs(float(x) - w) > tol * 400 for x, w in zip(g[3:5], want[key(g[2], g[1])]))]
        t.ok(not bad, "%s: %d rows differ from lmm_augment's, first %r" % (model, len(bad), bad[:1]))
    n, rss, _, _ = ch_augment(db, URL, "sleepstudy", "ch_aug_s")
    (want_rss,) = db.execute("SELECT sum(resid * resid) FROM lmm_augment('ch_aug_l')").fetchone()
    t.ok(n == 180, "driver's augment: %d rows" % n)
    t.close(None, rss, want_rss, 1e-8, "residual sum of squares computed in the cluster")
    db.execute("DELETE FROM lmm_models WHERE name IN ('ch_aug_l', 'ch_aug_s')")


def backslash_names(t, db):
    """Columns whose names end in a backslash: lmm_stats_sql's and lmm_augment_sql's ClickHouse text once left such a
    name's quote open (ClickHouse reads backslash escapes there), so the text after it was read as SQL."""
    db.execute('CREATE TABLE ch_bs AS SELECT Reaction AS "y\\", Days, Subject AS "S\\" FROM sleepstudy')
    f = r"`y\` ~ Days + (1 | `S\`)"
    load_table(db, "ch_bs")
    local = test_stats.rows_of(db, "SELECT * FROM lmm_fit('ch_bs', ?, NULL, 'save=ch_bs_l')", (f,))
    remote, _ = ch_fit(db, URL, "ch_bs", f, prefix="chbs", measure=False)
    test_stats.compare(t, local, remote, "clickhouse: names ending in a backslash")
    n, rss, _, _ = ch_augment(db, URL, "ch_bs", "ch_bs_l")
    (want,) = db.execute("SELECT sum(resid * resid) FROM lmm_augment('ch_bs_l')").fetchone()
    t.ok(n == 180, "augment of names ending in a backslash: %d rows" % n)
    t.close(None, rss, want, 1e-8, "names ending in a backslash: residual sum of squares in the cluster")
    db.execute("DELETE FROM lmm_models WHERE name = 'ch_bs_l'")
    query(URL, "DROP TABLE ch_bs")
    for url in (URL, URL2):
        query(url, "DROP TABLE ch_bs_local")


def number_levels(t, db):
    """Groupings of numbers that R prints short (100000 is the level 1e+05, 0.1 + 0.2 the level 0.3): ClickHouse's
    text for them is not R's, and lmm_augment_sql's toString() lookup gave those rows no random effect (residual
    sum of squares 834.6 in the cluster against 242.5, helper-47); and a factor(v, levels = ...) filter dropped
    their rows from the statistics."""
    db.execute("CREATE TABLE ch_num(y REAL, x REAL, v REAL, w REAL)")
    db.executemany("INSERT INTO ch_num VALUES (?, ?, ?, ?)",
                   [((i % 6) * 0.7 + (i * 37 % 23) / 23.0 + 0.2 * (i % 5), i % 5,
                     [0.1 + 0.2, 0.7, 100000.0, 2e5, 1e-05, 0.0][i % 6], [100000.0, 2e5, 3.0][i % 3]) for i in range(240)])
    load_table(db, "ch_num")
    for f, what in (("y ~ x + (1 | v)", "numbers"), ("y ~ x + (1 | w)", "whole numbers")):
        db.execute("SELECT * FROM lmm_fit('ch_num', ?, NULL, 'save=ch_num_l')", (f,)).fetchall()
        n, rss, _, _ = ch_augment(db, URL, "ch_num", "ch_num_l")
        (want,) = db.execute("SELECT sum(resid * resid) FROM lmm_augment('ch_num_l')").fetchone()
        t.ok(n == 240, "levels of %s: %d rows" % (what, n))
        t.close(None, rss, want, 1e-8, "levels of %s: residual sum of squares in the cluster" % what)
    f = "y ~ x + factor(v, levels = c('0.3', '0.7', '1e+05', '2e+05'))"
    local = test_stats.rows_of(db, "SELECT * FROM lmm_fit('ch_num', ?)", (f,))
    remote, _ = ch_fit(db, URL, "ch_num", f, prefix="chnum", measure=False)
    test_stats.compare(t, local, remote, "clickhouse: factor levels of numbers")
    db.execute("DELETE FROM lmm_models WHERE name = 'ch_num_l'")
    query(URL, "DROP TABLE ch_num")
    for url in (URL, URL2):
        query(url, "DROP TABLE ch_num_local")


def simulated(t, db, rows):
    """The bench model at `rows` rows: generated in the cluster, fitted from its statistics and locally."""
    t0 = time.time()
    ch_bench.load(URL, rows, table="sim")
    gen = time.time() - t0
    remote, m = ch_fit(db, URL, "sim", ch_bench.MODEL, options="save=sim_m", prefix="sim")
    t1 = time.time()
    body = query(URL, "SELECT school, rater, trt, x, y FROM sim FORMAT TSV").decode()
    db.execute("DROP TABLE IF EXISTS sim_rows")
    db.execute("CREATE TABLE sim_rows (school INTEGER, rater INTEGER, trt INTEGER, x REAL, y REAL)")
    db.executemany("INSERT INTO sim_rows VALUES (?, ?, ?, ?, ?)",
                   ((int(a), int(b), int(c), float(d), float(e)) for a, b, c, d, e in
                    (line.split("\t") for line in body.splitlines())))
    pull = time.time() - t1
    t2 = time.time()
    local = test_stats.rows_of(db, "SELECT * FROM lmm_fit('sim_rows', ?, NULL, 'save=sim_l')", (ch_bench.MODEL,))
    local_s = time.time() - t2
    n, rss, _, aug_s = ch_augment(db, URL, "sim", "sim_m")
    (want_rss,) = db.execute("SELECT sum(resid * resid) FROM lmm_augment('sim_l')").fetchone()
    t.ok(n == rows, "augment in the cluster: %d rows" % n)
    t.close(None, rss, want_rss, 1e-8, "simulated: residual sum of squares computed in the cluster")
    print("clickhouse simulated %d rows: fitted values and residuals in the cluster %.1f s, residual sum of squares "
          "%.10g (locally %.10g)" % (rows, aug_s, rss, want_rss))
    db.execute("DELETE FROM lmm_models WHERE name IN ('sim_m', 'sim_l')")
    test_stats.compare(t, local, remote, "clickhouse simulated %d rows" % rows)
    print("clickhouse simulated %d rows: generated %.1f s; engine pass %.1f s, statistics %d bytes (%d rows) vs the "
          "rows' %d bytes (%.0f %%); fit from statistics %.1f s; rows pulled %.1f s, local fit %.1f s"
          % (rows, gen, m["engine_s"], m["stats_bytes"], m["stats_rows"], m["rows_bytes"],
             100.0 * m["stats_bytes"] / max(m["rows_bytes"], 1), m["fit_s"], pull, local_s))
    t.ok(m["rows_bytes"] == rows * (4 + 4 + 1 + 8 + 8), "rows' bytes %d for %d rows" % (m["rows_bytes"], rows))
    query(URL, "DROP TABLE sim")
    for url in (URL, URL2):
        query(url, "DROP TABLE sim_local")


def errors(t, db):
    """An unreachable engine and an engine error: the driver's message names them; nothing stored."""
    try:
        ch_fit(db, "http://127.0.0.1:%d" % (PORT + 50), "sleepstudy", test_stats.FORMULA, prefix="unreach")
        t.ok(False, "no error from an unreachable engine")
    except EngineError as e:
        t.ok("cannot reach ClickHouse at http://127.0.0.1:%d" % (PORT + 50) in str(e), "unreachable: %s" % e)
    db.execute("CREATE TEMP TABLE nosuch (Reaction REAL, Days REAL, Subject REAL)")   # declared here, not there
    try:
        ch_fit(db, URL, "nosuch", test_stats.FORMULA, prefix="enginerr")
        t.ok(False, "no error from an engine error")
    except EngineError as e:
        t.ok("refused the query" in str(e) and "nosuch" in str(e), "engine error: %s" % e)
    left = db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'unreach%' OR name LIKE 'enginerr%'")
    t.ok(left.fetchone()[0] == 0, "a failed round trip stored statistics")


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "build/lmm"
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    cluster = os.path.join(ROOT, "build", "ch-test")
    env = dict(os.environ, LMM_CH_PORT=str(PORT))
    script = os.path.join(HERE, "cluster.sh")
    t = harness.Checks()
    try:
        subprocess.run(["sh", script, "start", cluster], check=True, env=env)
        _, path = harness.private_copy("lmm-ch-")
        db = harness.connect(ext, path)
        errors(t, db)
        reference_cases(t, db)
        augmented(t, db)
        backslash_names(t, db)
        number_levels(t, db)
        simulated(t, db, rows)
    finally:
        subprocess.run(["sh", script, "stop", cluster], env=env)
    left = subprocess.run(["pgrep", "-f", cluster], capture_output=True, text=True).stdout.split()
    t.ok(not left, "clickhouse-server processes left running: %s" % left)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main())
