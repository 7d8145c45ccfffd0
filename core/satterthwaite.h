/* satterthwaite.h — Satterthwaite's denominator df for contrasts of the fixed
 * effects, as lmerTest computes them (Kuznetsova et al. 2017).
 *
 * The variance parameters are lmerTest's varpar: theta (T for Z in the data's
 * units, theta.h's order) and sigma.  V(varpar) = sigma^2 (R_X' R_X)^-1 is
 * the fixed effects' covariance with theta moved and beta re-estimated; at
 * the fit it is the fit's vcov.  A = 2 H^+ is the asymptotic covariance of
 * varpar, H the Hessian of the (not profiled) deviance -2 log L(theta, sigma)
 * of the criterion fitted (ML or REML) and H^+ its inverse on the eigenvalues
 * above 1e-8 (lmerTest's rule, which drops a variance parameter on the
 * boundary where the deviance is flat in it).  For a contrast l,
 *
 *   df = 2 (l' V l)^2 / (g' A g),   g_i = l' (dV / d varpar_i) l.
 *
 * The derivatives in theta are central differences of the factor at
 * neighbouring thetas (2k + k(k-1) factorizations for k theta parameters,
 * and one more to leave the system factored at the fit's theta again, as the
 * fit left it); those in sigma are exact.
 */
#ifndef LMM_SATTERTHWAITE_H
#define LMM_SATTERTHWAITE_H

#include "fit.h"

typedef struct lmm_satterthwaite {
  int p;          /* fixed effects */
  int k;          /* variance parameters: ntheta, then sigma */
  double *A;      /* k x k, column-major */
  double *J;      /* k matrices p x p, column-major: dV / d varpar_i in the data's units */
  const double *V;   /* the fit's vcov, borrowed */
  double *g;      /* k: lmm_satterthwaite_df's scratch */
} lmm_satterthwaite;

/* A and J at the fit f of sys, which is factored at f's theta (both left as they were, the factor included).
 * LMM_NUMERIC where the system is not positive definite at a neighbouring
 * theta (the system is factored at the fit's theta again all the same),
 * LMM_INTERRUPTED, LMM_NOMEM. */
int lmm_satterthwaite_new(lmm_system *sys, const lmm_fit *f, lmm_stop *stop, lmm_satterthwaite **out, lmm_error *err);
void lmm_satterthwaite_free(lmm_satterthwaite *s);

/* The df of contrast l (p); +inf where g' A g is 0 (no variance parameter
 * moves l' V l), NAN where l' V l is not a number. */
double lmm_satterthwaite_df(lmm_satterthwaite *s, const double *l);

/* The F test of L beta = 0 (L q x p, column-major) as lmerTest's contestMD: F over the directions of
 * L V L' whose eigenvalues exceed sqrt(DBL_EPSILON) of the largest (ndf of them), each direction a t test
 * on its Satterthwaite df nu_m, and the F's denominator df 2E / (E - ndf), E = sum nu_m / (nu_m - 2) (2
 * where some nu_m <= 2, their mean where all agree to 1e-8).  ndf 0 and NAN elsewhere when L V L' is 0. */
typedef struct lmm_ftest { double F; int ndf; double ddf, p_value; } lmm_ftest;
/* W = L V L' (q x q, column-major) of L (q x p) and V (p x p), in O(q p^2 + q^2 p); LMM_NOMEM or LMM_OK. */
int lmm_contrast_cov(int p, const double *V, const double *L, int q, double *W);
int lmm_satterthwaite_ftest(lmm_satterthwaite *s, const double *beta, const double *L, int q, lmm_ftest *out,
                            lmm_error *err);

#endif
