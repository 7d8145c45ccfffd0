/* structure.c — nlme's residual structures bound to the rows and fitted by prewhitening (see structure.h;
 * structure_parse.c reads the calls). */
#include "structure_parts.h"
#include "accumulate.h"
#include "code_sort.h"
#include "structure_sums.h"
#include "alloc.h"
#include "inference.h"
#include "ols.h"
#include "residuals.h"

#include <float.h>
#include <stdio.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

/* ---- bound to the rows ----------------------------------------------------------------------------------- */

int lmm_innermost_term(const lmm_design *d) {
  int best = -1;
  for (int t = 0; t < d->nre; t++)
    if (best < 0 || d->re[t].nvars > d->re[best].nvars ||
        (d->re[t].nvars == d->re[best].nvars && d->re[t].nlevels > d->re[best].nlevels))
      best = t;
  return best;
}

/* nlme's order of the rows, in which varIdent's strata appear: sorted by the grouping factors outer to inner
 * (lme), or by the correlation's groups (gls), stable; else the table's. */
static int nlme_order(const lmm_design *d, const int *gcode, int ngcode, size_t *order, lmm_error *err) {
  int n = 0, t = lmm_innermost_term(d), nlevels[LMM_MAX_VARS];
  const int *key[LMM_MAX_VARS];
  if (t >= 0)
    for (int i = 0; i < d->re[t].nvars; i++, n++) {
      key[n] = d->frame->vars[d->re[t].vars[i]].code;
      nlevels[n] = d->frame->vars[d->re[t].vars[i]].nlevels;
    }
  else if (gcode) {
    key[n] = gcode;
    nlevels[n++] = ngcode;
  }
  for (int i = 0; i < n; i++)
    if (!key[i]) return lmm_fail(err, LMM_ERR, "the grouping factor '%s' has no levels", d->re[t].grp);
  if (!n)
    for (size_t r = 0; r < d->n; r++) order[r] = r;
  size_t *prev = n > 1 ? lmm_malloc_array(d->n ? d->n : 1, sizeof *prev) : NULL;
  if (n > 1 && !prev) return lmm_nomem(err);
  int rc = LMM_OK;
  for (int i = n - 1; i >= 0 && !rc; i--) {   /* the innermost key first: each later sort keeps the ties' order */
    if (i < n - 1) memcpy(prev, order, sizeof *prev * d->n);
    rc = lmm_code_sort(key[i], nlevels[i], i < n - 1 ? prev : NULL, d->n, order);
  }
  lmm_free(prev);
  return rc ? lmm_nomem(err) : LMM_OK;
}

/* Each correlation group within one level of every random-effects grouping (nlme's requirement). */
static int check_nested(const lmm_corstruct *c, const lmm_design *d, const char *gname, lmm_error *err) {
  for (int t = 0; t < d->nre; t++)
    for (size_t g = 0; g < c->ngroups; g++)
      for (size_t k = c->start[g] + 1; k < c->start[g + 1]; k++)
        if (d->re[t].g[c->rows[k]] != d->re[t].g[c->rows[c->start[g]]])
          return lmm_fail(err, LMM_ERR, "correlation: the groups of '%s' cross the random effects' grouping '%s' (rows "
                          "%lld and %lld share a group of '%s' but not of '%s'); the correlation's groups must lie "
                          "within the random effects' groups, as nlme requires", gname, d->re[t].grp,
                          (long long)d->frame->row[c->rows[c->start[g]]], (long long)d->frame->row[c->rows[k]],
                          gname, d->re[t].grp);
  return LMM_OK;
}

static int bind(lmm_structure *st, const lmm_design *d, lmm_error *err) {
  const int *gcode = NULL;
  int ngcode = 0, rc = LMM_OK;
  const char *gname = "the data";
  for (int i = 0; i < st->nvf; i++) lmm_varfunc_unbind(&st->vf[i]);   /* fitted again: bound again */
  if (st->has_cor) lmm_corstruct_clear(&st->cor);
  lmm_free(st->fitted);
  st->fitted = NULL;
  if (st->has_cor) {
    lmm_corstruct *c = &st->cor;
    int t = lmm_innermost_term(d);
    if (c->group >= 0) {
      const lmm_frame_var *fv = &d->frame->vars[c->group];
      gcode = fv->code;
      ngcode = fv->nlevels;
      gname = d->frame->f->vars[c->group].label;
    } else if (t >= 0) {
      gcode = d->re[t].g;
      ngcode = d->re[t].nlevels;
      gname = d->re[t].grp;
    }
    if ((rc = lmm_corstruct_bind(c, d, gcode, ngcode, gname, err))) return rc;
    if ((rc = check_nested(c, d, gname, err))) return rc;
  }
  int strata = 0;   /* nlme's order only places the strata of a variance function */
  for (int i = 0; i < st->nvf; i++) strata |= st->vf[i].strata >= 0;
  size_t *order = strata ? lmm_malloc_array(d->n ? d->n : 1, sizeof *order) : NULL;
  if (strata && !order) return lmm_nomem(err);
  if (strata) rc = nlme_order(d, st->has_cor && st->cor.group >= 0 ? gcode : NULL, ngcode, order, err);
  if (!rc && st->uses_fitted && !(st->fitted = lmm_malloc_array(d->n ? d->n : 1, sizeof *st->fitted))) rc = lmm_nomem(err);
  for (size_t r = 0; !rc && st->uses_fitted && r < d->n; r++) st->fitted[r] = 1;   /* no weight at nlme's start, power 0 */
  for (int i = 0; i < st->nvf && !rc; i++) rc = lmm_varfunc_bind(&st->vf[i], d, order, st->fitted, err);
  lmm_free(order);
  return rc;
}

