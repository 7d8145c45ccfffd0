"""Formulas of any length or depth, from an argument or from a saved row of lmm_models: an SQL error that
names the limit and the character, never a crash (they once overflowed the stack: 60,000 terms, 100,000
signs or powers, 3,000 terms on a thread with a 512 KB stack), and the database left as it was.
The saved rows are written into a private copy of the test database."""
import os
import shutil
import sqlite3
import threading

from harness import connect, fit, private_copy
from test_store import snapshot

NESTED = "nests deeper than 100 levels"
TOO_HIGH = "is more than 1000 operators deep"
TOO_MANY = "has more than 10000 names, numbers and operators"

SUM = "Reaction ~ " + "+".join(["Days"] * 60000)
# (formula, random, the message's fragments, what)
LONG = [
    (SUM, None, ["formula " + TOO_HIGH, "character 5011"], "60,000-term sum"),
    ("Reaction ~ Days:" + ":".join(["Days"] * 60000), None, ["formula " + TOO_HIGH], "60,000-factor interaction"),
    ("Reaction ~ I(" + "-" * 100000 + "Days)", None, ["formula " + NESTED, "character 113"], "100,000 signs"),
    ("Reaction ~ I(" + "^".join(["Days"] * 100000) + ")", None, ["formula " + NESTED, "character 513"],
     "100,000 powers"),
    ("Reaction ~ " + "(" * 100000 + "Days" + ")" * 100000, None, ["formula " + NESTED, "character 112"],
     "100,000 parentheses"),
    ("Reaction ~ " + "log(" * 100000 + "Days" + ")" * 100000, None, ["formula " + NESTED], "100,000 calls"),
    ("Reaction ~ (" + "+".join(["Days"] * 60000) + " | Subject)", None, ["formula " + TOO_HIGH], "long random term"),
    ("Reaction ~ Days", "+".join(["Days"] * 60000) + " | Subject", ["random " + TOO_HIGH, "character 5000"],
     "long random argument"),
    ("Reaction ~ Days", "1 | " + "/".join(["Subject"] * 60000), ["random " + TOO_HIGH], "long random nesting"),
    ("Reaction ~ " + "+".join(["(" + "+".join(["Days"] * 500) + ")"] * 20), None, ["formula " + TOO_MANY],
     "20,000 terms in groups"),
    ("Reaction ~ 1 + (a*b*c*d*e*f*g*h*i*j || " + "/".join(["u"] * 64) + ")", None,
     ["makes 65536 random-effect terms", "more than the 256"], "65,536 random-effect terms"),
]


def run(t, shared):
    d, path = private_copy("lmm-formula-")
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    arguments(t, db)
    saved_rows(t, db)
    db.close()
    small_stack(t, path)
    shutil.rmtree(d)


def arguments(t, db):
    """lmm_fit and lmm_agg, which would have saved the model: refused, and nothing saved."""
    fit(db, "sleepstudy", "Reaction ~ Days", None, "save=first")
    before = snapshot(db)
    for formula, random, fragments, what in LONG:
        t.error(db, "SELECT * FROM lmm_fit('sleepstudy', ?, ?, 'save=evil')", (formula, random), fragments,
                "lmm_fit, " + what)
        t.error(db, "SELECT lmm_agg(?, ?, 'save=evil', 'Reaction', Reaction, 'Days', Days, 'Subject', Subject) "
                    "FROM sleepstudy", (formula, random), fragments, "lmm_agg, " + what)
    t.ok(snapshot(db) == before, "the database changed under refused formulas")
    # the longest sum that is read: 998 operators
    rows = fit(db, "sleepstudy", "Reaction ~ " + "+".join(["Days"] * 999))
    t.ok([r["term"] for r in rows if r["effect"] == "fixed"] == ["(Intercept)", "Days"], "998 '+' read as one term")


