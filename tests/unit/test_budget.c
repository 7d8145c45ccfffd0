/* test_budget.c — size arithmetic that cannot wrap (alloc.h), the numbers in
 * size messages (numfmt.h), and the models refused before they allocate
 * (budget.h): designs made of counts alone, so a 65,537-column model costs
 * nothing to check, and the limits on random-effects terms and theta
 * through real designs. */
#include "harness.h"
#include "helpers.h"
#include "alloc.h"
#include "budget.h"
#include "numfmt.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

void test_alloc_size_arithmetic(void) {
  CHECK(lmm_size_mul(65538, 65538) == (size_t)4295229444u);   /* 2^32 + 262148: wrapped to 262148 in 32 bits */
  CHECK(lmm_size_mul(0, SIZE_MAX) == 0);
  CHECK(lmm_size_mul(SIZE_MAX, 1) == SIZE_MAX);
  CHECK(lmm_size_mul((size_t)1 << 32, (size_t)1 << 32) == SIZE_MAX);
  CHECK(lmm_size_mul(lmm_size_mul((size_t)1 << 40, (size_t)1 << 40), 0) == 0);
  CHECK(lmm_size_mul(lmm_size_mul((size_t)1 << 40, (size_t)1 << 40), 2) == SIZE_MAX);   /* saturated stays saturated */
  CHECK(lmm_size_add(SIZE_MAX - 1, 1) == SIZE_MAX);
  CHECK(lmm_size_add(SIZE_MAX - 1, 2) == SIZE_MAX);
  CHECK(lmm_size_add(SIZE_MAX, 0) == SIZE_MAX);
  CHECK(lmm_size_add(3, 4) == 7);
  CHECK(lmm_malloc_array(SIZE_MAX / 4, 8) == NULL);   /* the product overflows: no 2^64-8 byte block */
  CHECK(lmm_malloc_array((size_t)1 << 62, 4) == NULL);   /* wraps to 0 in size_t */
  CHECK(lmm_calloc((size_t)1 << 62, 4) == NULL);
  double *v = lmm_malloc_array(3, sizeof *v);
  CHECK(v != NULL);
  if (v) { v[2] = 1; lmm_free(v); }
}

static size_t fake_heap_limit(void) { return 12345678; }

void test_alloc_host_limits(void) {
  lmm_set_allocator(&(lmm_allocator){malloc, realloc, free, 1000, fake_heap_limit});
  size_t block = lmm_alloc_max_block(), budget = lmm_alloc_budget();
  CHECK(block < 1000 && block >= 1000 - 64);   /* less lmm_malloc's header */
  CHECK(budget == 12345678);
  void *p = lmm_malloc(block);
  CHECK(p != NULL);
  lmm_free(p);
  lmm_set_allocator(NULL);
  CHECK(lmm_alloc_max_block() > ((size_t)1 << 62));
  CHECK(lmm_alloc_budget() > ((size_t)1 << 26) && lmm_alloc_budget() < SIZE_MAX);   /* the machine's memory */
}

/* A block of a huge page (2 MB) or more starts on one, and keeps its bytes through realloc across that size both
 * ways and through a host that moves it; below, and where the host's largest block leaves no room for the
 * alignment, a block is aligned as malloc's are.  (Whether Linux gives huge pages is its own affair: not tested.) */
static size_t largest_asked;
static void *recording_malloc(size_t n) {
  if (n > largest_asked) largest_asked = n;
  return malloc(n);
}

/* A host like SQLite's: blocks 8 bytes off malloc's alignment every other time, and a realloc that always moves
 * the block, so lmm_realloc's memmove to the new alignment and its header room are exercised. */
static int mv_flip;
static void *mv_malloc(size_t n) {
  size_t sh = (mv_flip ^= 1) ? 24 : 16;
  char *r = malloc(n + 32);
  if (!r) return NULL;
  memcpy(r, &n, sizeof n);
  memcpy(r + sh - sizeof sh, &sh, sizeof sh);
  return r + sh;
}
static void mv_free(void *p) {
  if (!p) return;
  size_t sh;
  memcpy(&sh, (char *)p - sizeof sh, sizeof sh);
  free((char *)p - sh);
}
static void *mv_realloc(void *p, size_t n) {
  size_t sh, had;
  memcpy(&sh, (char *)p - sizeof sh, sizeof sh);
  memcpy(&had, (char *)p - sh, sizeof had);
  void *q = mv_malloc(n);
  if (!q) return NULL;
  memcpy(q, p, had < n ? had : n);
  mv_free(p);
  return q;
}

