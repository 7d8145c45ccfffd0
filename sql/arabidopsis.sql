-- The Arabidopsis tutorial (poissonisfish, "Linear mixed-effect models in R"),
-- step by step in SQL.  `make demo` loads the data and runs this in the
-- sqlite3 shell.  The response is log(1 + total_fruits); gen, rack and
-- nutrient are numbers in the table and enter as factors through factor().
-- Every fit is saved (option save=NAME) into the table lmm_models, so the
-- comparisons below read the fits, not the data, and a report made today
-- can be rerun next year.
.load build/lmm
.headers on

-- 0. The data (R: str(dat), table(gen, popu), any(is.na(dat))): 625 plants; each genotype grows in one
--    population and each population in one region, so the groupings nest; nothing is missing.
SELECT count(*) AS plants, count(DISTINCT reg) AS regions, count(DISTINCT popu) AS populations,
       count(DISTINCT gen) AS genotypes,
       (SELECT count(*) FROM (SELECT gen FROM arabidopsis GROUP BY gen HAVING count(DISTINCT popu) > 1))
         AS genotypes_in_two_populations,
       (SELECT count(*) FROM (SELECT popu FROM arabidopsis GROUP BY popu HAVING count(DISTINCT reg) > 1))
         AS populations_in_two_regions,
       sum((reg IS NULL) + (popu IS NULL) + (gen IS NULL) + (rack IS NULL) + (nutrient IS NULL) + (amd IS NULL) +
           (status IS NULL) + (total_fruits IS NULL)) AS missing
FROM arabidopsis;

-- 1. The classic linear model (R: lm), and the same fixed effects by ML
--    without random effects (R: gls, method = "ML"), the null model GLM.
SELECT term, estimate, std_error, statistic, p_value
FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
             NULL, 'save=LM')
WHERE effect = 'fixed' OR term IN ('sigma', 'logLik');

SELECT count(*) AS saved FROM lmm_fit('arabidopsis',
  'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status', NULL, 'method=ML, save=GLM');

-- The GLM is "sufficient to tackle heterogeneous variance in the residuals" (R: gls(..., weights =
-- varIdent(form = ~ 1 | status), method = "ML")): one residual SD per status, their ratios to the first's
-- the rows varIdent__<status>, compared with the GLM as nlme's anova(GLM, GLM.varIdent), whose df counts them.
SELECT term, round(estimate, 4) AS estimate FROM lmm_fit('arabidopsis',
  'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status', NULL,
  'method=ML, weights=varIdent(form = ~ 1 | status), save=GLM.varIdent')
WHERE grp = 'Residual';
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value
FROM lmm_anova('GLM, GLM.varIdent');

-- The tutorial's "handy trick" for every pairwise interaction of the predictors, y ~ .*.: '.' is every
-- column of the data the formula does not otherwise use, so the data is a query of the response and the
-- predictors (rack and nutrient as text, R's factors; its rowid column is read as the rows' rowids).
SELECT term, round(estimate, 4) AS estimate, round(std_error, 4) AS std_error FROM lmm_fit(
  'SELECT rowid, total_fruits, CAST(rack AS TEXT) AS rack, CAST(nutrient AS TEXT) AS nutrient, amd, status
   FROM arabidopsis', 'log(1 + total_fruits) ~ .*.')
WHERE effect = 'fixed';

-- 2. Random intercepts, one grouping structure at a time (R: lme, method = "ML"):
--    lmm1 ... lmm7, each saved under its name.
WITH models(name, spec) AS (VALUES
  ('lmm1', '1|reg'), ('lmm2', '1|popu'), ('lmm3', '1|gen'), ('lmm4', '1|reg/popu'),
  ('lmm5', '1|reg/gen'), ('lmm6', '1|popu/gen'), ('lmm7', '1|reg/popu/gen'))
SELECT name, count(*) AS rows
FROM models, lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
                     models.spec, 'method=ML, save=' || models.name)
