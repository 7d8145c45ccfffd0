/* residuals.c — fitted values, residuals, leverages and Cook's distance of
 * a fit's rows (see residuals.h). */
#include "residuals.h"
#include "alloc.h"
#include "blas_threads.h"
#include "ols.h"

#include <math.h>

void lmm_residuals_free(lmm_residuals *res) {
  if (!res) return;
  lmm_free(res->fixed);
  lmm_free(res->fitted);
  lmm_free(res->response);
  lmm_free(res->pearson);
  lmm_free(res->normalized);
  lmm_free(res->hat);
  lmm_free(res->std_resid);
  lmm_free(res->cooks);
  lmm_free(res);
}

static int alloc_columns(lmm_residuals *res, int with_hat) {
  size_t bytes = sizeof(double) * (res->n ? res->n : 1);
  double **cols[] = {&res->fixed, &res->fitted, &res->response, &res->pearson, &res->normalized,
                     &res->hat, &res->std_resid, &res->cooks};
  for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
    if (k >= 5 && !with_hat) break;
    if (!(*cols[k] = lmm_malloc(bytes))) return LMM_NOMEM;
  }
  return LMM_OK;
}

int lmm_residuals_compute(const lmm_design *d, const lmm_fit *f, const lmm_ranef *r, double sigma, lmm_stop *stop,
                          lmm_residuals **out, lmm_error *err) {
  *out = NULL;
  lmm_residuals *res = lmm_calloc(1, sizeof *res);
  if (!res) return lmm_nomem(err);
  res->n = d->n;
  int with_hat = d->nre == 0, rc = LMM_OK;
  if (alloc_columns(res, with_hat)) rc = lmm_nomem(err);
  else if (lmm_fitted(d, f, r, res->fixed, res->fitted, stop)) rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  else if (with_hat) rc = lmm_hat(d, res->hat, stop, err);
  if (rc) { lmm_residuals_free(res); return rc; }
  int p = d->p;
  for (size_t i = 0; i < d->n; i++) {
    double e = d->frame->y[i] - res->fitted[i];
    res->response[i] = e;
    res->pearson[i] = e / sigma;
    res->normalized[i] = e / sigma;
    if (with_hat) {
      double h = res->hat[i];
      res->std_resid[i] = e / (sigma * sqrt(1 - h));
      res->cooks[i] = e * e * h / (p * sigma * sigma * (1 - h) * (1 - h));
    }
  }
  *out = res;
  return LMM_OK;
}

/* In the design's scaled units (design.h), where no product leaves a
 * double's range, then in the response's. */
int lmm_fitted(const lmm_design *d, const lmm_fit *f, const lmm_ranef *r, double *fixed, double *full, lmm_stop *stop) {
  size_t n = d->n;
  int ey = d->yexp;
  for (size_t i = 0; i < n; i++) {
    if (i % 4096 == 0 && lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    double acc = 0;
    for (int j = 0; j < d->p; j++) acc += lmm_design_x(d, j, i) * ldexp(f->beta[j], d->xexp[j] - ey);
    fixed[i] = ldexp(acc, ey);
    for (int t = 0; r && t < d->nre; t++) {
      const lmm_reterm *re = &d->re[t];
      const double *b = r->term[t].b + (size_t)re->g[i] * (size_t)re->q;
      for (int a = 0; a < re->q; a++) acc += lmm_design_z(d, t, a, i) * ldexp(b[a], re->zexp[a] - ey);
    }
    full[i] = ldexp(acc, ey);
    if (d->frame->offset) {   /* R's fitted values include it */
      fixed[i] += d->frame->offset[i];
      full[i] += d->frame->offset[i];
    }
  }
  return LMM_OK;
}

int lmm_hat(const lmm_design *d, double *hat, lmm_stop *stop, lmm_error *err) {
  double *X = NULL;
  int rc = lmm_design_dense_x(d, stop, &X, err);
  lmm_blas_serial_begin();
  if (!rc) rc = lmm_ols_hat(X, d->n, d->p, hat, stop, err);
  lmm_blas_serial_end();
  lmm_free(X);
  return rc;
}
