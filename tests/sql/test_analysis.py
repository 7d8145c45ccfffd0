"""The whole analysis in SQL: saved models, lmm_anova, lmm_ranef,
lmm_augment, lmm_predict, lmm_vcov and lmm_agg, against R's values, and their
errors.  Random effects, fitted values and residuals agree with R to four
significant digits: within 5e-4 relative, where values near zero are measured
against 10 % of the largest value of their kind (a BLUP of 0.012 among BLUPs
of +-0.5 carries the absolute error of its neighbours: where the likelihood
is flat, as for the 3-level reg factor, nlme's optimum and this one differ in
the fifth digit of the variance components, and the small BLUPs inherit it)."""

FOUR_DIGITS = 5e-4
import json
import os
import shutil
import sqlite3
import tempfile

from harness import ROOT, connect, database_file, fit, row_counter

REF = os.path.join(ROOT, "tests", "reference")
AR = "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"


def ref(name):
    with open(os.path.join(REF, name + ".json")) as f:
        return json.load(f)


def save(db, name, spec):
    opts = (spec.get("options") or "")
    opts = (opts + ", " if opts else "") + "save=" + name
    db.execute("SELECT count(*) FROM lmm_fit(?, ?, ?, ?)", (spec["data"], spec["formula"], spec.get("random"), opts)).fetchall()


def near(t, got, want, what, scale=1.0, rel=FOUR_DIGITS):
    ok = got is not None and abs(got - want) <= rel * max(abs(want), scale)
    return t.ok(ok, "%s: got %r, R %r" % (what, got, want))


def check_vectors(t, db, name, r):
    rows = db.execute("SELECT fitted, resid, normalized, hat, std_resid, cooks_distance FROM lmm_augment(?) "
                      "ORDER BY source_rowid", (name,)).fetchall()
    t.ok(len(rows) == r["nobs"], "%s augment: %d rows, nobs %d" % (name, len(rows), r["nobs"]))
    scale = max(abs(v) for v in r["fitted"])
    bad = [i for i, row in enumerate(rows) if abs(row[0] - r["fitted"][i]) > FOUR_DIGITS * max(abs(r["fitted"][i]), 0.1 * scale)]
    t.ok(not bad, "%s fitted differs at rows %r" % (name, bad[:5]))
    bad = [i for i, row in enumerate(rows) if abs(row[1] - r["resid_response"][i]) > FOUR_DIGITS * 0.1 * scale]
    t.ok(not bad, "%s resid differs at rows %r" % (name, bad[:5]))
    if "resid_normalized" in r:
        bad = [i for i, row in enumerate(rows) if abs(row[2] - r["resid_normalized"][i]) > FOUR_DIGITS * max(0.1, abs(r["resid_normalized"][i]))]
        t.ok(not bad, "%s normalized residuals differ at rows %r" % (name, bad[:5]))
    for key, col in (("hat", 3), ("resid_standardized", 4), ("cooks_distance", 5)):
        if key in r:
            bad = [i for i, row in enumerate(rows) if abs(row[col] - r[key][i]) > FOUR_DIGITS * max(abs(r[key][i]), 1e-6)]
            t.ok(not bad, "%s %s differs at rows %r" % (name, key, bad[:5]))
    # predictions for the fitted rows are the fitted values; level 0 the fixed part
    pred = db.execute("SELECT p.prediction, a.fitted, q.prediction, a.fixed FROM lmm_predict(?1, ?2) p "
                      "JOIN lmm_augment(?1) a ON a.source_rowid = p.source_rowid "
                      "JOIN lmm_predict(?1, ?2, 0) q ON q.source_rowid = p.source_rowid",
                      (name, r["sql"]["data"])).fetchall()
    t.ok(len(pred) == r["nobs"], "%s predict: %d rows" % (name, len(pred)))
    t.ok(all(abs(a - b) <= 1e-9 * max(1, abs(b)) and abs(c - d) <= 1e-9 * max(1, abs(d)) for a, b, c, d in pred),
         "%s: predictions differ from fitted values" % name)


