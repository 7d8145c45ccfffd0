/* sql_error.h — SQLite's own error, passed on with the limit it names.
 *
 * A statement lmm builds (the data query, lmm_models, the fit's JSON) can
 * fail for a reason that is SQLite's, not the data's: a limit set with
 * sqlite3_limit(), an interrupt, a full disk.  That message is the one to
 * show, never a guess ("no such table", "damaged"), and where it comes from
 * a limit the message says which and what it is set to. */
#ifndef LMM_SQL_ERROR_H
#define LMM_SQL_ERROR_H

#include "sqlite3ext.h"

/* db's last error message (from sqlite3_mprintf; NULL when out of memory),
 * followed by "(SQLITE_LIMIT_X is N)" when a limit caused it. */
char *lmm_sql_errmsg(sqlite3 *db);

/* Whether db's last error is "no such table". */
int lmm_sql_no_such_table(sqlite3 *db);

#endif
