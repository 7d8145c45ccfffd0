/* factor.c — the blocked Cholesky factorization of  Λ'Z'ZΛ + I  (extended
 * by the [X y] rows) that every deviance evaluation runs, on the blocks of
 * A built once by blocks.c.
 *
 * The first random-effects term (the one with the most levels) is block
 * diagonal, so its column of L is made level by level: for each level c the
 * small factor D_c of its diagonal block, the level's blocks of L[i][0] for
 * every later term i, and at once their outer products subtracted from the
 * later blocks, while they are still in cache (first_term).  This is where
 * the work of a large fit lies: one pass over the stored level pairs, no
 * row of the data.  The remaining terms (few levels, or crossed and so
 * dense) follow by blocks, dense work going to BLAS and LAPACK (later_terms).
 * While the optimizer runs, the first term's updates of a dense tail may be
 * kept by the first term's T and used again where an evaluation meets that T
 * once more (lmm_system_factor_kept, at the end).
 */
#include "factor.h"
#include "alloc.h"
#include "dense_chol.h"
#include "lapack_steps.h"
#include "parallel.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Below this order BLAS and LAPACK calls cost more in overhead (argument
 * checks, buffers, thread locks) than the arithmetic; random-effects blocks
 * are usually 1x1 to 4x4. */
enum { SMALL = 16 };
enum { LMM_ROWS_IN_REGISTERS = 16 };   /* fixed-part rows rows_scalar holds in locals */

/* ---- small dense kernels (column-major) ------------------------------------ */

/* out (rq x cq) = Ti' B Tj, with Ti or Tj NULL meaning identity; T lower
 * triangular.  Ti is given only for random-effects rows (q <= LMM_MAX_Q).
 * Inlined, as the kernels below are, so that callers with constant sizes
 * get the loops unrolled. */
static inline __attribute__((always_inline)) void tBt(const double *Ti, int rq, const double *B, int ldb, int cq, const double *Tj, double *out, int ldo) {
  double tmp[LMM_MAX_Q * LMM_MAX_Q];
  double *bt = Ti ? tmp : out;
  int ldt = Ti ? rq : ldo;
  for (int c = 0; c < cq; c++)
    for (int r = 0; r < rq; r++) {
      double acc = 0;
      if (Tj) for (int k = c; k < cq; k++) acc += B[r + k * ldb] * Tj[k + c * cq];
      else acc = B[r + c * ldb];
      bt[r + c * ldt] = acc;
    }
  if (!Ti) return;
  for (int c = 0; c < cq; c++)
    for (int r = 0; r < rq; r++) {
      double acc = 0;
      for (int k = r; k < rq; k++) acc += Ti[k + r * rq] * tmp[k + c * rq];
      out[r + c * ldo] = acc;
    }
}

/* C (m x n, ldc) -= A (m x k, lda) B' (n x k, ldb); inlined, so that
 * callers with constant n and k get the loops unrolled. */
static inline __attribute__((always_inline)) void sub_abt(double *C, int ldc, const double *A, int lda, int m, const double *B, int ldb, int n, int k) {
  for (int l = 0; l < k; l++)
    for (int b = 0; b < n; b++) {
      double s = B[b + l * ldb];
      for (int a = 0; a < m; a++) C[a + b * ldc] -= A[a + l * lda] * s;
    }
}

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

/* ---- scaling: L <- Λi' A Λj (+ I on the diagonal) -------------------------- */

/* A dense block on the diagonal (sym) has only its lower triangle cleared:
 * nothing reads or writes above it (the updates, the factor and the
 * inverse all take the lower triangle), and a large crossed term's block
 * is megabytes to clear at every evaluation. */
static void clear_dense(lmm_block *L, int sym) {
  size_t ld = (size_t)L->ld;
  if (!sym && ld == (size_t)L->rows) { memset(L->v, 0, sizeof *L->v * lmm_block_values(L)); return; }
  for (int c = 0; c < L->cols; c++) {
    size_t top = sym ? (size_t)c : 0;
    memset(L->v + top + (size_t)c * ld, 0, sizeof *L->v * ((size_t)L->rows - top));
  }
}

static void scale_block(lmm_block *L, const lmm_block *A, const double *Ti, const double *Tj, int diag, int sym) {
  int rq = A->rq, cq = A->cq;
  if (L->kind == BLK_DENSE) clear_dense(L, sym);
  switch (A->kind) {
  case BLK_DIAG:
    for (int l = 0; l < A->nc; l++) {
      const double *B = A->v + (size_t)l * (size_t)(rq * rq);
      double *o = L->kind == BLK_DIAG ? L->v + (size_t)l * (size_t)(rq * rq)
                                      : L->v + (size_t)l * (size_t)rq * ((size_t)L->ld + 1);
      int ldo = L->kind == BLK_DIAG ? rq : L->ld;
      tBt(Ti, rq, B, rq, rq, Tj, o, ldo);
      if (diag) for (int a = 0; a < rq; a++) o[a + a * ldo] += 1;
    }
    break;
  case BLK_SPARSE:
    for (int c = 0; c < A->nc; c++)
      for (int k = A->colptr[c]; k < A->colptr[c + 1]; k++) {
        const double *B = A->v + (size_t)k * (size_t)(rq * cq);
        if (L->kind == BLK_SPARSE) tBt(Ti, rq, B, rq, cq, Tj, L->v + (size_t)k * (size_t)(rq * cq), rq);
        else tBt(Ti, rq, B, rq, cq, Tj, L->v + (size_t)A->rowidx[k] * (size_t)rq + (size_t)c * (size_t)cq * (size_t)L->ld, L->ld);
      }
    break;
  default: /* dense fixed-part rows: Ti is the identity */
    for (int c = 0; c < A->nc; c++)
      tBt(NULL, A->rows, A->v + (size_t)c * (size_t)cq * (size_t)A->ld, A->ld, cq, Tj,
          L->v + (size_t)c * (size_t)cq * (size_t)L->ld, L->ld);
    break;
  }
}

