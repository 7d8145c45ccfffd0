/* satterthwaite.c — see satterthwaite.h.
 *
 * Everything is computed in the blocks' units, where theta~ is T~ for the
 * unit-scale columns and sigma~ = sigma 2^-yexp, and then carried to lmerTest's
 * parameters (theta and sigma in the data's units) by their constant scales:
 * a linear change of parameters multiplies H's and g's entries by those
 * scales, and lmerTest's eigenvalue threshold is then applied in its own units.
 *
 * The deviance at (theta, sigma), apart from a constant, is
 *   D = c(theta) + P(theta) / sigma^2 + n' log sigma^2,
 * c = log|L_Z|^2 (+ 2 log|R_X| under REML), P the penalized residual sum of
 * squares, n' = n (ML) or n - p (REML); so with F = c + P / sigma0^2
 *   H_tt = F'',  H_ts = -2 P' / sigma0^3,  H_ss = 6 P / sigma0^4 - 2 n' / sigma0^2,
 * and only F, P and (R_X R_X')^-1 need the factor at neighbouring thetas.
 */
#include "satterthwaite.h"
#include "alloc.h"
#include "factor.h"
#include "lapack_steps.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* lmerTest's threshold on the Hessian's eigenvalues */
#define EIGEN_TOL 1e-8

typedef struct point {
  double c, P;     /* log|L_Z|^2 (+ 2 log|R_X|), the penalized RSS */
} point;

typedef struct work {
  lmm_system *sys;
  int reml;
  lmm_stop *stop;
  double **T;      /* by fit position */
  double *theta;   /* theta~ being evaluated */
} work;

/* c and P of the system as factored, and sigma2 (R_X R_X')^-1 into M (p x p, both triangles) unless M is NULL. */
static int read_factor(work *w, point *pt, double *M, double sigma2) {
  const lmm_system *s = w->sys;
  const lmm_block *F = lmm_sys_L(s, s->K, s->K);
  int p = s->p, rc;
  size_t ld = (size_t)F->ld;
  double r = F->v[(size_t)p * ld + (size_t)p], ldx = 0;
  for (int a = 0; a < p; a++) ldx += log(F->v[(size_t)a * ld + (size_t)a]);
  pt->P = r * r;
  pt->c = lmm_system_logdet_z(s) + (w->reml ? 2 * ldx : 0);
  if (!M) return LMM_OK;
  for (int j = 0; j < p; j++)
    for (int i = 0; i < p; i++) M[i + (size_t)j * p] = i >= j ? F->v[i + (size_t)j * ld] : 0;
  if ((rc = lmm_steps_potri('L', p, M, p, w->stop))) return rc;
  for (int j = 0; j < p; j++)
    for (int i = j; i < p; i++) M[j + (size_t)i * p] = M[i + (size_t)j * p] *= sigma2;
  return LMM_OK;
}

/* The factor at theta~ = w->theta, read as read_factor. */
static int evaluate(work *w, point *pt, double *M, double sigma2) {
  lmm_theta_to_T(w->sys->theta, w->theta, w->T);
  int rc = lmm_system_factor(w->sys, w->T, w->stop);
  return rc ? rc : read_factor(w, pt, M, sigma2);
}

/* theta~ of the fit: T~ = 2^zexp zscale T, row by row (theta.h). */
static void blocks_theta(const lmm_theta_map *map, const double *theta, double *theta_t) {
  for (int m = 0; m < map->n; m++)
    theta_t[m] = m < map->ncov ? theta[m] * ldexp(map->e[m].zscale, map->e[m].zexp) : theta[m];
}

/* J~ (p x p, the blocks' units) to the data's: Rinv J~ Rinv' (blocks.h) times 2^(2 yexp - xexp_a - xexp_b). */
static int to_data(const lmm_system *s, double *Jt, double *J, double *beta, lmm_stop *stop) {
  int p = s->p, rc = lmm_system_unscale(s, beta, Jt, beta, J, stop);
  for (int b = 0; b < p && !rc; b++)
    for (int a = 0; a < p; a++)
      J[a + (size_t)b * p] = ldexp(J[a + (size_t)b * p], 2 * s->units.yexp - s->units.xexp[a] - s->units.xexp[b]);
  return rc;
}

