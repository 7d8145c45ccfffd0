/* test_dense_chol.c — the dense Cholesky: LAPACK's factor on either side of
 * the order where the parts begin, the column not positive definite named
 * as LAPACK names it wherever it falls among the parts' panels, and
 * OpenBLAS's thread count as it was after it, also when several threads
 * factor at once. */
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

/* The factor against LAPACK's own, element by element, below and above LMM_CHOL_PARTS_FROM. */
void test_dense_chol_factor(void) {
  int orders[] = {40, LMM_CHOL_PARTS_FROM - 1, LMM_CHOL_PARTS_FROM, 504, 1159};
  openblas_set_num_threads(2);
  for (int t = 0; t < 5; t++) {
    int n = orders[t];
    double *a = spd(n), *b = malloc(sizeof *b * (size_t)n * (size_t)n);
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) b[i] = a[i];
    CHECK_INT(lmm_dense_chol(n, a, n, NULL), 0);
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
  CHECK_INT(lmm_dense_chol(2, m, 2, NULL), 2);
  /* in the parts' first panel, a later one, and the last column */
  int n = 600, bad[] = {5, 301, 600};
  for (int t = 0; t < 3; t++) {
    double *a = spd(n), *b = malloc(sizeof *b * (size_t)n * (size_t)n);
    a[(size_t)(bad[t] - 1) * (size_t)(n + 1)] = -1;
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) b[i] = a[i];
    CHECK_INT(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, b, n), bad[t]);
    CHECK_INT(lmm_dense_chol(n, a, n, NULL), bad[t]);
    CHECK_INT(openblas_get_num_threads(), 2);
    free(a);
    free(b);
  }
}

enum { CALLS = 300 };

/* CALLS factors of order *arg (in parts from LMM_CHOL_PARTS_FROM on): the
 * first against LAPACK's, every other bit for bit the first, as it would
 * not be if the other thread's call put OpenBLAS's count back to two during
 * this one's (its products threaded, rounding differently: 1e-15). */
static void *factor_many(void *arg) {
  int n = *(int *)arg, calls = n < LMM_CHOL_PARTS_FROM ? CALLS : CALLS / 10;
  size_t nn = (size_t)n * (size_t)n;
  double *a = spd(n), *b = malloc(sizeof *b * nn), *first = malloc(sizeof *first * nn);
  for (size_t i = 0; i < nn; i++) first[i] = a[i];
  long bad = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, first, n) != 0;
  for (int k = 0; k < calls; k++) {
    for (size_t i = 0; i < nn; i++) b[i] = a[i];
    if (lmm_dense_chol(n, b, n, NULL)) bad++;
    for (int c = 0; c < n; c++)
      for (int r = c; r < n; r++) {
        double got = b[r + (size_t)c * (size_t)n], *want = &first[r + (size_t)c * (size_t)n];
        if (k == 0 && fabs(got - *want) <= 1e-10) *want = got;
        else if (got != *want) { bad++; c = n; break; }
      }
  }
  free(a);
  free(b);
  free(first);
  return (void *)(intptr_t)bad;
}

/* Two threads factoring at once leave the count at two: a call that took
 * the other's lowered count for the host's, and put it back, would leave one.
 * Also when both factor in parts, four threads at once, every factor right
 * and the same. */
void test_dense_chol_threads(void) {
  int orders[] = {60, LMM_CHOL_PARTS_FROM + 52};
  for (int o = 0; o < 2; o++) {
    openblas_set_num_threads(2);
    pthread_t t[2];
    for (int k = 0; k < 2; k++) CHECK_INT(pthread_create(&t[k], NULL, factor_many, &orders[o]), 0);
    for (int k = 0; k < 2; k++) {
      void *bad = NULL;
      pthread_join(t[k], &bad);
      CHECK_INT((int)(intptr_t)bad, 0);
    }
    CHECK_INT(openblas_get_num_threads(), 2);
  }
}
