#!/usr/bin/python3
"""ch_bench.py — the simulated bench data inside a ClickHouse cluster (tests/clickhouse/cluster.sh):

    /usr/bin/python3 tools/ch_bench.py load ROWS [--url URL] [--schools 10000] [--raters 50] [--table bench]
    /usr/bin/python3 tools/ch_bench.py fit [--url URL] [--table bench]    (tools/lmm_clickhouse.py on the model)

`load` makes <table>_local (MergeTree) on every shard of the cluster lmm2 and the Distributed table <table>
over them, and generates the rows inside the engine, each shard its half, deterministically (hashes of the row
number): y = 10 + 2 x + 0.5 trt + a_school + b_school x + c_rater + e, with a, b, c, e of standard deviations
1, 0.3, 0.7, 2 (sums of four uniforms: near normal), x uniform on (-1, 1), trt 0/1 by school.  The same rows
for any number of shards: row k is a function of k alone.
"""
import argparse
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from lmm_clickhouse import EngineError, query  # noqa: E402

MODEL = "y ~ x + trt + (1 + x | school) + (1 | rater)"


def shards(url, cluster="lmm2"):
    body = query(url, "SELECT host_address, port FROM system.clusters WHERE cluster = '%s' ORDER BY shard_num "
                      "FORMAT TSV" % cluster).decode().split()
    return [(body[i], int(body[i + 1])) for i in range(0, len(body), 2)]


def http_of(url, tcp_port, first_tcp):
    """A shard's HTTP URL: cluster.sh gives shard k HTTP port base + k and native port base + 877 + k."""
    base = url.rsplit(":", 1)[0]
    http0 = int(url.rsplit(":", 1)[1].rstrip("/"))
    return "%s:%d" % (base, http0 + tcp_port - first_tcp)


def unif(expr):
    """A uniform on (-0.5, 0.5) from a hash of expr."""
    return "(intHash64(%s) / 18446744073709551615.0 - 0.5)" % expr


def normal(seed, key):
    """Near a standard normal: the sum of four uniforms, times sqrt(3)."""
    return "((%s) * 1.7320508075688772)" % " + ".join(unif("%s * 4 + %d + %d" % (key, k, seed)) for k in range(4))


def load(url, rows, schools=10000, raters=50, table="bench"):
    sh = shards(url)
    first_tcp = sh[0][1]
    cols = "school UInt32, rater UInt32, trt UInt8, x Float64, y Float64"
    k = "number"
    school = "toUInt32(intHash32(%s) %% %d)" % (k, schools)
    rater = "toUInt32(intHash32(%s + 7777777) %% %d)" % (k, raters)
    x = "(2 * %s)" % unif("%s + 99999999991" % k)
    trt = "toUInt8(intHash32(%s + 31) %% 2)" % school
    y = ("10 + 2 * x + 0.5 * trt + %s + 0.3 * %s * x + 0.7 * %s + 2 * %s"
         % (normal(101, "toUInt64(school)"), normal(202, "toUInt64(school)"), normal(303, "toUInt64(rater)"),
            normal(404, k)))
    t0 = time.time()
    per = (rows + len(sh) - 1) // len(sh)
    for i, (host, tcp) in enumerate(sh):
        u = http_of(url, tcp, first_tcp)
        query(u, "DROP TABLE IF EXISTS %s" % table)
        query(u, "DROP TABLE IF EXISTS %s_local" % table)
        query(u, "CREATE TABLE %s_local (%s) ENGINE = MergeTree ORDER BY school" % (table, cols))
        lo, n = i * per, max(0, min(per, rows - i * per))
        query(u, "INSERT INTO %s_local SELECT school, rater, trt, x, %s AS y FROM (SELECT %s AS school, %s AS rater, "
                 "%s AS trt, %s AS x, number FROM system.numbers LIMIT %d, %d)"
              % (table, y, school, rater, trt, x, lo, n))
    query(url, "CREATE TABLE %s AS %s_local ENGINE = Distributed(lmm2, default, %s_local)" % (table, table, table))
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["load", "fit"])
    ap.add_argument("rows", nargs="?", type=int, default=1000000)
    ap.add_argument("--url", default="http://127.0.0.1:18123")
    ap.add_argument("--schools", type=int, default=10000)
    ap.add_argument("--raters", type=int, default=50)
    ap.add_argument("--table", default="bench")
    a = ap.parse_args()
    try:
        if a.what == "load":
            s = load(a.url, a.rows, a.schools, a.raters, a.table)
            print("ch_bench: %d rows (%d schools x %d raters) generated in %.1f s" % (a.rows, a.schools, a.raters, s))
        else:
            import subprocess
            return subprocess.call(["/usr/bin/python3", __file__.rsplit("/", 1)[0] + "/lmm_clickhouse.py", "--url", a.url,
                                    "--table", a.table, "--formula", MODEL])
    except EngineError as e:
        print("ch_bench: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
