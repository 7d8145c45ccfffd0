/* varfunc.c — the variance functions' factors and parameters (see varfunc.h). */
#include "varfunc.h"
#include "alloc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *class_name(int kind) {
  static const char *const names[] = {"", "varIdent", "varPower", "varExp", "varConstPower", "varFixed"};
  return names[kind];
}

/* The level of the stratum named `name` among the nfirst strata seen (first[]), or -1 with an error naming the
 * strata there are; arg says where the name was given ("fixed=", "value="). */
static int stratum_named(const lmm_varfunc *v, const lmm_frame_var *fv, const int *first, int nfirst, const char *name,
                         const char *arg, const char *gname, lmm_error *err) {
  for (int k = 0; k < nfirst; k++) if (!strcmp(fv->levels[first[k]], name)) return first[k];
  char known[200] = "";
  for (int k = 0; k < nfirst && strlen(known) < sizeof known - 40; k++)
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "", fv->levels[first[k]]);
  lmm_fail(err, LMM_ERR, "weights: %s's %s names '%s', which is not a stratum of '%s' (its strata: %s%s)",
           class_name(v->kind), arg, name, gname, known, strlen(known) >= sizeof known - 40 ? ", ..." : "");
  return -1;
}

/* varIdent's named values (nlme): each names a free stratum, once, and exactly one free stratum is left unnamed,
 * the reference, ranked first; the named ones follow in value='s order (rank[] of their levels, -3 - their
 * place until then). */
static int rank_named_starts(const lmm_varfunc *v, const lmm_frame_var *fv, const int *first, int nfirst, int *rank,
                             const char *gname, lmm_error *err) {
  for (int j = 0; j < v->nstart; j++) {
    int l = stratum_named(v, fv, first, nfirst, v->start_name[j], "value=", gname, err);
    if (l < 0) return LMM_ERR;
    if (rank[l] != -1)
      return lmm_fail(err, LMM_ERR, "weights: varIdent's value= names the stratum '%s' %s", v->start_name[j],
                      rank[l] == -2 ? "that fixed= holds; a stratum is either started or held" : "twice");
    rank[l] = -3 - j;
  }
  int nfree = 0;
  for (int k = 0; k < nfirst; k++) nfree += rank[first[k]] == -1;
  if (nfree != 1)
    return lmm_fail(err, LMM_ERR, "weights: varIdent's value= must name every stratum of '%s' but one, the reference "
                    "(nlme's rule): it leaves %d unnamed; name %s", gname, nfree,
                    nfree ? "all of them but the one whose sd the others are ratios of" : "one stratum fewer");
  return LMM_OK;
}

/* The strata of the form's `| g` in nlme's order: first appearance along the rows order[], varIdent's fixed strata
 * last in fixed='s order, with named values the reference and then theirs; *level_of (owned by the caller) each
 * stratum's level. */
static int bind_strata(lmm_varfunc *v, const lmm_design *d, const size_t *order, int **level_of, lmm_error *err) {
  const lmm_frame_var *fv = &d->frame->vars[v->strata];
  const char *gname = d->frame->f->vars[v->strata].label;
  size_t nl = (size_t)(fv->nlevels ? fv->nlevels : 1);
  int *rank = lmm_malloc(sizeof *rank * nl), *first = lmm_malloc(sizeof *first * nl), nfirst = 0;
  size_t *count = lmm_calloc(nl, sizeof *count);
  *level_of = first;
  if (!(v->stratum = lmm_malloc(sizeof *v->stratum * (d->n ? d->n : 1))) || !rank || !count || !first) {
    lmm_free(rank);
    lmm_free(count);
    return lmm_nomem(err);
  }
  for (int l = 0; l < fv->nlevels; l++) rank[l] = -1;
  for (size_t i = 0; i < d->n; i++) {
    int l = fv->code[order[i]];
    if (!count[l]++) first[nfirst++] = l;
  }
  int rc = LMM_OK, held[LMM_VF_MAX_FIXED];
  for (int j = 0; j < v->nfixed && !rc; j++) {
    if ((held[j] = stratum_named(v, fv, first, nfirst, v->fixed_name[j], "fixed=", gname, err)) < 0) rc = LMM_ERR;
    else rank[held[j]] = -2;   /* placed after the free strata */
  }
  if (!rc && v->nstart) rc = rank_named_starts(v, fv, first, nfirst, rank, gname, err);
  v->nstrata = 0;
  for (int k = 0; k < nfirst && !rc; k++) if (rank[first[k]] == -1) rank[first[k]] = v->nstrata++;
  for (int j = 0; j < v->nstart && !rc; j++)
    for (int k = 0; k < nfirst; k++) if (rank[first[k]] == -3 - j) rank[first[k]] = v->nstrata++;
  if (!rc && !v->nstrata && v->kind == LMM_VF_IDENT)
    rc = lmm_fail(err, LMM_ERR, "weights: varIdent's fixed= holds every stratum of '%s'; leave one free, the reference",
                  gname);
  for (int j = 0; j < v->nfixed && !rc; j++) rank[held[j]] = v->nstrata++;
  for (int l = 0; l < fv->nlevels && !rc; l++) if (rank[l] >= 0) first[rank[l]] = l;
  for (size_t r = 0; r < d->n && !rc; r++) v->stratum[r] = rank[fv->code[r]];
  for (int s = 0; s < v->nstrata && !rc; s++)
    if (count[first[s]] < 2)
      rc = lmm_fail(err, LMM_ERR, "weights: %s's stratum '%s' of '%s' has one row; its variance cannot be told from "
                    "the residual: merge it with another stratum or drop the row", class_name(v->kind),
                    fv->levels[first[s]], gname);
  lmm_free(rank);
  lmm_free(count);
  return rc;
}

