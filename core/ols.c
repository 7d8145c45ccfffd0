/* ols.c — ordinary least squares by QR and refinement in long double; see ols.h. */
#include "ols.h"
#include "alloc.h"
#include "lapack_steps.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A column j is refused as a linear combination of the columns before it when
 * |R[j][j]| of the centred, scaled matrix (columns of norm about 1) is below
 * this.  Exactly collinear columns give |R[j][j]| of a few eps; the hardest
 * certified problem, Filip, has min |R[j][j]| = 4e-8 (condition number 6e9),
 * which R's lm (tolerance 1e-7) refuses but refinement still solves. */
#define OLS_RANK_TOL 1e-11
#define OLS_MAX_ITER 40
/* Refinement that has not brought its correction below this (relative to the
 * coefficients) has not converged: cond(X) * eps is too close to 1. */
#define OLS_CONVERGED 1e-8
/* Rows of a refinement step taken at a time: their long double sums stay in the cache */
#define REFINE_ROWS 4096

typedef struct ols_work {
  size_t n;
  int p;
  int icol;         /* the intercept column, or -1 */
  int bad_column;   /* the column a rank or conditioning error names, or -1 */
  double *A;        /* n x p: centred, scaled X, overwritten by its QR */
  double *tau;      /* p */
  double *ell;      /* p: centring, x_j = xc_j + ell_j * x_icol */
  double *scale;    /* p: xc_j = A_j * scale_j (powers of two) */
  double *work;     /* lwork >= 3p for dtrcon */
  int lwork;
  lapack_int *iwork; /* p */
  lmm_stop *stop;    /* asked once a column (or a few hundred rows) */
} ols_work;

static void work_free(ols_work *w) {
  lmm_free(w->A);
  lmm_free(w->tau);
  lmm_free(w->ell);
  lmm_free(w->scale);
  lmm_free(w->work);
  lmm_free(w->iwork);
}

static int stop_asked(ols_work *w, lmm_error *err) {
  return lmm_stop_asked(w->stop) ? lmm_fail(err, LMM_INTERRUPTED, "interrupted") : LMM_OK;
}

static int rank_fail(ols_work *w, lmm_error *err, int j, int p) {
  w->bad_column = j;
  return lmm_fail(err, LMM_ERR,
                  "column %d of the design matrix (of %d) is a linear combination of the columns before it (rank deficient); drop it",
                  j + 1, p);
}

