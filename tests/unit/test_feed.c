/* test_feed.c — the frame built through the feed (a second thread, batches,
 * rows that need memory handed back to the reader) is the frame built row
 * by row, value for value; and a refused row is reported as row by row,
 * before an error of the reader's own at a later row. */
#include "harness.h"
#include "helpers.h"

#include "alloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { ROWS = 60000, NCOL = 6 };

/* y, x, f (text, 3,000 levels), g (whole numbers up to 90,000: direct[] grows
 * as they come), c (numbers, then text from row 40,001: its codes start
 * late), a NULL in every 97th row; bad_row > 0 puts Inf in x there. */
static const lmm_value *feed_rows(int bad_row) {
  static lmm_value v[ROWS * NCOL];
  static char text[ROWS][12];
  uint64_t state = 7;
  for (int r = 0; r < ROWS; r++) {
    lcg_next(&state);
    lmm_value *row = v + (size_t)r * NCOL;
    snprintf(text[r], sizeof text[r], "f%d", (int)((state >> 20) % 3000));
    row[0] = NUM((double)((state >> 30) % 1000) / 10);
    row[1] = r + 1 == bad_row ? NUM(INFINITY) : NUM((double)((state >> 40) % 100) / 7);
    row[2] = TXTP(text[r]);
    row[3] = NUM((double)(((state >> 33) % 30000) * 3));
    row[4] = r >= 40000 ? TXTP(text[r]) : NUM((double)(r % 5));
    row[5] = r % 97 == 3 ? NUL : NUM(1);
  }
  return v;
}

static const char *feed_names[NCOL] = {"y", "x", "f", "g", "c", "w"};

typedef struct feed_src { lmm_model *m; const test_table *t; int map[TABLE_MAX_COLS], stop_at; } feed_src;

/* The rows to lmm_feed_row in the model's column order; stop_at > 0: the
 * reader fails there on its own (-7), as a BLOB would make it. */
static int read_feed(void *arg, lmm_feed *feed) {
  feed_src *s = arg;
  int nc = lmm_model_ncols(s->m);
  lmm_value row[TABLE_MAX_COLS];
  lmm_error err = {0};
  for (int r = 0; r < s->t->nrows; r++) {
    if (r + 1 == s->stop_at) return -7;
    table_row(s->t, s->map, nc, r, row);
    if (lmm_feed_row(feed, row, r + 1, &err)) return 1;
  }
  return 0;
}

/* load_model's rows through the feed (lmm_model_read) instead of add_row. */
static int feed_model(const char *formula, const test_table *t, int stop_at, lmm_model **m, int *read_rc, lmm_error *err) {
  memset(err, 0, sizeof *err);
  int rc = lmm_model_begin(formula, NULL, NULL, m, err);
  if (rc) return rc;
  lmm_model_rows_have_rowid(*m, !t->no_rowid);
  feed_src s = {*m, t, {0}, stop_at};
  if ((rc = table_columns(*m, t, s.map, err))) return rc;
  return lmm_model_read(*m, read_feed, &s, read_rc, err);
}

static int same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* An allocator that counts what is allocated on any thread but the test's. */
static pthread_t test_thread;
static int other_thread_allocs;
static void *count_malloc(size_t n) {
  if (!pthread_equal(pthread_self(), test_thread)) __atomic_add_fetch(&other_thread_allocs, 1, __ATOMIC_RELAXED);
  return malloc(n);
}
static void *count_realloc(void *p, size_t n) {
  if (!pthread_equal(pthread_self(), test_thread)) __atomic_add_fetch(&other_thread_allocs, 1, __ATOMIC_RELAXED);
  return realloc(p, n);
}

