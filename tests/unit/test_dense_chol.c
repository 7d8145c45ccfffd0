/* test_dense_chol.c — the dense Cholesky: LAPACK's factor on either side of
 * the one-thread order, and OpenBLAS's thread count as it was after it,
 * also when several threads factor at once. */
#include "harness.h"
#include "helpers.h"
#include "dense_chol.h"

#include <cblas.h>
#include <lapacke.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

/* A symmetric positive definite n x n matrix, fixed pseudo-random. */
static double *spd(int n) {
  double *g = malloc(sizeof *g * (size_t)n * (size_t)n), *a = malloc(sizeof *a * (size_t)n * (size_t)n);
  uint64_t state = 99;
  for (size_t i = 0; i < (size_t)n * (size_t)n; i++) {
    lcg_next(&state);
    g[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5;
  }
  cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, n, 1.0, g, n, 0.0, a, n);
  for (int i = 0; i < n; i++) a[i + (size_t)i * (size_t)n] += n;
  free(g);
  return a;
}

/* The factor against LAPACK's own, element by element, below and above LMM_CHOL_ONE_THREAD_BELOW. */
void test_dense_chol_factor(void) {
  int orders[] = {40, 504, LMM_CHOL_ONE_THREAD_BELOW + 100};
  openblas_set_num_threads(2);
  for (int t = 0; t < 3; t++) {
    int n = orders[t];
    double *a = spd(n), *b = malloc(sizeof *b * (size_t)n * (size_t)n);
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) b[i] = a[i];
    CHECK_INT(lmm_dense_chol(n, a, n), 0);
    CHECK_INT(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, b, n), 0);
    double worst = 0;
    for (int c = 0; c < n; c++)
      for (int r = c; r < n; r++) {
        double d = fabs(a[r + (size_t)c * (size_t)n] - b[r + (size_t)c * (size_t)n]);
        if (d > worst) worst = d;
      }
    CHECK(worst < 1e-10);
    CHECK_INT(openblas_get_num_threads(), 2);
    free(a);
    free(b);
  }
  /* not positive definite: LAPACK's info names the column */
  double m[4] = {1, 2, 2, 1};
  CHECK_INT(lmm_dense_chol(2, m, 2), 2);
}

enum { CALLS = 300 };

static void *factor_many(void *arg) {
  (void)arg;
  double *a = spd(60), *b = malloc(sizeof *b * 3600);
  for (int k = 0; k < CALLS; k++) {
    for (int i = 0; i < 3600; i++) b[i] = a[i];
    lmm_dense_chol(60, b, 60);
  }
  free(a);
  free(b);
  return NULL;
}

/* Two threads factoring at once leave the count at two: a call that took
 * the other's lowered count for the host's, and put it back, would leave one. */
void test_dense_chol_threads(void) {
  openblas_set_num_threads(2);
  pthread_t t[2];
  for (int k = 0; k < 2; k++) CHECK_INT(pthread_create(&t[k], NULL, factor_many, NULL), 0);
  for (int k = 0; k < 2; k++) pthread_join(t[k], NULL);
  CHECK_INT(openblas_get_num_threads(), 2);
}
