/* test_polish.c — lmm_polish: one Newton step to the minimum of a smooth function from near it, and no
 * step where there is none to take. */
#include "harness.h"
#include "polish.h"

#include <float.h>

typedef struct quad { int n, evals; double a[3], A[9], sign, cubic; } quad;

/* sign * (x - a)' A (x - a) / 2 + cubic * sum (x_i - a_i)^3 + 100 */
static double quad_at(void *ctx, const double *x) {
  quad *q = ctx;
  double s = 0, c = 0;
  q->evals++;
  for (int i = 0; i < q->n; i++) {
    c += (x[i] - q->a[i]) * (x[i] - q->a[i]) * (x[i] - q->a[i]);
    for (int j = 0; j < q->n; j++) s += (x[i] - q->a[i]) * q->A[i + j * q->n] * (x[j] - q->a[j]);
  }
  return q->sign * s / 2 + q->cubic * c + 100;
}

void test_polish_step(void) {
  quad q = {3, 0, {1.5, -0.2, 0.8}, {40, 6, -3, 6, 25, 2, -3, 2, 10}, 1, 5};
  double x[3] = {1.5 * (1 + 3e-6), -0.2 + 2e-6, 0.8 * (1 - 4e-6)}, lower[3] = {0, -HUGE_VAL, 0};
  double fx = quad_at(&q, x);
  q.evals = 0;
  CHECK_INT(lmm_polish(3, x, &fx, lower, quad_at, &q), 1);
  CHECK_INT(q.evals, 2 * 3 + 3 + 1);   /* polish.h's cost */
  /* from 3e-6 off to the differences' truncation, h^2 f''' / (6 H): about 1e-8 here */
  for (int i = 0; i < 3; i++) CHECK(fabs(x[i] - q.a[i]) < 3e-8 * fmax(fabs(q.a[i]), 0.1));
  CHECK(fx == quad_at(&q, x));
}

void test_polish_refusals(void) {
  /* a maximum: the Hessian is not positive definite */
  quad q = {2, 0, {1, 1}, {4, 0, 0, 4}, -1, 0};
  double x[2] = {1 + 1e-5, 1 - 1e-5}, keep[2] = {x[0], x[1]}, fx = quad_at(&q, x);
  CHECK_INT(lmm_polish(2, x, &fx, NULL, quad_at, &q), 0);
  CHECK(x[0] == keep[0] && x[1] == keep[1]);
  /* too far from the minimum for one step of the quadratic model */
  q.sign = 1;
  x[0] = 1.5;
  fx = quad_at(&q, x);
  CHECK_INT(lmm_polish(2, x, &fx, NULL, quad_at, &q), 0);
  CHECK(x[0] == 1.5);
  /* within two difference steps of a bound */
  double lower[2] = {1, 0};
  x[0] = 1 + 1e-5;
  fx = quad_at(&q, x);
  CHECK_INT(lmm_polish(2, x, &fx, lower, quad_at, &q), 0);
  /* a point where the function cannot be evaluated */
  fx = DBL_MAX;
  CHECK_INT(lmm_polish(2, x, &fx, NULL, quad_at, &q), 0);
}

void test_polish_to(void) {
  /* 5e-3 of the scale off: beyond one step's reach, within that of two */
  quad q = {3, 0, {1.5, -0.2, 0.8}, {40, 6, -3, 6, 25, 2, -3, 2, 10}, 1, 5};
  double x0[3] = {1.5 * (1 + 5e-3), -0.2 + 1e-3, 0.8 * (1 - 5e-3)}, lower[3] = {0, -HUGE_VAL, 0}, x[3];
  memcpy(x, x0, sizeof x);
  double fx = quad_at(&q, x);
  CHECK_INT(lmm_polish(3, x, &fx, lower, quad_at, &q), 0);
  CHECK(x[0] == x0[0] && x[1] == x0[1] && x[2] == x0[2]);
  q.evals = 0;
  CHECK_INT(lmm_polish_to(3, x, &fx, lower, 3, quad_at, &q), 1);
  CHECK_INT(q.evals, 2 * (2 * 3 + 3 + 1));   /* two steps */
  for (int i = 0; i < 3; i++) CHECK(fabs(x[i] - q.a[i]) < 3e-8 * fmax(fabs(q.a[i]), 0.1));
  CHECK(fx == quad_at(&q, x));
  /* one step allowed: taken, but not to within the reach, so not reported as there */
  memcpy(x, x0, sizeof x);
  fx = quad_at(&q, x);
  double f0 = fx;
  CHECK_INT(lmm_polish_to(3, x, &fx, lower, 1, quad_at, &q), 0);
  CHECK(fx < f0 && x[0] != x0[0]);
  /* a maximum: nothing taken */
  quad m = {2, 0, {1, 1}, {4, 0, 0, 4}, -1, 0};
  double y[2] = {1 + 1e-2, 1 - 1e-2};
  fx = quad_at(&m, y);
  CHECK_INT(lmm_polish_to(2, y, &fx, NULL, 3, quad_at, &m), 0);
  CHECK(y[0] == 1 + 1e-2 && y[1] == 1 - 1e-2);
}

void test_polish_to_ill_conditioned(void) {
  /* curvatures 1e4 and 1 on the same scale (polish.c's spread 1e4): a last step of half the reach is not taken as
     the last where lmm_polish would take it; the next, from where it lands, is */
  quad q = {2, 0, {1, 1}, {1e4, 0, 0, 1}, 1, 0};
  double x0[2] = {1, 1 + 5e-4}, x[2] = {x0[0], x0[1]}, fx = quad_at(&q, x);
  CHECK_INT(lmm_polish(2, x, &fx, NULL, quad_at, &q), 1);
  memcpy(x, x0, sizeof x);
  fx = quad_at(&q, x);
  CHECK_INT(lmm_polish_to(2, x, &fx, NULL, 1, quad_at, &q), 0);
  CHECK(fabs(x[1] - 1) < 1e-6);
  memcpy(x, x0, sizeof x);
  fx = quad_at(&q, x);
  CHECK_INT(lmm_polish_to(2, x, &fx, NULL, 2, quad_at, &q), 1);
}