/* Check the input, centre, scale and factor.  On success w holds the QR. */
static int ols_prepare(const double *X, const double *y, size_t n, int p, ols_work *w, lmm_stop *stop, lmm_error *err) {
  memset(w, 0, sizeof *w);
  w->stop = stop;
  w->n = n;
  w->p = p;
  w->icol = -1;
  w->bad_column = -1;
  if (p < 0) return lmm_fail(err, LMM_ERR, "negative number of columns (%d)", p);
  if ((size_t)p > n)
    return lmm_fail(err, LMM_ERR, "%d coefficients but only %zu observations; need at least as many observations as coefficients", p, n);
  if (n > (size_t)INT32_MAX) return lmm_fail(err, LMM_ERR, "too many observations (%zu) for LAPACK", n);
  for (int j = 0; j < p; j++) {
    if (stop_asked(w, err)) return LMM_INTERRUPTED;
    for (size_t i = 0; i < n; i++)
      if (!isfinite(X[(size_t)j * n + i]))
        return lmm_fail(err, LMM_ERR, "column %d of the design matrix is not finite in row %zu", j + 1, i + 1);
  }
  if (y)
    for (size_t i = 0; i < n; i++)
      if (!isfinite(y[i])) return lmm_fail(err, LMM_ERR, "the response is not finite in row %zu", i + 1);
  if (p == 0) return LMM_OK;

  size_t np = lmm_size_mul(n, (size_t)p);
  w->A = lmm_malloc_array(np, sizeof *w->A);
  w->tau = lmm_malloc(sizeof *w->tau * (size_t)p);
  w->ell = lmm_calloc((size_t)p, sizeof *w->ell);
  w->scale = lmm_malloc(sizeof *w->scale * (size_t)p);
  if (!w->A || !w->tau || !w->ell || !w->scale) return lmm_nomem(err);
  for (int j = 0; j < p; j++) {   /* a column at a time, asking the stop */
    if (stop_asked(w, err)) return LMM_INTERRUPTED;
    memcpy(w->A + (size_t)j * n, X + (size_t)j * n, sizeof *w->A * n);
  }

  /* the intercept: the first column that is one nonzero constant */
  for (int j = 0; j < p && w->icol < 0; j++) {
    if (stop_asked(w, err)) return LMM_INTERRUPTED;
    const double *x = X + (size_t)j * n;
    size_t i = 1;
    while (i < n && x[i] == x[0]) i++;
    if (i == n && x[0] != 0) w->icol = j;
  }
  if (w->icol >= 0) {
    double c = X[(size_t)w->icol * n];
    /* only the columns after it: then every leading set of columns spans what
     * it spanned before, and "a combination of the columns before it" keeps
     * its meaning */
    for (int j = w->icol + 1; j < p; j++) {
      if (stop_asked(w, err)) return LMM_INTERRUPTED;
      const double *x = X + (size_t)j * n;
      long double s = 0;
      for (size_t i = 0; i < n; i++) s += x[i];
      double m = (double)(s / (long double)n);
      double *a = w->A + (size_t)j * n;
      for (size_t i = 0; i < n; i++) a[i] = x[i] - m;
      w->ell[j] = m / c;
    }
  }
  for (int j = 0; j < p; j++) {
    if (stop_asked(w, err)) return LMM_INTERRUPTED;
    double *a = w->A + (size_t)j * n;
    long double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (long double)a[i] * a[i];
    if (ss == 0) {
      const double *x = X + (size_t)j * n;
      size_t i = 0;
      while (i < n && x[i] == 0) i++;
      w->bad_column = j;
      if (i == n)
        return lmm_fail(err, LMM_ERR, "column %d of the design matrix (of %d) is all zero; drop it", j + 1, p);
      return rank_fail(w, err, j, p);  /* constant, and there is an intercept */
    }
    int e;
    frexpl(sqrtl(ss), &e);
    w->scale[j] = ldexp(1.0, e);
    for (size_t i = 0; i < n; i++) a[i] = ldexp(a[i], -e);
  }

  double q;
  if (LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (int)n, p, w->A, (int)n, w->tau, &q, -1))
    return lmm_fail(err, LMM_NUMERIC, "LAPACK dgeqrf workspace query failed");
  int lw = (int)q;
  if (LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'T', (int)n, 1, p, w->A, (int)n, w->tau, w->A, (int)n, &q, -1))
    return lmm_fail(err, LMM_NUMERIC, "LAPACK dormqr workspace query failed");
  if ((int)q > lw) lw = (int)q;
  if (LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (int)n, p, p, w->A, (int)n, w->tau, &q, -1))
    return lmm_fail(err, LMM_NUMERIC, "LAPACK dorgqr workspace query failed");
  if ((int)q > lw) lw = (int)q;
  if (lw < 3 * p) lw = 3 * p;
  w->lwork = lw;
  w->work = lmm_malloc(sizeof *w->work * (size_t)lw);
  w->iwork = lmm_malloc(sizeof *w->iwork * (size_t)p);
  if (!w->work || !w->iwork) return lmm_nomem(err);
  int rc = lmm_steps_geqrf((int)n, p, w->A, (int)n, w->tau, stop);
  if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
  if (rc) return rc == LMM_NOMEM ? lmm_nomem(err) : lmm_fail(err, LMM_NUMERIC, "LAPACK dgeqrf failed");
  for (int j = 0; j < p; j++)
    if (!(fabs(w->A[(size_t)j * n + (size_t)j]) > OLS_RANK_TOL)) return rank_fail(w, err, j, p);
  return LMM_OK;
}

/* Q' v (trans 'T') or Q v (trans 'N') for one n-vector, in place. */
static int apply_q(ols_work *w, char trans, double *v) {
  return lmm_steps_ormqr_vec(trans, (int)w->n, w->p, w->A, (int)w->n, w->tau, v, w->work, w->lwork, w->stop);
}

/* R' v = b (trans 'T') or R v = b (trans 'N'), in place; R is p x p, nonsingular. */
static int solve_r(ols_work *w, char trans, double *v) {
  return LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'U', trans, 'N', w->p, 1, w->A, (int)w->n, v, w->p);
}

/* From coordinates of the centred, scaled problem back to those of X:
 * b = L^-1 D^-1 g with D = diag(scale), L = I + e_icol ell'. */
static void to_beta(const ols_work *w, const double *g, double *b) {
  long double s = 0;
  for (int j = 0; j < w->p; j++) {
    b[j] = g[j] / w->scale[j];
    if (j != w->icol) s += (long double)w->ell[j] * b[j];
  }
  if (w->icol >= 0) b[w->icol] = (double)((long double)b[w->icol] - s);
}

