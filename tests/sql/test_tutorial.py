"""The tutorial script users run (`make demo`: sql/arabidopsis.sql) runs whole through the extension, statement by
statement on a private copy of the test data, and gives the analysis' numbers: the random-slope comparison's
likelihood ratio (lmm6 vs lmm6.2, 13.111 at lme4's optimum), the GLM against the GLM with nlme's varIdent by status, with its bootstrap p beside the chi-square one, the
final model's intervals around its estimates and its F tests.  The shell's dot-commands (.load) are the
shell's; the extension is this run's (LMM_EXT)."""
import os
import shutil
import sqlite3

from harness import connect, private_copy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def statements(path):
    """The script's SQL statements in order, dot-commands and comments left out."""
    out, pending = [], ""
    with open(path) as f:
        for line in f:
            if line.startswith(".") or (not pending and not line.strip()):   # a dot-command is a line of its own
                continue
            pending += line
            if sqlite3.complete_statement(pending):
                out.append(pending.strip())
                pending = ""
    return out


def run(t, db):
    d, path = private_copy("lmm-tutorial-")
    db = connect(os.environ.get("LMM_EXT", "build/lmm"), path)
    results = {}
    for sql in statements(os.path.join(ROOT, "sql", "arabidopsis.sql")):
        try:
            cur = db.execute(sql)
            rows = cur.fetchall()
            cols = [c[0] for c in cur.description] if cur.description else []
            results[sql] = [dict(zip(cols, r)) for r in rows]
        except sqlite3.Error as e:
            t.ok(False, "the tutorial stops at %r: %s" % (sql[:120], e))
            break
    db.commit()
    data = next((rows for sql, rows in results.items() if "genotypes_in_two_populations" in sql), [])
    t.ok(data == [{"plants": 625, "regions": 3, "populations": 9, "genotypes": 24, "genotypes_in_two_populations": 0,
                   "populations_in_two_regions": 0, "missing": 0}], "the data's counts and nesting: %r" % data)
    summ = next((rows for sql, rows in results.items() if "FROM lmm_tidy('lmm6.2') WHERE effect = 'fixed'" in sql), [])
    t.ok(len(summ) == 6 and [r["term"] for r in summ if r["p_value"] > 0.05] == ["statusTransplant"],
         "summary(lmm6.2): only statusTransplant not significant: %r" % summ)
    cor = next((rows for sql, rows in results.items() if "cor_intercept_slope" in sql), [])
    t.ok(cor == [{"genotypes": 24, "cor_intercept_slope": -1.0}], "the genotypes' BLUPs correlate at -1: %r" % cor)
    vi = next((rows for sql, rows in results.items() if "lmm_anova('GLM, GLM.varIdent')" in sql), [])
    t.ok(len(vi) == 2 and vi[1]["df"] == 9 and abs(vi[1]["L_ratio"] - 0.2564508) < 1e-3
         and abs(vi[1]["p_value"] - 0.8796551) < 1e-4,
         "the GLM against the GLM with varIdent by status (nlme: df 9, L.Ratio 0.2564508, p 0.8796551): %r" % vi)
    boot = next((rows for sql, rows in results.items() if "test=bootstrap" in sql), None)
    t.ok(boot is not None and len(boot) == 2, "the bootstrap comparison of lmm6 and lmm6.2: %r" % boot)
    if boot and len(boot) == 2:
        b = boot[1]
        t.ok(abs(b["L_ratio"] - 13.111) < 1e-3 and abs(b["p_value"] - 0.010746) < 1e-5,
             "lmm6 vs lmm6.2: L_ratio %r, p %r (lme4's optimum: 13.111, 0.010746)" % (b["L_ratio"], b["p_value"]))
        # 1,000 responses simulated from lmm6 (seed 1): p_boot = (1 + #{LRT* > LRT}) / (1 + #{LRT* > 0}); the
        # boundary makes the chi-square conservative, so the bootstrap's p is the smaller one
        t.ok(b["p_boot"] is not None and 0 < b["p_boot"] < b["p_value"],
             "p_boot %r beside the chi-square's %r" % (b["p_boot"], b["p_value"]))
    ci = next((rows for sql, rows in results.items() if "lmm_confint('final', 'wald')" in sql), [])
    t.ok(len(ci) == 6 and all(r["lower"] < r["estimate"] < r["upper"] for r in ci),
         "the final model's fixed-effect intervals: %r" % ci)
    prof = next((rows for sql, rows in results.items() if "lmm_confint('final', 'profile')" in sql), [])
    t.ok(len(prof) == 7 and all(r["lower"] <= r["estimate"] <= r["upper"] for r in prof),
         "the final model's variance components' profile intervals: %r" % prof)
    f = next((rows for sql, rows in results.items() if sql.endswith("lmm_anova('final');")), [])
    t.ok([r["term"] for r in f] == ["(Intercept)", "factor(rack)", "factor(nutrient)", "amd", "status"]
         and all(r["den_df"] == 596 for r in f), "the final model's sequential F tests: %r" % f)
    db.close()
    shutil.rmtree(d)
