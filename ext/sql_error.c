/* sql_error.c — errors at the boundary (see sql_error.h).
 *
 * SQLite's messages for a limit are fixed texts (sqlite3.c: "statement too
 * long", "string or blob too big", ...); each is matched to the limit that
 * raises it. */
#include "sql_error.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

static const struct {
  const char *says;
  int limit;
  const char *name;
} limits[] = {
  {"statement too long", SQLITE_LIMIT_SQL_LENGTH, "SQLITE_LIMIT_SQL_LENGTH"},
  {"string or blob too big", SQLITE_LIMIT_LENGTH, "SQLITE_LIMIT_LENGTH"},
  {"too many columns", SQLITE_LIMIT_COLUMN, "SQLITE_LIMIT_COLUMN"},
  {"variable number must be between", SQLITE_LIMIT_VARIABLE_NUMBER, "SQLITE_LIMIT_VARIABLE_NUMBER"},
  {"too many arguments on", SQLITE_LIMIT_FUNCTION_ARG, "SQLITE_LIMIT_FUNCTION_ARG"},
  {"too many terms in compound SELECT", SQLITE_LIMIT_COMPOUND_SELECT, "SQLITE_LIMIT_COMPOUND_SELECT"},
  {"Expression tree is too large", SQLITE_LIMIT_EXPR_DEPTH, "SQLITE_LIMIT_EXPR_DEPTH"},
  {"too many attached databases", SQLITE_LIMIT_ATTACHED, "SQLITE_LIMIT_ATTACHED"},
  {"pattern too complex", SQLITE_LIMIT_LIKE_PATTERN_LENGTH, "SQLITE_LIMIT_LIKE_PATTERN_LENGTH"},
  {"too many levels of trigger recursion", SQLITE_LIMIT_TRIGGER_DEPTH, "SQLITE_LIMIT_TRIGGER_DEPTH"},
};

int lmm_sql_error(char **zErr, const char *fn, const lmm_error *e) {
  sqlite3_free(*zErr);
  *zErr = fn ? sqlite3_mprintf("%s: %s", fn, e->msg) : sqlite3_mprintf("%s", e->msg);
  return e->code == LMM_NOMEM ? SQLITE_NOMEM : e->code == LMM_INTERRUPTED ? SQLITE_INTERRUPT : SQLITE_ERROR;
}

char *lmm_sql_errmsg(sqlite3 *db) {
  const char *msg = sqlite3_errmsg(db);
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++)
    if (strstr(msg, limits[i].says))
      return sqlite3_mprintf("%s (%s is %d)", msg, limits[i].name, sqlite3_limit(db, limits[i].limit, -1));
  return sqlite3_mprintf("%s", msg);
}

int lmm_sql_no_such_table(sqlite3 *db) { return !strncmp(sqlite3_errmsg(db), "no such table", 13); }

int lmm_sql_prepare(sqlite3 *db, const char *sql, unsigned flags, sqlite3_stmt **st, const char **tail) {
  size_t n = strlen(sql);
  if (n > 0x7fffffff) n = 0x7fffffff;   /* over every limit: SQLite refuses it as too long */
  return sqlite3_prepare_v3(db, sql, (int)n, flags, st, tail);
}

int lmm_sql_declare_vtab(sqlite3 *db, const char *fn, const char *schema, char **err) {
  int rc = sqlite3_declare_vtab(db, schema);
  if (rc == SQLITE_OK || rc == SQLITE_NOMEM) return rc;
  int most = sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, -1);
  char *why = (long long)strlen(schema) > most ? sqlite3_mprintf("its declaration is %lld bytes (SQLITE_LIMIT_SQL_LENGTH is %d)",
                                                                  (long long)strlen(schema), most)
                                               : lmm_sql_errmsg(db);
  *err = sqlite3_mprintf("%s: cannot declare its columns: %s", fn, why ? why : "out of memory");
  sqlite3_free(why);
  return rc;
}
