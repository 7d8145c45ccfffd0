/* variogram.h — nlme's Variogram(m, form = ~ t | g): the empirical semivariogram of a fitted model's residuals.
 *
 * Every pair of rows within one group gives a semivariance (r_i - r_j)^2 / 2 at the Euclidean distance of their
 * form covariates (without covariates, of their positions 1, 2, ... in the group, in the rows' order).  Groups:
 * the form's `| g`, else the innermost random-effects grouping (lme), else the correlation's groups (gls; a/b's
 * groups are b's within a), else one.  Pairs farther than maxDist are dropped; then (collapse = "quantiles", nlme's default) with at most nint
 * (20) distinct distances each distance is a row (the mean semivariance), else the pairs are binned by R's
 * cut(dist, breaks) into right-closed intervals, each a row of the mean semivariance, the median distance and the
 * pair count; breaks are unique(quantile(dist, 0:nint/nint)), or nint + 1 equally spaced from the smallest
 * distance to the largest (collapse = "fixed"), or the given breaks= (widened as nlme does to the smallest
 * distance and the second smallest).  robust = TRUE: Cressie and Hawkins' robust mean
 * (mean(v^0.25))^4 / (0.457 + 0.494 / n) instead of the mean.  collapse = "none": every pair a row, in nlme's
 * order (group by group, the pairs of dist()'s lower triangle), n_pairs 1.  A bin without pairs gives no row
 * (nlme's a row of NaN with n.pairs 0).  Without form=, a spatial correlation's covariates are the form, as nlme's. */
#ifndef LMM_VARIOGRAM_H
#define LMM_VARIOGRAM_H

#include "model.h"

enum { LMM_VG_PEARSON, LMM_VG_NORMALIZED, LMM_VG_RESPONSE };      /* resType= */
enum { LMM_VG_QUANTILES, LMM_VG_FIXED, LMM_VG_NONE };              /* collapse= */
enum { LMM_VG_MAX_BREAKS = 256 };

typedef struct lmm_variogram_options {
  const char *form;       /* "~ t | g" as written (NULL: nlme's default); points into the options text */
  int formlen;
  int restype;            /* LMM_VG_*: resType=pearson (default), normalized or response */
  int has_max;
  double max_dist;
  int nint;               /* nint= (0: not given, nlme's 20) */
  int collapse;           /* LMM_VG_QUANTILES, FIXED or NONE */
  int robust;             /* robust=TRUE */
  int nbreaks;            /* breaks=c(...) (0: none) */
  double breaks[LMM_VG_MAX_BREAKS];
} lmm_variogram_options;

typedef struct lmm_variogram {
  size_t n;
  double *dist, *variog;
  long long *n_pairs;
} lmm_variogram;

/* resType=pearson|normalized|response, maxDist=number, form=~ t | g, nint=, breaks=c(...), robust=TRUE|FALSE,
 * collapse=quantiles|fixed|none (nlme's names; R's quotes around a value are taken); an unknown key or value is an
 * error naming it. */
int lmm_variogram_options_parse(const char *text, lmm_variogram_options *o, lmm_error *err);
/* The variogram of a model fitted on its rows (lmm_store_open's). */
int lmm_model_variogram(lmm_model *m, const lmm_variogram_options *o, int (*interrupted)(void *), void *ctx,
                        lmm_variogram **out, lmm_error *err);
void lmm_variogram_free(lmm_variogram *v);

#endif
