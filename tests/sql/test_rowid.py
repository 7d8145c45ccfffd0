"""source_rowid joins lmm_augment and lmm_predict back to the data (issue 22).  It is the row's real rowid
wherever the data give one: a table, or a view or query with a column named rowid or _rowid_ ("SELECT rowid, *
FROM t").  Elsewhere (a view or query without one, a WITHOUT ROWID table) it is NULL, and `row` gives the row's
position among the rows read.  It was 0 for every row of a view and the position for a query, so the README's
join ON a.source_rowid = t.rowid paired the wrong rows without a word.

The data: sleepstudy with rows deleted (rowids with gaps) and responses set to NULL (rows dropped by the fit,
so the positions of the rows used have gaps too), in a table whose rowids differ from its positions."""
import json
import sqlite3

from harness import fit

FORMULA = "Reaction ~ Days + (1|Subject)"
TABLES = ("rw", "rw_subject", "rw_nr", "rw_named", "rw_ipk")
VIEWS = ("rw_view", "rw_rview", "rw_join", "rw_join_plain", "rw_bad", "rw_ipk_v", "rw_ipk_va")


def run(t, db):
    make_data(db)
    reference = {r: y for r, y in db.execute("SELECT rowid, Reaction FROM rw WHERE Reaction IS NOT NULL")}
    with_rowids(t, db, reference)
    without_rowids(t, db)
    hidden_rowid(t, db)
    column_by_column(t, db, reference)
    integer_primary_key(t, db)
    not_integers(t, db)
    saved_fits_of_views(t, db)
    rowid_spans(t, db)
    for v in VIEWS:
        db.execute("DROP VIEW " + v)
    for table in TABLES:
        db.execute("DROP TABLE " + table)
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'rw%'")
    db.commit()


def make_data(db):
    db.execute("CREATE TABLE rw AS SELECT Reaction, Days, Subject FROM sleepstudy ORDER BY Subject DESC, Days")
    db.execute("DELETE FROM rw WHERE rowid % 7 = 3")
    db.execute("UPDATE rw SET Reaction = NULL WHERE rowid % 11 = 5")
    db.execute("CREATE TABLE rw_subject AS SELECT DISTINCT Subject, 'S' || Subject AS label FROM rw")
    # a WITHOUT ROWID table whose key order is not the insertion order
    db.execute("CREATE TABLE rw_nr (k INTEGER PRIMARY KEY, Reaction REAL, Days REAL, Subject INTEGER) WITHOUT ROWID")
    db.execute("INSERT INTO rw_nr SELECT (rowid * 37) % 1009, Reaction, Days, Subject FROM rw")
    db.execute("CREATE VIEW rw_view AS SELECT * FROM rw")
    db.execute("CREATE VIEW rw_rview AS SELECT rowid, * FROM rw ORDER BY Reaction DESC")
    db.execute("CREATE VIEW rw_join AS SELECT r.rowid AS rowid, r.Reaction, r.Days, s.label AS Subject "
               "FROM rw_subject s JOIN rw r ON r.Subject = s.Subject")
    db.execute("CREATE VIEW rw_join_plain AS SELECT r.Reaction, r.Days, s.label AS Subject "
               "FROM rw_subject s JOIN rw r ON r.Subject = s.Subject ORDER BY s.label DESC, r.Days DESC")
    db.commit()


def rows_of(t, db, sql, params, what):
    """The statement's rows, or [] with a failure (a column the old code lacks)."""
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        t.ok(False, "%s: %s" % (what, e))
        return []


