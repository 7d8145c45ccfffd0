/* hessian.h — nlme's approximate covariance of a model's variance parameters (its apVar): the inverse of the
 * negative Hessian of the log-likelihood (sigma not profiled) at the estimates x0, on the parametrization the
 * caller's log-likelihood takes (nlme's: log sd, log((1+r)/(1-r)), a structure's unconstrained parameters, log
 * sigma; confint.h).
 *
 * The Hessian is by central differences on every parameter (second differences on the diagonal, four-point ones
 * off it) of steps 1e-3 and 5e-4, combined by one Richardson step.  nlme's fdHess steps 6e-6 relative, where
 * rounding in the log-likelihood moves its Hessian by 0.1 % to 1 % (its relStep 1e-4 gives another answer).  At
 * these steps rounding stays below 1e-6 relative, and the extrapolation removes the h^2 truncation error, which
 * at 1e-3 alone moves a bound of a correlation near -1 by 0.6 % (Dialyzer's, -0.95). */
#ifndef LMM_HESSIAN_H
#define LMM_HESSIAN_H

#include "lmm_error.h"
#include "stop.h"

/* The log-likelihood at x; NAN where it cannot be evaluated there (no covariance, not positive definite), with
 * err set only for what ends the computation (interrupted, out of memory). */
typedef double (*lmm_loglik_fn)(void *ctx, const double *x, lmm_error *err);

/* V (n x n, column-major) = (-H)^-1 at x0.  LMM_ERR where the log-likelihood cannot be evaluated next to x0 or
 * -H is not positive definite (nlme's "Non-positive definite approximate variance-covariance"), the message
 * ending with instead ("use method 'wald'"); LMM_INTERRUPTED, LMM_NOMEM. */
int lmm_apvar(lmm_loglik_fn f, void *ctx, const double *x0, int n, lmm_stop *stop, const char *instead, double *V,
              lmm_error *err);

#endif
