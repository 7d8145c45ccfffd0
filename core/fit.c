/* fit.c — theta in, profiled deviance out; the optimizer around it; and the
 * estimates at the optimum (see fit.h). */
#include "fit.h"
#include "alloc.h"
#include "factor.h"
#include "lapack_steps.h"
#include "ols.h"
#include "polish.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <nlopt.h>
#include <stdio.h>
#include <string.h>

typedef struct objective_ctx {
  lmm_system *sys;
  lmm_fit *fit;
  double **T;             /* by fit position */
  const lmm_fit_options *opt;
  nlopt_opt nlopt;        /* the running optimizer, to stop it when interrupted */
  int stopped;
  double *factored_at;    /* theta of the system's present factor, and its deviance */
  double factored_dev;
  int factored;
  int nonfinite;          /* the optimizer proposed a theta with a non-finite entry: stopped, not evaluated */
  int failed;             /* the structure's refill ran out of memory: stopped */
  double *filled_at;      /* the structure's parameters A was last filled at (opt->refill), and its log|Lambda| */
  double filled_logdet;
  int filled;
  /* A loose BOBYQA run stopped where it crawls (see STALL_TOL): the best deviance after each of its evaluations
   * (a ring of the last window + 1), and the best point, which NLopt does not return on a forced stop. */
  int stall_window, stall_n, stalled;
  double stall_best[2 * (2 * LMM_POLISH_MAXN + 1)], stall_f, stall_x[LMM_POLISH_MAXN];
  /* The first term's updates kept by its T while the optimizer runs (factor.h), or NULL: Newton's differences
   * and BOBYQA's first points move one coordinate at a time and meet a first-term T again.  Its factors serve
   * the deviance only, so the estimates factor again. */
  lmm_first_kept *kept;
} objective_ctx;

/* What a stopped objective (c->stopped) stopped for: the structure's refill out of memory, a theta not finite,
 * else the caller's stop.  The one place a stop becomes a code, so "interrupted" is never written over an
 * out-of-memory (lmm_fail keeps the first code). */
static int stop_code(const objective_ctx *c) {
  return c->failed ? LMM_NOMEM : c->nonfinite ? LMM_NUMERIC : LMM_INTERRUPTED;
}

/* The profiled deviance (ML) or REML criterion of the system as factored,
 * in the blocks' units. */
static double factored_deviance(const lmm_system *s, int reml) {
  const lmm_block *F = lmm_sys_L(s, s->K, s->K);
  int p = s->p;
  size_t ldf = (size_t)F->ld;
  double r = F->v[(size_t)p * ldf + (size_t)p];
  double pwrss = r * r, n = (double)s->n;
  double ld = lmm_system_logdet_z(s);
  if (!reml) return ld + n * (1 + log(2 * M_PI * pwrss / n));
  double ldx = 0;
  for (int a = 0; a < p; a++) ldx += log(F->v[(size_t)a * ldf + (size_t)a]);
  double nr = n - p;
  /* log|R_X| of the unscaled X: the scaled factor's plus log|det R| */
  return ld + 2 * (ldx + lmm_system_log_scale(s)) + nr * (1 + log(2 * M_PI * pwrss / nr));
}

/* DBL_MAX where the system is not positive definite, or when the stop was
 * asked for (c->stopped) part way through. */
static double deviance_at(objective_ctx *c, const double *theta) {
  lmm_system *s = c->sys;
  const lmm_theta_map *map = s->theta;
  int ns = map->n - map->ncov, rc;
  c->fit->evaluations++;
  if (s->refill && ns && (!c->filled || memcmp(c->filled_at, theta + map->ncov, sizeof *theta * (size_t)ns))) {
    c->filled = 0;
    rc = s->refill(s->refill_ctx, s, theta + map->ncov, c->opt->stop, &c->filled_logdet);
    if (rc == LMM_NOMEM) c->failed = 1;
    if (rc == LMM_NOMEM || rc == LMM_INTERRUPTED) c->stopped = 1;
    if (rc) return DBL_MAX;
    memcpy(c->filled_at, theta + map->ncov, sizeof *theta * (size_t)ns);
    c->filled = 1;
  }
  lmm_theta_to_T(map, theta, c->T);
  rc = lmm_system_factor_kept(s, c->T, c->kept, c->opt->stop);
  if (rc == LMM_INTERRUPTED) c->stopped = 1;
  if (rc) return DBL_MAX;
  return factored_deviance(s, c->fit->reml) + (s->refill && ns ? c->filled_logdet : 0);
}

/* The deviance at theta, the system left factored there (for the deviance alone while c->kept is set). */
static double profiled_deviance(objective_ctx *c, const double *theta) {
  double dev = deviance_at(c, theta);
  memcpy(c->factored_at, theta, sizeof *theta * (size_t)c->fit->ntheta);
  c->factored_dev = dev;
  c->factored = !c->sys->first_kept;
  return dev;
}

/* BOBYQA gains less than this (relative) over a window of 2n + 1 evaluations only where it crawls: issue 20's
 * crossed slopes with a variance near zero gained 2.5e-8 a window for 70 evaluations along a curved valley
 * (theta 1 and 6 moving together) where two Newton steps from its start reach the optimum; on a
 * regular optimum BOBYQA stops by itself a window or less after its gains fall below it.  Not with fewer than
 * STALL_MIN_N parameters, where BOBYQA ends in a few more evaluations and a Newton step from a stall left
 * machines' Worker sd 4e-7 short of the optimum (a direction the data hardly determine), nor with a
 * structure's parameters, whose joint optimizer restarts on its own terms (structure.c). */
#define STALL_TOL 5e-8
enum { STALL_MIN_N = 4 };

/* Whether a loose run stalls (its window set) with this evaluation: its best deviance gained less than STALL_TOL
 * over the last window, past the first two windows (the first is BOBYQA building its model). */
static int stalls(objective_ctx *c, const double *theta, double dev) {
  int W = c->stall_window, k = c->stall_n++, ring = (int)(sizeof c->stall_best / sizeof *c->stall_best);
  if (!W) return 0;
  if (!k || dev < c->stall_f) {
    c->stall_f = dev;
    memcpy(c->stall_x, theta, sizeof *theta * (size_t)c->fit->ntheta);
  }
  c->stall_best[k % ring] = c->stall_f;
  return k >= 2 * W && c->stall_f < DBL_MAX &&   /* a deviance evaluated, not only failures */
         !(c->stall_f < c->stall_best[(k - W) % ring] - STALL_TOL * (1 + fabs(c->stall_f)));
}

static double nlopt_objective(unsigned nth, const double *theta, double *grad, void *data) {
  (void)nth; (void)grad;
  objective_ctx *c = data;
  if (c->stopped || lmm_stop_asked(c->opt->stop)) {
    c->stopped = 1;
    nlopt_force_stop(c->nlopt);   /* BOBYQA returns after this evaluation */
    return DBL_MAX;
  }
  for (int m = 0; m < c->fit->ntheta; m++)
    if (!isfinite(theta[m])) {
      memcpy(c->fit->theta, theta, sizeof *theta * (size_t)c->fit->ntheta);
      c->stopped = c->nonfinite = 1;
      nlopt_force_stop(c->nlopt);
      return DBL_MAX;
    }
  double dev = profiled_deviance(c, theta);
  if (lmm_stop_seen(c->opt->stop)) {   /* asked within the evaluation: its deviance is not one */
    c->stopped = 1;
    nlopt_force_stop(c->nlopt);
    return DBL_MAX;
  }
  if (stalls(c, theta, dev)) {
    c->stalled = 1;
    nlopt_force_stop(c->nlopt);
  }
  return dev;
}

