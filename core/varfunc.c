/* varfunc.c — the variance functions' factors and parameters (see varfunc.h). */
#include "varfunc.h"
#include "alloc.h"

#include <math.h>
#include <string.h>

static const char *class_name(int kind) {
  static const char *const names[] = {"", "varIdent", "varPower", "varExp", "varConstPower", "varFixed"};
  return names[kind];
}

static int bind_strata(lmm_varfunc *v, const lmm_design *d, const size_t *order, lmm_error *err) {
  const lmm_frame_var *fv = &d->frame->vars[v->strata];
  int nl = fv->nlevels, *rank = lmm_malloc(sizeof *rank * (size_t)(nl ? nl : 1));
  size_t *count = lmm_calloc((size_t)(nl ? nl : 1), sizeof *count);
  if (!(v->stratum = lmm_malloc(sizeof *v->stratum * (d->n ? d->n : 1))) || !rank || !count) {
    lmm_free(rank);
    lmm_free(count);
    return lmm_nomem(err);
  }
  for (int l = 0; l < nl; l++) rank[l] = -1;
  int *first = lmm_malloc(sizeof *first * (size_t)(nl ? nl : 1));   /* stratum -> level */
  if (!first) { lmm_free(rank); lmm_free(count); return lmm_nomem(err); }
  v->nstrata = 0;
  for (size_t i = 0; i < d->n; i++) {
    int l = fv->code[order[i]];
    if (rank[l] < 0) { first[v->nstrata] = l; rank[l] = v->nstrata++; }
    count[l]++;
  }
  for (size_t r = 0; r < d->n; r++) v->stratum[r] = rank[fv->code[r]];
  int rc = LMM_OK;
  for (int s = 0; s < v->nstrata && !rc; s++)
    if (count[first[s]] < 2)
      rc = lmm_fail(err, LMM_ERR, "weights: varIdent's stratum '%s' of '%s' has one row; its variance cannot be "
                    "told from the residual: merge it with another stratum or drop the row",
                    fv->levels[first[s]], d->frame->f->vars[v->strata].label);
  v->npar = v->nstrata - 1;
  if (!rc && !(v->names = lmm_calloc((size_t)(v->npar ? v->npar : 1), sizeof *v->names))) rc = lmm_nomem(err);
  for (int s = 1; s < v->nstrata && !rc; s++)
    if (!(v->names[s - 1] = lmm_mprintf("varIdent__%s", fv->levels[first[s]]))) rc = lmm_nomem(err);
  lmm_free(first);
  lmm_free(rank);
  lmm_free(count);
  return rc;
}

int lmm_varfunc_bind(lmm_varfunc *v, const lmm_design *d, const size_t *order, const double *fitted, lmm_error *err) {
  if (v->kind == LMM_VF_IDENT) {
    int rc = bind_strata(v, d, order, err);
    if (!rc && v->nvalue && v->nvalue != v->npar)
      rc = lmm_fail(err, LMM_ERR, "weights: varIdent's value has %d numbers for %d strata after the first", v->nvalue,
                    v->npar);
    return rc;
  }
  const lmm_frame_var *fv = v->cov >= 0 ? &d->frame->vars[v->cov] : NULL;
  if (fv && (fv->is_factor || !fv->x))
    return lmm_fail(err, LMM_ERR, "weights: %s's covariate '%s' must be numeric, and it holds text", class_name(v->kind),
                    d->frame->f->vars[v->cov].label);
  v->x = fv ? fv->x : fitted;
  v->npar = v->kind == LMM_VF_FIXED ? 0 : v->kind == LMM_VF_CONSTPOWER ? 2 : 1;
  if (!(v->names = lmm_calloc(2, sizeof *v->names))) return lmm_nomem(err);
  const char *par[2] = {v->kind == LMM_VF_EXP ? "expon" : v->kind == LMM_VF_CONSTPOWER ? "const" : "power", "power"};
  for (int k = 0; k < v->npar; k++)
    if (!(v->names[k] = lmm_mprintf("%s__%s", class_name(v->kind), par[k]))) return lmm_nomem(err);
  if (v->nvalue && v->nvalue != v->npar)
    return lmm_fail(err, LMM_ERR, "weights: %s's value has %d numbers for its %d parameters", class_name(v->kind),
                    v->nvalue, v->npar);
  for (size_t r = 0; r < d->n && fv; r++)
    if ((v->kind == LMM_VF_FIXED || v->kind == LMM_VF_POWER) && v->x[r] == 0)
      return lmm_fail(err, LMM_ERR, "weights: %s's covariate '%s' is 0 at row %lld, where the variance would be 0; "
                      "use varConstPower or shift the covariate", class_name(v->kind),
                      d->frame->f->vars[v->cov].label, (long long)d->frame->row[r]);
  return LMM_OK;
}

void lmm_varfunc_start(const lmm_varfunc *v, double *u) {
  for (int k = 0; k < v->npar; k++) {
    double c = v->nvalue ? v->value[k] : v->kind == LMM_VF_IDENT || (v->kind == LMM_VF_CONSTPOWER && k == 0) ? 1 : 0;
    u[k] = v->kind == LMM_VF_IDENT || (v->kind == LMM_VF_CONSTPOWER && k == 0) ? log(c) : c;
  }
}

void lmm_varfunc_constrained(const lmm_varfunc *v, const double *u, double *out) {
  for (int k = 0; k < v->npar; k++)
    out[k] = v->kind == LMM_VF_IDENT || (v->kind == LMM_VF_CONSTPOWER && k == 0) ? exp(u[k]) : u[k];
}

void lmm_varfunc_sd(const lmm_varfunc *v, const double *u, size_t n, double *sd) {
  for (size_t r = 0; r < n; r++)
    switch (v->kind) {
    case LMM_VF_IDENT: if (v->stratum[r]) sd[r] *= exp(u[v->stratum[r] - 1]); break;
    case LMM_VF_POWER: sd[r] *= pow(fabs(v->x[r]), u[0]); break;
    case LMM_VF_EXP: sd[r] *= exp(u[0] * v->x[r]); break;
    case LMM_VF_CONSTPOWER: sd[r] *= exp(u[0]) + pow(fabs(v->x[r]), u[1]); break;
    default: sd[r] *= sqrt(fabs(v->x[r])); break;
    }
}

void lmm_varfunc_clear(lmm_varfunc *v) {
  for (int k = 0; v->names && k < v->npar; k++) lmm_free(v->names[k]);
  lmm_free(v->names);
  lmm_free(v->stratum);
  v->names = NULL;
  v->stratum = NULL;
}