/* ---- the fit ------------------------------------------------------------------------------------------------ */

typedef struct eval_ctx {
  lmm_structure *st;
  const lmm_design *d;
  lmm_design wd;          /* the design with the whitened rows */
  const lmm_fit_options *opt;
  size_t n;
  int m;                  /* columns of [X Z y] */
  double *raw, *white, *sd, *work;
  double **rows_z;        /* nre: wd's white_z, each term's columns in raw or white */
  int npar, nfree;
  double *u;              /* npar: every parameter (the fixed ones at their values) */
  int *free_at;           /* nfree: the optimizer's parameter i is u[free_at[i]] */
  int evaluations;
  int rc;                 /* an error that ends the fit (interrupted, out of memory, bad data) */
  lmm_error *err;
  nlopt_opt nlopt;
  lmm_struct_sums *sums;  /* the one-pass path's sums (structure_sums.h), NULL where the rows are whitened anew */
  lmm_system *sys;        /* the last kept evaluation's */
  lmm_fit *fit;
} eval_ctx;

/* The whitened design wd reads its rows [X Z y] from rows (raw or white). */
static void point_rows(eval_ctx *c, double *rows) {
  size_t n = c->n, col = (size_t)c->d->p;
  for (int t = 0; t < c->d->nre; t++) {
    c->rows_z[t] = rows + col * n;
    col += (size_t)c->d->re[t].q;
  }
  c->wd.white_x = rows;
  c->wd.white_z = c->rows_z;
  c->wd.y = rows + col * n;
}

/* The rows whitened at c->u, for wd to read: white, or raw itself where the structure leaves them as they are
 * (every SD factor 1 and no correlation: nlme's start), *logdet = log|S R S|. */
static int whiten(eval_ctx *c, double *logdet) {
  const lmm_structure *st = c->st;
  size_t n = c->n;
  for (size_t r = 0; r < n; r++) c->sd[r] = 1;
  const double *u = c->u;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_sd(&st->vf[i], u, n, c->sd);
    u += st->vf[i].npar;
  }
  int unit = 1;
  for (size_t r = 0; r < n; r++) {
    if (!(c->sd[r] > 0 && isfinite(c->sd[r]))) return LMM_NUMERIC;
    unit &= c->sd[r] == 1;
  }
  point_rows(c, unit && (!st->has_cor || lmm_corstruct_uncorrelated(&st->cor, u)) ? c->raw : c->white);
  if (c->wd.white_x == c->raw) {
    *logdet = 0;
    return LMM_OK;
  }
  if (st->has_cor) return lmm_corstruct_whiten(&st->cor, u, c->sd, c->raw, c->white, n, c->m, logdet, c->work);
  double ld = 0;
  for (size_t r = 0; r < n; r++) ld += 2 * log(c->sd[r]);
  for (int a = 0; a < c->m; a++)
    for (size_t r = 0; r < n; r++) c->white[r + (size_t)a * n] = c->raw[r + (size_t)a * n] / c->sd[r];
  *logdet = ld;
  return LMM_OK;
}

/* The criterion (-2 logLik, or REML's) at the parameters c->u; keep: the fit and system stay in c. */
static double evaluate(eval_ctx *c, int keep) {
  double logdet = 0;
  int rc = whiten(c, &logdet);
  if (rc == LMM_NOMEM) { c->rc = lmm_nomem(c->err); return HUGE_VAL; }
  if (rc) return HUGE_VAL;
  lmm_system *sys = NULL;
  lmm_fit *fit = NULL;
  lmm_error e = {0};
  lmm_fit_options o = {.reml = c->opt->reml, .stop = c->opt->stop, .theta = c->opt->theta, .ntheta = c->opt->ntheta};
  if (c->d->nre == 0) rc = lmm_fit_ols(&c->wd, o.reml, o.stop, &fit, &e);
  else if (!(rc = lmm_system_new(&c->wd, o.stop, &sys, &e))) rc = lmm_fit_run(sys, &o, &fit, &e);
  double crit = HUGE_VAL;
  if (!rc) {
    c->evaluations += fit->evaluations ? fit->evaluations : 1;
    fit->objective += logdet;
    fit->logLik = -fit->objective / 2;
    crit = fit->objective;
  } else if (rc != LMM_NUMERIC || keep) {
    c->rc = rc;
    *c->err = e;
  }
  if (keep && !rc) {
    lmm_system_free(c->sys);
    lmm_fit_free(c->fit);
    c->sys = sys;
    c->fit = fit;
  } else {
    lmm_system_free(sys);
    lmm_fit_free(fit);
  }
  return isfinite(crit) ? crit : HUGE_VAL;
}

