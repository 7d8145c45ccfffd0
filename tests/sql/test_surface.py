"""Hostile input at the SQL surface (issue 13): arguments a clumsy user or
an attacker would try, each of which once gave a silent wrong answer or an
error that named the wrong cause.  Each must now fail with a message that
names what is wrong, or give the right answer, and leave the database as it
was."""
import sqlite3

from harness import fit
from test_errors import snapshot


def run(t, db):
    db.execute("CREATE TABLE surface_new AS SELECT Reaction, Days, Subject FROM sleepstudy WHERE Days < 3")
    db.execute("CREATE TABLE surface_text (Reaction, Days, Subject)")
    db.execute("INSERT INTO surface_text SELECT Reaction, Days, Subject FROM sleepstudy WHERE Days < 3")
    db.execute("UPDATE surface_text SET Days = 'two' WHERE rowid = 5")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "save=surface")
    db.commit()
    before = snapshot(db)
    predict_levels(t, db)
    nul_bytes(t, db)
    low_limits(t, db)
    db.commit()
    t.ok(snapshot(db) == before, "the database changed under hostile arguments")
    db.execute("DELETE FROM lmm_models WHERE name = 'surface'")
    for table in ("surface_new", "surface_text"):
        db.execute("DROP TABLE " + table)
    db.commit()
    table_names(t, db)


def predict_levels(t, db):
    """level is NULL or a whole number from 0 to the deepest nesting: 'abc' was read as 0, -7 and 99999999999 as
    'every term'; text in a numeric predictor gave a NULL prediction."""
    full = db.execute("SELECT prediction FROM lmm_predict('surface', 'surface_new') ORDER BY 1").fetchall()
    t.ok(db.execute("SELECT prediction FROM lmm_predict('surface', 'surface_new', 1) ORDER BY 1").fetchall() == full,
         "level 1 of a one-level model is the full prediction")
    t.ok(db.execute("SELECT prediction FROM lmm_predict('surface', 'surface_new', 1.0) ORDER BY 1").fetchall() == full,
         "level 1.0 is level 1")
    for level in ("'abc'", "-7", "99999999999", "1.5", "2", "x'01'"):
        t.error(db, "SELECT * FROM lmm_predict('surface', 'surface_new', %s)" % level, (),
                ["lmm_predict: level is '", "a whole number from 0 (the fixed effects only) to 1"], "level " + level)
    t.error(db, "SELECT * FROM lmm_predict('surface', 'surface_text')", (),
            ["lmm_predict: column 'Days' was numeric in the data the model was fitted to", "row 5 holds the text 'two'"],
            "text in a numeric predictor")


NUL = "char(0) || ' junk'"
NUL_CALLS = [
    # call with a NUL byte in one argument, the argument, the byte where the NUL is, of how many
    ("SELECT * FROM lmm_fit('sleepstudy' || %s, 'Reaction ~ Days')" % NUL, "lmm_fit", "data", 11, 16),
    ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days' || %s)" % NUL, "lmm_fit", "formula", 16, 21),
    ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days', '1|Subject' || %s)" % NUL, "lmm_fit", "random", 10, 15),
    ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days', NULL, 'save=x' || %s)" % NUL, "lmm_fit", "options", 7, 12),
    ("SELECT * FROM lmm_tidy('surface' || %s)" % NUL, "lmm_tidy", "model", 8, 13),
    ("SELECT * FROM lmm_vcov('surface' || %s)" % NUL, "lmm_vcov", "model", 8, 13),
    ("SELECT * FROM lmm_ranef('surface' || %s)" % NUL, "lmm_ranef", "model", 8, 13),
    ("SELECT * FROM lmm_augment('surface' || %s)" % NUL, "lmm_augment", "model", 8, 13),
    ("SELECT * FROM lmm_anova('surface' || %s)" % NUL, "lmm_anova", "models", 8, 13),
    ("SELECT * FROM lmm_predict('surface' || %s, 'surface_new')" % NUL, "lmm_predict", "model", 8, 13),
    ("SELECT * FROM lmm_predict('surface', 'surface_new' || %s)" % NUL, "lmm_predict", "data", 12, 17),
    ("SELECT * FROM lmm_predict('surface', 'surface_new', '1' || %s)" % NUL, "lmm_predict", "level", 2, 7),
    ("SELECT * FROM lmm_update('surface' || %s)" % NUL, "lmm_update", "model", 8, 13),
    ("SELECT * FROM lmm_update('surface', '. ~ .' || %s)" % NUL, "lmm_update", "formula", 6, 11),
    ("SELECT * FROM lmm_update('surface', NULL, NULL, 'save=x' || %s)" % NUL, "lmm_update", "options", 7, 12),
    ("SELECT lmm_agg('Reaction ~ Days' || %s, NULL, NULL, 'Reaction', Reaction, 'Days', Days) FROM sleepstudy" % NUL,
     "lmm_agg", "formula", 16, 21),
    ("SELECT lmm_agg('Reaction ~ Days', '1|Subject' || %s, NULL, 'Reaction', Reaction, 'Days', Days, 'Subject', "
     "Subject) FROM sleepstudy" % NUL, "lmm_agg", "random", 10, 15),
    ("SELECT lmm_agg('Reaction ~ Days', NULL, 'method=ML' || %s, 'Reaction', Reaction, 'Days', Days) FROM sleepstudy"
     % NUL, "lmm_agg", "options", 10, 15),
]


