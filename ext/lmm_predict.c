/* lmm_predict.c — lmm_predict(model, data [, level]): predictions of a saved
 * model for the rows of a table, view or query (source_rowid, row, prediction).
 * level 0 gives the population prediction; by default the random effects of
 * every term enter, and groups the fit never saw get the population value. */
#include "lmm_predict.h"
SQLITE_EXTENSION_INIT3

#include "../core/predict.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

#include <string.h>

typedef struct predict_ctx {
  lmm_predictor *p;
  lmm_rowset *rows;
} predict_ctx;

static int predict_one(void *ctx, const lmm_value *vals, int64_t row, const int64_t *rowid, lmm_error *err) {
  predict_ctx *pc = ctx;
  double pred;
  int rc = lmm_predict_row(pc->p, vals, rowid ? *rowid : row, &pred, err);
  if (rc) return rc;
  lmm_cell *c = lmm_rowset_add(pc->rows);
  if (!c) return lmm_rowset_refused(pc->rows, err);
  if (rowid) lmm_cell_int(&c[0], *rowid);   /* else NULL: no number that looks like a rowid and is not */
  lmm_cell_int(&c[1], row);
  lmm_cell_real(&c[2], pred);
  return LMM_OK;
}

/* The level argument: absent or NULL for every random-effects term, else a
 * whole number from 0 (the fixed effects only) to the model's deepest
 * nesting. */
static int read_level(sqlite3_value *v, const lmm_model *m, int *level, char **errmsg) {
  int deepest = 0;
  for (int t = 0; t < m->design->nre; t++)
    if (m->design->re[t].nvars > deepest) deepest = m->design->re[t].nvars;
  *level = -1;
  if (!v || sqlite3_value_type(v) == SQLITE_NULL) return SQLITE_OK;
  int type = sqlite3_value_numeric_type(v);
  double x = sqlite3_value_double(v);
  if ((type == SQLITE_INTEGER || type == SQLITE_FLOAT) && x >= 0 && x <= deepest && x == (int)x) {
    *level = (int)x;
    return SQLITE_OK;
  }
  const char *shown = (const char *)sqlite3_value_text(v);
  if (!shown) return SQLITE_NOMEM;
  *errmsg = sqlite3_mprintf("lmm_predict: level is '%.40s'; it must be a whole number from 0 (the fixed effects only) "
                            "to %d (every random-effects term), or NULL", shown, deepest);
  return SQLITE_ERROR;
}

static int predict_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_model *m = NULL;
  lmm_predictor *p = NULL;
  const char **names = NULL;
  int level = -1;
  int rc = lmm_store_restore_structured(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg);
  lmm_error err = {0};
  if (rc == SQLITE_OK) rc = read_level(argv[2], m, &level, errmsg);
  if (rc == SQLITE_OK && lmm_predictor_new(m, level, &p, &err)) rc = lmm_sql_error(errmsg, "lmm_predict", &err);
  if (rc == SQLITE_OK) {
    int nc = lmm_predictor_ncols(p);
    names = sqlite3_malloc64(sizeof *names * (size_t)(nc ? nc : 1));
    if (!names) rc = SQLITE_NOMEM;
    for (int i = 0; rc == SQLITE_OK && i < nc; i++) names[i] = lmm_predictor_col(p, i);
    predict_ctx pc = {p, rows};
    if (rc == SQLITE_OK) rc = lmm_source_each(db, (const char *)sqlite3_value_text(argv[1]), nc, names, predict_one, &pc, NULL, NULL, errmsg);
  }
  if (rc != SQLITE_OK) lmm_source_error_in("lmm_predict", errmsg);
  sqlite3_free(names);
  lmm_predictor_free(p);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_predict_tvf = {
  .name = "lmm_predict",
  .columns = "source_rowid INTEGER, row INTEGER, prediction REAL",
  .args = "model HIDDEN, data HIDDEN, level HIDDEN",
  .ncols = 3, .nargs = 3, .nrequired = 2,
  .usage = "lmm_predict needs a saved model and data: lmm_predict(name, data [, level])",
  .fill = predict_fill,
  .keyed = 1,
};