def check_predict(t, db, name, r):
    """lmm_predict on new rows against R's predict() at each level ("full": all
    random effects, lme4's allow.new.levels).  nlme has no prediction (NA) for
    a group it never saw; lmm_predict gives that group a zero effect, which is
    R's prediction at the deepest lower level whose groups it knows."""
    spec = r["predict"]
    levels = spec["levels"]
    for key, want in sorted(levels.items()):
        level = None if key == "full" else int(key)
        got = [row[0] for row in db.execute("SELECT prediction FROM lmm_predict(?, ?, ?) ORDER BY source_rowid",
                                            (name, spec["data"], level))]
        if not t.ok(len(got) == len(want), "%s predict level %s: %d rows, R %d" % (name, key, len(got), len(want))):
            continue
        scale = 0.1 * max(abs(w) for w in want if w is not None)
        for i, (g, w) in enumerate(zip(got, want)):
            k = level
            while w is None and k > 0:
                k -= 1
                w = levels[str(k)][i]
            near(t, g, w, "%s predict level %s row %d" % (name, key, i + 1), scale)


def check_ranef(t, db, name, r):
    nlme = r["engine"] == "nlme::lme"
    got = {}
    for grp, level, term, est, sd in db.execute("SELECT * FROM lmm_ranef(?)", (name,)):
        if nlme:  # nlme names inner groups by their last factor and joins levels with '/'
            grp, level = grp.split(":")[-1], level.replace(":", "/")
        got[(grp, level, term.replace("factor(nutrient)", "nutrient"))] = (est, sd)
    t.ok(len(got) == len(r["ranef"]), "%s ranef: %d rows, R %d" % (name, len(got), len(r["ranef"])))
    # at a zero variance the BLUPs are zero: nlme's 1e-8 (dyestuff2_nlme) are
    # its optimizer's distance from the boundary, so sigma sets the scale there
    scale = max(max(abs(x["estimate"]) for x in r["ranef"]), 1e-2 * r["sigma"])
    for x in r["ranef"]:
        mine = got.get((x["grp"], x["level"], x["term"]))
        if not t.ok(mine is not None, "%s ranef: no %s" % (name, (x["grp"], x["level"], x["term"]))):
            continue
        near(t, mine[0], x["estimate"], "%s ranef %s %s" % (name, x["level"], x["term"]), 0.1 * scale)
        if "cond_sd" in x:
            near(t, mine[1], x["cond_sd"], "%s cond_sd %s %s" % (name, x["level"], x["term"]))


def check_vcov(t, db, name, r):
    rows = db.execute("SELECT covariance FROM lmm_vcov(?)", (name,)).fetchall()
    flat = [v for row in r["vcov"] for v in row]
    t.ok(len(rows) == len(flat), "%s vcov size" % name)
    for (got,), want in zip(rows, flat):
        near(t, got, want, "%s vcov" % name, 1e-3 * max(abs(v) for v in flat), 1e-3)


def check_anova(t, db, expected, what):
    names = ", ".join(row["model"] for row in expected)
    got = db.execute("SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(?)", (names,)).fetchall()
    t.ok(len(got) == len(expected), "%s: %d rows" % (what, len(got)))
    for i, (g, w) in enumerate(zip(got, expected)):
        t.ok(g[0] == w["model"] and g[1] == w["df"], "%s row %d: %r vs %r" % (what, i, g[:2], (w["model"], w["df"])))
        for k, col in (("AIC", 2), ("BIC", 3), ("logLik", 4)):
            near(t, g[col], w[k], "%s %s %s" % (what, w["model"], k), 1, 1e-6)
        if w["L_ratio"] is None:
            t.ok(g[5] is None and g[6] is None and g[7] is None, "%s %s: a test where R has none" % (what, w["model"]))
        else:
            t.ok(g[5] == "%d vs %d" % (i, i + 1), "%s test label %r" % (what, g[5]))
            near(t, g[6], w["L_ratio"], "%s %s L_ratio" % (what, w["model"]), 1, 1e-4)
            near(t, g[7], w["p_value"], "%s %s p_value" % (what, w["model"]), 0, 1e-3)


