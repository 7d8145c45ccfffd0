/* model.c — the pipeline of one fit, and the checks between its stages that
 * turn degenerate data into clear errors instead of garbage. */
#include "model.h"
#include "kenward_roger.h"
#include "alloc.h"
#include "blas_threads.h"
#include "budget.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

int lmm_model_begin(const char *formula, const char *random, const char *options, lmm_model **out, lmm_error *err) {
  *out = NULL;
  lmm_model *m = lmm_calloc(1, sizeof *m);
  if (!m) return lmm_nomem(err);
  int rc = lmm_options_parse(options, &m->options, err);
  /* offset=e is pasted into the formula as "+ offset(e)": the formula must be whole alone first, or its end
   * could take the offset in (a formula ending in '-' would subtract it, one with a '(' open would close it) */
  if (!rc && m->options.offset[0] && !(rc = lmm_formula_parse(formula, random, &m->formula, err))) {
    lmm_formula_free(m->formula);
    m->formula = NULL;
  }
  char *with_offset = !rc && m->options.offset[0] ? lmm_mprintf("%s + offset(%s)", formula, m->options.offset) : NULL;
  if (!rc && m->options.offset[0] && !with_offset) rc = lmm_nomem(err);
  if (!rc) rc = lmm_formula_parse(with_offset ? with_offset : formula, random, &m->formula, err);
  lmm_free(with_offset);
  if (!rc) m->formula->contrasts = m->options.contrasts;
  if (!rc) rc = lmm_structure_parse(m->options.weights, m->options.correlation, m->formula, &m->structure, err);
  if (!rc) rc = lmm_frame_new(m->formula, 1, &m->frame, err);
  if (rc) { lmm_model_free(m); return rc; }
  lmm_row_eval_read_text(m->frame->ev, 0, m->options.na, m->options.na_given);
  m->style = m->formula->nbars == 0 ? (m->options.method_given || m->structure ? LMM_STYLE_NLME : LMM_STYLE_LM)
             : (random && random[0]) ? LMM_STYLE_NLME : LMM_STYLE_LME4;
  if (m->style == LMM_STYLE_LM) m->options.reml = 0;
  *out = m;
  return LMM_OK;
}

void lmm_model_rows_have_rowid(lmm_model *m, int has_rowid) { m->frame->has_rowid = has_rowid; }

void lmm_model_df_unread(lmm_model *m) { m->df_unread = !m->options.save[0]; }   /* a saved fit keeps its df */

void lmm_model_rows_bound(lmm_model *m, uint64_t bound) { lmm_frame_expect_rows(m->frame, bound); }

void lmm_model_rows_untyped(lmm_model *m, int untyped) {
  lmm_row_eval_read_text(m->frame->ev, untyped, m->options.na, m->options.na_given);
}

int lmm_model_ncols(const lmm_model *m) { return m->formula->ncols; }
const char *lmm_model_col(const lmm_model *m, int i) { return m->formula->cols[i]; }

int lmm_model_add_row(lmm_model *m, const lmm_value *cols, int64_t rowid, lmm_error *err) {
  return lmm_frame_add_row(m->frame, cols, rowid, err);
}

int lmm_model_read(lmm_model *m, int (*read)(void *arg, lmm_feed *feed), void *arg, int *read_rc, lmm_error *err) {
  return lmm_feed_run(m->frame, read, arg, read_rc, err);
}

/* Refuse grouping factors that cannot carry their random effects: one level
 * (lme4's check), as many random effects as rows (lme4's), and more random
 * effects per level than levels: the q x q covariance of q-vectors drawn at
 * fewer than q levels is singular whatever the data, and the optimizer
 * would search its q(q+1)/2 parameters for minutes even on a few rows. */
static int check_groups(const lmm_design *d, lmm_error *err) {
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    if (re->nlevels < 2)
      return lmm_fail(err, LMM_ERR, "grouping factor '%s' has only one level in the rows used; a random effect needs at least two", re->grp);
    if (re->q > re->nlevels)
      return lmm_fail(err, LMM_ERR,
                      "grouping factor '%s' has %d levels for %d random effects per level: their %dx%d covariance cannot be "
                      "estimated from fewer levels than that; use fewer random-effect columns for '%s'",
                      re->grp, re->nlevels, re->q, re->q, re->q, re->grp);
    if ((size_t)re->nlevels * (size_t)re->q >= d->n)
      return lmm_fail(err, LMM_ERR,
                      "grouping factor '%s': %zu random effects (%d levels x %d) but only %zu rows; the random effects cannot be told from the residual",
                      re->grp, (size_t)re->nlevels * (size_t)re->q, re->nlevels, re->q, d->n);
  }
  return LMM_OK;
}

