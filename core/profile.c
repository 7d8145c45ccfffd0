/* profile.c — profile-likelihood intervals (see profile.h), and the variance parameters on lme4's sigma scale
 * that they and nlme's intervals (confint.c) are taken on. */
#include "profile.h"
#include "alloc.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <float.h>
#include <math.h>
#include <nlopt.h>
#include <string.h>

/* Parameter k's term t and its (a, b) in the term's covariance (a == b: a standard deviation); t = -1: sigma. */
static void sdcor_locate(const lmm_design *d, int k, int *t, int *a, int *b) {
  for (int u = 0; u < d->nre; u++) {
    int q = d->re[u].q, c = q * (q + 1) / 2;
    if (k < c) {
      *t = u;
      if (k < q) { *a = *b = k; return; }
      k -= q;
      for (int i = 0; i < q; i++)
        for (int j = i + 1; j < q; j++)
          if (!k--) { *a = i; *b = j; return; }
    }
    k -= c;
  }
  *t = *a = *b = -1;
}

int lmm_sdcor_count(const lmm_design *d) {
  int n = 1;
  for (int t = 0; t < d->nre; t++) n += d->re[t].q * (d->re[t].q + 1) / 2;
  return n;
}

int lmm_sdcor_is_cor(const lmm_design *d, int k) {
  int t, a, b;
  sdcor_locate(d, k, &t, &a, &b);
  return t >= 0 && a != b;
}

void lmm_sdcor_from_fit(const lmm_design *d, const lmm_fit *f, double sigma, double *sc) {
  int off = 0;
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q, k = off + q;
    double sd[LMM_MAX_Q], cor[LMM_MAX_Q * LMM_MAX_Q];
    lmm_fit_term_sd(f, t, sd, cor);
    for (int a = 0; a < q; a++) sc[off + a] = sd[a];
    for (int a = 0; a < q; a++)
      for (int b = a + 1; b < q; b++) sc[k++] = isnan(cor[a + b * q]) ? 0 : cor[a + b * q];   /* an sd at 0 */
    off = k;
  }
  sc[off] = sigma;
}

int lmm_sdcor_to_theta(const lmm_design *d, const lmm_theta_map *map, const double *sc, double *theta) {
  int off = 0, last = lmm_sdcor_count(d) - 1;
  double sigma = sc[last];
  if (!(sigma > 0)) return 1;
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q, k = off + q;
    double S[LMM_MAX_Q * LMM_MAX_Q] = {0}, L[LMM_MAX_Q * LMM_MAX_Q] = {0};
    for (int a = 0; a < q; a++) {
      if (!(sc[off + a] >= 0)) return 1;
      S[a + a * q] = (sc[off + a] / sigma) * (sc[off + a] / sigma);
    }
    for (int a = 0; a < q; a++)
      for (int b = a + 1; b < q; b++, k++) {
        if (!(fabs(sc[k]) <= 1)) return 1;
        S[b + a * q] = sc[k] * (sc[off + a] / sigma) * (sc[off + b] / sigma);
      }
    /* Cholesky that takes a semidefinite matrix (a zero pivot's column zero): a correlation of -+1 or an sd of 0 */
    for (int j = 0; j < q; j++) {
      double dj = S[j + j * q];
      for (int c = 0; c < j; c++) dj -= L[j + c * q] * L[j + c * q];
      if (dj < -1e-10 * S[j + j * q]) return 1;
      L[j + j * q] = dj > 0 ? sqrt(dj) : 0;
      for (int i = j + 1; i < q; i++) {
        double v = S[i + j * q];
        for (int c = 0; c < j; c++) v -= L[i + c * q] * L[j + c * q];
        L[i + j * q] = L[j + j * q] > 1e-10 * sqrt(S[j + j * q]) ? v / L[j + j * q] : 0;
      }
    }
    lmm_theta_from_term_T(map, L, t, theta);
    off = k;
  }
  return 0;
}

static char *sdcor_term(const lmm_design *d, int k, const char **grp) {
  int t, a, b;
  sdcor_locate(d, k, &t, &a, &b);
  if (t < 0) { *grp = "Residual"; return lmm_strdup("sd__Observation"); }
  const lmm_reterm *re = &d->re[t];
  *grp = re->grp;
  return a == b ? lmm_mprintf("sd__%s", re->cnames[a]) : lmm_mprintf("cor__%s.%s", re->cnames[a], re->cnames[b]);
}