/* The deviance for lmm_polish: DBL_MAX once the stop is asked for. */
static double polish_objective(void *data, const double *theta) {
  objective_ctx *c = data;
  if (c->stopped || lmm_stop_asked(c->opt->stop)) {
    c->stopped = 1;
    return DBL_MAX;
  }
  double dev = profiled_deviance(c, theta);
  if (lmm_stop_seen(c->opt->stop)) c->stopped = 1;
  return c->stopped ? DBL_MAX : dev;
}

/* Starting values: for each term, a moment estimate of the covariance of its
 * random effects, from the group-wise least-squares fits of the fixed-effect
 * residuals y~ (Swamy's estimator; for a scalar term, one-way ANOVA), made
 * relative to the smallest of the terms' within-group variances: a crossed
 * term's within-group variance still holds the other terms' variances, so
 * it is the least contaminated that stands for sigma^2.  A[k][k] holds each
 * group's Z'Z and the last row of A[K][k] its Z'y~.  It puts the optimizer
 * near the optimum, where T = I (lme4's start) can be far off and costs
 * dozens of deviance evaluations. */
enum { START_QMAX = 8 };

/* Term k's covariance estimate (absolute, lower triangle of Sigma) and its
 * within-group mean square; 0 when the term says nothing. */
static int term_moments(const lmm_system *s, int k, double *Sigma, double *msw_out) {
  int q = s->q[k], nl = s->nl[k], g = 0, K = s->K, p = s->p, p1 = p + 1;
  if (q > START_QMAX) return 0;
  const lmm_block *D = lmm_sys_A(s, k, k), *F = lmm_sys_A(s, K, k);
  double yy = lmm_sys_A(s, K, K)->v[(size_t)p * (size_t)p1 + (size_t)p], n = (double)s->n;
  double sum_b[START_QMAX] = {0}, sum_bb[START_QMAX * START_QMAX] = {0}, sum_vinv[START_QMAX * START_QMAX] = {0}, ssb = 0;
  for (int l = 0; l < nl; l++) {
    const double *ztz = D->v + (size_t)l * (size_t)(q * q);
    double C[START_QMAX * START_QMAX], b[START_QMAX], zty[START_QMAX];
    memcpy(C, ztz, sizeof *C * (size_t)(q * q));
    for (int a = 0; a < q; a++) zty[a] = b[a] = F->v[(size_t)(l * q + a) * (size_t)p1 + (size_t)p];
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', q, C, q)) continue;
    int ok = 1;   /* a group too small to estimate its own coefficients says nothing */
    for (int a = 0; a < q; a++) ok &= C[a + a * q] > 1e-6 * sqrt(ztz[a + a * q]);
    if (!ok) continue;
    LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', q, 1, C, q, b, q);   /* b = (Z'Z)^-1 Z'y~ */
    LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', q, C, q);            /* C = (Z'Z)^-1 */
    for (int a = 0; a < q; a++) {
      ssb += b[a] * zty[a];
      sum_b[a] += b[a];
      for (int c = 0; c <= a; c++) {
        sum_bb[a + c * q] += b[a] * b[c];
        sum_vinv[a + c * q] += C[a + c * q];
      }
    }
    g++;
  }
  /* within-group df: the intercept, if any, lies in the groups' span */
  double dfw = n - (double)g * q - (p > 1 ? p - 1 : 0), msw = dfw > 0 ? (yy - ssb) / dfw : 0;
  if (g < 2 || !(msw > 0)) return 0;
  /* the spread of the groups' coefficients less their mean sampling covariance */
  for (int a = 0; a < q; a++)
    for (int c = 0; c <= a; c++)
      Sigma[a + c * q] = (sum_bb[a + c * q] - sum_b[a] * sum_b[c] / g) / (g - 1) - msw * sum_vinv[a + c * q] / g;
  *msw_out = msw;
  return 1;
}

/* Whether each level of term a (fit position) lies within one level of term b. */
static int nested_in_term(const lmm_system *s, int a, int b) {
  const lmm_block *B = lmm_sys_A(s, b, a);
  for (int c = 0; c < B->nc; c++)
    if (B->colptr[c + 1] - B->colptr[c] != 1) return 0;
  return 1;
}

/* Sigma (relative, lower triangle) made a valid start and replaced by its
 * Cholesky factor: variances within [0.05^2, 10^2] and correlations within
 * +-0.9; then, since pairwise bounds do not make a matrix of order three or
 * more positive definite, its eigenvalues floored at the smallest variance
 * allowed (the nearest such matrix in the Frobenius norm).  Where even that
 * leaves no factor, the variances alone; where a moment is not finite, T = I. */
