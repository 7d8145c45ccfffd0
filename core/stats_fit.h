/* stats_fit.h — a fit from a model's statistics (stats.h) in place of its rows: the same blocks the pass over
 * the rows makes (accumulate.c), then the same fitter and tidy rows (model.h). */
#ifndef LMM_STATS_FIT_H
#define LMM_STATS_FIT_H

#include "model.h"
#include "stats.h"

/* The statistics' rows: for group g, its keys (the layout's order) at keys + g * nkeys, its sums at
 * sums + g * nsums (s_0_0 = n, then s_a_b for a <= b in row order: lmm_stats_nsums), the centers c_1 ..
 * c_{m+1} and the largest magnitudes (mx_<v> at mx[v], mx_y at mx[f->nvars]) as the first group gives them. */
typedef struct lmm_stats_rows {
  size_t ngroups;
  const lmm_value *keys;
  const double *sums;
  const int *part;   /* each group's part (stats.h) */
  const double *centers;
  const double *mx;
  double nall;   /* the rows of the first pass */
} lmm_stats_rows;

int lmm_stats_nsums(const lmm_stats_layout *l);
/* m from lmm_model_begin, no rows added: fitted from the statistics, its result as lmm_model_fit's. */
int lmm_model_fit_stats(lmm_model *m, const lmm_stats_layout *l, const lmm_stats_rows *r, int (*interrupted)(void *),
                        void *ctx, lmm_error *err);

#endif