static double objective(unsigned nf, const double *x, double *grad, void *data) {
  (void)grad;
  eval_ctx *c = data;
  for (unsigned i = 0; i < nf; i++) c->u[c->free_at[i]] = x[i];
  double v = c->rc ? HUGE_VAL : evaluate(c, 0);
  if (c->rc) nlopt_force_stop(c->nlopt);
  return v;
}

/* raw = [X Z y] of the design, scaled as the design gives them (y unscaled, as lmm_design.y) */
static int raw_rows(eval_ctx *c, lmm_error *err) {
  const lmm_design *d = c->d;
  size_t n = c->n;
  int rc = lmm_design_dense_x_into(d, c->opt->stop, c->raw, err);
  if (rc) return rc;
  size_t col = (size_t)d->p;
  for (int t = 0; t < d->nre; t++)
    for (int a = 0; a < d->re[t].q; a++, col++) lmm_design_z_rows(d, t, a, NULL, 0, (int)n, c->raw + col * n);
  memcpy(c->raw + col * n, d->y, sizeof *d->y * n);
  c->wd = *d;
  point_rows(c, c->white);
  return LMM_OK;
}

static int optimize(eval_ctx *c, double *fmin_out, lmm_error *err) {
  double *x = lmm_malloc(sizeof *x * (size_t)(c->nfree ? 3 * c->nfree : 1)), fmin = 0;
  if (!x) return lmm_nomem(err);
  double *lo = x + c->nfree, *hi = lo + c->nfree;
  for (int i = 0; i < c->nfree; i++) {
    x[i] = c->u[c->free_at[i]];
    lo[i] = x[i] - 40;
    hi[i] = x[i] + 40;
  }
  nlopt_opt o = c->nlopt = nlopt_create(NLOPT_LN_BOBYQA, (unsigned)c->nfree);
  if (!o) { lmm_free(x); return lmm_nomem(err); }
  nlopt_set_lower_bounds(o, lo);
  nlopt_set_upper_bounds(o, hi);
  nlopt_set_min_objective(o, objective, c);
  nlopt_set_ftol_abs(o, 1e-10);
  nlopt_set_xtol_abs1(o, 1e-9);
  nlopt_set_maxeval(o, 400 * c->nfree + 400);
  nlopt_set_initial_step1(o, 0.3);
  nlopt_result r = nlopt_optimize(o, x, &fmin);
  nlopt_destroy(o);
  c->nlopt = NULL;
  for (int i = 0; i < c->nfree; i++) c->u[c->free_at[i]] = x[i];
  lmm_free(x);
  *fmin_out = fmin;
  if (c->rc) return c->rc;
  if (lmm_stop_asked(c->opt->stop)) return lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  if (r < 0 && r != NLOPT_ROUNDOFF_LIMITED)
    return lmm_fail(err, LMM_NUMERIC, "the fit of the residual structure failed: the optimizer stopped (%d)", (int)r);
  return LMM_OK;
}

/* BOBYQA restarted from where it stopped, with its first trust region again, while that gains; *best the
 * criterion where it ends. */
static int optimize_restarted(eval_ctx *c, double *best, lmm_error *err) {
  int rc;
  double now = 0;
  for (*best = HUGE_VAL; (rc = optimize(c, &now, err)) == LMM_OK && now < *best - 1e-7;) *best = now;
  if (now < *best) *best = now;
  return rc;
}

/* The optimum from the start, and for a spatial correlation (whose likelihood has ridges and local optima
 * along the range: Wheat2's corSpher and corLin stop short from nlme's own start, corLin's best optimum lies
 * beyond twice it) also from a third, twice and thirty times the start's range, the best kept. */