/* A = 2 H^+ over H's eigenvalues above EIGEN_TOL (H k x k, destroyed). */
static int half_pinv(int k, double *H, double *A, double *ev) {
  if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'L', k, H, k, ev)) return LMM_NUMERIC;
  memset(A, 0, sizeof *A * (size_t)(k * k));
  for (int e = 0; e < k; e++) {
    if (!(ev[e] > EIGEN_TOL)) continue;
    for (int b = 0; b < k; b++)
      for (int a = 0; a < k; a++) A[a + b * k] += 2 * H[a + e * k] * H[b + e * k] / ev[e];
  }
  return LMM_OK;
}

/* The step in theta~_m: a thousandth of it, and no less than 1e-4 (theta~ is relative to sigma for unit-scale columns). */
static double step_of(double theta_t) {
  double h = 1e-3 * fabs(theta_t);
  return h > 1e-4 ? h : 1e-4;
}

/* H (k x k) and J~ (k - 1 matrices p x p) by differences around theta0, where the system is factored;
 * h and Fii scratch of ntheta. */
static int differences(work *w, const double *theta0, const lmm_fit *f, double *H, double *Jt, double *Mm, double *h,
                       double *Fii) {
  lmm_system *s = w->sys;
  int nth = f->ntheta, k = nth + 1, p = s->p, rc;
  size_t pp = (size_t)p * (size_t)p;
  double n1 = (double)s->n - (f->reml ? p : 0);
  point c0, up, dn;
  memcpy(w->theta, theta0, sizeof *theta0 * (size_t)nth);
  read_factor(w, &c0, NULL, 0);   /* the fit left the factor at theta0 */
  double s2 = c0.P / n1;
  for (int i = 0; i < nth; i++) {
    h[i] = step_of(theta0[i]);
    w->theta[i] = theta0[i] + h[i];
    if ((rc = evaluate(w, &up, Jt + (size_t)i * pp, s2))) return rc;
    w->theta[i] = theta0[i] - h[i];
    if ((rc = evaluate(w, &dn, Mm, s2))) return rc;
    w->theta[i] = theta0[i];
    for (size_t e = 0; e < pp; e++) Jt[(size_t)i * pp + e] = (Jt[(size_t)i * pp + e] - Mm[e]) / (2 * h[i]);
    double F0 = c0.c + c0.P / s2;
    Fii[i] = (up.c + up.P / s2) - 2 * F0 + (dn.c + dn.P / s2);
    H[i + i * k] = Fii[i] / (h[i] * h[i]);
    H[i + nth * k] = H[nth + i * k] = -2 * (up.P - dn.P) / (2 * h[i]) / (s2 * sqrt(s2));
  }
  for (int i = 0; i < nth; i++)
    for (int j = i + 1; j < nth; j++) {
      w->theta[i] = theta0[i] + h[i];
      w->theta[j] = theta0[j] + h[j];
      if ((rc = evaluate(w, &up, NULL, 0))) return rc;
      w->theta[i] = theta0[i] - h[i];
      w->theta[j] = theta0[j] - h[j];
      if ((rc = evaluate(w, &dn, NULL, 0))) return rc;
      w->theta[i] = theta0[i];
      w->theta[j] = theta0[j];
      /* F(x + u) - 2 F(x) + F(x - u) = u' H u + O(|u|^4), u = h_i e_i + h_j e_j */
      double sum = (up.c + up.P / s2) - 2 * (c0.c + c0.P / s2) + (dn.c + dn.P / s2);
      H[i + j * k] = H[j + i * k] = (sum - Fii[i] - Fii[j]) / (2 * h[i] * h[j]);
    }
  H[nth + nth * k] = 6 * c0.P / (s2 * s2) - 2 * n1 / s2;
  return LMM_OK;
}

