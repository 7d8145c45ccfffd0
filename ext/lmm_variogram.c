/* lmm_variogram.c — lmm_variogram(model [, options]): rows (dist, variog, n_pairs) of nlme's
 * Variogram(m, form = ~ t, resType =, maxDist =) of a saved model, opened on its rows (a residual structure
 * honoured: Pearson residuals divided by its variance function, normalized ones whitened by its correlation).
 * Core computes it (core/variogram.h); this file copies it into cells. */
#include "lmm_variogram.h"
SQLITE_EXTENSION_INIT3

#include "../core/variogram.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

static int variogram_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_variogram_options o;
  lmm_error err = {0};
  const char *options = argv[1] ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  if (lmm_variogram_options_parse(options, &o, &err)) return lmm_sql_error(errmsg, "lmm_variogram", &err);
  lmm_model *m = NULL;
  int rc = lmm_store_open_structured(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_variogram", errmsg);
    return rc;
  }
  lmm_variogram *v = NULL;
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  if (lmm_model_variogram(m, &o, lmm_interrupt_probe_check, &probe, &v, &err))
    rc = lmm_sql_error(errmsg, "lmm_variogram", &err);
  lmm_interrupt_probe_end(&probe);
  for (size_t i = 0; rc == SQLITE_OK && i < v->n; i++) {
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) break;
    lmm_cell_real(&c[0], v->dist[i]);
    lmm_cell_real(&c[1], v->variog[i]);
    lmm_cell_int(&c[2], v->n_pairs[i]);
  }
  lmm_variogram_free(v);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_variogram_tvf = {
  .name = "lmm_variogram",
  .columns = "dist REAL, variog REAL, n_pairs INTEGER",
  .args = "model HIDDEN, options HIDDEN",
  .ncols = 3, .nargs = 2, .nrequired = 1,
  .usage = "lmm_variogram needs a saved model: lmm_variogram(name [, 'form=~ t, resType=normalized, maxDist=10'])",
  .fill = variogram_fill,
  .text_args = 3,
};
