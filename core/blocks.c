/* blocks.c — A's structure, built once from the design (see blocks.h): the
 * terms' order, each block's kind and sparse pattern, L's blocks and the
 * threads' split; accumulate.c fills A's values, factor.c factors it at
 * each theta. */
#include "blocks.h"
#include "alloc.h"
#include "accumulate.h"
#include "budget.h"
#include "numfmt.h"
#include "lapack_steps.h"
#include "parallel.h"

#include <cblas.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ---- construction ------------------------------------------------------- */

static void block_free(lmm_block *b) {
  if (!b->in_tail) lmm_free(b->v);
  if (b->shares_pattern) return;
  lmm_free(b->colptr);
  lmm_free(b->rowidx);
}

static void free_parts(lmm_system *s) {
  for (int j = 0; s->rsplit && j < s->K; j++) lmm_free(s->rsplit[j]);
  for (int j = 0; s->rstart && j < s->K; j++) lmm_free(s->rstart[j]);
  lmm_free(s->rsplit);
  lmm_free(s->rstart);
  s->rstart = NULL;
  lmm_free(s->split);
  s->rsplit = NULL;
  s->split = NULL;
  s->nparts = 1;
}

void lmm_system_free(lmm_system *s) {
  if (!s) return;
  size_t m = lmm_size_mul((size_t)s->K + 1, (size_t)s->K + 1);
  for (size_t i = 0; s->A && i < m; i++) block_free(&s->A[i]);
  for (size_t i = 0; s->L && i < m; i++) block_free(&s->L[i]);
  lmm_free(s->A);
  lmm_free(s->L);
  lmm_free(s->tail);
  lmm_free(s->term);
  lmm_free(s->q);
  lmm_free(s->nl);
  lmm_free(s->stays_diagonal);
  lmm_free(s->Rinv);
  lmm_theta_free(s->theta);
  lmm_free(s->b0);
  free_parts(s);
  for (int k = 0; s->zscale && k < s->K; k++) lmm_free(s->zscale[k]);
  lmm_free(s->zscale);
  lmm_free(s);
}

size_t lmm_block_values(const lmm_block *b) {
  switch (b->kind) {
  case BLK_DIAG: return (size_t)b->nc * (size_t)b->rq * (size_t)b->rq;
  case BLK_SPARSE: return (size_t)b->nnzb * (size_t)b->rq * (size_t)b->cq;
  default: return (size_t)b->rows * (size_t)b->cols;
  }
}

static int block_alloc(lmm_block *b, int kind, int rq, int nr, int cq, int nc, lmm_stop *stop) {
  b->kind = kind;
  b->rq = rq; b->nr = nr; b->cq = cq; b->nc = nc;
  if ((size_t)rq * (size_t)nr > INT_MAX || (size_t)cq * (size_t)nc > INT_MAX) return -1;   /* refused before (budget.c) */
  b->rows = rq * nr; b->cols = cq * nc;
  b->ld = b->rows;
  if (kind == BLK_SPARSE) return 0;  /* pattern first */
  b->v = lmm_calloc_asking(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v, stop);
  return b->v ? 0 : -1;
}

static int int_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Ascending, in place.  A bucket usually holds a few dozen levels, where
 * qsort's call per comparison costs more than the comparisons; a long one
 * (fully crossed terms) goes to qsort, as insertion is quadratic. */
static void sort_levels(int *a, int n) {
  if (n > 64) { qsort(a, (size_t)n, sizeof *a, int_cmp); return; }
  for (int i = 1; i < n; i++) {
    int v = a[i], j = i;
    for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
    a[j] = v;
  }
}

/* A bucket's distinct row levels, ascending, into out (NULL: only counted).
 * Where the row term has few levels (at most BITSET_LEVELS), a bitset of
 * them, set per row and read back in order: no marks, no sort (a sort of
 * every bucket costs more than the bits).  Else marks (mark[l] == c: seen in bucket c) and a sort.
 * bits is all zero before and after. */
