/* ranef.h — what a fit says about each group.
 *
 * The conditional modes of the random effects (BLUPs) b = Λu, where u solves
 * the penalized least-squares problem at the optimum, with their conditional
 * standard deviations, the roots of the diagonal of sigma^2 Λ (L_Z L_Z')^-1 Λ'
 * (lme4's condVar), found before squaring in the data's units.  What the
 * fit says about each row is residuals.h.
 */
#ifndef LMM_RANEF_H
#define LMM_RANEF_H

#include "fit.h"

typedef struct lmm_ranef_term {
  const char *grp;   /* lme4's name of the group, "g" for each of (x||g)'s terms (the tidy rows'
                        grp tells them apart, "g.1"); the formula's, which must outlive it */
  int nlevels, q;
  double *b;     /* nlevels x q: b[l*q + a] */
  double *sd;    /* nlevels x q: sd[l*q + a], or NULL */
} lmm_ranef_term;

typedef struct lmm_ranef {
  int nre;
  lmm_ranef_term *term;   /* by design term */
} lmm_ranef;

/* The system must hold the factor at the fit's theta (as lmm_fit_run leaves it). */
int lmm_ranef_compute(const lmm_design *d, const lmm_system *s, const lmm_fit *f, int with_cov, lmm_stop *stop,
                      lmm_ranef **out, lmm_error *err);
void lmm_ranef_free(lmm_ranef *r);

#endif
