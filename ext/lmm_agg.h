/* lmm_agg.h — registers the lmm_agg aggregate. */
#ifndef LMM_AGG_H
#define LMM_AGG_H
#include "sqlite3ext.h"
int lmm_register_agg(sqlite3 *db);
#endif