def run(t, db):
    cases = [n[:-5] for n in sorted(os.listdir(REF)) if n.endswith(".json")]
    tutorial = {"GLM": "arabidopsis_GLM", "lmm1": "arabidopsis_lmm1", "lmm2": "arabidopsis_lmm2",
                "lmm3": "arabidopsis_lmm3", "lmm4": "arabidopsis_lmm4", "lmm5": "arabidopsis_lmm5",
                "lmm6": "arabidopsis_lmm6", "lmm7": "arabidopsis_lmm7", "lmm6.2": "arabidopsis_lmm6.2",
                "lmm7.2": "arabidopsis_lmm7.2", "lmm8": "arabidopsis_lmm8"}
    for name, case in tutorial.items():
        save(db, name, ref(case)["sql"])

    # anova: R's tables where nlme reached the optimum ...
    a = ref("arabidopsis_anova")
    check_anova(t, db, a["random_intercepts"], "anova random intercepts")
    # ... and where it stopped short, the tables that follow from the better
    # likelihoods lmm_fit reaches (make_anova_best.R computed them in R)
    best = ref("arabidopsis_anova_best")
    for k in ("random_slopes", "slopes_head_to_head", "interaction"):
        check_anova(t, db, best[k], "anova " + k)

    # anova tables between nested fits of the other data sets
    for case in cases:
        r = ref(case)
        if "anova_case" in r:
            try:
                for m in r["models"]:
                    save(db, m["model"], m["sql"])
                check_anova(t, db, r["table"], r["anova_case"])
            except sqlite3.Error as e:
                t.ok(False, "%s: %s" % (case, e))

    # every reference case with per-row and per-group values
    for case in cases:
        r = ref(case)
        if "case" not in r or r.get("best_known_logLik") is not None or r.get("aliased"):
            continue
        name = "ref_" + case
        try:
            save(db, name, r["sql"])
            check_vectors(t, db, name, r)
            if "ranef" in r:
                check_ranef(t, db, name, r)
            if "predict" in r:
                check_predict(t, db, name, r)
            if case not in ("orthodont_reml", "orthodont_ml", "orthodont_lm", "orthodont_gls_reml", "orthodont_lmer_ml"):
                check_vcov(t, db, name, r)
        except sqlite3.Error as e:  # a failing case is counted, and the others still run
            t.ok(False, "%s: %s" % (name, e))

    # a saved model is an ordinary row, readable with SQLite's JSON functions
    row = db.execute("SELECT data, formula, random, options, json_extract(fit, '$.method'), version FROM lmm_models "
                     "WHERE name = 'lmm6'").fetchone()
    t.ok(row == ("arabidopsis", AR, "1| popu/gen", "method=ML, save=lmm6", "ML", "0.1.0"), "lmm_models row %r" % (row,))
    tidy = db.execute("SELECT * FROM lmm_tidy('lmm6')").fetchall()
    direct = db.execute("SELECT * FROM lmm_fit('arabidopsis', ?, '1|popu/gen', 'method=ML')", (AR,)).fetchall()
    t.ok([r[:3] for r in tidy] == [r[:3] for r in direct] and
         all(abs(x[3] - y[3]) < 1e-12 * max(1, abs(y[3])) for x, y in zip(tidy, direct)), "lmm_tidy equals lmm_fit")
    # saving again under a name replaces it
    save(db, "lmm6", {"data": "arabidopsis", "formula": AR, "random": "1|popu", "options": "method=ML"})
    t.ok(db.execute("SELECT count(*), max(random) FROM lmm_models WHERE name = 'lmm6'").fetchone() == (1, "1|popu"),
         "save replaces")

    # group-wise fits: one per region, the same as fitting each region's rows
    agg = db.execute(
        "SELECT g.reg, t.term, t.estimate FROM (SELECT reg, lmm_agg('log(1 + total_fruits) ~ amd', '1|popu', 'method=ML', "
        "'total_fruits', total_fruits, 'amd', amd, 'popu', popu) AS fit FROM arabidopsis GROUP BY reg) g, lmm_tidy(g.fit) t "
        "WHERE t.term IN ('(Intercept)', 'amdunclipped', 'logLik')").fetchall()
    t.ok(len(agg) == 9, "lmm_agg: %d rows" % len(agg))
    for reg, term, est in agg:
        one = [r["estimate"] for r in fit(db, "SELECT * FROM arabidopsis WHERE reg = '%s'" % reg,
                                           "log(1 + total_fruits) ~ amd", "1|popu", "method=ML") if r["term"] == term]
        t.ok(abs(one[0] - est) < 1e-9 * max(1, abs(est)), "lmm_agg %s %s: %r vs %r" % (reg, term, est, one))

    joins(t, db)
    errors(t, db)
    persistence(t)


