/* fit_vtab.h — registers the lmm_fit table-valued function. */
#ifndef LMM_FIT_VTAB_H
#define LMM_FIT_VTAB_H
#include "sqlite3ext.h"
int lmm_register_fit(sqlite3 *db);
#endif