/* ---- the first term, level by level ------------------------------------------ */

/* One pair's product x y' (q0 <= 2 columns), subtracted from p[r]. */
static inline __attribute__((always_inline)) void pair_sub(double *p, int r, double x0, double x1, double y0, double y1, int q0) {
  p[r] -= q0 == 1 ? x0 * y0 : x0 * y0 + x1 * y1;
}

/* The pairs of scalar rows kb .. kb+3 of B (one level's column, q0 <= 2
 * columns) with the rows at or below each, to pend, subtracted from P's
 * columns of those rows: four columns of P at once, so that each row ka
 * below is loaded once for four products, and the loop over ka ends once
 * for four columns -- its length changes with every column, so its end is
 * mispredicted once each time.  The same products are subtracted in the
 * same order as one column at a time: the same bits. */
static inline __attribute__((always_inline)) void pairs4(lmm_block *P, const double *v, const int *row, int kb, int pend, int q0) {
  size_t ldp = (size_t)P->ld;
  double *p0 = P->v + (size_t)row[kb] * ldp, *p1 = P->v + (size_t)row[kb + 1] * ldp;
  double *p2 = P->v + (size_t)row[kb + 2] * ldp, *p3 = P->v + (size_t)row[kb + 3] * ldp;
  const double *y = v + (size_t)kb * (size_t)q0;
  double y00 = y[0], y01 = y[q0 - 1], y10 = y[q0], y11 = y[2 * q0 - 1];
  double y20 = y[2 * q0], y21 = y[3 * q0 - 1], y30 = y[3 * q0], y31 = y[4 * q0 - 1];
  for (int ka = kb; ka < kb + 4; ka++) {   /* the four rows themselves: a triangle */
    int r = row[ka];
    double x0 = v[(size_t)ka * (size_t)q0], x1 = v[(size_t)ka * (size_t)q0 + (size_t)q0 - 1];
    pair_sub(p0, r, x0, x1, y00, y01, q0);
    if (ka > kb) pair_sub(p1, r, x0, x1, y10, y11, q0);
    if (ka > kb + 1) pair_sub(p2, r, x0, x1, y20, y21, q0);
    if (ka > kb + 2) pair_sub(p3, r, x0, x1, y30, y31, q0);
  }
  int ka = kb + 4;
#ifdef __SSE2__
  if (q0 == 2) {   /* two columns to a register: the same products, in the same order */
    __m128d y0a = _mm_set_pd(y10, y00), y1a = _mm_set_pd(y11, y01), y0b = _mm_set_pd(y30, y20), y1b = _mm_set_pd(y31, y21);
    for (; ka < pend; ka++) {
      int r = row[ka];
      __m128d x0 = _mm_set1_pd(v[2 * (size_t)ka]), x1 = _mm_set1_pd(v[2 * (size_t)ka + 1]);
      __m128d ta = _mm_add_pd(_mm_mul_pd(x0, y0a), _mm_mul_pd(x1, y1a));
      __m128d tb = _mm_add_pd(_mm_mul_pd(x0, y0b), _mm_mul_pd(x1, y1b));
      __m128d ca = _mm_sub_pd(_mm_loadh_pd(_mm_load_sd(p0 + r), p1 + r), ta);
      __m128d cb = _mm_sub_pd(_mm_loadh_pd(_mm_load_sd(p2 + r), p3 + r), tb);
      _mm_storel_pd(p0 + r, ca);
      _mm_storeh_pd(p1 + r, ca);
      _mm_storel_pd(p2 + r, cb);
      _mm_storeh_pd(p3 + r, cb);
    }
  }
#endif
  for (; ka < pend; ka++) {
    int r = row[ka];
    double x0 = v[(size_t)ka * (size_t)q0], x1 = v[(size_t)ka * (size_t)q0 + (size_t)q0 - 1];
    pair_sub(p0, r, x0, x1, y00, y01, q0);
    pair_sub(p1, r, x0, x1, y10, y11, q0);
    pair_sub(p2, r, x0, x1, y20, y21, q0);
    pair_sub(p3, r, x0, x1, y30, y31, q0);
  }
}

/* For each scalar row kb0..kb1-1 of B (one level's column, q0 <= 2
 * columns): C's column of that row -= A b, A the fixed part's m rows held in
 * locals; and, with P, the pairs below it in B's column (which ends at
 * pend), into P's column of that row -- the hot case of a large nested
 * design, P = L[j][j] and B = L[j][0] against itself, in one call over the
 * level's blocks while they are in cache (a second pass over B would read
 * them again): the pairs four rows at a time (pairs4), then each row's
 * fixed part and the last rows' pairs.  Inlined with m and q0 constant, the
 * loops unroll and pair up (SSE2), where a loop of unknown length does not.
 * The same operations as sub_pairs_col and a loop over the rows, so the
 * same bits. */