static int optimize_from_starts(eval_ctx *c, lmm_error *err) {
  double best, now, *start = lmm_malloc(sizeof *start * (size_t)c->npar * 2), *best_u = start + c->npar;
  if (!start) return lmm_nomem(err);
  memcpy(start, c->u, sizeof *start * (size_t)c->npar);
  int rc = optimize_restarted(c, &best, err), range = c->npar - c->st->cor.npar;
  memcpy(best_u, c->u, sizeof *best_u * (size_t)c->npar);
  static const double scale[] = {1.0 / 3, 2, 30};
  for (int k = 0; k < 3 && !rc && c->st->has_cor && c->st->cor.kind >= LMM_COR_EXP && !c->st->cor.fixed; k++) {
    memcpy(c->u, start, sizeof *start * (size_t)c->npar);
    c->u[range] += log(scale[k]);
    if (!(rc = optimize_restarted(c, &now, err)) && now < best) {
      best = now;
      memcpy(best_u, c->u, sizeof *best_u * (size_t)c->npar);
    }
  }
  memcpy(c->u, best_u, sizeof *best_u * (size_t)c->npar);
  lmm_free(start);
  return rc;
}

/* ---- one optimizer over theta and the structure's parameters ---------------------------------------------- */

/* A at the free parameters uf (fit.h's refill): the rows whitened anew and accumulated by the system's basis. */
static int fill_whitened(void *ctx, lmm_system *s, const double *uf, lmm_stop *stop, double *logdet) {
  eval_ctx *c = ctx;
  for (int i = 0; i < c->nfree; i++) c->u[c->free_at[i]] = uf[i];
  int rc = whiten(c, logdet);
  return rc ? rc : lmm_system_refill(s, &c->wd, stop);
}

/* A at the free parameters uf (fit.h's refill) from the sums accumulated once. */
static int fill_summed(void *ctx, lmm_system *s, const double *uf, lmm_stop *stop, double *logdet) {
  (void)stop;
  eval_ctx *c = ctx;
  for (int i = 0; i < c->nfree; i++) c->u[c->free_at[i]] = uf[i];
  return lmm_struct_sums_fill(c->sums, s, c->u, logdet);
}

/* Whether theta (none without random effects: gls) and the structure's parameters are fitted by one optimizer: a
 * structure that depends on the fit only through its parameters, and a likelihood without the spatial ridges that
 * optimize_from_starts searches from several starts. */
static int fits_jointly(const eval_ctx *c) {
  const lmm_structure *st = c->st;
  return c->nfree && !st->uses_fitted && !(st->has_cor && st->cor.kind >= LMM_COR_EXP);
}

/* The system of the joint optimizer: the rows whitened at the start c->u, θ's map with the free parameters added
 * at it, and its refill: from the one-pass sums where the structure has them (summed), else from the rows whitened
 * anew.  A is at the start. */
static int joint_system(eval_ctx *c, int summed, lmm_system **out, lmm_error *err) {
  lmm_system *sys = NULL;
  double logdet = 0, *start = lmm_malloc_array((size_t)(c->nfree ? c->nfree : 1), sizeof *start);
  if (!start) return lmm_nomem(err);
  for (int i = 0; i < c->nfree; i++) start[i] = c->u[c->free_at[i]];
  int rc = whiten(c, &logdet);
  if (rc == LMM_NOMEM) rc = lmm_nomem(err);
  else if (rc) rc = lmm_fail(err, LMM_NUMERIC, "the residual structure's start gives no fit: its covariance is not positive definite");
  if (!rc) rc = lmm_system_new(&c->wd, c->opt->stop, &sys, err);
  if (!rc) rc = lmm_theta_add_struct(sys->theta, c->nfree, start, err);
  if (!rc && summed) rc = lmm_struct_sums_new(c->st, sys, &c->wd, c->raw, c->white, c->n, c->m, c->opt->stop, &c->sums, err);
  if (!rc && c->sums && lmm_struct_sums_fill(c->sums, sys, c->u, &logdet))   /* A at the start again */
    rc = lmm_fail(err, LMM_NUMERIC, "the residual structure's start gives no fit: its covariance is not positive definite");
  if (!rc) {
    sys->refill = c->sums ? fill_summed : fill_whitened;
    sys->refill_ctx = c;
  }
  lmm_free(start);
  if (rc) lmm_system_free(sys);
  else *out = sys;
  return rc;
}

/* The optimum of theta and the free parameters together: fit.h's optimizer over the map with the structure's
 * parameters added, each evaluation refilling A for them (blocks.h's refill); then the fit at that optimum from
 * the rows whitened there, kept in c as evaluate keeps it. */
