"""Damaged and hostile rows of lmm_models: lmm_models is an ordinary table
of the database, so a database from elsewhere can hold anything in it (bad
JSON, wrong types, huge arrays, a theta of the wrong length, non-numbers,
data or formula arguments that try to inject SQL).  Each must give a clear
error that names the model, never a crash, and leave the database as it was.
The tests run on a private copy of the test database, whose lmm_models they replace."""
import os
import shutil
import tempfile

from harness import connect, database_file, fit

GOOD = ("sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML")
READERS = ("lmm_ranef('%s')", "lmm_augment('%s')", "lmm_predict('%s', 'sleepstudy')")


def snapshot(db):
    schema = db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()
    counts = [db.execute('SELECT count(*), total(rowid) FROM "%s"' % n).fetchone()
              for (ty, n, s) in schema if ty == "table" and not n.startswith("sqlite_")]
    return schema, counts


def hostile_table(db):
    """lmm_models as another program might have made it: no constraints, any types."""
    fit(db, *GOOD[:3], GOOD[3] + ", save=good")
    good = db.execute("SELECT data, formula, random, options, fit FROM lmm_models WHERE name = 'good'").fetchone()
    db.execute("DROP TABLE lmm_models")
    db.execute("CREATE TABLE lmm_models(name, data, formula, random, options, fit, created, version)")
    db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit) VALUES('good', ?, ?, ?, ?, ?)", good)


def damage(db, name, **cols):
    """A copy of 'good' under name, with columns replaced by SQL expressions (fit is the good fit)."""
    exprs = {c: cols.get(c, c) for c in ("data", "formula", "random", "options", "fit")}
    db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit) SELECT ?, %s, %s, %s, %s, %s "
               "FROM lmm_models WHERE name = 'good'" % tuple(exprs[c] for c in ("data", "formula", "random", "options", "fit")),
               (name,))


