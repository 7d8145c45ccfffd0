/* alloc.c — allocation through a host-settable allocator (see alloc.h). */
#include "alloc.h"
#include "lmm_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lmm_allocator current = {malloc, realloc, free};

void lmm_set_allocator(const lmm_allocator *a) {
  if (a) current = *a;
  else current = (lmm_allocator){malloc, realloc, free};
}

void *lmm_malloc(size_t n) { return current.malloc_fn(n ? n : 1); }

void *lmm_calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  size_t n = count * size;
  void *p = lmm_malloc(n);
  if (p) memset(p, 0, n ? n : 1);
  return p;
}

void *lmm_realloc(void *p, size_t n) { return current.realloc_fn(p, n ? n : 1); }

void lmm_free(void *p) {
  if (p) current.free_fn(p);
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