def joins(t, db):
    """lmm_augment and lmm_predict joined on source_rowid: each is computed
    once per statement (tick counts the rows read), and "source_rowid = x"
    is a lookup, so joining n rows costs n log n, not n^2 fits."""
    calls = row_counter(db)
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=joined")
    rows = db.execute("SELECT a.source_rowid, a.fitted, p.prediction, q.prediction, a.fixed FROM lmm_augment('joined') a "
                      "JOIN lmm_predict('joined', ?1) p ON p.source_rowid = a.source_rowid "
                      "JOIN lmm_predict('joined', ?1, 0) q ON q.source_rowid = a.source_rowid ORDER BY 1",
                      ("SELECT rowid, * FROM sleepstudy WHERE tick()",)).fetchall()
    t.ok(calls[0] == 2 * 180, "the predictions read %d rows, not 2 x 180" % calls[0])
    t.ok([r[0] for r in rows] == list(range(1, 181)), "joined rows %r" % [r[0] for r in rows][:5])
    t.ok(all(abs(r[1] - r[2]) < 1e-9 * abs(r[1]) and abs(r[3] - r[4]) < 1e-9 * abs(r[4]) for r in rows),
         "joined predictions differ from fitted values")
    one = db.execute("SELECT * FROM lmm_augment('joined') WHERE source_rowid = 17").fetchall()
    t.ok(len(one) == 1 and one[0][0] == 17 and one[0][2] == db.execute("SELECT Reaction FROM sleepstudy WHERE rowid = 17").fetchone()[0],
         "lookup of one row: %r" % one)
    for value, n in ((17.0, 1), ("17", 1), (17.5, 0), (None, 0), (1000, 0)):
        got = db.execute("SELECT count(*) FROM lmm_augment('joined') WHERE source_rowid = ?", (value,)).fetchone()[0]
        t.ok(got == n, "source_rowid = %r: %d rows, not %d" % (value, got, n))
    got = db.execute("SELECT group_concat(source_rowid) FROM lmm_predict('joined', 'sleepstudy') WHERE source_rowid IN (180, 3, 999)").fetchone()
    t.ok(got == ("3,180",) or got == ("180,3",), "source_rowid IN (...): %r" % (got,))


