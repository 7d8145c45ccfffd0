#!/usr/bin/python3
"""lmm_clickhouse.py — fit a model whose rows live in ClickHouse: the pass over the rows runs there, the fit in lmm.

    /usr/bin/python3 tools/lmm_clickhouse.py --url http://127.0.0.1:18123 --table bench \\
        --formula 'y ~ x + trt + (1 + x | school) + (1 | rater)' [--random ...] [--options 'save=m1'] \\
        [--db fits.db] [--prefix bench] [--ext build/lmm] [--augment]

It asks lmm_stats_sql (in the SQLite database --db, with lmm loaded) for the model's queries in the clickhouse
dialect, runs each on the server over its HTTP interface, stores each result in --db as <prefix>_<name>,
and prints lmm_fit_stats's rows, then one line of measurements: the engine's time, the bytes of statistics
moved against the bytes of the columns the model reads (uncompressed, over the shards of a Distributed
table), lmm's fit time.  Only the standard library: urllib for HTTP, sqlite3 for the fit.

--augment saves the fit (save=<prefix>_model unless --options saves it) and runs lmm_augment_sql's query for it
where the rows are, aggregated there: it prints the rows and the residual sum of squares the engine computed,
so the fitted values and residuals never leave the cluster.

A plain column is a factor where ClickHouse holds it as text (String): the table's columns are declared in
--db (a TEMP table of that name) when --db has no table of that name, so lmm_stats_sql reads them as a
local fit would read those values.
"""
import argparse
import gzip
import json
import re
import resource
import sqlite3
import sys
import time
import urllib.error
import urllib.request


class EngineError(Exception):
    """ClickHouse unreachable or refusing a query: the message says which and why."""


def query(url, sql, timeout=3600, wire=None, settings=""):
    """The response body (bytes) of one query, or EngineError.  The server compresses it (gzip) when asked;
    wire, a list, gets the bytes that crossed the network appended; settings, "&name=value..." for the URL."""
    req = urllib.request.Request(url.rstrip("/") + "/?enable_http_compression=1" + settings, data=sql.encode("utf-8"),
                                 method="POST", headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            if wire is not None:
                wire.append(len(body))
            return gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
    except urllib.error.HTTPError as e:
        body = e.read()
        if e.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        body = body.decode("utf-8", "replace").strip()
        raise EngineError("ClickHouse at %s refused the query (HTTP %d): %s" % (url, e.code, body[:2000]))
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise EngineError("cannot reach ClickHouse at %s: %s; is the server running (tests/clickhouse/cluster.sh "
                          "start)?" % (url, reason))


def unescape(field):
    """A TSV field as ClickHouse escapes it (\\N is NULL)."""
    if field == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "0": "\0", "b": "\b", "f": "\f"}.get(
        m.group(1), m.group(1)), field) if "\\" in field else field


def sqlite_type(ch_type):
    inner = re.sub(r"^(Nullable|LowCardinality)\((.*)\)$", r"\2", ch_type)
    if inner.startswith(("Int", "UInt")):
        return "INTEGER"
    if inner.startswith(("Float", "Decimal")):
        return "REAL"
    return "TEXT"


def convert(value, typ):
    if value is None:
        return None
    if typ == "INTEGER":
        return int(value)
    if typ == "REAL":
        return float(value)   # ClickHouse writes the shortest text that reads back as the same double
    return value


def store(db, table, body):
    """A TSVWithNamesAndTypes body as the SQLite table `table` (replaced)."""
    lines = body.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    names, types = [unescape(n) for n in lines[0].split("\t")], [sqlite_type(t) for t in lines[1].split("\t")]
    db.execute('DROP TABLE IF EXISTS "%s"' % table.replace('"', '""'))
    db.execute('CREATE TABLE "%s" (%s)' % (table.replace('"', '""'), ", ".join(
        '"%s" %s' % (n.replace('"', '""'), t) for n, t in zip(names, types))))
    rows = ([convert(unescape(f), t) for f, t in zip(line.split("\t"), types)] for line in lines[2:])
    db.executemany('INSERT INTO "%s" VALUES (%s)' % (table.replace('"', '""'), ", ".join("?" * len(names))), rows)
    return len(lines) - 2


