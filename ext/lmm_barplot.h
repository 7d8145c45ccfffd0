/* lmm_barplot.h — lmm_barplot(label [, count [, options]]): barplot(table(label)) over any query, as SVG. */
#ifndef LMM_BARPLOT_EXT_H
#define LMM_BARPLOT_EXT_H
#include "sqlite3ext.h"
int lmm_register_barplot(sqlite3 *db);
#endif