/* varIdent: a parameter per free stratum after the first, the fixed strata held at their ratios */
static int bind_ident(lmm_varfunc *v, const lmm_frame_var *fv, const int *level_of, lmm_error *err) {
  int nfree = v->nstrata - v->nfixed;
  v->npar = nfree - 1;
  v->par = lmm_malloc(sizeof *v->par * (size_t)v->nstrata);
  v->held = lmm_malloc(sizeof *v->held * (size_t)v->nstrata);
  if (!v->par || !v->held || !(v->names = lmm_calloc((size_t)(v->npar ? v->npar : 1), sizeof *v->names)))
    return lmm_nomem(err);
  for (int s = 0; s < v->nstrata; s++) {
    v->par[s] = s > 0 && s < nfree ? s - 1 : -1;
    v->held[s] = s < nfree ? 1 : v->fixed_ratio[s - nfree];
    if (v->par[s] >= 0 && !(v->names[s - 1] = lmm_mprintf("varIdent__%s", fv->levels[level_of[s]])))
      return lmm_nomem(err);
  }
  return LMM_OK;
}

/* varPower, varExp, varConstPower, varFixed: the covariate, and the parameters of each stratum */
static int bind_covariate(lmm_varfunc *v, const lmm_design *d, const lmm_frame_var *sv, const int *level_of,
                          const double *fitted, lmm_error *err) {
  const lmm_frame_var *fv = v->cov >= 0 ? &d->frame->vars[v->cov] : NULL;
  const char *cls = class_name(v->kind);
  if (fv && (fv->is_factor || !fv->x))
    return lmm_fail(err, LMM_ERR, "weights: %s's covariate '%s' must be numeric, and it holds text", cls,
                    d->frame->f->vars[v->cov].label);
  v->x = fv ? fv->x : fitted;
  int per = v->kind == LMM_VF_FIXED ? 0 : v->kind == LMM_VF_CONSTPOWER ? 2 : 1, ns = v->nstrata;
  v->npar = per * (ns - v->nfixed);   /* fixed strata (varPower's, varExp's) last, no parameters */
  if (!(v->names = lmm_calloc((size_t)(v->npar ? v->npar : 1), sizeof *v->names))) return lmm_nomem(err);
  const char *par[2] = {v->kind == LMM_VF_EXP ? "expon" : v->kind == LMM_VF_CONSTPOWER ? "const" : "power", "power"};
  for (int k = 0; k < v->npar; k++) {
    const char *what = par[k / ns];
    v->names[k] = !sv ? lmm_mprintf("%s__%s", cls, what)
                : per == 2 ? lmm_mprintf("%s__%s.%s", cls, what, sv->levels[level_of[k % ns]])
                : lmm_mprintf("%s__%s", cls, sv->levels[level_of[k]]);
    if (!v->names[k]) return lmm_nomem(err);
  }
  if (v->nvalue && v->nvalue != per)
    return lmm_fail(err, LMM_ERR, "weights: %s's value has %d numbers for its %d parameters", cls, v->nvalue, per);
  for (size_t r = 0; r < d->n && fv; r++)
    if ((v->kind == LMM_VF_FIXED || v->kind == LMM_VF_POWER) && v->x[r] == 0)
      return lmm_fail(err, LMM_ERR, "weights: %s's covariate '%s' is 0 at row %lld, where the variance would be 0; "
                      "use varConstPower or shift the covariate", cls, d->frame->f->vars[v->cov].label,
                      (long long)d->frame->row[r]);
  return LMM_OK;
}