THETA_MSG = ["is damaged", "its theta"]
CASES = [
    # name, columns, what the readers must say
    ("nullfit", {"fit": "NULL"}, ["'nullfit' is damaged", "fit is NULL"]),
    ("nulldata", {"data": "NULL"}, ["'nulldata' is damaged", "data is NULL"]),
    ("nullformula", {"formula": "NULL"}, ["'nullformula' is damaged", "formula is NULL"]),
    ("badjson", {"fit": "substr(fit, 1, 40)"}, ["'badjson' is damaged", "malformed JSON"]),
    ("notjson", {"fit": "'theta'"}, ["'notjson' is damaged", "malformed JSON"]),
    ("thetanull", {"fit": "json_set(fit, '$.theta[0]', json('null'))"}, THETA_MSG),
    ("thetatext", {"fit": "json_set(fit, '$.theta[1]', 'x')"}, THETA_MSG),
    ("thetabool", {"fit": "json_set(fit, '$.theta[1]', json('true'))"}, THETA_MSG),
    ("thetaobject", {"fit": "json_set(fit, '$.theta', json('{\"a\": 1}'))"}, THETA_MSG),
    ("thetanumber", {"fit": "json_set(fit, '$.theta', 1.5)"}, THETA_MSG),
    ("thetainf", {"fit": "replace(json_set(fit, '$.theta[0]', 12345.5), '12345.5', '1e999')"}, THETA_MSG),
    ("nofingerprint", {"fit": "json_remove(fit, '$.fingerprint')"}, ["is damaged", "fingerprint"]),
    ("numfingerprint", {"fit": "json_set(fit, '$.fingerprint', 12)"}, ["is damaged", "fingerprint"]),
    ("thetashort", {"fit": "json_set(fit, '$.theta', json('[1]'))"}, ["has 1 covariance parameters but the model has 3"]),
    ("thetahuge", {"fit": "json_set(fit, '$.theta', (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k "
                          "WHERE i < 200000) SELECT json_group_array(i) FROM k))"},
     ["has 200000 covariance parameters but the model has 3"]),
    ("thetabig", {"fit": "json_set(fit, '$.theta', json('[1e300, 0, 1e300]'))"}, ["cannot be evaluated"]),
    ("thetaempty", {"fit": "json_set(fit, '$.theta', json('[]'))"}, ["has 0 covariance parameters but the model has 3"]),
    ("methodflip", {"options": "'method=REML'"}, ["'methodflip' is damaged", "its options make it a REML fit",
                                                  "its fit was made by ML"]),
    ("styleflip", {"formula": "'Reaction ~ Days'", "random": "'Days|Subject'"},
     ["'styleflip' is damaged", "make an nlme-style model but its fit is lme4-style"]),
    ("estimate", {"fit": "json_set(fit, '$.rows[1][3]', 99.5)"},
     ["'estimate' is damaged", "its fixed 'Days' is saved as 99.5 but its theta on its data gives 10.46"]),
    ("renamed", {"fit": "json_set(fit, '$.fixed[1]', 'Dayz', '$.rows[1][2]', 'Dayz')"},
     ["'renamed' is damaged", "'Dayz' where its formula makes", "'Days'"]),
    ("nulformula", {"formula": "formula || char(0) || ' + junk'"},
     ["'nulformula' is damaged", "its formula holds a NUL byte at byte 33 of 40"]),
    ("nuldata", {"data": "data || char(0)"}, ["'nuldata' is damaged", "its data holds a NUL byte at byte 11 of 11"]),
    ("dataint", {"data": "42"}, ["no such table or view: '42'"]),
    ("formulaint", {"formula": "7"}, ["'formulaint' no longer parses"]),
    ("formulablob", {"formula": "x'00ff'"}, ["'formulablob' is damaged", "its formula holds a NUL byte at byte 1 of 2"]),
    ("injectname", {"data": "'sleepstudy\"; DROP TABLE sleepstudy; --'"}, ["no such table or view"]),
    ("injectquery", {"data": "'SELECT * FROM sleepstudy; DROP TABLE sleepstudy'"}, ["single statement"]),
    ("injectwrite", {"data": "'WITH x AS (SELECT 1) DELETE FROM sleepstudy RETURNING *'"}, ["must only read"]),
    ("injectformula", {"formula": "'Reaction ~ Days); DROP TABLE sleepstudy; --'"}, ["no longer parses"]),
    ("injectrandom", {"random": "'1|Subject''; DROP TABLE sleepstudy'"}, ["no longer parses"]),
    ("otherdata", {"data": "'SELECT * FROM sleepstudy WHERE Days > 0'"}, ["have changed since it was fitted"]),
    # a saved query is held to what a view of the database may do
    ("loadext", {"data": "'SELECT * FROM sleepstudy WHERE load_extension(''/nonexistent/lib'') IS NULL'"},
     ["calls load_extension()", "SQLITE_DIRECTONLY"]),
    ("vtab", {"data": "'SELECT s.* FROM sleepstudy AS s, json_each(''[1]'')'"}, ["may read no virtual table"]),
    ("fitsave", {"data": "'SELECT * FROM sleepstudy WHERE (SELECT count(*) FROM lmm_fit(''sleepstudy'', ''Reaction ~ Days'', "
                         "NULL, ''save=evil'')) > 0'"}, ["may read no virtual table"]),
]

# What only lmm_augment reads, which evaluates the saved theta on the data again: lmm_ranef and lmm_predict
# restore the model from its snapshot and never run the data query, so to them these rows are the good one
# (with the estimate the row says, for 'estimate').
AUGMENT_ONLY = {"thetabig", "estimate", "dataint", "injectname", "injectquery", "injectwrite", "otherdata", "loadext",
                "vtab", "fitsave"}
RESTORED = ("lmm_ranef('%s')", "lmm_predict('%s', 'sleepstudy')")

