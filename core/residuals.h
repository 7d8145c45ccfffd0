/* residuals.h — what a fit says about each of its rows, as R's fitted(),
 * residuals(), hatvalues(), rstandard() and cooks.distance() give it.
 *
 *   fixed    = x'beta                     fitted = fixed + z'b
 *   response = y - fitted                 pearson = response / sigma
 *   normalized = pearson                  (without a residual structure; with one, model.c has
 *                                          lmm_structure_residuals give nlme's pearson and normalized)
 * and, for a fit without random effects (lm, gls), from h = diag(X (X'X)^-1 X'):
 *   std_resid = response / (sigma sqrt(1 - h))
 *   cooks     = response^2 h / (p sigma^2 (1 - h)^2)
 * where sigma is the one R reports for the fit's style (lmm_reported_sigma). */
#ifndef LMM_RESIDUALS_H
#define LMM_RESIDUALS_H

#include "ranef.h"

typedef struct lmm_residuals {
  size_t n;                         /* the design's rows */
  double *fixed, *fitted;
  double *response, *pearson, *normalized;
  double *hat, *std_resid, *cooks;  /* NULL for a fit with random effects */
} lmm_residuals;

/* Every row's values; r holds the conditional modes (NULL: no random
 * effects).  LMM_INTERRUPTED when stop (may be NULL) says stop. */
int lmm_residuals_compute(const lmm_design *d, const lmm_fit *f, const lmm_ranef *r, double sigma, lmm_stop *stop,
                          lmm_residuals **out, lmm_error *err);
void lmm_residuals_free(lmm_residuals *res);

/* fixed[r] = x_r'beta and full[r] = fixed[r] + z_r'b for every row of the design. */
/* LMM_OK, or LMM_INTERRUPTED when stop (may be NULL) says stop. */
int lmm_fitted(const lmm_design *d, const lmm_fit *f, const lmm_ranef *r, double *fixed, double *full, lmm_stop *stop);

/* Leverages of a fit without random effects: R's hatvalues(), from a QR of X. */
int lmm_hat(const lmm_design *d, double *hat, lmm_stop *stop, lmm_error *err);

#endif
