"""A CSV imported with the sqlite3 shell's `.import --csv` into a new table (every column TEXT) fits as R's
read.csv would read it (issue 22): the data carry no types, so a column whose every value reads as a number is
numeric, NA and empty texts are missing (option na= sets the texts).  Where the schema declares types it is
followed: a TEXT column is a factor even when its values look like numbers, while a text where a number is
needed (the response, as.numeric(x)) is read as one.  Before, the response was refused as text and Days became
a factor (Days1 ... Days9)."""
import os
import subprocess

from harness import ROOT, connect, fit, private_copy

FORMULA = "Reaction ~ Days + (Days|Subject)"


def run(t, _db):
    d, path = private_copy("lmm-csv-")
    for table, csv in (("sleep_csv", "sleepstudy.csv"), ("sleep_na_csv", "sleep_na.csv")):
        subprocess.run(["sqlite3", path, ".import --csv tests/data/%s %s" % (csv, table)], cwd=ROOT, check=True)
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    types = {r[2] for r in db.execute("SELECT * FROM pragma_table_info('sleep_csv')")}
    t.ok(types == {"TEXT"}, "csv: .import --csv makes every column TEXT: %r" % types)
    same_fit(t, db, "sleep_csv", "sleepstudy", FORMULA, None, "csv")
    same_fit(t, db, "sleep_na_csv", "sleep_na", FORMULA, None, "csv with NA")
    na_option(t, db)
    typed_text(t, db)
    predict_text(t, db)
    db.close()


def rows_of(t, db, data, formula, options, what):
    try:
        return {(r["effect"], r["grp"], r["term"]): r for r in fit(db, data, formula, None, options)}
    except Exception as e:   # the old code refused the text response
        t.ok(False, "%s: %s" % (what, e))
        return {}


def same_fit(t, db, data, typed, formula, options, what, typed_formula=None, rename=None):
    """data fits as the typed table does: the same terms, every number to 1e-9 relative."""
    got = rows_of(t, db, data, formula, options, what)
    want = rows_of(t, db, typed, typed_formula or formula, None, what + " (typed)")
    if rename:
        want = {(e, g, rename.get(term, term)): r for (e, g, term), r in want.items()}
    t.ok(want and set(got) == set(want), "%s: terms %r, typed %r" % (what, list(got), list(want)))
    for key in set(got) & set(want):
        for col in ("estimate", "std_error"):
            g, w = got[key][col], want[key][col]
            if w is None:
                t.ok(g is None, "%s: %r %s is %r, typed NULL" % (what, key, col, g))
            else:
                t.close(1e-9, g, w, 1e-9, "%s: %r %s" % (what, key, col))


def na_option(t, db):
    # sleep_na with R's NA written as '-' and '.', in a table of TEXT columns
    db.execute("CREATE TABLE sleep_dash AS SELECT "
               "CAST(coalesce(Reaction, CASE WHEN rowid % 2 THEN '-' ELSE '.' END) AS TEXT) AS Reaction, "
               "CAST(coalesce(Days, '-') AS TEXT) AS Days, CAST(Subject AS TEXT) AS Subject FROM sleep_na")
    same_fit(t, db, "sleep_dash", "sleep_na", FORMULA, "na=-|.", "na=-|.")
    t.error(db, "SELECT * FROM lmm_fit('sleep_dash', ?)", (FORMULA,),
            ["column 'Reaction' must be numeric in the response", "holds the text", "option na="], "without na=")
    # empty texts are missing values where the data carry no types
    db.execute("CREATE TABLE sleep_blank AS SELECT coalesce(CAST(Reaction AS TEXT), '') AS Reaction, "
               "coalesce(CAST(Days AS TEXT), '') AS Days, CAST(Subject AS TEXT) AS Subject FROM sleep_na")
    same_fit(t, db, "sleep_blank", "sleep_na", FORMULA, None, "empty texts")


def typed_text(t, db):
    # the schema speaks (Subject INTEGER): the TEXT column DaysCode stays a factor, the TEXT response is read as numbers
    db.execute("CREATE TABLE typed_text (Reaction TEXT, Days INTEGER, DaysCode TEXT, Subject INTEGER)")
    db.execute("INSERT INTO typed_text SELECT Reaction, Days, Days, Subject FROM sleepstudy")
    same_fit(t, db, "typed_text", "sleepstudy", "Reaction ~ DaysCode + (1|Subject)", None, "typed: text codes",
             "Reaction ~ factor(Days) + (1|Subject)",
             {"factor(Days)%d" % k: "DaysCode%d" % k for k in range(10)})
    # as.numeric forces a number, and names the row where a value is none
    same_fit(t, db, "typed_text", "sleepstudy", "Reaction ~ as.numeric(DaysCode) + (Days|Subject)", None,
             "as.numeric", FORMULA, {"Days": "as.numeric(DaysCode)"})
    db.execute("UPDATE typed_text SET DaysCode = 'x7' WHERE rowid = 17")
    t.error(db, "SELECT * FROM lmm_fit('typed_text', ?)", ("Reaction ~ as.numeric(DaysCode) + (1|Subject)",),
            ["column 'DaysCode' must be numeric in as.numeric(DaysCode), but rowid 17 holds the text 'x7'"],
            "as.numeric: not a number")


def predict_text(t, db):
    # a variable fitted as a number reads text numbers as numbers in new rows
    try:
        db.execute("SELECT count(*) FROM lmm_fit('sleep_csv', ?, NULL, 'save=csv_m')", (FORMULA,)).fetchall()
        got = [r[0] for r in db.execute("SELECT prediction FROM lmm_predict('csv_m', 'sleep_csv') ORDER BY source_rowid")]
        want = [r[0] for r in db.execute("SELECT prediction FROM lmm_predict('csv_m', 'sleepstudy') ORDER BY source_rowid")]
    except Exception as e:
        t.ok(False, "predict from text rows: %s" % e)
        return
    t.ok(len(got) == 180 and len(want) == 180, "predict: %d and %d rows" % (len(got), len(want)))
    for k, (g, w) in enumerate(zip(got, want)):
        t.close(1e-12, g, w, 1e-12, "predict row %d" % (k + 1))