/* Whether this build places huge blocks on huge pages (Linux's MADV_HUGEPAGE): elsewhere only their bytes are checked. */
#ifdef MADV_HUGEPAGE
enum { HUGE_ALIGNED = 1 };
#else
enum { HUGE_ALIGNED = 0 };
#endif

void test_alloc_huge_blocks(void) {
  const size_t huge = (size_t)2 << 20;
  unsigned char *p = lmm_malloc(100);
  CHECK(p && (uintptr_t)p % _Alignof(max_align_t) == 0);
  for (int i = 0; p && i < 100; i++) p[i] = (unsigned char)i;
  p = lmm_realloc(p, 3 * huge + 5);   /* to a huge block: moved onto a huge page, its bytes kept */
  CHECK(p && (!HUGE_ALIGNED || (uintptr_t)p % huge == 0));
  int same = 1;
  for (int i = 0; p && i < 100; i++) same &= p[i] == (unsigned char)i;
  CHECK(same);
  if (p) p[3 * huge + 4] = 7;   /* the last byte is the block's */
  p = lmm_realloc(p, 5 * huge);
  CHECK(p && (!HUGE_ALIGNED || (uintptr_t)p % huge == 0) && p[3 * huge + 4] == 7 && p[99] == 99);
  p = lmm_realloc(p, 50);   /* back below: an ordinary block with the first 50 bytes */
  CHECK(p && (uintptr_t)p % _Alignof(max_align_t) == 0 && p[49] == 49);
  lmm_free(p);
  double *z = lmm_calloc(huge / sizeof *z + 1, sizeof *z);
  CHECK(z && (!HUGE_ALIGNED || (uintptr_t)z % huge == 0) && z[huge / sizeof *z] == 0);
  lmm_free(z);
  /* a moving host, 8 bytes off: every size's bytes kept through realloc, up and down, small and huge */
  lmm_set_allocator(&(lmm_allocator){mv_malloc, mv_realloc, mv_free, 0, NULL});
  static const size_t sizes[] = {1, 17, 100, 31, 4096, 3, 2 * ((size_t)2 << 20) + 9, 100, ((size_t)2 << 20) - 1,
                                 ((size_t)2 << 20) + 7, 3 * ((size_t)2 << 20), ((size_t)2 << 20) + 1, 40};
  unsigned char *b = NULL;
  size_t had = 0;
  int kept = 1, aligned = 1;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned char *nb = lmm_realloc(b, sizes[i]);
    if (!nb) { kept = 0; break; }
    for (size_t j = 0; j < had && j < sizes[i]; j++) kept &= nb[j] == (unsigned char)(j * 7 + 1);
    for (size_t j = 0; j < sizes[i]; j++) nb[j] = (unsigned char)(j * 7 + 1);
    aligned &= (uintptr_t)nb % _Alignof(max_align_t) == 0;
    b = nb;
    had = sizes[i];
  }
  CHECK(kept);
  CHECK(aligned);
  lmm_free(b);
  lmm_set_allocator(NULL);
  /* a host whose largest block is just the huge block itself: no room to align, an ordinary block */
  largest_asked = 0;
  lmm_set_allocator(&(lmm_allocator){recording_malloc, realloc, free, 5 * huge, NULL});
  p = lmm_malloc(5 * huge - 64);
  CHECK(p != NULL && largest_asked > 5 * huge - 64 && largest_asked <= 5 * huge);
  lmm_free(p);
  lmm_set_allocator(NULL);
}

void test_numfmt_sizes(void) {
  static const struct { size_t n; const char *s; } counts[] = {
    {0, "0"}, {999, "999"}, {1000, "1,000"}, {65537, "65,537"}, {1000000, "1,000,000"},
    {4295229444u, "4,295,229,444"}, {SIZE_MAX, "18,446,744,073,709,551,615"},
  };
  char buf[32];
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
    lmm_format_count(counts[i].n, buf);
    CHECK_STR(buf, counts[i].s);
  }
  static const struct { double b; const char *s; } bytes[] = {
    {512, "512 bytes"}, {2048, "2.0 KB"}, {4295229444.0 * 8, "34 GB"}, {0x7ffffeff, "2.1 GB"},
    {1e6 * 503 * 8, "4.0 GB"}, {(double)SIZE_MAX, "18 EB"},
  };
  for (size_t i = 0; i < sizeof bytes / sizeof *bytes; i++) {
    lmm_format_bytes(bytes[i].b, buf);
    CHECK_STR(buf, bytes[i].s);
  }
}

/* A design of counts: n rows, p columns, random-effects terms of (levels, columns). */
typedef struct counts_design { lmm_design d; lmm_reterm re[4]; } counts_design;

