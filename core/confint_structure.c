/* confint_structure.c — the variance rows of nlme's intervals() of a model with a residual structure (weights=,
 * correlation=; structure.h), as intervals.lme and intervals.gls give them from the model's apVar (hessian.h).
 *
 * The parameters are nlme's: the random effects' log sds and log((1+r)/(1-r)) (pdNatural), the structure's
 * estimated parameters unconstrained (coef(<struct>)), log sigma.  The log-likelihood at them, sigma not
 * profiled, is that of the rows whitened at the structure's parameters (structure.h):
 *
 *   -2 log L = c(u) + ldet(theta) + nr log(2 pi sigma^2) + pwrss(theta) / sigma^2,
 *
 * ldet and pwrss those of the whitened rows' system at theta (fit.h's lmm_fit_parts_at; 0 and the residual sum of
 * squares without random effects), c(u) the rest: the whitening's log-determinant, and under REML without random
 * effects log|X'V^-1 X|.  Each new u refits the structure at the saved theta and u (lmm_structure_hold, then
 * lmm_structure_fit), whose criterion less its ldet and profiled sigma terms is c(u); the last u's system is kept,
 * so the Hessian's points that move only theta and sigma reuse it.  A structure parameter's interval is nlme's:
 * its bounds on the unconstrained scale mapped by coef(unconstrained = FALSE), all lower bounds at once, then all
 * upper bounds (lmm_structure_at). */
#include "confint.h"
#include "alloc.h"
#include "hessian.h"
#include "profile.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <math.h>
#include <string.h>

typedef struct struct_ctx {
  lmm_model *m;
  lmm_stop *stop;
  int nsc;              /* lmm_sdcor_count: the random effects' sds and correlations, then sigma */
  int nu, nfree;        /* the structure's parameters, and those estimated (free_at[i]: parameter of x's i-th) */
  int *free_at;
  const double *u0;     /* the fit's (all nu) */
  double *u, *ucache, *sc, *theta;
  double nr;            /* n, or n - p under REML */
  int cached;           /* sys, fit and c are those of ucache */
  lmm_system *sys;
  lmm_fit *fit;
  double c;
} struct_ctx;

/* The structure fitted at the saved theta and c->u: c->sys, c->fit and c(u) kept. */
static int refit(struct_ctx *c, lmm_error *err) {
  lmm_model *m = c->m;
  lmm_system_free(c->sys);
  lmm_fit_free(c->fit);
  c->sys = NULL;
  c->fit = NULL;
  c->cached = 0;
  double none = 0;   /* a theta of none is still given: NULL would optimize */
  lmm_fit_options opt = {.reml = m->fit->reml, .stop = c->stop, .theta = m->fit->ntheta ? m->fit->theta : &none,
                         .ntheta = m->fit->ntheta};
  int rc = lmm_structure_hold(m->structure, c->u, c->nu, err);
  if (!rc) rc = lmm_structure_fit(m->structure, m->design, lmm_df_method(m->design, m->style, m->options.df), &opt,
                                  &c->sys, &c->fit, err);
  if (rc) return rc;
  double ldet = 0, pwrss = c->fit->pwrss;
  if (m->design->nre) {
    lmm_fit_parts parts = {0};
    if ((rc = lmm_fit_parts_at(c->sys, m->fit->theta, m->fit->reml, c->stop, &parts, err))) return rc;
    ldet = parts.ldet;
    pwrss = parts.pwrss;
  }
  c->c = c->fit->objective - ldet - c->nr * (1 + log(2 * M_PI * pwrss / c->nr));
  memcpy(c->ucache, c->u, sizeof *c->u * (size_t)c->nu);
  c->cached = 1;
  return LMM_OK;
}

