/* blocks.c — building A once from the design (see blocks.h); factor.c
 * factors it at each theta. */
#include "blocks.h"
#include "alloc.h"
#include "parallel.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


/* ---- construction ------------------------------------------------------- */

static void block_free(lmm_block *b) {
  lmm_free(b->v);
  if (b->shares_pattern) return;
  lmm_free(b->colptr);
  lmm_free(b->rowidx);
}

static void free_parts(lmm_system *s) {
  for (int j = 0; s->rsplit && j < s->K; j++) lmm_free(s->rsplit[j]);
  lmm_free(s->rsplit);
  lmm_free(s->split);
  s->rsplit = NULL;
  s->split = NULL;
  s->nparts = 1;
}

void lmm_system_free(lmm_system *s) {
  if (!s) return;
  int m = (s->K + 1) * (s->K + 1);
  for (int i = 0; s->A && i < m; i++) block_free(&s->A[i]);
  for (int i = 0; s->L && i < m; i++) block_free(&s->L[i]);
  lmm_free(s->A);
  lmm_free(s->L);
  lmm_free(s->term);
  lmm_free(s->q);
  lmm_free(s->nl);
  lmm_free(s->diag_ok);
  lmm_free(s->S);
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

static int block_alloc(lmm_block *b, int kind, int rq, int nr, int cq, int nc) {
  b->kind = kind;
  b->rq = rq; b->nr = nr; b->cq = cq; b->nc = nc;
  b->rows = rq * nr; b->cols = cq * nc;
  if (kind == BLK_SPARSE) return 0;  /* pattern first */
  b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
  return b->v ? 0 : -1;
}

static int int_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* Pattern of the level pairs (row term gi, column term gj) that occur in the
 * data: rows bucketed by their column level, each bucket's distinct row
 * levels marked and sorted.  O(n) and n ints of scratch, where sorting n
 * pair keys took n log n and twice the memory. */
static int sparse_pattern(lmm_block *b, const int *gi, const int *gj, size_t n) {
  int nc = b->nc, nr = b->nr;
  size_t *start = lmm_calloc((size_t)nc + 1, sizeof *start);
  uint32_t *rows = lmm_malloc(sizeof *rows * (n ? n : 1));
  int *mark = lmm_malloc(sizeof *mark * (size_t)(nr ? nr : 1));
  b->colptr = lmm_calloc((size_t)nc + 1, sizeof *b->colptr);
  int rc = -1;
  if (!start || !rows || !mark || !b->colptr) goto done;
  for (size_t r = 0; r < n; r++) start[gj[r] + 1]++;
  for (int c = 0; c < nc; c++) start[c + 1] += start[c];
  for (size_t r = 0; r < n; r++) rows[start[gj[r]]++] = (uint32_t)r;   /* start[c] now ends bucket c */
  for (int l = 0; l < nr; l++) mark[l] = -1;
  size_t nnz = 0;
  for (int c = 0; c < nc; c++) {   /* count first, to allocate rowidx once */
    for (size_t k = c ? start[c - 1] : 0; k < start[c]; k++) {
      int l = gi[rows[k]];
      if (mark[l] != c) { mark[l] = c; nnz++; }
    }
  }
  if (nnz > (size_t)INT_MAX) goto done;
  b->nnzb = (int)nnz;
  b->rowidx = lmm_malloc(sizeof *b->rowidx * (nnz ? nnz : 1));
  b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
  if (!b->rowidx || !b->v) goto done;
  for (int l = 0; l < nr; l++) mark[l] = -1;
  int m = 0;
  for (int c = 0; c < nc; c++) {
    int first = m;
    for (size_t k = c ? start[c - 1] : 0; k < start[c]; k++) {
      int l = gi[rows[k]];
      if (mark[l] != c) { mark[l] = c; b->rowidx[m++] = l; }
    }
    if (m - first > 1) qsort(b->rowidx + first, (size_t)(m - first), sizeof *b->rowidx, int_cmp);
    b->colptr[c + 1] = m;
  }
  rc = 0;
done:
  lmm_free(start);
  lmm_free(rows);
  lmm_free(mark);
  return rc;
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

enum { CHUNK = 256 };   /* rows of [X y] taken at a time */

/* One chunk of [X y] (m rows, column-major, leading dimension CHUNK): rows
 * idx[0..m-1], or r0 .. r0+m-1 when idx is NULL. */
static void xy_chunk(const lmm_design *d, const uint32_t *idx, size_t r0, int m, double *B) {
  lmm_design_x_rows(d, idx, r0, m, B, CHUNK);
  double *y = B + (size_t)d->p * CHUNK;
  for (int i = 0; i < m; i++) y[i] = d->y[idx ? idx[i] : r0 + (size_t)i];
}

/* The fixed effects' basis, before any cross-product with Z is formed: R of
 * the QR of [X y], by chunks of rows (R stacked on each chunk, re-factored by
 * dtpqrt), with no copy of X.  Then the blocks hold X~ = X R^-1 (X~'X~ = I
 * whatever the scales or near-collinearity of X) and y~ = y - X b0, the
 * least-squares residual, so a large intercept or offset is gone from y
 * before y'y is formed.  beta = b0 + R^-1 beta~ maps back.  R also says
 * whether X has full rank: a column whose R[j][j] is tiny next to its norm
 * is a combination of the columns before it. */
static int choose_basis(lmm_system *s, const lmm_design *d, int (*interrupted)(void *), void *ctx, lmm_error *err) {
  size_t n = d->n;
  int p = d->p, p1 = p + 1, nb = p1 < 32 ? p1 : 32;
  double *R = lmm_calloc((size_t)(p1 * p1), sizeof *R), *B = lmm_malloc(sizeof *B * CHUNK * (size_t)p1);
  double *Tq = lmm_malloc(sizeof *Tq * (size_t)(nb * p1));
  s->S = lmm_calloc((size_t)(p ? p * p : 1), sizeof *s->S);
  s->b0 = lmm_calloc((size_t)(p ? p : 1), sizeof *s->b0);
  int rc = LMM_OK;
  if (!R || !B || !Tq || !s->S || !s->b0) { rc = lmm_nomem(err); goto done; }
  for (size_t r0 = 0; r0 < n; r0 += CHUNK) {
    int m = n - r0 < CHUNK ? (int)(n - r0) : CHUNK;
    if (interrupted && r0 % (64 * CHUNK) == 0 && interrupted(ctx)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); goto done; }
    xy_chunk(d, NULL, r0, m, B);
    if (LAPACKE_dtpqrt(LAPACK_COL_MAJOR, m, p1, 0, nb, R, p1, B, CHUNK, Tq, nb)) { rc = lmm_nomem(err); goto done; }
  }
  /* rank: R[j][j] against the norm of column j (the norm of R's column j) */
  for (int j = 0; j < p1 && !rc; j++) {
    double nrm = 0;
    for (int i = 0; i <= j; i++) nrm += R[i + j * p1] * R[i + j * p1];
    nrm = sqrt(nrm);
    double rjj = fabs(R[j + j * p1]);
    if (j < p && nrm == 0) rc = lmm_fail(err, LMM_ERR, "fixed-effect column '%s' is all zero in the rows used", d->xnames[j]);
    else if (j < p && !(rjj > 1e-7 * nrm))
      rc = lmm_fail(err, LMM_ERR,
                    "fixed effects are rank deficient: column '%s' is a linear combination of the columns before it; drop it from the formula",
                    d->xnames[j]);
    else if (j == p && !(rjj > 1e-12 * nrm))
      rc = lmm_fail(err, LMM_ERR, "the fixed effects reproduce the response exactly (zero residual variance); there is nothing to estimate");
  }
  if (rc) goto done;
  s->log_det_r = 0;
  for (int j = 0; j < p; j++) {
    for (int i = 0; i <= j; i++) s->S[i + j * p] = R[i + j * p1];
    s->log_det_r += log(fabs(R[j + j * p1]));
    s->b0[j] = R[j + p * p1];
  }
  if (p) {
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, p, s->S, p, s->b0, 1);   /* b0 = R^-1 Q'y */
    if (LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', p, s->S, p)) rc = lmm_nomem(err);              /* S = R^-1 */
  }
done:
  lmm_free(R);
  lmm_free(B);
  lmm_free(Tq);
  return rc;
}

int lmm_system_unscale(const lmm_system *s, const double *bt, const double *vt, double *beta, double *vcov) {
  int p = s->p;
  const double *S = s->S;
  for (int i = 0; i < p; i++) {
    double acc = s->b0[i];
    for (int j = i; j < p; j++) acc += S[i + j * p] * bt[j];
    beta[i] = acc;
  }
  if (!vcov || !p) return LMM_OK;
  double *W = lmm_malloc(sizeof *W * (size_t)(p * p));
  if (!W) return LMM_NOMEM;
  /* W = S V~, vcov = W S' */
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, p, p, p, 1.0, S, p, vt, p, 0.0, W, p);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, p, p, p, 1.0, W, p, S, p, 0.0, vcov, p);
  lmm_free(W);
  return LMM_OK;
}

