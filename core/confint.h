/* confint.h — confidence intervals as rows (effect, grp, term, lower, estimate, upper), named as the tidy
 * rows name the same parameters:
 *
 *   Wald        estimate -+ q se, q the normal quantile (lme4's confint(method = "Wald")) or t's on the row's
 *               df (nlme's intervals(which = "fixed"), R's confint(lm))
 *   intervals   nlme's intervals(): fixed effects by t on nlme's df; each term's sds and correlations and the
 *               residual sd from nlme's approximate covariance of the transformed parameters (log sd, the
 *               correlations' log((1+r)/(1-r)), log sigma): the inverse of the negative Hessian of the
 *               log-likelihood (sigma not profiled) there; without random effects the residual sd by chi-square
 *               on n - p, or n under ML (gls); with a residual structure also its parameters (nlme's apVar
 *               takes them unconstrained, the intervals mapped to their natural scale)
 *   percentile  a bootstrap's percentile interval, as boot.ci(type = "perc") and lme4's
 *               confint(method = "boot") take it from the replicates
 *
 * Profile intervals are profile.h's. */
#ifndef LMM_CONFINT_H
#define LMM_CONFINT_H

#include "model.h"

typedef struct lmm_ci_row {
  const char *effect;   /* "fixed", "ran_pars": static strings */
  char *grp;            /* NULL for none */
  char *term;
  double lower, estimate, upper;   /* NAN for none */
} lmm_ci_row;

typedef struct lmm_ci_rows {
  int n, cap;
  lmm_ci_row *rows;
} lmm_ci_rows;

/* What lmm_confint is asked: a method and the options' level. */
enum { LMM_CI_WALD, LMM_CI_INTERVALS, LMM_CI_PROFILE, LMM_CI_BOOT };
typedef struct lmm_ci_request {
  int method;      /* LMM_CI_* */
  double level;    /* in (0, 1); 0.95 unless level= was written */
  char boot[256];  /* method boot: the options that are the bootstrap's (nsim=, seed=, threads=), for
                      lmm_boot_options_parse ("" for its defaults) */
} lmm_ci_request;

/* The method's name (NULL: the style's default: profile for lme4's formulas, intervals for nlme's calls, wald
 * for lm) and the options text ('level=0.9', and for boot 'nsim=1000, seed=1, threads=2'; NULL or empty for
 * none) read into *out; LMM_ERR naming what is wrong. */
int lmm_ci_request_parse(const char *method, const char *options, int style, lmm_ci_request *out, lmm_error *err);
extern const char *const lmm_ci_method_names[4];   /* "wald", "intervals", "profile", "boot" */

/* Append a row (copies the strings); LMM_NOMEM. */
int lmm_ci_add(lmm_ci_rows *r, const char *effect, const char *grp, const char *term, double lower, double estimate,
               double upper);
void lmm_ci_rows_clear(lmm_ci_rows *r);

/* The Wald interval at level of an estimate with standard error se: on t with df degrees of freedom, or on
 * the normal where df is NAN or infinite. */
void lmm_confint_wald(double estimate, double se, double df, double level, double *lower, double *upper);

/* nlme's intervals(m, level) for a fitted (or opened) model: the rows above.  LMM_ERR where a variance is zero
 * (its log is not finite) or where the Hessian is not negative definite, as nlme refuses them. */
int lmm_confint_intervals(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err);

/* The residual sd's row without random effects (nlme's intervals.gls without an apVar): chi-square on n - p
 * (REML, lm) or n (ML); LMM_NOMEM. */
int lmm_confint_sigma_rows(const lmm_model *m, double level, lmm_ci_rows *out, lmm_error *err);
/* The variance rows of intervals() of a model with a residual structure (confint_structure.c): the random
 * effects', the structure's estimated parameters' (nlme's corStruct and varStruct intervals on their natural
 * scale) and sigma's, from nlme's apVar over them and the structure's unconstrained parameters.  LMM_ERR for
 * corSymm and a variance function of the fitted values (not done), and as lmm_confint_intervals. */
int lmm_confint_structure_rows(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err);

/* The percentile interval at level of parameter j from a bootstrap's replicates t (nsim x npar, column-major:
 * replicate i of parameter j at t[i + j nsim]), as boot's norm.inter: replicates that are not finite left out
 * (failed refits), then order statistic k = (R + 1) alpha, or, where that is not a whole number, the two about
 * it interpolated on the normal quantile scale; the extreme ones where k falls outside 1 .. R - 1.  NAN bounds
 * where no replicate is finite; LMM_NOMEM. */
int lmm_confint_percentile(const double *t, int nsim, int npar, int j, double level, double *lower, double *upper,
                           lmm_error *err);

/* lme4's confint(m, method = "boot", boot.type = "perc"): each parameter's percentile interval from a
 * bootstrap's replicates (bootstrap.h), the estimate the fit's; LMM_NOMEM. */
struct lmm_boot;
int lmm_confint_boot(const struct lmm_boot *b, double level, lmm_ci_rows *out, lmm_error *err);

#endif
