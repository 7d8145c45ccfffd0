/* pretty.h — R's pretty() and what R's graphics build on it: the ticks an axis shows, a histogram's breaks
 * and counts.  All of them are R_pretty (R's src/appl/pretty.c) with different biases:
 *
 *   lmm_pretty(lo, hi, n, min_n)   pretty.default: about n + 1 round values covering [lo, hi]
 *                                  (high.u.bias 1.5, u5.bias 2.75, shrink.sml 0.75)
 *   lmm_axis_ticks(lo, hi)         the ticks axis() draws on a user range [lo, hi] (GEPretty: n 5, biases
 *                                  0.8 and 1.7, shrink 0.25, only the ticks inside the range)
 *   lmm_hist_breaks / _counts      hist(x)'s default breaks (Sturges: pretty(range(x), ceiling(log2 n + 1),
 *                                  min.n = 1)) and counts (right-closed, the lowest break included, R's fuzz)
 *
 * Each writes at most `max` values into `at` and returns how many it would write (more than max: the
 * caller's array is too small), or -1 when lo or hi is not finite. */
#ifndef LMM_PRETTY_H
#define LMM_PRETTY_H

#include <stddef.h>

/* Enough for any tick set these functions make of a double's range with n <= 64. */
#define LMM_PRETTY_MAX 160

int lmm_pretty(double lo, double hi, int n, int min_n, double *at, int max);
int lmm_axis_ticks(double lo, double hi, double *at, int max);
/* The breaks hist() takes for these values (n finite values, n >= 1). */
int lmm_hist_breaks(const double *x, size_t n, double *at, int max);
/* counts[nbreaks - 1] of x in (at[i], at[i+1]], the first interval closed: R's hist()$counts.  Values
 * outside the breaks are not counted (the breaks cover them when they come from lmm_hist_breaks). */
void lmm_hist_counts(const double *x, size_t n, const double *at, int nbreaks, double *counts);

#endif