def with_rowids(t, db, reference):
    """Joined back on the rowid, every row of lmm_augment meets its own response, from a table, a view with a
    rowid column (ordered otherwise than the table), a query selecting rowid, a view over a join; lmm_predict
    the same."""
    # each source, and its rowids in the order it gives its rows
    sources = (("rw_t", "rw", "SELECT rowid FROM rw"),
               ("rw_rv", "rw_rview", "SELECT rowid FROM rw_rview"),
               ("rw_q", "SELECT rowid, * FROM rw WHERE Days >= 0", "SELECT rowid FROM rw WHERE Days >= 0"),
               ("rw_q2", "SELECT Subject, Days, Reaction, _rowid_ FROM rw", "SELECT _rowid_ FROM rw"),
               ("rw_j", "rw_join", "SELECT rowid, * FROM rw_join"))
    for name, data, order in sources:
        fit(db, data, FORMULA, None, "save=" + name)
        rows = db.execute("SELECT source_rowid, response FROM lmm_augment(?)", (name,)).fetchall()
        t.ok(len(rows) == len(reference), "%s: %d rows, not %d" % (data, len(rows), len(reference)))
        t.ok(all(r[0] in reference and reference[r[0]] == r[1] for r in rows),
             "%s: source_rowid pairs rows with another row's response: %r" % (data, [r for r in rows
                                                                                     if reference.get(r[0]) != r[1]][:3]))
        joined = db.execute("SELECT count(*) FROM rw t JOIN lmm_augment(?) a ON a.source_rowid = t.rowid "
                            "WHERE a.response = t.Reaction", (name,)).fetchone()[0]
        t.ok(joined == len(reference), "%s: the README's join pairs %d of %d rows" % (data, joined, len(reference)))
        read = [r[0] for r in db.execute(order)]
        rows = rows_of(t, db, "SELECT source_rowid, row FROM lmm_augment(?)", (name,), data)
        t.ok(rows and all(read[r[1] - 1] == r[0] for r in rows), "%s: row is not the position read" % data)
        pred = db.execute("SELECT count(*), count(p.source_rowid) FROM lmm_predict(?1, ?2) p "
                          "JOIN lmm_augment(?1) a ON a.source_rowid = p.source_rowid "
                          "WHERE abs(p.prediction - a.fitted) <= 1e-9 * abs(a.fitted)", (name, data)).fetchone()
        t.ok(pred == (len(reference), len(reference)), "%s: predictions joined on source_rowid: %r" % (data, pred))
    # the same fit from each: one model, whatever the order its rows came in (the order changes the optimizer's
    # path, so the digits agree to its tolerance)
    fitted = [sorted(db.execute("SELECT source_rowid, fitted FROM lmm_augment(?)", (s[0],)).fetchall()) for s in sources]
    t.ok(all([r[0] for r in f] == [r[0] for r in fitted[0]] and
             all(abs(a[1] - b[1]) <= 1e-6 * abs(b[1]) for a, b in zip(f, fitted[0])) for f in fitted),
         "the fits of one data through a table, views and queries differ")


def without_rowids(t, db):
    """No rowid to give: source_rowid is NULL, never a number that looks like one, and row is the position of
    the row in the order read (rows dropped for a NULL counted), which pairs with SELECT * on the same data."""
    sources = (("rw_v", "rw_view"), ("rw_qn", "SELECT * FROM rw WHERE Days >= 0"), ("rw_nrt", "rw_nr"),
               ("rw_jp", "rw_join_plain"))
    for name, data in sources:
        fit(db, data, FORMULA, None, "save=" + name)
        rows = rows_of(t, db, "SELECT source_rowid, row, response FROM lmm_augment(?)", (name,), data)
        ids = db.execute("SELECT source_rowid FROM lmm_augment(?)", (name,)).fetchall()
        t.ok(all(r[0] is None for r in ids), "%s: source_rowid %r, not NULL" % (data, [r[0] for r in ids][:5]))
        read = db.execute(data if " " in data else "SELECT * FROM " + data).fetchall()
        cols = [d[0] for d in db.execute(data if " " in data else "SELECT * FROM " + data).description]
        y = cols.index("Reaction")
        used = [i + 1 for i, r in enumerate(read) if r[y] is not None]
        t.ok([r[1] for r in rows] == used, "%s: row %r, not the positions %r" % (data, [r[1] for r in rows][:8], used[:8]))
        t.ok(all(read[r[1] - 1][y] == r[2] for r in rows), "%s: row pairs rows with another row's response" % data)
        pred = rows_of(t, db, "SELECT source_rowid, row FROM lmm_predict(?, ?)", (name, data), data)
        t.ok(pred and all(p[0] is None for p in pred) and [p[1] for p in pred] == list(range(1, len(read) + 1)),
             "%s: lmm_predict's source_rowid and row: %r" % (data, pred[:5]))
        t.ok(db.execute("SELECT count(*) FROM lmm_augment(?) WHERE source_rowid = 1", (name,)).fetchone()[0] == 0,
             "%s: a lookup of a rowid finds a row without one" % data)