GROUP BY name ORDER BY name;

-- 3. Likelihood-ratio tests, as nlme's anova(GLM, lmm1, ..., lmm7).
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value
FROM lmm_anova('GLM, lmm1, lmm2, lmm3, lmm4, lmm5, lmm6, lmm7');

-- 4. Random slopes for nutrient (lmm6.2, lmm7.2), as the tutorial makes them:
--    update(lmm6, .~., random = ~nutrient|popu/gen), the formula and method kept.  nlme stops short of the
--    optimum here (its logLik is -1018.914 and -1018.454); lmm_fit reaches the
--    optimum lme4 finds (-1018.735 and -1018.263), where the correlations sit
--    at their bounds (the fits are singular).  So the likelihood-ratio
--    statistics below are larger than the tutorial's (13.11 against 12.75 for
--    lmm6 vs lmm6.2, 12.17 against 11.82 for lmm7 vs lmm7.2 ...): they follow
--    from the better likelihoods, and the conclusions stand.
SELECT count(*) AS saved FROM lmm_update('lmm6', '. ~ .', 'factor(nutrient)|popu/gen', 'save=lmm6.2');
SELECT count(*) AS saved FROM lmm_update('lmm7', '. ~ .', 'factor(nutrient)|reg/popu/gen', 'save=lmm7.2');
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value
FROM lmm_anova('lmm6, lmm6.2, lmm7, lmm7.2');
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value
FROM lmm_anova('lmm6.2, lmm7.2');
-- The random slopes' test puts their variance and correlation on the boundary of their range, where the
-- chi-square p-value is conservative: the parametric bootstrap's p (pbkrtest's PBmodcomp: 1,000 responses
-- simulated from lmm6, both models refitted to each) beside it, in p_boot.
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value, p_boot
FROM lmm_anova('lmm6, lmm6.2', 'test=bootstrap, nsim=1000, seed=1');

-- The variance components of lmm6.2: note the correlations at -1 and 1.
SELECT grp, term, round(estimate, 4) AS estimate FROM lmm_tidy('lmm6.2') WHERE effect = 'ran_pars';

-- summary(lmm6.2)'s fixed effects, t tests on nlme's df: every effect is significant but statusTransplant.
SELECT term, round(estimate, 4) AS estimate, round(std_error, 4) AS std_error, round(statistic, 3) AS t, df,
       round(p_value, 4) AS p_value
FROM lmm_tidy('lmm6.2') WHERE effect = 'fixed';

-- The correlation of the genotypes' random intercepts and slopes (R: cor(ranef(lmm6.2, level = 2))).  The
-- tutorial's -0.61 is of nlme's fit, which stops short; at the optimum their correlation parameter is -1, and
-- so is the correlation of their 24 BLUPs.
WITH b AS (SELECT level, max(CASE WHEN term = '(Intercept)' THEN estimate END) AS a,
                         max(CASE WHEN term = 'factor(nutrient)8' THEN estimate END) AS s
           FROM lmm_ranef('lmm6.2') WHERE grp = 'popu:gen' GROUP BY level)
SELECT count(*) AS genotypes,
       round((avg(a * s) - avg(a) * avg(s)) / sqrt((avg(a * a) - avg(a) * avg(a)) * (avg(s * s) - avg(s) * avg(s))), 3)
         AS cor_intercept_slope
FROM b;

-- 5. The random effects of genotype within population (plot(ranef(lmm6.2, level = 2))):
--    the most extreme intercepts, with their conditional standard deviations.
SELECT level, term, round(estimate, 4) AS estimate, round(cond_sd, 4) AS cond_sd
FROM lmm_ranef('lmm6.2') WHERE grp = 'popu:gen' AND term = '(Intercept)'
ORDER BY estimate LIMIT 5;