static void start_covariance_factor(double *Sigma, int q) {
  double keep[START_QMAX * START_QMAX], w[START_QMAX];
  for (int a = 0; a < q; a++) {
    double v = Sigma[a + a * q];
    Sigma[a + a * q] = v > 0.0025 ? (v < 100 ? v : 100) : 0.0025;
  }
  for (int a = 0; a < q; a++)
    for (int c = 0; c < a; c++) {
      double lim = 0.9 * sqrt(Sigma[a + a * q] * Sigma[c + c * q]), v = Sigma[a + c * q];
      Sigma[a + c * q] = v > lim ? lim : v < -lim ? -lim : v == v ? v : 0;
    }
  memcpy(keep, Sigma, sizeof *Sigma * (size_t)(q * q));
  if (!LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', q, Sigma, q)) return;
  /* Sigma = V diag(w) V' with w floored: V overwrites Sigma (dsyev reads the lower triangle) */
  memcpy(Sigma, keep, sizeof *Sigma * (size_t)(q * q));
  double work[START_QMAX * 34];
  int ok = !LAPACKE_dsyev_work(LAPACK_COL_MAJOR, 'V', 'L', q, Sigma, q, w, work, START_QMAX * 34);
  if (ok) {
    double V[START_QMAX * START_QMAX];
    memcpy(V, Sigma, sizeof *Sigma * (size_t)(q * q));
    for (int e = 0; e < q; e++) w[e] = w[e] > 0.0025 ? w[e] : 0.0025;
    for (int c = 0; c < q; c++)
      for (int a = c; a < q; a++) {
        double v = 0;
        for (int e = 0; e < q; e++) v += V[a + e * q] * w[e] * V[c + e * q];
        Sigma[a + c * q] = v;
      }
    ok = !LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', q, Sigma, q);
  }
  if (!ok)
    for (int a = 0; a < q; a++) {
      for (int c = 0; c < q; c++) Sigma[a + c * q] = 0;
      Sigma[a + a * q] = sqrt(keep[a + a * q]);
    }
  for (int a = 0; a < q; a++)
    for (int c = 0; c <= a; c++)
      if (!isfinite(Sigma[a + c * q])) {
        for (int r = 0; r < q * q; r++) Sigma[r] = r % (q + 1) ? 0 : 1;
        return;
      }
}

int lmm_fit_start(const lmm_system *s, double *theta) {
  int K = s->K, Q2 = START_QMAX * START_QMAX;
  double *Sigma = lmm_malloc_array(K ? lmm_size_mul((size_t)K, (size_t)Q2) : 1, sizeof *Sigma), sigma2 = HUGE_VAL;
  int *have = lmm_calloc((size_t)(K ? K : 1), sizeof *have);
  if (!Sigma || !have) { lmm_free(Sigma); lmm_free(have); return LMM_NOMEM; }   /* not a quieter start: the same fit or none */
  double *msw = lmm_calloc((size_t)(K ? K : 1), sizeof *msw), *share = lmm_calloc((size_t)(K ? K : 1), sizeof *share);
  if (!msw || !share) { lmm_free(Sigma); lmm_free(have); lmm_free(msw); lmm_free(share); return LMM_NOMEM; }
  for (int k = 0; k < K; k++) {
    if (!(have[k] = term_moments(s, k, Sigma + (size_t)k * Q2, &msw[k]))) continue;
    /* the variance term k adds to an observation: tr(Sigma_k Z'Z / n) */
    int q = s->q[k];
    const lmm_block *D = lmm_sys_A(s, k, k);
    for (int a = 0; a < q; a++)
      for (int c = 0; c < q; c++) {
        double g = 0;
        for (int l = 0; l < s->nl[k]; l++) g += D->v[(size_t)l * (size_t)(q * q) + (size_t)(a + c * q)];
        share[k] += (a >= c ? Sigma[(size_t)k * Q2 + (size_t)(a + c * q)] : Sigma[(size_t)k * Q2 + (size_t)(c + a * q)]) * g / (double)s->n;
      }
    if (share[k] < 0) share[k] = 0;
  }
  /* sigma^2 from the within-group variance of the term with the most levels
   * (the first one that has it), less the variances of the terms that vary
   * within its groups: the crossed ones, not those it is nested in */
  for (int k = 0; k < K && sigma2 == HUGE_VAL; k++) {
    if (!have[k]) continue;
    double s2 = msw[k];
    for (int j = 0; j < K; j++)
      if (j != k && have[j] && !(j > k && nested_in_term(s, k, j))) s2 -= share[j];
    sigma2 = s2 > 0.25 * msw[k] ? s2 : 0.25 * msw[k];
  }
  lmm_free(msw);
  lmm_free(share);
  for (int k = 0; k < K; k++) {
    if (!have[k]) continue;
    int q = s->q[k];
    double *Sigma_k = Sigma + (size_t)k * Q2;
    for (int a = 0; a < q; a++)
      for (int c = 0; c <= a; c++) Sigma_k[a + c * q] /= sigma2;
    start_covariance_factor(Sigma_k, q);
    lmm_theta_from_term_T(s->theta, Sigma_k, s->term[k], theta);
  }
  lmm_free(Sigma);
  lmm_free(have);
  return LMM_OK;
}

/* BOBYQA's first steps, one per theta: a twentieth of the start's scale (the
 * diagonal of T in that row, at least 0.5).  Relative, so a small variance is
 * not stepped over and a large one is not crept up on; small, because the
 * moment start is near the optimum (within about half its scale) and Powell
 * sizes BOBYQA's first trust region at a tenth of the change expected.
 * A term with many levels knows its theta better than that: log theta's
 * standard error is about 1/sqrt(2 levels), and the moment start lands
 * within a few of them, so the step is at most three (smaller than a
 * twentieth beyond 1800 levels); a twentieth of a large term's scale puts
 * the first points far up the walls of an optimum the start is near.
 * Beside a residual structure's parameters the moment start is no nearer
 * than a quarter of its scale: it was taken from the rows whitened at the
 * structure's start (nlme's: equal variances, no correlation), which can
 * be far from its optimum: many of the steps above away. */
enum { STRUCT_STEP_TENTHS = 3 };   /* a structure's parameter (unconstrained) moves by 0.3 at first */
static void initial_steps(const lmm_theta_map *map, const lmm_fit *f, double *step) {
  for (int m = map->ncov; m < map->n; m++) step[m] = STRUCT_STEP_TENTHS / 10.0;
  for (int m = 0; m < map->ncov; m++) {
    double rel = 3 / sqrt(2.0 * map->nlevels[map->e[m].term]);
    if (rel > 0.05) rel = 0.05;
    if (map->n > map->ncov) rel = 0.25;
    int diag = lmm_theta_diag_of(map, m);
    double scale = f->theta[diag] > 0.5 ? f->theta[diag] : 0.5;
    step[m] = rel * scale;
  }
}

/* BOBYQA's stop: where a step changes the deviance by less than this, relative.  LOOSE leaves the last digits to
 * Newton steps (lmm_polish_to): at TIGHT BOBYQA spent most of its evaluations on the last digits of the deviance
 * where a variance near zero leaves a valley flat to fourth order in that element of T (issue 20's crossed slopes),
 * crawled along with a trust region shrunk to it. */
enum { LOOSE, TIGHT };
static const double ftol_rel[] = {1e-10, 1e-13};

static int minimize(objective_ctx *c, double *theta, const double *lower, const double *step, int tol, double *fmin,
                    int *ok) {
  int nth = c->fit->ntheta;
  nlopt_opt o = nlopt_create(NLOPT_LN_BOBYQA, (unsigned)nth);
  if (!o) return LMM_NOMEM;
  c->nlopt = o;
  nlopt_set_lower_bounds(o, lower);
  nlopt_set_min_objective(o, nlopt_objective, c);
  nlopt_set_ftol_abs(o, 1e-11);
  nlopt_set_ftol_rel(o, ftol_rel[tol]);
  nlopt_set_xtol_abs1(o, 1e-10);
  nlopt_set_maxeval(o, 2000 * nth + 1000);
  nlopt_set_initial_step(o, step);
  c->stall_window = tol == LOOSE && nth >= STALL_MIN_N && nth <= LMM_POLISH_MAXN && c->sys->theta->n == c->sys->theta->ncov
                     ? 2 * nth + 1 : 0;
  c->stall_n = c->stalled = 0;
  nlopt_result r = nlopt_optimize(o, theta, fmin);
  nlopt_destroy(o);
  c->stall_window = 0;
  if (c->stopped) return stop_code(c);
  *ok = r > 0 && r != NLOPT_MAXEVAL_REACHED && r != NLOPT_MAXTIME_REACHED;
  if (r == NLOPT_ROUNDOFF_LIMITED) *ok = 1;
  if (r < 0 && r != NLOPT_ROUNDOFF_LIMITED) *ok = 0;
  if (c->stalled && r == NLOPT_FORCED_STOP) {   /* a loose stop: where it stalled, its best point */
    *ok = 1;
    *fmin = c->stall_f;
    memcpy(theta, c->stall_x, sizeof *theta * (size_t)nth);
  }
  return LMM_OK;
}

/* A variance near zero: put it on the boundary when that is no worse (to the
 * deviance's rounding: BOBYQA from a point near zero ends on either side of
 * it, Dyestuff2's at sd 4.6e-8), as lme4 checks the edges after optimizing. */
#define NEAR_ZERO 1e-3
#define BOUNDARY_TIE 1e-13   /* the deviance's rounding, relative: zero where the variance gains no more */
static double try_boundary(objective_ctx *c, const double *lower, double fmin) {
  lmm_fit *f = c->fit;
  for (int m = 0; m < f->ntheta; m++)
    if (lower[m] == 0 && f->theta[m] > 0 && f->theta[m] < NEAR_ZERO) {
      double keep = f->theta[m];
      f->theta[m] = 0;
      double at0 = profiled_deviance(c, f->theta);
      if (c->stopped) return fmin;
      if (at0 <= fmin + BOUNDARY_TIE * (1 + fabs(fmin))) fmin = at0;
      else f->theta[m] = keep;
    }
  return fmin;
}

/* Whether a variance is within `near` of its boundary (a diagonal element of T at zero). */
static int near_boundary(const lmm_theta_map *map, const lmm_fit *f, double near) {
  for (int m = 0; m < map->ncov; m++)
    if (map->e[m].row == map->e[m].col && f->theta[m] < near) return 1;
  return 0;
}

/* Whether a variance sits on its boundary (a diagonal element of T at zero). */
static int at_boundary(const lmm_theta_map *map, const lmm_fit *f) { return near_boundary(map, f, 1e-4); }

/* Optimize once more from theta0 with first steps step, and keep the better
 * optimum (f->theta is left at it). */
static int retry_from(objective_ctx *c, const double *lower, const double *theta0, const double *step, double *fmin,
                      int *ok) {
  lmm_fit *f = c->fit;
  int nth = f->ntheta;
  double *keep = lmm_malloc_array((size_t)nth, sizeof *keep);
  if (!keep) return LMM_NOMEM;
  memcpy(keep, f->theta, sizeof *keep * (size_t)nth);
  memmove(f->theta, theta0, sizeof *keep * (size_t)nth);
  double fmin2 = 0;
  int ok2 = 0;
  int rc = minimize(c, f->theta, lower, step, TIGHT, &fmin2, &ok2);
  if (!rc) fmin2 = try_boundary(c, lower, fmin2);
  if (!rc && c->stopped) rc = stop_code(c);
  if (!rc && fmin2 < *fmin) {
    *fmin = fmin2;
    *ok = ok2;
  } else memcpy(f->theta, keep, sizeof *keep * (size_t)nth);
  f->singular = at_boundary(c->sys->theta, f);
  lmm_free(keep);
  return rc;
}

/* A fit that ends on a boundary may have crept into it from a poorer basin
 * (the Pixel data's day|Dog/Side slopes: -413.77 where -411.00 exists).  So
 * optimize once more from the boundary point with each variance that went
 * to zero lifted back to where it started, and keep the better optimum. */
static int lift_and_retry(objective_ctx *c, const double *lower, const double *start, const double *step, double *fmin,
                          int *ok) {
  lmm_fit *f = c->fit;
  int nth = f->ntheta;
  double *lifted = lmm_malloc_array((size_t)nth, sizeof *lifted);
  if (!lifted) return LMM_NOMEM;
  for (int m = 0; m < nth; m++)
    lifted[m] = lower[m] == 0 && f->theta[m] < 1e-4 ? (start[m] > 0.05 ? start[m] : 0.5) : f->theta[m];
  int rc = retry_from(c, lower, lifted, step, fmin, ok);
  lmm_free(lifted);
  return rc;
}

/* A term of two or more columns that still ends on a boundary may sit on the
 * wrong face of it: a random slope's fit whose intercept variance went to
 * zero where lme4 finds a rank-deficient covariance with every variance
 * positive (seen in issue 21's randomized designs, random slopes on numeric
 * and nested terms).  Neither the moment start nor the
 * lifted boundary point leads elsewhere.  So, while the fit stays singular,
 * optimize from lme4's start, T = I, with first steps of three sizes, then
 * twice from the boundary point made regular, chol(T T' + I/4) term by term
 * (the same covariance moved off every face by a quarter of lme4's start);
 * each kind alone leaves some of those designs short, the two together
 * none (keep the best). */
enum { RESTART_QMAX = 8 };

/* theta0 for every term: chol(T T' + add I), T from f->theta (add = 1 and
 * f->theta = 0: lme4's start, T = I).  Terms wider than RESTART_QMAX keep I. */
static void regular_point(const lmm_theta_map *map, const lmm_fit *f, double add, double *theta0) {
  for (int t = 0; t < map->nterm; t++) {
    int q = map->q[t];
    double T[RESTART_QMAX * RESTART_QMAX], Sigma[RESTART_QMAX * RESTART_QMAX] = {0};
    int ok = q <= RESTART_QMAX;
    if (ok) {
      lmm_theta_term_T(map, f->theta, t, T);
      for (int a = 0; a < q; a++)
        for (int b = 0; b <= a; b++) {
          double v = a == b ? add : 0;
          for (int e = 0; e <= b; e++) v += T[a + e * q] * T[b + e * q];
          Sigma[a + b * q] = v;
        }
      ok = !LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', q, Sigma, q);
    }
    if (ok) lmm_theta_from_term_T(map, Sigma, t, theta0);
    else
      for (int m = map->off[t]; m < map->off[t + 1]; m++) theta0[m] = map->e[m].row == map->e[m].col;
  }
}

static int restart_off_boundary(objective_ctx *c, const double *lower, double *fmin, int *ok) {
  static const double identity_steps[] = {0.2, 1.0, 0.5};
  const lmm_theta_map *map = c->sys->theta;
  lmm_fit *f = c->fit;
  int nth = f->ntheta, vector = 0, rc = LMM_OK;
  for (int t = 0; t < map->nterm; t++) vector |= map->q[t] > 1;
  if (!vector) return LMM_OK;
  double *theta0 = lmm_malloc_array((size_t)nth * 2, sizeof *theta0), *step = theta0 + nth;
  if (!theta0) return LMM_NOMEM;
  for (size_t k = 0; k < sizeof identity_steps / sizeof *identity_steps && !rc && f->singular; k++) {
    lmm_theta_identity(map, theta0);
    for (int m = 0; m < nth; m++) step[m] = identity_steps[k];
    rc = retry_from(c, lower, theta0, step, fmin, ok);
  }
  for (int k = 0; k < 2 && !rc && f->singular; k++) {
    memcpy(theta0, f->theta, sizeof *theta0 * (size_t)nth);   /* a structure's parameters where they are */
    regular_point(map, f, 0.25, theta0);
    for (int m = 0; m < nth; m++) step[m] = 0.2;
    rc = retry_from(c, lower, theta0, step, fmin, ok);
  }
  lmm_free(theta0);
  return rc;
}

void lmm_fit_free(lmm_fit *f) {
  if (!f) return;
  lmm_free(f->theta);
  lmm_free(f->beta);
  lmm_free(f->beta_scaled);
  lmm_free(f->vcov);
  lmm_free(f->se);
  lmm_free(f->optimizer_message);
  for (int k = 0; f->struct_names && k < f->nstruct; k++) lmm_free(f->struct_names[k]);
  lmm_free(f->struct_names);
  lmm_free(f->struct_est);
  lmm_free(f);
}

/* v 2^e, where v of the scaled problem (design.h) is nonzero and finite and
 * 2^e takes it to the data's units; 0 with *out set when that is a normal
 * double, else an error that says what cannot be represented (the result
 * would overflow, or lose digits below DBL_MIN) and what to rescale. */
static int unscale_value(double v, int e, double *out, const char *what, const char *name, const char *rescale,
                         lmm_error *err) {
  *out = ldexp(v, e);
  if (v == 0 || !isfinite(v) || (isfinite(*out) && fabs(*out) >= DBL_MIN)) return LMM_OK;
  int dec = (int)floor(log10(fabs(v)) + e * M_LOG10E * M_LN2);
  return lmm_fail(err, LMM_ERR, "%s '%s' is about 1e%+d in the data's units, beyond the range of double precision "
                  "(about 1e-308 to 1e+308); multiply %s by a power of ten that brings it nearer 1", what, name, dec, rescale);
}

/* What the criterion of the scaled problem lacks in the data's units: the
 * log-Jacobian of the scaling (see to_data_units). */
static double criterion_shift(const lmm_units *u, size_t n, int p, int reml) {
  double shift = (reml ? (double)n - p : (double)n) * u->yexp;
  for (int j = 0; j < p && reml; j++) shift += u->xexp[j];
  return 2 * M_LN2 * shift;
}

/* The fit of the scaled problem in the data's units: every value by its
 * power of two, exactly, and the criterion by the log-Jacobian of the
 * scaling, n yexp log 2 for the response and, under REML, the columns'
 * through log|R_X|.  theta is in the data's units already (rescale_theta). */
static int to_data_units(const lmm_units *u, lmm_fit *f, lmm_error *err) {
  int p = f->p, ey = u->yexp, rc = LMM_OK;
  for (int j = 0; j < p && !rc; j++) {
    const char *name = u->xnames[j], *rescale = u->xexp[j] ? "the response or the column's variables" : "the response";
    rc = unscale_value(f->beta[j], ey - u->xexp[j], &f->beta[j], "the coefficient of", name, rescale, err);
    if (!rc) rc = unscale_value(f->se[j], ey - u->xexp[j], &f->se[j], "the standard error of", name, rescale, err);
    /* vcov's squares may leave the range where the standard errors do not:
     * an entry a normal double cannot hold is NaN (lmm_vcov refuses it) */
    for (int i = 0; i < p; i++) {
      double v = f->vcov[i + j * p], w = ldexp(v, 2 * ey - u->xexp[i] - u->xexp[j]);
      f->vcov[i + j * p] = v != 0 && !(isfinite(w) && fabs(w) >= DBL_MIN) ? NAN : w;
    }
  }
  if (!rc)
    rc = unscale_value(f->sigma, ey, &f->sigma, "the residual standard deviation of", u->yname, "the response", err);
  if (rc) return rc;
  f->pwrss = ldexp(f->pwrss, 2 * ey);
  f->objective += criterion_shift(u, f->n, p, f->reml);
  f->logLik = -f->objective / 2;
  return LMM_OK;
}

/* A lapack_steps failure as an error; numeric: what LMM_NUMERIC means here. */
static int steps_fail(int rc, const char *numeric, lmm_error *err) {
  if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
  if (rc == LMM_NOMEM) return lmm_nomem(err);
  return lmm_fail(err, LMM_NUMERIC, "%s", numeric);
}

int lmm_fit_ols(const lmm_design *d, int reml, lmm_stop *stop, lmm_fit **out, lmm_error *err) {
  *out = NULL;
  size_t n = d->n;
  int p = d->p, rc = LMM_OK;
  lmm_fit *f = lmm_calloc(1, sizeof *f);
  if (!f) return lmm_nomem(err);
  f->reml = reml;
  f->n = n;
  f->p = p;
  f->converged = 1;
  f->theta = lmm_calloc(1, sizeof *f->theta);
  f->beta = lmm_calloc((size_t)(p ? p : 1), sizeof *f->beta);
  f->se = lmm_calloc((size_t)(p ? p : 1), sizeof *f->se);
  f->vcov = lmm_calloc_asking(p ? lmm_size_mul((size_t)p, (size_t)p) : 1, sizeof *f->vcov, stop);
  /* X: a structure's whitened rows as they are, else made here and factored in place once lmm_ols is done */
  double *own = NULL, *R = NULL, *tau = lmm_malloc(sizeof *tau * (size_t)(p ? p : 1));
  const double *X = d->white_x;
  double *y = lmm_malloc_array(n ? n : 1, sizeof *y);   /* scaled as X is (design.h) */
  if (!f->theta || !f->beta || !f->se || !f->vcov || !tau || !y) { rc = lmm_nomem_or_stopped(stop, err); goto done; }
  if (!X && (rc = lmm_design_dense_x(d, stop, &own, err))) goto done;
  if (!X) X = own;
  for (size_t i = 0; i < n; i++) y[i] = ldexp(d->y[i], -d->yexp);
  double rss = 0;
  int j = -1, have_r = 0;   /* X's R in vcov's upper triangle, where lmm_ols has it */
  if ((rc = lmm_ols_r(X, y, n, p, f->beta, f->se, &rss, &j, f->vcov, &have_r, stop, err))) {
    if (j >= 0 && j < p) {
      err->code = LMM_OK;
      rc = lmm_fail(err, LMM_ERR,
                    "fixed effects are rank deficient: column '%s' is a linear combination of the columns before it; drop it from the formula",
                    d->xnames[j]);
    }
    goto done;
  }
  /* residuals at the rounding level of y: an exact fit, as NIST certifies Wampler1 and 2 (README: Exact and degenerate fits) */
  double yy = 0;
  for (size_t i = 0; i < n; i++) yy += y[i] * y[i];
  if (!(rss > 1e-28 * yy)) {
    rss = 0;
    for (int j = 0; j < p; j++) f->se[j] = (size_t)p < n ? 0 : NAN;   /* n = p: no residual df, R's NaN */
  }
  /* (X'X)^-1 and log|R| from R of X (lmm_ols's, else a QR of X here), for vcov and the REML criterion */
  if (!have_r && p && !(R = own ? own : lmm_malloc_array(lmm_size_mul(n, (size_t)p), sizeof *R))) {
    rc = lmm_nomem(err);
    goto done;
  }
  for (int j = 0; j < p && !have_r && R != X; j++) {   /* a column at a time, asking the stop: a wide X is large */
    if (lmm_stop_asked(stop)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); goto done; }
    memcpy(R + (size_t)j * n, X + (size_t)j * n, sizeof *R * n);
  }
  double ldx = 0;
  if (p) {
    if (!have_r && (rc = lmm_steps_geqrf((int)n, p, R, (int)n, tau, stop))) {
      rc = steps_fail(rc, "LAPACK dgeqrf failed", err);
      goto done;
    }
    for (int j = 0; j < p && !have_r; j++)
      for (int i = 0; i < p; i++) f->vcov[i + j * p] = i <= j ? R[(size_t)j * n + (size_t)i] : 0;
    for (int j = 0; j < p; j++) ldx += log(fabs(f->vcov[j + j * p]));
    if ((rc = lmm_steps_potri('U', p, f->vcov, p, stop))) {
      rc = steps_fail(rc, "the fixed effects' cross-product is singular; their covariance cannot be formed", err);
      goto done;
    }
  }
  double dn = (double)n, nr = dn - p;
  f->pwrss = rss;
  f->sigma = sqrt(rss / (reml ? nr : dn));
  f->objective = reml ? 2 * ldx + nr * (1 + log(2 * M_PI * rss / nr)) : dn * (1 + log(2 * M_PI * rss / dn));
  f->logLik = -f->objective / 2;
  double s2 = (size_t)p < n ? f->sigma * f->sigma : NAN;
  for (int j = 0; j < p; j++)
    for (int i = 0; i <= j; i++) {
      double v = s2 * f->vcov[i + j * p];
      f->vcov[i + j * p] = f->vcov[j + i * p] = v;
    }
  lmm_units units = {d->yexp, d->xexp, d->xnames, d->frame->f->response_label};
  rc = to_data_units(&units, f, err);
done:
  lmm_free(y);
  if (R != own) lmm_free(R);
  lmm_free(own);
  lmm_free(tau);
  if (rc) { lmm_fit_free(f); return rc; }
  *out = f;
  return LMM_OK;
}