int lmm_sdcor_add_row(const lmm_design *d, int k, double lower, double estimate, double upper, lmm_ci_rows *out) {
  const char *grp;
  char *term = sdcor_term(d, k, &grp);
  int rc = term ? lmm_ci_add(out, "ran_pars", grp, term, lower, estimate, upper) : LMM_NOMEM;
  lmm_free(term);
  return rc;
}

char *lmm_sdcor_name(const lmm_design *d, int k) {
  const char *grp;
  char *term = sdcor_term(d, k, &grp), *name = term ? lmm_mprintf("%s of %s", term, grp) : NULL;
  lmm_free(term);
  return name;
}

/* One profile: the deviance with parameter `held` (< nv a variance parameter, else fixed effect held - nv) at
 * `value`, minimized over the rest. */
typedef struct profiler {
  lmm_system *sys;
  const lmm_design *d;
  const lmm_theta_map *map;
  int nv, p;
  double n;
  double *sc, *theta, *beta, *vdiag;   /* nv, ntheta, p, p */
  double *lower, *upper, *step;        /* nv: bounds and first steps of each variance parameter */
  int held;
  double value, dev_min;
  lmm_stop *stop;
  lmm_error *err;
  int failed;
  nlopt_opt opt;
} profiler;

/* The ML deviance at the variance parameters sc (with the fixed effect held, if one is). */
static double deviance_sc(profiler *P, const double *sc) {
  if (lmm_sdcor_to_theta(P->d, P->map, sc, P->theta)) return HUGE_VAL;
  int j = P->held - P->nv;
  lmm_fit_parts parts = {0, 0, j >= 0 ? P->beta : NULL, P->vdiag};
  int rc = lmm_fit_parts_at(P->sys, P->theta, 0, P->stop, &parts, P->err);
  if (rc == LMM_NUMERIC) { *P->err = (lmm_error){0}; return HUGE_VAL; }
  if (rc) { P->failed = rc; return HUGE_VAL; }
  double r2 = parts.pwrss, s2 = sc[P->nv - 1] * sc[P->nv - 1];
  if (j >= 0) r2 += (P->value - P->beta[j]) * (P->value - P->beta[j]) / P->vdiag[j];
  return parts.ldet + P->n * log(2 * M_PI * s2) + r2 / s2;
}

/* x: the parameters not held, in sc's order */
static double free_objective(unsigned nx, const double *x, double *grad, void *data) {
  (void)nx; (void)grad;
  profiler *P = data;
  if (P->failed || lmm_stop_asked(P->stop)) {
    if (!P->failed) P->failed = LMM_INTERRUPTED;
    nlopt_force_stop(P->opt);
    return HUGE_VAL;
  }
  for (int k = 0, i = 0; k < P->nv; k++) P->sc[k] = k == P->held ? P->value : x[i++];
  double dev = deviance_sc(P, P->sc);
  if (P->failed) nlopt_force_stop(P->opt);
  return dev;
}

/* The profile's deviance at value, from the free parameters x (updated to their optimum there). */
static double profile_at(profiler *P, double value, double *x) {
  int nx = P->nv - (P->held < P->nv);
  double fmin = HUGE_VAL;
  /* on the heap: the parameters are as many as the model's variance parameters, and no stack is theirs to size */
  double *lo = lmm_malloc_array((size_t)P->nv * 3 + 1, sizeof *lo), *hi = lo + P->nv, *st = hi + P->nv;
  if (!lo) { P->failed = LMM_NOMEM; return HUGE_VAL; }
  for (int k = 0, i = 0; k < P->nv; k++) {
    if (k == P->held) continue;
    lo[i] = P->lower[k];
    hi[i] = P->upper[k];
    st[i] = P->step[k];
    if (x[i] < lo[i]) x[i] = lo[i];
    if (x[i] > hi[i]) x[i] = hi[i];
    i++;
  }
  P->value = value;
  nlopt_opt o = P->opt = nlopt_create(NLOPT_LN_BOBYQA, (unsigned)nx);
  if (!o) { lmm_free(lo); P->failed = LMM_NOMEM; return HUGE_VAL; }
  nlopt_set_lower_bounds(o, lo);
  nlopt_set_upper_bounds(o, hi);
  nlopt_set_min_objective(o, free_objective, P);
  nlopt_set_ftol_abs(o, 1e-10);
  nlopt_set_xtol_rel(o, 1e-9);
  nlopt_set_maxeval(o, 500 * nx + 500);
  nlopt_set_initial_step(o, st);
  nlopt_result r = nlopt_optimize(o, x, &fmin);
  nlopt_destroy(o);
  lmm_free(lo);
  P->opt = NULL;
  if (r < 0 && r != NLOPT_ROUNDOFF_LIMITED && r != NLOPT_FORCED_STOP && !P->failed) P->failed = LMM_NUMERIC;
  return fmin;
}