def errors(t, db):
    t.error(db, "SELECT * FROM lmm_ranef('nosuch')", (), ["no saved model 'nosuch'", "lmm1"], "unknown model")
    t.error(db, "SELECT * FROM lmm_anova('GLM, nosuch')", (), ["no saved model 'nosuch'"], "anova unknown model")
    t.error(db, "SELECT * FROM lmm_ranef()", (), ["lmm_ranef needs a saved model"], "ranef without arguments")
    t.error(db, "SELECT * FROM lmm_ranef('a', 'b')", (), ["too many arguments"], "ranef with two arguments")
    t.error(db, "SELECT * FROM lmm_predict('lmm1')", (), ["needs a saved model and data"], "predict without data")
    t.error(db, "SELECT lmm_agg('y ~ x', NULL, NULL, 'y') FROM sleepstudy", (), ["name/value pairs"], "agg odd pairs")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 'Reaction', Reaction) FROM sleepstudy", (),
            ["uses column 'Days'"], "agg missing column")
    # REML fits with different fixed effects are not comparable
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=r1")
    fit(db, "sleepstudy", "Reaction ~ 1 + (Days|Subject)", None, "save=r2")
    t.error(db, "SELECT * FROM lmm_anova('r1, r2')", (), ["REML", "different fixed effects", "method=ML"], "REML anova")
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML, save=m1")
    t.error(db, "SELECT * FROM lmm_anova('r1, m1')", (), ["fitted by REML", "by ML"], "mixed methods")
    # a model saved from a table that has since changed: predictions and random effects come from what the
    # model keeps, whatever happened to its table (they need no rows); lmm_augment, which lists the fitted
    # rows, checks that they are still the ones it saw
    db.execute("CREATE TABLE sleep2 AS SELECT * FROM sleepstudy")
    fit(db, "sleep2", "Reaction ~ Days + (Days|Subject)", None, "save=s2")
    ranef = db.execute("SELECT * FROM lmm_ranef('s2')").fetchall()
    pred = db.execute("SELECT * FROM lmm_predict('s2', 'sleepstudy')").fetchall()
    t.ok(len(ranef) == 36 and len(pred) == 180, "ranef and predict before the change")
    db.execute("UPDATE sleep2 SET Reaction = Reaction + 1 WHERE rowid = 5")
    db.execute("INSERT INTO sleep2 SELECT Reaction, Days + 10, Subject FROM sleepstudy WHERE Days < 2")
    t.error(db, "SELECT * FROM lmm_augment('s2')", (), ["have changed since it was fitted", "sleep2", "fit it again"],
            "lmm_augment on changed data")
    t.ok(db.execute("SELECT * FROM lmm_ranef('s2')").fetchall() == ranef, "ranef after the table changed")
    t.ok(db.execute("SELECT * FROM lmm_predict('s2', 'sleepstudy')").fetchall() == pred, "predict after the table changed")
    grown = db.execute("SELECT prediction FROM lmm_predict('s2', 'sleep2') WHERE row > 180 ORDER BY row").fetchall()
    b = {(r[1], r[2]): r[3] for r in ranef}
    beta = dict(db.execute("SELECT term, estimate FROM lmm_tidy('s2') WHERE effect = 'fixed'").fetchall())
    want = [beta["(Intercept)"] + b[(s, "(Intercept)")] + (d + 10) * (beta["Days"] + b[(s, "Days")])
            for d, s in db.execute("SELECT Days, Subject FROM sleepstudy WHERE Days < 2").fetchall()]
    t.ok(len(grown) == 36 and all(abs(g[0] - w) < 1e-9 * abs(w) for g, w in zip(grown, want)),
         "the rows added since the fit are predicted from the saved coefficients and BLUPs")
    db.execute("DROP TABLE sleep2")
    t.ok(db.execute("SELECT * FROM lmm_ranef('s2')").fetchall() == ranef, "ranef after the table was dropped")
    t.error(db, "SELECT * FROM lmm_augment('s2')", (), ["cannot read its data", "sleep2"], "dropped table")
    # a new level of a fixed-effect factor cannot be predicted; a new group gets the population value
    db.execute("CREATE TEMP TABLE newplants AS SELECT * FROM arabidopsis LIMIT 3")
    db.execute("UPDATE newplants SET popu = 'elsewhere' WHERE rowid = 1")
    pred = db.execute("SELECT p.prediction, q.prediction FROM lmm_predict('lmm2', 'newplants') p "
                      "JOIN lmm_predict('lmm2', 'newplants', 0) q USING (source_rowid) ORDER BY source_rowid").fetchall()
    t.ok(pred[0][0] == pred[0][1] and pred[1][0] != pred[1][1], "new group gets the population prediction: %r" % pred)
    db.execute("UPDATE newplants SET amd = 'trimmed' WHERE rowid = 2")
    t.error(db, "SELECT * FROM lmm_predict('lmm2', 'newplants')", (), ["level 'trimmed' of amd"], "new factor level")


def persistence(t):
    """A saved model survives closing and reopening the database; a read-only
    database refuses to save and stays as it was."""
    d = tempfile.mkdtemp(prefix="lmm-persist-")
    path = os.path.join(d, "p.db")
    shutil.copy(database_file(), path)
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML, save=sleep_ml")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "method=ML, save=sleep_int")
    before = {f: db.execute("SELECT * FROM %s" % f).fetchall() for f in
              ("lmm_ranef('sleep_ml')", "lmm_augment('sleep_ml')", "lmm_vcov('sleep_ml')", "lmm_tidy('sleep_ml')",
               "lmm_anova('sleep_int, sleep_ml')", "lmm_predict('sleep_ml', 'sleepstudy')")}
    db.commit()
    db.close()
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    for f, rows in before.items():
        t.ok(db.execute("SELECT * FROM %s" % f).fetchall() == rows, "after reopening, %s differs" % f)
    db.close()
    ro = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    ro.enable_load_extension(True)
    ro.load_extension(os.environ.get("LMM_EXT", "build/lmm"))
    schema = ro.execute("SELECT * FROM sqlite_schema").fetchall()
    models = ro.execute("SELECT name, fit FROM lmm_models ORDER BY name").fetchall()
    t.error(ro, "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (1|Subject)', NULL, 'save=x')", (),
            ["cannot save the model 'x'", "readonly"], "save into a read-only database")
    t.ok(ro.execute("SELECT * FROM sqlite_schema").fetchall() == schema and
         ro.execute("SELECT name, fit FROM lmm_models ORDER BY name").fetchall() == models, "read-only database changed")
    t.ok(len(ro.execute("SELECT * FROM lmm_ranef('sleep_ml')").fetchall()) == 36, "a read-only database still reads models")
    ro.close()
    shutil.rmtree(d)