void lmm_fit_term_sd(const lmm_fit *f, int t, double *sd, double *cor) {
  int q = f->map->q[t], es;
  double T[LMM_MAX_Q * LMM_MAX_Q], nrm[LMM_MAX_Q], ms = frexp(f->sigma, &es);
  lmm_theta_term_T(f->map, f->theta, t, T);
  for (int a = 0; a < q; a++) {   /* row a of T at unit size, its size apart */
    double mx = 0, ss = 0;
    int e = 0;
    for (int k = 0; k <= a; k++)
      if (fabs(T[a + k * q]) > mx) mx = fabs(T[a + k * q]);
    if (mx > 0) frexp(mx, &e);
    for (int k = 0; k <= a; k++) {
      T[a + k * q] = ldexp(T[a + k * q], -e);
      ss += T[a + k * q] * T[a + k * q];
    }
    nrm[a] = sqrt(ss);
    sd[a] = ldexp(ms * nrm[a], es + e);
  }
  for (int a = 0; a < q; a++)
    for (int b = 0; b < q; b++) {
      double acc = 0;
      for (int k = 0; k <= (a < b ? a : b); k++) acc += T[a + k * q] * T[b + k * q];
      cor[a + b * q] = nrm[a] > 0 && nrm[b] > 0 ? acc / (nrm[a] * nrm[b]) : NAN;
    }
}