def hidden_rowid(t, db):
    """A table with a column of its own named rowid: the rowid is read as _rowid_, not that column."""
    db.execute("CREATE TABLE rw_named (rowid INTEGER, Reaction REAL, Days REAL, Subject INTEGER)")
    db.execute("INSERT INTO rw_named SELECT 100000 + rowid, Reaction, Days, Subject FROM rw")
    db.commit()
    fit(db, "rw_named", FORMULA, None, "save=rw_named")
    n = db.execute("SELECT count(*) FROM rw_named WHERE Reaction IS NOT NULL").fetchone()[0]
    joined = db.execute("SELECT count(*) FROM rw_named t JOIN lmm_augment('rw_named') a ON a.source_rowid = t._rowid_ "
                        "WHERE a.response = t.Reaction").fetchone()[0]
    t.ok(joined == n, "a column named rowid taken for the rowid: %d of %d rows pair on _rowid_" % (joined, n))


def column_by_column(t, db, reference):
    """A model with more columns than a function may take (SQLITE_LIMIT_FUNCTION_ARG, here 4 < 3 columns + rowid
    + the scan) is read value by value: the same rowids, or NULL."""
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 4)
    try:
        for data, has in (("SELECT rowid, * FROM rw", 1), ("rw_view", 0)):
            fit(db, data, FORMULA, None, "save=rw_wide")
            rows = db.execute("SELECT source_rowid, response FROM lmm_augment('rw_wide')").fetchall()
            t.ok(len(rows) == len(reference) and all((reference.get(r[0]) == r[1]) if has else r[0] is None for r in rows),
                 "%s read value by value: %r" % (data, rows[:3]))
            db.execute("DELETE FROM lmm_models WHERE name = 'rw_wide'")
    finally:
        db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, limit)


def integer_primary_key(t, db):
    """A view names "SELECT rowid" of a table with an INTEGER PRIMARY KEY after that column ("id"): no column named
    rowid, so NULL (the README says to write rowid AS rowid there, which gives the rowids); a query names it rowid."""
    db.execute("CREATE TABLE rw_ipk (id INTEGER PRIMARY KEY, Reaction REAL, Days REAL, Subject INTEGER)")
    db.execute("INSERT INTO rw_ipk SELECT rowid * 3, Reaction, Days, Subject FROM rw")
    db.execute("CREATE VIEW rw_ipk_v AS SELECT rowid, * FROM rw_ipk")
    db.execute("CREATE VIEW rw_ipk_va AS SELECT rowid AS rowid, * FROM rw_ipk")
    db.commit()
    for name, data, has in (("rw_ipk_q", "SELECT rowid, * FROM rw_ipk", 1), ("rw_ipk_v", "rw_ipk_v", 0),
                            ("rw_ipk_va", "rw_ipk_va", 1)):
        fit(db, data, FORMULA, None, "save=" + name)
        got = db.execute("SELECT count(*), count(a.source_rowid), count(t.id) FROM lmm_augment(?) a "
                         "LEFT JOIN rw_ipk t ON t.id = a.source_rowid AND t.Reaction = a.response", (name,)).fetchone()
        t.ok(got == (got[0], has * got[0], has * got[0]), "%s: %r rows, rowids, rows joined back" % (data, got))