enum { BITSET_LEVELS = 4096 };
static int bucket_levels(const int *lv, size_t k0, size_t k1, int nr, int c, uint64_t *bits, int *mark, int *out) {
  int m = 0;
  if (nr <= BITSET_LEVELS) {
    for (size_t k = k0; k < k1; k++) bits[lv[k] >> 6] |= (uint64_t)1 << (lv[k] & 63);
    for (int w = 0; w <= (nr - 1) >> 6; w++) {
      uint64_t x = bits[w];
      bits[w] = 0;
      if (!out) m += __builtin_popcountll(x);
      else
        for (; x; x &= x - 1) out[m++] = w * 64 + __builtin_ctzll(x);
    }
    return m;
  }
  for (size_t k = k0; k < k1; k++)
    if (mark[lv[k]] != c) {
      mark[lv[k]] = c;
      if (out) out[m] = lv[k];
      m++;
    }
  if (out) sort_levels(out, m);
  return m;
}

/* Pattern of the level pairs (row term gi, column term gj) that occur in the
 * data: each row's gi level dropped into its gj level's bucket (rows read in
 * order, so the only random access is the write), then each bucket's
 * distinct levels, ascending (bucket_levels), counted and then stored.
 * O(n) and n ints of scratch, where sorting n pair keys took n log n and
 * twice the memory. */
static int sparse_pattern(lmm_block *b, const int *gi, const int *gj, size_t n) {
  int nc = b->nc, nr = b->nr;
  size_t *start = lmm_calloc((size_t)nc + 1, sizeof *start);
  int *lv = lmm_malloc(sizeof *lv * (n ? n : 1));
  int *mark = lmm_malloc(sizeof *mark * (size_t)(nr ? nr : 1));
  uint64_t bits[BITSET_LEVELS / 64] = {0};
  b->colptr = lmm_calloc((size_t)nc + 1, sizeof *b->colptr);
  int rc = -1;
  if (!start || !lv || !mark || !b->colptr) goto done;
  for (size_t r = 0; r < n; r++) start[gj[r] + 1]++;
  for (int c = 0; c < nc; c++) start[c + 1] += start[c];
  for (size_t r = 0; r < n; r++) lv[start[gj[r]]++] = gi[r];   /* start[c] now ends bucket c */
  for (int l = 0; l < nr; l++) mark[l] = -1;
  size_t nnz = 0;
  for (int c = 0; c < nc; c++)   /* count first, to allocate rowidx once */
    nnz += (size_t)bucket_levels(lv, c ? start[c - 1] : 0, start[c], nr, c, bits, mark, NULL);
  if (nnz > (size_t)INT_MAX || lmm_size_mul(nnz, (size_t)b->rq * (size_t)b->cq * sizeof *b->v) > lmm_alloc_max_block()) {
    rc = -2;
    goto done;
  }
  b->nnzb = (int)nnz;
  b->rowidx = lmm_malloc(sizeof *b->rowidx * (nnz ? nnz : 1));
  b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
  if (!b->rowidx || !b->v) goto done;
  for (int l = 0; l < nr; l++) mark[l] = -1;
  for (int c = 0, m = 0; c < nc; c++) {
    m += bucket_levels(lv, c ? start[c - 1] : 0, start[c], nr, c, bits, mark, b->rowidx + m);
    b->colptr[c + 1] = m;
  }
  rc = 0;
done:
  lmm_free(start);
  lmm_free(lv);
  lmm_free(mark);
  return rc;
}

/* A's blocks and the sparse ones' patterns (part 0, which allocates), and
 * the QR of [X y] (part 1, which does not: see parallel.h), two passes over
 * the rows that need nothing of each other, so they run side by side on
 * large data.  Only a QR of little
 * work (rows x columns^2) goes beside: on another thread it cannot ask the
 * stop (stop.h), so a long one runs on the caller's, asking as it goes. */
enum { BESIDE_ROWS = 50000 };
#define BESIDE_WORK 5e7
typedef struct basis_job {
  lmm_system *s; const lmm_design *d; lmm_basis *basis; lmm_stop *stop; int beside;
  lmm_error *err;   /* part 0's refusal of a pattern too large */
} basis_job;