static int fit_jointly(eval_ctx *c, lmm_error *err) {
  lmm_system *sys = NULL;
  lmm_fit *joint = NULL;
  int rc = joint_system(c, 1, &sys, err);
  /* restarted from where it stopped, while that gains (a structure's parameter near where its likelihood flattens,
     as corCompSymm's Rho at its bound, stops BOBYQA short), with a tenth of its first trust region (the whole
     one walks away from the optimum it starts at and back); only the restarts are polished, the first run's
     polish being what the restart does again.  The first run stops where BOBYQA's steps change the criterion by
     1e-10 relative (fit.c's loose stop), so a restart that gains less than ten times that found no stall: an
     absolute 1e-7 alone is rounding on a criterion of millions and took a third run */
  for (double best = HUGE_VAL; !rc;) {
    lmm_fit *next = NULL;
    lmm_fit_options o = {.reml = c->opt->reml, .stop = c->opt->stop, .start = joint ? joint->theta : NULL,
                         .restep = 0.1, .unpolished = !joint};
    if ((rc = lmm_fit_run(sys, &o, &next, err))) break;
    c->evaluations += next->evaluations;
    int gained = !joint || next->objective < best - fmax(1e-7, 1e-9 * fabs(best));
    if (next->objective < best) {
      best = next->objective;
      lmm_fit_free(joint);
      joint = next;
    } else lmm_fit_free(next);
    if (!gained) break;
  }
  if (!rc) {
    int ncov = sys->theta->ncov;
    for (int i = 0; i < c->nfree; i++) c->u[c->free_at[i]] = joint->theta[ncov + i];
    lmm_fit_options at = {.reml = c->opt->reml, .stop = c->opt->stop, .theta = joint->theta, .ntheta = ncov};
    const lmm_fit_options *keep = c->opt;
    c->opt = &at;
    if (!isfinite(evaluate(c, 1)) && !c->rc)
      rc = lmm_fail(err, LMM_NUMERIC, "the fit of the residual structure failed at its optimum");
    c->opt = keep;
    if (!rc) rc = c->rc;
  }
  if (!rc) {
    c->fit->converged = joint->converged;
    c->fit->singular = joint->singular;
  }
  lmm_system_free(sys);
  lmm_fit_free(joint);
  lmm_struct_sums_free(c->sums);
  c->sums = NULL;
  return rc;
}

/* The fitted values (lme's innermost level) of the fit kept in c, into the structure's fitted. */
static int update_fitted(eval_ctx *c, double *fixed, lmm_error *err) {
  lmm_ranef *r = NULL;
  int rc = c->d->nre ? lmm_ranef_compute(c->d, c->sys, c->fit, 0, c->opt->stop, &r, err) : LMM_OK;
  if (!rc && (rc = lmm_fitted(c->d, c->fit, r, fixed, c->st->fitted, c->opt->stop)))
    rc = lmm_fail(err, rc, "interrupted");
  lmm_ranef_free(r);
  return rc;
}

/* The optimum, kept in c.  With a variance of the fitted values, nlme's alternation: the parameters optimized
 * with the fitted values held, the fitted values recomputed, until no parameter moves by more than 1e-6
 * relative; its fixed point is nlme's result. */
static int fit_parameters(eval_ctx *c, lmm_error *err) {
  double *prev = lmm_malloc(sizeof *prev * (size_t)(c->npar + c->n));
  if (!prev) return lmm_nomem(err);
  int rc = LMM_OK, moved = 1;
  for (int it = 0; !rc && moved && it < 200; it++) {
    if (c->st->uses_fitted && (rc = update_fitted(c, prev + c->npar, err))) break;
    memcpy(prev, c->u, sizeof *prev * (size_t)c->npar);
    if (c->nfree && (rc = optimize_from_starts(c, err))) break;
    if (!isfinite(evaluate(c, 1)) && !c->rc)
      rc = lmm_fail(err, LMM_NUMERIC, "the fit of the residual structure failed at its optimum");
    if (!rc) rc = c->rc;
    moved = 0;
    for (int k = 0; k < c->npar && c->st->uses_fitted; k++)
      if (fabs(c->u[k] - prev[k]) > 1e-6 * fmax(fabs(prev[k]), 1e-3)) moved = 1;
  }
  lmm_free(prev);
  return rc;
}

/* With a variance of the fitted values, the fit at the parameters c->u is taken where the fitted values it
 * weights by are its own, to 1e-10 relative: a point the parameters (and theta) fix, which a saved model
 * evaluated again reaches from its own start. */
static int settle_fitted(eval_ctx *c, lmm_error *err) {
  size_t n = c->n;
  double *prev = lmm_malloc_array(lmm_size_mul(n ? n : 1, 2), sizeof *prev), *fixed = prev + (n ? n : 1);
  if (!prev) return lmm_nomem(err);
  int rc = LMM_OK;
  for (int it = 0; !rc && it < 100; it++) {
    memcpy(prev, c->st->fitted, sizeof *prev * n);
    if ((rc = update_fitted(c, fixed, err))) break;
    double change = 0, scale = 0;
    for (size_t r = 0; r < n; r++) {
      change = fmax(change, fabs(c->st->fitted[r] - prev[r]));
      scale = fmax(scale, fabs(c->st->fitted[r]));
    }
    if (!isfinite(evaluate(c, 1)) && !c->rc)
      rc = lmm_fail(err, LMM_NUMERIC, "the fit of the residual structure failed at its optimum");
    if (!rc) rc = c->rc;
    if (change <= 1e-10 * scale) break;
  }
  lmm_free(prev);
  return rc;
}

