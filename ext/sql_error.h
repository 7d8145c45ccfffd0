/* sql_error.h — errors at the boundary: core's lmm_error as an SQL error,
 * and SQLite's own error passed on with the limit it names.
 *
 * lmm_sql_error is the one place an lmm_error becomes an SQLite code and
 * message; every function calls it, so that out of memory is SQLITE_NOMEM
 * and an interrupt SQLITE_INTERRUPT wherever they happen.
 *
 * A statement lmm builds (the data query, lmm_models, the fit's JSON) can
 * fail for a reason that is SQLite's, not the data's: a limit set with
 * sqlite3_limit(), an interrupt, a full disk.  That message is the one to
 * show, never a guess ("no such table", "damaged"), and where it comes from
 * a limit the message says which and what it is set to. */
#ifndef LMM_SQL_ERROR_H
#define LMM_SQL_ERROR_H

#include "sqlite3ext.h"
#include "../core/lmm_error.h"

/* "fn: msg" into *zErr (fn NULL: msg alone), the old message freed; returns
 * SQLITE_NOMEM, SQLITE_INTERRUPT or SQLITE_ERROR.  *zErr is NULL when the
 * message could not be made. */
int lmm_sql_error(char **zErr, const char *fn, const lmm_error *e);

/* db's last error message (from sqlite3_mprintf; NULL when out of memory),
 * followed by "(SQLITE_LIMIT_X is N)" when a limit caused it. */
char *lmm_sql_errmsg(sqlite3 *db);

/* sqlite3_prepare_v3 with the statement's length given: one longer than
 * SQLITE_LIMIT_SQL_LENGTH then fails with "statement too long" (given -1,
 * SQLite says "string or blob too big", SQLITE_LIMIT_LENGTH's message). */
int lmm_sql_prepare(sqlite3 *db, const char *sql, unsigned flags, sqlite3_stmt **st, const char **tail);

/* sqlite3_declare_vtab for the function fn, with *err (for xConnect) saying
 * why it failed: SQLite says only "vtable constructor failed". */
int lmm_sql_declare_vtab(sqlite3 *db, const char *fn, const char *schema, char **err);

/* Whether db's last error is "no such table". */
int lmm_sql_no_such_table(sqlite3 *db);

#endif
