/* saved_query.h — what the data query of a saved model may run (see saved_query.c). */
#ifndef LMM_SAVED_QUERY_H
#define LMM_SAVED_QUERY_H

#include "sqlite3ext.h"

/* SQLITE_OK when data (a saved model's data argument) may be run again: a
 * table or view name, or a query that calls only what a view of this
 * database may call and reads no virtual table.  Else an SQLite error code,
 * with *errmsg from sqlite3_mprintf unless out of memory. */
int lmm_saved_query_check(sqlite3 *db, const char *data, char **errmsg);

#endif
