/* tidy.c — lmm_tidy(model): the rows lmm_fit returned, for a saved model's
 * name or for the fit JSON an lmm_agg() group returns:
 *
 *   SELECT * FROM lmm_tidy('lmm6');
 *   SELECT g.reg, t.* FROM (SELECT reg, lmm_agg(...) AS fit FROM arabidopsis GROUP BY reg) g, lmm_tidy(g.fit) t;
 */
#include "tvfs.h"
SQLITE_EXTENSION_INIT3

#include "store.h"

static int tidy_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  char *json = NULL;
  int rc = lmm_store_json(db, (const char *)sqlite3_value_text(argv[0]), &json, errmsg);
  if (rc != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("lmm_tidy: %s", inner ? inner : "out of memory");
    sqlite3_free(inner);
    return rc;
  }
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(db, "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
                              "json_extract(value, '$[4]'), json_extract(value, '$[5]'), "
                              "json_extract(value, '$[6]'), json_extract(value, '$[7]') FROM json_each(?1, '$.rows')", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) break;
      for (int k = 0; k < 8; k++) lmm_cell_column(rows, &c[k], st, k);
    }
    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
  }
  if (rc != SQLITE_OK) *errmsg = sqlite3_mprintf("lmm_tidy: not a fit: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_free(json);
  return rc;
}

const lmm_tvf lmm_tidy_tvf = {
  "lmm_tidy", "effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, p_value REAL",
  "model HIDDEN", 8, 1, 1, "lmm_tidy needs a model: lmm_tidy(name) or lmm_tidy(fit) with a fit from lmm_agg", tidy_fill, 0};
