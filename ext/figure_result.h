/* figure_result.h — what lmm_histogram and lmm_barplot share: their options argument, taken from the first
 * row, and the figure or core's error as the aggregate's result. */
#ifndef LMM_FIGURE_RESULT_H
#define LMM_FIGURE_RESULT_H

#include "sqlite3ext.h"
#include "../core/lmm_error.h"

/* The options argument v (text or NULL) copied into *options (sqlite3_malloc'd; NULL for NULL): SQLITE_OK, or
 * the error in *errmsg (NULL when out of memory). */
int lmm_figure_options_arg(sqlite3_value *v, const char *fn, char **options, char **errmsg);
/* msg (sqlite3_mprintf'd, NULL when that ran out of memory) as the function's error; msg freed. */
void lmm_figure_fail(sqlite3_context *ctx, char *msg);
/* rc LMM_OK: svg (core's, freed here) as the result; else err as fn's SQL error. */
void lmm_figure_result(sqlite3_context *ctx, const char *fn, int rc, char *svg, const lmm_error *err);

#endif
