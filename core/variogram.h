/* variogram.h — nlme's Variogram(m, form = ~ t | g): the empirical semivariogram of a fitted model's residuals.
 *
 * Every pair of rows within one group gives a semivariance (r_i - r_j)^2 / 2 at the Euclidean distance of their
 * form covariates (without covariates, of their positions 1, 2, ... in the group, in the rows' order).  Groups:
 * the form's `| g`, else the innermost random-effects grouping (lme), else the correlation's groups (gls), else
 * one.  Pairs farther than maxDist are dropped; then with at most nint (20) distinct distances each distance is a
 * row (the mean semivariance), else the pairs are binned by R's cut(dist, unique(quantile(dist, 0:nint/nint)))
 * into right-closed intervals, each a row of the mean semivariance, the median distance and the pair count.
 * Without form=, a spatial correlation's covariates are the form, as nlme's. */
#ifndef LMM_VARIOGRAM_H
#define LMM_VARIOGRAM_H

#include "model.h"

typedef struct lmm_variogram_options {
  const char *form;       /* "~ t | g" as written (NULL: nlme's default); points into the options text */
  int formlen;
  int normalized;         /* resType=normalized, else pearson */
  int has_max;
  double max_dist;
} lmm_variogram_options;

typedef struct lmm_variogram {
  size_t n;
  double *dist, *variog;
  long long *n_pairs;
} lmm_variogram;

/* resType=pearson|normalized, maxDist=number, form=~ t | g; an unknown key or value is an error naming it. */
int lmm_variogram_options_parse(const char *text, lmm_variogram_options *o, lmm_error *err);
/* The variogram of a model fitted on its rows (lmm_store_open's). */
int lmm_model_variogram(lmm_model *m, const lmm_variogram_options *o, int (*interrupted)(void *), void *ctx,
                        lmm_variogram **out, lmm_error *err);
void lmm_variogram_free(lmm_variogram *v);

#endif
