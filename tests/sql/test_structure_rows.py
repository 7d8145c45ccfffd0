"""A residual structure bound to rows in any order (issue 16): the groups are counted out of the rows in their
order and a group is sorted by position only where its positions are out of order, so the same rows read in a
scrambled order, within the groups and across them, give the same fit as in the table's order.  Orthodont with
its age as an AR(1) time (a step of 2 years one unit), by lme and gls, with varIdent by sex, and with the dense
correlations that whiten group by group."""
from harness import fit

ORDERED = "SELECT *, age / 2 AS t FROM orthodont"
SCRAMBLED = "SELECT *, age / 2 AS t FROM orthodont ORDER BY (rowid * 37) % 108 DESC"


def by_term(rows):
    return {(r["effect"], r["grp"], r["term"]): r["estimate"] for r in rows}


def run(t, db):
    t.ok(db.execute("SELECT count(DISTINCT (rowid * 37) % 108) FROM orthodont").fetchone()[0] == 108,
         "the scramble is a permutation of Orthodont's 108 rows")
    first = db.execute("SELECT group_concat(age) FROM (SELECT age FROM orthodont WHERE Subject = 'M01' "
                       "ORDER BY (rowid * 37) % 108 DESC)").fetchone()[0]
    t.ok(first != "8,10,12,14", "the scramble puts a subject's ages out of order (M01: %s)" % first)
    cases = [("distance ~ age", "1|Subject", "correlation=corAR1(form = ~ t | Subject)"),
             ("distance ~ age * Sex", "1|Subject",
              "correlation=corAR1(form = ~ t | Subject), weights=varIdent(form = ~ 1 | Sex)"),
             ("distance ~ age", None, "correlation=corAR1(form = ~ t | Subject)"),
             ("distance ~ age * Sex", None, "correlation=corCAR1(form = ~ age | Subject), weights=varIdent(form = ~ 1 | Sex)"),
             ("distance ~ age", None, "correlation=corSymm(form = ~ t - 3 | Subject)"),
             ("distance ~ age", "1|Subject", "correlation=corExp(form = ~ age | Subject)")]
    for formula, random, options in cases:
        a, b = by_term(fit(db, ORDERED, formula, random, options)), by_term(fit(db, SCRAMBLED, formula, random, options))
        what = "%s, random %s, %s" % (formula, random, options)
        t.ok(a.keys() == b.keys() and len(a) > 5, what + ": the same rows of output (%d, %d)" % (len(a), len(b)))
        for key in a:
            if key[2] in ("evaluations",):
                continue
            t.close(None, b.get(key), a[key], 1e-6, "%s: %s in scrambled rows against the table's order" % (what, key))
