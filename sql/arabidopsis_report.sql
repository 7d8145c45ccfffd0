-- The Arabidopsis tutorial as one HTML page, build/arabidopsis.html: each step's SQL, its table and its
-- figures, in the tutorial's order, made by SQL alone in the sqlite3 shell (`make demo` runs it after
-- loading the data).  The steps are rows of a table; one query writes them out as a script of the shell
-- (each statement's text, escaped for HTML, then the statement itself: its rows as an HTML table, or the
-- SVG it returns), and the shell reads that script with its output going to the page.  Nothing in the page
-- depends on the time or the machine (no `created`, no version), so a second run gives the same bytes.
.load build/lmm
.bail on
.headers off
.mode list
CREATE TEMP TABLE report(kind TEXT, body TEXT);   -- kind: h (heading), p (text), q (a query: its rows), f (a figure)
INSERT INTO report VALUES
('h', '1. The data'),
('p', '625 plants, 8 variables (lme4''s Arabidopsis). The absolute frequencies of the factors, and the distribution of ' ||
      'the total fruit set per plant: right-skewed, hence the log-transformation log(1 + total_fruits).'),
('q', 'SELECT count(*) AS plants, count(DISTINCT reg) AS regions, count(DISTINCT popu) AS populations,
       count(DISTINCT gen) AS genotypes FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(reg, 1, ''title=Region'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(popu, 1, ''title=Population'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(gen, 1, ''title=Genotype'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(rack, 1, ''title=Rack'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(nutrient, 1, ''title=Nutrient'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(amd, 1, ''title=AMD'') FROM arabidopsis;'),
('f', 'SELECT lmm_barplot(status, 1, ''title=Status'') FROM arabidopsis;'),
('f', 'SELECT lmm_histogram(total_fruits, ''title=Total fruits'') FROM arabidopsis;'),
('f', 'SELECT lmm_histogram(ln(1 + total_fruits), ''title=log(1 + total fruits)'') FROM arabidopsis;'),

('h', '2. The classic linear model and its diagnostics'),
('p', 'R: LM <- lm(total.fruits ~ rack + nutrient + amd + status); plot(LM). The residuals poorly qualify as normally ' ||
      'distributed; no point has a large leverage, so no Cook''s distance contour reaches the points.'),
('q', 'SELECT term, estimate, std_error, statistic, p_value
FROM lmm_fit(''arabidopsis'', ''log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status'', NULL, ''save=LM'')
WHERE effect = ''fixed'';'),
('f', 'SELECT lmm_plot(''LM'', ''diagnostics'', ''width=800, height=640'');'),

('h', '3. The null model and random intercepts'),
('p', 'The same fixed effects by ML without random effects (R: gls, the GLM), then one grouping structure at a time ' ||
      '(R: lme, method = "ML"), compared by likelihood-ratio tests and information criteria.'),
('q', 'SELECT count(*) AS saved FROM lmm_fit(''arabidopsis'',
  ''log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status'', NULL, ''method=ML, save=GLM'');'),
('p', 'The GLM is "sufficient to tackle heterogeneous variance in the residuals": gls(..., weights = ' ||
      'varIdent(form = ~ 1 | status), method = "ML") gives one residual SD per status (the rows varIdent__<status>, ' ||
      'ratios to the first), compared with the GLM as nlme''s anova(GLM, GLM.varIdent).'),
('q', 'SELECT grp, term, estimate FROM lmm_fit(''arabidopsis'',
  ''log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status'', NULL,
  ''method=ML, weights=varIdent(form = ~ 1 | status), save=GLM.varIdent'') WHERE grp = ''Residual'';'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(''GLM, GLM.varIdent'');'),
('q', 'WITH models(name, spec) AS (VALUES
  (''lmm1'', ''1|reg''), (''lmm2'', ''1|popu''), (''lmm3'', ''1|gen''), (''lmm4'', ''1|reg/popu''),
  (''lmm5'', ''1|reg/gen''), (''lmm6'', ''1|popu/gen''), (''lmm7'', ''1|reg/popu/gen''))
SELECT name, count(*) AS rows
FROM models, lmm_fit(''arabidopsis'', ''log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status'',
                     models.spec, ''method=ML, save='' || models.name)
GROUP BY name ORDER BY name;'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(''GLM, lmm1, lmm2, lmm3, lmm4, lmm5, lmm6, lmm7'');'),
('f', 'SELECT lmm_plot(''GLM, lmm1, lmm2, lmm3, lmm4, lmm5, lmm6, lmm7'', ''ic'', ''width=800, height=320'');'),

('h', '4. Random slopes for nutrient'),
('p', 'lmm6.2 and lmm7.2: update(lmm6, .~., random = ~nutrient|popu/gen). lmm_fit reaches the optimum lme4 finds ' ||
      '(nlme stops short), so the likelihood-ratio statistics are a little larger than the tutorial''s.'),
('q', 'SELECT count(*) AS saved FROM lmm_update(''lmm6'', ''. ~ .'', ''factor(nutrient)|popu/gen'', ''save=lmm6.2'');'),
('q', 'SELECT count(*) AS saved FROM lmm_update(''lmm7'', ''. ~ .'', ''factor(nutrient)|reg/popu/gen'', ''save=lmm7.2'');'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(''lmm6, lmm6.2, lmm7, lmm7.2'');'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(''lmm6.2, lmm7.2'');'),
('p', 'The random slopes'' variance and correlation sit on the boundary of their range, where the chi-square p is ' ||
      'conservative: pbkrtest''s parametric-bootstrap test (PBmodcomp: 1,000 responses simulated from lmm6, both ' ||
      'models refitted to each) gives p_boot beside it.'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value, p_boot FROM lmm_anova(''lmm6, lmm6.2'', ''test=bootstrap, nsim=1000, seed=1'');'),

('h', '5. The random effects of genotype within population'),
('p', 'plot(ranef(lmm6.2, level = 2)), with bars of 95% conditional intervals: the intercepts (left) and the ' ||
      'slopes for nutrient (right), levels sorted by their intercept.'),
('q', 'SELECT level, term, estimate, cond_sd FROM lmm_ranef(''lmm6.2'')
WHERE grp = ''popu:gen'' AND term = ''(Intercept)'' ORDER BY estimate LIMIT 5;'),
('f', 'SELECT lmm_plot(''lmm6.2'', ''ranef'', ''level=2, interval=0.95, width=720, height=560'');'),

('h', '6. Normalized residuals, drawn to the same scale'),
('p', 'qqnorm(resid(GLM, type = "normalized"), xlim = lims, ylim = lims) and the same for lmm6.2, with the line ' ||
      'y = x: the random effects shrink the tails.'),
('q', 'SELECT ''GLM'' AS model, min(normalized) AS min, avg(normalized * normalized) AS mean_square,
       max(normalized) AS max FROM lmm_augment(''GLM'')
UNION ALL
SELECT ''lmm6.2'', min(normalized), avg(normalized * normalized), max(normalized) FROM lmm_augment(''lmm6.2'');'),
('f', 'SELECT lmm_plot(''GLM, lmm6.2'', ''qq'', ''xlim=-3.5:3.5, ylim=-3.5:3.5, width=800, height=420'');'),

('h', '7. An interaction of nutrient and amd'),
('p', 'lmm8 <- update(lmm6.2, .~. + nutrient:amd): not significant.'),
('q', 'SELECT term, estimate, std_error, statistic, df, p_value
FROM lmm_update(''lmm6.2'', ''. ~ . + factor(nutrient):amd'', NULL, ''save=lmm8'')
WHERE effect = ''fixed'';'),
('q', 'SELECT model, df, AIC, BIC, logLik, test, L_ratio, p_value FROM lmm_anova(''lmm8, lmm6.2'');'),

('h', '8. The final model by REML against the GLM'),
('p', 'finalModel <- update(lmm6.2, .~., method = "REML") and GLM2 <- update(GLM, .~., method = "REML"): the ' ||
      'coefficients with one standard error on each side.'),
('q', 'SELECT count(*) AS saved FROM lmm_update(''GLM'', NULL, NULL, ''method=REML, save=GLM2'');'),
('q', 'SELECT count(*) AS saved FROM lmm_update(''lmm6.2'', NULL, NULL, ''method=REML, save=final'');'),
('q', 'SELECT g.term, g.estimate AS glm_estimate, g.std_error AS glm_se, m.estimate AS lmm_estimate,
       m.std_error AS lmm_se, m.df
FROM lmm_tidy(''GLM2'') AS g JOIN lmm_tidy(''final'') AS m USING (term)
WHERE g.effect = ''fixed'' AND m.effect = ''fixed'';'),
('f', 'SELECT lmm_plot(''GLM2, final'', ''coef'', ''width=720'');'),
('p', 'The residuals of the final model against its fitted values: still much like the first panel of the linear ' ||
      'model''s diagnostics.'),
('f', 'SELECT lmm_plot(''final'', ''resid_fitted'');'),
('p', 'The final model''s 95% confidence intervals: the fixed effects by t on nlme''s df (intervals(finalModel, ' ||
      'which = "fixed")), the variance components from the profile likelihood (lme4''s confint(method = "profile")): ' ||
      'with its correlations at -1 and 1, nlme''s approximate covariance of them does not exist. Then the fixed ' ||
      'effects'' F tests, nlme''s anova(finalModel).'),
('q', 'SELECT effect, term, lower, estimate, upper FROM lmm_confint(''final'', ''wald'');'),
('q', 'SELECT grp, term, lower, estimate, upper FROM lmm_confint(''final'', ''profile'') WHERE effect = ''ran_pars'';'),
('q', 'SELECT term, num_df, den_df, statistic AS F, p_value FROM lmm_anova(''final'');');

-- The page: the steps as a script of the shell, read back with the output going to the page.
.output build/arabidopsis_report.tmp.sql
WITH r AS (SELECT rowid AS i, kind, body,
                  replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') AS esc FROM report)
SELECT CASE kind
  WHEN 'h' THEN 'SELECT ' || quote('<h2>' || esc || '</h2>') || ';'
  WHEN 'p' THEN 'SELECT ' || quote('<p>' || esc || '</p>') || ';'
  WHEN 'q' THEN 'SELECT ' || quote('<pre class="sql">' || esc || '</pre>') || ';' || char(10) ||
                'SELECT ''<table>'';' || char(10) || '.mode html' || char(10) || '.headers on' || char(10) || body ||
                char(10) || '.headers off' || char(10) || '.mode list' || char(10) || 'SELECT ''</table>'';'
  ELSE 'SELECT ' || quote('<pre class="sql">' || esc || '</pre>') || ';' || char(10) ||
       'SELECT ''<figure class="figure">'';' || char(10) || body || char(10) || 'SELECT ''</figure>'';'
  END
FROM r ORDER BY i;
.output build/arabidopsis.html
SELECT '<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Linear mixed-effect models in SQL: the Arabidopsis tutorial</title>
<style>
body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
pre.sql{background:#f4f4f4;padding:0.6em;overflow-x:auto}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}
figure.figure{margin:0.5em 0 1.5em}
figure.figure svg{max-width:100%;height:auto;border:1px solid #eee}
</style>
</head>
<body>
<h1>Linear mixed-effect models in SQL: the Arabidopsis tutorial</h1>
<p>The poissonisfish tutorial, every step by SQL through the lmm extension for SQLite: the statement, what it
returns, and its figure (lmm_plot, lmm_histogram, lmm_barplot).</p>';
.read build/arabidopsis_report.tmp.sql
SELECT '</body>
</html>';
.output stdout
.shell rm -f build/arabidopsis_report.tmp.sql
