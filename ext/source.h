/* source.h — reading the rows a model needs from a table, a view or a query. */
#ifndef LMM_SOURCE_H
#define LMM_SOURCE_H

#include "sqlite3ext.h"
#include "../core/model.h"

/* Scan `data` (table, schema.table, view, or a read-only SELECT/WITH query)
 * into the model.  On error returns non-zero with *errmsg from sqlite3_mprintf. */
int lmm_source_scan(sqlite3 *db, const char *data, lmm_model *m, char **errmsg);

/* Nonzero once sqlite3_interrupt() has been called on db. */
int lmm_source_interrupted(void *db);

#endif