/* x: the random effects' natural parameters (nsc - 1), the free structure parameters (nfree), log sigma. */
static double struct_loglik(void *ctx, const double *x, lmm_error *err) {
  struct_ctx *c = ctx;
  const lmm_design *d = c->m->design;
  int nre = c->nsc - 1;
  memcpy(c->u, c->u0, sizeof *c->u * (size_t)c->nu);
  for (int i = 0; i < c->nfree; i++) c->u[c->free_at[i]] = x[nre + i];
  if (!c->cached || memcmp(c->u, c->ucache, sizeof *c->u * (size_t)c->nu)) {
    lmm_error e = {0};
    int rc = refit(c, &e);
    if (rc == LMM_INTERRUPTED || rc == LMM_NOMEM) *err = e;
    if (rc) return NAN;
  }
  double sigma = exp(x[nre + c->nfree]), ldet = 0, pwrss = c->fit->pwrss;
  if (d->nre) {
    for (int k = 0; k < nre; k++) {
      double e = exp(x[k]);
      c->sc[k] = lmm_sdcor_is_cor(d, k) ? (e - 1) / (e + 1) : e;
    }
    c->sc[nre] = sigma;
    if (lmm_sdcor_to_theta(d, c->fit->map, c->sc, c->theta)) return NAN;
    lmm_fit_parts parts = {0};
    lmm_error e = {0};
    int rc = lmm_fit_parts_at(c->sys, c->theta, c->m->fit->reml, c->stop, &parts, &e);
    if (rc == LMM_INTERRUPTED || rc == LMM_NOMEM) *err = e;
    if (rc) return NAN;
    ldet = parts.ldet;
    pwrss = parts.pwrss;
  }
  return -(c->c + ldet + c->nr * log(2 * M_PI * sigma * sigma) + pwrss / (sigma * sigma)) / 2;
}

/* The rows from V = apVar at x0: the random effects', the structure's estimated parameters', sigma's. */
static int add_rows(struct_ctx *c, const double *x0, const double *sc0, const double *V, int n, double level,
                    lmm_ci_rows *out, lmm_error *err) {
  const lmm_design *d = c->m->design;
  const lmm_fit *f = c->m->fit;
  int nre = c->nsc - 1, nu = c->nu;
  double z = -qnorm((1 - level) / 2, 0, 1, 1, 0);
  for (int k = 0; k < nre; k++) {
    double half = z * sqrt(V[k + (size_t)k * n]), lo = x0[k] - half, hi = x0[k] + half;
    int cor = lmm_sdcor_is_cor(d, k);
    lo = cor ? (exp(lo) - 1) / (exp(lo) + 1) : exp(lo);
    hi = cor ? (exp(hi) - 1) / (exp(hi) + 1) : exp(hi);
    if (lmm_sdcor_add_row(d, k, lo, sc0[k], hi, out)) return lmm_nomem(err);
  }
  double *ub = lmm_malloc_array((size_t)(4 * nu + 1), sizeof *ub), *lb = ub + nu, *nat_lo = lb + nu, *nat_hi = nat_lo + nu;
  int *fixed = lmm_malloc_array((size_t)(nu + 1), sizeof *fixed);
  if (!ub || !fixed) { lmm_free(ub); lmm_free(fixed); return lmm_nomem(err); }
  memcpy(lb, c->u0, sizeof *lb * (size_t)nu);
  memcpy(ub, c->u0, sizeof *ub * (size_t)nu);
  for (int i = 0; i < c->nfree; i++) {
    int k = nre + i;
    double half = z * sqrt(V[k + (size_t)k * n]);
    lb[c->free_at[i]] = x0[k] - half;
    ub[c->free_at[i]] = x0[k] + half;
  }
  lmm_structure_at(c->m->structure, lb, nat_lo, fixed);
  lmm_structure_at(c->m->structure, ub, nat_hi, fixed);
  int rc = LMM_OK;
  for (int k = 0; k < nu && !rc; k++)
    if (!fixed[k] && lmm_ci_add(out, "ran_pars", "Residual", f->struct_names[k], nat_lo[k], f->struct_est[k], nat_hi[k]))
      rc = lmm_nomem(err);
  lmm_free(ub);
  lmm_free(fixed);
  if (rc) return rc;
  int k = nre + c->nfree;
  double half = z * sqrt(V[k + (size_t)k * n]);
  return lmm_ci_add(out, "ran_pars", "Residual", "sd__Observation", exp(x0[k] - half), sc0[nre], exp(x0[k] + half))
             ? lmm_nomem(err) : LMM_OK;
}

