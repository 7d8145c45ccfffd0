"""lmm_predict evaluates a new row as the fit evaluated its own (core/row_eval.c): the same checks and messages,
levels told apart by every byte of their text, and a group found by its variables' levels, not by a label
two groups can share.  Each case once gave a prediction the fit would not have given."""
import os
import shutil

from harness import connect, private_copy

NUL_A = "'a' || char(0) || 'x'"   # text 'a', a NUL byte, 'x': not the level 'a'


def run(t, shared):
    d, path = private_copy("lmm-predict-")
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    nul_levels(t, db)
    colon_groups(t, db)
    same_checks(t, db)
    db.close()
    shutil.rmtree(d)


def predictions(db, model, data, level=None):
    return [r[0] for r in db.execute("SELECT prediction FROM lmm_predict(?, ?, ?) ORDER BY source_rowid",
                                     (model, data, level))]


def nul_levels(t, db):
    """A level is its bytes: 'a' followed by a NUL and 'x' is not 'a', in the fit as in a prediction (the
    prediction compared labels as C strings and gave the new value the effect of 'a')."""
    db.execute("CREATE TABLE nul_fit AS SELECT Reaction, Days, Subject, CASE WHEN Days < 3 THEN 'a' WHEN Days < 6 "
               "THEN 'b' ELSE %s END AS f FROM sleepstudy" % NUL_A)
    db.execute("CREATE TABLE nul_ab AS SELECT Reaction, Days, Subject, CASE WHEN Days < 5 THEN 'a' ELSE 'b' END AS f "
               "FROM sleepstudy")
    db.execute("CREATE TABLE nul_new AS SELECT Days, Subject, %s AS f FROM sleepstudy WHERE Days = 1" % NUL_A)
    db.execute("SELECT * FROM lmm_fit('nul_fit', 'Reaction ~ Days + f + (1|Subject)', NULL, 'save=nul3')").fetchall()
    db.execute("SELECT * FROM lmm_fit('nul_ab', 'Reaction ~ Days + f + (1|Subject)', NULL, 'save=nul2')").fetchall()
    nfixed = db.execute("SELECT count(*) FROM lmm_tidy('nul3') WHERE effect = 'fixed'").fetchone()[0]
    t.ok(nfixed == 4, "levels 'a', 'a\\0x' and 'b' are three: %d fixed effects, not 4" % nfixed)
    pairs = db.execute("SELECT p.prediction, a.fitted, f.f FROM lmm_predict('nul3', 'nul_fit') p JOIN lmm_augment('nul3') a "
                       "USING (source_rowid) JOIN nul_fit f ON f.rowid = p.source_rowid").fetchall()
    t.ok(len(pairs) == 180 and all(abs(p - a) <= 1e-9 * abs(a) for p, a, _ in pairs),
         "predictions of the fitted rows are their fitted values, level 'a\\0x' too: %r" % pairs[-1:])
    t.error(db, "SELECT * FROM lmm_predict('nul2', 'nul_new')", (),
            ["lmm_predict: row 1: level 'a\\0x' of f was not in the data the model was fitted to"],
            "a level that is 'a' and more")


def colon_groups(t, db):
    """(1 | g1:g2) with levels that hold ':': the fitted group ('a:b', '308') and a new row's ('a', 'b:308') print
    alike, 'a:b:308', but are not one group; the new row gets the population prediction (the prediction matched
    the printed label and gave it the random effect of the fitted group)."""
    db.execute("CREATE TABLE colon_fit AS SELECT Reaction, Days, 'a:b' AS g1, CAST(Subject AS TEXT) AS g2 FROM sleepstudy")
    db.execute("CREATE TABLE colon_new AS SELECT Days, 'a' AS g1, 'b:' || Subject AS g2 FROM sleepstudy WHERE Days = 2")
    db.execute("CREATE TABLE colon_same AS SELECT Days, g1, g2 FROM colon_fit WHERE Days = 2")
    db.execute("SELECT * FROM lmm_fit('colon_fit', 'Reaction ~ Days + (1 | g1:g2)', NULL, 'save=colon')").fetchall()
    labels = db.execute("SELECT count(*) FROM lmm_ranef('colon') WHERE level LIKE 'a:b:3%'").fetchone()[0]
    t.ok(labels == 18, "the fitted groups are labelled 'a:b:<Subject>': %d of 18" % labels)
    full, population = predictions(db, "colon", "colon_new"), predictions(db, "colon", "colon_new", 0)
    t.ok(len(full) == 18 and full == population, "groups ('a', 'b:<Subject>') are new: %r, not %r" % (full[:2], population[:2]))
    same = predictions(db, "colon", "colon_same")
    t.ok(len(same) == 18 and all(abs(s - p) > 1e-6 for s, p in zip(same, population)),
         "the fitted groups keep their random effects: %r" % same[:2])


def same_checks(t, db):
    """A new row is refused where a row of the fit would be, with the fit's message: text inside arithmetic names
    the text, a value that is not finite names the variable (the prediction was -Inf, or NULL)."""
    db.execute("CREATE TABLE check_text (Reaction, Days, Subject)")   # no declared type: its text reaches the model
    db.execute("INSERT INTO check_text SELECT Reaction, Days, Subject FROM sleepstudy WHERE Days < 3")
    db.execute("UPDATE check_text SET Days = 'two' WHERE rowid = 5")
    db.execute("CREATE TABLE check_inf AS SELECT Reaction, Days - 1 AS Days, Subject FROM sleepstudy WHERE Days < 3")
    db.execute("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ I(Days^2) + log(Days + 1) + (1|Subject)', NULL, "
               "'save=checks')").fetchall()
    t.error(db, "SELECT * FROM lmm_fit('check_text', 'Reaction ~ I(Days^2) + log(Days + 1) + (1|Subject)')", (),
            ["column 'Days' must be numeric in I(Days^2), but rowid 5 holds the text 'two'"], "fit: text in arithmetic")
    t.error(db, "SELECT * FROM lmm_predict('checks', 'check_text')", (),
            ["lmm_predict: column 'Days' must be numeric in I(Days^2), but row 5 holds the text 'two'"],
            "predict: text in arithmetic")
    t.error(db, "SELECT * FROM lmm_fit('check_inf', 'Reaction ~ I(Days^2) + log(Days + 1) + (1|Subject)')", (),
            ["log(Days + 1) is -Inf at rowid 1"], "fit: a value that is not finite")
    t.error(db, "SELECT * FROM lmm_predict('checks', 'check_inf')", (),
            ["lmm_predict: log(Days + 1) is -Inf at row 1"], "predict: a value that is not finite")
