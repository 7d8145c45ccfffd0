/* polish.c — Newton steps from where a derivative-free optimizer stops; see polish.h. */
#include "polish.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define POLISH_H 1e-4       /* the difference step, relative to max(|x_i|, POLISH_FLOOR) */
#define POLISH_FLOOR 0.1
#define POLISH_REACH 1e-3   /* the longest step taken, relative to the same scale */
#define POLISH_ROUNDING 1e-11   /* how far above f(x) the new point may be, relative to 1 + |f(x)|: rounding */
#define POLISH_FAR 1e-2     /* lmm_polish_to's longest step, relative to the same scale: shortened to it */

enum { N = LMM_POLISH_MAXN };

/* The gradient g at x (f(x) = f0) by central differences, and with L non-NULL the Hessian's Cholesky factor in
 * L, from the same points: 0 where a point cannot be evaluated, x lies within two steps of a bound or the Hessian
 * is not positive definite (not a minimum's curvature). */
static int differences(int n, const double *x, double f0, const double *lower, double *g, double *L,
                       lmm_polish_fn *f, void *ctx) {
  double h[N], fp[N], fm[N], y[N];
  for (int i = 0; i < n; i++) {
    h[i] = POLISH_H * fmax(fabs(x[i]), POLISH_FLOOR);
    if (lower && x[i] - 2 * h[i] < lower[i]) return 0;   /* on or near a bound: no central difference */
  }
  memcpy(y, x, sizeof *y * (size_t)n);
  for (int i = 0; i < n; i++) {
    y[i] = x[i] + h[i];
    fp[i] = f(ctx, y);
    y[i] = x[i] - h[i];
    fm[i] = f(ctx, y);
    y[i] = x[i];
    if (!(fp[i] < DBL_MAX && fm[i] < DBL_MAX)) return 0;
    g[i] = (fp[i] - fm[i]) / (2 * h[i]);
    if (L) L[i + i * n] = (fp[i] - 2 * f0 + fm[i]) / (h[i] * h[i]);
  }
  if (!L) return 1;
  for (int j = 0; j < n; j++)
    for (int i = j + 1; i < n; i++) {
      y[i] = x[i] + h[i];
      y[j] = x[j] + h[j];
      double fpp = f(ctx, y);
      y[i] = x[i];
      y[j] = x[j];
      if (!(fpp < DBL_MAX)) return 0;
      L[i + j * n] = L[j + i * n] = (fpp - fp[i] - fp[j] + f0) / (h[i] * h[j]);
    }
  return !LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, L, n);
}

/* The step -H^-1 g from x (L: H's factor), its length in POLISH_REACHes of the scale (its longest coordinate's)
 * in *over: 1 taken, 0 not.  Longer than POLISH_FAR it is shortened to that (far 0: longer than POLISH_REACH it
 * is not taken).  Taken only inside the bounds and where f does not rise beyond its rounding. */
static int take_step(int n, double *x, double *fx, const double *lower, const double *L, const double *g, int far,
                     double *over, lmm_polish_fn *f, void *ctx) {
  double step[N], y[N], f0 = *fx;
  for (int i = 0; i < n; i++) step[i] = -g[i];
  if (LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', n, 1, L, n, step, n)) return 0;
  *over = 0;
  for (int i = 0; i < n; i++) *over = fmax(*over, fabs(step[i]) / (POLISH_REACH * fmax(fabs(x[i]), POLISH_FLOOR)));
  if (!(*over <= 1 || (far && *over < HUGE_VAL))) return 0;
  double shorten = *over * POLISH_REACH > POLISH_FAR ? POLISH_FAR / (*over * POLISH_REACH) : 1;
  for (int i = 0; i < n; i++) {
    y[i] = x[i] + shorten * step[i];
    if (lower && y[i] < lower[i]) return 0;
  }
  double fy = f(ctx, y);
  if (!(fy <= f0 + POLISH_ROUNDING * (1 + fabs(f0)))) return 0;
  memcpy(x, y, sizeof *x * (size_t)n);
  *fx = fy;
  return 1;
}

int lmm_polish(int n, double *x, double *fx, const double *lower, lmm_polish_fn *f, void *ctx) {
  double g[N], L[N * N], over;
  if (n < 1 || n > LMM_POLISH_MAXN || !(*fx < DBL_MAX)) return 0;
  if (!differences(n, x, *fx, lower, g, L, f, ctx)) return 0;
  return take_step(n, x, fx, lower, L, g, 0, &over, f, ctx);
}

/* How unevenly the deviance curves: the square of the largest over the smallest diagonal element of the
 * Hessian's factor in units of x's scale. */
static double spread(int n, const double *x, const double *L) {
  double lo = HUGE_VAL, hi = 0;
  for (int i = 0; i < n; i++) {
    double d = L[i + i * n] * fmax(fabs(x[i]), POLISH_FLOOR);
    lo = fmin(lo, d);
    hi = fmax(hi, d);
  }
  return hi * hi / (lo * lo);
}

/* A last step no longer than POLISH_EVEN / spread of the reach where the Hessian's spread exceeds POLISH_EVEN: its
 * far end is uncertain along the flat directions of an ill-conditioned optimum (bodyweight_quad's Time and Time^2
 * slopes, spread 5000: one step of 0.7 of the reach from where a loose BOBYQA stopped left the fixed effects 1e-6
 * of a standard error from where BOBYQA's tight stop ends); the bench's models spread 20 to 300. */
#define POLISH_EVEN 500.0

int lmm_polish_to(int n, double *x, double *fx, const double *lower, int most, lmm_polish_fn *f, void *ctx) {
  double g[N], L[N * N], over;
  if (n < 1 || n > LMM_POLISH_MAXN || !(*fx < DBL_MAX)) return 0;
  for (int k = 0; k < most; k++) {
    if (!differences(n, x, *fx, lower, g, L, f, ctx)) return 0;
    double last = fmin(1, POLISH_EVEN / spread(n, x, L));
    if (!take_step(n, x, fx, lower, L, g, 1, &over, f, ctx)) return 0;
    if (over <= last) return 1;
  }
  return 0;
}
