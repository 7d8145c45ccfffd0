/* blocks.c — building A once from the design, and the blocked Cholesky
 * factorization that every deviance evaluation runs (see blocks.h). */
#include "blocks.h"
#include "alloc.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this order BLAS and LAPACK calls cost more in overhead (argument
 * checks, buffers, thread locks) than the arithmetic; random-effects blocks
 * are usually 1x1 to 4x4. */
enum { SMALL = 16 };

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

static size_t block_values(const lmm_block *b) {
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
  b->v = lmm_calloc(block_values(b) ? block_values(b) : 1, sizeof *b->v);
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
  b->v = lmm_calloc(block_values(b) ? block_values(b) : 1, sizeof *b->v);
  if (!b->colptr || !b->rowidx || !b->v) { lmm_free(key); return -1; }
  for (size_t k = 0; k < m; k++) {
    b->rowidx[k] = (int)(uint32_t)key[k];
    b->colptr[(key[k] >> 32) + 1]++;
  }
  for (int c = 0; c < b->nc; c++) b->colptr[c + 1] += b->colptr[c];
  lmm_free(key);
  return 0;
}

/* Stored block (row block r, column block c) of a sparse block, or NULL. */
static double *sparse_at(const lmm_block *b, int r, int c) {
  int lo = b->colptr[c], hi = b->colptr[c + 1];
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (b->rowidx[mid] < r) lo = mid + 1; else hi = mid;
  }
  if (lo < b->colptr[c + 1] && b->rowidx[lo] == r) return b->v + (size_t)lo * (size_t)(b->rq * b->cq);
  return NULL;
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
        double *B = sparse_at(lmm_sys_A(s, i, j), ti->g[r], lj);
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
        b->v = lmm_calloc(block_values(b) ? block_values(b) : 1, sizeof *b->v);
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

/* ---- scaling: L <- Λi' A Λj (+ I on the diagonal) ------------------------ */

/* out (rq x cq) = Ti' B Tj, with Ti or Tj NULL meaning identity.  Ti is
 * given only for random-effects rows, whose q is at most LMM_MAX_Q. */
static void tBt(const double *Ti, int rq, const double *B, int ldb, int cq, const double *Tj,
                double *out, int ldo) {
  if (!Ti) {
    for (int c = 0; c < cq; c++)
      for (int r = 0; r < rq; r++) {
        double acc = 0;
        if (Tj) for (int k = c; k < cq; k++) acc += B[r + k * ldb] * Tj[k + c * cq];
        else acc = B[r + c * ldb];
        out[r + c * ldo] = acc;
      }
    return;
  }
  double tmp[LMM_MAX_Q * LMM_MAX_Q];
  for (int c = 0; c < cq; c++)
    for (int r = 0; r < rq; r++) {
      double acc = 0;
      if (Tj) for (int k = c; k < cq; k++) acc += B[r + k * ldb] * Tj[k + c * cq];
      else acc = B[r + c * ldb];
      tmp[r + c * rq] = acc;
    }
  for (int c = 0; c < cq; c++)
    for (int r = 0; r < rq; r++) {
      double acc = 0;
      for (int k = r; k < rq; k++) acc += Ti[k + r * rq] * tmp[k + c * rq];
      out[r + c * ldo] = acc;
    }
}

static void scale_block(lmm_block *L, const lmm_block *A, const double *Ti, const double *Tj, int diag) {
  int rq = A->rq, cq = A->cq;
  if (L->kind == BLK_DENSE) memset(L->v, 0, sizeof *L->v * block_values(L));
  switch (A->kind) {
  case BLK_DIAG:
    for (int l = 0; l < A->nc; l++) {
      const double *B = A->v + (size_t)l * (size_t)(rq * rq);
      double *o = L->kind == BLK_DIAG ? L->v + (size_t)l * (size_t)(rq * rq)
                                      : L->v + (size_t)l * (size_t)rq * ((size_t)L->rows + 1);
      int ldo = L->kind == BLK_DIAG ? rq : L->rows;
      tBt(Ti, rq, B, rq, rq, Tj, o, ldo);
      if (diag) for (int a = 0; a < rq; a++) o[a + a * ldo] += 1;
    }
    break;
  case BLK_SPARSE:
    for (int c = 0; c < A->nc; c++)
      for (int k = A->colptr[c]; k < A->colptr[c + 1]; k++) {
        const double *B = A->v + (size_t)k * (size_t)(rq * cq);
        if (L->kind == BLK_SPARSE) tBt(Ti, rq, B, rq, cq, Tj, L->v + (size_t)k * (size_t)(rq * cq), rq);
        else tBt(Ti, rq, B, rq, cq, Tj, L->v + (size_t)A->rowidx[k] * (size_t)rq + (size_t)c * (size_t)cq * (size_t)L->rows, L->rows);
      }
    break;
  default: /* dense fixed-part rows: Ti is the identity */
    for (int c = 0; c < A->nc; c++)
      tBt(NULL, A->rows, A->v + (size_t)c * (size_t)cq * (size_t)A->rows, A->rows, cq, Tj,
          L->v + (size_t)c * (size_t)cq * (size_t)L->rows, L->rows);
    break;
  }
}

