/* pretty.c — R_pretty (R 4.2's src/appl/pretty.c) and its callers pretty.default, GEPretty and hist.
 *
 * R_pretty picks a unit from {1, 2, 5, 10} x 10^k near the cell (lo, hi)'s width over n, favouring the
 * larger unit by the biases h (for 2 and 10) and h5 (for 5), then the integers ns, nu with ns unit <= lo
 * and nu unit >= hi, widened to min_n cells.  The steps, constants and rounding epsilons are R's, so the
 * values agree with R's to the last bit where the arithmetic is the same. */
#include "pretty.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define ROUNDING_EPS 1e-10
#define MAX_F 1.25   /* R's: the largest cell is DBL_MAX / MAX_F */

typedef struct pretty_bias { double h, h5, f_min, shrink; int eps_correction; } pretty_bias;

/* The unit; *lo and *hi become ns and nu (the ticks are ns..nu times unit), *ndiv their number of cells. */
static double r_pretty(double *lo, double *hi, int *ndiv, int min_n, const pretty_bias *b) {
  double lo_ = *lo, up_ = *hi, dx = up_ - lo_, cell;
  int i_small;
  if (dx == 0 && up_ == 0) {
    cell = 1;
    i_small = 1;
  } else {
    cell = fmax(fabs(lo_), fabs(up_));
    double U = 1 + ((b->h5 >= 1.5 * b->h + .5) ? 1 / (1 + b->h) : 1.5 / (1 + b->h5));
    U *= (*ndiv > 1 ? *ndiv : 1) * DBL_EPSILON;
    i_small = dx < cell * U * 3;
  }
  if (i_small) {
    if (cell > 10) cell = 9 + cell / 10;
    cell *= b->shrink;
    if (min_n > 1) cell /= min_n;
  } else {
    cell = dx;
    if (*ndiv > 1) cell /= *ndiv;
  }
  double subsmall = b->f_min * DBL_MIN;
  if (subsmall == 0.) subsmall = DBL_MIN;
  if (cell < subsmall) cell = subsmall;
  else if (cell > DBL_MAX / MAX_F) cell = DBL_MAX / MAX_F;

  double base = pow(10.0, floor(log10(cell))), unit = base, ns, nu;
  if ((ns = 2 * base) - cell < b->h * (cell - unit)) {
    unit = ns;
    if ((ns = 5 * base) - cell < b->h5 * (cell - unit)) {
      unit = ns;
      if ((ns = 10 * base) - cell < b->h * (cell - unit)) unit = ns;
    }
  }
  ns = floor(lo_ / unit + ROUNDING_EPS);
  nu = ceil(up_ / unit - ROUNDING_EPS);
  if (b->eps_correction && (b->eps_correction > 1 || !i_small)) {
    *lo = lo_ != 0. ? lo_ * (1 - DBL_EPSILON) : -DBL_MIN;
    *hi = up_ != 0. ? up_ * (1 + DBL_EPSILON) : DBL_MIN;
  }
  while (ns * unit > *lo + ROUNDING_EPS * unit) ns--;
  while (nu * unit < *hi - ROUNDING_EPS * unit) nu++;
  int k = (int)(0.5 + nu - ns);
  if (k < min_n) {
    k = min_n - k;
    if (ns >= 0.) {
      nu += k / 2;
      ns -= k / 2 + k % 2;
    } else {
      ns -= k / 2;
      nu += k / 2 + k % 2;
    }
    *ndiv = min_n;
  } else *ndiv = k;
  *lo = ns;
  *hi = nu;
  return unit;
}

/* seq.int(from, to, length.out = count) as R computes it: from the nearer end. */
static int seq_length(double from, double to, int count, double *at, int max) {
  for (int i = 0; i < count && i < max; i++) {
    double by = count > 1 ? (to - from) / (double)(count - 1) : 0;
    at[i] = i == 0 ? from : i == count - 1 ? to : i < count / 2 ? from + (double)i * by : to - (double)(count - 1 - i) * by;
  }
  return count;
}

