"""Integer ids read as doubles: distinct ids became one group without a word.
1. Beyond 2^53 an INTEGER reads as the nearest double: snowflake-like ids base+0..5 (~1.2e18, doubles 256 apart)
   all read as one number.
2. Whole numbers >= 1e15 that R prints alike at 15 significant digits (4000000000000000 and 4000000000000001 are
   both '4e+15') were merged into one level, as R's factor() of doubles merges them.
Before the fix: 6 ids of 6 groups fit as 2 groups (case 2) or refused as 'only one level' (case 1);
the same ids as TEXT give 6 groups."""
import sys; sys.path.insert(0, 'findings')
from h import *
db = conn()
db.execute("CREATE TABLE t(y REAL, x REAL, id INTEGER)")
rows = [((i * 7919 % 100) / 10.0 + 0.3 * i + (i % 6) * 2.0, i) for i in range(60)]
db.executemany("INSERT INTO t VALUES (?,?,?)", [(y, x, 1234567890123456000 + x % 6) for y, x in rows])
db.execute("CREATE TABLE s(y REAL, x REAL, id INTEGER)")
db.executemany("INSERT INTO s VALUES (?,?,?)", [(y, x, 4000000000000000 + [0, 1, 2, 1000, 1001, 1002][x % 6])
                                                for y, x in rows])
for table in ('t', 's'):
    for data in (table, 'SELECT y, x, CAST(id AS TEXT) AS id FROM %s' % table):
        show(data, q(db, "SELECT grp, term, estimate FROM lmm_fit(?, 'y ~ x + (1|id)') WHERE term IN ('ngroups', 'x')",
                     (data,)))
