/* lapack_steps.c — LAPACK's blocked algorithms step by step (see
 * lapack_steps.h): the same loops as LAPACK's dgeqrf, dorgqr, dtrtri and
 * dlauum, each update cut into column groups of about STEP_FLOPS. */
#include "lapack_steps.h"
#include "alloc.h"
#include "lmm_error.h"

#include <cblas.h>
#include <lapacke.h>
#include <string.h>

/* Work of one step: 2e7 flops is 2 to 10 ms on one core of this machine
 * (OpenBLAS level 3 at 2 to 10 Gflop/s), well inside the 0.2 s an interrupt
 * may take, also when the machine is shared; a problem with less work than
 * that goes to LAPACK whole. */
#define STEP_FLOPS 2e7
enum { NB = 32 };   /* reflectors to a panel: LAPACK's own block size for dgeqrf */

int lmm_steps_columns(double col_flops) {
  double w = col_flops > 0 ? STEP_FLOPS / col_flops : 1e9;
  return w < 1 ? 1 : w > 1e9 ? 1000000000 : (int)w;
}

/* Columns of a step of a triangular update whose columns cost col_flops,
 * within LAPACK-like block sizes (16..64). */
static int block_columns(double col_flops) {
  int w = lmm_steps_columns(col_flops);
  return w < 16 ? 16 : w > 64 ? 64 : w;
}

/* H' or H (the panel's block reflector, V at A + j + j*lda, T from dlarft)
 * applied to columns c0..n-1 of rows j..m-1, a column group a step. */
static int apply_panel(char trans, int m, int n, double *A, int lda, int j, int jb, int c0, const double *T, double *work,
                       lmm_stop *stop) {
  int w = lmm_steps_columns(4.0 * (m - j) * jb);
  for (int c = c0; c < n; c += w) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    int cw = n - c < w ? n - c : w;
    if (LAPACKE_dlarfb_work(LAPACK_COL_MAJOR, 'L', trans, 'F', 'C', m - j, cw, jb, A + j + (size_t)j * lda, lda, T, NB,
                            A + j + (size_t)c * lda, lda, work, cw))
      return LMM_NUMERIC;
  }
  return LMM_OK;
}

/* T and work for apply_panel (work: n columns of a panel, and dgeqrf's and dorgqr's needs). */
static int panel_scratch(int n, double **T, double **work) {
  *T = lmm_malloc(sizeof **T * NB * NB);
  *work = lmm_malloc(sizeof **work * (size_t)(n > NB ? n : NB) * NB);
  if (*T && *work) return LMM_OK;
  lmm_free(*T);
  lmm_free(*work);
  return LMM_NOMEM;
}

static int geqrf_whole(int m, int n, double *A, int lda, double *tau) {
  double q;
  if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, A, lda, tau, &q, -1)) return LMM_NUMERIC;
  int lw = (int)q > 1 ? (int)q : 1;
  double *work = lmm_malloc(sizeof *work * (size_t)lw);
  if (!work) return LMM_NOMEM;
  int rc = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m, n, A, lda, tau, work, lw) ? LMM_NUMERIC : LMM_OK;
  lmm_free(work);
  return rc;
}

int lmm_steps_geqrf(int m, int n, double *A, int lda, double *tau, lmm_stop *stop) {
  int k = m < n ? m : n;
  if (2.0 * m * n * k < STEP_FLOPS) return geqrf_whole(m, n, A, lda, tau);
  double *T, *work;
  if (panel_scratch(n, &T, &work)) return LMM_NOMEM;
  int rc = LMM_OK, lwork = (n > NB ? n : NB) * NB;
  for (int j = 0; j < k && !rc; j += NB) {
    int jb = k - j < NB ? k - j : NB;
    double *V = A + j + (size_t)j * lda;
    if (lmm_stop_asked(stop)) rc = LMM_INTERRUPTED;
    else if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, m - j, jb, V, lda, tau + j, work, lwork)) rc = LMM_NUMERIC;
    else if (j + jb < n) {
      LAPACKE_dlarft_work(LAPACK_COL_MAJOR, 'F', 'C', m - j, jb, V, lda, tau + j, T, NB);
      rc = apply_panel('T', m, n, A, lda, j, jb, j + jb, T, work, stop);
    }
  }
  lmm_free(T);
  lmm_free(work);
  return rc;
}

/* As LAPACK's dtpqrt: each panel's QR (dtpqrt2, through dtpqrt on the panel
 * alone), then its reflectors applied to the columns after it (dtprfb). */
int lmm_steps_tpqrt(int m, int n, int nb, double *A, int lda, double *B, int ldb, double *T, double *work, lmm_stop *stop) {
  if (2.0 * m * n * n < STEP_FLOPS)
    return LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, m, n, 0, nb, A, lda, B, ldb, T, nb, work) ? LMM_NUMERIC : LMM_OK;
  for (int j = 0; j < n; j += nb) {
    int jb = n - j < nb ? n - j : nb, w = lmm_steps_columns(4.0 * m * jb);
    double *Ajj = A + j + (size_t)j * lda, *Bj = B + (size_t)j * ldb, *Tj = T + (size_t)j * nb;
    if (LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, m, jb, 0, jb, Ajj, lda, Bj, ldb, Tj, nb, work)) return LMM_NUMERIC;
    for (int c = j + jb; c < n; c += w) {
      if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
      int cw = n - c < w ? n - c : w;
      if (LAPACKE_dtprfb_work(LAPACK_COL_MAJOR, 'L', 'T', 'F', 'C', m, cw, jb, 0, Bj, ldb, Tj, nb, A + j + (size_t)c * lda, lda,
                              B + (size_t)c * ldb, ldb, work, jb))
        return LMM_NUMERIC;
    }
  }
  return LMM_OK;
}