int lmm_satterthwaite_new(lmm_system *sys, const lmm_fit *f, lmm_stop *stop, lmm_satterthwaite **out, lmm_error *err) {
  *out = NULL;
  const lmm_theta_map *map = sys->theta;
  int nth = f->ntheta, k = nth + 1, p = f->p, rc = LMM_OK;
  size_t pp = (size_t)p * (size_t)p;
  lmm_satterthwaite *s = lmm_calloc(1, sizeof *s);
  work w = {sys, f->reml, stop, NULL, NULL};
  /* theta0, d, h, Fii: ntheta each; eigenvalues: k */
  double *theta0 = lmm_malloc_array((size_t)(5 * nth + 1), sizeof *theta0), *d = theta0 ? theta0 + nth : NULL;
  double *H = lmm_malloc_array((size_t)(k * k), sizeof *H);
  double *Jt = lmm_malloc_array(lmm_size_mul((size_t)k, pp), sizeof *Jt);
  double *Mm = lmm_malloc_array(pp ? pp : 1, sizeof *Mm), *beta = lmm_malloc_array((size_t)(p ? p : 1), sizeof *beta);
  w.theta = lmm_malloc_array((size_t)(nth ? nth : 1), sizeof *w.theta);
  w.T = lmm_calloc((size_t)(sys->K ? sys->K : 1), sizeof *w.T);
  for (int t = 0; w.T && t < sys->K; t++)
    if (!(w.T[t] = lmm_malloc_array((size_t)(sys->q[t] * sys->q[t]), sizeof **w.T))) rc = LMM_NOMEM;
  if (s) {
    s->p = p;
    s->k = k;
    s->V = f->vcov;
    s->A = lmm_malloc_array((size_t)(k * k), sizeof *s->A);
    s->J = lmm_malloc_array(lmm_size_mul((size_t)k, pp), sizeof *s->J);
    s->g = lmm_malloc_array((size_t)k, sizeof *s->g);
  }
  if (rc || !s || !theta0 || !H || !Jt || !Mm || !beta || !w.theta || !w.T || !s->A || !s->J || !s->g) {
    rc = lmm_nomem_or_stopped(stop, err);
    goto done;
  }
  blocks_theta(map, f->theta, theta0);
  memset(H, 0, sizeof *H * (size_t)(k * k));
  memset(beta, 0, sizeof *beta * (size_t)(p ? p : 1));
  rc = differences(&w, theta0, f, H, Jt, Mm, d + nth, d + 2 * nth);
  if (rc != LMM_INTERRUPTED && rc != LMM_NOMEM) {   /* the factor back at the fit's theta */
    memcpy(w.theta, theta0, sizeof *theta0 * (size_t)nth);
    point c0;
    int back = evaluate(&w, &c0, NULL, 0);
    if (back == LMM_INTERRUPTED || back == LMM_NOMEM) rc = back;   /* asked to stop there: said below */
    else if (back) {
      rc = lmm_fail(err, LMM_ERR, "the system cannot be factored again at the fit's theta after Satterthwaite's df");
      goto done;
    }
  }
  if (rc) {
    if (rc == LMM_INTERRUPTED) rc = lmm_fail(err, rc, "interrupted");
    else if (rc == LMM_NOMEM) rc = lmm_nomem(err);
    else rc = lmm_fail(err, LMM_NUMERIC, "Satterthwaite's df: the system is not positive definite next to the fit's theta");
    goto done;
  }
  for (int i = 0; i < nth && !rc; i++) rc = to_data(sys, Jt + (size_t)i * pp, s->J + (size_t)i * pp, beta, stop);
  if (rc) { rc = lmm_nomem_or_stopped(stop, err); goto done; }
  /* dV / d sigma~ = 2 V / sigma~ */
  double sigma_t = ldexp(f->sigma, -sys->units.yexp);
  for (size_t e = 0; e < pp; e++) s->J[(size_t)nth * pp + e] = 2 * f->vcov[e] / sigma_t;
  if (half_pinv(k, H, s->A, d + 2 * nth)) rc = lmm_fail(err, LMM_NUMERIC, "Satterthwaite's df: the deviance's Hessian has no eigenvalues");
done:
  for (int t = 0; w.T && t < sys->K; t++) lmm_free(w.T[t]);
  lmm_free(w.T);
  lmm_free(w.theta);
  lmm_free(theta0);
  lmm_free(H);
  lmm_free(Jt);
  lmm_free(Mm);
  lmm_free(beta);
  if (rc) { lmm_satterthwaite_free(s); return rc; }
  *out = s;
  return LMM_OK;
}

void lmm_satterthwaite_free(lmm_satterthwaite *s) {
  if (!s) return;
  lmm_free(s->A);
  lmm_free(s->J);
  lmm_free(s->g);
  lmm_free(s);
}

