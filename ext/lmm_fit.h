/* lmm_fit.h — registers the lmm_fit table-valued function. */
#ifndef LMM_FIT_TVF_H
#define LMM_FIT_TVF_H
#include "sqlite3ext.h"
int lmm_register_fit(sqlite3 *db);
#endif
