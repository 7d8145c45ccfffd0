/* test_lapack_steps.c — LAPACK's factorizations in steps against LAPACK
 * whole: the same QR, Q, inverses to rounding on problems large enough to
 * be cut, and LMM_INTERRUPTED from the first step when the stop is asked
 * for, the stop asked again and again on the way. */
#include "harness.h"
#include "helpers.h"
#include "lapack_steps.h"

#include <cblas.h>
#include <lapacke.h>
#include <stdint.h>
#include <stdlib.h>

/* An m x n matrix of fixed pseudo-random entries in [-0.5, 0.5). */
static double *noise(int m, int n, uint64_t seed) {
  double *a = malloc(sizeof *a * (size_t)m * (size_t)n);
  for (size_t i = 0; i < (size_t)m * (size_t)n; i++) a[i] = (double)(lcg_next(&seed) >> 11) / 9007199254740992.0 - 0.5;
  return a;
}

typedef struct asked { int calls, stop_at; } asked;
static int stop_at(void *ctx) {
  asked *a = ctx;
  return ++a->calls >= a->stop_at;
}

/* The largest |x - y| over n entries, against the largest |y|. */
static double rel_diff(const double *x, const double *y, size_t n) {
  double d = 0, s = 0;
  for (size_t i = 0; i < n; i++) {
    if (fabs(x[i] - y[i]) > d) d = fabs(x[i] - y[i]);
    if (fabs(y[i]) > s) s = fabs(y[i]);
  }
  return d / s;
}

/* dgeqrf, dorgqr and dormqr on one vector: 700 x 300 is cut into steps. */
void test_steps_qr(void) {
  int m = 700, n = 300;
  double *a = noise(m, n, 5), *b = malloc(sizeof *b * (size_t)m * n), *tau = malloc(sizeof *tau * n), *tau2 = malloc(sizeof *tau2 * n);
  memcpy(b, a, sizeof *a * (size_t)m * n);
  asked ask = {0, 1 << 30};
  lmm_stop stop = {stop_at, &ask, 0};
  CHECK_INT(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, n, a, m, tau), 0);
  CHECK_INT(lmm_steps_geqrf(m, n, b, m, tau2, &stop), LMM_OK);
  CHECK(ask.calls >= 9);   /* once a panel at least */
  CHECK(rel_diff(b, a, (size_t)m * n) < 1e-12);
  CHECK(rel_diff(tau2, tau, (size_t)n) < 1e-12);
  /* Q'v then Q v gives v back, and Q'v agrees with LAPACK's */
  double *v = noise(m, 1, 7), *w = malloc(sizeof *w * m), *u = malloc(sizeof *u * m), work[64 * 64];
  memcpy(w, v, sizeof *v * m);
  memcpy(u, v, sizeof *v * m);
  CHECK_INT(LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'T', m, 1, n, a, m, tau, u, m), 0);
  CHECK_INT(lmm_steps_ormqr_vec('T', m, n, b, m, tau2, w, work, 64 * 64, &stop), LMM_OK);
  CHECK(rel_diff(w, u, (size_t)m) < 1e-12);
  CHECK_INT(lmm_steps_ormqr_vec('N', m, n, b, m, tau2, w, work, 64 * 64, &stop), LMM_OK);
  CHECK(rel_diff(w, v, (size_t)m) < 1e-12);
  /* Q itself */
  CHECK_INT(LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, n, n, a, m, tau), 0);
  CHECK_INT(lmm_steps_orgqr(m, n, b, m, tau2, &stop), LMM_OK);
  CHECK(rel_diff(b, a, (size_t)m * n) < 1e-12);
  /* a stop at the first question: nothing more is done */
  ask = (asked){0, 1};
  stop.stopped = 0;
  memcpy(b, a, sizeof *a * (size_t)m * n);
  CHECK_INT(lmm_steps_geqrf(m, n, b, m, tau2, &stop), LMM_INTERRUPTED);
  CHECK_INT(ask.calls, 1);
  CHECK_INT(lmm_steps_orgqr(m, n, b, m, tau2, &stop), LMM_INTERRUPTED);
  CHECK_INT(ask.calls, 1);   /* the stop stays set without asking again */
  free(a); free(b); free(tau); free(tau2); free(v); free(w); free(u);
}

/* dtpqrt: R of [R0; B] stepwise as whole, 256 rows under 500 columns. */
void test_steps_tpqrt(void) {
  int m = 256, n = 500, nb = 32;
  double *r = calloc((size_t)n * n, sizeof *r), *r2 = calloc((size_t)n * n, sizeof *r2), *b = noise(m, n, 11), *b2 = malloc(sizeof *b2 * (size_t)m * n);
  double *t = malloc(sizeof *t * nb * n), *work = malloc(sizeof *work * nb * n);
  for (int j = 0; j < n; j++) r[j + (size_t)j * n] = r2[j + (size_t)j * n] = 1 + j % 7;
  memcpy(b2, b, sizeof *b * (size_t)m * n);
  CHECK_INT(LAPACKE_dtpqrt_work(LAPACK_COL_MAJOR, m, n, 0, nb, r, n, b, m, t, nb, work), 0);
  asked ask = {0, 1 << 30};
  lmm_stop stop = {stop_at, &ask, 0};
  CHECK_INT(lmm_steps_tpqrt(m, n, nb, r2, n, b2, m, t, work, &stop), LMM_OK);
  CHECK(ask.calls > 10);
  CHECK(rel_diff(r2, r, (size_t)n * n) < 1e-12);
  free(r); free(r2); free(b); free(b2); free(t); free(work);
}

/* dtrtri and dpotri (both triangles) on an order of 600. */
void test_steps_inverse(void) {
  int n = 600;
  double *g = noise(n, n, 13), *a = malloc(sizeof *a * (size_t)n * n), *b = malloc(sizeof *b * (size_t)n * n);
  for (int i = 0; i < n; i++) g[i + (size_t)i * n] += 4 * sqrt(n);   /* well conditioned */
  asked ask = {0, 1 << 30};
  lmm_stop stop = {stop_at, &ask, 0};
  memcpy(a, g, sizeof *a * (size_t)n * n);
  memcpy(b, g, sizeof *b * (size_t)n * n);
  CHECK_INT(LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'U', 'N', n, a, n), 0);
  CHECK_INT(lmm_steps_trtri_upper(n, b, n, &stop), LMM_OK);
  CHECK(ask.calls >= 9);
  CHECK(rel_diff(b, a, (size_t)n * n) < 1e-12);
  for (int u = 0; u < 2; u++) {
    char uplo = u ? 'U' : 'L';
    memcpy(a, g, sizeof *a * (size_t)n * n);
    memcpy(b, g, sizeof *b * (size_t)n * n);
    CHECK_INT(LAPACKE_dpotri(LAPACK_COL_MAJOR, uplo, n, a, n), 0);
    CHECK_INT(lmm_steps_potri(uplo, n, b, n, &stop), LMM_OK);
    double d = 0, s = 0;   /* the triangle asked for */
    for (int j = 0; j < n; j++)
      for (int i = u ? 0 : j; i < (u ? j + 1 : n); i++) {
        size_t k = i + (size_t)j * n;
        if (fabs(b[k] - a[k]) > d) d = fabs(b[k] - a[k]);
        if (fabs(a[k]) > s) s = fabs(a[k]);
      }
    CHECK(d < 1e-12 * s);
  }
  ask = (asked){0, 3};
  CHECK_INT(lmm_steps_potri('L', n, b, n, &stop), LMM_INTERRUPTED);
  CHECK_INT(ask.calls, 3);
  free(g); free(a); free(b);
}
