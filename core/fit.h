/* fit.h — ML and REML fits by the profiled deviance (Bates et al. 2015).
 *
 * The parameters are theta: for each random-effects term, the lower triangle
 * (column by column, as lme4 orders it) of the relative covariance factor T,
 * with Var(b) = sigma^2 T T'.  BOBYQA (NLopt) minimizes the profiled deviance
 * over theta with the diagonal of T bounded below by zero, so a variance can
 * reach zero.  Every evaluation is one blocked Cholesky on the blocks.  The
 * optimizer works on T for the blocks' unit-scale columns (blocks.h,
 * zscale); lmm_fit.theta is T for Z itself, as R reports it.  θ's layout,
 * bounds and scales are the system's map (theta.h).  The fitter reads only
 * the blocks: rows are one way to make them (lmm_system_new).
 */
#ifndef LMM_FIT_H
#define LMM_FIT_H

#include "blocks.h"

typedef struct lmm_fit_options {
  int reml;                         /* 1 REML (the default in R), 0 ML */
  lmm_stop *stop;                   /* asked between evaluations and within them (NULL: never) */
  const double *theta;              /* non-NULL: evaluate here, no optimization (a saved fit) */
  int ntheta;
  const double *start;              /* non-NULL: optimize from here (theta as lmm_fit.theta, ntheta of them), not
                                       from the moment estimate, and a singular optimum is not tried again
                                       from lme4's start: a refit of new responses (bootstrap.h) */
  double restep;                    /* with start: BOBYQA's first steps as this fraction of a fresh fit's (0: 1) */
  int unpolished;                   /* 1: the optimum where BOBYQA stops, without lmm_polish (restarted after) */
} lmm_fit_options;

typedef struct lmm_fit {
  int reml;
  size_t n;
  int p;
  int ntheta;
  double *theta;          /* laid out by map */
  const lmm_theta_map *map;   /* borrowed from the system fitted (NULL without random effects) */
  double objective;       /* deviance (ML) or REML criterion at the optimum */
  double logLik, sigma, pwrss;
  double *beta;           /* p */
  double *beta_scaled;    /* p: beta in the blocks' centred and scaled coordinates */
  double *vcov;           /* p x p, column-major */
  double *se;             /* p: standard errors; without random effects from QR with sigma^2 = rss / (n - p),
                             with them sqrt(diag(vcov)) taken before vcov goes to the data's units */
  int evaluations;
  int converged;
  int singular;
  char *optimizer_message;
  /* A residual structure's parameters (structure.h) as nlme reports them, with their names ("varIdent__Male");
   * nstruct_free of them estimated (the rest fixed=), which the fit's df counts. */
  int nstruct, nstruct_free;
  double *struct_est;
  char **struct_names;
} lmm_fit;

int lmm_fit_run(lmm_system *sys, const lmm_fit_options *opt, lmm_fit **out, lmm_error *err);
void lmm_fit_free(lmm_fit *f);

/* A fit without random effects by orthogonal factorization of X (never X'X),
 * accurate on the NIST StRD problems: lm, and gls by ML or REML. */
int lmm_fit_ols(const lmm_design *d, int reml, lmm_stop *stop, lmm_fit **out, lmm_error *err);

/* The profiled deviance (reml 0) or REML criterion at theta (T for Z in the
 * data's units, as lmm_fit.theta), apart from the optimizer: the objective
 * lme4's devfun(theta) gives.  The system is left factored there.
 * LMM_ERR for a theta not finite, LMM_NUMERIC where the system is not
 * positive definite, LMM_NOMEM. */
int lmm_fit_deviance(lmm_system *sys, const double *theta, int reml, double *dev, lmm_error *err);

/* The pieces of the criterion at theta (T for Z in the data's units) with sigma not profiled out,
 *   -2 log L(theta, sigma) = ldet + nr log(2 pi sigma^2) + pwrss / sigma^2     (nr: n, or n - p under REML),
 * in the data's units: ldet is log|L_Z|^2, under REML plus 2 log|R_X|.  With beta non-NULL also beta at theta
 * (p) and in vdiag (p) the diagonal of (R_X'R_X)^-1, the fixed effects' covariance over sigma^2: what profiles
 * and nlme's approximate covariance of the variance parameters evaluate.  LMM_NUMERIC where the system is not
 * positive definite at theta, LMM_INTERRUPTED, LMM_NOMEM. */
typedef struct lmm_fit_parts {
  double ldet, pwrss;
  double *beta, *vdiag;   /* the caller's, or NULL */
} lmm_fit_parts;
int lmm_fit_parts_at(lmm_system *sys, const double *theta, int reml, lmm_stop *stop, lmm_fit_parts *out, lmm_error *err);

/* Where the optimizer starts: for each random-effects term, a moment estimate
 * of T for the blocks' unit-scale columns (Swamy's estimator on the
 * fixed-effect residuals), written into theta as the system's map lays it
 * out; terms it cannot estimate keep the values theta holds.  LMM_NOMEM
 * when out of memory. */
int lmm_fit_start(const lmm_system *s, double *theta);

/* Standard deviations (q) and correlations (q x q, column-major; NaN where a
 * standard deviation is 0) of design term t's random effects, from the rows
 * of sigma T each taken at unit size: a standard deviation a double holds
 * comes out even where its square would not. */
void lmm_fit_term_sd(const lmm_fit *f, int t, double *sd, double *cor);

#endif