/* theta for Z in the data's units from theta for the blocks' unit-scale
 * columns (to_z), or back: T = diag(2^-zexp / zscale) T~, row by row (the
 * blocks hold Z scaled by 2^-zexp, and y by 2^-yexp, which T's relation
 * to sigma takes out). */
static int rescale_theta(const lmm_theta_map *map, double *theta, int to_z, lmm_error *err) {
  for (int m = 0; m < map->ncov; m++) {
    const lmm_theta_entry *e = &map->e[m];
    if (!to_z) { theta[m] = ldexp(theta[m], e->zexp) * e->zscale; continue; }
    int rc = unscale_value(theta[m] / e->zscale, -e->zexp, &theta[m], "a random-effects parameter of column", e->name,
                           "the column's variables", err);
    if (rc) return rc;
  }
  return LMM_OK;
}

/* theta as "[a, b, ...]" in buf, its first entries where all do not fit. */
static const char *theta_text(char *buf, size_t size, const double *theta, int n) {
  size_t used = (size_t)snprintf(buf, size, "[");
  int m = 0;
  for (; m < n && used + 24 < size; m++)
    used += (size_t)snprintf(buf + used, size - used, "%s%.6g", m ? ", " : "", theta[m]);
  snprintf(buf + used, size - used, "%s]", m < n ? ", ..." : "");
  return buf;
}

