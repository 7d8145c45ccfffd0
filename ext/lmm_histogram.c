/* lmm_histogram.c — lmm_histogram(x [, options]): an aggregate that gathers a numeric expression's values
 * (NULL rows left out) and returns hist(x)'s figure as SVG (core/plot.h; breaks and counts core/pretty.h):
 *
 *   SELECT lmm_histogram(ln(1 + total_fruits), 'title=log(1 + total fruits)') FROM arabidopsis;
 *
 * The options are read from the first row; no rows give NULL. */
#include "lmm_histogram.h"
SQLITE_EXTENSION_INIT3

#include <math.h>

#include "../core/plot.h"
#include "figure_result.h"
#include "text_arg.h"

/* The row's error as the aggregate's, and no more rows read. */
#define agg_fail(ctx, s, msg) ((s)->failed = 1, lmm_figure_fail((ctx), (msg)))

typedef struct hist_state {
  double *x;           /* sqlite3_malloc'd */
  sqlite3_int64 n, cap, rows;
  char *options;       /* the first row's, sqlite3_malloc'd */
  int failed, started;
} hist_state;

static void hist_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  hist_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
  if (!s) { sqlite3_result_error_nomem(ctx); return; }
  if (s->failed) return;
  s->rows++;
  if (!s->started) {
    s->started = 1;
    if (argc < 1 || argc > 2) {
      agg_fail(ctx, s, sqlite3_mprintf("lmm_histogram takes a number and options: lmm_histogram(x [, 'title=...'])"));
      return;
    }
    char *why = NULL;
    if (argc == 2 && lmm_figure_options_arg(argv[1], "lmm_histogram", &s->options, &why) != SQLITE_OK) {
      agg_fail(ctx, s, why);
      return;
    }
  }
  int type = sqlite3_value_type(argv[0]);
  if (type == SQLITE_NULL) return;
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_histogram: row %lld gives %s where a number is needed; cast it or leave the "
                                      "row out", (long long)s->rows, lmm_value_kind(argv[0])));
    return;
  }
  double v = sqlite3_value_double(argv[0]);
  if (!isfinite(v)) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_histogram: row %lld gives %g, which is not finite; leave it out", (long long)s->rows, v));
    return;
  }
  if (s->n == s->cap) {
    sqlite3_int64 cap = s->cap ? 2 * s->cap : 1024;
    double *x = sqlite3_realloc64(s->x, sizeof *x * (sqlite3_uint64)cap);
    if (!x) { agg_fail(ctx, s, NULL); return; }
    s->x = x;
    s->cap = cap;
  }
  s->x[s->n++] = v;
}

static void hist_final(sqlite3_context *ctx) {
  hist_state *s = sqlite3_aggregate_context(ctx, 0);
  if (!s || !s->started) { sqlite3_result_null(ctx); return; }
  if (!s->failed) {
    lmm_plot_options o;
    lmm_error err = {0};
    char *svg = NULL;
    int rc = lmm_plot_options_parse(s->options, LMM_PLOT_HISTOGRAM, &o, &err);
    if (!rc) rc = lmm_plot_histogram(s->x, (size_t)s->n, &o, &svg, &err);
    lmm_figure_result(ctx, "lmm_histogram", rc, svg, &err);
  }
  sqlite3_free(s->x);
  sqlite3_free(s->options);
}

/* Deterministic (the same values give the same figure), and, as every lmm function, SQLITE_DIRECTONLY. */
int lmm_register_histogram(sqlite3 *db) {
  return sqlite3_create_function(db, "lmm_histogram", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                 NULL, hist_step, hist_final);
}