int lmm_varfunc_bind(lmm_varfunc *v, const lmm_design *d, const size_t *order, const double *fitted, lmm_error *err) {
  const lmm_frame_var *sv = v->strata >= 0 ? &d->frame->vars[v->strata] : NULL;
  int *level_of = NULL, rc = LMM_OK;
  v->nstrata = 1;
  if (sv) rc = bind_strata(v, d, order, &level_of, err);
  if (!rc) rc = v->kind == LMM_VF_IDENT ? bind_ident(v, sv, level_of, err)
                                        : bind_covariate(v, d, sv, level_of, fitted, err);
  lmm_free(level_of);
  return rc;
}

/* Whether parameter k is on the log scale (varIdent's ratios, varConstPower's consts) */
static int logged(const lmm_varfunc *v, int k) {
  return v->kind == LMM_VF_IDENT || (v->kind == LMM_VF_CONSTPOWER && k < v->nstrata);
}

void lmm_varfunc_start(const lmm_varfunc *v, double *u) {
  for (int k = 0; k < v->npar; k++) {
    int j = v->kind == LMM_VF_CONSTPOWER && k >= v->nstrata;   /* value= recycled over the strata */
    double c = v->nstart ? v->start_ratio[k] : v->nvalue ? v->value[j] : logged(v, k) ? 1 : 0;
    u[k] = logged(v, k) ? log(c) : c;
  }
}

void lmm_varfunc_constrained(const lmm_varfunc *v, const double *u, double *out) {
  for (int k = 0; k < v->npar; k++) out[k] = logged(v, k) ? exp(u[k]) : u[k];
}

void lmm_varfunc_sd(const lmm_varfunc *v, const double *u, size_t n, double *sd) {
  int ns = v->nstrata;
  if (v->kind == LMM_VF_IDENT) {   /* a factor per stratum, found again only where the stratum changes */
    double f = 1;
    for (size_t r = 0, last = SIZE_MAX; r < n; r++) {
      size_t s = v->stratum ? (size_t)v->stratum[r] : 0;
      if (s != last) f = v->par[last = s] >= 0 ? exp(u[v->par[s]]) : v->held[s];
      sd[r] *= f;
    }
    return;
  }
  for (size_t r = 0; r < n; r++) {
    int s = v->stratum ? v->stratum[r] : 0;
    switch (v->kind) {
    case LMM_VF_POWER: sd[r] *= pow(fabs(v->x[r]), s < v->npar ? u[s] : v->fixed_ratio[s - v->npar]); break;
    case LMM_VF_EXP: sd[r] *= exp((s < v->npar ? u[s] : v->fixed_ratio[s - v->npar]) * v->x[r]); break;
    case LMM_VF_CONSTPOWER: sd[r] *= exp(u[s]) + pow(fabs(v->x[r]), u[ns + s]); break;
    default: sd[r] *= sqrt(fabs(v->x[r])); break;
    }
  }
}

void lmm_varfunc_clear(lmm_varfunc *v) {
  lmm_varfunc_unbind(v);
  for (int j = 0; j < v->nfixed; j++) lmm_free(v->fixed_name[j]);
  for (int j = 0; j < v->nstart; j++) lmm_free(v->start_name[j]);
  v->nfixed = v->nstart = 0;
}

void lmm_varfunc_unbind(lmm_varfunc *v) {
  for (int k = 0; v->names && k < v->npar; k++) lmm_free(v->names[k]);
  lmm_free(v->names);
  lmm_free(v->stratum);
  lmm_free(v->par);
  lmm_free(v->held);
  v->names = NULL;
  v->stratum = NULL;
  v->par = NULL;
  v->held = NULL;
}
