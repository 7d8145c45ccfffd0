/* helpers.c — see helpers.h. */
#include "helpers.h"
#include "harness.h"

#include <stdio.h>

int load_model(const char *formula, const char *random, const char *options, const test_table *t,
               lmm_model **m, lmm_error *err) {
  memset(err, 0, sizeof *err);
  int rc = lmm_model_begin(formula, random, options, m, err);
  if (rc) return rc;
  lmm_model_rows_have_rowid(*m, !t->no_rowid);
  return add_rows(*m, t, err);
}

int add_rows(lmm_model *m, const test_table *t, lmm_error *err) {
  int nc = lmm_model_ncols(m), map[TABLE_MAX_COLS], rc;
  if ((rc = table_columns(m, t, map, err))) return rc;
  lmm_value row[TABLE_MAX_COLS];
  for (int r = 0; r < t->nrows; r++) {
    table_row(t, map, nc, r, row);
    if ((rc = lmm_model_add_row(m, row, r + 1, err))) return rc;
  }
  return LMM_OK;
}

int table_columns(const lmm_model *m, const test_table *t, int *map, lmm_error *err) {
  int nc = lmm_model_ncols(m);
  if (nc > TABLE_MAX_COLS) return lmm_fail(err, LMM_ERR, "test table: too many columns");
  for (int i = 0; i < nc; i++) {
    map[i] = -1;
    for (int j = 0; j < t->ncols; j++)
      if (!strcmp(t->names[j], lmm_model_col(m, i))) map[i] = j;
    if (map[i] < 0) return lmm_fail(err, LMM_ERR, "test table lacks column '%s'", lmm_model_col(m, i));
  }
  return LMM_OK;
}

void table_row(const test_table *t, const int *map, int nc, int r, lmm_value *row) {
  for (int i = 0; i < nc; i++) row[i] = t->v[(size_t)r * (size_t)t->ncols + (size_t)map[i]];
}

int load_design(const char *formula, const char *random, const test_table *t, lmm_model **m, lmm_error *err) {
  int rc = load_model(formula, random, NULL, t, m, err);
  if (!rc) rc = lmm_frame_finish((*m)->frame, err);
  if (!rc) rc = lmm_design_new((*m)->frame, &(*m)->design, err);
  return rc;
}

int fit_model(const char *formula, const char *random, const char *options, const test_table *t,
              lmm_model **m, lmm_error *err) {
  int rc = load_model(formula, random, options, t, m, err);
  if (!rc) rc = lmm_model_fit(*m, NULL, NULL, err);
  return rc;
}

lmm_formula *parse_ok(const char *formula, const char *random) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  if (lmm_formula_parse(formula, random, &f, &err)) {
    t_fail(__FILE__, __LINE__, "formula \"%s\" (random \"%s\") did not parse: %s", formula,
           random ? random : "", err.msg);
    return NULL;
  }
  return f;
}

const char *term_label(const lmm_formula *f, lmm_term t) {
  static char buf[512];
  buf[0] = 0;
  int k = 0;
  for (int v = 0; v < f->nvars; v++)
    if (t >> v & 1) {
      if (k++) strncat(buf, ":", sizeof buf - strlen(buf) - 1);
      strncat(buf, f->vars[v].label, sizeof buf - strlen(buf) - 1);
    }
  return buf;
}

const char *terms_str(const lmm_formula *f, const lmm_terms *t) {
  static char buf[2048];
  buf[0] = 0;
  for (int i = 0; i < t->nterms; i++) {
    if (i) strncat(buf, ";", sizeof buf - strlen(buf) - 1);
    strncat(buf, term_label(f, t->terms[i]), sizeof buf - strlen(buf) - 1);
  }
  return buf;
}

const char *strs_join(char *const *s, int n) {
  static char buf[2048];
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    if (i) strncat(buf, ";", sizeof buf - strlen(buf) - 1);
    strncat(buf, s[i] ? s[i] : "(null)", sizeof buf - strlen(buf) - 1);
  }
  return buf;
}

const char *xnames_str(const lmm_design *d) { return strs_join(d->xnames, d->p); }

const lmm_row *find_row(const lmm_result *r, const char *effect, const char *grp, const char *term) {
  if (!r) return NULL;
  for (int i = 0; i < r->nrows; i++) {
    const lmm_row *row = &r->rows[i];
    if (strcmp(row->effect, effect) || strcmp(row->term, term)) continue;
    if ((grp == NULL) != (row->grp == NULL)) continue;
    if (grp && strcmp(grp, row->grp)) continue;
    return row;
  }
  return NULL;
}

double row_est(const lmm_model *m, const char *effect, const char *grp, const char *term) {
  const lmm_row *row = find_row(m->result, effect, grp, term);
  return row ? row->estimate : NAN;
}

int xcol(const lmm_design *d, const char *name) {
  for (int j = 0; j < d->p; j++)
    if (!strcmp(d->xnames[j], name)) return j;
  return -1;
}

int var_index(const lmm_formula *f, const char *label) {
  for (int i = 0; i < f->nvars; i++)
    if (!strcmp(f->vars[i].label, label)) return i;
  return -1;
}

const lmm_reterm *reterm(const lmm_design *d, const char *grp) {
  for (int t = 0; t < d->nre; t++)
    if (!strcmp(d->re[t].grp, grp)) return &d->re[t];
  return NULL;
}
