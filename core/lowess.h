/* lowess.h — R's lowess(x, y): Cleveland's (1979) robust locally weighted line, as R's clowess computes it,
 * with R's defaults f = 2/3 (the share of the points in each local fit), iter = 3 robustness iterations
 * and delta = 0.01 * diff(range(x)) (points closer than delta to the last fitted one are interpolated).
 *
 *   lmm_lowess(x, y, n, xs, ys, err)   xs: x sorted (stably, as order() sorts); ys: the smooth at xs */
#ifndef LMM_LOWESS_H
#define LMM_LOWESS_H

#include <stddef.h>

#include "lmm_error.h"

int lmm_lowess(const double *x, const double *y, size_t n, double *xs, double *ys, lmm_error *err);

#endif