static lmm_design *counts(counts_design *c, size_t n, int p, int nre, const int *levels, const int *q) {
  static const char *names[] = {"g", "h", "k", "m"};
  memset(c, 0, sizeof *c);
  c->d.n = n;
  c->d.p = p;
  c->d.nre = nre;
  c->d.re = c->re;
  for (int k = 0; k < nre; k++) {
    c->re[k].grp = (char *)names[k];
    c->re[k].nlevels = levels[k];
    c->re[k].q = q[k];
  }
  return &c->d;
}

static const lmm_budget SQLITE_HOST = {0x7ffffeff, (size_t)23e9};   /* SQLite's largest block, this machine */
static const lmm_budget NO_LIMIT = {SIZE_MAX, SIZE_MAX};

/* check under budget b: LMM_ERR and a message holding each of want[] (NULL-ended), or LMM_OK when want is NULL */
static void expect(const lmm_design *d, const lmm_budget *b, const char *const *want) {
  lmm_error err = {0};
  int rc = lmm_budget_check(d, b, &err);
  CHECK_INT(rc, want ? LMM_ERR : LMM_OK);
  for (int i = 0; want && want[i]; i++) CHECK_CONTAINS(err.msg, want[i]);
}

void test_budget_fixed_effects(void) {
  counts_design c;
  int one[] = {1}, five[] = {5};
  /* the case: dtpqrt wrote 34 GB into the 2 MB that 65538^2 wrapped to */
  lmm_design *d = counts(&c, 131074, 65537, 1, five, one);
  expect(d, &SQLITE_HOST, (const char *[]){"the fixed effects have 65,537 columns", "X'X needs 34 GB", "(2.1 GB)", NULL});
  expect(d, &NO_LIMIT, (const char *[]){"X'X has 4,295,229,444 entries", "2,147,483,647", NULL});
  d = counts(&c, 40000, 20000, 1, five, one);
  expect(d, &SQLITE_HOST, (const char *[]){"20,000 columns", "X'X needs 3.2 GB", NULL});
  expect(d, &(lmm_budget){SIZE_MAX, (size_t)8e9},
         (const char *[]){"needs about 26 GB", "more than the 8.0 GB available", "X'X and its copies, 3.2 GB", NULL});
  d = counts(&c, 40000, 2000, 1, five, one);   /* 32 MB a copy */
  expect(d, &SQLITE_HOST, NULL);
  /* lm: the dense X itself */
  d = counts(&c, 1000000, 503, 0, NULL, NULL);
  expect(d, &SQLITE_HOST, (const char *[]){"503 columns over 1,000,000 rows", "factors X itself", "4.0 GB", NULL});
  expect(d, &NO_LIMIT, NULL);
  expect(d, &(lmm_budget){SIZE_MAX, (size_t)10e9}, (const char *[]){"about 12 GB", "X, 3 copies, 4.0 GB", NULL});
  d = counts(&c, (size_t)3000000000u, 2, 0, NULL, NULL);
  expect(d, &NO_LIMIT, (const char *[]){"3,000,000,000 rows", "at most 2,147,483,647", NULL});
  d = counts(&c, 1000000, 50, 0, NULL, NULL);
  expect(d, &SQLITE_HOST, NULL);
  d = counts(&c, (size_t)1 << 40, 1 << 30, 0, NULL, NULL);   /* n p 8 overflows size_t */
  expect(d, &NO_LIMIT, (const char *[]){"rows", NULL});
}

void test_budget_random_effects(void) {
  counts_design c;
  /* diagonal blocks: 1e6 levels x 64 columns, 64 x 64 each */
  lmm_design *d = counts(&c, 100000000, 3, 1, (int[]){1000000}, (int[]){64});
  expect(d, &SQLITE_HOST, (const char *[]){"term 'g' has 1,000,000 levels x 64 columns", "its diagonal blocks need 33 GB", NULL});
  /* levels x columns beyond int */
  d = counts(&c, 4000000000u, 3, 1, (int[]){40000000}, (int[]){64});
  expect(d, &NO_LIMIT, (const char *[]){"2,560,000,000 random effects", NULL});
  /* the fixed part beside a many-level term */
  d = counts(&c, 3000000, 503, 1, (int[]){1000000}, (int[]){1});
  expect(d, &SQLITE_HOST, (const char *[]){"term 'g' has 1,000,000 levels", "cross-product with the 503 fixed-effect columns",
                                          "4.0 GB", NULL});
  /* all terms together beyond int: every offset into the random effects is an int */
  d = counts(&c, 4000000000u, 1, 2, (int[]){1500000000, 1500000000}, (int[]){1, 1});
  expect(d, &NO_LIMIT, (const char *[]){"3,000,000,000 random effects in all", NULL});
  /* the level pairs of two crossed terms, at most one per row, against the whole budget */
  d = counts(&c, 200000000, 1, 2, (int[]){100000, 50000}, (int[]){8, 8});
  expect(d, &SQLITE_HOST, (const char *[]){"more than the 23 GB available", "level pairs of random-effects terms 'g' and 'h'", NULL});
  d = counts(&c, 1000000, 1, 2, (int[]){20000, 500}, (int[]){2, 1});   /* the 1M benchmark's shape */
  expect(d, &SQLITE_HOST, NULL);
}

