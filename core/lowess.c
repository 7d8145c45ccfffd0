/* lowess.c — clowess (Cleveland 1979; R's src/library/stats/src/lowess.c) from its description:
 *
 *   1. For each x_i, the ns = max(2, min(n, floor(f n + 1e-7))) nearest points (a window that slides right
 *      while that shrinks its radius h) get tricube weights (1 - (|x_j - x_i| / h)^3)^3, 1 within 0.001 h,
 *      0 beyond 0.999 h, times the robustness weights after the first pass; ties at the window's right
 *      edge all come in.  The fit at x_i is the weighted line through the weighted centre of x (the
 *      weighted mean when the x spread is under 0.001 of the range), or y_i when every weight is 0.
 *   2. Points within delta of the last fitted x are not fitted but interpolated linearly; a tie takes
 *      the value of its twin.
 *   3. Robustness: residuals e, weights (1 - (e / 6 MAD)^2)^2 (1 within 0.001 of 6 MAD, 0 beyond 0.999),
 *      and steps 1-2 again, iter times; none when 6 MAD is under 1e-7 of the mean |e|. */
#include "lowess.h"

#include <math.h>
#include <stdlib.h>

#include "alloc.h"

/* The local fit at xs over x[nleft..nright] (and ties beyond): *ys, or 0 when every weight is 0. */
static int local_fit(const double *x, const double *y, size_t n, double xs, double *ys, size_t nleft, size_t nright,
                     double *w, const double *rw) {
  double range = x[n - 1] - x[0];
  double h = fmax(xs - x[nleft], x[nright] - xs), h9 = 0.999 * h, h1 = 0.001 * h, a = 0;
  size_t j = nleft;
  for (; j < n; j++) {
    w[j] = 0;
    double r = fabs(x[j] - xs);
    if (r <= h9) {
      if (r <= h1) w[j] = 1;
      else {
        double q = r / h, c = 1 - q * q * q;
        w[j] = c * c * c;
      }
      if (rw) w[j] *= rw[j];
      a += w[j];
    } else if (x[j] > xs) break;
  }
  size_t nrt = j - 1;
  if (a <= 0) return 0;
  for (j = nleft; j <= nrt; j++) w[j] /= a;
  if (h > 0) {
    a = 0;
    for (j = nleft; j <= nrt; j++) a += w[j] * x[j];
    double b = xs - a, c = 0;
    for (j = nleft; j <= nrt; j++) c += w[j] * (x[j] - a) * (x[j] - a);
    if (sqrt(c) > 0.001 * range) {
      b /= c;
      for (j = nleft; j <= nrt; j++) w[j] *= b * (x[j] - a) + 1;
    }
  }
  *ys = 0;
  for (j = nleft; j <= nrt; j++) *ys += w[j] * y[j];
  return 1;
}

/* One pass of steps 1-2 over sorted x, with robustness weights rw (NULL on the first). */
static void smooth_pass(const double *x, const double *y, size_t n, size_t ns, double delta, double *ys, double *w,
                        const double *rw) {
  size_t nleft = 0, nright = ns - 1, last = 0, i = 0;
  int fitted_any = 0;
  for (;;) {
    if (nright < n - 1 && x[i] - x[nleft] > x[nright + 1] - x[i]) {   /* the radius shrinks: slide right */
      nleft++;
      nright++;
      continue;
    }
    if (!local_fit(x, y, n, x[i], &ys[i], nleft, nright, w, rw)) ys[i] = y[i];
    if (fitted_any && last + 1 < i) {   /* skipped points: interpolate */
      double denom = x[i] - x[last];
      for (size_t j = last + 1; j < i; j++) {
        double alpha = (x[j] - x[last]) / denom;
        ys[j] = alpha * ys[i] + (1 - alpha) * ys[last];
      }
    }
    fitted_any = 1;
    last = i;
    double cut = x[last] + delta;
    for (i = last + 1; i < n; i++) {
      if (x[i] > cut) break;
      if (x[i] == x[last]) {
        ys[i] = ys[last];
        last = i;
      }
    }
    i = last + 1 > i - 1 ? last + 1 : i - 1;
    if (last >= n - 1) break;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct keyed { double x; size_t i; } keyed;

static int cmp_keyed(const void *a, const void *b) {   /* order(): ties keep their order */
  const keyed *p = a, *q = b;
  return p->x < q->x ? -1 : p->x > q->x ? 1 : (p->i > q->i) - (p->i < q->i);
}

int lmm_lowess(const double *x, const double *y, size_t n, double *xs, double *ys, lmm_error *err) {
  if (n == 0) return LMM_OK;
  keyed *k = lmm_malloc_array(n, sizeof *k);
  double *yo = lmm_malloc_array(n, sizeof *yo), *w = lmm_malloc_array(n, sizeof *w);
  double *rw = lmm_malloc_array(n, sizeof *rw), *res = lmm_malloc_array(n, sizeof *res);
  if (!k || !yo || !w || !rw || !res) {
    lmm_free(k), lmm_free(yo), lmm_free(w), lmm_free(rw), lmm_free(res);
    return lmm_nomem(err);
  }
  for (size_t i = 0; i < n; i++) k[i] = (keyed){x[i], i};
  qsort(k, n, sizeof *k, cmp_keyed);
  for (size_t i = 0; i < n; i++) {
    xs[i] = k[i].x;
    yo[i] = y[k[i].i];
  }
  if (n < 2) {
    ys[0] = yo[0];
    goto done;
  }
  double delta = 0.01 * (xs[n - 1] - xs[0]);
  size_t ns = (size_t)(2.0 / 3.0 * (double)n + 1e-7);
  if (ns > n) ns = n;
  if (ns < 2) ns = 2;
  for (int iter = 1; iter <= 4; iter++) {   /* iter = 3 robustness iterations after the first fit */
    smooth_pass(xs, yo, n, ns, delta, ys, w, iter > 1 ? rw : NULL);
    double sc = 0;
    for (size_t i = 0; i < n; i++) {
      res[i] = yo[i] - ys[i];
      sc += fabs(res[i]);
    }
    sc /= (double)n;
    if (iter == 4) break;
    for (size_t i = 0; i < n; i++) rw[i] = fabs(res[i]);
    qsort(rw, n, sizeof *rw, cmp_double);
    size_t m1 = n / 2;
    double cmad = n % 2 ? 6 * rw[m1] : 3 * (rw[m1] + rw[n - m1 - 1]);
    if (cmad < 1e-7 * sc) break;
    double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
    for (size_t i = 0; i < n; i++) {
      double r = fabs(res[i]), q = r / cmad;
      rw[i] = r <= c1 ? 1 : r <= c9 ? (1 - q * q) * (1 - q * q) : 0;
    }
  }
done:
  lmm_free(k), lmm_free(yo), lmm_free(w), lmm_free(rw), lmm_free(res);
  return LMM_OK;
}
