/* fuzz_model.c — libFuzzer target for one whole fit: lmm_model_begin,
 * lmm_model_add_row over synthetic rows, lmm_model_fit.
 *
 * Input: formula, random part and options, each ended by the first NUL or
 * newline (an absent random part or options is NULL), then bytes that drive
 * the rows.  When those bytes run out a generator seeded from the whole
 * input carries on, so a short input still makes a full data set.
 *
 * Rows are what ext/source.c hands the core: per column a number, a text
 * (not NUL-terminated, len bytes, in an exact-size buffer that is freed
 * right after add_row, as SQLite's column text goes stale after a step), or
 * NULL.  Numbers are never NaN (SQLite stores NaN as NULL) but may be
 * +-Inf, huge or tiny.  At most 64 rows, so each run stays fast.
 * Fields may hold repeats, and each input runs on a 512 KB stack
 * (fuzz_common.h).
 */
#include "fuzz_common.h"
#include "fuzz_fit.h"

#include <math.h>
#include <float.h>
#include <stdio.h>

enum { MAX_ROWS = 64 };

/* How one column's values are made, chosen once per column. */
typedef struct colgen {
  int style;     /* 0 small integers, 1 continuous, 2 text levels, 3 mixed */
  int nlev;      /* levels for styles 0 and 2 */
  int nulls;     /* some values are NULL */
} colgen;

static const double specials[] = {
  0.0, -0.0, 1.0, -1.0, 0.5, 1e-308, 5e-324, 1e308, DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, 2.0, 1e15, -1e-10, 3.0,
};
static const char *const texts[] = {
  "a", "b", "c", "d", "e", "f", "g", "h", "", "1", "2", "1.5", "A", "\xc3\xa9t\xc3\xa9", "a b", "NA",
};

/* Fill v with one value; *buf receives a malloc'd text to free after the row. */
static void make_value(fuzz_stream *s, const colgen *g, int row, lmm_value *v, char **buf) {
  uint8_t b = fuzz_byte(s);
  *buf = NULL;
  v->type = LMM_NUM;
  v->text = NULL;
  v->len = 0;
  v->num = 0;
  v->inexact = 0;
  if (g->nulls && b % 23 == 0) { v->type = LMM_NULL; return; }
  int style = g->style;
  if (style == 3) { style = b & 3; b = fuzz_byte(s); }
  const char *t = NULL;
  switch (style) {
  case 0: v->num = (double)(b % g->nlev); break;
  case 1: v->num = ((double)(int8_t)b + (double)((row * 37 + b) % 17) / 16.0) / 4.0; break;
  case 2: t = texts[b % g->nlev]; break;
  default:
    if (b & 0x80) t = texts[b % 16];
    else v->num = specials[b % 16];
    break;
  }
  if (t) {
    size_t n = strlen(t);
    *buf = malloc(n ? n : 1);
    if (!*buf) abort();
    memcpy(*buf, t, n);
    v->type = LMM_TEXT;
    v->text = *buf;
    v->len = (int)n;
  }
}

/* At most MAX_BARS grouping factors with at most MAX_BAR_TERMS terms each
 * (a factor term may still give several columns). */
enum { MAX_BARS = 6, MAX_BAR_TERMS = 3 };
static int fit_is_small(const lmm_model *m) {
  const lmm_formula *f = m->formula;
  if (f->nbars > MAX_BARS) return 0;
  for (int b = 0; b < f->nbars; b++)
    if (f->bars[b].model.intercept + f->bars[b].model.nterms > MAX_BAR_TERMS) return 0;
  return 1;
}

/* A factor term still gives as many columns as it has levels, so a small
 * formula can ask for many covariance parameters and tens of thousands of
 * evaluations, each slow under the sanitizers: the fit stops after
 * MAX_EVALUATIONS, or after MAX_SECONDS on a busy machine (fuzz_fit.h). */
enum { MAX_EVALUATIONS = 20000 };
static const double MAX_SECONDS = 5.0;

static void *run(void *arg) {
  const uint8_t *data = ((fuzz_input *)arg)->data;
  size_t size = ((fuzz_input *)arg)->size;
  size_t pos = 0;
  int more;
  char *formula = fuzz_expand(fuzz_field(data, size, &pos, &more));
  char *random = more ? fuzz_expand(fuzz_field(data, size, &pos, &more)) : NULL;
  char *options = more ? fuzz_expand(fuzz_field(data, size, &pos, &more)) : NULL;

  lmm_model *m = NULL;
  lmm_error err = {0};
  int rc = lmm_model_begin(formula, random, options, &m, &err);
  if (rc) {
    if (m || !err.msg[0]) abort();
    if (getenv("LMM_FUZZ_DEBUG")) fprintf(stderr, "fuzz_model: begin: %s\n", err.msg);
    goto done;
  }

  fuzz_stream s = fuzz_stream_new(data, size, pos);
  int nc = lmm_model_ncols(m);
  for (int i = 0; i < nc; i++) (void)strlen(lmm_model_col(m, i));
  lmm_model_rows_have_rowid(m, fuzz_byte(&s) & 1);
  int nrows = 1 + fuzz_byte(&s) % MAX_ROWS;
  colgen *gen = calloc((size_t)(nc ? nc : 1), sizeof *gen);
  lmm_value *vals = calloc((size_t)(nc ? nc : 1), sizeof *vals);
  char **bufs = calloc((size_t)(nc ? nc : 1), sizeof *bufs);
  if (!gen || !vals || !bufs) abort();
  for (int i = 0; i < nc; i++) {
    uint8_t b = fuzz_byte(&s);
    gen[i].style = b & 3;
    gen[i].nlev = 2 + (b >> 2) % 7;       /* 2..8 */
    gen[i].nulls = (b >> 5) == 7;
  }
  for (int r = 0; r < nrows && !rc; r++) {
    for (int i = 0; i < nc; i++) make_value(&s, &gen[i], r, &vals[i], &bufs[i]);
    rc = lmm_model_add_row(m, vals, (int64_t)r * 3 + 1, &err);
    for (int i = 0; i < nc; i++) { free(bufs[i]); bufs[i] = NULL; }
  }
  /* as ext/source.c does: a failed row ends the scan and the fit.  Many
   * random-effects parameters make the optimizer's budget (2000 evaluations
   * per parameter) take minutes under the sanitizers: fit only small models. */
  int fitted = 0;
  fuzz_budget budget;
  fuzz_budget_start(&budget, MAX_EVALUATIONS, MAX_SECONDS);
  if (!rc && fit_is_small(m)) { rc = lmm_model_fit(m, fuzz_budget_spent, &budget, &err); fitted = 1; }
  if (rc || fitted) fuzz_check_finished(m, rc, &err);
  if (getenv("LMM_FUZZ_DEBUG")) {  /* for tuning the seeds: what became of this input */
    double evals = -1;
    for (int i = 0; !rc && fitted && i < m->result->nrows; i++)
      if (!strcmp(m->result->rows[i].term, "evaluations")) evals = m->result->rows[i].estimate;
    fprintf(stderr, "fuzz_model: %d cols, %d rows: %s (evaluations %g)\n", nc, nrows,
            rc ? err.msg : fitted ? "fit ok" : "not fitted (too many random-effects terms)", evals);
  }
  free(gen);
  free(vals);
  free(bufs);
done:
  lmm_model_free(m);
  free(formula);
  free(random);
  free(options);
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_LEN) return 0;
  fuzz_on_small_stack(run, data, size);
  return 0;
}