void test_budget_dense_tail(void) {
  lmm_error err = {0};
  CHECK_INT(lmm_budget_check_tail(1159, "s", &SQLITE_HOST, &err), LMM_OK);   /* InstEval's */
  CHECK_INT(lmm_budget_check_tail(20000, "rater", &SQLITE_HOST, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "terms from 'rater' on are crossed");
  CHECK_CONTAINS(err.msg, "order 20,000");
  CHECK_CONTAINS(err.msg, "3.2 GB");
  lmm_error e2 = {0};
  CHECK_INT(lmm_budget_check_tail((size_t)INT_MAX + 1, "g", &NO_LIMIT, &e2), LMM_ERR);
}

/* The limits on random-effects terms and theta, in the design, before its terms are made. */
void test_design_term_limits(void) {
  static const char *names[] = {"y", "g", "k"};
  lmm_value v[300 * 3];
  char gl[300][8], kl[300][8];
  for (int r = 0; r < 300; r++) {
    snprintf(gl[r], sizeof gl[r], "g%d", r % 3);
    snprintf(kl[r], sizeof kl[r], "k%d", r % 64);
    v[3 * r] = NUM((r * 7919) % 1000 / 1000.0);
    v[3 * r + 1] = TXTP(gl[r]);
    v[3 * r + 2] = TXTP(kl[r]);
  }
  test_table t = {3, names, 300, v, 0};
  char formula[300 * 8 + 16] = "y ~ 1";
  for (int k = 0; k < 257; k++) strcat(formula, " + (1|g)");
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(load_design(formula, NULL, &t, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "makes 257 random-effect terms in all, more than the 256 a model may have");
  lmm_model_free(m);
  m = NULL;
  memset(&err, 0, sizeof err);
  /* 64 columns (the most a term may have) make 2,080 theta; a second such term is too many */
  CHECK_INT(load_design("y ~ 1 + (k | g)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_INT(m->design->re[0].q, 64);
  lmm_model_free(m);
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (k | g) + (0 + k | g)", NULL, &t, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "with term 'g.1' the random effects have 4160 covariance parameters (theta), more than the 2080");
  lmm_model_free(m);
}

/* Where the level pairs and the dense tail are known (blocks.c), a host that
 * allocates at most 1,000 or 5,000 bytes at once: the pairs of a 30- and a
 * 50-level term (150 of them, 1,200 bytes), then their crossed factor (the
 * 30 levels and [X y]: order 32, 8,192 bytes), refused by name before they are allocated. */
void test_budget_blocks(void) {
  static const char *names[] = {"y", "a", "b"};
  lmm_value v[600 * 3];
  for (int r = 0; r < 600; r++) {
    v[3 * r] = NUM((r * 7919) % 1000 / 1000.0);
    v[3 * r + 1] = NUM(r % 30);
    v[3 * r + 2] = NUM((r * 7) % 50);
  }
  test_table t = {3, names, 600, v, 0};
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(load_design("y ~ 1 + (1|a) + (1|b)", NULL, &t, &m, &err), LMM_OK);
  if (!m || !m->design) { lmm_model_free(m); return; }
  static const struct { size_t max_block; const char *want; } cases[] = {
    {1000, "random-effects terms 'a' and 'b' share more level pairs than fit in one block of memory (968 bytes at most)"},
    {5000, "the random-effects terms from 'a' on are crossed: their factor fills in to a dense matrix of order 32"},
    {0, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lmm_set_allocator(&(lmm_allocator){malloc, realloc, free, cases[i].max_block, NULL});
    lmm_system *s = NULL;
    lmm_error e = {0};
    int rc = lmm_system_new(m->design, NULL, &s, &e);
    CHECK_INT(rc, cases[i].want ? LMM_ERR : LMM_OK);
    CHECK(cases[i].want ? s == NULL : s != NULL);
    if (cases[i].want) CHECK_CONTAINS(e.msg, cases[i].want);
    lmm_system_free(s);
  }
  lmm_set_allocator(NULL);
  lmm_model_free(m);
}
