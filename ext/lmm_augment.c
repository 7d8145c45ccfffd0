/* lmm_augment.c — lmm_augment(model): one row per row the saved model used, with
 * its source rowid (to join back; NULL where the data give none) and its
 * position among the rows read, the response, fitted values with and
 * without the random effects, and residuals: response, Pearson and nlme's
 * normalized; for fits without random effects also R's hatvalues(),
 * rstandard() and cooks.distance().  Core computes them (residuals.h);
 * this file copies them into cells. */
#include "lmm_augment.h"
SQLITE_EXTENSION_INIT3

#include "lmm_augment_sql.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

static void copy_rows(const lmm_model *m, const lmm_residuals *res, lmm_rowset *rows) {
  for (size_t i = 0; i < res->n; i++) {
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) return;
    if (m->frame->has_rowid) lmm_cell_int(&c[0], m->frame->rowid[i]);   /* else NULL, never a made-up rowid */
    lmm_cell_int(&c[1], m->frame->row[i]);
    lmm_cell_real(&c[2], m->design->y[i]);
    lmm_cell_real(&c[3], res->fitted[i]);
    lmm_cell_real(&c[4], res->fixed[i]);
    lmm_cell_real(&c[5], res->response[i]);
    lmm_cell_real(&c[6], res->pearson[i]);
    lmm_cell_real(&c[7], res->normalized[i]);
    if (res->hat) {
      lmm_cell_real(&c[8], res->hat[i]);
      lmm_cell_real(&c[9], res->std_resid[i]);
      lmm_cell_real(&c[10], res->cooks[i]);
    }
  }
}

static int augment_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_model *m = NULL;
  int rc = lmm_store_open_structured(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg);
  if (rc != SQLITE_OK) {
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    if (lmm_augment_sql_from_stats(db, name)) {   /* its data is the statistics, which hold no rows */
      sqlite3_free(*errmsg);
      *errmsg = sqlite3_mprintf("lmm_augment: the saved model '%s' was fitted from statistics (lmm_fit_stats) and its "
                                "rows live elsewhere: run the query of lmm_augment_sql('%s', 'table' [, dialect]) where "
                                "they are", name, name);
      return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    lmm_source_error_in("lmm_augment", errmsg);
    return rc;
  }
  lmm_residuals *res = NULL;
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  if (lmm_model_residuals(m, lmm_interrupt_probe_check, &probe, &res, &err)) rc = lmm_sql_error(errmsg, "lmm_augment", &err);
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_OK) copy_rows(m, res, rows);
  lmm_residuals_free(res);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_augment_tvf = {
  .name = "lmm_augment",
  .columns = "source_rowid INTEGER, row INTEGER, response REAL, fitted REAL, fixed REAL, resid REAL, pearson REAL, normalized REAL, "
             "hat REAL, std_resid REAL, cooks_distance REAL",
  .args = "model HIDDEN",
  .ncols = 11, .nargs = 1, .nrequired = 1,
  .usage = "lmm_augment needs a saved model: lmm_augment(name)",
  .fill = augment_fill,
  .text_args = 1,
  .keyed = 1,
};
