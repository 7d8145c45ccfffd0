/* lmm_histogram.h — lmm_histogram(x [, options]): hist(x) over any query, as SVG. */
#ifndef LMM_HISTOGRAM_EXT_H
#define LMM_HISTOGRAM_EXT_H
#include "sqlite3ext.h"
int lmm_register_histogram(sqlite3 *db);
#endif