/* The parameters: their starts, which are free, their names and reported values on the fit. */
static int parameters(eval_ctx *c, lmm_error *err) {
  lmm_structure *st = c->st;
  int np = 0, nf = 0;
  for (int i = 0; i < st->nvf; i++) np += st->vf[i].npar;
  if (st->has_cor) np += st->cor.npar;
  c->npar = np;
  c->u = lmm_calloc((size_t)(np ? np : 1), sizeof *c->u);
  c->free_at = lmm_calloc((size_t)(np ? np : 1), sizeof *c->free_at);
  if (!c->u || !c->free_at) return lmm_nomem(err);
  int k = 0;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_start(&st->vf[i], c->u + k);
    for (int j = 0; j < st->vf[i].npar; j++, k++) if (!st->vf[i].fixed) c->free_at[nf++] = k;
  }
  if (st->has_cor) {
    lmm_corstruct_start(&st->cor, c->u + k);
    for (int j = 0; j < st->cor.npar; j++, k++) if (!st->cor.fixed) c->free_at[nf++] = k;
  }
  c->nfree = nf;
  return LMM_OK;
}

static int report(eval_ctx *c, lmm_fit *f, lmm_error *err) {
  const lmm_structure *st = c->st;
  f->nstruct = c->npar;
  f->nstruct_free = c->nfree;
  f->struct_est = lmm_calloc((size_t)(c->npar ? c->npar : 1), sizeof *f->struct_est);
  f->struct_names = lmm_calloc((size_t)(c->npar ? c->npar : 1), sizeof *f->struct_names);
  if (!f->struct_est || !f->struct_names) return lmm_nomem(err);
  int k = 0;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_constrained(&st->vf[i], c->u + k, f->struct_est + k);
    for (int j = 0; j < st->vf[i].npar; j++, k++)
      if (!(f->struct_names[k] = lmm_strdup(st->vf[i].names[j]))) return lmm_nomem(err);
  }
  if (st->has_cor) {
    lmm_corstruct_constrained(&st->cor, c->u + k, f->struct_est + k);
    for (int j = 0; j < st->cor.npar; j++, k++)
      if (!(f->struct_names[k] = lmm_strdup(st->cor.names[j]))) return lmm_nomem(err);
  }
  f->evaluations = c->evaluations;
  return LMM_OK;
}

/* c for st bound to d: the rows [X Z y] held, their whitened copy's design, the parameters at their start. */
static int setup(eval_ctx *c, lmm_error *err) {
  const lmm_structure *st = c->st;
  const lmm_design *d = c->d;
  int rc = bind(c->st, d, err);
  if (rc) return rc;
  c->m = d->p + 1;
  for (int t = 0; t < d->nre; t++) c->m += d->re[t].q;
  size_t n = d->n, work = st->has_cor && st->cor.kind != LMM_COR_AR1 && st->cor.kind != LMM_COR_CAR1
                               ? (size_t)st->cor.maxsize * (size_t)(st->cor.maxsize + c->m) : 1;
  c->rows_z = lmm_calloc((size_t)(d->nre ? d->nre : 1), sizeof *c->rows_z);
  c->raw = lmm_malloc_array(lmm_size_mul(n, (size_t)c->m), sizeof *c->raw);
  c->white = lmm_malloc_array(lmm_size_mul(n, (size_t)c->m), sizeof *c->white);
  c->sd = lmm_malloc_array(n, sizeof *c->sd);
  c->work = lmm_malloc_array(work, sizeof *c->work);
  if (!c->rows_z || !c->raw || !c->white || !c->sd || !c->work) return lmm_nomem(err);
  if ((rc = raw_rows(c, err))) return rc;
  return parameters(c, err);
}

static void teardown(eval_ctx *c) {
  lmm_free(c->rows_z);
  lmm_free(c->raw);
  lmm_free(c->white);
  lmm_free(c->sd);
  lmm_free(c->work);
  lmm_free(c->u);
  lmm_free(c->free_at);
}

/* BOBYQA's workspace grows as the square of its parameters (NLopt's is about 60 n^2 bytes, allocated and cleared
 * before the first evaluation, where no interrupt is seen): the structure's free parameters, with theta where they
 * are fitted together, are held to the random effects' own limit, LMM_MAX_THETA (some 260 MB, half a second).
 * varIdent's strata were unbounded: 6,000 strata of 12,000 rows took 2 GB and 8 s past an interrupt. */
static int check_parameter_count(const eval_ctx *c, lmm_error *err) {
  size_t ntheta = 0;
  if (fits_jointly(c))
    for (int t = 0; t < c->d->nre; t++) ntheta += lmm_theta_term_count(c->d->re[t].q);
  if ((size_t)c->nfree + ntheta <= LMM_MAX_THETA) return LMM_OK;
  char beside[96] = "";
  if (ntheta) snprintf(beside, sizeof beside, ", fitted with the random effects' %zu covariance parameters,", ntheta);
  return lmm_fail(err, LMM_ERR, "weights= and correlation= have %d parameters to estimate%s more than the %d that can "
                  "be estimated; use a grouping with fewer strata or positions, or hold some with fixed=",
                  c->nfree, beside, LMM_MAX_THETA);
}

