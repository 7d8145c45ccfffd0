/* ranef.h — what a fit says about each group and each row.
 *
 * The conditional modes of the random effects (BLUPs) b = Λu, where u solves
 * the penalized least-squares problem at the optimum, with their conditional
 * standard deviations, the roots of the diagonal of sigma^2 Λ (L_Z L_Z')^-1 Λ'
 * (lme4's condVar), found before squaring in the data's units; and the fitted
 * values of the design's rows with and without the random effects.
 */
#ifndef LMM_RANEF_H
#define LMM_RANEF_H

#include "fit.h"

typedef struct lmm_ranef_term {
  int nlevels, q;
  double *b;     /* nlevels x q: b[l*q + a] */
  double *sd;    /* nlevels x q: sd[l*q + a], or NULL */
} lmm_ranef_term;

typedef struct lmm_ranef {
  int nre;
  lmm_ranef_term *term;   /* by design term */
} lmm_ranef;

/* The system must hold the factor at the fit's theta (as lmm_fit_run leaves it). */
int lmm_ranef_compute(const lmm_design *d, const lmm_system *s, const lmm_fit *f, int with_cov,
                      lmm_ranef **out, lmm_error *err);
void lmm_ranef_free(lmm_ranef *r);

/* fixed[r] = x_r'beta and full[r] = fixed[r] + z_r'b for every row of the design. */
void lmm_fitted(const lmm_design *d, const lmm_fit *f, const lmm_ranef *r, double *fixed, double *full);

/* Leverages of a fit without random effects: R's hatvalues(), from a QR of X. */
int lmm_hat(const lmm_design *d, double *hat, lmm_error *err);

#endif
