/* lmm_stats_sql.c — lmm_stats_sql(data, formula [, random [, options [, dialect]]]): the SQL core writes for a
 * model's statistics (core/stats.h), one row per query.  A plain column is a factor where the data is a table
 * here whose values in it are text (as a local fit reads them); a table elsewhere is read as numbers. */
#include "lmm_stats_sql.h"
SQLITE_EXTENSION_INIT3

#include "../core/model.h"
#include "../core/stats.h"
#include "source.h"
#include "sql_error.h"

typedef struct text_probe { sqlite3 *db; const char *from; } text_probe;

/* Text in any of its values, as lmm_fit makes a factor of a column that holds text anywhere, or, in a table
 * without values (the declaration of a table elsewhere), declared TEXT.  The table is the one lmm_fit would read
 * (main.t, "t", a view): the whole argument quoted as one name found no table for main.t, and a TEXT column of
 * codes entered the statistics as a number.  Only the first value was asked once: a number column with one text
 * value was a slope here and a factor to lmm_fit. */
static int column_is_text(void *arg, const char *col) {
  text_probe *p = arg;
  if (!p->from) return 0;   /* no table of that name here: a table elsewhere, undeclared */
  int declared, text = lmm_source_any_text(p->db, p->from, col, &declared);
  return text >= 0 ? text : declared;
}

int lmm_stats_model(const char *fn, const char *formula, const char *random, const char *options,
                    int (*is_text)(void *arg, const char *col), void *arg, lmm_model **m, lmm_stats_layout *layout,
                    char **errmsg) {
  lmm_error err = {0};
  int rc = lmm_model_begin(formula, random, options, m, &err);
  if (!rc && (*m)->structure)
    rc = lmm_fail(&err, LMM_ERR, "weights= and correlation= need the rows at every evaluation of the fit, which the "
                  "statistics do not carry: fit such a model with lmm_fit on the rows");
  if (!rc) rc = lmm_stats_names((*m)->formula, 1, &err);
  if (!rc) rc = lmm_stats_layout_new((*m)->formula, is_text, arg, layout, &err);
  if (rc) {
    lmm_model_free(*m);
    *m = NULL;
    return lmm_sql_error(errmsg, fn, &err);
  }
  return SQLITE_OK;
}

static int stats_sql_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *data = (const char *)sqlite3_value_text(argv[0]), *formula = (const char *)sqlite3_value_text(argv[1]);
  const char *random = argv[2] ? (const char *)sqlite3_value_text(argv[2]) : NULL;
  const char *options = argv[3] ? (const char *)sqlite3_value_text(argv[3]) : NULL;
  const char *dname = argv[4] && sqlite3_value_type(argv[4]) != SQLITE_NULL ? (const char *)sqlite3_value_text(argv[4])
                                                                           : "sqlite";
  int dialect = lmm_stats_dialect(dname);
  if (dialect < 0) {
    *errmsg = sqlite3_mprintf("lmm_stats_sql: dialect '%s' is not one of sqlite, clickhouse, postgresql, duckdb, spark",
                              dname);
    return SQLITE_ERROR;
  }
  char *from = NULL, *why = NULL;
  int found = lmm_source_from(db, data, &from, &why);
  if (found != SQLITE_OK && found != SQLITE_ERROR) {   /* out of memory, interrupted, busy: not "a table elsewhere" */
    sqlite3_free(from);
    if (found != SQLITE_NOMEM) *errmsg = sqlite3_mprintf("lmm_stats_sql: %s", why ? why : sqlite3_errstr(found));
    sqlite3_free(why);
    return found;
  }
  sqlite3_free(why);   /* a name not found here: a table elsewhere, read without types (column_is_text) */
  text_probe probe = {db, from};
  lmm_model *m = NULL;
  lmm_stats_layout layout;
  int rc = lmm_stats_model("lmm_stats_sql", formula, random, options, column_is_text, &probe, &m, &layout, errmsg);
  sqlite3_free(from);
  if (rc) return rc;
  char *names[LMM_STATS_MAX_QUERIES], *sqls[LMM_STATS_MAX_QUERIES];
  int n = 0;
  lmm_error err = {0};
  if (lmm_stats_sql(&layout, data, dialect, names, sqls, &n, &err)) rc = lmm_sql_error(errmsg, "lmm_stats_sql", &err);
  for (int k = 0; k < n && !rc; k++) {
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) break;
    lmm_cell_text(rows, &c[0], names[k]);
    lmm_cell_text(rows, &c[1], sqls[k]);
  }
  lmm_stats_sql_free(names, sqls, n);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_stats_sql_tvf = {
  .name = "lmm_stats_sql",
  .columns = "name TEXT, sql TEXT",
  .args = "data HIDDEN, formula HIDDEN, random HIDDEN, options HIDDEN, dialect HIDDEN",
  .ncols = 2, .nargs = 5, .nrequired = 2,
  .usage = "lmm_stats_sql needs a table and a formula: lmm_stats_sql(data, formula [, random [, options [, dialect]]]), "
           "dialect one of sqlite (the default), clickhouse, postgresql, duckdb, spark",
  .fill = stats_sql_fill,
  .text_args = 31,
};
