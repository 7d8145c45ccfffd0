/* ols.h — ordinary least squares accurate to the NIST StRD certified values.
 *
 * X is column-major n x p; an intercept, if wanted, is a column of ones the
 * caller put there (any column whose entries are all the same nonzero number
 * is treated as the intercept).  X'X is never formed.  The method:
 *
 *   1. If there is an intercept column, the columns after it are centred
 *      (a reparametrization X = Xc L, undone exactly afterwards; the columns
 *      before it are left alone so that every leading set of columns spans
 *      what it spanned before, and a rank-deficiency error names the same
 *      column it would without centring).
 *   2. Every column is scaled by a power of two to norm in [0.5, 1), so the
 *      scaling itself rounds nothing.
 *   3. Householder QR (LAPACK dgeqrf) of the centred, scaled matrix.
 *   4. Iterative refinement of the augmented system [I X; X' 0][r; b] = [y; 0]
 *      (Björck 1967), with both residuals y - r - X b and X'r computed from the
 *      ORIGINAL X in long double and the corrections solved with the QR above,
 *      until the correction to b is at rounding level.  This removes the
 *      cond(X)^2 * |r| error term of plain QR and the rounding of steps 1-3.
 *   5. se_j = sigma * sqrt(diag((X'X)^-1)) from R (||R^-T e_j|| mapped back
 *      through steps 1-2), sigma^2 = rss / (n - p), rss = ||y - X b||^2
 *      accumulated in long double.
 *
 * On the NIST StRD linear regression data sets (tests/nist/) every estimate,
 * standard error and the residual standard deviation agree with the certified
 * values to at least 7 significant digits, Filip and Wampler4/5 included.
 */
#ifndef LMM_OLS_H
#define LMM_OLS_H

#include <stddef.h>

#include "lmm_error.h"
#include "stop.h"

/* Fit y ~ X.  beta (p) is required; se (p) and rss (1) may be NULL.  On an
 * error the outputs are unspecified.
 * n == p is allowed: the fit is exact, rss = 0 and se = NaN (as in R, where
 * there are no residual degrees of freedom).  p == 0 gives rss = sum(y^2).
 * Errors (LMM_ERR): p > n, a non-finite value in X or y, a column that is all
 * zero or a linear combination of the columns before it (|R[j][j]| < 1e-11
 * after centring and scaling; R's lm uses 1e-7 and so refuses Filip) — the
 * message names it as "column j" counting from 1, and *bad_column (may be
 * NULL) is its 0-based index, so the caller can put the column's name into
 * its own message; -1 for every other outcome.  LMM_NUMERIC when the design
 * is so ill-conditioned (condition number beyond about 1e11 after scaling)
 * that refinement does not converge; that message and *bad_column also name
 * a column.
 * LMM_NOMEM when an allocation fails.  stop (may be NULL) is asked between
 * steps of a few milliseconds; LMM_INTERRUPTED when it says stop. */
int lmm_ols(const double *X, const double *y, size_t n, int p, double *beta, double *se, double *rss, int *bad_column,
            lmm_stop *stop, lmm_error *err);
/* lmm_ols, and where X has no constant column (nothing centred) X's own R factor (p x p, upper, column-major)
 * into R (p x p, the caller's), *have_r 1: the QR's R times the columns' scales, powers of two, so the digits
 * of a QR of X itself.  *have_r 0 where X has a constant column. */
int lmm_ols_r(const double *X, const double *y, size_t n, int p, double *beta, double *se, double *rss,
              int *bad_column, double *R, int *have_r, lmm_stop *stop, lmm_error *err);

/* The diagonal of the hat matrix H = X (X'X)^-1 X' (R's hatvalues()), as the
 * squared row norms of Q from the same QR; h has n entries.  The same checks
 * and errors as lmm_ols. */
int lmm_ols_hat(const double *X, size_t n, int p, double *h, lmm_stop *stop, lmm_error *err);

#endif