/* ---- updates: C -= A B' ----------------------------------------------------- */

/* small: C (rq x rq2, ldc) -= Ba (rq x cq) Bb' (rq2 x cq) */
static void sub_abt(double *C, int ldc, const double *Ba, int lda, int rq, const double *Bb, int ldb, int rq2, int cq) {
  if (rq == 1 && rq2 == 1 && cq == 1) { C[0] -= Ba[0] * Bb[0]; return; }
  for (int k = 0; k < cq; k++)
    for (int b = 0; b < rq2; b++) {
      double s = Bb[b + k * ldb];
      for (int a = 0; a < rq; a++) C[a + b * ldc] -= Ba[a + k * lda] * s;
    }
}

static void update(lmm_block *C, const lmm_block *A, const lmm_block *B) {
  int cq = A->cq;                    /* A and B share their column term */
  int ra = A->rq, rb = B->rq;
  if (A->kind == BLK_DENSE && B->kind == BLK_DENSE) {
    if (C->kind != BLK_DENSE) return; /* cannot happen: structure rules */
    if (C->rows <= SMALL && C->cols <= SMALL) {
      sub_abt(C->v, C->rows, A->v, A->rows, A->rows, B->v, B->rows, B->rows, A->cols);
      return;
    }
    if (A == B) cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, C->rows, A->cols, -1.0, A->v, A->rows, 1.0, C->v, C->rows);
    else cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, C->rows, C->cols, A->cols, -1.0, A->v, A->rows, B->v, B->rows, 1.0, C->v, C->rows);
    return;
  }
  if (A->kind == BLK_SPARSE && B->kind == BLK_SPARSE) {
    for (int c = 0; c < A->nc; c++)
      for (int ka = A->colptr[c]; ka < A->colptr[c + 1]; ka++) {
        const double *Ba = A->v + (size_t)ka * (size_t)(ra * cq);
        int rowa = A->rowidx[ka];
        for (int kb = B->colptr[c]; kb < B->colptr[c + 1]; kb++) {
          int rowb = B->rowidx[kb];
          const double *Bb = B->v + (size_t)kb * (size_t)(rb * cq);
          double *dst;
          int ldc;
          if (C->kind == BLK_DENSE) {
            if (A == B && rowb > rowa) continue;  /* lower triangle suffices */
            ldc = C->rows;
            dst = C->v + (size_t)rowa * (size_t)ra + (size_t)rowb * (size_t)rb * (size_t)ldc;
          } else if (C->kind == BLK_DIAG) {
            ldc = ra;
            dst = C->v + (size_t)rowa * (size_t)(ra * ra);
          } else {
            ldc = ra;
            dst = sparse_at(C, rowa, rowb);
          }
          sub_abt(dst, ldc, Ba, ra, ra, Bb, rb, rb, cq);
        }
      }
    return;
  }
  if (A->kind == BLK_DENSE) { /* B sparse: C[:, rowb block] -= A[:, c block] Bb' */
    for (int c = 0; c < B->nc; c++)
      for (int kb = B->colptr[c]; kb < B->colptr[c + 1]; kb++) {
        const double *Bb = B->v + (size_t)kb * (size_t)(rb * cq);
        sub_abt(C->v + (size_t)B->rowidx[kb] * (size_t)rb * (size_t)C->rows, C->rows,
                A->v + (size_t)c * (size_t)cq * (size_t)A->rows, A->rows, A->rows, Bb, rb, rb, cq);
      }
    return;
  }
  /* A sparse, B dense: C[rowa block, :] -= Ba B[:, c block]' */
  for (int c = 0; c < A->nc; c++)
    for (int ka = A->colptr[c]; ka < A->colptr[c + 1]; ka++)
      sub_abt(C->v + (size_t)A->rowidx[ka] * (size_t)ra, C->rows, A->v + (size_t)ka * (size_t)(ra * cq), ra, ra,
              B->v + (size_t)c * (size_t)cq * (size_t)B->rows, B->rows, B->rows, cq);
}

/* ---- factor and solve ---------------------------------------------------------- */