double lmm_system_log_scale(const lmm_system *s) { return s->log_det_r; }

/* The rows in the order of the first term's levels (a counting sort), so
 * that accumulating walks its blocks in storage order. */
static uint32_t *first_term_order(const lmm_system *s, const lmm_design *d, int *failed) {
  size_t n = d->n;
  *failed = 0;
  if (s->K == 0) return NULL;
  const int *g = d->re[s->term[0]].g;
  int nl = s->nl[0];
  uint32_t *order = lmm_malloc(sizeof *order * (n ? n : 1));
  size_t *next = lmm_calloc((size_t)nl + 1, sizeof *next);
  if (!order || !next) { lmm_free(order); lmm_free(next); *failed = 1; return NULL; }
  for (size_t r = 0; r < n; r++) next[g[r] + 1]++;
  for (int l = 0; l < nl; l++) next[l + 1] += next[l];
  for (size_t r = 0; r < n; r++) order[next[g[r]]++] = (uint32_t)r;
  lmm_free(next);
  return order;
}

/* The values of A, chunk by chunk of rows: [X~ y~] from [X y] by the basis,
 * its own cross-product by BLAS, and each row's products with the terms'
 * columns into the diagonal, sparse and fixed-part blocks. */
static int accumulate(lmm_system *s, const lmm_design *d, int (*interrupted)(void *), void *ctx) {
  int K = s->K, p = d->p, p1 = p + 1, qsum = 0, failed, rc = LMM_OK;
  for (int k = 0; k < K; k++) qsum += s->q[k];
  uint32_t *order = first_term_order(s, d, &failed);
  double *B = lmm_malloc(sizeof *B * CHUNK * (size_t)p1), *z = lmm_malloc(sizeof *z * (size_t)(qsum ? qsum : 1));
  int *zoff = lmm_malloc(sizeof *zoff * (size_t)(K ? K : 1));
  if (failed || !B || !z || !zoff) { lmm_free(order); lmm_free(B); lmm_free(z); lmm_free(zoff); return LMM_NOMEM; }
  for (int k = 0, o = 0; k < K; k++) { zoff[k] = o; o += s->q[k]; }
  lmm_block *AKK = lmm_sys_A(s, K, K);
  for (size_t r0 = 0; r0 < d->n; r0 += CHUNK) {
    int m = d->n - r0 < CHUNK ? (int)(d->n - r0) : CHUNK;
    const uint32_t *idx = order ? order + r0 : NULL;
    if (interrupted && r0 % (64 * CHUNK) == 0 && interrupted(ctx)) { rc = LMM_INTERRUPTED; break; }
    xy_chunk(d, idx, r0, m, B);
    if (p) {
      double *y = B + (size_t)p * CHUNK;
      cblas_dgemv(CblasColMajor, CblasNoTrans, m, p, -1.0, B, CHUNK, s->b0, 1, 1.0, y, 1);            /* y~ = y - X b0 */
      cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, p, 1.0, s->S, p, B, CHUNK); /* X~ = X R^-1 */
    }
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, p1, m, 1.0, B, CHUNK, 1.0, AKK->v, p1);
    for (int i = 0; i < m; i++) {
      size_t r = idx ? idx[i] : r0 + (size_t)i;
      for (int k = 0; k < K; k++)
        for (int a = 0; a < s->q[k]; a++) z[zoff[k] + a] = lmm_design_z(d, s->term[k], a, r);
      for (int j = 0; j < K; j++) {
        const double *zj = z + zoff[j];
        int qj = s->q[j], lj = d->re[s->term[j]].g[r];
        double *D = lmm_sys_A(s, j, j)->v + (size_t)lj * (size_t)(qj * qj);
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qj; a++) D[a + b * qj] += zj[a] * zj[b];
        for (int k = j + 1; k < K; k++) {
          const double *zk = z + zoff[k];
          int qk = s->q[k];
          double *P = lmm_block_at(lmm_sys_A(s, k, j), d->re[s->term[k]].g[r], lj);
          for (int b = 0; b < qj; b++)
            for (int a = 0; a < qk; a++) P[a + b * qk] += zk[a] * zj[b];
        }
        lmm_block *F = lmm_sys_A(s, K, j);
        for (int b = 0; b < qj; b++) {
          double *col = F->v + (size_t)(lj * qj + b) * (size_t)p1;
          for (int a = 0; a < p1; a++) col[a] += B[i + (size_t)a * CHUNK] * zj[b];
        }
      }
    }
  }
  lmm_free(order);
  lmm_free(B);
  lmm_free(z);
  lmm_free(zoff);
  return rc;
}