# damage to the snapshot, which lmm_ranef and lmm_predict restore a model from (core/restore.h)
SNAP = "'$.snapshot"
SNAPSHOT_DAMAGE = [
    ("snapobject", "json_set(fit, %s', json('[1]'))" % SNAP, ["its snapshot is array, not an object"]),
    ("snapuntyped", "json_set(fit, %s.untyped', 'yes')" % SNAP, ["its snapshot's untyped is not 0 or 1"]),
    ("snapnovars", "json_remove(fit, %s.vars')" % SNAP, ["its snapshot's vars is missing"]),
    ("snapvars", "json_remove(fit, %s.vars[1]')" % SNAP, ["keeps 1 variables and 1 groupings where its formula has 2 and 1"]),
    ("snaphugevars", "json_set(fit, %s.vars', (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k "
                     "WHERE i < 100) SELECT json_group_array(json('{\"factor\":0}')) FROM k))" % SNAP,
     ["has 100 variables and 1 groupings, more than a formula has"]),
    ("snapvartype", "json_set(fit, %s.vars[0]', 3)" % SNAP, ["its snapshot's vars[0] is integer, not an object"]),
    ("snapflag", "json_set(fit, %s.vars[0].factor', 2)" % SNAP, ["its snapshot's vars[0].factor is not 0 or 1"]),
    ("snapfactor", "json_set(fit, %s.vars[0].factor', 1)" % SNAP, ["'Days' keeps no levels, which its formula needs"]),
    ("snaplevels", "json_set(fit, %s.vars[0].levels', json('[\"1\",\"2\"]'))" % SNAP,
     ["'Days' keeps levels, which its formula does not make"]),
    ("snapnolevels", "json_remove(fit, %s.vars[1].levels')" % SNAP, ["'Subject' keeps no levels, which its formula needs"]),
    ("snapdup", "json_set(fit, %s.vars[1].levels[1]', '308')" % SNAP, ["two levels of 'Subject' are both '308'"]),
    ("snaplevel", "json_set(fit, %s.vars[1].levels[0]', 5)" % SNAP, ["its snapshot's vars[1].levels[0] is not a label"]),
    ("snaphex", "json_set(fit, %s.vars[1].levels[0]', json('{\"hex\":\"3g\"}'))" % SNAP,
     ["its snapshot's vars[1].levels[0] is not a label"]),
    ("snapfewer", "json_remove(fit, %s.vars[1].levels[17]')" % SNAP,
     ["grouping 'Subject' keeps 36 random effects where its 17 levels x 2 columns make 34"]),
    ("snapsd", "json_remove(fit, %s.ranef[0].b[0]')" % SNAP, ["its snapshot's ranef[0].sd has 36 elements where b has 35"]),
    ("snapb", "json_remove(fit, %s.ranef[0].b[0]', %s.ranef[0].sd[0]')" % (SNAP, SNAP),
     ["grouping 'Subject' keeps 35 random effects where its 18 levels x 2 columns make 36"]),
    ("snapbtext", "json_set(fit, %s.ranef[0].b[3]', 'x')" % SNAP, ["its snapshot's ranef[0].b[3] is text, not a number"]),
    ("snapbnull", "json_set(fit, %s.ranef[0].b[3]', json('null'))" % SNAP, ["its snapshot's ranef[0].b[3] is null, not a number"]),
    ("snapsdneg", "json_set(fit, %s.ranef[0].sd[3]', -1)" % SNAP,
     ["random effect 4 of grouping 'Subject' is not a finite number with a standard deviation"]),
    ("snapcodes", "json_set(fit, %s.ranef[0].codes', json('[0, 1]'))" % SNAP,
     ["grouping 'Subject' keeps 2 level codes, which its 1 variables cannot share"]),
    ("snapranef", "json_set(fit, %s.ranef', json('[]'))" % SNAP, ["keeps 2 variables and 0 groupings where its formula has 2 and 1"]),
]