enum { KIND_SD, KIND_COR, KIND_BETA };

/* The free-parameter index of sd a and sd b of correlation k's term (the held k itself is not free). */
static void cor_sds(const lmm_design *d, int k, int *ia, int *ib) {
  int t, a, b, off = 0;
  sdcor_locate(d, k, &t, &a, &b);
  for (int u = 0; u < t; u++) off += d->re[u].q * (d->re[u].q + 1) / 2;
  *ia = off + a;   /* sds come before their term's correlations, so before k */
  *ib = off + b;
}

/* zeta at value, or NAN when the profile failed (P->failed).  A correlation's profile is also minimized from its
 * two sds at 0 in turn, where the correlation means nothing: a path of warm starts that keeps them up misses that
 * valley (Orthodont's (age|Subject): lme4's -1 for the lower bound, the profile flat from -0.89 down). */
static double zeta_at(profiler *P, int kind, double value, double est, double *x) {
  int nx = P->nv - (P->held < P->nv);
  size_t bytes = sizeof *x * (size_t)(nx > 0 ? nx : 1);
  double *x_in = kind == KIND_COR ? lmm_malloc_array(2 * (size_t)(nx > 0 ? nx : 1), sizeof *x) : NULL, *y = x_in ? x_in + nx : NULL;
  if (kind == KIND_COR && !x_in) { P->failed = LMM_NOMEM; return NAN; }
  if (x_in) memcpy(x_in, x, bytes);
  double dev = profile_at(P, value, x);
  if (kind == KIND_COR && !P->failed) {
    int idx[2];
    cor_sds(P->d, P->held, &idx[0], &idx[1]);
    for (int e = 0; e < 2 && !P->failed; e++) {
      /* from the warm start with one sd at 0, not from where the first minimization went: that may be the other
       * sd's valley at 0, from which the second start, both sds at 0, cannot climb out */
      memcpy(y, x_in, bytes);
      y[idx[e]] = 0;
      double d2 = profile_at(P, value, y);
      if (!P->failed && d2 < dev) { dev = d2; memcpy(x, y, bytes); }
    }
  }
  lmm_free(x_in);
  if (P->failed) return NAN;
  double dd = dev - P->dev_min;
  return (value < est ? -1 : 1) * sqrt(dd > 0 ? dd : 0);
}

static double to_u(int kind, double x) { return kind == KIND_SD ? log(x) : kind == KIND_COR ? atanh(x) : x; }
static double from_u(int kind, double u) { return kind == KIND_SD ? exp(u) : kind == KIND_COR ? tanh(u) : u; }

/* The name of profile parameter h for messages (lmm_free it). */
static char *held_name(const lmm_design *d, int nv, int h) {
  return h < nv ? lmm_sdcor_name(d, h) : lmm_mprintf("the fixed effect '%s'", d->xnames[h - nv]);
}

static int bracket_and_solve(profiler *P, int kind, int k2, int nat, int s, double z, double est, double boundary,
                             double *x, double step0, double *bound);

/* The bound on side s (-1, +1) of the profile of P->held: where zeta = s z.  est is the ML estimate, x0 the
 * free parameters at the ML optimum, step0 the first step (on u). */
