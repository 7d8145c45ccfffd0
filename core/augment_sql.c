/* augment_sql.c — the query that gives fitted values and residuals where the rows live (augment_sql.h). */
#include "augment_sql.h"
#include "alloc.h"
#include "sql_text.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *var_col(const lmm_model *m, int v) { return m->formula->cols[m->formula->vars[v].ex->column]; }

/* What variable v's levels are (sql_text.h): a plain column's are text where the model took it for a factor. */
static int levels_kind(const lmm_model *m, int v) {
  if (m->formula->vars[v].kind != LMM_VAR_PLAIN) return LMM_LEVELS_EITHER;
  return m->design->frame->vars[v].is_factor ? LMM_LEVELS_TEXT : LMM_LEVELS_NUMBER;
}

/* Whether every level of v is a whole number that a double holds exactly, compared exactly in ClickHouse. */
static int whole_levels(const lmm_frame_var *fv) {
  for (int l = 0; l < fv->nlevels; l++) {
    double x;
    if (!lmm_sql_number_label(fv->levels[l], &x) || x != floor(x) || fabs(x) > 9007199254740992.0) return 0;
  }
  return 1;
}

/* A model column (a colspec of design.h) as a product in SQL, in the data's units. */
static int column_sql(lmm_sql_buf *b, int dialect, const lmm_model *m, const lmm_colspec *c, lmm_error *err) {
  const lmm_design *d = m->design;
  const lmm_formula *f = m->formula;
  lmm_sql_put(b, "1.0");
  for (lmm_term t = c->term; t; t &= t - 1) {
    int k = __builtin_ctzll(t);
    const lmm_frame_var *fv = &d->frame->vars[k];
    lmm_sql_put(b, " * ");
    if (c->coded >> k & 1 || fv->is_factor) {
      lmm_sql_put(b, "(CASE");
      for (int l = 0; l < fv->nlevels; l++) {
        double v = c->coded >> k & 1 ? d->contr[k][(size_t)c->level[k] * (size_t)fv->nlevels + (size_t)l]
                                     : l == c->level[k];
        if (v == 0) continue;
        lmm_sql_put(b, " WHEN ");
        lmm_sql_level(b, dialect, var_col(m, k), fv->levels[l], levels_kind(m, k));
        lmm_sql_put(b, " THEN ");
        lmm_sql_number(b, v);
      }
      lmm_sql_put(b, " ELSE 0.0 END)");
    } else if (lmm_sql_expr(b, dialect, f->vars[k].ex, f, err)) return err->code;
  }
  return LMM_OK;
}

/* Term t's BLUPs of column a by the row's level (0 for a level the fit did not see). */
static void blup_sql(lmm_sql_buf *b, int dialect, const lmm_model *m, int t, int a) {
  const lmm_design *d = m->design;
  const lmm_reterm *re = &d->re[t];
  const double *bv = m->ranef->term[t].b;
  const lmm_frame_var *fv = &d->frame->vars[re->vars[0]];
  int kind = re->nvars == 1 ? levels_kind(m, re->vars[0]) : LMM_LEVELS_EITHER;
  /* a hash lookup where ClickHouse can match exactly: text as text, whole numbers as integers (18.16's
   * transform() of doubles finds the first key only), a row's value that is not whole matching none; a number
   * that is not whole matches a label's range of doubles, which the CASE below tests */
  if (dialect == LMM_SQL_CLICKHOUSE && (kind == LMM_LEVELS_TEXT || (kind == LMM_LEVELS_NUMBER && whole_levels(fv)))) {
    const char *col = var_col(m, re->vars[0]);
    if (kind == LMM_LEVELS_TEXT) {
      lmm_sql_put(b, "transform(toString(");
      lmm_sql_quote(b, dialect, col);
    } else {
      lmm_sql_put(b, "if(");
      lmm_sql_double(b, dialect, col);
      lmm_sql_put(b, " = floor(");
      lmm_sql_double(b, dialect, col);
      lmm_sql_put(b, ") AND abs(");
      lmm_sql_double(b, dialect, col);
      lmm_sql_put(b, ") <= 9007199254740992.0, transform(toInt64(");
      lmm_sql_double(b, dialect, col);
    }
    lmm_sql_put(b, "), [");
    for (int l = 0; l < re->nlevels; l++) {
      if (l) lmm_sql_put(b, ", ");
      if (kind == LMM_LEVELS_TEXT) lmm_sql_literal(b, dialect, fv->levels[l]);
      else lmm_sql_put(b, "%.0f", strtod(fv->levels[l], NULL));
    }
    lmm_sql_put(b, "], [");
    for (int l = 0; l < re->nlevels; l++) {
      if (l) lmm_sql_put(b, ", ");
      lmm_sql_number(b, bv[(size_t)l * (size_t)re->q + (size_t)a]);
    }
    lmm_sql_put(b, kind == LMM_LEVELS_TEXT ? "], 0.0)" : "], 0.0), 0.0)");
    return;
  }
  lmm_sql_put(b, "(CASE");
  for (int l = 0; l < re->nlevels; l++) {
    int codes[LMM_MAX_VARS];
    lmm_design_group_codes(d, t, l, codes);
    lmm_sql_put(b, " WHEN ");
    for (int j = 0; j < re->nvars; j++) {
      if (j) lmm_sql_put(b, " AND ");
      lmm_sql_level(b, dialect, var_col(m, re->vars[j]), d->frame->vars[re->vars[j]].levels[codes[j]],
                    levels_kind(m, re->vars[j]));
    }
    lmm_sql_put(b, " THEN ");
    lmm_sql_number(b, bv[(size_t)l * (size_t)re->q + (size_t)a]);
  }
  lmm_sql_put(b, " ELSE 0.0 END)");
}