static int refine_fail(int rc, lmm_error *err) {
  if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
  return lmm_fail(err, LMM_NUMERIC, "LAPACK failed in refinement");
}

/* Refine b and r of the augmented system [I X; X' 0][r; b] = [y; 0]. */
static int ols_refine(const double *X, const double *y, ols_work *w, double *beta, lmm_error *err) {
  size_t n = w->n;
  int p = w->p;
  double *r = lmm_calloc(n, sizeof *r), *f = lmm_malloc(sizeof *f * n);
  double *h = lmm_malloc(sizeof *h * (size_t)p), *db = lmm_malloc(sizeof *db * (size_t)p);
  long double *acc = lmm_malloc(sizeof *acc * REFINE_ROWS), *g = lmm_malloc(sizeof *g * (size_t)p);
  int rc = LMM_OK;
  if (!r || !f || !h || !db || !acc || !g) { rc = lmm_nomem(err); goto done; }
  for (int j = 0; j < p; j++) beta[j] = 0;
  double prev = INFINITY, last = INFINITY;
  for (int it = 0; it < OLS_MAX_ITER; it++) {
    /* f = y - r - X b and g = -X'r, both in long double from the original X, a block of rows at a time (each
       sum in the rows' order) */
    for (int j = 0; j < p; j++) g[j] = 0;
    for (size_t i0 = 0; i0 < n; i0 += REFINE_ROWS) {
      if ((rc = stop_asked(w, err))) goto done;
      size_t m = n - i0 < REFINE_ROWS ? n - i0 : REFINE_ROWS;
      const double *ri = r + i0;
      for (size_t i = 0; i < m; i++) acc[i] = (long double)y[i0 + i] - ri[i];
      for (int j = 0; j < p; j++) {
        const double *x = X + (size_t)j * n + i0;
        long double bj = beta[j], s = g[j];
        if (bj != 0)
          for (size_t i = 0; i < m; i++) acc[i] -= x[i] * bj;
        for (size_t i = 0; i < m; i++) s -= (long double)x[i] * ri[i];
        g[j] = s;
      }
      for (size_t i = 0; i < m; i++) f[i0 + i] = (double)acc[i];
    }
    /* into the centred, scaled coordinates: g~ = D^-1 L^-T g */
    for (int j = 0; j < p; j++) {
      long double gj = g[j];
      if (w->icol >= 0 && j != w->icol) gj -= (long double)w->ell[j] * g[w->icol];
      h[j] = (double)(gj / w->scale[j]);
    }
    /* h = R^-T g~; d = Q'f; dg = R^-1 (d1 - h); dr = Q [h; d2] */
    if (solve_r(w, 'T', h) || (rc = apply_q(w, 'T', f))) { rc = refine_fail(rc, err); goto done; }
    for (int j = 0; j < p; j++) {
      db[j] = f[j] - h[j];
      f[j] = h[j];
    }
    if (solve_r(w, 'N', db) || (rc = apply_q(w, 'N', f))) { rc = refine_fail(rc, err); goto done; }
    /* the size of the step, in the scaled coordinates where the entries are comparable */
    double step = 0, size = 0;
    for (int j = 0; j < p; j++) {
      if (fabs(db[j]) > step) step = fabs(db[j]);
    }
    if (step > prev) break;  /* growing: rounding noise (or divergence), keep what we have */
    to_beta(w, db, db);
    for (int j = 0; j < p; j++) beta[j] += db[j];
    for (size_t i = 0; i < n; i++) r[i] += f[i];
    long double lb = 0;  /* the coefficients in the scaled coordinates: D L b */
    for (int j = 0; j < p; j++)
      if (j != w->icol) lb += (long double)w->ell[j] * beta[j];
    for (int j = 0; j < p; j++) {
      double s = fabs((j == w->icol ? (double)(beta[j] + lb) : beta[j]) * w->scale[j]);
      if (s > size) size = s;
    }
    last = size > 0 ? step / size : 0;
    if (step <= 2 * DBL_EPSILON * size) break;
    if (it >= 2 && step > 0.5 * prev) break;  /* stagnating at rounding level */
    prev = step;
  }
  if (!(last <= OLS_CONVERGED)) {
    /* name the column with the smallest |R[j][j]| */
    int jmin = 0;
    for (int j = 1; j < p; j++)
      if (fabs(w->A[(size_t)j * n + (size_t)j]) < fabs(w->A[(size_t)jmin * n + (size_t)jmin])) jmin = j;
    double rcond = 0;
    LAPACKE_dtrcon_work(LAPACK_COL_MAJOR, '1', 'U', 'N', p, w->A, (int)n, &rcond, w->work, w->iwork);
    w->bad_column = jmin;
    rc = lmm_fail(err, LMM_NUMERIC,
                  "column %d of the design matrix (of %d) is nearly a linear combination of the columns before it "
                  "(condition number about %.1e after scaling); the least-squares fit cannot be computed accurately",
                  jmin + 1, p, rcond > 0 ? 1 / rcond : INFINITY);
  }
done:
  lmm_free(r);
  lmm_free(f);
  lmm_free(h);
  lmm_free(db);
  lmm_free(acc);
  lmm_free(g);
  return rc;
}

