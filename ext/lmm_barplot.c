/* lmm_barplot.c — lmm_barplot(label [, count [, options]]): an aggregate over labels (text or numbers) that
 * returns barplot(table(label))'s figure as SVG (core/plot.h).  Each row adds count (default 1; NULL is 1)
 * to its label's bar, so both of these draw the regions' frequencies:
 *
 *   SELECT lmm_barplot(reg) FROM arabidopsis;
 *   SELECT lmm_barplot(reg, n, 'title=Region') FROM (SELECT reg, count(*) AS n FROM arabidopsis GROUP BY reg);
 *
 * Bars are in table()'s order: numbers numerically when every label is a number, else by the labels' bytes
 * (R in the C locale).  NULL labels are left out, as table() leaves out NA; no rows give NULL. */
#include "lmm_barplot.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/numfmt.h"
#include "../core/plot.h"
#include "figure_result.h"
#include "text_arg.h"

/* The row's error as the aggregate's, and no more rows read. */
#define agg_fail(ctx, s, msg) ((s)->failed = 1, lmm_figure_fail((ctx), (msg)))

#define MAX_BARS 1000

typedef struct bar { char *label; double num, count; int is_num; } bar;

typedef struct bar_state {
  bar *bars;           /* sqlite3_malloc'd, as each label */
  int n, cap;
  sqlite3_int64 rows;
  char *options;
  int failed, started;
} bar_state;

static int bar_begin(sqlite3_context *ctx, bar_state *s, int argc, sqlite3_value **argv) {
  s->started = 1;
  if (argc < 1 || argc > 3) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_barplot takes a label, a count and options: lmm_barplot(label [, count [, "
                                     "'title=...']])"));
    return 1;
  }
  char *why = NULL;
  if (argc == 3 && lmm_figure_options_arg(argv[2], "lmm_barplot", &s->options, &why) != SQLITE_OK) {
    agg_fail(ctx, s, why);
    return 1;
  }
  return 0;
}

static void bar_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  bar_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
  if (!s) { sqlite3_result_error_nomem(ctx); return; }
  if (s->failed || (!s->started && bar_begin(ctx, s, argc, argv))) return;
  s->rows++;
  int type = sqlite3_value_type(argv[0]);
  if (type == SQLITE_NULL) return;
  if (type == SQLITE_BLOB) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_barplot: row %lld gives a BLOB as its label; a label is text or a number",
                                     (long long)s->rows));
    return;
  }
  double count = 1;
  if (argc > 1 && sqlite3_value_type(argv[1]) != SQLITE_NULL) {
    int ct = sqlite3_value_type(argv[1]);
    count = sqlite3_value_double(argv[1]);
    if ((ct != SQLITE_INTEGER && ct != SQLITE_FLOAT) || !isfinite(count) || count < 0) {
      agg_fail(ctx, s, sqlite3_mprintf("lmm_barplot: row %lld gives the count %s; a count is a number from 0 up",
                                       (long long)s->rows, sqlite3_value_text(argv[1])));
      return;
    }
  }
  int is_num = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
  double num = is_num ? sqlite3_value_double(argv[0]) : 0;
  char buf[32];
  const char *text;
  if (is_num) {   /* as R prints a number (and names its level) */
    lmm_format_number(num, buf);
    text = buf;
  } else text = (const char *)sqlite3_value_text(argv[0]);
  if (!text) { agg_fail(ctx, s, NULL); return; }
  for (int k = 0; k < s->n; k++)
    if (s->bars[k].is_num == is_num && (is_num ? s->bars[k].num == num : !strcmp(s->bars[k].label, text))) {
      s->bars[k].count += count;
      return;
    }
  if (s->n == MAX_BARS) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_barplot: more than %d labels; a bar plot of so many is not readable: group "
                                     "them first", MAX_BARS));
    return;
  }
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 16;
    bar *b = sqlite3_realloc64(s->bars, sizeof *b * (sqlite3_uint64)cap);
    if (!b) { agg_fail(ctx, s, NULL); return; }
    s->bars = b;
    s->cap = cap;
  }
  bar *b = &s->bars[s->n];
  if (!(b->label = sqlite3_mprintf("%s", text))) { agg_fail(ctx, s, NULL); return; }
  b->num = num;
  b->is_num = is_num;
  b->count = count;
  s->n++;
}

static int cmp_bars(const void *a, const void *b) {
  const bar *p = a, *q = b;
  if (p->is_num && q->is_num) return (p->num > q->num) - (p->num < q->num);
  return strcmp(p->label, q->label);
}

static void bar_final(sqlite3_context *ctx) {
  bar_state *s = sqlite3_aggregate_context(ctx, 0);
  if (!s || !s->started) { sqlite3_result_null(ctx); return; }
  if (!s->failed) {
    lmm_plot_options o;
    lmm_error err = {0};
    char *svg = NULL;
    int rc = lmm_plot_options_parse(s->options, LMM_PLOT_BARPLOT, &o, &err);
    const char **labels = sqlite3_malloc64(sizeof *labels * (sqlite3_uint64)(s->n ? s->n : 1));
    double *counts = sqlite3_malloc64(sizeof *counts * (sqlite3_uint64)(s->n ? s->n : 1));
    if (!labels || !counts) rc = lmm_nomem(&err);
    if (!rc) {
      int numeric = 1;
      for (int k = 0; k < s->n; k++) numeric &= s->bars[k].is_num;
      if (!numeric)   /* mixed: every label by its text, as factor() of a character vector */
        for (int k = 0; k < s->n; k++) s->bars[k].is_num = 0;
      qsort(s->bars, (size_t)s->n, sizeof *s->bars, cmp_bars);
      for (int k = 0; k < s->n; k++) {
        labels[k] = s->bars[k].label;
        counts[k] = s->bars[k].count;
      }
      rc = lmm_plot_barplot(labels, counts, s->n, &o, &svg, &err);
    }
    sqlite3_free(labels);
    sqlite3_free(counts);
    lmm_figure_result(ctx, "lmm_barplot", rc, svg, &err);
  }
  for (int k = 0; k < s->n; k++) sqlite3_free(s->bars[k].label);
  sqlite3_free(s->bars);
  sqlite3_free(s->options);
}

/* Deterministic (the same rows give the same figure), and, as every lmm function, SQLITE_DIRECTONLY. */
int lmm_register_barplot(sqlite3 *db) {
  return sqlite3_create_function(db, "lmm_barplot", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                 NULL, bar_step, bar_final);
}
