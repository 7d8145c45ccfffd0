/* profile.h — profile-likelihood intervals, as lme4's confint(m, method = "profile"): for each parameter (each
 * random-effects term's standard deviations and correlations, the residual sd, each fixed effect) the values
 * where zeta = sign(x - x^) sqrt(dev(x) - dev^) reaches -+ qnorm((1 + level) / 2), dev(x) the ML deviance
 * minimized over every other parameter (lme4 profiles the ML deviance of a REML fit too, from its ML refit).
 *
 * The variance parameters are lme4's "sigma scale" (its devfun2): standard deviations and correlations in the
 * data's units, and sigma, laid out as the tidy rows list them (lmm_sdcor below); the deviance at them is
 * log|L_Z|^2 + n log(2 pi sigma^2) + pwrss / sigma^2 at the theta they make (fit.h, lmm_fit_parts_at).  A fixed
 * effect held at b needs no refit with an offset: at each theta the penalized residual sum of squares with
 * beta_j = b is pwrss + (b - beta_j(theta))^2 / [(R_X'R_X)^-1]_jj, the other coefficients profiled exactly.
 * Each point of a profile is BOBYQA over the parameters not held, started from the last point's optimum; the
 * roots are found by secant steps on log sd, atanh r or b, then regula falsi once bracketed; a bound that
 * zeta does not reach before a standard deviation's 0 or a correlation's -+1 is that boundary, as lme4 reports
 * it. */
#ifndef LMM_PROFILE_H
#define LMM_PROFILE_H

#include "confint.h"

/* The variance parameters on lme4's sigma scale: for each random-effects term in the design's order its q
 * standard deviations, then its correlations (a, b), a < b, in that order; last sigma. */
int lmm_sdcor_count(const lmm_design *d);
int lmm_sdcor_is_cor(const lmm_design *d, int k);
/* The fit's values (sd and correlations from lmm_fit_term_sd, sigma as given). */
void lmm_sdcor_from_fit(const lmm_design *d, const lmm_fit *f, double sigma, double *sc);
/* theta (the map's layout, T for Z in the data's units) from them; nonzero where a term's correlations make no
 * covariance matrix (one positive semidefinite: a correlation of -+1 makes one). */
int lmm_sdcor_to_theta(const lmm_design *d, const lmm_theta_map *map, const double *sc, double *theta);
/* Parameter k's row in out (named as the tidy rows name it). */
int lmm_sdcor_add_row(const lmm_design *d, int k, double lower, double estimate, double upper, lmm_ci_rows *out);
/* "sd__(Intercept) of Subject" for messages; lmm_free it (NULL when out of memory). */
char *lmm_sdcor_name(const lmm_design *d, int k);

/* The profile intervals of an opened model (its system at hand): the fixed effects' rows, then the variance
 * parameters', the estimate column the model's own estimates.  LMM_ERR without random effects. */
int lmm_confint_profile(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err);

#endif
