/* vcov.c — lmm_vcov(model): the covariance matrix of the fixed effects as
 * rows (term1, term2, covariance, correlation), as R's vcov() and the
 * correlation table of nlme's summary(). */
#include "tvfs.h"
SQLITE_EXTENSION_INIT3

#include <math.h>

#include "store.h"

static int vcov_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  char *json = NULL;
  int rc = lmm_store_json(db, (const char *)sqlite3_value_text(argv[0]), &json, errmsg);
  if (rc != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("lmm_vcov: %s", inner ? inner : "out of memory");
    sqlite3_free(inner);
    return rc;
  }
  /* terms and the matrix, row by row: (i, j, term_i, term_j, v_ij, v_ii, v_jj) */
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(db,
      "SELECT a.value, b.value, json_extract(?1, '$.vcov[' || a.key || '][' || b.key || ']'), "
      "json_extract(?1, '$.vcov[' || a.key || '][' || a.key || ']'), json_extract(?1, '$.vcov[' || b.key || '][' || b.key || ']') "
      "FROM json_each(?1, '$.fixed') a, json_each(?1, '$.fixed') b ORDER BY a.key, b.key", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) break;
      double v = sqlite3_column_double(st, 2), vi = sqlite3_column_double(st, 3), vj = sqlite3_column_double(st, 4);
      if (sqlite3_column_type(st, 2) == SQLITE_NULL) {   /* saved as NaN: beyond a double's range (fit.c) */
        *errmsg = sqlite3_mprintf("lmm_vcov: the covariance of '%s' and '%s' is beyond the range of double precision "
                                  "(about 1e-308 to 1e+308) in the data's units; rescale their columns or the response",
                                  sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
        sqlite3_free(json);
        return SQLITE_ERROR;
      }
      lmm_cell_column(rows, &c[0], st, 0);
      lmm_cell_column(rows, &c[1], st, 1);
      lmm_cell_real(&c[2], v);
      lmm_cell_real(&c[3], vi > 0 && vj > 0 ? v / (sqrt(vi) * sqrt(vj)) : NAN);
    }
    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
  }
  if (rc != SQLITE_OK) *errmsg = sqlite3_mprintf("lmm_vcov: not a fit: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_free(json);
  return rc;
}

const lmm_tvf lmm_vcov_tvf = {
  "lmm_vcov", "term1 TEXT, term2 TEXT, covariance REAL, correlation REAL", "model HIDDEN", 4, 1, 1,
  "lmm_vcov needs a model: lmm_vcov(name)", vcov_fill, 0};
