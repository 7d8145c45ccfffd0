-- The Arabidopsis tutorial (poissonisfish, "Linear mixed-effect models in R"),
-- step by step in SQL.  Run with `make demo`, which loads the data first.
-- The response is log(1 + total_fruits); gen, rack and nutrient are numbers
-- in the table and enter as factors through factor().
.load build/lmm
.headers on

-- 1. The classic linear model (R: lm): sigma on n - p.
SELECT term, estimate, std_error, statistic, p_value
FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status')
WHERE effect = 'fixed' OR term IN ('sigma', 'logLik');

-- 2. The same fixed effects by ML, without random effects (R: gls, method = "ML"),
--    the null model for the comparisons below.
SELECT term, estimate FROM lmm_fit('arabidopsis',
  'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status', NULL, 'method=ML')
WHERE effect = 'fit' AND term IN ('logLik', 'AIC', 'BIC', 'df');

-- 3. Random intercepts, one grouping structure at a time (R: lme, method = "ML"),
--    the models lmm1 ... lmm7 of the tutorial, side by side.
WITH models(name, spec) AS (VALUES
  ('lmm1', '1|reg'), ('lmm2', '1|popu'), ('lmm3', '1|gen'), ('lmm4', '1|reg/popu'),
  ('lmm5', '1|reg/gen'), ('lmm6', '1|popu/gen'), ('lmm7', '1|reg/popu/gen'))
SELECT name, spec AS random,
       max(CASE WHEN f.term = 'df' THEN f.estimate END) AS df,
       round(max(CASE WHEN f.term = 'AIC' THEN f.estimate END), 3) AS AIC,
       round(max(CASE WHEN f.term = 'BIC' THEN f.estimate END), 3) AS BIC,
       round(max(CASE WHEN f.term = 'logLik' THEN f.estimate END), 4) AS logLik
FROM models, lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
                     models.spec, 'method=ML') AS f
WHERE f.effect = 'fit'
GROUP BY name ORDER BY name;

-- 4. Random slopes for nutrient (lmm6.2 and lmm7.2).  nlme stops short of the
--    optimum here (its logLik is -1018.914 and -1018.454); lmm_fit reaches the
--    optimum lme4 finds (-1018.735 and -1018.263), where the correlations sit at
--    their bounds: the fit is singular, as it says.
SELECT grp, term, round(estimate, 4) AS estimate FROM lmm_fit('arabidopsis',
  'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
  'factor(nutrient)|popu/gen', 'method=ML')
WHERE effect = 'ran_pars' OR term IN ('logLik', 'AIC', 'BIC', 'singular');

-- 5. The interaction nutrient:amd added to lmm6.2 (lmm8): not significant.
SELECT term, estimate, std_error, statistic, df, p_value FROM lmm_fit('arabidopsis',
  'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + factor(nutrient):amd',
  'factor(nutrient)|popu/gen', 'method=ML')
WHERE effect = 'fixed' OR term = 'logLik';

-- 6. The final model by REML, against the REML fit without random effects
--    (GLM2): coefficients and standard errors side by side.
SELECT g.term, round(g.estimate, 4) AS glm_estimate, round(g.std_error, 4) AS glm_se,
       round(m.estimate, 4) AS lmm_estimate, round(m.std_error, 4) AS lmm_se, m.df
FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
             NULL, 'method=REML') AS g
JOIN lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
             'factor(nutrient)|popu/gen', 'method=REML') AS m USING (term)
WHERE g.effect = 'fixed' AND m.effect = 'fixed';
