/* lmm_stats_sql.h — lmm_stats_sql(data, formula [, random [, options [, dialect]]]): the queries that compute
 * a model's statistics where the rows live (core/stats.h), as rows (name, sql). */
#ifndef LMM_STATS_SQL_TVF_H
#define LMM_STATS_SQL_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_stats_sql_tvf;
/* The model of a call as the statistics see it (shared with lmm_fit_stats): parsed, refused where the
 * statistics cannot carry it (a residual structure), laid out with is_text deciding plain columns. */
struct lmm_model;
struct lmm_stats_layout;
int lmm_stats_model(const char *fn, const char *formula, const char *random, const char *options,
                    int (*is_text)(void *arg, const char *col), void *arg, struct lmm_model **m,
                    struct lmm_stats_layout *layout, char **errmsg);
#endif
