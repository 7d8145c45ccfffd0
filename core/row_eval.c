/* row_eval.c — one row's variables from its column values (see row_eval.h). */
#include "row_eval.h"
#include "alloc.h"
#include "numfmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns e reads, once each, into reads[*n..] (or only counted, reads NULL), *n advanced; seen[c] marks
 * those taken. */
static void list_columns(const lmm_expr *e, int *reads, int *n, unsigned char *seen) {
  if (e->kind == EX_NAME && !seen[e->column]) {
    seen[e->column] = 1;
    if (reads) reads[*n] = e->column;
    (*n)++;
  }
  for (int i = 0; i < e->nargs; i++) list_columns(e->args[i], reads, n, seen);
}

/* reads[reads_at[i] .. reads_at[i + 1]]: the columns of variable i, and at i = nvars the response's. */
static int list_reads(lmm_row_eval *ev) {
  const lmm_formula *f = ev->f;
  size_t nc = (size_t)(f->ncols ? f->ncols : 1);
  ev->reads_at = lmm_malloc(sizeof *ev->reads_at * (size_t)(f->nvars + 2));
  if (!ev->reads_at) return -1;
  for (int pass = 0; pass < 2; pass++) {   /* count, then list */
    int n = 0;
    for (int i = 0; i <= f->nvars; i++) {
      memset(ev->coltext, 0, nc);
      ev->reads_at[i] = n;
      list_columns(i < f->nvars ? f->vars[i].ex : f->response, ev->reads, &n, ev->coltext);
    }
    ev->reads_at[f->nvars + 1] = n;
    if (!pass && !(ev->reads = lmm_malloc(sizeof *ev->reads * (size_t)(n ? n : 1)))) return -1;
  }
  memset(ev->coltext, 0, nc);
  return 0;
}

static int row_eval_new(const lmm_formula *f, int with_response, lmm_term vars, lmm_row_eval **out, lmm_error *err) {
  *out = NULL;
  lmm_row_eval *ev = lmm_calloc(1, sizeof *ev);
  if (!ev) return lmm_nomem(err);
  size_t nc = (size_t)(f->ncols ? f->ncols : 1), nv = (size_t)(f->nvars ? f->nvars : 1);
  ev->f = f;
  ev->with_response = with_response;
  ev->vars = vars;
  ev->col = lmm_calloc(nc, sizeof *ev->col);
  ev->pos = lmm_calloc(nc, sizeof *ev->pos);
  ev->colvals = lmm_calloc(nc, sizeof *ev->colvals);
  ev->coltext = lmm_calloc(nc, sizeof *ev->coltext);
  ev->colbad = lmm_calloc(nc, sizeof *ev->colbad);
  ev->colnull = lmm_calloc(nc, sizeof *ev->colnull);
  ev->x = lmm_calloc(nv, sizeof *ev->x);
  ev->text = lmm_calloc(nv, sizeof *ev->text);
  ev->len = lmm_calloc(nv, sizeof *ev->len);
  if (!ev->col || !ev->pos || !ev->colvals || !ev->coltext || !ev->colbad || !ev->colnull || !ev->x || !ev->text || !ev->len || list_reads(ev)) {
    lmm_row_eval_free(ev);
    return lmm_nomem(err);
  }
  /* every column a formula names is the response's or a variable's */
  int *used = ev->pos;
  if (with_response) lmm_expr_columns(f->response, used);
  if (f->offset) lmm_expr_columns(f->offset, used);   /* a prediction adds it too */
  for (int i = 0; i < f->nvars; i++)
    if (vars >> i & 1) lmm_expr_columns(f->vars[i].ex, used);
  for (int c = 0; c < f->ncols; c++) {
    if (used[c]) { ev->col[ev->ncols] = c; used[c] = ev->ncols++; }
    else used[c] = -1;
  }
  *out = ev;
  return LMM_OK;
}

int lmm_row_eval_new(const lmm_formula *f, int with_response, lmm_row_eval **out, lmm_error *err) {
  return row_eval_new(f, with_response, ~(lmm_term)0, out, err);
}

