/* lmm_plot.h — lmm_plot(models, kind [, options]): a saved model's figure as an SVG document. */
#ifndef LMM_PLOT_EXT_H
#define LMM_PLOT_EXT_H
#include "sqlite3ext.h"
int lmm_register_plot(sqlite3 *db);
#endif