int lmm_structure_fit(lmm_structure *st, const lmm_design *d, int df_method, const lmm_fit_options *opt,
                      lmm_system **sys, lmm_fit **fit, lmm_error *err) {
  *sys = NULL;
  *fit = NULL;
  if (df_method != LMM_DF_CONTAINMENT && df_method != LMM_DF_RESIDUAL && df_method != LMM_DF_NONE)
    return lmm_fail(err, LMM_ERR, "the fixed effects' df by %s do not yet account for weights= or correlation=; use "
                    "df=containment (nlme's), df=residual or df=none", df_method == LMM_DF_SATTERTHWAITE
                    ? "Satterthwaite's method (df=satterthwaite, the default for lme4's formulas)" : "the method asked");
  eval_ctx c = {.st = st, .d = d, .opt = opt, .n = d->n, .err = err};
  int rc = setup(&c, err);
  if (!rc && opt->theta && (!st->u || st->npar != c.npar))
    rc = lmm_fail(err, LMM_ERR, "it keeps %d parameters of its residual structure where its weights= and correlation= "
                  "have %d", st->u ? st->npar : 0, c.npar);
  if (!rc && opt->theta) memcpy(c.u, st->u, sizeof *c.u * (size_t)c.npar);
  if (!rc && !opt->theta) rc = check_parameter_count(&c, err);
  int joint = !rc && !opt->theta && fits_jointly(&c);
  if (joint) rc = fit_jointly(&c, err);
  if (!rc && !joint && !isfinite(evaluate(&c, 1)) && !c.rc)
    rc = lmm_fail(err, LMM_NUMERIC, "the residual structure's start gives no fit: its covariance is not positive definite");
  if (!rc) rc = c.rc;
  if (!rc && !joint && !opt->theta && (c.nfree || st->uses_fitted)) rc = fit_parameters(&c, err);
  if (!rc && st->uses_fitted) rc = settle_fitted(&c, err);
  if (!rc) rc = c.rc;
  if (!rc) rc = report(&c, c.fit, err);
  if (!rc) {   /* the parameters stay with the structure: what a saved model keeps */
    lmm_free(st->u);
    st->u = c.u;
    st->npar = c.npar;
    c.u = NULL;
  }
  teardown(&c);
  if (rc) {
    lmm_system_free(c.sys);
    lmm_fit_free(c.fit);
    return rc;
  }
  *sys = c.sys;
  *fit = c.fit;
  return LMM_OK;
}

int lmm_structure_criterion(lmm_structure *st, const lmm_design *d, int reml, const double *theta, const double *u,
                            double *summed, double *whitened, lmm_error *err) {
  lmm_fit_options opt = {.reml = reml};
  eval_ctx c = {.st = st, .d = d, .opt = &opt, .n = d->n, .err = err};
  double *at = NULL, *crit[2] = {summed, whitened};
  int rc = setup(&c, err);
  if (!rc && !(at = lmm_malloc_array((size_t)(c.nfree + LMM_MAX_THETA), sizeof *at))) rc = lmm_nomem(err);
  for (int k = 0; k < 2 && !rc; k++) {
    lmm_system *sys = NULL;
    double logdet = 0;
    if ((rc = joint_system(&c, k == 0, &sys, err))) break;
    int ncov = sys->theta->ncov;
    if (k == 0 && !c.sums) rc = lmm_fail(err, LMM_ERR, "the residual structure has no one-pass sums");
    memcpy(at, theta, sizeof *at * (size_t)ncov);
    for (int i = 0; i < c.nfree; i++) at[ncov + i] = u[i];
    if (!rc && (rc = sys->refill(&c, sys, at + ncov, NULL, &logdet)))
      rc = lmm_fail(err, rc, "no criterion at those parameters");
    if (!rc && !(rc = lmm_fit_deviance(sys, at, reml, crit[k], err))) *crit[k] += logdet;
    lmm_struct_sums_free(c.sums);
    c.sums = NULL;
    lmm_system_free(sys);
  }
  lmm_free(at);
  teardown(&c);
  return rc;
}

int lmm_structure_params(const lmm_structure *st, const double **u) {
  *u = st->u;
  return st->u ? st->npar : 0;
}

int lmm_structure_hold(lmm_structure *st, const double *u, int n, lmm_error *err) {
  lmm_free(st->u);
  st->npar = 0;
  if (!(st->u = lmm_malloc_array((size_t)(n > 0 ? n : 1), sizeof *st->u))) return lmm_nomem(err);
  if (n > 0) memcpy(st->u, u, sizeof *u * (size_t)n);
  st->npar = n;
  for (int k = 0; k < n; k++)
    if (!isfinite(u[k])) return lmm_fail(err, LMM_ERR, "its residual structure's parameter %d is not a finite number", k + 1);
  return LMM_OK;
}