int lmm_row_eval_new_vars(const lmm_formula *f, lmm_term vars, lmm_row_eval **out, lmm_error *err) {
  return row_eval_new(f, 0, vars, out, err);
}

void lmm_row_eval_free(lmm_row_eval *ev) {
  if (!ev) return;
  lmm_free(ev->col);
  lmm_free(ev->pos);
  lmm_free(ev->colvals);
  lmm_free(ev->coltext);
  lmm_free(ev->colbad);
  lmm_free(ev->colnull);
  lmm_free(ev->x);
  lmm_free(ev->text);
  lmm_free(ev->len);
  lmm_free(ev->reads);
  lmm_free(ev->reads_at);
  lmm_free(ev);
}

/* At most 40 bytes of a text, a NUL byte shown as \0 (it would end the message); buf needs 96 bytes. */
static const char *shown_text(const char *text, int len, char *buf) {
  size_t n = 0;
  for (int i = 0; i < len && i < 40; i++) {
    if (text[i]) buf[n++] = text[i];
    else { buf[n++] = '\\'; buf[n++] = '0'; }
  }
  buf[n] = 0;
  return buf;
}

const char *lmm_row_eval_shown(const lmm_row_eval *ev, int i, char *buf) {
  if (ev->text[i]) return shown_text(ev->text[i], ev->len[i], buf);
  lmm_format_number(ev->x[i], buf);
  return buf;
}

static const char *row_word(const lmm_row_eval *ev) { return ev->has_rowid ? "rowid" : "row"; }

/* A text value where a number is needed: name the column and the row. */
static int check_numeric(const lmm_row_eval *ev, const lmm_expr *e, const char *what, lmm_error *err) {
  if (e->kind == EX_NAME && ev->colbad[e->column]) {
    const lmm_value *v = &ev->vals[ev->pos[e->column]];
    char buf[96];
    return lmm_fail(err, LMM_ERR, "column '%s' must be numeric in %s, but %s %lld holds the text '%s', which is no number "
                    "(a missing value is NULL, or a text named by option na=)",
                    ev->f->cols[e->column], what, row_word(ev), (long long)ev->rowid, shown_text(v->text, v->len, buf));
  }
  for (int i = 0; i < e->nargs; i++) {
    int rc = check_numeric(ev, e->args[i], what, err);
    if (rc) return rc;
  }
  return LMM_OK;
}

static int not_finite(const lmm_row_eval *ev, const char *label, double v, lmm_error *err) {
  return lmm_fail(err, LMM_ERR, "%s is %s at %s %lld; remove the row or transform the value",
                  label, isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf", row_word(ev), (long long)ev->rowid);
}

/* The value of an arithmetic expression of the row (the response, or variable i), checked: a loop over the
 * columns it reads finds text, and the walk of the tree is left to the message. */
static int number(const lmm_row_eval *ev, const lmm_expr *e, int i, const char *label, double *x, lmm_error *err) {
  const char *in = i == ev->f->nvars ? "the response" : label;
  if (e->kind == EX_NAME) {   /* a column as it stands, the commonest */
    if (ev->colbad[e->column]) return check_numeric(ev, e, in, err);
    *x = ev->colvals[e->column];
  } else {
    for (int k = ev->reads_at[i]; k < ev->reads_at[i + 1]; k++)
      if (ev->colbad[ev->reads[k]]) return check_numeric(ev, e, in, err);
    *x = lmm_expr_eval(e, ev->colvals);
  }
  return isfinite(*x) ? LMM_OK : not_finite(ev, label, *x, err);
}

void lmm_row_eval_read_text(lmm_row_eval *ev, int untyped, const char *na, int na_given) {
  ev->untyped = untyped;
  ev->na = untyped || na_given ? na : NULL;
}

int lmm_text_number(const char *text, int len, double *x) {
  char buf[64], *end;
  int a = 0, b = len;
  while (a < b && isspace((unsigned char)text[a])) a++;
  while (b > a && isspace((unsigned char)text[b - 1])) b--;
  if (a == b || b - a >= (int)sizeof buf) return 0;   /* no number is written in 64 characters or more */
  /* strtod's numbers start, after a sign, with a digit, a point, inf or nan: a level like "s00012" is told
   * here, once a value of every row, without strtod's setup (a comma: the decimal point of some locales) */
  char c = text[a + (b - a > 1 && (text[a] == '+' || text[a] == '-'))];
  if (!(isdigit((unsigned char)c) || c == '.' || c == ',' || c == 'i' || c == 'I' || c == 'n' || c == 'N')) return 0;
  memcpy(buf, text + a, (size_t)(b - a));
  buf[b - a] = 0;
  *x = strtod(buf, &end);
  return end == buf + (b - a);   /* the whole text: a NUL inside ends strtod's reading, not the text */
}

/* Whether text[0..len) is one of the '|'-separated texts of na. */
static int is_na(const char *na, const char *text, int len) {
  for (const char *p = na;; p++) {
    const char *e = strchr(p, '|');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == (size_t)len && !memcmp(p, text, n)) return 1;
    if (!e) return 0;
    p = e;
  }
}

