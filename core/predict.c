/* predict.c — see predict.h. */
#include "predict.h"
#include "alloc.h"
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct label_index {  /* labels sorted for bsearch, with their level codes */
  int n;
  const char **labels;
  int *codes;
} label_index;

struct lmm_predictor {
  lmm_model *m;
  int ncols;
  int *cols;                  /* formula column index of each needed column */
  int *colpos;                /* formula column -> position in a new row, -1 if not needed */
  label_index *var_levels;    /* per variable (factor-capable) */
  label_index *group_levels;  /* per random-effects term */
  double *colvals;
  int *is_factor, *code;
  double *x;
  int *in_model;              /* the variable makes columns of X or Z (not only a grouping) */
  char **labels;              /* per variable: the row's label (text or formatted number) */
};


typedef struct labelled { const char *label; int code; } labelled;

static int labelled_cmp(const void *a, const void *b) {
  return strcmp(((const labelled *)a)->label, ((const labelled *)b)->label);
}

/* The levels sorted by label, for bsearch: n log n, so that 200,000 groups
 * do not cost 2 10^10 comparisons. */
static int index_levels(label_index *li, char **levels, int n) {
  li->n = n;
  li->labels = lmm_malloc(sizeof *li->labels * (size_t)(n ? n : 1));
  li->codes = lmm_malloc(sizeof *li->codes * (size_t)(n ? n : 1));
  labelled *tmp = lmm_malloc(sizeof *tmp * (size_t)(n ? n : 1));
  if (!li->labels || !li->codes || !tmp) { lmm_free(tmp); return -1; }
  for (int i = 0; i < n; i++) tmp[i] = (labelled){levels[i], i};
  qsort(tmp, (size_t)n, sizeof *tmp, labelled_cmp);
  for (int i = 0; i < n; i++) {
    li->labels[i] = tmp[i].label;
    li->codes[i] = tmp[i].code;
  }
  lmm_free(tmp);
  return 0;
}

static int lookup(const label_index *li, const char *label) {
  int lo = 0, hi = li->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2, c = strcmp(li->labels[mid], label);
    if (!c) return li->codes[mid];
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return -1;
}

void lmm_predictor_free(lmm_predictor *p) {
  if (!p) return;
  const lmm_formula *f = p->m->formula;
  for (int i = 0; p->var_levels && i < f->nvars; i++) { lmm_free(p->var_levels[i].labels); lmm_free(p->var_levels[i].codes); }
  for (int t = 0; p->group_levels && t < p->m->design->nre; t++) {
    lmm_free(p->group_levels[t].labels);
    lmm_free(p->group_levels[t].codes);
  }
  for (int i = 0; p->labels && i < f->nvars; i++) lmm_free(p->labels[i]);
  lmm_free(p->var_levels); lmm_free(p->group_levels); lmm_free(p->labels);
  lmm_free(p->cols); lmm_free(p->colpos); lmm_free(p->colvals);
  lmm_free(p->is_factor); lmm_free(p->code); lmm_free(p->x); lmm_free(p->in_model);
  lmm_free(p);
}

static void mark_columns(const lmm_expr *e, int *used) {
  if (e->kind == EX_NAME) used[e->column] = 1;
  for (int i = 0; i < e->nargs; i++) mark_columns(e->args[i], used);
}

int lmm_predictor_new(lmm_model *m, lmm_predictor **out, lmm_error *err) {
  *out = NULL;
  int rc = lmm_model_ranef(m, 0, err);
  if (rc) return rc;
  const lmm_formula *f = m->formula;
  const lmm_design *d = m->design;
  lmm_predictor *p = lmm_calloc(1, sizeof *p);
  if (!p) return lmm_nomem(err);
  p->m = m;
  int nv = f->nvars ? f->nvars : 1, nc = f->ncols ? f->ncols : 1;
  p->cols = lmm_calloc((size_t)nc, sizeof *p->cols);
  p->colpos = lmm_calloc((size_t)nc, sizeof *p->colpos);
  p->colvals = lmm_calloc((size_t)nc, sizeof *p->colvals);
  p->var_levels = lmm_calloc((size_t)nv, sizeof *p->var_levels);
  p->group_levels = lmm_calloc((size_t)(d->nre ? d->nre : 1), sizeof *p->group_levels);
  p->is_factor = lmm_calloc((size_t)nv, sizeof *p->is_factor);
  p->code = lmm_calloc((size_t)nv, sizeof *p->code);
  p->x = lmm_calloc((size_t)nv, sizeof *p->x);
  p->labels = lmm_calloc((size_t)nv, sizeof *p->labels);
  p->in_model = lmm_calloc((size_t)nv, sizeof *p->in_model);
  if (!p->cols || !p->colpos || !p->colvals || !p->var_levels || !p->group_levels || !p->is_factor || !p->code ||
      !p->x || !p->labels || !p->in_model)
    goto nomem;
  for (int t = 0; t < f->fixed.nterms; t++)
    for (int i = 0; i < f->nvars; i++) p->in_model[i] |= (int)(f->fixed.terms[t] >> i & 1);
  for (int b = 0; b < f->nbars; b++)
    for (int t = 0; t < f->bars[b].model.nterms; t++)
      for (int i = 0; i < f->nvars; i++) p->in_model[i] |= (int)(f->bars[b].model.terms[t] >> i & 1);
  int *used = p->colpos;
  for (int i = 0; i < f->nvars; i++) mark_columns(f->vars[i].ex, used);
  for (int c = 0; c < f->ncols; c++) {
    if (used[c]) { p->cols[p->ncols] = c; used[c] = p->ncols++; }
    else used[c] = -1;
  }
  for (int i = 0; i < f->nvars; i++) {
    const lmm_frame_var *v = &m->frame->vars[i];
    p->is_factor[i] = v->is_factor;
    if (v->levels && index_levels(&p->var_levels[i], v->levels, v->nlevels)) goto nomem;
  }
  for (int t = 0; t < d->nre; t++)
    if (index_levels(&p->group_levels[t], d->re[t].levels, d->re[t].nlevels)) goto nomem;
  *out = p;
  return LMM_OK;
nomem:
  lmm_predictor_free(p);
  return lmm_nomem(err);
}

