/* hessian.c — nlme's approximate covariance of the variance parameters (see hessian.h). */
#include "hessian.h"
#include "alloc.h"
#include "lapack_steps.h"

#include <lapacke.h>
#include <math.h>
#include <string.h>

/* Central differences of step h: second differences on the diagonal, four-point ones off it. */
static int fd_hessian(lmm_loglik_fn f, void *ctx, const double *x0, int n, double h, double *x, double *H,
                      lmm_error *err) {
  int rc = LMM_OK;
  memcpy(x, x0, sizeof *x * (size_t)n);
#define EVAL(out) do { double v_ = f(ctx, x, err); \
    if (!isfinite(v_)) { rc = err->code ? err->code : LMM_NUMERIC; goto done; } (out) = v_; } while (0)
  double f0, fp, fm;
  EVAL(f0);
  for (int i = 0; i < n; i++) {
    x[i] = x0[i] + h;
    EVAL(fp);
    x[i] = x0[i] - h;
    EVAL(fm);
    x[i] = x0[i];
    H[i + i * n] = (fp + fm - 2 * f0) / (h * h);
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double f4[4];
      for (int c = 0; c < 4; c++) {
        x[i] = x0[i] + (c & 1 ? -h : h);
        x[j] = x0[j] + (c & 2 ? -h : h);
        EVAL(f4[c]);
      }
      x[i] = x0[i];
      x[j] = x0[j];
      H[i + j * n] = H[j + i * n] = (f4[0] - f4[1] - f4[2] + f4[3]) / (4 * h * h);
    }
#undef EVAL
done:
  return rc;
}

/* One Richardson step over steps h and h / 2: (4 H(h/2) - H(h)) / 3, whose truncation error is of order h^4. */
static int richardson_hessian(lmm_loglik_fn f, void *ctx, const double *x0, int n, double *H, lmm_error *err) {
  const double h = 1e-3;
  double *x = lmm_malloc_array((size_t)n * (size_t)(n + 1) + 1, sizeof *x), *Hh = x + n;
  if (!x) return lmm_nomem(err);
  int rc = fd_hessian(f, ctx, x0, n, h, x, Hh, err);
  if (!rc) rc = fd_hessian(f, ctx, x0, n, h / 2, x, H, err);
  for (int k = 0; !rc && k < n * n; k++) H[k] = (4 * H[k] - Hh[k]) / 3;
  lmm_free(x);
  return rc;
}

int lmm_apvar(lmm_loglik_fn f, void *ctx, const double *x0, int n, lmm_stop *stop, const char *instead, double *V,
              lmm_error *err) {
  int rc = richardson_hessian(f, ctx, x0, n, V, err);
  if (rc == LMM_NUMERIC) {
    *err = (lmm_error){0};
    return lmm_fail(err, LMM_ERR, "intervals: the log-likelihood cannot be evaluated next to the estimates; %s", instead);
  }
  if (rc) return rc;
  for (int i = 0; i < n * n; i++) V[i] = -V[i];
  int frc = LMM_NUMERIC;
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, V, n) || (frc = lmm_steps_potri('L', n, V, n, stop))) {
    if (frc == LMM_INTERRUPTED) return lmm_fail(err, frc, "interrupted");
    if (frc == LMM_NOMEM) return lmm_nomem(err);
    return lmm_fail(err, LMM_ERR, "intervals: the approximate covariance of the variance parameters is not positive "
                    "definite (as nlme says: 'Non-positive definite approximate variance-covariance'); %s", instead);
  }
  for (int j = 0; j < n; j++)   /* both triangles */
    for (int i = 0; i < j; i++) V[i + (size_t)j * n] = V[j + (size_t)i * n];
  return LMM_OK;
}
