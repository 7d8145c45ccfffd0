/* lmm_fit_stats.h — lmm_fit_stats(prefix, formula [, random [, options]]): a fit from the statistics in the
 * tables <prefix>_center and <prefix>_groups (core/stats.h), as lmm_fit's rows. */
#ifndef LMM_FIT_STATS_TVF_H
#define LMM_FIT_STATS_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_fit_stats_tvf;
#endif