/* Estimates at the optimum: beta, sigma, vcov, log-likelihood. */
static int estimates(objective_ctx *c, lmm_error *err) {
  lmm_fit *f = c->fit;
  lmm_system *s = c->sys;
  /* BOBYQA's last evaluation is usually at the optimum, and the factor still
   * there: one evaluation fewer */
  double dev = c->factored_dev;
  if (!c->factored || memcmp(c->factored_at, f->theta, sizeof *f->theta * (size_t)f->ntheta)) {
    dev = profiled_deviance(c, f->theta);
    f->evaluations--;
  }
  if (c->stopped) return stop_code(c) == LMM_NOMEM ? lmm_nomem(err) : lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  if (dev == DBL_MAX) {
    char at[160];
    return lmm_fail(err, LMM_NUMERIC, "the fit failed: the system is not positive definite at theta = %s",
                    theta_text(at, sizeof at, f->theta, f->ntheta));
  }
  f->objective = dev;
  f->logLik = -dev / 2;
  int p = s->p;
  const lmm_block *F = lmm_sys_L(s, s->K, s->K);
  size_t ld = (size_t)F->ld;
  double r = F->v[(size_t)p * ld + (size_t)p];
  f->pwrss = r * r;
  f->sigma = sqrt(f->pwrss / (double)(f->reml ? (double)s->n - p : (double)s->n));
  if (!p) return LMM_OK;
  double *R = lmm_calloc_asking(lmm_size_mul((size_t)p, (size_t)p), sizeof *R, c->opt->stop);
  double *Vt = R ? lmm_calloc_asking(lmm_size_mul((size_t)p, (size_t)p), sizeof *Vt, c->opt->stop) : NULL;
  if (!R || !Vt) { lmm_free(R); lmm_free(Vt); return lmm_nomem_or_stopped(c->opt->stop, err); }
  for (int j = 0; j < p; j++)
    for (int i = 0; i < p; i++) R[i + j * p] = i >= j ? F->v[i + (size_t)j * ld] : 0;
  /* R' beta~ = l_yX' in the scaled coordinates of the blocks */
  for (int i = 0; i < p; i++) f->beta_scaled[i] = F->v[(size_t)p + (size_t)i * ld];
  int rc = LMM_NUMERIC;
  if (LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'T', 'N', p, 1, R, p, f->beta_scaled, p) ||
      (rc = lmm_steps_potri('L', p, R, p, c->opt->stop))) {
    lmm_free(R);
    lmm_free(Vt);
    return steps_fail(rc, "the fixed effects' factor is singular at the optimum; their estimates cannot be formed", err);
  }
  double s2 = f->sigma * f->sigma;
  for (int j = 0; j < p; j++)
    for (int i = 0; i < p; i++) Vt[i + j * p] = s2 * (i >= j ? R[i + j * p] : R[j + i * p]);
  rc = lmm_system_unscale(s, f->beta_scaled, Vt, f->beta, f->vcov, c->opt->stop);
  for (int j = 0; j < p && !rc; j++) f->se[j] = sqrt(f->vcov[j + j * p]);
  lmm_free(R);
  lmm_free(Vt);
  return rc ? steps_fail(rc, "", err) : LMM_OK;
}