static inline __attribute__((always_inline)) void rows_scalar(lmm_block *C, const double *A, int lda, int m, int q0,
                                                              const lmm_block *B, int kb0, int kb1, lmm_block *P, int pend) {
  double a0[LMM_ROWS_IN_REGISTERS], a1[LMM_ROWS_IN_REGISTERS];
  for (int a = 0; a < m; a++) {
    a0[a] = A[a];
    a1[a] = q0 == 2 ? A[a + lda] : 0;
  }
  size_t ldc = (size_t)C->ld, ldp = P ? (size_t)P->ld : 0;
  const double *v = B->v;
  const int *row = B->rowidx;
  int four = P ? kb0 + (kb1 - kb0) / 4 * 4 : kb0;   /* rows up to here take their pairs four at a time */
  for (int kb = kb0; kb < four; kb += 4) pairs4(P, v, row, kb, pend, q0);
  for (int kb = kb0; kb < kb1; kb++) {
    double *col = C->v + (size_t)row[kb] * ldc, *pcol = P && kb >= four ? P->v + (size_t)row[kb] * ldp : NULL;
    if (q0 == 1) {
      double y0 = v[kb];
      if (pcol) for (int ka = kb; ka < pend; ka++) pcol[row[ka]] -= v[ka] * y0;
      for (int a = 0; a < m; a++) col[a] -= a0[a] * y0;
    } else {
      double y0 = v[2 * kb], y1 = v[2 * kb + 1];
      if (pcol) for (int ka = kb; ka < pend; ka++) pcol[row[ka]] -= v[2 * ka] * y0 + v[2 * ka + 1] * y1;
      for (int a = 0; a < m; a++) col[a] -= a0[a] * y0 + a1[a] * y1;
    }
  }
}

/* rows_scalar, the common sizes as constants; 0 where it does not apply
 * (rows of B not scalar, q0 > 2, more rows than it holds, C or P not dense). */
static int rows_scalar_sized(lmm_block *C, const double *A, int lda, int m, const lmm_block *B, int kb0, int kb1,
                             lmm_block *P, int pend) {
  int q0 = B->cq;
  if (B->rq != 1 || q0 > 2 || m > LMM_ROWS_IN_REGISTERS || C->kind != BLK_DENSE || (P && P->kind != BLK_DENSE)) return 0;
  switch (m * 4 + q0) {
    case 2 * 4 + 2: rows_scalar(C, A, lda, 2, 2, B, kb0, kb1, P, pend); return 1;
    case 3 * 4 + 2: rows_scalar(C, A, lda, 3, 2, B, kb0, kb1, P, pend); return 1;
    case 4 * 4 + 2: rows_scalar(C, A, lda, 4, 2, B, kb0, kb1, P, pend); return 1;
    case 5 * 4 + 2: rows_scalar(C, A, lda, 5, 2, B, kb0, kb1, P, pend); return 1;
    case 2 * 4 + 1: rows_scalar(C, A, lda, 2, 1, B, kb0, kb1, P, pend); return 1;
    case 3 * 4 + 1: rows_scalar(C, A, lda, 3, 1, B, kb0, kb1, P, pend); return 1;
    case 4 * 4 + 1: rows_scalar(C, A, lda, 4, 1, B, kb0, kb1, P, pend); return 1;
    case 5 * 4 + 1: rows_scalar(C, A, lda, 5, 1, B, kb0, kb1, P, pend); return 1;
    default: rows_scalar(C, A, lda, m, q0, B, kb0, kb1, P, pend); return 1;
  }
}

/* C[:, rb's columns] -= A Bb' for stored blocks kb0..kb1-1 of B (one level's
 * column), A dense (m rows, lda) with the level's q0 columns: the fixed
 * part's rows against a term, or a dense term against a sparse one. */
static void sub_dense_sparse_col(lmm_block *C, const double *A, int lda, int m, const lmm_block *B, int kb0, int kb1) {
  if (rows_scalar_sized(C, A, lda, m, B, kb0, kb1, NULL, 0)) return;   /* scalar rows of B: C's column -= A b */
  int rb = B->rq, q0 = B->cq, ldc = C->ld;
  if (rb == 2 && q0 == 2)   /* a random slope's rows */
    for (int kb = kb0; kb < kb1; kb++)
      sub_abt(C->v + (size_t)B->rowidx[kb] * 2 * (size_t)ldc, ldc, A, lda, m, B->v + (size_t)kb * 4, 2, 2, 2);
  else
    for (int kb = kb0; kb < kb1; kb++)
      sub_abt(C->v + (size_t)B->rowidx[kb] * (size_t)rb * (size_t)ldc, ldc, A, lda, m,
              B->v + (size_t)kb * (size_t)(rb * q0), rb, rb, q0);
}

/* C -= Ba Bb' over the pairs of blocks kb = b0..b1-1 of B and ka of A
 * (from kb when A == B) in one column of both, C dense: blocks ra x q0 and
 * rb x q0.  Inlined with constant sizes, the loops unroll; a call of
 * sub_abt per pair costs far more than a pair's few products. */
static inline __attribute__((always_inline)) void pairs_dense(lmm_block *C, const lmm_block *A, const lmm_block *B, int a0,
                                                              int a1, int b0, int b1, int ra, int rb, int q0) {
  size_t ldc = (size_t)C->ld;
  for (int kb = b0; kb < b1; kb++) {
    double *col = C->v + (size_t)B->rowidx[kb] * (size_t)rb * ldc;
    const double *y = B->v + (size_t)kb * (size_t)(rb * q0);
    for (int ka = A == B ? kb : a0; ka < a1; ka++) {
      const double *x = A->v + (size_t)ka * (size_t)(ra * q0);
      double *c = col + (size_t)A->rowidx[ka] * (size_t)ra;
      for (int j = 0; j < rb; j++)
        for (int i = 0; i < ra; i++) {
          double acc = 0;
          for (int l = 0; l < q0; l++) acc += x[i + l * ra] * y[j + l * rb];
          c[i + (size_t)j * ldc] -= acc;
        }
    }
  }
}

/* pairs_dense with 2 x 2 blocks of two columns (random slopes on crossed terms): each block of A and
 * each column of the product two rows to a register.  The same products and sums in the same order as
 * pairs_dense's loops: the same bits. */
