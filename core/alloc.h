/* alloc.h — the one door through which core/ allocates memory.
 *
 * A host may route core allocations through its own allocator once, before
 * any fit (the SQLite extension routes them through sqlite3_malloc64 so that
 * SQLite's memory accounting and fault injection see them).  Every *_new in
 * core/ has a *_free that accepts NULL.
 */
#ifndef LMM_ALLOC_H
#define LMM_ALLOC_H

#include <stddef.h>

#include "stop.h"

typedef struct lmm_allocator {
  void *(*malloc_fn)(size_t);
  void *(*realloc_fn)(void *, size_t);
  void (*free_fn)(void *);
  size_t max_block;            /* the largest block malloc_fn can give; 0: no limit but size_t's */
  size_t (*heap_limit)(void);  /* the host's limit on all its blocks together; NULL, or 0 returned: none */
} lmm_allocator;

/* Set once at start-up, before any other core call; NULL restores libc. */
void lmm_set_allocator(const lmm_allocator *a);

void *lmm_malloc(size_t n);
void *lmm_calloc(size_t count, size_t size);
/* lmm_calloc for what may be large, zeroed a megabyte at a time with stop
 * (stop.h; may be NULL) asked between: the first touch of fresh memory
 * costs the VM milliseconds a megabyte, so one large block would keep an
 * interrupt waiting.  NULL when out of memory or stopped:
 * lmm_stop_seen(stop) tells which. */
void *lmm_calloc_asking(size_t count, size_t size, lmm_stop *stop);
/* After a NULL from lmm_calloc_asking: "interrupted" or out of memory in
 * err (lmm_error.h), and its code. */
struct lmm_error;
int lmm_nomem_or_stopped(const lmm_stop *stop, struct lmm_error *err);
void *lmm_realloc(void *p, size_t n);
void lmm_free(void *p);
char *lmm_strdup(const char *s);
char *lmm_strndup(const char *s, size_t n);
/* printf into a fresh allocation; NULL when out of memory */
char *lmm_mprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Size arithmetic that cannot wrap: a product or sum beyond size_t is
 * SIZE_MAX, and SIZE_MAX stays SIZE_MAX through both (but for a product
 * with 0), so a size is exact or SIZE_MAX, which every allocation refuses.
 * Every allocation size and every count made of other counts goes through
 * them (or lmm_malloc_array), never through int. */
size_t lmm_size_mul(size_t a, size_t b);
size_t lmm_size_add(size_t a, size_t b);
/* count objects of size bytes; NULL when out of memory or count * size overflows */
void *lmm_malloc_array(size_t count, size_t size);

/* What core may ask of the host, for the checks that refuse a model before
 * it allocates: the largest single block the host allocator gives (less
 * lmm_malloc's header), and all blocks together (the machine's physical
 * memory, or the host's heap limit when lower). */
size_t lmm_alloc_max_block(void);
size_t lmm_alloc_budget(void);

#endif