static int patterns_or_basis(void *arg, int part) {
  basis_job *job = arg;
  lmm_system *s = job->s;
  const lmm_design *d = job->d;
  if (part == 1) return lmm_basis_qr(job->basis, d, job->beside ? NULL : job->stop);
  int K = s->K;
  for (int i = 0; i <= K; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = lmm_sys_A(s, i, j);
      int kind = i == K ? BLK_DENSE : i == j ? BLK_DIAG : BLK_SPARSE;
      if (lmm_stop_asked(job->stop)) return LMM_INTERRUPTED;
      if (block_alloc(b, kind, s->q[i], s->nl[i], s->q[j], s->nl[j], job->stop))
        return lmm_stop_seen(job->stop) ? LMM_INTERRUPTED : LMM_NOMEM;
      int rc = kind == BLK_SPARSE ? sparse_pattern(b, d->re[s->term[i]].g, d->re[s->term[j]].g, d->n) : 0;
      if (rc == -2) {
        char max[32];
        lmm_format_bytes((double)lmm_alloc_max_block(), max);
        return lmm_fail(job->err, LMM_ERR, "random-effects terms '%s' and '%s' share more level pairs than fit in one block "
                        "of memory (%s at most); use fewer levels or fewer random-effect columns",
                        d->re[s->term[i]].grp, d->re[s->term[j]].grp, max);
      }
      if (rc) return LMM_NOMEM;
    }
  return LMM_OK;
}

typedef struct order_item { int nl, idx; } order_item;
static int order_cmp(const void *a, const void *b) {
  const order_item *x = a, *y = b;
  if (x->nl != y->nl) return y->nl - x->nl;
  return x->idx - y->idx;
}

/* Whether each level of term a (fit position) sits inside one level of term b > a. */
static int nested_in(const lmm_system *s, int a, int b) {
  const lmm_block *B = lmm_sys_A(s, b, a);
  for (int c = 0; c < B->nc; c++)
    if (B->colptr[c + 1] - B->colptr[c] != 1) return 0;
  return 1;
}

int lmm_system_unscale(const lmm_system *s, const double *bt, const double *vt, double *beta, double *vcov, lmm_stop *stop) {
  int p = s->p;
  const double *Rinv = s->Rinv;
  for (int i = 0; i < p; i++) {
    double acc = s->b0[i];
    for (int j = i; j < p; j++) acc += Rinv[i + j * p] * bt[j];
    beta[i] = acc;
  }
  if (!vcov || !p) return LMM_OK;
  double *W = lmm_malloc_array(lmm_size_mul((size_t)p, (size_t)p), sizeof *W);
  if (!W) return LMM_NOMEM;
  /* W = Rinv V~, vcov = W Rinv', some columns a step (at least 16, for BLAS's speed) */
  int w = lmm_steps_columns(2.0 * p * p), rc = LMM_OK;
  if (w < 16) w = 16;
  for (int c = 0; c < p && !rc; c += w) {
    if (lmm_stop_asked(stop)) rc = LMM_INTERRUPTED;
    else cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, p, p - c < w ? p - c : w, p, 1.0, Rinv, p, vt + (size_t)c * p, p,
                     0.0, W + (size_t)c * p, p);
  }
  for (int c = 0; c < p && !rc; c += w) {
    if (lmm_stop_asked(stop)) rc = LMM_INTERRUPTED;
    else cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, p, p - c < w ? p - c : w, p, 1.0, W, p, Rinv + c, p, 0.0,
                     vcov + (size_t)c * p, p);
  }
  lmm_free(W);
  return rc;
}

double lmm_system_log_scale(const lmm_system *s) { return s->log_det_r; }

/* Cut 0..n-1 into parts of equal weight w: cut[0..parts]. */
static void cut_even(const double *w, int n, int parts, int *cut) {
  double total = 0, acc = 0;
  for (int i = 0; i < n; i++) total += w[i];
  cut[0] = 0;
  int k = 1;
  for (int i = 0; i < n && k < parts; i++) {
    acc += w[i];
    while (k < parts && acc >= total * k / parts) cut[k++] = i + 1;
  }
  while (k < parts) cut[k++] = n;
  cut[parts] = n;
}

/* Whether the first term's pass is worth splitting over threads, and where
 * (see lmm_system.split): when the pairs of stored blocks it multiplies are
 * many.  Each later term's levels are cut so that every part does the same
 * number of pair products in the blocks it owns.  A lone term has no pairs:
 * its levels are split when they are many (a structured fit's 100,000
 * subjects evaluated a hundred times). */