void test_feed_same_frame(void) {
  const char *formula = "y ~ x + f + c + w + (1 | g)";
  test_table t = {NCOL, feed_names, ROWS, feed_rows(0), 0};
  lmm_model *one = NULL, *fed = NULL;
  lmm_error err;
  int read_rc = -1;
  CHECK_INT(load_model(formula, NULL, NULL, &t, &one, &err), LMM_OK);
  /* the second thread never allocates */
  test_thread = pthread_self();
  lmm_set_allocator(&(lmm_allocator){count_malloc, count_realloc, free, 0, NULL});
  CHECK_INT(feed_model(formula, &t, 0, &fed, &read_rc, &err), LMM_OK);
  lmm_set_allocator(NULL);
  CHECK_INT(other_thread_allocs, 0);
  CHECK_INT(read_rc, 0);
  if (one && fed) {
    lmm_frame *a = one->frame, *b = fed->frame;
    CHECK_INT(b->n, a->n);
    CHECK_INT(b->nread, ROWS);
    CHECK_INT(b->ndropped, a->ndropped);
    CHECK(a->ndropped > 600);
    CHECK_INT(lmm_frame_finish(a, &err), LMM_OK);
    CHECK_INT(lmm_frame_finish(b, &err), LMM_OK);
    int bad = 0;
    for (size_t r = 0; r < a->n && r < b->n; r++) bad += a->y[r] != b->y[r] || a->rowid[r] != b->rowid[r];
    CHECK_INT(bad, 0);
    for (int i = 0; i < one->formula->nvars; i++) {
      const lmm_frame_var *u = &a->vars[i], *w = &b->vars[i];
      CHECK_INT(w->nlevels, u->nlevels);
      CHECK_INT(w->is_factor, u->is_factor);
      CHECK_INT(!w->code, !u->code);
      CHECK_INT(!w->x, !u->x);
      bad = 0;
      for (int l = 0; l < u->nlevels && l < w->nlevels; l++) bad += strcmp(u->levels[l], w->levels[l]) != 0;
      for (size_t r = 0; r < a->n && r < b->n; r++) {
        if (u->code && w->code) bad += u->code[r] != w->code[r];
        if (u->x && w->x) bad += !same_double(u->x[r], w->x[r]);
      }
      CHECK_INT(bad, 0);
    }
    /* what the data hold: 3,000 f levels, text levels in c from row 40,001 */
    const lmm_frame_var *f = &b->vars[var_index(fed->formula, "f")], *c = &b->vars[var_index(fed->formula, "c")];
    CHECK_INT(f->nlevels, 3000);
    CHECK(c->is_factor && c->nlevels > 2900);   /* its numbers became the levels "0".."4", first in byte order */
    if (c->nlevels > 5) CHECK_STR(c->levels[4], "4");
    if (c->nlevels > 5) CHECK_STR(c->levels[5], "f0");
  }
  lmm_model_free(one);
  lmm_model_free(fed);
}

void test_feed_refused_row(void) {
  const char *formula = "y ~ x + f + c + w + (1 | g)";
  test_table t = {NCOL, feed_names, ROWS, feed_rows(50001), 0};
  lmm_model *one = NULL, *fed = NULL;
  lmm_error want, err;
  int read_rc = 0;
  CHECK_INT(load_model(formula, NULL, NULL, &t, &one, &want), LMM_ERR);
  CHECK_CONTAINS(want.msg, "rowid 50001");
  /* the frame refuses row 50,001: the reader hears of it and stops */
  CHECK_INT(feed_model(formula, &t, 0, &fed, &read_rc, &err), LMM_ERR);
  CHECK_STR(err.msg, want.msg);
  CHECK_INT(read_rc, 1);
  lmm_model_free(fed);
  fed = NULL;
  /* the reader fails on its own at row 50,100, before the frame has had row 50,001: the frame's error is still the one */
  CHECK_INT(feed_model(formula, &t, 50100, &fed, &read_rc, &err), LMM_ERR);
  CHECK_STR(err.msg, want.msg);
  CHECK_INT(read_rc, -7);
  lmm_model_free(fed);
  fed = NULL;
  /* and at a row before it: the reader's own error stands alone */
  CHECK_INT(feed_model(formula, &t, 50000, &fed, &read_rc, &err), LMM_OK);
  CHECK_INT(read_rc, -7);
  lmm_model_free(fed);
  lmm_model_free(one);
}