def nul_bytes(t, db):
    """Everything after a NUL byte in an argument was dropped without a word (SQLite gives C the text up to it)."""
    for sql, fn, arg, at, n in NUL_CALLS:
        t.error(db, sql, (), ["%s: the argument '%s' holds a NUL byte at byte %d of %d" % (fn, arg, at, n)],
                "NUL byte in %s's %s" % (fn, arg))
    t.ok(db.execute("SELECT count(*) FROM lmm_models WHERE name LIKE 'x%'").fetchone()[0] == 0, "no model 'x' saved")


LONG_NAME = "surface_table_with_a_rather_long_name_for_limits"
LIMITS = [
    # limit, value, statement, parameters, what the message must say
    (sqlite3.SQLITE_LIMIT_SQL_LENGTH, 60, "SELECT * FROM lmm_fit(?, ?)", (LONG_NAME, "Reaction ~ Days"),
     ["lmm_fit: cannot look up the table '%s': statement too long (SQLITE_LIMIT_SQL_LENGTH is 60)" % LONG_NAME]),
    (sqlite3.SQLITE_LIMIT_SQL_LENGTH, 60, "SELECT * FROM lmm_tidy(?)", ("surface",),
     ["lmm_tidy: cannot read lmm_models: statement too long (SQLITE_LIMIT_SQL_LENGTH is 60)"]),
    (sqlite3.SQLITE_LIMIT_LENGTH, 1000, "SELECT * FROM lmm_fit(?, ?, NULL, ?)", ("sleepstudy", "Reaction ~ Days", "save=big"),
     ["lmm_fit: cannot save the model 'big' (its fit is", "string or blob too big (SQLITE_LIMIT_LENGTH is 1000)"]),
    (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5, "SELECT * FROM lmm_update(?, NULL, NULL, ?)", ("surface", "save=big"),
     ["lmm_update: cannot save the model 'big'", "SQLITE_LIMIT_VARIABLE_NUMBER is 5"]),
    (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 5, "SELECT * FROM lmm_fit(?, ?, NULL, ?)",
     ("sleepstudy", "Reaction ~ Days", "save=big"), ["cannot save the model 'big'", "SQLITE_LIMIT_VARIABLE_NUMBER is 5"]),
    (sqlite3.SQLITE_LIMIT_COLUMN, 2, "SELECT grp, level FROM lmm_ranef(?)", ("surface",),
     ["lmm_ranef: cannot read lmm_models: too many columns in result set (SQLITE_LIMIT_COLUMN is 2)"]),
    (sqlite3.SQLITE_LIMIT_COLUMN, 2, "SELECT term, estimate FROM lmm_fit(?, ?)", ("sleepstudy", "Reaction ~ Days + Subject"),
     ["lmm_fit: cannot read 'sleepstudy': too many columns in result set (SQLITE_LIMIT_COLUMN is 2)"]),
]