static int fit_model(lmm_model *m, const lmm_fit_options *opt, lmm_error *err) {
  lmm_frame *fr = m->frame;
  int rc;
  if (fr->n == 0)
    return lmm_fail(err, LMM_ERR, "no rows left to fit: %zu rows read, %zu dropped for NULL values", fr->nread, fr->ndropped);
  if ((rc = lmm_frame_finish(fr, err))) return rc;
  if ((rc = lmm_design_new(fr, &m->design, err))) return rc;
  lmm_budget budget = lmm_budget_host();
  if (m->design->nre == 0) {
    /* no random effects: least squares by QR, accurate where X'X is not; lm, as R's, interpolates n = p rows */
    if ((size_t)m->design->p > m->design->n - (m->style != LMM_STYLE_LM))
      return lmm_fail(err, LMM_ERR, "%zu rows are too few for %d fixed-effect coefficients", m->design->n, m->design->p);
    if ((rc = lmm_budget_check(m->design, &budget, err))) return rc;
    rc = m->structure ? lmm_structure_fit(m->structure, m->design, lmm_df_method(m->design, m->style, m->options.df),
                                          opt, &m->system, &m->fit, err)
                      : lmm_fit_ols(m->design, opt->reml, opt->stop, &m->fit, err);
    if (rc) return rc;
    if (!(m->result = lmm_result_new())) return lmm_nomem(err);
    return lmm_tidy_rows(m->design, NULL, m->fit, m->style, m->options.df, opt->stop, m->result, NULL, err);
  }
  if ((rc = check_groups(m->design, err))) return rc;
  if ((size_t)m->design->p >= m->design->n)
    return lmm_fail(err, LMM_ERR, "%zu rows are too few for %d fixed-effect coefficients", m->design->n, m->design->p);
  if ((rc = lmm_budget_check(m->design, &budget, err))) return rc;
  int kr = lmm_df_method(m->design, m->style, m->options.df) == LMM_DF_KENWARD_ROGER;
  if (m->structure)
    rc = lmm_structure_fit(m->structure, m->design, lmm_df_method(m->design, m->style, m->options.df), opt,
                           &m->system, &m->fit, err);
  /* Kenward-Roger's df refused before the fit rather than after it */
  else if (!(rc = kr ? lmm_kr_check(m->design, opt->reml, err) : LMM_OK) &&
           !(rc = lmm_system_new(m->design, opt->stop, &m->system, err)))
    rc = lmm_fit_run(m->system, opt, &m->fit, err);
  if (rc) return rc;
  if (!(m->result = lmm_result_new())) return lmm_nomem(err);
  /* a saved fit evaluated again has its df in its saved rows: no 2k^2 factorizations for Satterthwaite's, no
   * dense matrices for Kenward-Roger's */
  int method = lmm_df_method(m->design, m->style, m->options.df);
  int df = (opt->theta && (method == LMM_DF_SATTERTHWAITE || method == LMM_DF_KENWARD_ROGER)) ||
           (m->df_unread && method == LMM_DF_SATTERTHWAITE) ? LMM_DF_NONE : m->options.df;
  return lmm_tidy_rows(m->design, m->system, m->fit, m->style, df, opt->stop, m->result, &m->vcov_kr, err);
}

/* The fit, OpenBLAS held at one thread (see blas_threads.h). */
static int fit_model_serial(lmm_model *m, const lmm_fit_options *opt, lmm_error *err) {
  lmm_blas_serial_begin();
  int rc = fit_model(m, opt, err);
  lmm_blas_serial_end();
  return rc;
}

int lmm_model_fit(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_error *err) {
  lmm_stop stop = {interrupted, ctx, 0};
  lmm_fit_options opt = {.reml = m->options.reml, .stop = &stop};
  return fit_model_serial(m, &opt, err);
}

int lmm_model_fit_at(lmm_model *m, const double *theta, int ntheta, int (*interrupted)(void *), void *ctx,
                     lmm_error *err) {
  lmm_stop stop = {interrupted, ctx, 0};
  lmm_fit_options opt = {.reml = m->options.reml, .stop = &stop, .theta = theta, .ntheta = ntheta};
  return fit_model_serial(m, &opt, err);
}

int lmm_model_ranef(lmm_model *m, int with_cov, int (*interrupted)(void *), void *ctx, lmm_error *err) {
  if (m->ranef && (!with_cov || m->design->nre == 0 || m->ranef->term[0].sd)) return LMM_OK;
  if (!m->system && m->design->nre)   /* a restored model keeps its random effects (restore.h) */
    return lmm_fail(err, LMM_ERR, "the random effects were not kept");
  lmm_ranef_free(m->ranef);
  m->ranef = NULL;
  lmm_blas_serial_begin();
  lmm_stop stop = {interrupted, ctx, 0};
  int rc = lmm_ranef_compute(m->design, m->system, m->fit, with_cov, &stop, &m->ranef, err);
  lmm_blas_serial_end();
  return rc;
}

int lmm_model_residuals(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_residuals **out, lmm_error *err) {
  *out = NULL;
  int rc = lmm_model_ranef(m, 0, interrupted, ctx, err);
  if (rc) return rc;
  lmm_stop stop = {interrupted, ctx, 0};
  rc = lmm_residuals_compute(m->design, m->fit, m->ranef, lmm_model_sigma(m), &stop, out, err);
  if (rc || !m->structure) return rc;
  lmm_residuals *res = *out;   /* nlme gives a structured fit no hat values */
  lmm_free(res->hat);
  lmm_free(res->std_resid);
  lmm_free(res->cooks);
  res->hat = res->std_resid = res->cooks = NULL;
  rc = lmm_structure_residuals(m->structure, res->n, res->response, lmm_model_sigma(m), res->pearson, res->normalized, err);
  if (rc) {
    lmm_residuals_free(res);
    *out = NULL;
  }
  return rc;
}

double lmm_model_sigma(const lmm_model *m) { return lmm_reported_sigma(m->design, m->fit, m->style); }

double lmm_model_vcov(const lmm_model *m, int i, int j) {
  if (m->vcov_kr) return m->vcov_kr[i + j * m->design->p];   /* REML: no scale */
  return m->fit->vcov[i + j * m->design->p] * lmm_vcov_scale(m->design, m->fit, m->style);
}

void lmm_model_free(lmm_model *m) {
  if (!m) return;
  lmm_structure_free(m->structure);
  lmm_ranef_free(m->ranef);
  lmm_free(m->vcov_kr);
  lmm_result_free(m->result);
  lmm_fit_free(m->fit);
  lmm_system_free(m->system);
  lmm_design_free(m->design);
  lmm_frame_free(m->frame);
  lmm_formula_free(m->formula);
  lmm_free(m);
}
