"""The parametric bootstrap of models with a residual structure (weights=, correlation=): lmm_bootstrap simulates
y = X beta + Z b + sigma S L z (the variance function's SD factors S, the correlation's factor L group by group)
and refits the structure's parameters with the rest; lmm_anova's test=bootstrap compares structured models.

No R package bootstraps nlme's structures, so the checks are of the simulation's moments, with a seed:
- the mean of 400 refits' corAR1 Phi within 0.03 of the fit's (a simulation without the correlation gives 0),
  its fixed effects' means within 3 Monte Carlo standard errors of the estimates, their bootstrap sds within 15 %
  of nlme's standard errors (an sd over 400 refits has a sampling error of 3.5 %), sigma's mean within 5 %;
- varIdent's ratio likewise for a gls (ML, whose ratio has little bias at n = 108);
- the same numbers bit for bit on one thread and on two;
- the bootstrap LRT's p within 3 Monte Carlo standard errors, 3 sqrt(p (1 - p) / n), of the chi-square p where
  the asymptotics hold (a fixed effect of Ovary's 308 rows under corAR1, and varExp added to it), the statistic the
  table's L_ratio;
- lmm_confint's 'boot' intervals of a structured model: percentiles of the same replicates.
The lag-1 correlation and variances of the simulated residuals themselves are the unit test's
(tests/unit/test_bootstrap.c, test_bootstrap_structured_draws)."""
import math

from harness import fit

OV = "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"


def replicates(db, name, options):
    return db.execute("SELECT replicate, effect, grp, term, estimate FROM lmm_bootstrap(?, ?)", (name, options)).fetchall()


def by_term(rows):
    out = {}
    for _, _, _, term, est in rows:
        out.setdefault(term, []).append(est)
    return out


def mean_sd(xs):
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def tidy(db, name):
    return {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT term, estimate, std_error FROM lmm_tidy(?) WHERE effect IN ('fixed', 'ran_pars')", (name,))}


def moments(t, db):
    nsim = 400
    fit(db, "ovary", OV, "1|Mare", "correlation=corAR1(form = ~ 1 | Mare), save=bs_ar1")
    rows = replicates(db, "bs_ar1", "nsim=%d, seed=1" % nsim)
    est = tidy(db, "bs_ar1")
    reps = by_term(rows)
    t.ok(list(reps) == list(est), "lmm_bootstrap's terms are lmm_tidy's: %r" % list(reps))
    t.ok(all(len(v) == nsim and None not in v for v in reps.values()), "every refit gives every parameter")
    phi, _ = mean_sd(reps["corAR1__Phi"])
    t.ok(abs(phi - est["corAR1__Phi"][0]) < 0.03, "mean refit Phi %.4f, fit's %.4f" % (phi, est["corAR1__Phi"][0]))
    for term in ("(Intercept)", "sin(2 * pi * Time)", "cos(2 * pi * Time)"):
        m, sd = mean_sd(reps[term])
        b, se = est[term]
        t.ok(abs(m - b) < 3 * sd / math.sqrt(nsim), "%s: mean of refits %.4f, estimate %.4f (MC se %.4f)" % (
            term, m, b, sd / math.sqrt(nsim)))
        t.ok(abs(sd / se - 1) < 0.15, "%s: bootstrap sd %.4f, nlme's se %.4f" % (term, sd, se))
    s, _ = mean_sd(reps["sd__Observation"])
    t.ok(abs(s / est["sd__Observation"][0] - 1) < 0.05, "sigma: mean of refits %.4f, fit's %.4f" % (
        s, est["sd__Observation"][0]))
    # threads do not change a replicate
    one = replicates(db, "bs_ar1", "nsim=12, seed=7, threads=1")
    t.ok(one == replicates(db, "bs_ar1", "nsim=12, seed=7, threads=2"), "the same replicates on one thread and two")
    t.ok(one != replicates(db, "bs_ar1", "nsim=12, seed=8, threads=1"), "another seed, other replicates")
    # lmm_confint's boot: percentiles of these replicates
    ci = {r[0]: r[1:] for r in db.execute("SELECT term, lower, estimate, upper FROM lmm_confint('bs_ar1', 'boot', "
                                          "'nsim=400, seed=1')")}
    lo, e, hi = ci["corAR1__Phi"]
    xs = sorted(reps["corAR1__Phi"])
    t.ok(xs[0] <= lo < e < hi <= xs[-1] and abs(e - est["corAR1__Phi"][0]) < 1e-12,
         "boot interval of Phi (%r, %r, %r) within its replicates" % (lo, e, hi))
    # a gls with varIdent: the ratio's refits centre on it
    fit(db, "orthodont_chr", "distance ~ age * Sex", None, "method=ML, weights=varIdent(form = ~ 1 | Sex), save=bs_vi")
    reps = by_term(replicates(db, "bs_vi", "nsim=%d, seed=1" % nsim))
    ratio = tidy(db, "bs_vi")["varIdent__Female"][0]
    m, sd = mean_sd(reps["varIdent__Female"])
    t.ok(abs(m / ratio - 1) < 0.05, "varIdent ratio: mean of refits %.4f, fit's %.4f (sd %.4f)" % (m, ratio, sd))


def lrt(t, db):
    nsim = 400
    fits = [("bs_a4", "follicles ~ sin(2*pi*Time)", "method=ML, correlation=corAR1(form = ~ 1 | Mare)"),
            ("bs_a1", OV, "method=ML, correlation=corAR1(form = ~ 1 | Mare)"),
            ("bs_a2", OV, "method=ML, weights=varExp(form = ~ Time), correlation=corAR1(form = ~ 1 | Mare)")]
    for name, formula, opts in fits:
        fit(db, "ovary", formula, "1|Mare", opts + ", save=" + name)
    for pair in ("bs_a4, bs_a1", "bs_a1, bs_a2"):
        rows = db.execute("SELECT model, L_ratio, p_value, p_boot FROM lmm_anova(?, ?)",
                          (pair, "test=bootstrap, nsim=%d, seed=1" % nsim)).fetchall()
        plain = db.execute("SELECT model, L_ratio, p_value FROM lmm_anova(?)", (pair,)).fetchall()
        _, stat, p, p_boot = rows[1]
        t.ok(plain[1] == rows[1][:3], "%s: the bootstrap keeps the table's LRT and chi-square p" % pair)
        t.ok(p_boot is not None and abs(p_boot - p) < 3 * math.sqrt(p * (1 - p) / nsim),
             "%s: p_boot %r, chi-square p %r (LRT %.4f)" % (pair, p_boot, p, stat))


def run(t, db):
    moments(t, db)
    lrt(t, db)
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'bs\\_%' ESCAPE '\\'")
    db.commit()