-- 6. Normalized residuals of the GLM and of lmm6.2 (the tutorial's QQ plots),
--    summarized by their spread: the random effects shrink the tails.
SELECT 'GLM' AS model, round(min(normalized), 3) AS min, round(avg(normalized * normalized), 3) AS mean_square,
       round(max(normalized), 3) AS max FROM lmm_augment('GLM')
UNION ALL
SELECT 'lmm6.2', round(min(normalized), 3), round(avg(normalized * normalized), 3), round(max(normalized), 3)
FROM lmm_augment('lmm6.2');

-- 7. The interaction nutrient:amd added to lmm6.2 (lmm8 <- update(lmm6.2, .~. + nutrient:amd)): not significant.
SELECT term, estimate, std_error, statistic, df, p_value
FROM lmm_update('lmm6.2', '. ~ . + factor(nutrient):amd', NULL, 'save=lmm8')
WHERE effect = 'fixed';
SELECT model, df, round(AIC, 2) AS AIC, round(BIC, 2) AS BIC, round(logLik, 3) AS logLik, test, round(L_ratio, 3) AS L_ratio, p_value
FROM lmm_anova('lmm8, lmm6.2');

-- 8. The final model by REML (finalModel <- update(lmm6.2, .~., method = "REML")) against the REML fit
--    without random effects (GLM2 <- update(GLM, .~., method = "REML")): coefficients and standard errors
--    side by side.  The options given replace the saved ones key by key.
SELECT count(*) AS saved FROM lmm_update('GLM', NULL, NULL, 'method=REML, save=GLM2');
SELECT count(*) AS saved FROM lmm_update('lmm6.2', NULL, NULL, 'method=REML, save=final');
SELECT g.term, round(g.estimate, 4) AS glm_estimate, round(g.std_error, 4) AS glm_se,
       round(m.estimate, 4) AS lmm_estimate, round(m.std_error, 4) AS lmm_se, m.df
FROM lmm_tidy('GLM2') AS g JOIN lmm_tidy('final') AS m USING (term)
WHERE g.effect = 'fixed' AND m.effect = 'fixed';

-- The fixed-effect correlations of the final model (nlme's summary).
SELECT term1, term2, round(correlation, 3) AS correlation FROM lmm_vcov('final') WHERE term1 < term2;

-- The final model's 95 % confidence intervals: the fixed effects by t on nlme's df (nlme's
-- intervals(finalModel, which = "fixed")); the variance components from the profile likelihood (lme4's
-- confint(method = "profile")), since with its correlations at -1 and 1 nlme's approximate covariance of them
-- does not exist and intervals(finalModel) refuses.
SELECT effect, grp, term, round(lower, 4) AS lower, round(estimate, 4) AS estimate, round(upper, 4) AS upper
FROM lmm_confint('final', 'wald');
SELECT effect, grp, term, round(lower, 4) AS lower, round(estimate, 4) AS estimate, round(upper, 4) AS upper
FROM lmm_confint('final', 'profile') WHERE effect = 'ran_pars';

-- The fixed effects' F tests (nlme's anova(finalModel)), sequential and marginal.
SELECT term, type, num_df, den_df, round(statistic, 3) AS F, p_value FROM lmm_anova('final');
SELECT term, type, num_df, den_df, round(statistic, 3) AS F, p_value FROM lmm_anova('final', 'type=marginal');

-- 9. One random-intercept model per region, in one statement (lmm_agg).
SELECT g.reg, t.term, round(t.estimate, 4) AS estimate
FROM (SELECT reg, lmm_agg('log(1 + total_fruits) ~ factor(nutrient) + amd', '1|popu', 'method=ML',
                          'total_fruits', total_fruits, 'nutrient', nutrient, 'amd', amd, 'popu', popu) AS fit
      FROM arabidopsis GROUP BY reg) AS g, lmm_tidy(g.fit) AS t
WHERE t.effect <> 'fit';

-- 10. What is saved, readable with plain SQL and SQLite's JSON functions: an update saves the call it made.
SELECT name, formula, random, options, json_extract(fit, '$.method') AS method, created, version FROM lmm_models ORDER BY name;