/* A fit's arrays for sys, theta at lme4's start; lower the optimizer's bounds. */
static int fit_alloc(const lmm_system *sys, const lmm_fit_options *opt, lmm_fit **out, double **lower,
                     lmm_error *err) {
  const lmm_theta_map *map = sys->theta;
  int nth = map->n, p = sys->p;
  lmm_fit *f = *out = lmm_calloc(1, sizeof *f);
  if (!f) return lmm_nomem(err);
  f->reml = opt->reml;
  f->n = sys->n;
  f->p = p;
  f->map = map;
  f->ntheta = nth;
  f->theta = lmm_calloc((size_t)(nth ? nth : 1), sizeof *f->theta);
  *lower = lmm_calloc((size_t)(nth ? nth : 1), sizeof **lower);
  f->beta = lmm_calloc((size_t)(p ? p : 1), sizeof *f->beta);
  f->beta_scaled = lmm_calloc((size_t)(p ? p : 1), sizeof *f->beta_scaled);
  f->se = lmm_calloc((size_t)(p ? p : 1), sizeof *f->se);
  f->vcov = lmm_calloc_asking(p ? lmm_size_mul((size_t)p, (size_t)p) : 1, sizeof *f->vcov, opt->stop);
  if (!f->theta || !*lower || !f->beta || !f->beta_scaled || !f->se || !f->vcov)
    return lmm_nomem_or_stopped(opt->stop, err);
  lmm_theta_identity(map, f->theta);
  lmm_theta_lower(map, *lower);
  return LMM_OK;
}

/* T's arrays by fit position, for deviance_at. */
static double **T_alloc(const lmm_system *sys) {
  double **T = lmm_calloc((size_t)(sys->K ? sys->K : 1), sizeof *T);
  for (int k = 0; T && k < sys->K; k++)
    if (!(T[k] = lmm_calloc((size_t)(sys->q[k] * sys->q[k]), sizeof *T[k]))) {
      while (k-- > 0) lmm_free(T[k]);
      lmm_free(T);
      return NULL;
    }
  return T;
}

static void T_free(const lmm_system *sys, double **T) {
  for (int k = 0; T && k < sys->K; k++) lmm_free(T[k]);
  lmm_free(T);
}

/* Optimize theta from the moment start, then off the boundary where the fit ends on one. */
enum { POLISH_STEPS = 3 };   /* Newton steps after the loose BOBYQA: 1 or 2 on the bench's models */

/* A large fit starts near its optimum: with NEWTON_LEVELS levels or more in every term, each with
 * NEWTON_ROWS rows or more on average, the moment start lands within 1 % of it on the bench's data (0.2 to 0.6 %
 * on its shapes), where two Newton steps from the start (lmm_polish_to) reach the optimum: 31 evaluations for 4
 * parameters against BOBYQA's 18 and the polish's 15 after them, 13 for MovieLens' 2 against 19.  With fewer
 * rows a level it lands farther (3.7 % at 16 to 18), where BOBYQA and one Newton step took 38 and Newton steps
 * alone 46; with more parameters the Hessian's n^2/2 evaluations a step cost more than BOBYQA saves (6: 57
 * against 55).  A start with a variance near zero goes to BOBYQA, which finds the boundary; so does a start from
 * which the steps fail (not a minimum's curvature, a bound, no lower point), from the lowest point they reached. */
enum { NEWTON_LEVELS = 400, NEWTON_ROWS = 40, NEWTON_MAXN = 4, NEWTON_STEPS = 4 };
#define NEWTON_MIN_SD 0.05   /* a diagonal element of T at the start below this: BOBYQA */
static int newton_first(const objective_ctx *c, const lmm_theta_map *map, const lmm_fit *f) {
  if (c->opt->start || c->opt->unpolished || map->n != map->ncov || f->ntheta > NEWTON_MAXN) return 0;
  for (int t = 0; t < map->nterm; t++)
    if (map->nlevels[t] < NEWTON_LEVELS || c->sys->n < (size_t)NEWTON_ROWS * (size_t)map->nlevels[t]) return 0;
  for (int m = 0; m < map->ncov; m++)
    if (map->e[m].row == map->e[m].col && !(f->theta[m] >= NEWTON_MIN_SD)) return 0;
  return 1;
}

static int optimize(objective_ctx *c, const double *lower, lmm_error *err) {
  lmm_fit *f = c->fit;
  const lmm_theta_map *map = c->sys->theta;
  int nth = f->ntheta, ok = 0, rc = LMM_OK;
  double fmin = 0;
  double *step = lmm_malloc(sizeof *step * (size_t)nth * 2), *start = step + nth;
  if (!step) return lmm_nomem(err);
  if (c->opt->start) {
    memcpy(f->theta, c->opt->start, sizeof *f->theta * (size_t)nth);
    rescale_theta(map, f->theta, 0, err);
  } else if (lmm_fit_start(c->sys, f->theta)) { lmm_free(step); return lmm_nomem(err); }
  memcpy(start, f->theta, sizeof *start * (size_t)nth);
  initial_steps(map, f, step);
  for (int m = 0; c->opt->start && c->opt->restep > 0 && m < nth; m++) step[m] *= c->opt->restep;
  /* Newton steps from a start near the optimum (newton_first); else, or where they fail, BOBYQA to near the
     optimum, then Newton steps to within 1e-7 of it (polish.h); where they cannot, or a variance may be at zero
     (try_boundary's test), BOBYQA on from there to its tight stop.  An unpolished run (restarted after) ends at
     the loose stop. */
  int polished = 0, newton = nth <= LMM_POLISH_MAXN, unpolished = c->opt->unpolished;
  if (newton_first(c, map, f)) {
    fmin = profiled_deviance(c, f->theta);
    if (!c->stopped) ok = polished = lmm_polish_to(nth, f->theta, &fmin, lower, NEWTON_STEPS, polish_objective, c);
    if (c->stopped) rc = stop_code(c);
  }
  if (!rc && !polished) rc = minimize(c, f->theta, lower, step, newton ? LOOSE : TIGHT, &fmin, &ok);
  if (!rc && newton && ok && !polished && !unpolished && !near_boundary(map, f, NEAR_ZERO)) {
    polished = lmm_polish_to(nth, f->theta, &fmin, lower, POLISH_STEPS, polish_objective, c);
    if (c->stopped) rc = stop_code(c);
  }
  if (!rc && newton && !polished && !unpolished) rc = minimize(c, f->theta, lower, step, TIGHT, &fmin, &ok);
  if (!rc) {
    fmin = try_boundary(c, lower, fmin);
    f->singular = at_boundary(map, f);
    if (c->stopped) rc = stop_code(c);
  }
  if (!rc && f->singular) rc = lift_and_retry(c, lower, start, step, &fmin, &ok);
  /* a refit from a given start (a bootstrap's, at the fit's optimum) is not restarted from lme4's start: on the
     tutorial's lmm6.2 those restarts never found a better optimum and took three quarters of the time */
  if (!rc && f->singular && !c->opt->start) rc = restart_off_boundary(c, lower, &fmin, &ok);
  if (!rc && ok && !f->singular && !polished && !unpolished) {   /* past where BOBYQA stops, to 1e-7 of the optimum (polish.h) */
    lmm_polish(nth, f->theta, &fmin, lower, polish_objective, c);
    if (c->stopped) rc = stop_code(c);
  }
  lmm_free(step);
  if (rc) {
    char at[160];
    if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
    if (rc == LMM_NUMERIC)
      return lmm_fail(err, rc, "the fit failed: the optimizer proposed a theta that is not finite (%s)",
                      theta_text(at, sizeof at, f->theta, nth));
    return lmm_nomem(err);
  }
  f->converged = ok;
  return LMM_OK;
}