enum { LONE_TERM_VALUES = 1 << 18 };   /* the levels' values in L[K][0] from which a lone term is split */
static int plan_parallel(lmm_system *s, int parts, int forced) {
  int K = s->K, p1 = s->p + 1, nl0 = s->nl[0];
  s->nparts = 1;
  if (K == 1 && parts >= 2 && nl0 >= parts && (forced || (double)nl0 * s->q[0] * p1 >= LONE_TERM_VALUES)) {
    if (!(s->split = lmm_malloc(sizeof *s->split * (size_t)(parts + 1)))) return -1;
    for (int k = 0; k <= parts; k++) s->split[k] = (int)((long long)nl0 * k / parts);
    s->nparts = parts;
    return 0;
  }
  if (K < 2 || parts < 2) return 0;
  int maxnl = nl0;
  for (int j = 1; j < K; j++) if (s->nl[j] > maxnl) maxnl = s->nl[j];
  double *w = lmm_calloc((size_t)maxnl, sizeof *w), work = 0;
  if (!w) return -1;
  for (int j = 1; j < K; j++) {   /* the pairs, for the threshold */
    const lmm_block *Bj = lmm_sys_A(s, j, 0);
    for (int c = 0; c < nl0; c++) {
      double nj = (double)(Bj->colptr[c + 1] - Bj->colptr[c]);
      for (int i = j; i < K; i++) {
        const lmm_block *Bi = lmm_sys_A(s, i, 0);
        work += nj * (double)(Bi->colptr[c + 1] - Bi->colptr[c]) * s->q[i] * s->q[j] * s->q[0] * (i == j ? 0.5 : 1);
      }
      work += nj * p1 * s->q[j] * s->q[0];
    }
  }
  int rc = 0;
  if (!forced && work < 2e6) goto done;
  s->split = lmm_malloc(sizeof *s->split * (size_t)(parts + 1));
  s->rsplit = lmm_calloc((size_t)K, sizeof *s->rsplit);
  s->rstart = lmm_calloc((size_t)K, sizeof *s->rstart);
  if (!s->split || !s->rsplit || !s->rstart) { rc = -1; goto done; }
  for (int c = 0; c < nl0; c++) {   /* the first pass: stored blocks per level */
    w[c] = 1;
    for (int i = 1; i < K; i++) w[c] += lmm_sys_A(s, i, 0)->colptr[c + 1] - lmm_sys_A(s, i, 0)->colptr[c];
  }
  cut_even(w, nl0, parts, s->split);
  for (int j = 1; j < K; j++) {   /* the updates: pair products per column level of term j */
    if (!(s->rsplit[j] = lmm_malloc(sizeof **s->rsplit * (size_t)(parts + 1)))) { rc = -1; goto done; }
    memset(w, 0, sizeof *w * (size_t)s->nl[j]);
    const lmm_block *Bj = lmm_sys_A(s, j, 0);
    for (int c = 0; c < nl0; c++)
      for (int kb = Bj->colptr[c]; kb < Bj->colptr[c + 1]; kb++) {
        double pairs = p1 + (Bj->colptr[c + 1] - kb);   /* the fixed rows, and the rows at or below it */
        for (int i = j + 1; i < K; i++) pairs += lmm_sys_A(s, i, 0)->colptr[c + 1] - lmm_sys_A(s, i, 0)->colptr[c];
        w[Bj->rowidx[kb]] += pairs;
      }
    cut_even(w, s->nl[j], parts, s->rsplit[j]);
    int *at = s->rstart[j] = lmm_malloc(sizeof **s->rstart * (size_t)nl0 * (size_t)(parts + 1));
    if (!at) { rc = -1; goto done; }
    for (int c = 0; c < nl0; c++, at += parts + 1) {   /* rows ascend within a column */
      int kb = Bj->colptr[c];
      for (int k = 0; k < parts; k++) {
        while (kb < Bj->colptr[c + 1] && Bj->rowidx[kb] < s->rsplit[j][k]) kb++;
        at[k] = kb;
      }
      at[parts] = Bj->colptr[c + 1];
    }
  }
  s->nparts = parts;
done:
  lmm_free(w);
  if (rc) free_parts(s);
  return rc;
}

int lmm_system_set_parts(lmm_system *s, int parts) {
  free_parts(s);
  return plan_parallel(s, parts, 1) ? -1 : s->nparts;
}

/* L's dense tail (see lmm_system): from the first term that fills in (its
 * blocks in L are dense, and so are every later term's, stays_diagonal being
 * inherited) to the fixed part.  One allocation; the blocks point into it.
 * Refused (LMM_ERR) when it cannot be allocated whole. */