static void pairs_dense_2x2(lmm_block *C, const lmm_block *A, const lmm_block *B, int a0, int a1, int b0, int b1) {
#ifdef __SSE2__
  size_t ldc = (size_t)C->ld;
  for (int kb = b0; kb < b1; kb++) {
    double *col0 = C->v + (size_t)B->rowidx[kb] * 2 * ldc, *col1 = col0 + ldc;
    const double *y = B->v + (size_t)kb * 4;
    __m128d y00 = _mm_set1_pd(y[0]), y01 = _mm_set1_pd(y[2]), y10 = _mm_set1_pd(y[1]), y11 = _mm_set1_pd(y[3]);
    for (int ka = A == B ? kb : a0; ka < a1; ka++) {
      const double *x = A->v + (size_t)ka * 4;
      size_t r = (size_t)A->rowidx[ka] * 2;
      __m128d x0 = _mm_loadu_pd(x), x1 = _mm_loadu_pd(x + 2);
      __m128d t0 = _mm_add_pd(_mm_mul_pd(x0, y00), _mm_mul_pd(x1, y01));
      __m128d t1 = _mm_add_pd(_mm_mul_pd(x0, y10), _mm_mul_pd(x1, y11));
      _mm_storeu_pd(col0 + r, _mm_sub_pd(_mm_loadu_pd(col0 + r), t0));
      _mm_storeu_pd(col1 + r, _mm_sub_pd(_mm_loadu_pd(col1 + r), t1));
    }
  }
#else
  pairs_dense(C, A, B, a0, a1, b0, b1, 2, 2, 2);
#endif
}

/* C -= Ba Bb' over the pairs of stored blocks in column c of A and B (both
 * with the first term as column term), B's blocks b0..b1-1 of that column
 * only; lower triangle only when A == B. */
static void sub_pairs_col(lmm_block *C, const lmm_block *A, const lmm_block *B, int c, int b0, int b1) {
  int ra = A->rq, rb = B->rq, q0 = A->cq;
  int a0 = A->colptr[c], a1 = A->colptr[c + 1];
  if (C->kind == BLK_DENSE) {
    int ldc = C->ld;
    if (ra == 1 && rb == 1) {
      /* scalar rows against scalar rows (crossed intercepts): the hot loop.
       * Column rb of C takes every row ra below it, so writes stay in one
       * column of C at a time. */
      const double *va = A->v, *vb = B->v;
      for (int kb = b0; kb < b1; kb++) {
        double *col = C->v + (size_t)B->rowidx[kb] * (size_t)ldc;
        const double *y = vb + (size_t)kb * (size_t)q0;
        int ka = A == B ? kb : a0;
        if (q0 == 1) {
          double y0 = y[0];
          for (; ka < a1; ka++) col[A->rowidx[ka]] -= va[ka] * y0;
        } else if (q0 == 2) {
          double y0 = y[0], y1 = y[1];
          for (; ka < a1; ka++) col[A->rowidx[ka]] -= va[2 * ka] * y0 + va[2 * ka + 1] * y1;
        } else
          for (; ka < a1; ka++) {
            const double *x = va + (size_t)ka * (size_t)q0;
            double acc = 0;
            for (int l = 0; l < q0; l++) acc += x[l] * y[l];
            col[A->rowidx[ka]] -= acc;
          }
      }
      return;
    }
    /* random slopes on crossed terms: the sizes as constants where common */
    if (ra == 2 && rb == 2 && q0 == 2) pairs_dense_2x2(C, A, B, a0, a1, b0, b1);
    else if (ra == 2 && rb == 2 && q0 == 1) pairs_dense(C, A, B, a0, a1, b0, b1, 2, 2, 1);
    else if (ra == 2 && rb == 1 && q0 == 2) pairs_dense(C, A, B, a0, a1, b0, b1, 2, 1, 2);
    else if (ra == 1 && rb == 2 && q0 == 2) pairs_dense(C, A, B, a0, a1, b0, b1, 1, 2, 2);
    else pairs_dense(C, A, B, a0, a1, b0, b1, ra, rb, q0);
    return;
  }
  /* nested: the later terms keep their structure, and the pairs are in C's pattern */
  for (int kb = b0; kb < b1; kb++)
    for (int ka = A == B ? kb : a0; ka < a1; ka++) {
      double *dst = C->kind == BLK_DIAG ? C->v + (size_t)A->rowidx[ka] * (size_t)(ra * ra)
                                        : lmm_block_at(C, A->rowidx[ka], B->rowidx[kb]);
      sub_abt(dst, ra, A->v + (size_t)ka * (size_t)(ra * q0), ra, ra, B->v + (size_t)kb * (size_t)(rb * q0), rb, rb, q0);
    }
}

/* out (m x q0) = B (m x q0, ldb) M (q0 x q0): a level's blocks of L[i][0]
 * from A's, M = T0 D^-T folding the scaling and the solve into one product. */
static inline __attribute__((always_inline)) void times_m(int m, int q0, const double *B, int ldb, const double *M, double *out, int ldo) {
  if (q0 == 1) {
    for (int r = 0; r < m; r++) out[r] = B[r] * M[0];
    return;
  }
  for (int c = 0; c < q0; c++)
    for (int r = 0; r < m; r++) {
      double acc = 0;
      for (int k = 0; k < q0; k++) acc += B[r + k * ldb] * M[k + c * q0];
      out[r + c * ldo] = acc;
    }
}

/* Blocks k0..k1-1 of one level: Ti' A_k M, inlined for constant sizes. */
static inline __attribute__((always_inline)) void level_blocks_q(const double *a, double *l, int k0, int k1, const double *Ti,
                                                                 const double *M, int qi, int q0) {
  double tmp[LMM_MAX_Q * LMM_MAX_Q];
  for (int k = k0; k < k1; k++) {
    times_m(qi, q0, a + (size_t)k * (size_t)(qi * q0), qi, M, tmp, qi);
    tBt(Ti, qi, tmp, qi, q0, NULL, l + (size_t)k * (size_t)(qi * q0), qi);
  }
}

