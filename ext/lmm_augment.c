/* lmm_augment.c — lmm_augment(model): one row per row the saved model used, with
 * its source rowid (to join back), the response, fitted values with and
 * without the random effects, and residuals: response, Pearson and nlme's
 * normalized; for fits without random effects also R's hatvalues(),
 * rstandard() and cooks.distance(). */
#include "lmm_augment.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <string.h>

#include "source.h"
#include "store.h"

static double reported_sigma(const lmm_model *m) {
  for (int i = 0; i < m->result->nrows; i++)
    if (!strcmp(m->result->rows[i].effect, "fit") && !strcmp(m->result->rows[i].term, "sigma")) return m->result->rows[i].estimate;
  return m->fit->sigma;
}

static int augment_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_model *m = NULL;
  double *fixed = NULL, *full = NULL, *hat = NULL;
  int rc = lmm_store_open(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg);
  if (rc != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("lmm_augment: %s", inner ? inner : "out of memory");
    sqlite3_free(inner);
    return rc;
  }
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  lmm_stop stop = {lmm_interrupt_probe_check, &probe, 0};
  const lmm_design *d = m->design;
  size_t n = d->n;
  fixed = sqlite3_malloc64(sizeof *fixed * n);
  full = sqlite3_malloc64(sizeof *full * n);
  hat = d->nre ? NULL : sqlite3_malloc64(sizeof *hat * n);
  if (!fixed || !full || (!d->nre && !hat)) rc = SQLITE_NOMEM;
  else if (lmm_model_ranef(m, 0, lmm_interrupt_probe_check, &probe, &err) ||
           (lmm_fitted(d, m->fit, m->ranef, fixed, full, &stop) && lmm_fail(&err, LMM_INTERRUPTED, "interrupted")) ||
           (hat && lmm_hat(d, hat, &stop, &err))) {
    *errmsg = sqlite3_mprintf("lmm_augment: %s", err.msg);
    rc = err.code == LMM_NOMEM ? SQLITE_NOMEM : err.code == LMM_INTERRUPTED ? SQLITE_INTERRUPT : SQLITE_ERROR;
  }
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_OK) {
    double sigma = reported_sigma(m);
    int p = d->p;
    for (size_t i = 0; i < n; i++) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) break;
      double e = d->y[i] - full[i];
      lmm_cell_int(&c[0], m->frame->rowid[i]);
      lmm_cell_real(&c[1], d->y[i]);
      lmm_cell_real(&c[2], full[i]);
      lmm_cell_real(&c[3], fixed[i]);
      lmm_cell_real(&c[4], e);
      lmm_cell_real(&c[5], e / sigma);
      lmm_cell_real(&c[6], e / sigma);
      if (hat) {
        double h = hat[i];
        lmm_cell_real(&c[7], h);
        lmm_cell_real(&c[8], e / (sigma * sqrt(1 - h)));
        lmm_cell_real(&c[9], e * e * h / (p * sigma * sigma * (1 - h) * (1 - h)));
      }
    }
  }
  sqlite3_free(fixed);
  sqlite3_free(full);
  sqlite3_free(hat);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_augment_tvf = {
  "lmm_augment",
  "source_rowid INTEGER, response REAL, fitted REAL, fixed REAL, resid REAL, pearson REAL, normalized REAL, hat REAL, "
  "std_resid REAL, cooks_distance REAL",
  "model HIDDEN", 10, 1, 1, "lmm_augment needs a saved model: lmm_augment(name)", augment_fill, 1};