int lmm_ols(const double *X, const double *y, size_t n, int p, double *beta, double *se, double *rss, int *bad_column,
            lmm_stop *stop, lmm_error *err) {
  int have_r;
  return lmm_ols_r(X, y, n, p, beta, se, rss, bad_column, NULL, &have_r, stop, err);
}

int lmm_ols_r(const double *X, const double *y, size_t n, int p, double *beta, double *se, double *rss,
              int *bad_column, double *R, int *have_r, lmm_stop *stop, lmm_error *err) {
  ols_work w;
  int rc = ols_prepare(X, y, n, p, &w, stop, err);
  *have_r = 0;
  if (!rc && p > 0) rc = ols_refine(X, y, &w, beta, err);
  if (bad_column) *bad_column = w.bad_column;
  long double ss = 0;
  if (!rc) {
    for (size_t i = 0; i < n && !rc; i++) {
      if (i % 16 == 0) rc = stop_asked(&w, err);   /* a row is p strided reads */
      long double e = y[i];
      for (int j = 0; j < p; j++) e -= (long double)X[(size_t)j * n + i] * beta[j];
      ss += e * e;
    }
    if (rss && !rc) *rss = (double)ss;
  }
  if (!rc && se && p > 0) {
    double *v = lmm_malloc(sizeof *v * (size_t)p);
    if (!v) rc = lmm_nomem(err);
    double sigma = (size_t)p < n ? (double)sqrtl(ss / (long double)(n - (size_t)p)) : NAN;
    /* Var(b_j) = sigma^2 ||R^-T D^-1 L^-T e_j||^2 */
    for (int j = 0; j < p && !rc && !(rc = stop_asked(&w, err)); j++) {
      memset(v, 0, sizeof *v * (size_t)p);
      if (j == w.icol)
        for (int k = 0; k < p; k++) v[k] = (k == j ? 1.0 : -w.ell[k]) / w.scale[k];
      else
        v[j] = 1.0 / w.scale[j];
      if (solve_r(&w, 'T', v)) { rc = lmm_fail(err, LMM_NUMERIC, "LAPACK dtrtrs failed"); break; }
      long double s = 0;
      for (int k = 0; k < p; k++) s += (long double)v[k] * v[k];
      se[j] = sigma * (double)sqrtl(s);
    }
    lmm_free(v);
  }
  if (!rc && R && p > 0 && w.icol < 0) {   /* X = A D: R of X is A's R D, each column scaled exactly */
    for (int j = 0; j < p; j++)
      for (int i = 0; i < p; i++) R[i + (size_t)j * (size_t)p] = i <= j ? w.A[(size_t)j * n + (size_t)i] * w.scale[j] : 0;
    *have_r = 1;
  }
  work_free(&w);
  return rc;
}

int lmm_ols_hat(const double *X, size_t n, int p, double *h, lmm_stop *stop, lmm_error *err) {
  ols_work w;
  int rc = ols_prepare(X, NULL, n, p, &w, stop, err);
  if (!rc && p > 0 && (rc = lmm_steps_orgqr((int)n, p, w.A, (int)n, w.tau, stop)))
    rc = rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted")
         : rc == LMM_NOMEM ? lmm_nomem(err) : lmm_fail(err, LMM_NUMERIC, "LAPACK dorgqr failed");
  for (size_t i = 0; i < n && !rc; i++) {
    if (i % 16 == 0 && (rc = stop_asked(&w, err))) break;
    long double s = 0;
    for (int j = 0; j < p; j++) {
      double q = w.A[(size_t)j * n + i];
      s += (long double)q * q;
    }
    h[i] = (double)s;
  }
  work_free(&w);
  return rc;
}
