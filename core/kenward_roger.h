/* kenward_roger.h — Kenward and Roger's (1997) adjusted covariance of the
 * fixed effects and their denominator df, as pbkrtest computes them
 * (vcovAdj, KRmodcomp) and lmerTest reports them (summary with
 * ddf = "Kenward-Roger": the t tests' df and standard errors from the
 * adjusted covariance).
 *
 * The variance parameters are pbkrtest's gamma: the elements of each
 * random-effects term's covariance (the lower triangle of sigma^2 T T', in
 * theta's order) and the residual variance, so V = sum gamma_i G_i is linear
 * in them (G_i = Z D_i Z', D_i the term's (a, b) and (b, a) entries in every
 * level; G = I for the residual) and the second derivatives KR's adjustment
 * would add are zero.  With P_i = -X'V^-1 G_i V^-1 X, Q_ij = X'V^-1 G_i V^-1
 * G_j V^-1 X, Phi = (X'V^-1 X)^-1 and the expected information
 * I_ij = tr(V^-1 G_i V^-1 G_j) / 2 - tr(Phi Q_ij) + tr(Phi P_i Phi P_j) / 2,
 * W = I^-1 (a generalized inverse where I is nearly singular, see
 * kenward_roger.c) and
 *
 *   Phi_A = Phi + 2 Phi (sum_ij W_ij (Q_ij - P_i Phi P_j)) Phi.
 *
 * Everything is computed over the random effects' columns, never over the
 * rows: V^-1 by Woodbury, V = sigma^2 (I + Z Lambda Lambda' Z'), from Z'Z, Z'X
 * and X'X gathered in one pass.  Those are dense matrices of order Q (the
 * random effects' columns, levels times columns summed over terms), so Q is
 * bounded by LMM_KR_MAX_Q.  KR is defined for REML fits: an ML fit is
 * refused, as lmerTest refuses it.
 */
#ifndef LMM_KENWARD_ROGER_H
#define LMM_KENWARD_ROGER_H

#include "design.h"
#include "fit.h"
#include "satterthwaite.h"

/* The random effects' columns beyond which the dense matrices over them (four of order Q, 288 MB at
 * 3,000) are refused. */
enum { LMM_KR_MAX_Q = 3000 };

typedef struct lmm_kr lmm_kr;

/* Whether KR can be had for a fit of design d by REML (reml 1) or ML: LMM_ERR, said, for an ML fit, one
 * without random effects, or more than LMM_KR_MAX_Q random-effects columns; before fitting. */
int lmm_kr_check(const lmm_design *d, int reml, lmm_error *err);

/* The adjusted covariance of fit f of design d (a REML fit with random effects).  LMM_ERR for an ML fit
 * or more than LMM_KR_MAX_Q random-effects columns, LMM_NUMERIC, LMM_INTERRUPTED, LMM_NOMEM. */
int lmm_kr_new(const lmm_design *d, const lmm_fit *f, lmm_stop *stop, lmm_kr **out, lmm_error *err);
void lmm_kr_free(lmm_kr *k);

/* Phi_A in the data's units (p x p, column-major), and Phi, the unadjusted vcov. */
const double *lmm_kr_vcov(const lmm_kr *k);
const double *lmm_kr_vcov_unadjusted(const lmm_kr *k);

/* The KR df of the t test of l' beta (l p), lmerTest's for one contrast (pbkrtest's Lb_ddf); it writes k's
 * scratch, so one thread at a time. */
double lmm_kr_df(const lmm_kr *k, const double *l);

/* The F test of L beta = 0 (L q x p, column-major, rows linearly independent) as pbkrtest's KRmodcomp:
 * F = scale * (L beta)' (L Phi_A L')^-1 (L beta) / q on q and ddf df; *scale is the F's scaling.  LMM_ERR
 * where L's rows are linearly dependent (L Phi L' is singular), LMM_NOMEM. */
int lmm_kr_ftest(const lmm_kr *k, const double *beta, const double *L, int q, lmm_ftest *out, double *scale,
                 lmm_error *err);

#endif