def saved_rows(t, db):
    """A database from elsewhere, whose lmm_models holds a hostile formula or random part."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days | Subject)", None, "save=good")
    hostile = [("longsum", "Reaction ~ Days + (Days | Subject) + " + "+".join(["Days"] * 60000), None,
                ["'longsum' no longer parses", "formula " + TOO_HIGH]),
               ("signs", "Reaction ~ Days + (Days | Subject) + I(" + "-" * 100000 + "Days)", None,
                ["'signs' no longer parses", "formula " + NESTED]),
               ("powers", "Reaction ~ Days + (Days | Subject) + I(" + "^".join(["Days"] * 100000) + ")", None,
                ["'powers' no longer parses", "formula " + NESTED]),
               ("parens", "Reaction ~ " + "(" * 100000 + "Days" + ")" * 100000 + " + (Days | Subject)", None,
                ["'parens' no longer parses", "formula " + NESTED]),
               ("terms", "Reaction ~ Days + (a*b*c*d*e*f*g*h*i*j || " + "/".join(["u"] * 64) + ")", None,
                ["'terms' no longer parses", "makes 65536 random-effect terms"]),
               ("random", "Reaction ~ Days", "+".join(["Days"] * 60000) + " | Subject",
                ["'random' no longer parses", "random " + TOO_HIGH])]
    for name, formula, random, _ in hostile:
        db.execute("INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) "
                   "SELECT ?, data, ?, ?, options, fit, created, version FROM lmm_models WHERE name = 'good'",
                   (name, formula, random))
    db.commit()
    before = snapshot(db)
    good_tidy = db.execute("SELECT * FROM lmm_tidy('good')").fetchall()
    for name, _, _, fragments in hostile:
        for reader in ("lmm_ranef('%s')", "lmm_augment('%s')", "lmm_predict('%s', 'sleepstudy')"):
            t.error(db, "SELECT * FROM " + reader % name, (), fragments, reader % name)
        # lmm_tidy reads the saved fit only, never the formula
        t.ok(db.execute("SELECT * FROM lmm_tidy('%s')" % name).fetchall() == good_tidy, "lmm_tidy('%s')" % name)
    t.ok(snapshot(db) == before, "the database changed under hostile saved formulas")
    t.ok(len(db.execute("SELECT * FROM lmm_ranef('good')").fetchall()) == 36, "the good row still reads")


def small_stack(t, path):
    """The same on a thread with a 512 KB stack (as many applications give their threads): the long texts
    refused, and the deepest that are read fitted, saved and read back."""
    results = []

    def work():
        db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
        try:
            for formula, random, fragments, what in LONG:
                try:
                    db.execute("SELECT * FROM lmm_fit('sleepstudy', ?, ?)", (formula, random)).fetchall()
                    results.append((False, what + ": no error"))
                except sqlite3.Error as e:
                    results.append((all(f in str(e) for f in fragments), "%s: %s" % (what, e)))
            for name in ("longsum", "signs", "random"):
                try:
                    db.execute("SELECT * FROM lmm_ranef('%s')" % name).fetchall()
                    results.append((False, name + ": no error"))
                except sqlite3.Error as e:
                    results.append(("no longer parses" in str(e), "lmm_ranef('%s'): %s" % (name, e)))
            # 996 operators, I(), '+' and '~': 1000 high
            deepest = "Reaction ~ I(" + "+".join(["Days"] * 997) + ") + (1 | Subject)"
            rows = db.execute("SELECT term, estimate FROM lmm_fit('sleepstudy', ?, NULL, 'save=deep') "
                              "WHERE effect = 'fixed'", (deepest,)).fetchall()
            results.append((len(rows) == 2 and abs(rows[1][1] * 997 - 10.4672859) < 1e-5,
                            "the deepest sum under I(): %r" % rows))
            n = db.execute("SELECT count(*) FROM lmm_augment('deep')").fetchone()[0]
            results.append((n == 180, "lmm_augment('deep'): %d rows" % n))
            db.execute("DELETE FROM lmm_models WHERE name = 'deep'")
            db.commit()
        except Exception as e:  # counted below as a check that did not run
            results.append((False, repr(e)))
        finally:
            db.close()

    old = threading.stack_size(512 * 1024)
    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    t.ok(len(results) == len(LONG) + 5, "the 512 KB thread ran %d of %d checks" % (len(results), len(LONG) + 5))
    for good, what in results:
        t.ok(good, "512 KB stack: " + what)