/* The level's blocks of L[i][0] (i a random-effects term): Ti' A_k M. */
static void level_blocks(const lmm_block *A, lmm_block *L, int c, const double *Ti, const double *M) {
  int qi = A->rq, q0 = A->cq;
  int k0 = A->colptr[c], k1 = A->colptr[c + 1];
  const double *a = A->v;
  double *l = L->v;
  if (qi == 1 && q0 == 1) {
    double m = Ti[0] * M[0];
    for (int k = k0; k < k1; k++) l[k] = a[k] * m;
    return;
  }
  if (qi == 1 && q0 == 2) {
    double t = Ti[0], m00 = t * M[0], m10 = t * M[1], m01 = t * M[2], m11 = t * M[3];
    for (int k = k0; k < k1; k++) {
      double x0 = a[2 * k], x1 = a[2 * k + 1];
      l[2 * k] = x0 * m00 + x1 * m10;
      l[2 * k + 1] = x0 * m01 + x1 * m11;
    }
    return;
  }
  if (qi == 2 && q0 == 2) level_blocks_q(a, l, k0, k1, Ti, M, 2, 2);
  else level_blocks_q(a, l, k0, k1, Ti, M, qi, q0);
}

/* Levels c0 .. c1-1 of the first term: the factor of their diagonal blocks
 * and their blocks of L[i][0] for every later term i and the fixed part. */
static int first_term_blocks(lmm_system *s, double *const *T, int c0, int c1) {
  int K = s->K, q0 = s->q[0], p1 = s->p + 1;
  const double *T0 = T[0];
  const lmm_block *A00 = lmm_sys_A(s, 0, 0), *AK0 = lmm_sys_A(s, K, 0);
  lmm_block *L00 = lmm_sys_L(s, 0, 0), *LK0 = lmm_sys_L(s, K, 0);
  double M[LMM_MAX_Q * LMM_MAX_Q];
  for (int c = c0; c < c1; c++) {
    double *D = L00->v + (size_t)c * (size_t)(q0 * q0);
    tBt(T0, q0, A00->v + (size_t)c * (size_t)(q0 * q0), q0, q0, T0, D, q0);
    for (int a = 0; a < q0; a++) D[a + a * q0] += 1;
    if (q0 == 1) { if (!(D[0] > 0)) return LMM_NUMERIC; D[0] = sqrt(D[0]); }
    else if (chol_small(q0, D, q0)) return LMM_NUMERIC;
    memcpy(M, T0, sizeof *M * (size_t)(q0 * q0));
    rsolve_small(q0, q0, D, q0, M, q0);   /* M = T0 D^-T */
    for (int i = 1; i < K; i++) level_blocks(lmm_sys_A(s, i, 0), lmm_sys_L(s, i, 0), c, T[i], M);
    times_m(p1, q0, AK0->v + (size_t)c * (size_t)q0 * (size_t)p1, p1, M, LK0->v + (size_t)c * (size_t)q0 * (size_t)p1, p1);
  }
  return LMM_OK;
}

/* Level c's updates of the later blocks: the outer products of its blocks of
 * L[i][0], and of the fixed part's, subtracted from L[i][j] and L[K][j] --
 * in the columns of part's share of term j's levels only (part < 0: all;
 * see lmm_system.rstart). */
static void first_term_updates(lmm_system *s, int c, int part) {
  int K = s->K, q0 = s->q[0], p1 = s->p + 1;
  const double *F = lmm_sys_L(s, K, 0)->v + (size_t)c * (size_t)q0 * (size_t)p1;
  for (int j = 1; j < K; j++) {
    const lmm_block *Bj = lmm_sys_L(s, j, 0);
    const int *at = part < 0 ? NULL : s->rstart[j] + (size_t)c * (size_t)(s->nparts + 1) + part;
    int b0 = at ? at[0] : Bj->colptr[c], b1 = at ? at[1] : Bj->colptr[c + 1];
    if (b0 == b1) continue;
    for (int i = j + 1; i < K; i++) sub_pairs_col(lmm_sys_L(s, i, j), lmm_sys_L(s, i, 0), Bj, c, b0, b1);
    if (rows_scalar_sized(lmm_sys_L(s, K, j), F, p1, p1, Bj, b0, b1, lmm_sys_L(s, j, j), Bj->colptr[c + 1])) continue;
    sub_pairs_col(lmm_sys_L(s, j, j), Bj, Bj, c, b0, b1);
    sub_dense_sparse_col(lmm_sys_L(s, K, j), F, p1, p1, Bj, b0, b1);
  }
}

typedef struct first_term_job { lmm_system *s; double *const *T; lmm_stop *stop; } first_term_job;

/* The first term's levels are asked about the stop this many at a time: a
 * level is a microsecond's work or less at a million rows, a look at the
 * clock a few tens of nanoseconds. */
enum { LEVELS_A_STEP = 64 };

/* One part's share of the first term's levels (see lmm_system.split). */
static int blocks_part(void *arg, int part) {
  first_term_job *job = arg;
  int rc = LMM_OK;
  for (int c = job->s->split[part], end = job->s->split[part + 1]; c < end && !rc; c += LEVELS_A_STEP)
    rc = lmm_stop_part(job->stop, part) ? LMM_INTERRUPTED
         : first_term_blocks(job->s, job->T, c, end - c < LEVELS_A_STEP ? end : c + LEVELS_A_STEP);
  return rc;
}

