/* inference.h — from a fit to the numbers R reports: t tests with nlme's
 * denominator degrees of freedom, variance components as standard deviations
 * and correlations, and the fit statistics (logLik, AIC, BIC, ...). */
#ifndef LMM_INFERENCE_H
#define LMM_INFERENCE_H

#include "fit.h"
#include "options.h"
#include "result.h"

enum {
  LMM_STYLE_LM,    /* no random part, no method: stats::lm */
  LMM_STYLE_NLME,  /* nlme::lme / nlme::gls conventions */
  LMM_STYLE_LME4   /* lme4::lmer conventions */
};

/* nlme's strata (getFixDF): the distinct groupings, outermost first, are strata 0 .. nstrata-1 and the
 * residual stratum nstrata; base[k] (nstrata + 1 of them, at most LMM_NLME_MAX_STRATA + 1) the df of stratum
 * k before the fixed effects take theirs; stratum[j] (p) the innermost stratum within whose levels column j
 * varies, -1 for a constant column.  1 when the groupings nest, 0 (stratum untouched) when they cross, -1 on
 * an error.  Without random effects every column is in stratum 0, of n rows. */
enum { LMM_NLME_MAX_STRATA = 64 };
int lmm_nlme_strata(const lmm_design *d, int *stratum, double *base, int *nstrata, lmm_error *err);

/* nlme's denominator df per column of X (getFixDF); returns 0 and leaves df
 * untouched when the grouping factors are not nested (crossed designs). */
int lmm_nlme_df(const lmm_design *d, double *df, lmm_error *err);

/* Factor that turns the fit's vcov into the one R reports: lm and gls
 * under ML use sigma^2 on n - p, lme and lmer the ML sigma itself. */
double lmm_vcov_scale(const lmm_design *d, const lmm_fit *f, int style);

/* The residual standard deviation R reports: lm's sqrt(rss / (n - p)), the
 * ML or REML estimate of lme, gls and lmer. */
double lmm_reported_sigma(const lmm_design *d, const lmm_fit *f, int style);

/* cov / (sd1 sd2), as cov2cor(); NAN unless both variances are positive. */
double lmm_correlation(double cov, double var1, double var2);

/* The df method (options.h LMM_DF_*) a fit of this style gets when asked
 * for `asked`: by default lmerTest's Satterthwaite for lme4's formulas and
 * nlme's containment for nlme's calls; n - p without random effects (lm and
 * gls), unless none was asked. */
int lmm_df_method(const lmm_design *d, int style, int asked);

/* The denominator df of each fixed effect (p) by method, NAN for none.
 * Satterthwaite's factors sys at thetas next to the fit's and leaves it
 * factored at the fit's again (its df NAN where the system is not positive
 * definite next to the fit); containment is refused (LMM_ERR) where
 * grouping factors are crossed. */
int lmm_fixed_df(const lmm_design *d, lmm_system *sys, const lmm_fit *f, int method, lmm_stop *stop, double *df,
                 lmm_error *err);

/* The tidy rows of a fit (the rows lmm_fit returns; the SQL function lmm_tidy
 * reads them back), the t tests with the df of df_asked (options.h; sys NULL
 * without random effects). */
int lmm_tidy_rows(const lmm_design *d, lmm_system *sys, const lmm_fit *f, int style, int df_asked, lmm_stop *stop,
                  lmm_result *out, lmm_error *err);

#endif
