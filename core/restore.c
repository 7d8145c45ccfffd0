/* restore.c — snapshots of fitted models, and models restored from them (see restore.h). */
#include "restore.h"
#include "alloc.h"
#include "bases.h"
#include "theta.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lmm_snapshot_clear(lmm_snapshot *s) {
  for (int i = 0; s->vars && i < s->nvars; i++) {
    lmm_snapshot_var *v = &s->vars[i];
    for (int l = 0; v->levels && l < v->nlevels; l++) lmm_free(v->levels[l]);
    lmm_free(v->levels);
    lmm_free(v->level_len);
    lmm_free(v->coef);
  }
  for (int t = 0; s->term && t < s->nre; t++) {
    lmm_free(s->term[t].codes);
    lmm_free(s->term[t].b);
    lmm_free(s->term[t].sd);
  }
  lmm_free(s->vars);
  lmm_free(s->term);
  memset(s, 0, sizeof *s);
}

static double *copy_doubles(const double *x, size_t n) {
  double *y = lmm_malloc_array(n ? n : 1, sizeof *y);
  if (y && n) memcpy(y, x, n * sizeof *y);
  return y;
}

static int take_var(const lmm_frame_var *fv, lmm_snapshot_var *v, lmm_error *err) {
  v->is_factor = fv->is_factor;
  if (fv->ncoef > 0) {
    if (!(v->coef = copy_doubles(fv->coef, (size_t)fv->ncoef))) return lmm_nomem(err);
    v->ncoef = fv->ncoef;
  }
  v->nlevels = fv->levels ? fv->nlevels : -1;
  if (!fv->levels) return LMM_OK;
  size_t nl = (size_t)(fv->nlevels ? fv->nlevels : 1);
  v->levels = lmm_calloc(nl, sizeof *v->levels);
  v->level_len = lmm_malloc_array(nl, sizeof *v->level_len);
  if (!v->levels || !v->level_len) return lmm_nomem(err);
  for (int l = 0; l < fv->nlevels; l++) {
    v->level_len[l] = fv->level_len[l];
    if (!(v->levels[l] = lmm_strndup(fv->levels[l], (size_t)fv->level_len[l]))) return lmm_nomem(err);
    memcpy(v->levels[l], fv->levels[l], (size_t)fv->level_len[l]);   /* NUL bytes and all */
  }
  return LMM_OK;
}

static int take_term(const lmm_design *d, const lmm_ranef_term *rt, int t, lmm_snapshot_term *st, lmm_error *err) {
  const lmm_reterm *re = &d->re[t];
  if (re->nvars > 1) {
    st->ncodes = (size_t)re->nlevels * (size_t)re->nvars;
    if (!(st->codes = lmm_malloc_array(st->ncodes ? st->ncodes : 1, sizeof *st->codes))) return lmm_nomem(err);
    for (int l = 0; l < re->nlevels; l++) lmm_design_group_codes(d, t, l, st->codes + (size_t)l * (size_t)re->nvars);
  }
  st->nb = (size_t)re->nlevels * (size_t)re->q;
  if (!(st->b = copy_doubles(rt->b, st->nb))) return lmm_nomem(err);
  if (!(st->sd = lmm_malloc_array(st->nb ? st->nb : 1, sizeof *st->sd))) return lmm_nomem(err);
  for (size_t k = 0; k < st->nb; k++) st->sd[k] = rt->sd ? rt->sd[k] : NAN;
  return LMM_OK;
}

int lmm_snapshot_take(lmm_model *m, int (*interrupted)(void *), void *ctx, lmm_snapshot *out, lmm_error *err) {
  memset(out, 0, sizeof *out);
  /* a saved model is read back through its sigma, which a model with residual variance needs */
  if (!(m->fit->sigma > 0))
    return lmm_fail(err, LMM_ERR, "the fit is exact (residual standard deviation 0), which a saved model cannot hold; "
                    "fit it without save=");
  int rc = lmm_model_ranef(m, 1, interrupted, ctx, err);
  if (rc) return rc;
  const lmm_formula *f = m->formula;
  const lmm_design *d = m->design;
  out->untyped = m->frame->ev->untyped;
  out->vars = lmm_calloc((size_t)(f->nvars ? f->nvars : 1), sizeof *out->vars);
  out->term = lmm_calloc((size_t)(d->nre ? d->nre : 1), sizeof *out->term);
  if (!out->vars || !out->term) rc = lmm_nomem(err);
  for (int i = 0; i < f->nvars && !rc; i++, out->nvars++) rc = take_var(&m->frame->vars[i], &out->vars[i], err);
  for (int t = 0; t < d->nre && !rc; t++, out->nre++) rc = take_term(d, &m->ranef->term[t], t, &out->term[t], err);
  if (rc) lmm_snapshot_clear(out);
  return rc;
}