/* One part's share of the later terms' columns (see lmm_system.rsplit). */
static int updates_part(void *arg, int part) {
  first_term_job *job = arg;
  lmm_system *s = job->s;
  for (int c = 0; c < s->nl[0]; c++) {
    if (c % LEVELS_A_STEP == 0 && lmm_stop_part(job->stop, part)) return LMM_INTERRUPTED;
    first_term_updates(s, c, part);
  }
  return LMM_OK;
}

/* L[i][0] for every i and their updates of the later blocks, level by level
 * of the first term (see the file comment).  On one thread each level's
 * updates follow its blocks at once, while they are in cache; on several,
 * the parts make the blocks, then each subtracts the updates that fall in
 * its own columns of every later block, so no two threads write one place. */
static int first_term(lmm_system *s, double *const *T, lmm_stop *stop) {
  int K = s->K, p1 = s->p + 1, rc = LMM_OK;
  if (s->nparts > 1) {
    first_term_job job = {s, T, stop};
    rc = lmm_parallel(s->nparts, blocks_part, &job);
    if (!rc && K > 1) rc = lmm_parallel(s->nparts, updates_part, &job);
  } else
    for (int c = 0; c < s->nl[0] && !rc; c++) {
      if (c % LEVELS_A_STEP == 0 && lmm_stop_asked(stop)) return LMM_INTERRUPTED;
      if (!(rc = first_term_blocks(s, T, c, c + 1))) first_term_updates(s, c, -1);
    }
  if (rc) return rc;
  /* the fixed part against itself: one rank-(levels x q0) update, a wide
   * fixed part's in steps of some of those columns */
  lmm_block *LK0 = lmm_sys_L(s, K, 0), *LKK = lmm_sys_L(s, K, K);
  int w = lmm_steps_columns((double)p1 * p1);
  if (w < 16) w = 16;
  for (int c = 0; c < LK0->cols; c += w) {
    if (w < LK0->cols && lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, p1, LK0->cols - c < w ? LK0->cols - c : w, -1.0,
                LK0->v + (size_t)c * (size_t)LK0->ld, LK0->ld, 1.0, LKK->v, LKK->ld);
  }
  return LMM_OK;
}

/* ---- the later terms, by blocks ------------------------------------------------ */

/* C -= A B' for blocks sharing their column term k >= 1. */
static void update(lmm_block *C, const lmm_block *A, const lmm_block *B) {
  if (A->kind == BLK_DENSE && B->kind == BLK_DENSE) {
    if (C->rows <= SMALL && C->cols <= SMALL) {
      sub_abt(C->v, C->ld, A->v, A->ld, A->rows, B->v, B->ld, B->rows, A->cols);
      return;
    }
    if (A == B) cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, C->rows, A->cols, -1.0, A->v, A->ld, 1.0, C->v, C->ld);
    else cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, C->rows, C->cols, A->cols, -1.0, A->v, A->ld, B->v, B->ld, 1.0, C->v, C->ld);
    return;
  }
  if (A->kind == BLK_SPARSE && B->kind == BLK_SPARSE) {
    for (int c = 0; c < A->nc; c++) sub_pairs_col(C, A, B, c, B->colptr[c], B->colptr[c + 1]);
    return;
  }
  if (A->kind == BLK_DENSE) { /* B sparse: C[:, rowb block] -= A[:, c block] Bb' */
    for (int c = 0; c < B->nc; c++)
      sub_dense_sparse_col(C, A->v + (size_t)c * (size_t)B->cq * (size_t)A->ld, A->ld, A->rows, B, B->colptr[c], B->colptr[c + 1]);
    return;
  }
  /* A sparse, B dense: C[rowa block, :] -= Ba B[:, c block]' */
  int ra = A->rq, cq = A->cq;
  for (int c = 0; c < A->nc; c++)
    for (int ka = A->colptr[c]; ka < A->colptr[c + 1]; ka++)
      sub_abt(C->v + (size_t)A->rowidx[ka] * (size_t)ra, C->ld, A->v + (size_t)ka * (size_t)(ra * cq), ra, ra,
              B->v + (size_t)c * (size_t)cq * (size_t)B->ld, B->ld, B->rows, cq);
}

static int chol_dense(int n, double *v, int ld, lmm_stop *stop) {
  if (n <= SMALL) return chol_small(n, v, ld);
  int info = lmm_dense_chol(n, v, ld, stop);
  return info == LMM_DENSE_CHOL_STOPPED ? LMM_INTERRUPTED : info ? LMM_NUMERIC : LMM_OK;
}

static int chol_block(lmm_block *L, lmm_stop *stop) {
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
  return chol_dense(L->rows, L->v, L->ld, stop);
}

/* B <- B Ljj^{-T} */
static void right_solve(lmm_block *B, const lmm_block *Ljj) {
  if (Ljj->kind == BLK_DENSE) {
    if (Ljj->rows <= SMALL) { rsolve_small(B->rows, B->cols, Ljj->v, Ljj->ld, B->v, B->ld); return; }
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, B->rows, B->cols, 1.0,
                Ljj->v, Ljj->ld, B->v, B->ld);
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
    double *Bc = B->v + (size_t)c * (size_t)q * (size_t)B->ld;
    const double *T = Ljj->v + (size_t)c * (size_t)(q * q);
    if (q <= SMALL) rsolve_small(B->rows, q, T, q, Bc, B->ld);
    else cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, B->rows, q, 1.0, T, q, Bc, B->ld);
  }
}

/* Block columns 1..K: the first term's updates are in already.  Columns
 * before the dense tail go by blocks; the tail takes their updates, then
 * is factored whole (see lmm_system). */