int lmm_pretty(double lo, double hi, int n, int min_n, double *at, int max) {
  if (!isfinite(lo) || !isfinite(hi)) return -1;
  static const pretty_bias pretty_default = {1.5, .5 + 1.5 * 1.5, 0x1p-20, 0.75, 0};
  double ns = lo, nu = hi;
  int ndiv = n;
  double unit = r_pretty(&ns, &nu, &ndiv, min_n, &pretty_default);
  double l = fmin(ns * unit, lo), u = fmax(nu * unit, hi);   /* return_bounds: the range stays covered */
  int count = seq_length(l, u, ndiv + 1, at, max);
  if (ndiv) {   /* pretty.default: what should be 0 but for rounding is 0 */
    double delta = (u - l) / ndiv;
    for (int i = 0; i < count && i < max; i++)
      if (fabs(at[i]) < 1e-14 * delta) at[i] = 0;
  }
  return count;
}

int lmm_axis_ticks(double lo, double hi, double *at, int max) {
  if (!isfinite(lo) || !isfinite(hi)) return -1;
  static const pretty_bias ge_pretty = {.8, 1.7, 1.125, 0.25, 2};
  double ns = lo, nu = hi;
  int ndiv = 5;
  double unit = r_pretty(&ns, &nu, &ndiv, 1, &ge_pretty);
  if (nu >= ns + 1) {
    if (ns * unit < lo - ROUNDING_EPS * unit) ns++;
    if (nu > ns + 1 && nu * unit > hi + ROUNDING_EPS * unit) nu--;
  }
  /* axis() draws ns unit + (i / cells) (nu - ns) unit, a value within range / (100 cells) of 0 as 0
   * (CreateAtVector) */
  int cells = (int)(nu - ns + 0.25), dn = cells > 1 ? cells : 1, count = 0;
  double from = ns * unit, rng = nu * unit - from, small = fabs(rng) / (100. * dn);
  for (int i = 0; i <= cells; i++) {
    double v = from + ((double)i / dn) * rng;
    if (fabs(v) < small) v = 0;
    if (count < max) at[count] = v;
    count++;
  }
  return count;
}

int lmm_hist_breaks(const double *x, size_t n, double *at, int max) {
  double lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  int classes = (int)ceil(log2((double)n) + 1);   /* nclass.Sturges */
  return lmm_pretty(lo, hi, classes, 1, at, max);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void lmm_hist_counts(const double *x, size_t n, const double *at, int nbreaks, double *counts) {
  int nb1 = nbreaks - 1;
  double h[LMM_PRETTY_MAX], fuzzy[LMM_PRETTY_MAX];
  if (nbreaks < 2 || nbreaks > LMM_PRETTY_MAX) return;
  double lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  /* hist.default's diddle: 1e-7 of the median cell (of the range for 3 breaks or fewer, else the least cell) */
  for (int i = 0; i < nb1; i++) h[i] = at[i + 1] - at[i];
  double diddle;
  if (nbreaks > 5) {
    double s[LMM_PRETTY_MAX];
    for (int i = 0; i < nb1; i++) s[i] = h[i];
    qsort(s, (size_t)nb1, sizeof *s, cmp_double);
    diddle = nb1 % 2 ? s[nb1 / 2] : (s[nb1 / 2 - 1] + s[nb1 / 2]) / 2;
  } else if (nbreaks <= 3) diddle = hi - lo;
  else {
    diddle = INFINITY;
    for (int i = 0; i < nb1; i++)
      if (h[i] > 0 && h[i] < diddle) diddle = h[i];
  }
  diddle *= 1e-7;
  for (int i = 0; i < nbreaks; i++) fuzzy[i] = at[i] + (i == 0 ? -diddle : diddle);
  for (int i = 0; i < nb1; i++) counts[i] = 0;
  for (size_t i = 0; i < n; i++) {   /* R's C_BinCount, right = TRUE, include.lowest = TRUE */
    int l = 0, r = nb1;
    if (!(fuzzy[l] <= x[i] && x[i] <= fuzzy[r])) continue;
    while (r - l >= 2) {
      int mid = (r + l) / 2;
      if (x[i] > fuzzy[mid]) l = mid;
      else r = mid;
    }
    counts[l]++;
  }
}
