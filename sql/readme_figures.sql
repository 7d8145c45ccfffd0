-- The README's figures (docs/figures/), from the tutorial's data: `make figures` runs this in the sqlite3
-- shell.  Each file is what one SELECT returns.
.load build/lmm
.bail on
.headers off
.mode list
SELECT count(*) FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
                             NULL, 'method=ML, save=GLM');
SELECT count(*) FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status',
                             'factor(nutrient)|popu/gen', 'method=ML, save=lmm6.2');
SELECT count(*) FROM lmm_update('GLM', NULL, NULL, 'method=REML, save=GLM2');
SELECT count(*) FROM lmm_update('lmm6.2', NULL, NULL, 'method=REML, save=final');
.output docs/figures/qq.svg
SELECT lmm_plot('GLM, lmm6.2', 'qq', 'xlim=-3.5:3.5, ylim=-3.5:3.5, width=800, height=420');
.output docs/figures/ranef.svg
SELECT lmm_plot('lmm6.2', 'ranef', 'level=2, interval=0.95, width=720, height=560');
.output docs/figures/coef.svg
SELECT lmm_plot('GLM2, final', 'coef', 'width=720');
.output stdout
