/* budget.c — the memory a fit will need, from the design's counts (see
 * budget.h).  Every size is a saturating size_t (alloc.h): a count that
 * overflows comes out SIZE_MAX, which every limit refuses. */
#include "budget.h"
#include "alloc.h"
#include "blocks.h"
#include "numfmt.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define HINT "use fewer fixed-effect columns (a factor with many levels fits as a random effect, (1 | f))"

lmm_budget lmm_budget_host(void) { return (lmm_budget){lmm_alloc_max_block(), lmm_alloc_budget()}; }

static size_t doubles(size_t count) { return lmm_size_mul(count, sizeof(double)); }

/* The fit's total so far, and its largest part (for the message). */
typedef struct tally {
  size_t total, largest;
  char what[256];
} tally;

static void add(tally *t, size_t bytes, size_t copies, const char *what) {
  t->total = lmm_size_add(t->total, lmm_size_mul(bytes, copies));
  if (bytes < t->largest) return;
  t->largest = bytes;
  snprintf(t->what, sizeof t->what, "%s", what);
}

/* "<subject>: <part and its verb> <bytes>, more than the largest block ..." */
static int block_too_large(lmm_error *err, const char *subject, const char *part, size_t bytes, size_t max, const char *hint) {
  char b[32], m[32];
  lmm_format_bytes((double)bytes, b);
  lmm_format_bytes((double)max, m);
  return lmm_fail(err, LMM_ERR, "%s: %s %s, more than the largest block of memory this process may allocate (%s)%s%s",
                  subject, part, b, m, hint ? "; " : "", hint ? hint : "");
}

/* A fit without random effects factors the dense X (lm, gls; ols.c), and
 * copies it twice beside. */
static int check_dense(const lmm_design *d, const lmm_budget *b, tally *t, lmm_error *err) {
  char n[32], p[32];
  lmm_format_count(d->n, n);
  lmm_format_count((size_t)d->p, p);
  if (d->n > INT_MAX)
    return lmm_fail(err, LMM_ERR, "%s rows: a fit without random effects factors X by LAPACK, which takes at most 2,147,483,647", n);
  size_t x = doubles(lmm_size_mul(d->n, (size_t)d->p));
  char subject[128];
  snprintf(subject, sizeof subject, "the fixed effects have %s columns over %s rows", p, n);
  if (x > b->max_block)
    return block_too_large(err, subject, "without random effects the fit factors X itself, which needs", x, b->max_block,
                           "use fewer rows or fewer fixed-effect columns (a factor with many levels fits as a random effect, (1 | f))");
  add(t, x, 3, "X, 3 copies");
  add(t, doubles(lmm_size_mul((size_t)d->p, (size_t)d->p)), 2, "X'X");
  return LMM_OK;
}

/* [X y]'[X y] and the copies of its size (A and L's fixed block, R, S, the
 * covariances), each random-effects term's blocks, the level pairs of every
 * two terms (at most one per row), and the tables of blocks. */
