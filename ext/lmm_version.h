/* lmm_version.h — registers lmm_version(). */
#ifndef LMM_VERSION_FN_H
#define LMM_VERSION_FN_H
#include "sqlite3ext.h"
int lmm_register_version(sqlite3 *db);
#endif