static int find_bound(profiler *P, int kind, int s, double z, double est, const double *x0, double step0,
                      double *bound) {
  double boundary = kind == KIND_SD ? (s < 0 ? 0 : HUGE_VAL) : kind == KIND_COR ? s : s * HUGE_VAL;
  if (est == boundary) { *bound = est; return 0; }
  int nat = !isfinite(to_u(kind, est));   /* an estimate on the other boundary: search on the value itself */
  int k2 = nat ? KIND_BETA : kind;
  double *x = lmm_malloc_array((size_t)P->nv + 1, sizeof *x);
  if (!x) return P->failed = LMM_NOMEM;
  memcpy(x, x0, sizeof *x * (size_t)P->nv);
  int rc = bracket_and_solve(P, kind, k2, nat, s, z, est, boundary, x, step0, bound);
  lmm_free(x);
  return rc;
}

/* find_bound's search from the free parameters x (its copy, moved along with the held one). */
static int bracket_and_solve(profiler *P, int kind, int k2, int nat, int s, double z, double est, double boundary,
                             double *x, double step0, double *bound) {
  double u_prev = to_u(k2, est), z_prev = 0, u = u_prev + s * step0, target = s * z;
  double xa = est, za = 0, xb = NAN, zb = NAN;   /* the bracket: zeta short of the target at xa, past it at xb */
  for (int it = 0; it < 60 && isnan(xb); it++) {
    double v = from_u(k2, u);
    if (isfinite(boundary) && (s * (v - boundary) >= 0 || (!nat && fabs(u - to_u(k2, est)) > 25))) v = boundary;
    double zt = zeta_at(P, kind, v, est, x);
    if (P->failed) return P->failed;
    if (s * (zt - target) >= 0) { xb = v; zb = zt; break; }
    if (v == boundary) { *bound = boundary; return 0; }   /* zeta does not reach the target before the boundary */
    xa = v;
    za = zt;
    double slope = (zt - z_prev) / (u - u_prev), nu;
    nu = s * slope > 0 ? u + (target - zt) / slope : u + 2 * (u - u_prev);
    if (fabs(nu - u) > 4 * fabs(u - u_prev)) nu = u + 4 * (u - u_prev);
    if (s * (nu - u) <= 0) nu = u + (u - u_prev);
    u_prev = u;
    z_prev = zt;
    u = nu;
  }
  if (isnan(xb)) return P->failed = LMM_NUMERIC;
  /* regula falsi, Illinois, on the value itself */
  int side = 0;
  for (int it = 0; it < 100; it++) {
    double v = xa + (target - za) * (xb - xa) / (zb - za);
    if (!(fabs(xb - xa) > 1e-12 * (fabs(xa) + fabs(xb)) + 1e-300)) {
      /* the bracket closed on a step of zeta across the target, not on a crossing: the other parameters'
       * minimum moved to another optimum there, and the point is no bound.  An error, as no number here can
       * be trusted. */
      if (fabs(zb - za) > 1e-3) {
        char *name = held_name(P->d, P->nv, P->held);
        lmm_fail(P->err, LMM_NUMERIC, "profile: the profile of %s steps from zeta %.4g to %.4g at %.6g, across its bound: "
                 "the fit of the other parameters finds two optima there; use method 'wald' or 'intervals'",
                 name ? name : "a parameter", za, zb, v);
        lmm_free(name);
        return P->failed = LMM_NUMERIC;
      }
      *bound = v;
      return 0;
    }
    double zt = zeta_at(P, kind, v, est, x);
    if (P->failed) return P->failed;
    if (fabs(zt - target) < 1e-7) { *bound = v; return 0; }
    if (s * (zt - target) >= 0) {
      xb = v; zb = zt;
      if (side == 1) za = target + (za - target) / 2;
      side = 1;
    } else {
      xa = v; za = zt;
      if (side == -1) zb = target + (zb - target) / 2;
      side = -1;
    }
  }
  *bound = xa + (target - za) * (xb - xa) / (zb - za);
  return 0;
}