/* What a row with a NULL gives (lmm_row_eval_run): the numbers of dropped_vars whose columns hold none.  A
 * value that is text or not finite is not given, as R's NA is not counted. */
static int dropped_row(lmm_row_eval *ev) {
  ev->dropped_has = 0;
  for (lmm_term t = ev->dropped_vars & ev->vars; t; t &= t - 1) {
    int i = __builtin_ctzll(t), ok = 1;
    for (int k = ev->reads_at[i]; k < ev->reads_at[i + 1] && ok; k++)
      ok = !ev->colnull[ev->reads[k]] && !ev->colbad[ev->reads[k]];
    double x = ok ? lmm_expr_eval(ev->f->vars[i].ex, ev->colvals) : NAN;
    ev->x[i] = x;
    if (isfinite(x)) ev->dropped_has |= (lmm_term)1 << i;
  }
  return LMM_ROW_HAS_NULL;
}

/* Variable i's value in the row last run as a level's label: its text, or the number as R prints it (into buf,
 * 32 bytes); *len its bytes */
static const char *level_label(const lmm_row_eval *ev, int i, char *buf, size_t *len) {
  if (ev->text[i]) { *len = (size_t)ev->len[i]; return ev->text[i]; }
  lmm_format_number(ev->x[i], buf);
  *len = strlen(buf);
  return buf;
}

/* Whether variable i's value is one of the levels its factor(x, levels = ) lists: a row of another is dropped,
 * as R's NA */
static int listed_level(const lmm_row_eval *ev, int i) {
  const lmm_coding *cd = &ev->f->vars[i].coding;
  char buf[32];
  size_t len;
  const char *label = level_label(ev, i, buf, &len);
  for (int k = 0; k < cd->ngiven; k++)
    if (!lmm_label_cmp(cd->given[k], strlen(cd->given[k]), label, len)) return 1;
  return 0;
}

