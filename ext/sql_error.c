/* sql_error.c — SQLite's errors with their limits named (see sql_error.h).
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

char *lmm_sql_errmsg(sqlite3 *db) {
  const char *msg = sqlite3_errmsg(db);
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++)
    if (strstr(msg, limits[i].says))
      return sqlite3_mprintf("%s (%s is %d)", msg, limits[i].name, sqlite3_limit(db, limits[i].limit, -1));
  return sqlite3_mprintf("%s", msg);
}

int lmm_sql_no_such_table(sqlite3 *db) { return !strncmp(sqlite3_errmsg(db), "no such table", 13); }
