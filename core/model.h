/* model.h — one fit from start to end, the way data flows:
 * formula text -> rows -> model frame -> design -> blocks -> fit -> rows.
 *
 *   lmm_model_begin(...)           parse; says which columns to read
 *   lmm_model_add_row(...)         once per row of the data
 *   lmm_model_fit(...)             fit and build the result rows
 */
#ifndef LMM_MODEL_H
#define LMM_MODEL_H

#include "inference.h"
#include "ranef.h"
#include "residuals.h"
#include "feed.h"
#include "structure.h"

#define LMM_VERSION "0.1.0"
#include "options.h"

typedef struct lmm_model {
  lmm_formula *formula;
  lmm_options options;
  int style;
  lmm_frame *frame;
  lmm_design *design;
  lmm_system *system;
  lmm_fit *fit;
  lmm_result *result;
  lmm_ranef *ranef;       /* on demand: lmm_model_ranef */
  double *vcov_kr;        /* df=kenward-roger: the adjusted vcov (p x p), what lmm_model_vcov gives */
  lmm_structure *structure; /* weights= and correlation= (NULL: none); the system is of the whitened rows */
  int df_unread;          /* no one reads the df or p-values (lmm_model_df_unread) */
} lmm_model;

int lmm_model_begin(const char *formula, const char *random, const char *options, lmm_model **out, lmm_error *err);
/* Whether the rowids given to add_row are real rowids (else row numbers), for messages. */
void lmm_model_rows_have_rowid(lmm_model *m, int has_rowid);
/* The rows carry no types (no column the model reads is declared a number): their text is read as R's
 * read.csv reads a file (lmm_row_eval_read_text).  Before the first row. */
void lmm_model_rows_untyped(lmm_model *m, int untyped);
/* The rows to come are at most bound (lmm_frame_expect_rows).  Before the first row. */
void lmm_model_rows_bound(lmm_model *m, uint64_t bound);
/* No one will read the fit's df or p-values: Satterthwaite's, 2k^2 factorizations of the system, are not made
 * (they change no estimate, standard error or statistic; Kenward-Roger's, which change the standard errors, are).
 * Before lmm_model_fit; a fit to be saved (save=) makes them all the same, and keeps them. */
void lmm_model_df_unread(lmm_model *m);
/* Columns to read, in the order add_row expects them. */
int lmm_model_ncols(const lmm_model *m);
const char *lmm_model_col(const lmm_model *m, int i);
int lmm_model_add_row(lmm_model *m, const lmm_value *cols, int64_t rowid, lmm_error *err);
/* Instead of add_row: read(arg, feed) gives every row to lmm_feed_row, and
 * the frame is built on a second thread beside it (feed.h); read's own
 * status in *read_rc, the frame's returned. */
int lmm_model_read(lmm_model *m, int (*read)(void *arg, lmm_feed *feed), void *arg, int *read_rc, lmm_error *err);
/* interrupted(ctx) (may be NULL) is asked all along, on the calling thread
 * only (stop.h); when it answers nonzero: LMM_INTERRUPTED. */
int lmm_model_fit(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_error *err);
/* Instead of lmm_model_fit: the fit at a saved theta, without optimizing; its fixed rows have no
 * Satterthwaite df (the saved rows keep them). */
int lmm_model_fit_at(lmm_model *m, const double *theta, int ntheta, int (*interrupted)(void *), void *ctx,
                     lmm_error *err);
/* Conditional modes (and with_cov their covariances), computed once. */
int lmm_model_ranef(lmm_model *m, int with_cov, int (*interrupted)(void *), void *ctx, lmm_error *err);
/* Every row's fitted values and residuals (residuals.h), with the conditional
 * modes they need; free with lmm_residuals_free. */
int lmm_model_residuals(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_residuals **out, lmm_error *err);
/* The sigma R reports for this style (the tidy rows' "sigma"). */
double lmm_model_sigma(const lmm_model *m);
/* Element (i, j) of the fixed effects' covariance as R's vcov() reports it (Kenward-Roger's adjusted one
 * under df=kenward-roger, as pbkrtest's vcovAdj). */
double lmm_model_vcov(const lmm_model *m, int i, int j);
void lmm_model_free(lmm_model *m);

#endif
