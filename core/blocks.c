/* blocks.c — building A once from the design (see blocks.h); factor.c
 * factors it at each theta. */
#include "blocks.h"
#include "alloc.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* ---- construction ------------------------------------------------------- */

static void block_free(lmm_block *b) {
  lmm_free(b->v);
  lmm_free(b->colptr);
  lmm_free(b->rowidx);
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

static int u64_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Pattern of the level pairs (row term i, column term j) that occur in the data. */
static int sparse_pattern(lmm_block *b, const int *gi, const int *gj, size_t n) {
  uint64_t *key = lmm_malloc(sizeof *key * (n ? n : 1));
  if (!key) return -1;
  for (size_t r = 0; r < n; r++) key[r] = (uint64_t)gj[r] << 32 | (uint32_t)gi[r];
  qsort(key, n, sizeof *key, u64_cmp);
  size_t m = 0;
  for (size_t r = 0; r < n; r++) if (!m || key[m - 1] != key[r]) key[m++] = key[r];
  b->nnzb = (int)m;
  b->colptr = lmm_calloc((size_t)b->nc + 1, sizeof *b->colptr);
  b->rowidx = lmm_malloc(sizeof *b->rowidx * (m ? m : 1));
  b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
  if (!b->colptr || !b->rowidx || !b->v) { lmm_free(key); return -1; }
  for (size_t k = 0; k < m; k++) {
    b->rowidx[k] = (int)(uint32_t)key[k];
    b->colptr[(key[k] >> 32) + 1]++;
  }
  for (int c = 0; c < b->nc; c++) b->colptr[c + 1] += b->colptr[c];
  lmm_free(key);
  return 0;
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

/* Orthogonalize X before any cross-product is formed: X = Q R, the blocks
 * hold Q in place of X and y - Q Q'y in place of y, so X~'X~ = I whatever the
 * scales or near-collinearity of X, and a large intercept or offset is gone
 * from y before y'y is formed.  beta = b0 + R^-1 beta~ maps back. */
static int choose_basis(lmm_system *s, const lmm_design *d, double *Q, double *yt) {
  size_t n = d->n;
  int p = d->p;
  s->S = lmm_calloc((size_t)(p ? p * p : 1), sizeof *s->S);
  s->b0 = lmm_calloc((size_t)(p ? p : 1), sizeof *s->b0);
  double *tau = lmm_malloc(sizeof *tau * (size_t)(p ? p : 1)), *qy = lmm_malloc(sizeof *qy * (size_t)(p ? p : 1));
  int rc = -1;
  if (!s->S || !s->b0 || !tau || !qy) goto done;
  memcpy(yt, d->y, sizeof *yt * n);
  s->log_det_r = 0;
  if (p) {
    memcpy(Q, d->X, sizeof *Q * n * (size_t)p);
    if (LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (int)n, p, Q, (int)n, tau)) goto done;
    for (int j = 0; j < p; j++)
      for (int i = 0; i <= j; i++) s->S[i + j * p] = Q[i + (size_t)j * n];
    for (int j = 0; j < p; j++) s->log_det_r += log(fabs(s->S[j + j * p]));
    if (LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', p, s->S, p)) goto done;   /* S = R^-1 */
    if (LAPACKE_dorgqr(LAPACK_COL_MAJOR, (int)n, p, p, Q, (int)n, tau)) goto done;
    /* y~ = y - Q Q'y, twice for accuracy; b0 = R^-1 Q'y accumulates both passes */
    for (int pass = 0; pass < 2; pass++) {
      cblas_dgemv(CblasColMajor, CblasTrans, (int)n, p, 1.0, Q, (int)n, yt, 1, 0.0, qy, 1);
      cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, p, -1.0, Q, (int)n, qy, 1, 1.0, yt, 1);
      for (int i = 0; i < p; i++) {
        double acc = 0;
        for (int j = i; j < p; j++) acc += s->S[i + j * p] * qy[j];
        s->b0[i] += acc;
      }
    }
  }
  rc = 0;
done:
  lmm_free(tau);
  lmm_free(qy);
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

int lmm_system_new(const lmm_design *d, lmm_system **out, lmm_error *err) {
  *out = NULL;
  lmm_system *s = lmm_calloc(1, sizeof *s);
  if (!s) return lmm_nomem(err);
  int K = d->nre, K1 = K + 1;
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
  size_t n = d->n;

  /* A: pattern and values */
  for (int i = 0; i < K1; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = lmm_sys_A(s, i, j);
      int kind = i == K ? BLK_DENSE : i == j ? BLK_DIAG : BLK_SPARSE;
      if (block_alloc(b, kind, s->q[i], s->nl[i], s->q[j], s->nl[j])) goto nomem;
      if (kind == BLK_SPARSE && sparse_pattern(b, d->re[s->term[i]].g, d->re[s->term[j]].g, n)) goto nomem;
    }
  int p1 = d->p + 1;
  double *xy = lmm_malloc(sizeof *xy * (size_t)p1);
  double *XY = lmm_malloc(sizeof *XY * n * (size_t)p1);
  if (!xy || !XY || choose_basis(s, d, XY, XY + (size_t)d->p * n)) { lmm_free(xy); lmm_free(XY); goto nomem; }
  for (size_t r = 0; r < n; r++) {
    for (int c = 0; c <= d->p; c++) xy[c] = XY[(size_t)c * n + r];
    for (int j = 0; j < K; j++) {
      const lmm_reterm *tj = &d->re[s->term[j]];
      int qj = tj->q, lj = tj->g[r];
      /* diagonal */
      double *D = lmm_sys_A(s, j, j)->v + (size_t)lj * (size_t)(qj * qj);
      for (int b = 0; b < qj; b++)
        for (int a = 0; a < qj; a++) D[a + b * qj] += tj->Z[(size_t)a * n + r] * tj->Z[(size_t)b * n + r];
      /* between terms */
      for (int i = j + 1; i < K; i++) {
        const lmm_reterm *ti = &d->re[s->term[i]];
        int qi = ti->q;
        double *B = lmm_block_at(lmm_sys_A(s, i, j), ti->g[r], lj);
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qi; a++) B[a + b * qi] += ti->Z[(size_t)a * n + r] * tj->Z[(size_t)b * n + r];
      }
      /* fixed part against the term */
      lmm_block *F = lmm_sys_A(s, K, j);
      for (int b = 0; b < qj; b++) {
        double z = tj->Z[(size_t)b * n + r];
        double *col = F->v + (size_t)(lj * qj + b) * (size_t)p1;
        for (int a = 0; a < p1; a++) col[a] += xy[a] * z;
      }
    }
  }
  lmm_free(xy);
  /* [X y]'[X y] of the scaled columns by BLAS */
  cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, p1, (int)n, 1.0, XY, (int)n, 0.0, lmm_sys_A(s, K, K)->v, p1);
  lmm_free(XY);

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
      if (kind == BLK_SPARSE) {
        b->nnzb = a->nnzb;
        b->colptr = lmm_malloc(sizeof *b->colptr * ((size_t)a->nc + 1));
        b->rowidx = lmm_malloc(sizeof *b->rowidx * (size_t)(a->nnzb ? a->nnzb : 1));
        b->v = lmm_calloc(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v);
        if (!b->colptr || !b->rowidx || !b->v) goto nomem;
        memcpy(b->colptr, a->colptr, sizeof *b->colptr * ((size_t)a->nc + 1));
        memcpy(b->rowidx, a->rowidx, sizeof *b->rowidx * (size_t)a->nnzb);
      }
    }
  *out = s;
  return LMM_OK;
nomem:
  lmm_free(ord);
  lmm_system_free(s);
  return lmm_nomem(err);
}