/* ---- restoring ------------------------------------------------------------ */

typedef struct label_ref { const char *s; int len; } label_ref;

static int label_ref_cmp(const void *a, const void *b) {
  const label_ref *x = a, *y = b;
  return lmm_label_cmp(x->s, (size_t)x->len, y->s, (size_t)y->len);
}

/* A label two of v's levels share (a new row's value would be either), or NULL; *nomem when out of memory. */
static const char *shared_label(const lmm_snapshot_var *v, int *nomem) {
  label_ref *r = lmm_malloc_array((size_t)(v->nlevels ? v->nlevels : 1), sizeof *r);
  if (!r) { *nomem = 1; return NULL; }
  for (int l = 0; l < v->nlevels; l++) r[l] = (label_ref){v->levels[l], v->level_len[l]};
  qsort(r, (size_t)v->nlevels, sizeof *r, label_ref_cmp);
  const char *shared = NULL;
  for (int l = 1; l < v->nlevels && !shared; l++)
    if (!label_ref_cmp(&r[l - 1], &r[l])) shared = r[l].s;
  lmm_free(r);
  return shared;
}

/* Variable i of the snapshot into the frame: the kind its formula allows, levels exactly where the fit
 * keeps them (lmm_frame_finish), no two alike; the frame takes the arrays. */
static int restore_var(const lmm_formula *f, int i, lmm_snapshot_var *v, lmm_frame_var *fv, lmm_error *err) {
  const lmm_var *var = &f->vars[i];
  if ((var->kind == LMM_VAR_FACTOR && !v->is_factor) || (var->kind == LMM_VAR_NUMERIC && v->is_factor))
    return lmm_fail(err, LMM_ERR, "'%s' is kept as a %s, which its formula does not make it", var->label,
                    v->is_factor ? "factor" : "number");
  int has_levels = var->kind != LMM_VAR_NUMERIC && (fv->in_model || var->used_as_group) &&
                   (v->is_factor || var->used_as_group);
  if (has_levels != (v->nlevels >= 0))
    return lmm_fail(err, LMM_ERR, "'%s' %s levels, which its formula %s", var->label, has_levels ? "keeps no" : "keeps",
                    has_levels ? "needs" : "does not make");
  for (int l = 0; l < v->nlevels; l++)
    if (!v->levels || !v->level_len || !v->levels[l] || v->level_len[l] < 0)
      return lmm_fail(err, LMM_ERR, "level %d of '%s' is missing", l + 1, var->label);
  int ncoef = var->basis.kind ? lmm_numbasis_ncoef(&var->basis) : 0;
  if (v->ncoef != ncoef || (ncoef && !v->coef))
    return lmm_fail(err, LMM_ERR, "'%s' keeps %d numbers of what it learned from the data where its formula needs %d",
                    var->label, v->ncoef, ncoef);
  const char *why = ncoef ? lmm_numbasis_invalid(&var->basis, v->coef) : NULL;
  if (why) return lmm_fail(err, LMM_ERR, "what '%s' learned from the data cannot be its: %s", var->label, why);
  int nomem = 0;
  const char *shared = v->nlevels > 1 ? shared_label(v, &nomem) : NULL;
  if (nomem) return lmm_nomem(err);
  if (shared) return lmm_fail(err, LMM_ERR, "two levels of '%s' are both '%s'", var->label, shared);
  fv->is_factor = v->is_factor;
  fv->coef = v->coef;
  fv->ncoef = v->ncoef;
  v->coef = NULL;
  v->ncoef = 0;
  if (v->nlevels < 0) return LMM_OK;
  fv->nlevels = v->nlevels;
  fv->levels = v->levels;
  fv->level_len = v->level_len;
  v->levels = NULL;
  v->level_len = NULL;
  v->nlevels = -1;
  return LMM_OK;
}

/* The groupings' levels: codes for an interaction only, a whole number of levels. */
static int restore_groups(const lmm_formula *f, const lmm_snapshot *s, lmm_saved_group *g, lmm_error *err) {
  for (int t = 0; t < f->nbars; t++) {
    const lmm_bar *bar = &f->bars[t];
    const lmm_snapshot_term *st = &s->term[t];
    size_t nv = (size_t)bar->ngroup;
    if (nv == 1 ? st->ncodes != 0 : st->ncodes % nv != 0 || st->ncodes / nv > (size_t)INT_MAX)
      return lmm_fail(err, LMM_ERR, "grouping '%s' keeps %zu level codes, which its %zu variables cannot share", bar->grp_name,
                      st->ncodes, nv);
    g[t] = (lmm_saved_group){nv == 1 ? 0 : (int)(st->ncodes / nv), st->codes};
  }
  return LMM_OK;
}

