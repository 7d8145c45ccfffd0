/* saved_query.c — what the data query of a saved model may run.
 *
 * A saved model keeps the data argument of its fit, and lmm_ranef,
 * lmm_augment and lmm_predict run it again.  That text comes from the
 * database — lmm_models is an ordinary table that whoever made the database
 * could fill — not from the user who calls the function, so it is held to
 * the rules SQLite applies to a view of the database: no function that
 * SQLite keeps to the user's own statements (SQLITE_DIRECTONLY, such as
 * load_extension() or the shell's writefile()), and with PRAGMA
 * trusted_schema=OFF only functions declared SQLITE_INNOCUOUS.  Stricter
 * than for a view, it may read no virtual table (lmm_fit itself writes when
 * asked to save).  A table or view name needs no check: SQLite applies these
 * rules to a view's own SQL. */
#include "saved_query.h"
SQLITE_EXTENSION_INIT3

#include "sql_error.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"

/* The bits PRAGMA function_list reports in its flags column. */
enum { FLAG_DIRECTONLY = 0x080000, FLAG_INNOCUOUS = 0x200000 };

/* Whether a call shown by EXPLAIN as "name(nargs)" may be made; flags is
 * the prepared look-up of PRAGMA function_list. */
static int call_allowed(sqlite3_stmt *flags, const char *call, int trusted, char **errmsg) {
  const char *open = strrchr(call, '(');
  int len = open ? (int)(open - call) : (int)strlen(call);
  sqlite3_bind_text(flags, 1, call, len, SQLITE_STATIC);
  sqlite3_bind_int(flags, 2, open ? atoi(open + 1) : -1);
  int rc = sqlite3_step(flags);
  int known = rc == SQLITE_ROW && sqlite3_column_int(flags, 0) > 0;
  int direct = known && sqlite3_column_int(flags, 1), innocuous = known && sqlite3_column_int(flags, 2);
  sqlite3_reset(flags);
  if (rc != SQLITE_ROW) return rc;
  const char *why = !known ? "which SQLite does not list"
                    : direct ? "which SQLite lets only the user's own statements call (SQLITE_DIRECTONLY)"
                    : !trusted && !innocuous ? "which is not innocuous, and trusted_schema is off" : NULL;
  if (!why) return SQLITE_OK;
  *errmsg = sqlite3_mprintf("the data query of a saved model may call only what a view of this database may call: "
                            "it calls %.*s(), %s", len, call, why);
  return SQLITE_ERROR;
}

int lmm_saved_query_check(sqlite3 *db, const char *data, char **errmsg) {
  int is_query = 0, rc = lmm_source_is_query(db, data, &is_query, errmsg);
  if (rc != SQLITE_OK || !is_query) return rc;
  static const char *const calls[] = {"Function", "PureFunc", "AggStep", "AggStep1", "AggValue", "AggInverse", "AggFinal"};
  int trusted = 1;
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &trusted);
  char *sql = sqlite3_mprintf("EXPLAIN %s", data);
  sqlite3_stmt *plan = NULL, *flags = NULL;
  rc = sql ? lmm_sql_prepare(db, sql, SQLITE_PREPARE_NO_VTAB, &plan, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
    *errmsg = sqlite3_mprintf("the data query of a saved model, which may read no virtual table, does not compile: %s",
                              sqlite3_errmsg(db));
  if (rc == SQLITE_OK)
    rc = lmm_sql_prepare(db, "SELECT count(*), max(flags & 524288) != 0, min(flags & 2097152) != 0 FROM pragma_function_list "
                                "WHERE name = ?1 COLLATE NOCASE AND narg IN (?2, -1)", 0, &flags, NULL);
  /* EXPLAIN lists every function the statement calls, those of the views it reads included */
  while (rc == SQLITE_OK && (rc = sqlite3_step(plan)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    const char *op = (const char *)sqlite3_column_text(plan, 1), *p4 = (const char *)sqlite3_column_text(plan, 5);
    if (!op) { rc = SQLITE_NOMEM; break; }
    for (size_t i = 0; i < sizeof calls / sizeof *calls && rc == SQLITE_OK; i++)
      if (!strcmp(op, calls[i])) rc = p4 ? call_allowed(flags, p4, trusted, errmsg) : SQLITE_NOMEM;
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_finalize(plan);
  sqlite3_finalize(flags);
  return rc;
}