/* Each random-effects column at unit root mean square (see zscale). */
static int unit_columns(lmm_system *s) {
  int K = s->K, p1 = s->p + 1;
  if (!(s->zscale = lmm_calloc((size_t)(K ? K : 1), sizeof *s->zscale))) return -1;
  for (int k = 0; k < K; k++) {
    int q = s->q[k];
    double *z = s->zscale[k] = lmm_malloc(sizeof *z * (size_t)q);
    if (!z) return -1;
    const lmm_block *D = lmm_sys_A(s, k, k);
    for (int a = 0; a < q; a++) {
      double ss = 0;
      for (int l = 0; l < s->nl[k]; l++) ss += D->v[(size_t)l * (size_t)(q * q) + (size_t)(a + a * q)];
      z[a] = sqrt(ss / (double)s->n);
      if (!(z[a] > 0) || !isfinite(z[a])) z[a] = 1;
    }
  }
  for (int j = 0; j < K; j++) {
    const double *zj = s->zscale[j];
    int qj = s->q[j];
    for (int i = j; i < K; i++) {
      lmm_block *b = lmm_sys_A(s, i, j);
      const double *zi = s->zscale[i];
      int qi = s->q[i];
      size_t nblk = lmm_block_values(b) / (size_t)(qi * qj);
      for (size_t k = 0; k < nblk; k++)
        for (int c = 0; c < qj; c++)
          for (int r = 0; r < qi; r++) b->v[k * (size_t)(qi * qj) + (size_t)(r + c * qi)] /= zi[r] * zj[c];
    }
    lmm_block *F = lmm_sys_A(s, K, j);
    for (int c = 0; c < F->cols; c++)
      for (int r = 0; r < p1; r++) F->v[(size_t)c * (size_t)p1 + (size_t)r] /= zj[c % qj];
  }
  return 0;
}

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
 * number of pair products in the blocks it owns. */