static int tail_alloc(lmm_system *s, const lmm_design *d, lmm_stop *stop, lmm_error *err) {
  int K = s->K, P = 1;
  while (P < K && s->stays_diagonal[P]) P++;
  if (P >= K) return 0;
  size_t m = 0;
  for (int k = P; k <= K; k++) m += (size_t)s->q[k] * (size_t)s->nl[k];
  lmm_budget budget = lmm_budget_host();
  int rc = lmm_budget_check_tail(m, d->re[s->term[P]].grp, &budget, err);
  if (rc) return rc;
  if (!(s->tail = lmm_calloc_asking(lmm_size_mul(m, m), sizeof *s->tail, stop))) return lmm_nomem_or_stopped(stop, err);
  s->tail_from = P;
  s->tail_order = (int)m;
  return 0;
}

/* Block (i, j) of L as its piece of the tail. */
static void tail_block(lmm_system *s, lmm_block *b, int i, int j) {
  size_t r = 0, c = 0, m = (size_t)s->tail_order;
  for (int k = s->tail_from; k < i; k++) r += (size_t)s->q[k] * (size_t)s->nl[k];
  for (int k = s->tail_from; k < j; k++) c += (size_t)s->q[k] * (size_t)s->nl[k];
  b->kind = BLK_DENSE;
  b->rq = s->q[i]; b->nr = s->nl[i]; b->cq = s->q[j]; b->nc = s->nl[j];
  b->rows = b->rq * b->nr; b->cols = b->cq * b->nc;
  b->v = s->tail + r + c * m;
  b->ld = (int)m;
  b->in_tail = 1;
}

/* θ's map over the design's terms with their fit positions and unit
 * columns (zscale, from lmm_system_fill), and the data's units. */
static int finish_system(lmm_system *s, const lmm_design *d, lmm_stop *stop, lmm_system **out, lmm_error *err);

static int theta_and_units(lmm_system *s, const lmm_design *d, lmm_error *err) {
  int K = s->K, rc;
  int *q = lmm_calloc((size_t)(K ? K : 1), sizeof *q);
  if (!q) return lmm_nomem(err);
  for (int t = 0; t < K; t++) q[t] = d->re[t].q;
  rc = lmm_theta_new(K, q, &s->theta, err);
  lmm_free(q);
  if (rc) return rc;
  for (int k = 0; k < K; k++) {
    const lmm_reterm *re = &d->re[s->term[k]];
    lmm_theta_set_term(s->theta, s->term[k], k, re->nlevels, s->zscale[k], re->zexp, re->cnames);
  }
  s->units = (lmm_units){d->yexp, d->xexp, d->xnames, d->frame->f->response_label};
  return LMM_OK;
}

int lmm_system_new(const lmm_design *d, lmm_stop *stop, lmm_system **out, lmm_error *err) {
  return lmm_system_new_from(d, NULL, NULL, stop, out, err);
}