/* The fixed effects: the formula's columns, by name. */
static int restore_fixed(const lmm_design *d, int p, char *const *xnames, const double *beta, lmm_fit *fit, lmm_error *err) {
  if (p != d->p) return lmm_fail(err, LMM_ERR, "it keeps %d fixed effects where its formula makes %d", p, d->p);
  for (int j = 0; j < p; j++)
    if (strcmp(xnames[j], d->xnames[j]))
      return lmm_fail(err, LMM_ERR, "its fixed effect %d is '%s' where its formula makes '%s'", j + 1, xnames[j], d->xnames[j]);
  fit->p = p;
  if (!(fit->beta = copy_doubles(beta, (size_t)p))) return lmm_nomem(err);
  for (int j = 0; j < p; j++)
    if (!isfinite(beta[j])) return lmm_fail(err, LMM_ERR, "its fixed effect '%s' is not a finite number", xnames[j]);
  return LMM_OK;
}

/* The random effects: nlevels x q of each, finite, with standard deviations that are not negative. */
static int restore_ranef(const lmm_design *d, lmm_snapshot *s, lmm_ranef *r, lmm_error *err) {
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    lmm_snapshot_term *st = &s->term[t];
    size_t nb = (size_t)re->nlevels * (size_t)re->q;
    if (re->nlevels < 2) return lmm_fail(err, LMM_ERR, "grouping '%s' keeps %d levels; a fit has at least two", re->grp, re->nlevels);
    if (st->nb != nb || (nb && (!st->b || !st->sd)))
      return lmm_fail(err, LMM_ERR, "grouping '%s' keeps %zu random effects where its %d levels x %d columns make %zu", re->grp,
                      st->nb, re->nlevels, re->q, nb);
    for (size_t k = 0; k < nb; k++)
      if (!isfinite(st->b[k]) || st->sd[k] < 0 || isinf(st->sd[k]))
        return lmm_fail(err, LMM_ERR, "random effect %zu of grouping '%s' is not a finite number with a standard deviation",
                        k + 1, re->grp);
    lmm_ranef_term *rt = &r->term[t];
    rt->grp = d->frame->f->bars[t].grp_name;
    rt->nlevels = re->nlevels;
    rt->q = re->q;
    rt->b = st->b;
    rt->sd = st->sd;
    st->b = st->sd = NULL;
  }
  return LMM_OK;
}

int lmm_model_restore(lmm_model *m, lmm_snapshot *s, int p, char *const *xnames, const double *beta, int ntheta,
                      lmm_error *err) {
  const lmm_formula *f = m->formula;
  lmm_saved_group *groups = NULL;
  int rc = LMM_OK;
  if (s->nvars != f->nvars || s->nre != f->nbars)
    rc = lmm_fail(err, LMM_ERR, "it keeps %d variables and %d groupings where its formula has %d and %d", s->nvars, s->nre,
                  f->nvars, f->nbars);
  if (!rc) lmm_model_rows_untyped(m, s->untyped);
  for (int i = 0; i < f->nvars && !rc; i++) rc = restore_var(f, i, &s->vars[i], &m->frame->vars[i], err);
  if (!rc && !(groups = lmm_calloc((size_t)(f->nbars ? f->nbars : 1), sizeof *groups))) rc = lmm_nomem(err);
  if (!rc) rc = restore_groups(f, s, groups, err);
  if (!rc) rc = lmm_design_restore(m->frame, f->nbars ? groups : NULL, &m->design, err);
  if (!rc) {
    size_t nt = 0;
    for (int t = 0; t < m->design->nre; t++) nt += lmm_theta_term_count(m->design->re[t].q);
    if (nt != (size_t)ntheta)
      rc = lmm_fail(err, LMM_ERR, "it has %d covariance parameters but the model has %zu", ntheta, nt);
  }
  if (!rc && !(m->fit = lmm_calloc(1, sizeof *m->fit))) rc = lmm_nomem(err);
  if (!rc) rc = restore_fixed(m->design, p, xnames, beta, m->fit, err);
  if (!rc && !(m->ranef = lmm_calloc(1, sizeof *m->ranef))) rc = lmm_nomem(err);
  if (!rc && !(m->ranef->term = lmm_calloc((size_t)(f->nbars ? f->nbars : 1), sizeof *m->ranef->term))) rc = lmm_nomem(err);
  if (!rc) {
    m->ranef->nre = m->design->nre;
    rc = restore_ranef(m->design, s, m->ranef, err);
  }
  lmm_free(groups);
  lmm_snapshot_clear(s);
  return rc;
}