def low_limits(t, db):
    """Under low sqlite3_limit() values the messages said "no such table", "lmm_models is damaged" or "NOT NULL
    constraint failed"; they must name the limit.  (Every function has been used on this connection, so their
    tables are declared.)"""
    db.execute("CREATE TEMP TABLE %s AS SELECT Reaction, Days FROM sleepstudy" % LONG_NAME)
    for limit, value, sql, params, fragments in LIMITS:
        was = db.setlimit(limit, value)
        t.error(db, sql, params, fragments, "%s under a limit of %d" % (sql, value))
        db.setlimit(limit, was)
    t.ok(db.execute("SELECT count(*) FROM lmm_models WHERE name = 'big'").fetchone()[0] == 0, "no model 'big' saved")
    db.execute("DROP TABLE " + LONG_NAME)


# tables whose names begin like a query, or are keywords: each is a table
KEYWORD_NAMES = ["selections", "withdrawals", "values", "with_x", "select1", "Select Me", 'quo"te', "main.dotted"]
# other spellings of sleepstudy, and queries with comments around them
SPELLINGS = ["main.sleepstudy", '"main"."sleepstudy"', "[sleepstudy]", "`sleepstudy`", " sleepstudy ", "MAIN.SleepStudy",
             "temp.surface_temp", "surface_temp",
             "-- every row\nSELECT Reaction, Days FROM sleepstudy", "/* every row */ SELECT Reaction, Days FROM sleepstudy",
             "SELECT Reaction, Days FROM sleepstudy -- every row", "SELECT Reaction, Days FROM sleepstudy; -- every row",
             "WITH s AS (SELECT * FROM sleepstudy) SELECT * FROM s -- every row\n-- and a second comment"]


def table_names(t, db):
    """A table named "values" or "selections" was taken for a query; a query ending in a -- comment failed with
    "incomplete input"."""
    want = [(r["term"], r["estimate"]) for r in fit(db, "sleepstudy", "Reaction ~ Days") if r["effect"] == "fixed"]
    db.execute("CREATE TEMP TABLE surface_temp AS SELECT Reaction, Days FROM sleepstudy")
    for name in KEYWORD_NAMES:
        quoted = '"%s"' % name.replace('"', '""')
        db.execute("CREATE TABLE %s AS SELECT Reaction, Days FROM sleepstudy" % quoted)
        SPELLINGS.extend([name, quoted, "main." + quoted])
    try:
        for data in SPELLINGS:
            try:
                got = [(r["term"], r["estimate"]) for r in fit(db, data, "Reaction ~ Days") if r["effect"] == "fixed"]
                t.ok(got == want, "data %r: %r, sleepstudy gives %r" % (data, got, want))
            except sqlite3.Error as e:
                t.ok(False, "data %r: %s" % (data, e))
        try:
            fit(db, "values", "Reaction ~ Days", None, "save=from_values")
            t.ok(len(db.execute("SELECT * FROM lmm_augment('from_values')").fetchall()) == 180, "a saved fit of table values")
        except sqlite3.Error as e:
            t.ok(False, "a saved fit of table values: %s" % e)
        db.commit()
        before = snapshot(db)
        t.error(db, "SELECT * FROM lmm_fit('selectx', 'y ~ x')", (), ["lmm_fit: no such table or view: 'selectx'"],
                "a name that only begins like SELECT")
        t.error(db, "SELECT * FROM lmm_fit('main.nosuch', 'y ~ x')", (), ["lmm_fit: no such table or view: 'main.nosuch'"],
                "an unknown schema-qualified name")
        t.error(db, "SELECT * FROM lmm_fit('EXPLAIN SELECT * FROM sleepstudy', 'y ~ x')", (),
                ["no such table or view: 'EXPLAIN SELECT * FROM sleepstudy' (a query must begin with SELECT, WITH or VALUES)"],
                "a statement that is not a query")
        t.ok(snapshot(db) == before, "the database changed under names that are no table")
    finally:
        db.execute("DELETE FROM lmm_models WHERE name = 'from_values'")
        for name in KEYWORD_NAMES:
            db.execute('DROP TABLE "%s"' % name.replace('"', '""'))
        db.execute("DROP TABLE surface_temp")
        db.commit()
