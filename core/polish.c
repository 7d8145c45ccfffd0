/* polish.c — one Newton step from where a derivative-free optimizer stops; see polish.h. */
#include "polish.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#define POLISH_H 1e-4       /* the difference step, relative to max(|x_i|, POLISH_FLOOR) */
#define POLISH_FLOOR 0.1
#define POLISH_REACH 1e-3   /* the longest step taken, relative to the same scale */
#define POLISH_ROUNDING 1e-11   /* how far above f(x) the new point may be, relative to 1 + |f(x)|: rounding */

int lmm_polish(int n, double *x, double *fx, const double *lower, lmm_polish_fn *f, void *ctx) {
  if (n < 1 || n > LMM_POLISH_MAXN || !(*fx < DBL_MAX)) return 0;
  enum { N = LMM_POLISH_MAXN };
  double h[N], fp[N], fm[N], g[N], H[N * N], y[N], step[N], f0 = *fx;
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
    H[i + i * n] = (fp[i] - 2 * f0 + fm[i]) / (h[i] * h[i]);
  }
  for (int j = 0; j < n; j++)
    for (int i = j + 1; i < n; i++) {
      y[i] = x[i] + h[i];
      y[j] = x[j] + h[j];
      double fpp = f(ctx, y);
      y[i] = x[i];
      y[j] = x[j];
      if (!(fpp < DBL_MAX)) return 0;
      H[i + j * n] = H[j + i * n] = (fpp - fp[i] - fp[j] + f0) / (h[i] * h[j]);
    }
  if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, H, n)) return 0;   /* not a minimum's curvature */
  for (int i = 0; i < n; i++) step[i] = -g[i];
  if (LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', n, 1, H, n, step, n)) return 0;
  for (int i = 0; i < n; i++) {
    if (!(fabs(step[i]) <= POLISH_REACH * fmax(fabs(x[i]), POLISH_FLOOR))) return 0;
    y[i] = x[i] + step[i];
    if (lower && y[i] < lower[i]) return 0;
  }
  double fy = f(ctx, y);
  if (!(fy <= f0 + POLISH_ROUNDING * (1 + fabs(f0)))) return 0;
  memcpy(x, y, sizeof *x * (size_t)n);
  *fx = fy;
  return 1;
}