/* As LAPACK's dorgqr: the panels from the last back, each applied to the
 * columns after it (already Q's) and then made into its own columns. */
int lmm_steps_orgqr(int m, int n, double *A, int lda, const double *tau, lmm_stop *stop) {
  double *T, *work;
  if (panel_scratch(n, &T, &work)) return LMM_NOMEM;
  int rc = LMM_OK, lwork = (n > NB ? n : NB) * NB, whole = 4.0 * m * n * n < STEP_FLOPS;
  if (whole) rc = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m, n, n, A, lda, tau, work, lwork) ? LMM_NUMERIC : LMM_OK;
  for (int j = whole || !n ? -1 : (n - 1) / NB * NB; j >= 0 && !rc; j -= NB) {
    int jb = n - j < NB ? n - j : NB;
    double *V = A + j + (size_t)j * lda;
    if (j + jb < n) {
      LAPACKE_dlarft_work(LAPACK_COL_MAJOR, 'F', 'C', m - j, jb, V, lda, tau + j, T, NB);
      rc = apply_panel('N', m, n, A, lda, j, jb, j + jb, T, work, stop);
    }
    if (!rc && LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, m - j, jb, jb, V, lda, tau + j, work, lwork)) rc = LMM_NUMERIC;
    for (int c = j; c < j + jb && !rc; c++) memset(A + (size_t)c * lda, 0, sizeof *A * (size_t)j);
  }
  lmm_free(T);
  lmm_free(work);
  return rc;
}

/* Q' v applies the reflectors first to last, Q v last to first: a group of
 * them a step, each group on the rows it touches.  On one vector the work
 * is level 2, memory-bound, some four times slower a flop: counted so. */
int lmm_steps_ormqr_vec(char trans, int m, int k, const double *A, int lda, const double *tau, double *v, double *work,
                        int lwork, lmm_stop *stop) {
  int g = lmm_steps_columns(16.0 * m);
  if (g < NB) g = NB;
  int first = trans == 'T' ? 0 : (k - 1) / g * g;
  for (int j = first; j >= 0 && j < k; j += trans == 'T' ? g : -g) {
    if (g < k && lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    int jg = k - j < g ? k - j : g;
    if (LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', trans, m - j, 1, jg, A + j + (size_t)j * lda, lda, tau + j, v + j, m - j,
                            work, lwork))
      return LMM_NUMERIC;
  }
  return LMM_OK;
}

/* As LAPACK's dtrtri (upper, by block columns left to right): the block
 * column above the diagonal times the inverse so far, then by minus the
 * inverse of its diagonal block, which is inverted last. */
int lmm_steps_trtri_upper(int n, double *A, int lda, lmm_stop *stop) {
  if ((double)n * n * n / 3 < STEP_FLOPS) return LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, 'U', 'N', n, A, lda) ? LMM_NUMERIC : LMM_OK;
  for (int j = 0; j < n; j++)
    if (A[j + (size_t)j * lda] == 0) return LMM_NUMERIC;
  for (int j = 0, jb; j < n; j += jb) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    jb = block_columns((double)j * j);
    if (jb > n - j) jb = n - j;
    double *Aj = A + (size_t)j * lda, *Ajj = Aj + j;
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, j, jb, 1.0, A, lda, Aj, lda);
    cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, j, jb, -1.0, Ajj, lda, Aj, lda);
    if (LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, 'U', 'N', jb, Ajj, lda)) return LMM_NUMERIC;
  }
  return LMM_OK;
}

/* As LAPACK's dlauum (upper): U U' in place, by block columns. */
static int lauum_upper(int n, double *A, int lda, lmm_stop *stop) {
  for (int i = 0, ib; i < n; i += ib) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    ib = block_columns(2.0 * i * (n - i) + 1);
    if (ib > n - i) ib = n - i;
    double *Ai = A + (size_t)i * lda, *Aii = Ai + i, *Anext = A + (size_t)(i + ib) * lda;
    cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit, i, ib, 1.0, Aii, lda, Ai, lda);
    if (LAPACKE_dlauum_work(LAPACK_COL_MAJOR, 'U', ib, Aii, lda)) return LMM_NUMERIC;
    if (i + ib < n) {
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, i, ib, n - i - ib, 1.0, Anext, lda, Anext + i, lda, 1.0, Ai, lda);
      cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, ib, n - i - ib, 1.0, Anext + i, lda, 1.0, Aii, lda);
    }
  }
  return LMM_OK;
}

/* The other triangle from this one (to_upper: lower -> upper). */
static void mirror(int n, double *A, int lda, int to_upper) {
  for (int j = 0; j < n; j++)
    for (int i = j + 1; i < n; i++) {
      double *lo = A + i + (size_t)j * lda, *up = A + j + (size_t)i * lda;
      if (to_upper) *up = *lo; else *lo = *up;
    }
}

/* The inverse of U'U is U^-1 U^-T: dtrtri, then dlauum.  A lower factor L
 * is the upper factor L' (A = L L'), mirrored in and the inverse out. */
int lmm_steps_potri(char uplo, int n, double *A, int lda, lmm_stop *stop) {
  if (2.0 * n * n * n / 3 < STEP_FLOPS) return LAPACKE_dpotri_work(LAPACK_COL_MAJOR, uplo, n, A, lda) ? LMM_NUMERIC : LMM_OK;
  if (uplo == 'L') mirror(n, A, lda, 1);
  int rc = lmm_steps_trtri_upper(n, A, lda, stop);
  if (!rc) rc = lauum_upper(n, A, lda, stop);
  if (!rc && uplo == 'L') mirror(n, A, lda, 0);
  return rc;
}