static int later_terms(lmm_system *s, lmm_stop *stop) {
  int K = s->K, P = s->tail ? s->tail_from : K + 1;
  for (int j = 1; j <= K; j++) {
    for (int k = 1; k < j && k < P; k++) {
      if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
      const lmm_block *Ljk = lmm_sys_L(s, j, k);
      update(lmm_sys_L(s, j, j), Ljk, Ljk);
      for (int i = j + 1; i <= K; i++) update(lmm_sys_L(s, i, j), lmm_sys_L(s, i, k), Ljk);
    }
    if (j >= P) continue;
    int rc = lmm_stop_asked(stop) ? LMM_INTERRUPTED : chol_block(lmm_sys_L(s, j, j), stop);
    if (rc) return rc;
    for (int i = j + 1; i <= K; i++) right_solve(lmm_sys_L(s, i, j), lmm_sys_L(s, j, j));
  }
  return s->tail ? chol_dense(s->tail_order, s->tail, s->tail_order, stop) : LMM_OK;
}

/* L's blocks after the first term from A's: T_i' A_ij T_j and the identity on the random-effects diagonal; with
 * T NULL, A_ij as they are (the kept updates' form: no T, no identity). */
static void later_from_a(lmm_system *s, double *const *T) {
  int K = s->K;
  for (int j = K ? 1 : 0; j <= K; j++)   /* without random effects (a gls's joint fit) the fixed part alone */
    for (int i = j; i <= K; i++)
      scale_block(lmm_sys_L(s, i, j), lmm_sys_A(s, i, j), T && i < K ? T[i] : NULL, T && j < K ? T[j] : NULL,
                  T && i == j && j < K, i == j);
}

int lmm_system_factor(lmm_system *s, double *const *T, lmm_stop *stop) {
  int K = s->K;
  s->first_kept = 0;
  later_from_a(s, T);
  if (K == 0) {   /* only the fixed part (a system from statistics, stats_fit.h): L's copy of it, then its factor */
    scale_block(lmm_sys_L(s, 0, 0), lmm_sys_A(s, 0, 0), NULL, NULL, 0, 1);
    return chol_block(lmm_sys_L(s, 0, 0), stop);
  }
  int rc = first_term(s, T, stop);
  return rc ? rc : later_terms(s, stop);
}

/* log diag(L) over one random-effects block of L, added to *ld one by one: the same sum, in the same order,
 * whether the first term's comes from here or from its kept updates (a sum rounded otherwise moves BOBYQA's path
 * on a nearly singular fit). */
static void add_block_logdet(const lmm_block *L, double *ld) {
  if (L->kind == BLK_DIAG) {
    int q = L->rq;
    for (int l = 0; l < L->nc; l++)
      for (int a = 0; a < q; a++) *ld += log(L->v[(size_t)l * (size_t)(q * q) + (size_t)(a * q + a)]);
  } else
    for (int a = 0; a < L->rows; a++) *ld += log(L->v[(size_t)a * ((size_t)L->ld + 1)]);
}

double lmm_system_logdet_z(const lmm_system *s) {
  double ld = 0;
  for (int k = 0; k < s->K; k++)
    if (k == 0 && s->first_kept) ld = s->first_logdet;
    else add_block_logdet(lmm_sys_L(s, k, k), &ld);
  return 2 * ld;
}

/* ---- the first term's updates, kept by its T ------------------------------------- */

/* An entry: the first term's T (q0 x q0), the dense tail after the first term's updates with the later terms' T
 * left out (R: A's later blocks less sum_c (A_i0 M_c)(A_j0 M_c)'; its lower triangle, column after column), and
 * the first term's sum of log diag(L). */
typedef struct kept_entry {
  double *T0, *R, logdet;
  unsigned long used;   /* when last used (the least recently used is replaced); 0: empty */
} kept_entry;

struct lmm_first_kept {
  int n, q0;
  unsigned long clock;
  kept_entry *e;
  double *store;        /* the entries' T0 and R, one allocation */
  double **T;           /* the T the updates are made with: the first term's, then the identity */
  double *ident;        /* each later term's identity, of its order */
};

/* Copies kept: as many as one Newton step meets distinct first-term T (polish.c's differences, for the first
 * term's n0 parameters: the step's center, each parameter moved either way, each pair moved together), up to
 * KEPT_MOST, within a 64th of the memory for each fit that runs; none where that is less than KEPT_LEAST.  A copy
 * more is written once and never met again, and its pages cost their first touch: 55 MB a copy for the
 * MovieLens-shaped 3,706-item tail. */
enum { KEPT_MOST = 12, KEPT_LEAST = 2, KEPT_SHARE = 64 };

/* The first term's parameters: those of the θ map's term at fit position 0. */
static size_t first_term_parameters(const lmm_system *s) {
  const lmm_theta_map *m = s->theta;
  for (int t = 0; t < m->nterm; t++)
    if (m->pos[t] == 0) return (size_t)(m->off[t + 1] - m->off[t]);
  return lmm_theta_term_count(s->q[0]);
}

