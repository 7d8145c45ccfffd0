/* structure.h — nlme's residual structures: a variance function (option weights=, varfunc.h) and a
 * correlation structure (option correlation=, corstruct.h), read from nlme's calls as written, and the fit
 * under them.
 *
 * Within correlation group i the residuals have covariance sigma^2 Lambda_i, Lambda_i = S_i R_i S_i, S_i the
 * variance function's standard-deviation factors of the group's rows and R_i its correlation.  With
 * C_i C_i' = Lambda_i, the group's rows of [Z X y] multiplied by C_i^-1 (prewhitening) make an ordinary
 * model with independent errors of variance sigma^2; its ML or REML log-likelihood less 1/2 sum_i log|Lambda_i|
 * is the structured model's (the Jacobian of y -> C^-1 y; X'V^-1X is the whitened X'X, so REML's term is
 * the whitened fit's own).  A correlation group lies inside one level of every random-effects grouping, so the
 * whitened rows keep their levels and only Z's values change.
 *
 * The structure's parameters are optimized around the fit (fit.h's, by the profiled deviance over theta, or
 * ols.h's without random effects) run on the whitened rows: each evaluation whitens the rows held in memory
 * group by group (dense per group, never n x n) and fits.  The fit at the best parameters is the result, and
 * its rows report them as nlme's coef(<struct>, unconstrained = FALSE).
 */
#ifndef LMM_STRUCTURE_H
#define LMM_STRUCTURE_H

#include "fit.h"
#include "formula.h"

typedef struct lmm_structure lmm_structure;

/* Read the weights= and correlation= calls ("" or NULL for none; *out NULL when both are), and carry the
 * variables they read into the formula (lmm_formula_carry) so the frame reads them. */
int lmm_structure_parse(const char *weights, const char *correlation, lmm_formula *f, lmm_structure **out,
                        lmm_error *err);
/* The structure fitted over the design's rows: the strata, groups and positions read from the frame, the
 * rows whitened at each evaluation; *sys (NULL without random effects) and *fit the result at the best
 * parameters, the fit's struct rows set.  With opt->theta, the fit at theta and the held parameters
 * (lmm_structure_hold), nothing optimized.  df_method is the fixed effects' df method (inference.h): only those
 * that do not differentiate the criterion are taken. */
int lmm_structure_fit(lmm_structure *st, const lmm_design *d, int df_method, const lmm_fit_options *opt,
                      lmm_system **sys, lmm_fit **fit, lmm_error *err);
/* The criterion (-2 logLik, or REML's) of st bound to d's rows at theta (none without random effects) (T for Z in the data's
 * units, as lmm_fit.theta) and the structure's free parameters u (unconstrained, in the structure's order), by the
 * joint optimizer's two paths: from the one-pass sums (structure_sums.h; LMM_ERR where the structure has none) and
 * from the rows whitened.  What the tests compare; st is bound here, once. */
int lmm_structure_criterion(lmm_structure *st, const lmm_design *d, int reml, const double *theta, const double *u,
                            double *summed, double *whitened, lmm_error *err);
/* The parameters of the fit (unconstrained, as the optimizer has them; all of them, the fixed= ones too): what a
 * saved model keeps.  Their count; *u borrowed, NULL before a fit. */
int lmm_structure_params(const lmm_structure *st, const double **u);
/* At the parameters u (unconstrained, lmm_structure_params' order and count, of a bound structure), nlme's
 * coef(unconstrained = FALSE) of each into out (all at once: corARMA's map mixes them), and in fixed[k] whether
 * parameter k is held by fixed=; nonzero where a variance function is of the fitted values, which a fit at held
 * parameters settles again (so its likelihood at given parameters is not nlme's, whose fitted values stay).
 * lmm_structure_fit may be called again on a fitted structure (it binds it again). */
int lmm_structure_at(const lmm_structure *st, const double *u, double *out, int *fixed);
/* Parameters to evaluate at instead of optimizing (a saved fit): lmm_structure_fit with opt->theta set uses
 * them.  The count is checked against the structure's when it is bound to the rows. */
int lmm_structure_hold(lmm_structure *st, const double *u, int n, lmm_error *err);
/* nlme's residuals of the fitted structure from the response residuals: Pearson's divided by sigma and the
 * variance function's SD factor (resid(type = "pearson")), and those whitened by the correlation group by
 * group (resid(type = "normalized"), corcompsymm's as nlme's own factor). */
int lmm_structure_residuals(const lmm_structure *st, size_t n, const double *response, double sigma, double *pearson,
                            double *normalized, lmm_error *err);
/* Draws of the residuals over sigma at the structure's parameters (held or fitted): e = S L z, group by group, z
 * (n) iid in the rows' order, S the variance function's SD factors, L L' the group's correlation.  Allocates
 * (n times the largest group); LMM_NOMEM, LMM_NUMERIC. */
int lmm_structure_color(const lmm_structure *st, size_t n, const double *z, double *e, lmm_error *err);
/* The random-effects term whose grouping is the innermost (most grouping variables, then most levels): nlme's
 * default grouping of a correlation and of a variogram; -1 without random effects. */
int lmm_innermost_term(const lmm_design *d);
/* A variogram's default form from the structure (NULL: none): the correlation's grouping variable in *group (-1:
 * none given) and, for a spatial correlation, its covariates (formula variables, LMM_COR_MAX_DIM at most) in
 * vars, their count returned. */
int lmm_structure_form(const lmm_structure *st, int *vars, int *group);
/* The inner grouping variable of a nested correlation grouping (form = ~ t | a/b: b, and lmm_structure_form's
 * group a); -1 for none. */
int lmm_structure_inner_group(const lmm_structure *st);
void lmm_structure_free(lmm_structure *st);

#endif