int lmm_predictor_ncols(const lmm_predictor *p) { return p->ncols; }
const char *lmm_predictor_col(const lmm_predictor *p, int i) { return p->m->formula->cols[p->cols[i]]; }

static int text_in_arith(const lmm_expr *e, const lmm_value *vals, const int *colpos) {
  if (e->kind == EX_NAME) return vals[colpos[e->column]].type == LMM_TEXT ? e->column : -1;
  for (int i = 0; i < e->nargs; i++) {
    int c = text_in_arith(e->args[i], vals, colpos);
    if (c >= 0) return c;
  }
  return -1;
}

int lmm_predict_row(lmm_predictor *p, const lmm_value *vals, int64_t rowid, int level, double *pred, lmm_error *err) {
  const lmm_formula *f = p->m->formula;
  const lmm_design *d = p->m->design;
  const lmm_fit *fit = p->m->fit;
  *pred = NAN;
  for (int k = 0; k < p->ncols; k++) {
    if (vals[k].type == LMM_NULL) return LMM_OK;
    p->colvals[p->cols[k]] = vals[k].type == LMM_NUM ? vals[k].num : NAN;
  }
  for (int i = 0; i < f->nvars; i++) {
    const lmm_var *var = &f->vars[i];
    const lmm_expr *e = var->ex;
    lmm_free(p->labels[i]);
    p->labels[i] = NULL;
    if (e->kind == EX_NAME && vals[p->colpos[e->column]].type == LMM_TEXT) {
      const lmm_value *v = &vals[p->colpos[e->column]];
      if (!p->is_factor[i] && p->in_model[i])   /* not a level: its value would be NaN, the prediction NULL */
        return lmm_fail(err, LMM_ERR, "column '%s' was numeric in the data the model was fitted to, but row %lld holds "
                        "the text '%.40s'", f->cols[e->column], (long long)rowid, v->text);
      p->labels[i] = lmm_strndup(v->text, (size_t)v->len);
      p->x[i] = NAN;
    } else {
      int bad = text_in_arith(e, vals, p->colpos);
      if (bad >= 0)
        return lmm_fail(err, LMM_ERR, "column '%s' must be numeric in %s, but row %lld holds text", f->cols[bad],
                        var->label, (long long)rowid);
      p->x[i] = lmm_expr_eval(e, p->colvals);
      char buf[32];
      lmm_format_number(p->x[i], buf);
      p->labels[i] = lmm_strdup(buf);
    }
    if (!p->labels[i]) return lmm_nomem(err);
    p->code[i] = -1;
    if (p->is_factor[i] && p->in_model[i]) {
      p->code[i] = lookup(&p->var_levels[i], p->labels[i]);
      if (p->code[i] < 0)
        return lmm_fail(err, LMM_ERR, "row %lld: level '%s' of %s was not in the data the model was fitted to",
                        (long long)rowid, p->labels[i], var->label);
    }
  }
  /* in the design's scaled units, as lmm_fitted */
  double acc = 0;
  for (int j = 0; j < d->p; j++)
    acc += lmm_colspec_value(&d->xspec[j], f->nvars, p->is_factor, p->code, p->x, d->vscale) *
           ldexp(fit->beta[j], d->xexp[j] - d->yexp);
  for (int t = 0; t < d->nre && level != 0; t++) {
    const lmm_reterm *re = &d->re[t];
    if (level > 0 && re->nvars > level) continue;
    size_t len = 1;
    for (int k = 0; k < re->nvars; k++) len += strlen(p->labels[re->vars[k]]) + 1;
    char *label = lmm_malloc(len);
    if (!label) return lmm_nomem(err);
    label[0] = 0;
    for (int k = 0; k < re->nvars; k++) {
      if (k) strcat(label, ":");
      strcat(label, p->labels[re->vars[k]]);
    }
    int g = lookup(&p->group_levels[t], label);
    lmm_free(label);
    if (g < 0) continue;  /* a new group: its random effect is zero */
    const double *b = p->m->ranef->term[t].b + (size_t)g * (size_t)re->q;
    /* Z columns use numeric values and factor codes as in X */
    for (int a = 0; a < re->q; a++)
      acc += lmm_colspec_value(&re->zspec[a], f->nvars, p->is_factor, p->code, p->x, d->vscale) *
             ldexp(b[a], re->zexp[a] - d->yexp);
  }
  *pred = ldexp(acc, d->yexp);
  return LMM_OK;
}
