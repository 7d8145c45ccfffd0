/* fuzz_fit.h — what the targets that run whole fits share: a host allocator
 * with SQLite's limits, an interrupt that bounds a fit's time, and the checks
 * on a finished fit's rows.
 */
#ifndef LMM_FUZZ_FIT_H
#define LMM_FUZZ_FIT_H

#include "model.h"
#include "alloc.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the host's allocator ----
 * The extension allocates through sqlite3_malloc64, which refuses one block
 * over SQLITE_MAX_ALLOCATION_SIZE (2 GB) and returns NULL rather than
 * abort.  Here core's allocations get the same: NULL for a block over
 * FUZZ_MAX_BLOCK or when all live blocks would pass FUZZ_MAX_LIVE, so that a
 * design that asks for 34 GB gets an error from lmm (or crashes it, if it
 * computed the size wrong), not libFuzzer's -rss_limit_mb (2048). */
#define FUZZ_MAX_BLOCK ((size_t)768 << 20)
#define FUZZ_MAX_LIVE ((size_t)1280 << 20)

static atomic_size_t fuzz_live;

static inline void *fuzz_host_malloc(size_t n) {
  if (n > FUZZ_MAX_BLOCK || atomic_fetch_add(&fuzz_live, n) + n > FUZZ_MAX_LIVE) {
    if (n <= FUZZ_MAX_BLOCK) atomic_fetch_sub(&fuzz_live, n);
    return NULL;
  }
  void *p = malloc(n);
  if (!p) atomic_fetch_sub(&fuzz_live, n);
  return p;
}

static inline void fuzz_host_free(void *p) {
  if (p) atomic_fetch_sub(&fuzz_live, malloc_usable_size(p));
  free(p);
}

static inline void *fuzz_host_realloc(void *p, size_t n) {
  size_t old = p ? malloc_usable_size(p) : 0;
  if (n > FUZZ_MAX_BLOCK || (n > old && atomic_fetch_add(&fuzz_live, n - old) + (n - old) > FUZZ_MAX_LIVE)) {
    if (n <= FUZZ_MAX_BLOCK && n > old) atomic_fetch_sub(&fuzz_live, n - old);
    return NULL;
  }
  void *q = realloc(p, n);
  if (!q) { if (n > old) atomic_fetch_sub(&fuzz_live, n - old); return NULL; }
  if (n < old) atomic_fetch_sub(&fuzz_live, old - n);
  return q;
}

static inline void fuzz_use_host_allocator(void) {
  static const lmm_allocator a = {fuzz_host_malloc, fuzz_host_realloc, fuzz_host_free, FUZZ_MAX_BLOCK, NULL};
  lmm_set_allocator(&a);
}

/* ---- a fit's time ----
 * A fit ends when it has evaluated the deviance max_calls times or run for
 * max_seconds, through the callback sqlite3_interrupt() uses in SQL (which
 * exercises an interrupted fit's clean-up too).  A fit that goes on long
 * after the callback says stop is libFuzzer's -timeout (20 s). */
typedef struct fuzz_budget {
  atomic_int calls;    /* a host's callback may be asked from lmm's worker threads */
  int max_calls;
  double max_seconds;
  struct timespec start;
} fuzz_budget;

static inline void fuzz_budget_start(fuzz_budget *b, int max_calls, double max_seconds) {
  atomic_init(&b->calls, 0);
  b->max_calls = max_calls;
  b->max_seconds = max_seconds;
  clock_gettime(CLOCK_MONOTONIC, &b->start);
}

static inline int fuzz_budget_spent(void *ctx) {
  fuzz_budget *b = ctx;
  if (atomic_fetch_add(&b->calls, 1) >= b->max_calls) return 1;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - b->start.tv_sec) + 1e-9 * (double)(now.tv_nsec - b->start.tv_nsec) > b->max_seconds;
}

/* A fit either failed with a message or has rows whose texts are all there. */
static inline void fuzz_check_finished(const lmm_model *m, int rc, const lmm_error *err) {
  if (rc) {
    if (!err->msg[0]) abort();
    return;
  }
  const lmm_result *r = m->result;
  if (!r || r->nrows <= 0) abort();
  for (int i = 0; i < r->nrows; i++) {
    const lmm_row *row = &r->rows[i];
    if (!row->effect || !row->term) abort();
    (void)strlen(row->effect);
    (void)strlen(row->term);
    if (row->grp) (void)strlen(row->grp);
  }
}

#endif