int lmm_fit_run(lmm_system *sys, const lmm_fit_options *opt, lmm_fit **out, lmm_error *err) {
  *out = NULL;
  lmm_fit *f = NULL;
  double *lower = NULL, **T = NULL, *factored_at = NULL;
  int rc = fit_alloc(sys, opt, &f, &lower, err), nth = sys->theta->n;
  if (!rc) {
    T = T_alloc(sys);
    factored_at = lmm_calloc((size_t)(nth ? 2 * nth : 1), sizeof *factored_at);
    if (!T || !factored_at) rc = lmm_nomem_or_stopped(opt->stop, err);
  }
  objective_ctx c = {.sys = sys, .fit = f, .T = T, .opt = opt, .factored_at = factored_at,
                     .filled_at = factored_at ? factored_at + nth : NULL};
  if (rc) goto done;
  f->converged = 1;
  if (opt->theta) {
    if (opt->ntheta != nth) {
      rc = lmm_fail(err, LMM_ERR, "the saved fit has %d covariance parameters but the model has %d", opt->ntheta, nth);
      goto done;
    }
    memcpy(f->theta, opt->theta, sizeof *f->theta * (size_t)nth);
    rescale_theta(sys->theta, f->theta, 0, err);
  } else if (nth) {
    rc = lmm_first_kept_new(sys, &c.kept) ? lmm_nomem(err) : optimize(&c, lower, err);
    lmm_first_kept_free(c.kept);
    c.kept = NULL;
    if (rc) goto done;
  }
  rc = estimates(&c, err);
  if (!rc) rc = rescale_theta(sys->theta, f->theta, 1, err);   /* the system keeps its factor at T~ */
  if (!rc) rc = to_data_units(&sys->units, f, err);
done:
  T_free(sys, T);
  lmm_free(lower);
  lmm_free(factored_at);
  if (rc) { lmm_fit_free(f); return rc; }
  *out = f;
  return LMM_OK;
}

int lmm_fit_deviance(lmm_system *sys, const double *theta, int reml, double *dev, lmm_error *err) {
  const lmm_theta_map *map = sys->theta;
  double **T = T_alloc(sys), *theta_t = lmm_malloc_array((size_t)(map->n ? map->n : 1), sizeof *theta_t);
  int rc = LMM_OK;
  char at[160];
  if (!T || !theta_t) { rc = lmm_nomem(err); goto done; }
  for (int m = 0; m < map->n; m++)
    if (!isfinite(theta[m])) {
      rc = lmm_fail(err, LMM_ERR, "theta[%d] is not finite; every covariance parameter must be a number", m + 1);
      goto done;
    }
  memcpy(theta_t, theta, sizeof *theta_t * (size_t)map->n);
  rescale_theta(map, theta_t, 0, err);
  lmm_theta_to_T(map, theta_t, T);
  if ((rc = lmm_system_factor(sys, T, NULL))) {
    rc = lmm_fail(err, LMM_NUMERIC, "the system is not positive definite at theta = %s",
                  theta_text(at, sizeof at, theta, map->n));
    goto done;
  }
  *dev = factored_deviance(sys, reml) + criterion_shift(&sys->units, sys->n, sys->p, reml);
done:
  T_free(sys, T);
  lmm_free(theta_t);
  return rc;
}

int lmm_fit_parts_at(lmm_system *sys, const double *theta, int reml, lmm_stop *stop, lmm_fit_parts *out, lmm_error *err) {
  const lmm_theta_map *map = sys->theta;
  int p = sys->p, nth = map->n, rc = LMM_OK;
  double **T = T_alloc(sys), *theta_t = lmm_malloc_array((size_t)(nth ? nth : 1), sizeof *theta_t);
  double *R = lmm_calloc((size_t)(p ? p * p : 1), sizeof *R), *bt = lmm_calloc((size_t)(p ? p : 1), sizeof *bt);
  double *V = out->beta ? lmm_calloc((size_t)(p ? p * p : 1), sizeof *V) : NULL;
  if (!T || !theta_t || !R || !bt || (out->beta && !V)) { rc = lmm_nomem(err); goto done; }
  memcpy(theta_t, theta, sizeof *theta_t * (size_t)nth);
  rescale_theta(map, theta_t, 0, err);
  lmm_theta_to_T(map, theta_t, T);
  if ((rc = lmm_system_factor(sys, T, stop))) {
    rc = rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted") : lmm_fail(err, LMM_NUMERIC, "not positive definite");
    goto done;
  }
  const lmm_block *F = lmm_sys_L(sys, sys->K, sys->K);
  size_t ld = (size_t)F->ld;
  double r = F->v[(size_t)p * ld + (size_t)p], ldx = 0;
  out->pwrss = ldexp(r * r, 2 * sys->units.yexp);
  out->ldet = lmm_system_logdet_z(sys);
  for (int a = 0; a < p; a++) ldx += log(F->v[(size_t)a * ld + (size_t)a]);
  if (reml) {
    double xe = 0;
    for (int j = 0; j < p; j++) xe += sys->units.xexp[j];
    out->ldet += 2 * (ldx + lmm_system_log_scale(sys)) + 2 * M_LN2 * xe;
  }
  if (!out->beta || !p) goto done;
  /* beta~ and (R_X R_X')^-1 in the blocks' coordinates, as estimates() makes them, less sigma^2 */
  for (int j = 0; j < p; j++)
    for (int i = j; i < p; i++) R[i + j * p] = F->v[i + (size_t)j * ld];
  for (int i = 0; i < p; i++) bt[i] = F->v[(size_t)p + (size_t)i * ld];
  rc = LMM_NUMERIC;
  if (LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'T', 'N', p, 1, R, p, bt, p) || (rc = lmm_steps_potri('L', p, R, p, stop))) {
    rc = steps_fail(rc, "the fixed effects' factor is singular", err);
    goto done;
  }
  for (int j = 0; j < p; j++)
    for (int i = 0; i < p; i++) R[i + j * p] = i >= j ? R[i + j * p] : R[j + i * p];
  if ((rc = lmm_system_unscale(sys, bt, R, out->beta, V, stop))) { rc = steps_fail(rc, "", err); goto done; }
  for (int j = 0; j < p; j++) {
    out->beta[j] = ldexp(out->beta[j], sys->units.yexp - sys->units.xexp[j]);
    out->vdiag[j] = ldexp(V[j + (size_t)j * p], -2 * sys->units.xexp[j]);
  }
done:
  T_free(sys, T);
  lmm_free(theta_t);
  lmm_free(R);
  lmm_free(bt);
  lmm_free(V);
  return rc;
}