/* l' M l for M p x p */
static double qform(int p, const double *M, const double *l) {
  double acc = 0;
  for (int b = 0; b < p; b++) {
    if (l[b] == 0) continue;
    double col = 0;
    for (int a = 0; a < p; a++) col += M[a + (size_t)b * p] * l[a];
    acc += col * l[b];
  }
  return acc;
}

double lmm_satterthwaite_df(lmm_satterthwaite *s, const double *l) {
  int p = s->p, k = s->k;
  double v = qform(p, s->V, l);
  for (int i = 0; i < k; i++) s->g[i] = qform(p, s->J + (size_t)i * (size_t)p * (size_t)p, l);
  double denom = qform(k, s->A, s->g);
  /* A is positive semidefinite: a denominator at or below 0 is one no variance parameter moves */
  return isnan(v) || isnan(denom) ? NAN : denom > 0 ? 2 * v * v / denom : INFINITY;
}

/* lmerTest's denominator df of an F statistic from its directions' df (get_Fstat_ddf) */
static double combine_df(const double *nu, int q) {
  int same = 1;
  double E = 0, mean = 0;
  for (int m = 0; m < q; m++) {
    if (m && fabs(nu[m] - nu[m - 1]) >= 1e-8) same = 0;
    mean += nu[m] / q;
  }
  if (same) return mean;
  for (int m = 0; m < q; m++) {
    if (nu[m] <= 2) return 2;
    E += nu[m] / (nu[m] - 2);
  }
  return 2 * E / (E - q);
}

int lmm_contrast_cov(int p, const double *V, const double *L, int q, double *W) {
  double *T = lmm_malloc_array(lmm_size_mul((size_t)q, (size_t)(p ? p : 1)), sizeof *T);   /* L V, q x p */
  if (!T) return LMM_NOMEM;
  for (int j = 0; j < p; j++)
    for (int a = 0; a < q; a++) {
      double acc = 0;
      for (int i = 0; i < p; i++) acc += L[a + (size_t)i * q] * V[i + (size_t)j * p];
      T[a + (size_t)j * q] = acc;
    }
  for (int b = 0; b < q; b++)
    for (int a = 0; a <= b; a++) {
      double acc = 0;
      for (int j = 0; j < p; j++) acc += T[a + (size_t)j * q] * L[b + (size_t)j * q];
      W[a + (size_t)b * q] = W[b + (size_t)a * q] = acc;
    }
  lmm_free(T);
  return LMM_OK;
}

int lmm_satterthwaite_ftest(lmm_satterthwaite *s, const double *beta, const double *L, int q, lmm_ftest *out,
                            lmm_error *err) {
  int p = s->p;
  *out = (lmm_ftest){NAN, 0, NAN, NAN};
  double *W = lmm_malloc_array(lmm_size_add(lmm_size_mul((size_t)q, (size_t)q), lmm_size_mul((size_t)q + 2, (size_t)p)),
                               sizeof *W);
  if (!W) return lmm_nomem(err);
  double *ev = W + (size_t)q * q, *l = ev + q, *nu = l + p, *t2 = nu + q;
  if (lmm_contrast_cov(p, s->V, L, q, W)) {   /* W = L V L' */
    lmm_free(W);
    return lmm_nomem(err);
  }
  if (q && LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', q, W, q, ev)) {
    lmm_free(W);
    return lmm_fail(err, LMM_NUMERIC, "the contrast's covariance has no eigen decomposition");
  }
  /* the directions of L V L' with eigenvalues above sqrt(eps) of the largest (dsyev: ascending), each a t test */
  double tol = q && ev[q - 1] > 0 ? sqrt(DBL_EPSILON) * ev[q - 1] : 0, sum = 0;
  int r = 0;
  for (int m = q - 1; m >= 0 && ev[m] > tol; m--, r++) {
    double est = 0;
    for (int j = 0; j < p; j++) {
      l[j] = 0;
      for (int a = 0; a < q; a++) l[j] += W[a + (size_t)m * q] * L[a + (size_t)j * q];
      est += l[j] * beta[j];
    }
    t2[r] = est * est / ev[m];
    nu[r] = lmm_satterthwaite_df(s, l);
    sum += t2[r];
  }
  if (r) *out = (lmm_ftest){sum / r, r, combine_df(nu, r), NAN};
  if (r) out->p_value = pf(out->F, r, out->ddf, 0, 0);
  lmm_free(W);
  return LMM_OK;
}
