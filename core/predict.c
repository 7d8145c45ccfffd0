/* predict.c — see predict.h.
 *
 * A new row goes through the row evaluator the fit's rows went through (row_eval.h): the same
 * transforms and checks, then its levels found among the fitted ones and its X and Z values made
 * by the design's column recipes. */
#include "predict.h"
#include "alloc.h"

#include <math.h>
#include <string.h>

struct lmm_predictor {
  lmm_model *m;
  int level;                  /* as lmm_predictor_new's */
  lmm_row_eval *ev;           /* the columns of the variables the level uses, without the response */
  lmm_var_basis *basis;       /* per variable: its fitted levels (none for a numeric variable) */
  int *code;                  /* per variable: the row's level, -1 none */
};

void lmm_predictor_free(lmm_predictor *p) {
  if (!p) return;
  for (int i = 0; p->basis && i < p->m->formula->nvars; i++) lmm_var_basis_clear(&p->basis[i]);
  lmm_free(p->basis);
  lmm_free(p->code);
  lmm_row_eval_free(p->ev);
  lmm_free(p);
}

/* Whether random-effects term t enters a prediction at level. */
static int enters(const lmm_reterm *re, int level) { return level < 0 || (level > 0 && re->nvars <= level); }

/* The variables a prediction at level reads: the fixed part's, and the grouping and Z columns' of the
 * random-effects terms that enter. */
static lmm_term variables_at(const lmm_design *d, int level) {
  lmm_term vars = 0;
  for (int j = 0; j < d->p; j++) vars |= d->xspec[j].term;
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    if (!enters(re, level)) continue;
    vars |= re->group_vars;
    for (int a = 0; a < re->q; a++) vars |= re->zspec[a].term;
  }
  return vars;
}

int lmm_predictor_new(lmm_model *m, int level, lmm_predictor **out, lmm_error *err) {
  *out = NULL;
  int rc = lmm_model_ranef(m, 0, NULL, NULL, err);
  if (rc) return rc;
  const lmm_formula *f = m->formula;
  lmm_predictor *p = lmm_calloc(1, sizeof *p);
  if (!p) return lmm_nomem(err);
  p->m = m;
  p->level = level;
  size_t nv = (size_t)(f->nvars ? f->nvars : 1);
  p->basis = lmm_calloc(nv, sizeof *p->basis);
  p->code = lmm_calloc(nv, sizeof *p->code);
  if (!p->basis || !p->code) rc = lmm_nomem(err);
  if (!rc) rc = lmm_row_eval_new_vars(f, variables_at(m->design, level), &p->ev, err);
  if (!rc) lmm_row_eval_read_text(p->ev, m->frame->ev->untyped, m->options.na, m->options.na_given);
  for (int i = 0; i < f->nvars && !rc; i++) {
    const lmm_frame_var *v = &m->frame->vars[i];
    if (!v->is_factor && v->in_model) p->ev->as_number |= (lmm_term)1 << i;   /* text numbers as in the fit */
    if (v->levels) rc = lmm_var_basis_init(&p->basis[i], v->levels, v->level_len, v->nlevels, err);
  }
  if (rc) { lmm_predictor_free(p); return rc; }
  *out = p;
  return LMM_OK;
}

int lmm_predictor_ncols(const lmm_predictor *p) { return p->ev->ncols; }
const char *lmm_predictor_col(const lmm_predictor *p, int i) { return p->m->formula->cols[p->ev->col[i]]; }

/* The row's level of each variable that has levels.  Text where the fit had numbers is refused, and so is a
 * level of a factor in the model that the fit never saw; a grouping's unknown level stays -1 (a new group). */
static int find_levels(lmm_predictor *p, int64_t rowid, lmm_error *err) {
  const lmm_formula *f = p->m->formula;
  const lmm_row_eval *ev = p->ev;
  char shown[96];
  for (int i = 0; i < f->nvars; i++) {
    const lmm_frame_var *v = &p->m->frame->vars[i];
    p->code[i] = -1;
    if (!(ev->vars >> i & 1)) continue;   /* not read at this level */
    if (ev->text[i] && !v->is_factor && v->in_model)   /* not a level, and no number */
      return lmm_fail(err, LMM_ERR, "column '%s' was numeric in the data the model was fitted to, but row %lld holds "
                      "the text '%s'", f->cols[f->vars[i].ex->column], (long long)rowid, lmm_row_eval_shown(ev, i, shown));
    if (!v->levels) continue;
    p->code[i] = lmm_row_eval_level(ev, i, &p->basis[i]);
    if (p->code[i] < 0 && v->is_factor && v->in_model)
      return lmm_fail(err, LMM_ERR, "row %lld: level '%s' of %s was not in the data the model was fitted to",
                      (long long)rowid, lmm_row_eval_shown(ev, i, shown), f->vars[i].label);
  }
  return LMM_OK;
}

int lmm_predict_row(lmm_predictor *p, const lmm_value *vals, int64_t rowid, double *pred, lmm_error *err) {
  const lmm_design *d = p->m->design;
  const lmm_fit *fit = p->m->fit;
  *pred = NAN;
  int rc = lmm_row_eval_run(p->ev, vals, rowid, 0, err);
  if (rc == LMM_ROW_HAS_NULL) return LMM_OK;
  if (rc || (rc = find_levels(p, rowid, err))) return rc;
  const double *x = p->ev->x;
  /* in the design's scaled units, as lmm_fitted */
  double acc = 0;
  for (int j = 0; j < d->p; j++) acc += lmm_design_row_x(d, j, x, p->code) * ldexp(fit->beta[j], d->xexp[j] - d->yexp);
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    if (!enters(re, p->level)) continue;
    int g = lmm_design_row_group(d, t, p->code);
    if (g < 0) continue;  /* a new group: its random effect is zero */
    const double *b = p->m->ranef->term[t].b + (size_t)g * (size_t)re->q;
    for (int a = 0; a < re->q; a++) acc += lmm_design_row_z(d, t, a, x, p->code) * ldexp(b[a], re->zexp[a] - d->yexp);
  }
  *pred = ldexp(acc, d->yexp) + p->ev->offset;   /* the new row's offset, 0 without one */
  return LMM_OK;
}