static int check_blocks(const lmm_design *d, const lmm_budget *b, tally *t, lmm_error *err) {
  size_t p1 = (size_t)d->p + 1, K1 = (size_t)d->nre + 1;
  char cols[32], levels[32], count[32];
  lmm_format_count((size_t)d->p, cols);
  size_t xtx = lmm_size_mul(p1, p1);
  char subject[256];
  snprintf(subject, sizeof subject, "the fixed effects have %s columns", cols);
  if (doubles(xtx) > b->max_block) return block_too_large(err, subject, "X'X needs", doubles(xtx), b->max_block, HINT);
  if (xtx > INT_MAX) {
    lmm_format_count(xtx, count);
    return lmm_fail(err, LMM_ERR, "%s: X'X has %s entries, more than a matrix here may hold (2,147,483,647); " HINT, subject, count);
  }
  add(t, doubles(xtx), 8, "X'X and its copies");
  for (int k = 0; k < d->nre; k++) {
    const lmm_reterm *re = &d->re[k];
    size_t q = (size_t)re->q, nl = (size_t)re->nlevels, rows = lmm_size_mul(q, nl);
    lmm_format_count(nl, levels);
    snprintf(subject, sizeof subject, "random-effects term '%s' has %s levels x %d columns", re->grp, levels, re->q);
    if (rows > INT_MAX) {
      lmm_format_count(rows, count);
      return lmm_fail(err, LMM_ERR, "%s: %s random effects, more than a term here may have (2,147,483,647)", subject, count);
    }
    size_t diag = doubles(lmm_size_mul(rows, q)), fixed = doubles(lmm_size_mul(rows, p1));
    if (diag > b->max_block) return block_too_large(err, subject, "its diagonal blocks need", diag, b->max_block, NULL);
    if (fixed > b->max_block) {
      char part[96];
      snprintf(part, sizeof part, "its cross-product with the %s fixed-effect columns needs", cols);
      return block_too_large(err, subject, part, fixed, b->max_block, HINT);
    }
    snprintf(subject, sizeof subject, "the blocks of random-effects term '%s'", re->grp);
    add(t, diag, 3, subject);
    add(t, fixed, 2, subject);
    for (int j = k + 1; j < d->nre; j++) {
      size_t pairs = lmm_size_mul(nl, (size_t)d->re[j].nlevels);
      if (pairs > d->n) pairs = d->n;
      snprintf(subject, sizeof subject, "the level pairs of random-effects terms '%s' and '%s'", re->grp, d->re[j].grp);
      add(t, doubles(lmm_size_mul(pairs, lmm_size_mul(q, (size_t)d->re[j].q))), 2, subject);
    }
  }
  size_t all = 0;   /* offsets into all the random effects are ints (the dense tail, the conditional modes) */
  for (int k = 0; k < d->nre; k++) all = lmm_size_add(all, lmm_size_mul((size_t)d->re[k].q, (size_t)d->re[k].nlevels));
  if (all > INT_MAX) {
    lmm_format_count(all, count);
    return lmm_fail(err, LMM_ERR, "the model has %s random effects in all (levels x columns, over its terms), more than can "
                    "be fitted (2,147,483,647)", count);
  }
  add(t, lmm_size_mul(lmm_size_mul(K1, K1), sizeof(lmm_block)), 2, "the tables of blocks");
  return LMM_OK;
}

int lmm_budget_check(const lmm_design *d, const lmm_budget *b, lmm_error *err) {
  tally t = {0};
  int rc = d->nre ? check_blocks(d, b, &t, err) : check_dense(d, b, &t, err);
  if (rc || t.total <= b->total) return rc;
  char total[32], have[32], largest[32];
  lmm_format_bytes((double)t.total, total);
  lmm_format_bytes((double)b->total, have);
  lmm_format_bytes((double)t.largest, largest);
  return lmm_fail(err, LMM_ERR, "the fit needs about %s of memory, more than the %s available (the largest part: %s, %s)",
                  total, have, t.what, largest);
}

int lmm_budget_check_tail(size_t order, const char *first_term, const lmm_budget *b, lmm_error *err) {
  size_t bytes = doubles(lmm_size_mul(order, order));
  if (bytes <= b->max_block && bytes <= b->total && order <= INT_MAX) return LMM_OK;
  char o[32], n[32], limit[32];
  lmm_format_count(order, o);
  lmm_format_bytes((double)bytes, n);
  lmm_format_bytes((double)(b->max_block < b->total ? b->max_block : b->total), limit);
  return lmm_fail(err, LMM_ERR,
                  "the random-effects terms from '%s' on are crossed: their factor fills in to a dense matrix of order %s, "
                  "which needs %s, more than the %s this process may allocate at once; use fewer levels in the crossed terms",
                  first_term, o, n, limit);
}