int lmm_system_new_from(const lmm_design *d, int (*values)(void *arg, lmm_system *s, lmm_error *err), void *arg,
                        lmm_stop *stop, lmm_system **out, lmm_error *err) {
  *out = NULL;
  lmm_system *s = lmm_calloc(1, sizeof *s);
  if (!s) return lmm_nomem(err);
  int K = d->nre, K1 = K + 1;
  if (d->n > UINT32_MAX) { lmm_free(s); return lmm_fail(err, LMM_ERR, "%zu rows: at most %u can be fitted", d->n, UINT32_MAX); }
  s->K = K;
  s->n = d->n;
  s->p = d->p;
  s->term = lmm_calloc((size_t)K1, sizeof *s->term);
  s->q = lmm_calloc((size_t)K1, sizeof *s->q);
  s->nl = lmm_calloc((size_t)K1, sizeof *s->nl);
  s->stays_diagonal = lmm_calloc((size_t)K1, sizeof *s->stays_diagonal);
  s->A = lmm_calloc(lmm_size_mul((size_t)K1, (size_t)K1), sizeof *s->A);
  s->L = lmm_calloc(lmm_size_mul((size_t)K1, (size_t)K1), sizeof *s->L);
  order_item *ord = lmm_calloc((size_t)K1, sizeof *ord);
  if (!s->term || !s->q || !s->nl || !s->stays_diagonal || !s->A || !s->L || !ord) goto nomem;
  for (int k = 0; k < K; k++) ord[k] = (order_item){d->re[k].nlevels, k};
  qsort(ord, (size_t)K, sizeof *ord, order_cmp);
  for (int k = 0; k < K; k++) {
    s->term[k] = ord[k].idx;
    s->q[k] = d->re[ord[k].idx].q;
    s->nl[k] = d->re[ord[k].idx].nlevels;
  }
  lmm_free(ord);
  ord = NULL;
  s->term[K] = -1;
  s->q[K] = d->p + 1;
  s->nl[K] = 1;

  /* A: the patterns and the fixed part's basis, then the values in one pass */
  if (values) {   /* the patterns from the design's rows, the values from the caller */
    basis_job job = {s, d, NULL, stop, 0, err};
    int rc = patterns_or_basis(&job, 0);
    if (!rc) rc = values(arg, s, err);
    else if (rc == LMM_INTERRUPTED) lmm_fail(err, rc, "interrupted");
    else if (rc == LMM_NOMEM) goto nomem;
    if (!rc) rc = theta_and_units(s, d, err);
    if (rc) { lmm_system_free(s); return rc; }
    return finish_system(s, d, stop, out, err);
  }
  lmm_basis basis = {0};
  double p1 = d->p + 1;
  basis_job job = {s, d, &basis, stop, d->n >= BESIDE_ROWS && (double)d->n * p1 * p1 <= BESIDE_WORK, err};
  int rc = lmm_basis_alloc(&basis, d, stop) ? (lmm_stop_seen(stop) ? LMM_INTERRUPTED : LMM_NOMEM) : job.beside ? lmm_parallel(2, patterns_or_basis, &job)
                                                                : patterns_or_basis(&job, 0);
  if (!rc && !job.beside) rc = patterns_or_basis(&job, 1);
  if (rc) {
    lmm_basis_free(&basis);
    if (rc == LMM_NOMEM) goto nomem;
    lmm_system_free(s);
    return rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted") : rc;
  }
  rc = lmm_system_fill(s, d, &basis, stop, err);
  lmm_basis_free(&basis);
  if (!rc) rc = theta_and_units(s, d, err);
  if (rc) { lmm_system_free(s); return rc; }
  return finish_system(s, d, stop, out, err);
nomem:
  lmm_free(ord);
  lmm_system_free(s);
  return lmm_nomem_or_stopped(stop, err);
}

/* L's blocks and the threads' split, once A is made. */
static int finish_system(lmm_system *s, const lmm_design *d, lmm_stop *stop, lmm_system **out, lmm_error *err) {
  int K = s->K, K1 = K + 1, rc;
  /* L: which blocks keep their structure */
  for (int k = 0; k < K; k++) {
    int ok = 1;
    for (int j = 0; j < k && ok; j++) ok = s->stays_diagonal[j] && nested_in(s, j, k);
    s->stays_diagonal[k] = ok;
  }
  if ((rc = tail_alloc(s, d, stop, err))) { lmm_system_free(s); return rc; }
  for (int i = 0; i < K1; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = lmm_sys_L(s, i, j), *a = lmm_sys_A(s, i, j);
      if (s->tail && j >= s->tail_from) { tail_block(s, b, i, j); continue; }
      int kind = i == K ? BLK_DENSE : i == j ? (s->stays_diagonal[i] ? BLK_DIAG : BLK_DENSE)
                                             : (s->stays_diagonal[j] ? BLK_SPARSE : BLK_DENSE);
      if (block_alloc(b, kind, s->q[i], s->nl[i], s->q[j], s->nl[j], stop)) goto nomem;
      if (kind == BLK_SPARSE) {   /* L keeps A's pattern: no fill-in where terms are nested */
        b->nnzb = a->nnzb;
        b->colptr = a->colptr;
        b->rowidx = a->rowidx;
        b->shares_pattern = 1;
        /* every stored block is written before it is read (scale_block, or
         * the first term's pass for j = 0): no zeros to write */
        b->v = lmm_malloc(sizeof *b->v * (lmm_block_values(b) ? lmm_block_values(b) : 1));
        if (!b->v) goto nomem;
      }
    }
  if (plan_parallel(s, lmm_parallel_parts(), 0)) goto nomem;
  *out = s;
  return LMM_OK;
nomem:
  lmm_system_free(s);
  return lmm_nomem_or_stopped(stop, err);
}