/* Lower Cholesky of a small matrix in place. */
static int chol_small(int n, double *A, int lda) {
  for (int j = 0; j < n; j++) {
    double d = A[j + j * lda];
    for (int k = 0; k < j; k++) d -= A[j + k * lda] * A[j + k * lda];
    if (!(d > 0)) return LMM_NUMERIC;
    d = sqrt(d);
    A[j + j * lda] = d;
    for (int i = j + 1; i < n; i++) {
      double v = A[i + j * lda];
      for (int k = 0; k < j; k++) v -= A[i + k * lda] * A[j + k * lda];
      A[i + j * lda] = v / d;
    }
  }
  return LMM_OK;
}

/* B (m x q) <- B T^-T for a small lower-triangular T (q x q). */
static void rsolve_small(int m, int q, const double *T, int ldt, double *B, int ldb) {
  for (int j = 0; j < q; j++) {
    double d = T[j + j * ldt];
    for (int i = 0; i < m; i++) {
      double v = B[i + j * ldb];
      for (int k = 0; k < j; k++) v -= B[i + k * ldb] * T[j + k * ldt];
      B[i + j * ldb] = v / d;
    }
  }
}

static int chol_block(lmm_block *L) {
  if (L->kind == BLK_DIAG) {
    int q = L->rq;
    for (int l = 0; l < L->nc; l++) {
      double *D = L->v + (size_t)l * (size_t)(q * q);
      if (q == 1) { if (!(D[0] > 0)) return LMM_NUMERIC; D[0] = sqrt(D[0]); continue; }
      if (q <= SMALL) { if (chol_small(q, D, q)) return LMM_NUMERIC; continue; }
      if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', q, D, q)) return LMM_NUMERIC;
    }
    return LMM_OK;
  }
  if (L->rows <= SMALL) return chol_small(L->rows, L->v, L->rows);
  return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', L->rows, L->v, L->rows) ? LMM_NUMERIC : LMM_OK;
}

/* B <- B Ljj^{-T} */
static void right_solve(lmm_block *B, const lmm_block *Ljj) {
  if (Ljj->kind == BLK_DENSE) {
    if (Ljj->rows <= SMALL) { rsolve_small(B->rows, B->cols, Ljj->v, Ljj->rows, B->v, B->rows); return; }
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, B->rows, B->cols, 1.0,
                Ljj->v, Ljj->rows, B->v, B->rows);
    return;
  }
  int q = Ljj->rq;
  if (B->kind == BLK_SPARSE) {
    for (int c = 0; c < B->nc; c++) {
      const double *T = Ljj->v + (size_t)c * (size_t)(q * q);
      for (int k = B->colptr[c]; k < B->colptr[c + 1]; k++) {
        double *blk = B->v + (size_t)k * (size_t)(B->rq * q);
        if (q == 1 && B->rq == 1) blk[0] /= T[0];
        else rsolve_small(B->rq, q, T, q, blk, B->rq);
      }
    }
    return;
  }
  for (int c = 0; c < Ljj->nc; c++) {
    double *Bc = B->v + (size_t)c * (size_t)q * (size_t)B->rows;
    const double *T = Ljj->v + (size_t)c * (size_t)(q * q);
    if (q <= SMALL) rsolve_small(B->rows, q, T, q, Bc, B->rows);
    else cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, B->rows, q, 1.0, T, q, Bc, B->rows);
  }
}

int lmm_system_factor(lmm_system *s, double *const *T) {
  int K = s->K;
  for (int j = 0; j <= K; j++) {
    const double *Tj = j < K ? T[j] : NULL;
    for (int i = j; i <= K; i++)
      scale_block(lmm_sys_L(s, i, j), lmm_sys_A(s, i, j), i < K ? T[i] : NULL, Tj, i == j && j < K);
    for (int k = 0; k < j; k++) {
      const lmm_block *Ljk = lmm_sys_L(s, j, k);
      update(lmm_sys_L(s, j, j), Ljk, Ljk);
      for (int i = j + 1; i <= K; i++) update(lmm_sys_L(s, i, j), lmm_sys_L(s, i, k), Ljk);
    }
    int rc = chol_block(lmm_sys_L(s, j, j));
    if (rc) return rc;
    for (int i = j + 1; i <= K; i++) right_solve(lmm_sys_L(s, i, j), lmm_sys_L(s, j, j));
  }
  return LMM_OK;
}

double lmm_system_logdet_z(const lmm_system *s) {
  double ld = 0;
  for (int k = 0; k < s->K; k++) {
    const lmm_block *L = lmm_sys_L(s, k, k);
    if (L->kind == BLK_DIAG) {
      int q = L->rq;
      for (int l = 0; l < L->nc; l++)
        for (int a = 0; a < q; a++) ld += log(L->v[(size_t)l * (size_t)(q * q) + (size_t)(a * q + a)]);
    } else
      for (int a = 0; a < L->rows; a++) ld += log(L->v[(size_t)a * ((size_t)L->rows + 1)]);
  }
  return 2 * ld;
}