int lmm_first_kept_new(const lmm_system *s, lmm_first_kept **out) {
  *out = NULL;
  if (s->K < 2 || !s->tail || s->tail_from != 1 || s->refill) return LMM_OK;
  size_t order = (size_t)s->tail_order, q0 = (size_t)s->q[0], nident = 0;
  size_t per = lmm_size_add(lmm_size_mul(order, order + 1) / 2, q0 * q0);
  size_t room = lmm_alloc_budget() / KEPT_SHARE / sizeof(double), most = lmm_alloc_max_block() / sizeof(double);
  if (most < room) room = most;
  size_t n = room / per, n0 = first_term_parameters(s), met = 1 + 2 * n0 + n0 * (n0 - 1) / 2;
  if (n > met) n = met;
  if (n > KEPT_MOST) n = KEPT_MOST;
  if (n < KEPT_LEAST) n = 0;
  for (int j = 1; j < s->K; j++) nident += (size_t)s->q[j] * (size_t)s->q[j];
  lmm_first_kept *k = lmm_calloc(1, sizeof *k);
  if (!k) return LMM_NOMEM;
  k->q0 = (int)q0;
  k->T = lmm_calloc((size_t)s->K, sizeof *k->T);
  k->ident = lmm_calloc(nident, sizeof *k->ident);
  if (!k->T || !k->ident) {
    lmm_first_kept_free(k);
    return LMM_NOMEM;
  }
  double *at = k->ident;
  for (int j = 1; j < s->K; j++) {
    int q = s->q[j];
    for (int a = 0; a < q; a++) at[a + a * q] = 1;
    k->T[j] = at;
    at += (size_t)q * (size_t)q;
  }
  /* the copies only save time: where their memory is refused, none are kept */
  if (n && (k->e = lmm_calloc(n, sizeof *k->e)) && (k->store = lmm_malloc_array(lmm_size_mul(n, per), sizeof *k->store))) {
    k->n = (int)n;
    for (size_t i = 0; i < n; i++) {
      k->e[i].T0 = k->store + i * per;
      k->e[i].R = k->e[i].T0 + q0 * q0;
    }
  }
  *out = k;
  return LMM_OK;
}

void lmm_first_kept_free(lmm_first_kept *k) {
  if (!k) return;
  lmm_free(k->e);
  lmm_free(k->store);
  lmm_free(k->T);
  lmm_free(k->ident);
  lmm_free(k);
}

/* The entry kept for the first term's T0, or NULL. */
static kept_entry *kept_find(lmm_first_kept *k, const double *T0) {
  size_t bytes = sizeof *T0 * (size_t)k->q0 * (size_t)k->q0;
  for (int i = 0; i < k->n; i++)
    if (k->e[i].used && !memcmp(k->e[i].T0, T0, bytes)) return &k->e[i];
  return NULL;
}

/* The entry to keep new updates in: an empty one, else the least recently used. */
static kept_entry *kept_slot(lmm_first_kept *k) {
  kept_entry *best = &k->e[0];
  for (int i = 0; i < k->n; i++) {
    if (!k->e[i].used) return &k->e[i];
    if (k->e[i].used < best->used) best = &k->e[i];
  }
  return best;
}

/* The tail's lower triangle into R (to 1) or from it (to 0), column after column. */
static void copy_lower(lmm_system *s, double *R, int to) {
  size_t m = (size_t)s->tail_order;
  for (size_t c = 0; c < m; c++) {
    double *col = s->tail + c + c * m;
    if (to) memcpy(R, col, sizeof *R * (m - c));
    else memcpy(col, R, sizeof *R * (m - c));
    R += m - c;
  }
}

/* The tail from the first term's updates made without the later terms' T: T_i' R T_j in each sub-block (rows of
 * term i, columns of term j; the fixed part's T the identity), and the identity added on the random-effects
 * diagonal.  The lower triangle only, which is all R holds; a scalar term's columns at once. */
static void scale_tail(lmm_system *s, double *const *T) {
  int K = s->K;
  size_t m = (size_t)s->tail_order, c0 = 0;
  for (int j = s->tail_from; j <= K; j++) {
    int qj = s->q[j];
    const double *Tj = j < K ? T[j] : NULL;
    for (int b = 0; b < s->nl[j]; b++) {
      double *col = s->tail + (c0 + (size_t)b * (size_t)qj) * m;
      size_t r0 = c0;
      for (int i = j; i <= K; i++) {
        int qi = s->q[i];
        const double *Ti = i < K ? T[i] : NULL;
        int a0 = i == j ? b : 0;
        if (qi == 1 && qj == 1) {   /* scalar rows of a scalar column: one factor */
          double f = (Ti ? Ti[0] : 1) * (Tj ? Tj[0] : 1), *x = col + r0;
          for (int a = a0; a < s->nl[i]; a++) x[a] *= f;
          if (i == j && j < K) x[b] += 1;
        } else
          for (int a = a0; a < s->nl[i]; a++) {
            double *S = col + r0 + (size_t)a * (size_t)qi;
            if (i == j && a == b)   /* the diagonal sub-block: its upper triangle from its lower */
              for (int c = 1; c < qj; c++)
                for (int r = 0; r < c; r++) S[r + (size_t)c * m] = S[c + (size_t)r * m];
            tBt(Ti, qi, S, (int)m, qj, Tj, S, (int)m);
            if (i == j && a == b && j < K)
              for (int d = 0; d < qi; d++) S[d + (size_t)d * m] += 1;
          }
        r0 += (size_t)qi * (size_t)s->nl[i];
      }
    }
    c0 += (size_t)qj * (size_t)s->nl[j];
  }
}

int lmm_system_factor_kept(lmm_system *s, double *const *T, lmm_first_kept *k, lmm_stop *stop) {
  if (!k) return lmm_system_factor(s, T, stop);
  s->first_kept = 1;   /* whatever follows, the first term's blocks are not the factor's at T */
  kept_entry *e = kept_find(k, T[0]);
  if (e) {
    copy_lower(s, e->R, 0);
    s->first_logdet = e->logdet;
  } else {
    later_from_a(s, NULL);
    k->T[0] = T[0];
    int rc = first_term(s, k->T, stop);
    if (rc) return rc;
    s->first_logdet = 0;
    add_block_logdet(lmm_sys_L(s, 0, 0), &s->first_logdet);
    if (k->n) {
      e = kept_slot(k);
      memcpy(e->T0, T[0], sizeof *e->T0 * (size_t)k->q0 * (size_t)k->q0);
      copy_lower(s, e->R, 1);
      e->logdet = s->first_logdet;
    }
  }
  if (e) e->used = ++k->clock;
  scale_tail(s, T);
  return later_terms(s, stop);
}