/* A level with a NUL byte has no SQL literal here. */
static int check_levels(const lmm_model *m, lmm_error *err) {
  const lmm_frame *fr = m->design->frame;
  for (int v = 0; v < m->formula->nvars; v++)
    for (int l = 0; fr->vars[v].is_factor && l < fr->vars[v].nlevels; l++)
      if (fr->vars[v].level_len && (size_t)fr->vars[v].level_len[l] != strlen(fr->vars[v].levels[l]))
        return lmm_fail(err, LMM_ERR, "a level of '%s' holds a NUL byte, which has no SQL literal here",
                        m->formula->vars[v].label);
  return LMM_OK;
}

static int is_factor_col(void *arg, const char *col) {
  const lmm_model *m = arg;
  for (int v = 0; v < m->formula->nvars; v++)
    if (m->formula->vars[v].ex->kind == EX_NAME && !strcmp(var_col(m, v), col)) return m->design->frame->vars[v].is_factor;
  return 0;
}

int lmm_augment_sql(const lmm_model *m, const char *data, const char *from, int dialect, char **sql, lmm_error *err) {
  *sql = NULL;
  const lmm_formula *f = m->formula;
  const lmm_design *d = m->design;
  lmm_stats_layout layout;   /* what the statistics cannot carry, the rows' SQL cannot compute either */
  int rc = lmm_stats_names(f, 0, err);
  if (!rc) rc = lmm_stats_layout_new(f, is_factor_col, (void *)m, &layout, err);
  if (!rc) rc = check_levels(m, err);
  if (!rc && d->nre && !m->ranef) rc = lmm_fail(err, LMM_ERR, "the model keeps no random effects");
  if (rc) return rc;
  lmm_sql_buf b = {0};
  lmm_sql_put(&b, "SELECT ");
  for (int c = 0; c < f->ncols; c++) {
    lmm_sql_quote(&b, dialect, f->cols[c]);
    lmm_sql_put(&b, ", ");
  }
  lmm_sql_put(&b, "fitted, lmm_y - fitted AS resid FROM (SELECT ");
  for (int c = 0; c < f->ncols; c++) {
    lmm_sql_quote(&b, dialect, f->cols[c]);
    lmm_sql_put(&b, ", ");
  }
  if (lmm_sql_expr(&b, dialect, f->response, f, err)) goto fail;
  lmm_sql_put(&b, " AS lmm_y, 0.0");
  for (int j = 0; j < d->p; j++) {
    lmm_sql_put(&b, " + ");
    if (column_sql(&b, dialect, m, &d->xspec[j], err)) goto fail;
    lmm_sql_put(&b, " * ");
    lmm_sql_number(&b, m->fit->beta[j]);
  }
  for (int t = 0; t < d->nre; t++)
    for (int a = 0; a < d->re[t].q; a++) {
      lmm_sql_put(&b, " + ");
      if (column_sql(&b, dialect, m, &d->re[t].zspec[a], err)) goto fail;
      lmm_sql_put(&b, " * ");
      blup_sql(&b, dialect, m, t, a);
    }
  lmm_sql_put(&b, " AS fitted FROM ");
  if (data) lmm_sql_quote_table(&b, dialect, data);
  else lmm_sql_put(&b, "%s AS lmm_data", from);
  lmm_sql_where(&b, dialect, f);
  lmm_sql_put(&b, ") AS lmm_rows");
  if (b.oom) {
    lmm_free(b.s);
    return lmm_nomem(err);
  }
  *sql = b.s;
  return LMM_OK;
fail:
  lmm_free(b.s);
  return err->code;
}