# for lmm_tidy, lmm_vcov and lmm_anova, which read the fit JSON only
JSON_CASES = [
    ("nullfit", ["'nullfit' is damaged", "fit is NULL"]),
    ("badjson", ["'badjson' is damaged", "malformed JSON"]),
    ("norows", ["'norows' is damaged", "its rows is integer, not array"]),
    ("novcov", ["'novcov' is damaged", "no vcov array"]),
]
# damage to the fit itself, which every reader refuses: those that read the JSON only too
ROW_OF = "'$.rows[' || (SELECT key FROM json_each(fit, '$.rows') WHERE json_extract(value, '$[2]') = '%s') || ']%s'"
FIT_DAMAGE = [
    ("vcovshort", "json_remove(fit, '$.vcov[1][0]')", ["its vcov[1] has 1 elements, not 2"]),
    ("vcovtext", "json_set(fit, '$.vcov[0][1]', 'x')", ["its vcov[0][1] is text, not a number"]),
    ("vcovnegative", "json_set(fit, '$.vcov[1][1]', -1)", ["its vcov[1][1], a variance, is negative"]),
    ("vcovasym", "json_set(fit, '$.vcov[0][1]', 5)", ["its vcov[0][1] is 5 but its vcov[1][0] is -1.370479312",
                                                       "a covariance matrix is symmetric"]),
    ("vcovcov", "json_set(fit, '$.vcov[0][1]', 1e6, '$.vcov[1][0]', 1e6)",
     ["its vcov[0][1] is 1000000, more than its variances allow (at most 9.96325"]),
    ("fixedextra", "json_set(fit, '$.fixed[#]', 'x')", ["its vcov has 2 rows for 3 fixed effects"]),
    ("sigmazero", "json_replace(fit, %s, 0)" % (ROW_OF % ("sigma", "[3]")), ["its sigma is 0, not positive"]),
    ("nosigma", "json_remove(fit, %s)" % (ROW_OF % ("sigma", "")), ["its rows give no sigma"]),
    ("methodrows", "json_set(fit, '$.method', 'REML')", ["its method is REML but its rows give the criterion of the other"]),
    ("rowshort", "json_remove(fit, '$.rows[0][7]')", ["its rows[0] has 7 elements, not 8"]),
    ("rowtype", "json_set(fit, '$.rows[2][0]', 'random')", ["its rows[2] has the effect 'random'"]),
    ("nulname", "json_set(fit, '$.fixed[0]', '(Inter' || char(0) || 'cept)')",
     ["its fit holds an escaped NUL character (\\u0000, \\x00 or \\0) at byte"]),
    # JSON5's escapes, which SQLite reads from 3.42 on (here malformed JSON on an older SQLite: refused either way)
    ("nulx00", "replace(fit, '(Intercept)', '(Inter\\x00cept)')", ["its fit holds an escaped NUL character", "at byte"]),
    ("nul0", "replace(fit, '(Intercept)', '(Inter\\0cept)')", ["its fit holds an escaped NUL character", "at byte"]),
    ("nobsrows", "json_set(fit, '$.nobs', 179)", ["its rows count 180 observations but its nobs is 179"]),
    ("twotheta", "replace(fit, '\"theta\":', '\"theta\":[],\"theta\":')", ["its fit has two members 'theta'"]),
    ("array", "json_array(json(fit))", ["its fit is a JSON array, not an object"]),
]
DF_ROW = "'$.rows[' || (SELECT key FROM json_each(fit, '$.rows') WHERE json_extract(value, '$[2]') = 'df') || '][3]'"
NO_STATS = ["has no fit statistics"]
ANOVA_DAMAGE = [
    ("dfhuge", "json_replace(fit, %s, 1e300)" % DF_ROW, NO_STATS),
    ("dfnegative", "json_replace(fit, %s, -4)" % DF_ROW, NO_STATS),
    ("dftext", "json_replace(fit, %s, 'four')" % DF_ROW, ["is damaged", "][3] is text, not a number"]),
    ("nologlik", "json_remove(fit, '$.rows[' || (SELECT key FROM json_each(fit, '$.rows') "
                 "WHERE json_extract(value, '$[2]') = 'logLik') || ']')", NO_STATS),
    ("nobsinf", "replace(fit, '\"nobs\":180', '\"nobs\":1e999')", ["is damaged", "its nobs is real, not integer"]),
    ("nobstext", "json_set(fit, '$.nobs', '180')", ["is damaged", "its nobs is text, not integer"]),
]


def run(t, shared):
    d = tempfile.mkdtemp(prefix="lmm-store-")
    path = os.path.join(d, "store.db")
    shutil.copy(database_file(), path)
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    hostile(t, db)
    db.close()
    shutil.rmtree(d)


