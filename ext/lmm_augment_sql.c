/* lmm_augment_sql.c — lmm_augment_sql(model [, data [, dialect]]): the SQL core writes (core/augment_sql.h) for a
 * saved model, restored without its rows; data is the table where the rows live (the saved model's own data by
 * default, which a model fitted from statistics must be given: its saved data is the statistics). */
#include "lmm_augment_sql.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "../core/alloc.h"
#include "../core/augment_sql.h"
#include "../core/stats.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

int lmm_augment_sql_from_stats(sqlite3 *db, const char *name) {
  lmm_saved_fit *s = NULL;
  char *msg = NULL;
  name += strspn(name, " \t\n\r");
  if (*name == '{') return 0;   /* lmm_agg's fit JSON, which keeps no fingerprint either and has no table */
  int stats = lmm_store_read(db, name, &s, &msg) == SQLITE_OK && !strcmp(s->fingerprint, "0000000000000000");
  lmm_saved_fit_free(s);
  sqlite3_free(msg);
  return stats;
}

static int augment_sql_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  const char *data = argv[1] && sqlite3_value_type(argv[1]) != SQLITE_NULL ? (const char *)sqlite3_value_text(argv[1])
                                                                           : NULL;
  const char *dname = argv[2] && sqlite3_value_type(argv[2]) != SQLITE_NULL ? (const char *)sqlite3_value_text(argv[2])
                                                                           : "sqlite";
  int dialect = lmm_stats_dialect(dname);
  if (dialect < 0) {
    *errmsg = sqlite3_mprintf("lmm_augment_sql: dialect '%s' is not one of sqlite, clickhouse, postgresql, duckdb, "
                              "spark", dname);
    return SQLITE_ERROR;
  }
  lmm_model *m = NULL;
  char *call[4] = {0};
  int rc = lmm_store_restore(db, name, &m, errmsg);
  if (rc == SQLITE_OK && !data && lmm_augment_sql_from_stats(db, name)) {
    *errmsg = sqlite3_mprintf("lmm_augment_sql: the saved model '%s' was fitted from statistics, whose table holds no "
                              "rows: give the table where its rows live, lmm_augment_sql('%s', 'table' [, dialect])",
                              name, name);
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK && !data && (rc = lmm_store_call(db, name, call, errmsg)) == SQLITE_OK) data = call[0];
  /* a query (lmm_fit's data may be one) is SQLite's: it is checked as lmm_fit checks it, one statement that only
   * reads, and written in as that statement alone; never pasted as it is, for a saved model's data is whatever
   * the database's maker wrote there */
  int is_query = 0;
  char *from = NULL;
  if (rc == SQLITE_OK) rc = lmm_source_is_query(db, data, &is_query, errmsg);
  if (rc == SQLITE_OK && is_query && dialect != LMM_SQL_SQLITE) {
    *errmsg = sqlite3_mprintf("lmm_augment_sql: the data is an SQLite query (\"%.60s\"); for %s give the table where "
                              "the rows live: lmm_augment_sql('%s', 'table', '%s')", data, dname, name, dname);
    rc = SQLITE_ERROR;
  }
  if (rc == SQLITE_OK && is_query) rc = lmm_source_from(db, data, &from, errmsg);
  if (rc != SQLITE_OK) lmm_source_error_in("lmm_augment_sql", errmsg);
  lmm_error err = {0};
  char *sql = NULL;
  if (rc == SQLITE_OK && lmm_augment_sql(m, is_query ? NULL : data, from, dialect, &sql, &err))
    rc = lmm_sql_error(errmsg, "lmm_augment_sql", &err);
  sqlite3_free(from);
  lmm_cell *c = rc == SQLITE_OK ? lmm_rowset_add(rows) : NULL;
  if (c) {
    lmm_cell_text(rows, &c[0], "augment");
    lmm_cell_text(rows, &c[1], sql);
  }
  lmm_free(sql);
  for (int i = 0; i < 4; i++) sqlite3_free(call[i]);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_augment_sql_tvf = {
  .name = "lmm_augment_sql",
  .columns = "name TEXT, sql TEXT",
  .args = "model HIDDEN, data HIDDEN, dialect HIDDEN",
  .ncols = 2, .nargs = 3, .nrequired = 1,
  .usage = "lmm_augment_sql needs a saved model: lmm_augment_sql(model [, data [, dialect]]), dialect one of sqlite "
           "(the default), clickhouse, postgresql, duckdb, spark",
  .fill = augment_sql_fill,
  .text_args = 7,
};
