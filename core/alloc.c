/* alloc.c — allocation through a host-settable allocator (see alloc.h). */
#include "alloc.h"
#include "lmm_error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

static lmm_allocator current = {malloc, realloc, free, 0, NULL};

void lmm_set_allocator(const lmm_allocator *a) {
  if (a) current = *a;
  else current = (lmm_allocator){malloc, realloc, free, 0, NULL};
}

/* Every block is aligned for any object (long double included), as malloc's
 * are, whatever the host allocator gives (SQLite's gives 8 bytes): the two
 * words just before it hold the block's size and the distance back to the
 * host's pointer (ALIGN to 2 ALIGN - 1 bytes; for a huge block, below, up to
 * a huge page more). */
enum { ALIGN = _Alignof(max_align_t) };
_Static_assert(ALIGN >= 2 * sizeof(size_t), "the header holds two sizes");

/* A block of a huge page or more starts on a huge page and is offered huge pages: Linux, with transparent huge
 * pages in Debian's default madvise mode, backs a range with them only where asked, and only its whole, aligned
 * huge pages, and a fault of a 4 KB page costs far more under some hypervisors than the writing of it
 * (bench/RESULTS.md, 2026-12-02 and 2026-12-03).  So the block starts on a huge page and its last huge page,
 * partly past its end, is the host's too: a column of a million doubles (8,000,000 bytes) is four huge pages
 * where, unaligned and advised only inside, it took two and 900 faults of 4 KB.  That costs up to two huge pages
 * of address space and one of memory a block.  Advice changes no content and may be refused. */
enum { HUGE_PAGE = 2 << 20 };
#ifdef MADV_HUGEPAGE
static int huge_block(size_t n) {
  return n >= (size_t)HUGE_PAGE && n <= (size_t)-1 - 2 * (size_t)HUGE_PAGE - 2 * ALIGN &&
         (!current.max_block || n + 2 * (size_t)HUGE_PAGE + 2 * ALIGN <= current.max_block);
}
#else
static int huge_block(size_t n) { (void)n; return 0; }
#endif

/* How far past the host's pointer a block of n bytes starts: room for the header, aligned (to a huge page for a
 * huge block; the host was asked for two huge pages more, the start's and the end's). */
static size_t offset_for(const char *raw, size_t n) {
  size_t to = huge_block(n) ? (size_t)HUGE_PAGE : (size_t)ALIGN;
  size_t off = to - (size_t)((uintptr_t)raw % to);
  return off < (size_t)ALIGN ? off + to : off;
}

static size_t host_size(size_t n) { return n + 2 * ALIGN + (huge_block(n) ? 2 * (size_t)HUGE_PAGE : 0); }

static void *with_header(char *raw, size_t off, size_t n) {
  ((size_t *)(raw + off))[-1] = off;
  ((size_t *)(raw + off))[-2] = n;
  return raw + off;
}

static char *raw_of(void *p) { return (char *)p - ((size_t *)p)[-1]; }

static void advise_huge(char *p, size_t n) {
#ifdef MADV_HUGEPAGE
  if (huge_block(n)) (void)madvise(p, (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

void *lmm_malloc(size_t n) {
  if (n > (size_t)-1 - 2 * ALIGN) return NULL;
  char *raw = current.malloc_fn(host_size(n));
  if (!raw) return NULL;
  char *p = with_header(raw, offset_for(raw, n), n);
  advise_huge(p, n);
  return p;
}

void *lmm_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  size_t n = count * size;
  void *p = lmm_malloc(n);
  if (p) memset(p, 0, n ? n : 1);
  return p;
}

void *lmm_calloc_asking(size_t count, size_t size, lmm_stop *stop) {
  if (size && count > (size_t)-1 / size) return NULL;
  size_t n = count * size, piece = (size_t)1 << 20;
  if (!n) n = 1;
  char *p = lmm_malloc(n);
  for (size_t at = 0; p && at < n; at += piece) {
    if (at && lmm_stop_asked(stop)) {
      lmm_free(p);
      return NULL;
    }
    memset(p + at, 0, n - at < piece ? n - at : piece);
  }
  return p;
}

int lmm_nomem_or_stopped(const lmm_stop *stop, lmm_error *err) {
  return lmm_stop_seen(stop) ? lmm_fail(err, LMM_INTERRUPTED, "interrupted") : lmm_nomem(err);
}

/* A block of a huge page or more, before or after, moves by hand: a huge block's start must stay on a huge page,
 * which the host's realloc does not keep (mremap moves the pages, not their offset from the host's pointer); by
 * its size, not by huge_block, so that a host's max_block changed since cannot send a huge block's offset to the
 * host's realloc. */
void *lmm_realloc(void *p, size_t n) {
  if (!p) return lmm_malloc(n);
  if (n > (size_t)-1 - 2 * ALIGN) return NULL;
  size_t off = ((size_t *)p)[-1], had = ((size_t *)p)[-2];
  if (huge_block(n) || had >= (size_t)HUGE_PAGE) {
    char *q = lmm_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, had < n ? had : n);
    lmm_free(p);
    return q;
  }
  char *raw = current.realloc_fn(raw_of(p), host_size(n));
  if (!raw) return NULL;
  size_t now = offset_for(raw, n);
  if (now != off) memmove(raw + now, raw + off, had < n ? had : n);   /* the host moved it to another alignment */
  return with_header(raw, now, n);
}

void lmm_free(void *p) {
  if (p) current.free_fn(raw_of(p));
}

size_t lmm_size_mul(size_t a, size_t b) {
  size_t r;
  return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

size_t lmm_size_add(size_t a, size_t b) {
  size_t r;
  return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

void *lmm_malloc_array(size_t count, size_t size) { return lmm_malloc(lmm_size_mul(count, size)); }

size_t lmm_alloc_max_block(void) {
  if (!current.max_block) return (size_t)-1 - 2 * ALIGN;
  return current.max_block > 2 * ALIGN ? current.max_block - 2 * ALIGN : 0;
}

size_t lmm_alloc_budget(void) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  size_t budget = pages > 0 && page > 0 ? lmm_size_mul((size_t)pages, (size_t)page) : SIZE_MAX;
  size_t host = current.heap_limit ? current.heap_limit() : 0;
  return host && host < budget ? host : budget;
}

char *lmm_strndup(const char *s, size_t n) {
  char *r = lmm_malloc(n + 1);
  if (!r) return NULL;
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

char *lmm_strdup(const char *s) { return lmm_strndup(s, strlen(s)); }

char *lmm_mprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *r = lmm_malloc((size_t)n + 1);
  if (!r) return NULL;
  va_start(ap, fmt);
  vsnprintf(r, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return r;
}

int lmm_fail(lmm_error *err, int code, const char *fmt, ...) {
  if (err && err->code == LMM_OK) {  /* keep the first, most specific message */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code;
}

int lmm_nomem(lmm_error *err) { return lmm_fail(err, LMM_NOMEM, "out of memory"); }
