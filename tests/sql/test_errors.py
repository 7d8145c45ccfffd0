"""Bad input: a clear SQL error that names what is wrong, and the database
left exactly as it was."""
from harness import fit

CALL = "SELECT * FROM lmm_fit(?, ?, ?, ?)"


def snapshot(db):
    schema = db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()
    counts = [db.execute('SELECT count(*), total(rowid) FROM "%s"' % n).fetchone()
              for (ty, n, s) in schema if ty == "table" and not n.startswith("sqlite_")]
    return schema, counts


def run(t, db):
    db.execute("CREATE TABLE bad AS SELECT * FROM sleepstudy")
    db.execute("UPDATE bad SET Days = 'three' WHERE rowid = 17")
    db.execute("CREATE TABLE onegroup AS SELECT Reaction, Days, 'x' AS g FROM sleepstudy")
    db.execute("CREATE TABLE allnull AS SELECT NULL AS y, Days FROM sleepstudy")
    db.execute("CREATE TABLE zeros AS SELECT 0 AS y, Days FROM sleepstudy")
    db.execute("CREATE TABLE infs AS SELECT Reaction, CASE WHEN rowid = 9 THEN 9e999 ELSE Days END AS Days FROM sleepstudy")
    db.execute("CREATE TABLE blobs AS SELECT Reaction, CASE WHEN rowid = 4 THEN x'00ff' ELSE Days END AS Days FROM sleepstudy")
    db.execute("CREATE VIEW uses_fit AS SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days')")
    db.commit()
    before = snapshot(db)
    cases = [
        (("nosuch", "y ~ x", None, None), ["no such table or view", "nosuch"], "unknown table"),
        (("sleepstudy", "Reaction ~ Dayz", None, None), ["no column 'Dayz'", "sleepstudy", "Days"], "unknown column"),
        (("sleepstudy", "Reaction ~ Days +* Subject", None, None), ["syntax error", "character 18", "* Subject"], "syntax"),
        (("sleepstudy", "Reaction ~ (Days", None, None), ["expected ')'"], "unbalanced"),
        (("sleepstudy", "~ Days", None, None), ["needs a response"], "no response"),
        (("sleepstudy", "Reaction ~ poly(Days, 2)", None, None), ["unknown function 'poly'"], "unknown function"),
        (("sleepstudy", "Reaction ~ Days + 2", None, None), ["must be 0 or 1"], "stray number"),
        (("sleepstudy", "Reaction ~ Days", "Days|", None), ["random syntax error"], "random syntax"),
        (("bad", "Reaction ~ Days", None, None), ["column 'Days' is declared INT", "rowid 17", "three"], "text in numeric column"),
        (("SELECT Reaction, 'x' || Days AS Days FROM sleepstudy", "Reaction ~ log(Days + 1)", None, None),
         ["column 'Days' must be numeric", "row 1", "x0"], "text in arithmetic"),
        (("allnull", "y ~ Days", None, None), ["no rows left", "180 rows read", "180 dropped"], "all-NULL response"),
        (("onegroup", "Reaction ~ Days + (1|g)", None, None), ["'g' has only one level"], "one-level group"),
        (("sleepstudy", "Reaction ~ Days + (1|Reaction)", None, None), ["'Reaction'", "random effects", "only 180 rows"],
         "as many levels as rows"),
        (("sleepstudy", "Reaction ~ Days + I(2 * Days)", None, None), ["rank deficient", "I(2 * Days)"], "aliased column"),
        (("sleepstudy", "Reaction ~ Days + factor(Subject):factor(Days):factor(Reaction)", None, None),
         ["term 'factor(Subject):factor(Days):factor(Reaction)'", "more than 180 columns"], "too many fixed columns"),
        (("sleepstudy", "Reaction ~ Days + (factor(Subject):factor(Days) | Subject)", None, None),
         ["Subject", "more than 64 columns"], "too many random-effect columns"),
        (("zeros", "y ~ Days", None, None), ["exactly"], "perfect fit"),
        (("sleepstudy", "log(Reaction - 300) ~ Days", None, None), ["log(Reaction - 300)", "NaN", "rowid"], "NaN response"),
        (("infs", "Reaction ~ Days", None, None), ["Days is Inf", "rowid 9"], "Inf in a predictor"),
        (("blobs", "Reaction ~ Days", None, None), ["'Days' holds a BLOB", "rowid 4"], "BLOB value"),
        (("sleepstudy", "Reaction ~ Days", None, "method=MLE"), ["method must be ML or REML", "MLE"], "bad method"),
        (("sleepstudy", "Reaction ~ Days", None, "methd=ML"), ["unknown option 'methd'"], "unknown option"),
        (("sleepstudy", "Reaction ~ Days", None, "ML"), ["not of the form key=value"], "option without ="),
        (("SELECT * FROM sleepstudy; DELETE FROM sleepstudy", "Reaction ~ Days", None, None), ["single statement"],
         "two statements"),
        (("WITH x AS (SELECT 1) DELETE FROM bad RETURNING *", "Reaction ~ Days", None, None), ["only read"], "writing query"),
        (("SELECT * FROM nosuch", "y ~ x", None, None), ["does not compile", "nosuch"], "broken query"),
        (("sleepstudy", 42, None, None), ["'formula' must be text"], "formula not text"),
    ]
    for params, fragments, what in cases:
        t.error(db, CALL, params, fragments, what)
    t.error(db, "SELECT * FROM lmm_fit('sleepstudy')", (), ["needs at least data and formula"], "one argument")
    # functions that read tables cannot run from a view or trigger of the schema (SQLITE_DIRECTONLY)
    t.error(db, "SELECT * FROM uses_fit", (), ["unsafe use of virtual table"], "lmm_fit inside a view")
    t.error(db, "SELECT * FROM lmm_fit('a', 'b', 'c', 'd', 'e')", (), ["too many arguments"], "five arguments")
    # lmm_agg's arguments: a NULL formula once crashed it
    t.error(db, "SELECT lmm_agg(NULL, NULL, NULL) FROM sleepstudy", (), ["lmm_agg needs a formula"], "lmm_agg without formula")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 1, Reaction, 'Days', Days) FROM sleepstudy", (),
            ["uses column 'Reaction'", "pass it as a pair"], "lmm_agg with a number for a name")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL) FROM sleepstudy", (), ["name/value pairs"], "lmm_agg, two arguments")
    t.ok(snapshot(db) == before, "the database changed under failing calls")
    t.ok(fit(db, "sleepstudy", "Reaction ~ Days")[0]["term"] == "(Intercept)", "a good call still works after errors")
