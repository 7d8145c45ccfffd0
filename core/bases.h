/* bases.h — transforms whose values depend on the fitted data: scale(), poly(), ns(), bs().
 *
 * A basis variable is one call of the formula, such as poly(age, 2), that makes ncols model columns from
 * one number per row.  What it learns from the data (a centre, poly's recurrence coefficients, spline knots)
 * is its coef array, settled once from the fitted data (lmm_numbasis_settle) and then applied to any value, a
 * fitted row's or a new row's (lmm_numbasis_eval), as R's predict() applies makepredictcall's coefficients.
 * The layout of coef, by kind (n: the values it is settled from):
 *
 *   scale(x, center = TRUE, scale = TRUE)  [centre, scale]: the mean (0 with center = FALSE) and the
 *                                          standard deviation (root mean square about the centre, n - 1
 *                                          divisor; 1 with scale = FALSE); the value is (x - centre) / scale
 *   poly(x, k)                             R's coefs: alpha[0..k-1], then norm2[0..k+1] (norm2[0] = 1);
 *                                          column j is the monic three-term recurrence's polynomial j + 1
 *                                          divided by sqrt(norm2[j + 2])
 *   poly(x, k, raw = TRUE)                 none: column j is x^(j + 1)
 *   ns(x, df = k), bs(x, df = k, degree)   the boundary knots [lo, hi] (the range), then the interior knots
 *                                          (quantiles of the values at equal steps, R's type 7); the
 *                                          B-splines of order degree + 1 on them without the first, and for
 *                                          ns projected on the natural (zero second derivative at lo and
 *                                          hi) subspace as splines::ns does; beyond the boundary bs
 *                                          continues its outer polynomial pieces and ns its tangent lines
 *
 * R names the columns label1, label2, ... (poly(x, 2)1) and a one-column scale() label alone.
 */
#ifndef LMM_BASES_H
#define LMM_BASES_H

#include <stddef.h>
#include "expr.h"

enum { LMM_NUMBASIS_NONE = 0, LMM_NUMBASIS_SCALE, LMM_NUMBASIS_POLY, LMM_NUMBASIS_NS, LMM_NUMBASIS_BS };
enum { LMM_NUMBASIS_MAX_COLS = 50 };   /* columns of one basis: poly's degree, a spline's df */

typedef struct lmm_numbasis {   /* a numeric variable's basis (lmm_var_basis is a factor's levels) */
  int kind;           /* LMM_NUMBASIS_NONE: an ordinary variable */
  int ncols;          /* model columns it makes */
  int degree;         /* poly's; bs's (3 unless given); ns's is 3 */
  int raw;            /* poly(raw = TRUE) */
  int center, scale;  /* scale()'s */
} lmm_numbasis;

/* Whether a call of this name is a basis. */
int lmm_numbasis_is_call(const char *name);
/* The basis a call (lmm_numbasis_is_call) asks for, and *value the expression of its first argument.  Errors
 * name the argument and where it is in text; what is "formula" or "random". */
int lmm_numbasis_parse(const lmm_expr *call, const char *what, const char *text, lmm_numbasis *b,
                    const lmm_expr **value, lmm_error *err);

/* coef (lmm_malloc'd, *ncoef numbers; NULL and 0 when the basis learns nothing) from x[0..n-1], the values
 * it learns from.  label names the variable in messages: too few distinct values for poly's degree, no
 * spread for scale or a spline. */
int lmm_numbasis_settle(const lmm_numbasis *b, const char *label, const double *x, size_t n, double **coef,
                     int *ncoef, lmm_error *err);
/* How many numbers coef holds for b (the layout above); 0 when it learns nothing. */
int lmm_numbasis_ncoef(const lmm_numbasis *b);
/* Why coef[0 .. lmm_numbasis_ncoef(b)) cannot be b's (not finite, no scale, a norm or a range not positive,
 * knots out of order), or NULL when it can: what a saved model's coef must pass before it is used. */
const char *lmm_numbasis_invalid(const lmm_numbasis *b, const double *coef);
/* The ncols values of x, into out. */
void lmm_numbasis_eval(const lmm_numbasis *b, const double *coef, double x, double *out);

#endif