int lmm_confint_structure_rows(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err) {
  const lmm_design *d = m->design;
  const double *saved = NULL;
  int nu = lmm_structure_params(m->structure, &saved), nsc = lmm_sdcor_count(d), rc = LMM_OK;
  struct_ctx c = {.m = m, .stop = stop, .nsc = nsc, .nu = nu,
                  .nr = m->fit->reml ? (double)d->n - d->p : (double)d->n};
  for (int k = 0; k < nu; k++)
    if (!strncmp(m->fit->struct_names[k], "corSymm__", 9))
      return lmm_fail(err, LMM_ERR, "intervals: nlme's intervals of corSymm's correlations (on its natural scale) are "
                      "not done yet; use method 'wald' for the fixed effects");
  int n = nsc + nu;   /* at most: the fixed= parameters are left out */
  double *u0 = lmm_malloc_array((size_t)(3 * nu + 1), sizeof *u0), *nat = NULL;
  double *x0 = lmm_malloc_array((size_t)(2 * n + nsc), sizeof *x0), *sc0 = x0 ? x0 + n : NULL, *V = NULL;
  int *fixed = lmm_malloc_array((size_t)(2 * nu + 1), sizeof *fixed);
  c.theta = lmm_malloc_array((size_t)(m->fit->ntheta ? m->fit->ntheta : 1), sizeof *c.theta);
  if (!u0 || !x0 || !fixed || !c.theta) { rc = lmm_nomem(err); goto done; }
  memcpy(u0, saved, sizeof *u0 * (size_t)nu);   /* the structure's own are replaced as it is refitted */
  c.u0 = u0;
  c.u = u0 + nu;
  c.ucache = c.u + nu;
  c.sc = sc0 + nsc;
  c.free_at = fixed + nu;
  if (!(nat = lmm_malloc_array((size_t)(nu + 1), sizeof *nat))) { rc = lmm_nomem(err); goto done; }
  if (lmm_structure_at(m->structure, u0, nat, fixed)) {
    rc = lmm_fail(err, LMM_ERR, "intervals: the variance function is of the fitted values, which nlme holds at the "
                  "fit's in its approximate covariance and lmm settles again at each parameter; not done yet: use "
                  "method 'wald' for the fixed effects");
    goto done;
  }
  for (int k = 0; k < nu; k++) if (!fixed[k]) c.free_at[c.nfree++] = k;
  if (!d->nre && !c.nfree) {   /* no apVar (nlme's glsApVar has no parameters): sigma by chi-square */
    rc = lmm_confint_sigma_rows(m, level, out, err);
    goto done;
  }
  lmm_sdcor_from_fit(d, m->fit, lmm_model_sigma(m), sc0);
  n = nsc + c.nfree;
  for (int k = 0; k < nsc - 1; k++) {
    double v = sc0[k];
    x0[k] = lmm_sdcor_is_cor(d, k) ? log((1 + v) / (1 - v)) : log(v);
    if (!isfinite(x0[k])) {
      char *name = lmm_sdcor_name(d, k);
      rc = lmm_fail(err, LMM_ERR, "intervals: %s is on its boundary (%s %.6g), where nlme's approximate covariance "
                    "of the variance parameters does not exist; use method 'wald'", name ? name : "a variance "
                    "parameter", lmm_sdcor_is_cor(d, k) ? "correlation" : "sd", v);
      lmm_free(name);
      goto done;
    }
  }
  for (int i = 0; i < c.nfree; i++) x0[nsc - 1 + i] = u0[c.free_at[i]];
  x0[n - 1] = log(sc0[nsc - 1]);
  if (!(V = lmm_malloc_array((size_t)n * (size_t)n, sizeof *V))) { rc = lmm_nomem(err); goto done; }
  rc = lmm_apvar(struct_loglik, &c, x0, n, stop, "use method 'wald'", V, err);
  if (!rc) rc = add_rows(&c, x0, sc0, V, n, level, out, err);
done:
  if (u0) {   /* the structure at the fit's parameters again */
    lmm_error e = {0};
    if (lmm_structure_hold(m->structure, u0, nu, &e) && !rc) { *err = e; rc = e.code; }
  }
  lmm_system_free(c.sys);
  lmm_fit_free(c.fit);
  lmm_free(u0);
  lmm_free(nat);
  lmm_free(x0);
  lmm_free(V);
  lmm_free(fixed);
  lmm_free(c.theta);
  return rc;
}