def ch_literal(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def declare_table(db, url, table):
    """A TEMP table of the ClickHouse table's columns, where --db has no table of that name."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = ? UNION ALL SELECT 1 FROM sqlite_temp_master WHERE name = ?",
                  (table, table)).fetchone():
        return
    body = query(url, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = %s "
                      "FORMAT TSV" % ch_literal(table)).decode()
    cols = [line.split("\t") for line in body.splitlines() if line]
    if not cols:
        raise EngineError("ClickHouse at %s has no table '%s'" % (url, table))
    db.execute('CREATE TEMP TABLE "%s" (%s)' % (table.replace('"', '""'), ", ".join(
        '"%s" %s' % (n.replace('"', '""'), sqlite_type(t)) for n, t in cols)))


def rows_bytes(url, table, columns):
    """Uncompressed bytes of the columns read, summed over the shards of a Distributed table (or the table)."""
    engine = query(url, "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = %s "
                        "FORMAT TSV" % ch_literal(table)).decode().strip()
    m = re.match(r"Distributed\(\s*'?(\w+)'?\s*,\s*'?(\w+)'?\s*,\s*'?(\w+)'?", engine)
    cols = ", ".join(ch_literal(c) for c in columns)
    if not m:
        sql = ("SELECT sum(data_uncompressed_bytes) FROM system.columns WHERE database = currentDatabase() AND "
               "table = %s AND name IN (%s) FORMAT TSV" % (ch_literal(table), cols))
    else:
        cluster, db, local = m.groups()
        shards = query(url, "SELECT host_address, port FROM system.clusters WHERE cluster = %s FORMAT TSV"
                       % ch_literal(cluster)).decode().split()
        addrs = ",".join("%s:%s" % (shards[i], shards[i + 1]) for i in range(0, len(shards), 2))
        sql = ("SELECT sum(data_uncompressed_bytes) FROM remote(%s, system, columns) WHERE database = %s AND "
               "table = %s AND name IN (%s) FORMAT TSV" % (ch_literal(addrs), ch_literal(db), ch_literal(local), cols))
    return int(float(query(url, sql).decode().strip() or 0))


def fit(db, url, table, formula, random=None, options=None, prefix=None, measure=True):
    """The round trip: queries from lmm, run in ClickHouse, stored, fitted.  Returns (rows, measurements)."""
    prefix = prefix or table
    declare_table(db, url, table)
    queries = db.execute("SELECT name, sql FROM lmm_stats_sql(?, ?, ?, ?, 'clickhouse')",
                         (table, formula, random, options)).fetchall()
    moved, groups, engine_s, store_s, wire = 0, 0, 0.0, 0.0, []
    for name, sql in queries:
        t0 = time.time()
        body = query(url, sql + " FORMAT TSVWithNamesAndTypes", wire=wire)
        t1 = time.time()
        moved += len(body)
        groups += store(db, "%s_%s" % (prefix, name), body)
        engine_s, store_s = engine_s + t1 - t0, store_s + time.time() - t1
        del body
    t1 = time.time()
    cur = db.execute("SELECT * FROM lmm_fit_stats(?, ?, ?, ?)", (prefix, formula, random, options))
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    fit_s = time.time() - t1
    m = {"engine_s": engine_s, "store_s": store_s, "stats_bytes": moved, "wire_bytes": sum(wire), "stats_rows": groups, "fit_s": fit_s,
         "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if measure:
        cols = db.execute("SELECT name FROM pragma_table_info(?) ", (table,)).fetchall()
        used = [c for (c,) in cols if re.search(r"(?<![\w.])%s(?![\w.])" % re.escape(c), formula + " " + (random or ""))]
        m["rows_bytes"] = rows_bytes(url, table, used)
    return rows, m


def augment(db, url, table, model):
    """lmm_augment_sql's query for saved model `model` run in ClickHouse over `table`, aggregated there: (rows, the
    residual sum of squares, the sum of the fitted values, the engine's seconds).  The query carries the BLUPs as
    array literals, larger than ClickHouse's default max_query_size (256 KiB) for many levels: raised here."""
    (sql,) = db.execute("SELECT sql FROM lmm_augment_sql(?, ?, 'clickhouse')", (model, table)).fetchone()
    t0 = time.time()
    body = query(url, "SELECT count(), sum(resid * resid), sum(fitted) FROM (%s) FORMAT TSV" % sql,
                 settings="&max_query_size=%d" % (len(sql) + 65536)).decode().split()
    return int(body[0]), float(body[1]), float(body[2]), time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:18123")
    ap.add_argument("--table", required=True)
    ap.add_argument("--formula", required=True)
    ap.add_argument("--random")
    ap.add_argument("--options")
    ap.add_argument("--db", default=":memory:")
    ap.add_argument("--prefix")
    ap.add_argument("--ext", default="build/lmm")
    ap.add_argument("--json", action="store_true", help="the measurements as one JSON line")
    ap.add_argument("--augment", action="store_true",
                    help="also the fitted values and residuals, computed and aggregated in ClickHouse")
    a = ap.parse_args()
    save = re.search(r"save\s*=\s*([^,\s]+)", a.options or "")
    if a.augment and not save:
        a.options = (a.options + ", " if a.options else "") + "save=%s_model" % (a.prefix or a.table)
        save = re.search(r"save\s*=\s*([^,\s]+)", a.options)
    db = sqlite3.connect(a.db)
    db.enable_load_extension(True)
    db.load_extension(a.ext)
    try:
        rows, m = fit(db, a.url, a.table, a.formula, a.random, a.options, a.prefix)
        if a.augment:
            m["augment_rows"], m["rss"], m["sum_fitted"], m["augment_s"] = augment(db, a.url, a.table, save.group(1))
    except EngineError as e:
        print("lmm_clickhouse: %s" % e, file=sys.stderr)
        return 1
    except sqlite3.Error as e:
        print("lmm_clickhouse: %s" % e, file=sys.stderr)
        return 1
    db.commit()
    for r in rows:
        print("%-9s %-14s %-28s %s" % (r["effect"], r["grp"] or "", r["term"], r["estimate"]))
    if a.json:
        print(json.dumps(m))
    else:
        print("engine pass %.2f s; statistics moved %d bytes of TSV (%d gzipped on the wire; %d rows) vs the rows' %d "
              "bytes (%.3f %%); stored in %.2f s; lmm fit %.2f s; this process's peak memory %.0f MB"
              % (m["engine_s"], m["stats_bytes"], m["wire_bytes"], m["stats_rows"], m["rows_bytes"],
                 100.0 * m["stats_bytes"] / max(m["rows_bytes"], 1), m["store_s"], m["fit_s"], m["peak_rss_kb"] / 1024))
        if a.augment:
            print("fitted values and residuals in the engine: %d rows, residual sum of squares %.10g, in %.2f s"
                  % (m["augment_rows"], m["rss"], m["augment_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