int lmm_structure_residuals(const lmm_structure *st, size_t n, const double *response, double sigma, double *pearson,
                            double *normalized, lmm_error *err) {
  if (!st->u) return lmm_fail(err, LMM_ERR, "the residual structure has not been fitted");
  const double *u = st->u;
  for (size_t r = 0; r < n; r++) pearson[r] = 1;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_sd(&st->vf[i], u, n, pearson);
    u += st->vf[i].npar;
  }
  for (size_t r = 0; r < n; r++) pearson[r] = response[r] / (sigma * pearson[r]);
  if (!st->has_cor) {
    memcpy(normalized, pearson, sizeof *pearson * n);
    return LMM_OK;
  }
  size_t ms = (size_t)st->cor.maxsize;
  double *work = lmm_malloc_array(lmm_size_mul(ms, ms + 1) + 1, sizeof *work);
  int rc = work ? lmm_corstruct_normalize(&st->cor, u, pearson, normalized, n, work) : LMM_NOMEM;
  lmm_free(work);
  if (rc == LMM_NOMEM) return lmm_nomem(err);
  return rc ? lmm_fail(err, rc, "the residual structure's correlation is not positive definite at its estimate") : LMM_OK;
}

int lmm_structure_form(const lmm_structure *st, int *vars, int *group) {
  *group = st && st->has_cor ? st->cor.group : -1;
  if (!st || !st->has_cor || st->cor.kind < LMM_COR_EXP) return 0;
  for (int k = 0; k < st->cor.ncoord; k++) vars[k] = st->cor.coord_var[k];
  return st->cor.ncoord;
}

int lmm_structure_at(const lmm_structure *st, const double *u, double *out, int *fixed) {
  int k = 0;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_constrained(&st->vf[i], u + k, out + k);
    for (int j = 0; j < st->vf[i].npar; j++) fixed[k + j] = st->vf[i].fixed;
    k += st->vf[i].npar;
  }
  if (st->has_cor) {
    lmm_corstruct_constrained(&st->cor, u + k, out + k);
    for (int j = 0; j < st->cor.npar; j++) fixed[k + j] = st->cor.fixed;
  }
  return st->uses_fitted;
}

/* The whitening is linear and, in each group's order, lower triangular: W = (S L)^-1.  Whitening the columns of
 * the identity of every group at once (column j: each group's j-th row) gives W's entries, and S L z solves W e = z
 * forward, group by group. */
int lmm_structure_color(const lmm_structure *st, size_t n, const double *z, double *e, lmm_error *err) {
  if (!st->u) return lmm_fail(err, LMM_ERR, "the residual structure has not been fitted");
  double *sd = lmm_malloc_array(n ? n : 1, sizeof *sd);
  if (!sd) return lmm_nomem(err);
  const double *u = st->u;
  for (size_t r = 0; r < n; r++) sd[r] = 1;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_sd(&st->vf[i], u, n, sd);
    u += st->vf[i].npar;
  }
  if (!st->has_cor) {
    for (size_t r = 0; r < n; r++) e[r] = sd[r] * z[r];
    lmm_free(sd);
    return LMM_OK;
  }
  const lmm_corstruct *c = &st->cor;
  size_t ms = (size_t)(c->maxsize ? c->maxsize : 1);
  double *raw = lmm_calloc(lmm_size_mul(n ? n : 1, ms), sizeof *raw);
  double *W = lmm_malloc_array(lmm_size_mul(n ? n : 1, ms), sizeof *W);
  double *work = lmm_malloc_array(lmm_size_mul(ms, 2 * ms), sizeof *work), logdet = 0;
  int rc = raw && W && work ? LMM_OK : LMM_NOMEM;
  for (size_t g = 0; !rc && g < c->ngroups; g++)
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++) raw[c->rows[k] + (k - c->start[g]) * n] = 1;
  if (!rc) rc = lmm_corstruct_whiten(c, u, sd, raw, W, n, (int)ms, &logdet, work);
  for (size_t g = 0; !rc && g < c->ngroups; g++)
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++) {
      size_t r = c->rows[k], i = k - c->start[g];
      double v = z[r];
      for (size_t j = 0; j < i; j++) v -= W[r + j * n] * e[c->rows[c->start[g] + j]];
      e[r] = v / W[r + i * n];
    }
  lmm_free(sd);
  lmm_free(raw);
  lmm_free(W);
  lmm_free(work);
  if (rc == LMM_NOMEM) return lmm_nomem(err);
  return rc ? lmm_fail(err, rc, "the residual structure's correlation is not positive definite at its estimate") : LMM_OK;
}