int lmm_confint_profile(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err) {
  const lmm_design *d = m->design;
  if (!d->nre || !m->system)
    return lmm_fail(err, LMM_ERR, "profile: the model has no random effects; method 'wald' gives its exact "
                    "t intervals (R's confint(lm)) and 'intervals' nlme's for gls");
  lmm_fit *ml = m->fit, *own = NULL;
  int rc = LMM_OK, nv = lmm_sdcor_count(d), p = d->p, h = 0;
  if (m->fit->reml) {   /* lme4 profiles the ML deviance, from the ML refit */
    lmm_fit_options o = {.reml = 0, .stop = stop};
    if ((rc = lmm_fit_run(m->system, &o, &own, err))) return rc;
    ml = own;
  }
  profiler P = {.sys = m->system, .d = d, .map = ml->map, .nv = nv, .p = p, .n = (double)d->n, .held = -1,
                .stop = stop, .err = err};
  size_t nb = (size_t)(nv + p);
  P.sc = lmm_malloc_array((size_t)nv * 4, sizeof *P.sc);
  P.theta = lmm_malloc_array((size_t)(ml->ntheta ? ml->ntheta : 1), sizeof *P.theta);
  P.beta = lmm_malloc_array(nb * 4, sizeof *P.beta);   /* beta, vdiag, then the bounds */
  double *hat = lmm_malloc_array((size_t)nv * 2, sizeof *hat), *x = hat ? hat + nv : NULL;
  if (!P.sc || !P.theta || !P.beta || !hat) { rc = LMM_NOMEM; goto done; }
  P.lower = P.sc + nv;
  P.upper = P.lower + nv;
  P.step = P.upper + nv;
  P.vdiag = P.beta + p;
  double *lo = P.beta + nb * 2, *hi = lo + nb;
  lmm_sdcor_from_fit(d, ml, ml->sigma, hat);
  for (int k = 0; k < nv; k++) {
    int cor = lmm_sdcor_is_cor(d, k);
    P.lower[k] = cor ? -1 : k == nv - 1 ? 1e-8 * ml->sigma : 0;
    P.upper[k] = cor ? 1 : HUGE_VAL;
    P.step[k] = cor ? 0.05 : 0.1 * (hat[k] > 0.02 * ml->sigma ? hat[k] : 0.02 * ml->sigma);
  }
  P.dev_min = deviance_sc(&P, hat);
  if (P.failed || !isfinite(P.dev_min)) { rc = P.failed ? P.failed : LMM_NUMERIC; goto done; }
  double z = -qnorm((1 - level) / 2, 0, 1, 1, 0);
  for (h = 0; h < nv + p && !rc; h++) {
    int kind = h >= nv ? KIND_BETA : lmm_sdcor_is_cor(d, h) ? KIND_COR : KIND_SD;
    double est = h >= nv ? ml->beta[h - nv] : hat[h];
    double step0 = kind == KIND_BETA ? z * ml->se[h - nv] : !isfinite(to_u(kind, est)) ? (kind == KIND_COR ? 0.2 : P.step[h]) : 0.3;
    for (int k = 0, i = 0; k < nv; k++)
      if (k != h) x[i++] = hat[k];
    P.held = h;
    rc = find_bound(&P, kind, -1, z, est, x, step0, &lo[h]);
    if (!rc) rc = find_bound(&P, kind, 1, z, est, x, step0, &hi[h]);
  }
  if (rc) { h--; goto done; }
  /* the rows: fixed effects, then the variance parameters, with the model's own estimates */
  lmm_sdcor_from_fit(d, m->fit, lmm_model_sigma(m), hat);
  for (int j = 0; j < p && !rc; j++)
    if (lmm_ci_add(out, "fixed", NULL, d->xnames[j], lo[nv + j], m->fit->beta[j], hi[nv + j])) rc = LMM_NOMEM;
  for (int k = 0; k < nv && !rc; k++)
    if (lmm_sdcor_add_row(d, k, lo[k], hat[k], hi[k], out)) rc = LMM_NOMEM;
done:
  lmm_free(P.sc);
  lmm_free(P.theta);
  lmm_free(P.beta);
  lmm_free(hat);
  lmm_fit_free(own);
  if (!rc) return LMM_OK;
  if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
  if (rc == LMM_NOMEM) return lmm_nomem(err);
  if (err->code) return err->code;
  char *name = held_name(d, nv, h);
  rc = lmm_fail(err, LMM_NUMERIC, "profile: the profile of %s did not reach its bound; use method 'wald' or "
                "'intervals'", name ? name : "a parameter");
  lmm_free(name);
  return rc;
}
