/* restore.h — a model rebuilt without its rows, from what a fit keeps of them (its snapshot).
 *
 * A snapshot holds what prediction and the random effects need and nothing that would go stale when the
 * table changes: each variable's levels in order and whether it is a factor, what its basis learned (poly's
 * coefficients, scale's centre, spline knots: core/bases.h), how the rows' text was read,
 * the levels of each interaction grouping, and the conditional modes with their standard deviations.  With
 * the call (formula, random, options) and the fixed effects, lmm_model_restore rebuilds a model that
 * predicts new rows and lists its random effects exactly as the fitted one did, whatever happened to the
 * data since.  What needs the rows themselves (residuals, hat values) evaluates the saved theta on the data
 * again instead (ext/store.c).
 *
 * A snapshot may come from a database made elsewhere, so restoring checks everything against the formula:
 * each variable's kind and levels (no two alike), its basis's numbers, each grouping's codes, the design's column names, every
 * array's length and every number.
 */
#ifndef LMM_RESTORE_H
#define LMM_RESTORE_H

#include "model.h"

typedef struct lmm_snapshot_var {
  int is_factor;
  int nlevels;          /* -1: the variable keeps no levels (a number, or not in the model) */
  char **levels;        /* labels as the frame keeps them, level_len bytes each */
  int *level_len;
  int ncoef;            /* what a basis (scale, poly, ns, bs) learned from the fitted data: lmm_frame_var's coef */
  double *coef;
} lmm_snapshot_var;

typedef struct lmm_snapshot_term {
  size_t ncodes;        /* for an interaction grouping: nlevels x its variables' codes (lmm_design_group_codes) */
  int *codes;
  size_t nb;            /* nlevels x q */
  double *b, *sd;       /* the conditional modes and their standard deviations (NAN where there is none), as
                           lmm_ranef_term lays them out */
} lmm_snapshot_term;

typedef struct lmm_snapshot {
  int untyped;          /* the rows carried no types (lmm_model_rows_untyped) */
  int nvars;
  lmm_snapshot_var *vars;
  int nre;
  lmm_snapshot_term *term;
} lmm_snapshot;

/* The snapshot of a fitted model, its random effects computed with their standard deviations first
 * (interrupted as lmm_model_ranef); free it with lmm_snapshot_clear. */
int lmm_snapshot_take(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_snapshot *out, lmm_error *err);
void lmm_snapshot_clear(lmm_snapshot *s);

/* The model m, begun from the saved call (lmm_model_begin) and given no rows, made the fitted one from
 * the snapshot s (whose arrays it takes: s is left empty), the p fixed effects named xnames with estimates
 * beta and the count of covariance parameters the fit had.  LMM_ERR with a message that says what does not
 * fit the formula; m is then to be freed. */
int lmm_model_restore(lmm_model *m, lmm_snapshot *s, int p, char *const *xnames, const double *beta, int ntheta,
                      lmm_error *err);

#endif
