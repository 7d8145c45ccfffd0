"""lmm_stats_sql's check of which columns hold text quotes the whole data argument as one name ("main.t"), so for
a schema-qualified or quoted name it finds no table and takes every column for a number.  A TEXT column of codes
('1', '2', '3'), a factor in lmm_fit('t', ...), then enters the statistics as a number: lmm_fit_stats fits a
slope where the local fit has a factor, without a word.  (The generated SQL also double-quotes a quoted name:
'"main"."t"' becomes FROM \"\"\"main\"\"\".\"\"\"t\"\"\"\", which does not run.)"""
import sys; sys.path.insert(0, 'findings')
from h import *
db = conn()
db.execute("CREATE TABLE t(y REAL, code TEXT, g TEXT)")
db.executemany("INSERT INTO t VALUES (?,?,?)", [((i * 37 % 11) + [0, 5, 1][i % 3], str(i % 3 + 1), 'g%d' % (i % 4))
                                                for i in range(60)])
F = 'y ~ code + (1|g)'
show('local lmm_fit', q(db, "SELECT term, round(estimate, 4) FROM lmm_fit('t', ?) WHERE effect = 'fixed'", (F,)))
for data in ('t', 'main.t'):
    for name, sql in db.execute("SELECT name, sql FROM lmm_stats_sql(?, ?)", (data, F)).fetchall():
        db.execute("DROP TABLE IF EXISTS ss_%s" % name)
        db.execute("CREATE TABLE ss_%s AS %s" % (name, sql))
    show('via lmm_stats_sql(%r)' % data,
         q(db, "SELECT term, round(estimate, 4) FROM lmm_fit_stats('ss', ?) WHERE effect = 'fixed'", (F,)))
