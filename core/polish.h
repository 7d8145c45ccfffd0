/* polish.h — Newton steps from where a derivative-free optimizer stops.
 *
 * BOBYQA stops where the criterion's changes reach its rounding (about 1e-13 relative): on a smooth
 * optimum of curvature H that leaves x about sqrt(1e-13 |f| / H) off, 1e-7 to 3e-6 relative on the
 * reference fits.  Derivatives see further than values: a central difference of step h has rounding
 * error 1e-13 |f| / h and truncation h^2 f''' / 6, both near 1e-8 at h = 1e-4 of x's scale, and one
 * Newton step on that gradient, with the Hessian from the same points, takes x to within them.
 * The step is taken only inside the bounds, with a positive definite Hessian, no longer than 1e-3 of
 * x's scale (farther than that the quadratic model is not what BOBYQA left) and where it does not
 * raise f beyond its rounding.  Cost: 2n + n(n-1)/2 + 1 evaluations. */
#ifndef LMM_POLISH_H
#define LMM_POLISH_H

/* The function at x (n entries): DBL_MAX where it cannot be evaluated, or to stop. */
typedef double lmm_polish_fn(void *ctx, const double *x);

/* Up to LMM_POLISH_MAXN parameters; beyond that the Hessian's n^2/2 evaluations cost more than the step
 * gains, and x is left as it is. */
enum { LMM_POLISH_MAXN = 10 };

/* One step from x, where f is *fx, no entry below lower[] (NULL: unbounded).  x and *fx are replaced
 * where the step is taken; returns 1 then, else 0 (x and *fx as they were).  f's last evaluation is
 * at the x returned only when the step is taken. */
int lmm_polish(int n, double *x, double *fx, const double *lower, lmm_polish_fn *f, void *ctx);

/* Newton steps from x (as lmm_polish) where the optimizer stopped short of that reach: a step longer than it is
 * taken too, shortened to 1e-2 of x's scale where longer than that, while it lowers f, and the next made where it
 * lands; up to `most` steps, until one lies within the reach (within a fraction of it where the Hessian is
 * ill-conditioned: polish.c).  Returns 1 then (x within about 1e-7 of the optimum, as after lmm_polish), else 0
 * with x and *fx the lowest point reached (x as it was where no step was taken).  Cost: that of lmm_polish for
 * each step. */
int lmm_polish_to(int n, double *x, double *fx, const double *lower, int most, lmm_polish_fn *f, void *ctx);

#endif