def not_integers(t, db):
    """A view's column named rowid that holds no integer is an error that says what to do, not a made-up id."""
    db.execute("CREATE VIEW rw_bad AS SELECT CASE WHEN Days = 4 THEN NULL ELSE rowid END AS rowid, * FROM rw")
    db.commit()
    for data, shown in (("rw_bad", "NULL"), ("SELECT 'r' || rowid AS ROWID, * FROM rw", "'r1'"),
                        ("SELECT rowid + 0.5 AS _rowid_, * FROM rw", "'1.5'")):
        t.error(db, "SELECT * FROM lmm_fit(?, ?)", (data, FORMULA),
                ["lmm_fit: column ", "of the data holds %s at row " % shown, "not an integer",
                 "select a table's rowid in it, or rename it"], "non-integer rowid in %s" % data)


def saved_fits_of_views(t, db):
    """What a saved fit records is unchanged, and a view without an order of its own is read in its table's
    order as before: its fingerprint is its table's, so such fits saved earlier still open."""
    fp = {}
    for name, data in (("rw_fp_t", "rw"), ("rw_fp_v", "rw_view")):
        fit(db, data, FORMULA, None, "save=" + name)
        fp[name] = json.loads(db.execute("SELECT fit FROM lmm_models WHERE name = ?", (name,)).fetchone()[0])["fingerprint"]
    t.ok(fp["rw_fp_t"] == fp["rw_fp_v"], "fingerprints of a table and its view: %r" % fp)
    rows = db.execute("SELECT source_rowid FROM lmm_augment('rw_fp_v')").fetchall()
    t.ok(len(rows) > 0 and all(r[0] is None for r in rows), "the saved fit of a view opens: %r" % rows[:2])


def rowid_spans(t, db):
    """The frame takes its storage at once for as many rows as an ordinary table's rowids span (one max and one
    min): the same fit whatever the span, beyond memory (2^60 apart), past a 64-bit integer (from -2^63 to
    2^63 - 1: the difference is no integer) or at the table's only row; and every rowid kept."""
    want = fit(db, "rw", FORMULA)
    n = db.execute("SELECT count(*) FROM rw").fetchone()[0]
    spans = {"far": "rowid * 1152921504606846976 / 1024",
             "overflow": "CASE WHEN rowid = (SELECT min(rowid) FROM rw) THEN -9223372036854775807 - 1 "
                         "WHEN rowid = (SELECT max(rowid) FROM rw) THEN 9223372036854775807 ELSE rowid END",
             "negative": "rowid - 1000000"}
    for name, expr in spans.items():
        db.execute("CREATE TABLE rw_span AS SELECT * FROM rw WHERE 0")
        db.execute("INSERT INTO rw_span (rowid, Reaction, Days, Subject) SELECT %s, Reaction, Days, Subject FROM rw" % expr)
        got = fit(db, "rw_span", FORMULA, None, "save=rw_span_fit")
        t.ok(got == want, "rowids spanning %s: the same fit" % name)
        ids = [r[0] for r in db.execute("SELECT source_rowid FROM lmm_augment('rw_span_fit')")]
        real = [r[0] for r in db.execute("SELECT rowid FROM rw_span WHERE Reaction IS NOT NULL ORDER BY rowid")]
        t.ok(sorted(ids) == real and len(real) < n, "rowids spanning %s: source_rowid is every rowid" % name)
        db.execute("DELETE FROM lmm_models WHERE name = 'rw_span_fit'")
        db.execute("DROP TABLE rw_span")
    db.execute("CREATE TABLE rw_one AS SELECT 300.5 AS y")
    t.error(db, "SELECT * FROM lmm_fit('rw_one', 'y ~ 1 + (1|y)')", (), ["grouping factor 'y' has only one level"], "a table of one row")
    db.execute("DROP TABLE rw_one")
    db.commit()