def hostile(t, db):
    hostile_table(db)
    for name, cols, _ in CASES:
        damage(db, name, **cols)
    damage(db, "norows", fit="json_set(fit, '$.rows', 5)")
    damage(db, "novcov", fit="json_remove(fit, '$.vcov')")
    for name, expr, _ in ANOVA_DAMAGE + FIT_DAMAGE + SNAPSHOT_DAMAGE:
        damage(db, name, fit=expr)
    db.commit()
    t.ok(db.execute("SELECT count(*) FROM lmm_ranef('good')").fetchone()[0] == 36, "the good row of the hostile table reads")
    before = snapshot(db)
    good = {reader: db.execute("SELECT * FROM " + reader % "good").fetchall() for reader in RESTORED}
    for name, _, fragments in CASES:
        for reader in READERS:
            if name in AUGMENT_ONLY and reader in RESTORED:
                got = db.execute("SELECT * FROM " + reader % name).fetchall()
                t.ok(got == good[reader] or (name == "estimate" and "predict" in reader and len(got) == 180),
                     "%s reads the snapshot, not the data: %r" % (reader % name, got[:2]))
            else:
                t.error(db, "SELECT * FROM " + reader % name, (), fragments, "%s: %s" % (reader % name, fragments))
    for name, _, fragments in SNAPSHOT_DAMAGE:
        for reader in RESTORED:
            t.error(db, "SELECT * FROM " + reader % name, (), ["'%s' is damaged" % name] + fragments, reader % name)
    for name, fragments in JSON_CASES:
        for reader in ("lmm_tidy('%s')", "lmm_vcov('%s')"):
            t.error(db, "SELECT * FROM " + reader % name, (), fragments, reader % name)
        t.error(db, "SELECT * FROM lmm_anova('good, %s')" % name, (), ["lmm_anova: "] + fragments[:1], "lmm_anova with " + name)
    for name, _, fragments in FIT_DAMAGE:
        for reader in READERS + ("lmm_tidy('%s')", "lmm_vcov('%s')", "lmm_anova('good, %s')"):
            t.error(db, "SELECT * FROM " + reader % name, (), ["'%s' is damaged" % name] + fragments, reader % name)
    for name, _, fragments in ANOVA_DAMAGE:
        t.error(db, "SELECT * FROM lmm_anova('good, %s')" % name, (), ["lmm_anova: ", "'%s' " % name] + fragments,
                "lmm_anova with " + name)
    # a saved query may call what a view may: innocuous functions always, others only while the schema is trusted
    fit(db, "SELECT Reaction, Days, lower(Subject) AS Subject FROM sleepstudy", "Reaction ~ Days + (1|Subject)", None,
        "save=lowered")
    fit(db, "SELECT Reaction, json_extract('[' || Days || ']', '$[0]') AS Days, Subject FROM sleepstudy",
        "Reaction ~ Days + (1|Subject)", None, "save=extracted")
    t.ok(len(db.execute("SELECT * FROM lmm_augment('lowered')").fetchall()) == 180, "a saved query calling lower()")
    t.ok(len(db.execute("SELECT * FROM lmm_augment('extracted')").fetchall()) == 180, "a saved query calling json_extract()")
    db.execute("PRAGMA trusted_schema = OFF")
    t.ok(len(db.execute("SELECT * FROM lmm_ranef('extracted')").fetchall()) == 18, "lmm_ranef runs no saved query")
    t.ok(len(db.execute("SELECT * FROM lmm_augment('lowered')").fetchall()) == 180, "lower() with trusted_schema off")
    t.error(db, "SELECT * FROM lmm_augment('extracted')", (), ["calls json_extract()", "not innocuous", "trusted_schema is off"],
            "json_extract() with trusted_schema off")
    db.execute("PRAGMA trusted_schema = ON")
    db.execute("DELETE FROM lmm_models WHERE name IN ('lowered', 'extracted')")
    # read as text, whatever their type: a BLOB that spells a table name still names it
    damage(db, "blobdata", data="CAST(data AS BLOB)")
    t.ok(db.execute("SELECT count(*) FROM lmm_augment('blobdata')").fetchone()[0] == 180, "data stored as a BLOB")
    db.execute("DELETE FROM lmm_models WHERE name = 'blobdata'")
    # fit JSON given directly, as lmm_agg returns it, damaged
    for arg, fragments in (('{"rows": 5}', ["not a fit", "rows"]), ("{", ["not a fit", "malformed JSON"]),
                           ('{"rows": [], "fixed": [], "vcov": {}}', ["not a fit", "vcov"])):
        t.error(db, "SELECT * FROM lmm_tidy(?)", (arg,), fragments, "lmm_tidy(%r)" % arg)
    db.commit()
    t.ok(snapshot(db) == before, "the database changed under hostile rows")
    t.ok(db.execute("SELECT count(*) FROM sleepstudy").fetchone()[0] == 180, "sleepstudy is whole")
    # a table without a key on name: two rows of one name are refused, and a save replaces the rows of its name
    damage(db, "good")
    for reader in READERS + ("lmm_tidy('%s')", "lmm_update('%s')"):
        t.error(db, "SELECT * FROM " + reader % "good", (), ["lmm_models holds more than one row named 'good'", "keep one"],
                reader % "good" + " with two rows named good")
    fit(db, "sleepstudy", "Reaction ~ 1 + (1|Subject)", None, "save=good")
    t.ok(db.execute("SELECT count(*), min(formula) FROM lmm_models WHERE name = 'good'").fetchone() ==
         (1, "Reaction ~ 1 + (1|Subject)"), "a save replaces both rows of its name")
    t.ok([r[0] for r in db.execute("SELECT term FROM lmm_tidy('good') WHERE effect = 'fixed'")] == ["(Intercept)"],
         "lmm_tidy reads the model saved last")
    # a trigger on lmm_models, in its schema or in temp, would run with a save: the save is refused, nothing changes
    for trigger, where in (("CREATE TRIGGER wipe AFTER INSERT ON lmm_models BEGIN DELETE FROM sleepstudy; END",
                            '"main"."wipe"'),
                           ("CREATE TEMP TRIGGER wipe BEFORE DELETE ON main.lmm_models BEGIN DELETE FROM sleepstudy; END",
                            '"temp"."wipe"')):
        db.execute(trigger)
        db.commit()
        before = snapshot(db)
        for sql in ("SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1|Subject)', NULL, 'save=good')",
                    "SELECT * FROM lmm_update('good', 'Reaction ~ Days + (1|Subject)', NULL, 'save=other')"):
            t.error(db, sql, (), ["cannot save the model", "lmm_models has the trigger " + where, "DROP TRIGGER " + where],
                    "save with the trigger " + where)
        t.ok(snapshot(db) == before and db.execute("SELECT count(*) FROM sleepstudy").fetchone()[0] == 180,
             "a save refused for the trigger %s changed the database" % where)
        db.execute("DROP TRIGGER " + where)
    # a foreign key on lmm_models that acts on delete (a save replacing a model deletes its row first) would change
    # the table that declares it: with foreign keys on, the save is refused, naming it; off, no key acts and it saves
    db.execute("CREATE TABLE victims(model TEXT REFERENCES lmm_models(name) ON DELETE CASCADE, v)")
    db.execute("INSERT INTO victims VALUES ('good', 1), ('good', 2)")
    db.commit()
    db.execute("PRAGMA foreign_keys = ON")
    before = snapshot(db)
    t.error(db, "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1|Subject)', NULL, 'save=good')", (),
            ["cannot save the model 'good'", 'the table "main"."victims" (ON DELETE CASCADE) has a foreign key on '
             "lmm_models", "PRAGMA foreign_keys = OFF"], "save with a cascading foreign key")
    t.ok(snapshot(db) == before and db.execute("SELECT count(*) FROM victims").fetchone()[0] == 2,
         "a save refused for a cascading foreign key changed the database")
    db.execute("PRAGMA foreign_keys = OFF")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "save=good")
    t.ok(db.execute("SELECT count(*) FROM victims").fetchone()[0] == 2, "with foreign keys off a save changed victims")
    db.execute("DROP TABLE victims")
    # an attached database's trigger on its own lmm_models never runs with a save into main's: the save goes ahead
    db.execute("ATTACH ':memory:' AS aux")
    db.execute("CREATE TABLE aux.lmm_models(name TEXT PRIMARY KEY, data, formula, random, options, fit, created, version)")
    db.execute("CREATE TABLE aux.saves(name)")
    db.execute("CREATE TRIGGER aux.logged AFTER INSERT ON lmm_models BEGIN INSERT INTO saves VALUES(new.name); END")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "save=good")
    t.ok(db.execute("SELECT count(*) FROM aux.saves").fetchone()[0] == 0 and
         db.execute("SELECT count(*) FROM main.lmm_models WHERE name = 'good'").fetchone()[0] == 1,
         "a trigger on an attached database's own lmm_models refused a save into main's")
    db.execute("DETACH aux")
    # its columns in another order, and another unique column: the save writes by name and replaces only its own
    good = db.execute("SELECT formula, random, options, fit, created, version FROM lmm_models WHERE name = 'good'").fetchone()
    db.execute("DROP TABLE lmm_models")
    db.execute("CREATE TABLE lmm_models(version, fit, created, options, random, formula, data UNIQUE, name)")
    db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) "
               "VALUES('keep', 'sleepstudy', ?, ?, ?, ?, ?, ?)", good)
    db.commit()
    t.error(db, "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1|Subject)', NULL, 'save=good')", (),
            ["cannot save the model 'good'", "UNIQUE constraint failed: lmm_models.data"], "a save meeting another unique column")
    t.ok(db.execute("SELECT group_concat(name) FROM lmm_models").fetchone()[0] == "keep", "a save deleted another model")
    db.execute("DELETE FROM lmm_models")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "save=good")
    t.ok(db.execute("SELECT data, formula FROM lmm_models WHERE name = 'good'").fetchone() ==
         ("sleepstudy", "Reaction ~ Days + (1|Subject)"), "a save into columns of another order")
    t.ok(len(db.execute("SELECT * FROM lmm_ranef('good')").fetchall()) == 18, "the model saved into reordered columns reads")
    # lmm_models without the expected columns
    db.execute("DROP TABLE lmm_models")
    db.execute("CREATE TABLE lmm_models(name, fit)")
    t.error(db, "SELECT * FROM lmm_ranef('good')", (), ["lmm_models is damaged", "no such column"], "lmm_models without columns")
