/* lapack_steps.h — LAPACK's dense factorizations and inverses cut into
 * steps of a few tens of milliseconds, with a caller's stop (stop.h) asked
 * between them: one LAPACK call on a large matrix cannot be interrupted from
 * inside (a QR of 9,000 x 3,000 runs for many seconds).
 *
 * Each is LAPACK's own blocked algorithm, its panels and updates done by the
 * LAPACK and BLAS routines LAPACK itself calls, the updates cut by columns.
 * A problem small enough to take less than a step goes to LAPACK whole, so
 * small fits keep every digit they had.
 *
 * Return: LMM_OK; LMM_INTERRUPTED when the stop was asked for (the matrix
 * half done); LMM_NUMERIC when LAPACK fails or the matrix is singular;
 * LMM_NOMEM.  Column-major throughout.
 */
#ifndef LMM_LAPACK_STEPS_H
#define LMM_LAPACK_STEPS_H

#include "stop.h"

/* dgeqrf: the QR of A (m x n), R above the diagonal and the reflectors
 * below, tau (min(m, n)) their scalars. */
int lmm_steps_geqrf(int m, int n, double *A, int lda, double *tau, lmm_stop *stop);

/* dorgqr: A (m x n, m >= n) from lmm_steps_geqrf becomes Q's n columns. */
int lmm_steps_orgqr(int m, int n, double *A, int lda, const double *tau, lmm_stop *stop);

/* dormqr on one vector: v <- Q'v (trans 'T') or Q v ('N'), Q from the k
 * reflectors of lmm_steps_geqrf (A m x k); work (lwork) as dormqr's. */
int lmm_steps_ormqr_vec(char trans, int m, int k, const double *A, int lda, const double *tau, double *v, double *work,
                        int lwork, lmm_stop *stop);

/* dtpqrt with l = 0: the QR of [A; B], A (n x n) upper triangular, B
 * (m x n), R into A and the reflectors into B; T (nb x n, ldt nb) and work
 * (nb x n) as dtpqrt's. */
int lmm_steps_tpqrt(int m, int n, int nb, double *A, int lda, double *B, int ldb, double *T, double *work, lmm_stop *stop);

/* dtrtri: the upper triangle of A (n x n) becomes its inverse. */
int lmm_steps_trtri_upper(int n, double *A, int lda, lmm_stop *stop);

/* dpotri: from the Cholesky factor in triangle uplo ('U': A = U'U, 'L':
 * A = L L') to A's inverse, in that triangle. */
int lmm_steps_potri(char uplo, int n, double *A, int lda, lmm_stop *stop);

/* The number of columns of a step whose every column costs col_flops
 * (at least one): for callers that cut their own BLAS calls. */
int lmm_steps_columns(double col_flops);

#endif