static int plan_parallel(lmm_system *s, int parts, int forced) {
  int K = s->K, p1 = s->p + 1, nl0 = s->nl[0];
  s->nparts = 1;
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
  if (!s->split || !s->rsplit) { rc = -1; goto done; }
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

int lmm_system_new(const lmm_design *d, int (*interrupted)(void *), void *ctx, lmm_system **out, lmm_error *err) {
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
  s->diag_ok = lmm_calloc((size_t)K1, sizeof *s->diag_ok);
  s->A = lmm_calloc((size_t)(K1 * K1), sizeof *s->A);
  s->L = lmm_calloc((size_t)(K1 * K1), sizeof *s->L);
  order_item *ord = lmm_calloc((size_t)K1, sizeof *ord);
  if (!s->term || !s->q || !s->nl || !s->diag_ok || !s->A || !s->L || !ord) goto nomem;
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

  /* A: patterns, the fixed part's basis, then the values in one pass */
  for (int i = 0; i < K1; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = lmm_sys_A(s, i, j);
      int kind = i == K ? BLK_DENSE : i == j ? BLK_DIAG : BLK_SPARSE;
      if (block_alloc(b, kind, s->q[i], s->nl[i], s->q[j], s->nl[j])) goto nomem;
      if (kind == BLK_SPARSE && sparse_pattern(b, d->re[s->term[i]].g, d->re[s->term[j]].g, d->n)) goto nomem;
    }
  int rc = choose_basis(s, d, interrupted, ctx, err);
  if (!rc && (rc = accumulate(s, d, interrupted, ctx)))
    rc = rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted") : lmm_nomem(err);
  if (!rc && unit_columns(s)) rc = lmm_nomem(err);
  if (rc) { lmm_system_free(s); return rc; }
  /* L: which blocks keep their structure */
  for (int k = 0; k < K; k++) {
    int ok = 1;
    for (int j = 0; j < k && ok; j++) ok = s->diag_ok[j] && nested_in(s, j, k);
    s->diag_ok[k] = ok;
  }
  for (int i = 0; i < K1; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = lmm_sys_L(s, i, j), *a = lmm_sys_A(s, i, j);
      int kind = i == K ? BLK_DENSE : i == j ? (s->diag_ok[i] ? BLK_DIAG : BLK_DENSE)
                                             : (s->diag_ok[j] ? BLK_SPARSE : BLK_DENSE);
      if (block_alloc(b, kind, s->q[i], s->nl[i], s->q[j], s->nl[j])) goto nomem;
      if (kind == BLK_SPARSE) {   /* L keeps A's pattern: no fill-in where terms are nested */
        b->nnzb = a->nnzb;
        b->colptr = a->colptr;
        b->rowidx = a->rowidx;
        b->shares_pattern = 1;
        b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
        if (!b->v) goto nomem;
      }
    }
  if (plan_parallel(s, lmm_parallel_parts(), 0)) goto nomem;
  *out = s;
  return LMM_OK;
nomem:
  lmm_free(ord);
  lmm_system_free(s);
  return lmm_nomem(err);
}
