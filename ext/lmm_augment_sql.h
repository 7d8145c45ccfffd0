/* lmm_augment_sql.h — lmm_augment_sql(model [, data [, dialect]]): the query that computes a saved model's fitted
 * values and residuals where its rows live (core/augment_sql.h), as one row (name, sql). */
#ifndef LMM_AUGMENT_SQL_TVF_H
#define LMM_AUGMENT_SQL_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_augment_sql_tvf;
/* Whether saved model name was fitted from statistics (lmm_fit_stats: it keeps no fingerprint of rows). */
int lmm_augment_sql_from_stats(sqlite3 *db, const char *name);
#endif