int lmm_row_eval_run(lmm_row_eval *ev, const lmm_value *vals, int64_t rowid, int has_rowid, lmm_error *err) {
  const lmm_formula *f = ev->f;
  int has_null = 0;
  for (int k = 0; k < ev->ncols; k++) {
    int c = ev->col[k], text = vals[k].type == LMM_TEXT;
    double x = text ? NAN : vals[k].num;
    int reads = text && lmm_text_number(vals[k].text, vals[k].len, &x);
    int is_null = vals[k].type == LMM_NULL ||
                  (text && ((ev->untyped && !reads && !vals[k].len) || (ev->na && is_na(ev->na, vals[k].text, vals[k].len))));
    if (is_null && !ev->dropped_vars) return LMM_ROW_HAS_NULL;
    ev->colnull[c] = (unsigned char)is_null;
    has_null |= is_null;
    ev->coltext[c] = text && !(ev->untyped && reads);
    ev->colbad[c] = text && !reads;
    ev->colvals[c] = x;
  }
  if (has_null) return dropped_row(ev);
  ev->dropped_has = 0;
  ev->vals = vals;
  ev->rowid = rowid;
  ev->has_rowid = has_rowid;
  int rc;
  if (ev->with_response && (rc = number(ev, f->response, f->nvars, f->response_label, &ev->y, err))) return rc;
  if (f->offset) {
    if ((rc = check_numeric(ev, f->offset, f->offset_label, err))) return rc;
    ev->offset = lmm_expr_eval(f->offset, ev->colvals);
    if (!isfinite(ev->offset)) return not_finite(ev, f->offset_label, ev->offset, err);
  }
  int unlisted = 0;
  for (int i = 0; i < f->nvars; i++) {
    const lmm_var *var = &f->vars[i];
    const lmm_expr *e = var->ex;
    if (!(ev->vars >> i & 1)) {   /* its columns are not in the row */
      ev->text[i] = NULL;
      ev->x[i] = NAN;
      continue;
    }
    if (e->kind == EX_NAME && ev->coltext[e->column] && var->kind != LMM_VAR_NUMERIC &&
        (!(ev->as_number >> i & 1) || ev->colbad[e->column])) {  /* a level as it stands */
      const lmm_value *v = &vals[ev->pos[e->column]];
      ev->text[i] = v->len ? v->text : "";   /* text is never NULL: it says the value is text */
      ev->len[i] = v->len;
      ev->x[i] = NAN;
    } else {
      ev->text[i] = NULL;
      if ((rc = number(ev, e, i, var->label, &ev->x[i], err))) return rc;
    }
    unlisted |= var->coding.ngiven && !listed_level(ev, i);
  }
  if (unlisted) {   /* dropped as R's NA, its basis variables' values given as a NULL's row gives them */
    ev->dropped_has = ev->dropped_vars & ev->vars;
    return LMM_ROW_HAS_NULL;
  }
  return LMM_OK;
}

int lmm_label_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  return c ? c : (alen > blen) - (alen < blen);
}

typedef struct labelled { const char *label; int len, code; } labelled;

static int labelled_cmp(const void *a, const void *b) {
  const labelled *x = a, *y = b;
  return lmm_label_cmp(x->label, (size_t)x->len, y->label, (size_t)y->len);
}

int lmm_var_basis_init(lmm_var_basis *b, char *const *levels, const int *len, int n, lmm_error *err) {
  memset(b, 0, sizeof *b);
  size_t m = (size_t)(n ? n : 1);
  b->label = lmm_malloc(sizeof *b->label * m);
  b->len = lmm_malloc(sizeof *b->len * m);
  b->code = lmm_malloc(sizeof *b->code * m);
  labelled *tmp = lmm_malloc(sizeof *tmp * m);
  if (!b->label || !b->len || !b->code || !tmp) {
    lmm_free(tmp);
    lmm_var_basis_clear(b);
    return lmm_nomem(err);
  }
  for (int l = 0; l < n; l++) tmp[l] = (labelled){levels[l], len[l], l};
  qsort(tmp, (size_t)n, sizeof *tmp, labelled_cmp);
  for (int l = 0; l < n; l++) {
    b->label[l] = tmp[l].label;
    b->len[l] = tmp[l].len;
    b->code[l] = tmp[l].code;
  }
  b->nlevels = n;
  lmm_free(tmp);
  return LMM_OK;
}

void lmm_var_basis_clear(lmm_var_basis *b) {
  lmm_free(b->label);
  lmm_free(b->len);
  lmm_free(b->code);
  memset(b, 0, sizeof *b);
}

int lmm_row_eval_level(const lmm_row_eval *ev, int i, const lmm_var_basis *b) {
  char buf[32];
  size_t len;
  const char *label = level_label(ev, i, buf, &len);
  int lo = 0, hi = b->nlevels;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2, c = lmm_label_cmp(b->label[mid], (size_t)b->len[mid], label, len);
    if (!c) return b->code[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}
