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
    db.commit()
    t.ok(snapshot(db) == before, "the database changed under hostile arguments")
    db.execute("DELETE FROM lmm_models WHERE name = 'surface'")
    for table in ("surface_new", "surface_text"):
        db.execute("DROP TABLE " + table)
    db.commit()


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
