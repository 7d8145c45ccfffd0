/* design.c — R's model.matrix, and the random-effects terms.  A factor in a
 * term is coded by contrasts (contrasts.h: treatment's drop the base level)
 * when the term without it is empty or contained in an earlier term, and by
 * one indicator per level otherwise, as R's TermCode decides. */
#include "design.h"
#include "alloc.h"
#include "contrasts.h"
#include "numfmt.h"
#include "theta.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef lmm_colspec colspec;

typedef struct collist { int n, cap; colspec *c; char **names; int *term_index; } collist;

static void collist_free(collist *l, int free_names) {
  if (free_names)
    for (int i = 0; i < l->n; i++) lmm_free(l->names[i]);
  lmm_free(l->c);
  lmm_free(l->names);
  lmm_free(l->term_index);
}

static int collist_push(collist *l, const colspec *c, char *name, int term_index, lmm_error *err) {
  if (!name) return lmm_nomem(err);
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    colspec *c2 = lmm_realloc(l->c, sizeof *c2 * (size_t)cap);
    if (c2) l->c = c2;
    char **n2 = lmm_realloc(l->names, sizeof *n2 * (size_t)cap);
    if (n2) l->names = n2;
    int *t2 = lmm_realloc(l->term_index, sizeof *t2 * (size_t)cap);
    if (t2) l->term_index = t2;
    if (!c2 || !n2 || !t2) { lmm_free(name); return lmm_nomem(err); }
    l->cap = cap;
  }
  l->c[l->n] = *c;
  l->names[l->n] = name;
  l->term_index[l->n] = term_index;
  l->n++;
  return LMM_OK;
}

/* Columns a numeric variable makes: a basis's (bases.h), else one. */
static int numeric_columns(const lmm_formula *f, int v) { return f->vars[v].basis.kind ? f->vars[v].basis.ncols : 1; }

/* A term's label as R prints it: its variables joined by ':'. */
static char *term_label(const lmm_formula *f, lmm_term term) {
  size_t len = 1;
  for (int v = 0; v < f->nvars; v++) if (term >> v & 1) len += strlen(f->vars[v].label) + 1;
  char *s = lmm_malloc(len);
  if (!s) return NULL;
  s[0] = 0;
  for (int v = 0, k = 0; v < f->nvars; v++)
    if (term >> v & 1) { if (k++) strcat(s, ":"); strcat(s, f->vars[v].label); }
  return s;
}

/* How factor v is coded where a term codes it by contrasts (contrasts.h): its own C() or ordered(), else the
 * options' contrasts= for an unordered factor, else treatment. */
static int contrast_kind(const lmm_formula *f, int v) {
  const lmm_coding *cd = &f->vars[v].coding;
  if (cd->contrast != LMM_CONTR_DEFAULT) return cd->contrast;
  if (cd->ordered) return LMM_CONTR_POLY;
  return f->contrasts != LMM_CONTR_DEFAULT ? f->contrasts : LMM_CONTR_TREATMENT;
}

/* Factor v's contrast matrix (d->contr[v], made at first need), or under treatment its base level (0-based) */
static int contrast_of(lmm_design *d, int v, int *base, lmm_error *err) {
  const lmm_formula *f = d->frame->f;
  const lmm_coding *cd = &f->vars[v].coding;
  int n = d->frame->vars[v].nlevels, kind = contrast_kind(f, v);
  *base = 0;
  if (kind == LMM_CONTR_TREATMENT) {
    *base = cd->base == LMM_CONTR_BASE_LAST ? n - 1 : cd->base ? cd->base - 1 : 0;
    if (*base >= n)
      return lmm_fail(err, LMM_ERR, "%s: base %d is beyond its %d levels (R: baseline group number out of range)",
                      f->vars[v].label, cd->base, n);
    return LMM_OK;
  }
  if (kind == LMM_CONTR_POLY && n > LMM_CONTR_POLY_MAX)
    return lmm_fail(err, LMM_ERR, "%s has %d levels: polynomial contrasts of more than %d levels cannot be represented "
                    "accurately (as R says); use another contrast", f->vars[v].label, n, LMM_CONTR_POLY_MAX);
  if (d->contr[v]) return LMM_OK;
  if (!(d->contr[v] = lmm_malloc_array(lmm_size_mul((size_t)n, (size_t)n - 1), sizeof **d->contr))) return lmm_nomem(err);
  lmm_contrast_matrix(kind, n, d->contr[v]);
  return LMM_OK;
}

/* How a factor makes the columns of one term: an indicator per level (no contrasts), one per level but the
 * base (treatment), or the contrast matrix's columns */
enum { FULL, TREAT, CODED };

/* The name of column idx of factor v coded as mode (base: treatment's) */
static const char *level_suffix(const lmm_design *d, int v, int mode, int base, int idx, char *buf) {
  const lmm_frame_var *fv = &d->frame->vars[v];
  const lmm_coding *cd = &d->frame->f->vars[v].coding;
  if (mode == CODED) return lmm_contrast_suffix(contrast_kind(d->frame->f, v), idx, buf);
  int level = mode == TREAT && idx >= base ? idx + 1 : idx;
  if (mode == TREAT && cd->numbered) { snprintf(buf, 16, "%d", level + 1); return buf; }
  return fv->levels[level];
}

/* The columns a terms object makes, in R's order and with R's names.  More
 * than max_cols is refused as soon as it is reached, before interactions of
 * many-level factors can ask for memory without bound. */
static int model_columns(lmm_design *d, const lmm_terms *tm, int max_cols, const char *what,
                         const char *limit_reason, collist *out, lmm_error *err) {
  const lmm_frame *fr = d->frame;
  const lmm_formula *f = fr->f;
  colspec c;
  memset(&c, 0, sizeof c);
  int rc;
  if (tm->intercept && (rc = collist_push(out, &c, lmm_strdup("(Intercept)"), 0, err))) return rc;
  int first_factor_done = tm->intercept;
  for (int t = 0; t < tm->nterms; t++) {
    lmm_term term = tm->terms[t];
    int vars[LMM_MAX_VARS], nv = 0, mode[LMM_MAX_VARS], base[LMM_MAX_VARS], ncol[LMM_MAX_VARS];
    for (int v = 0; v < f->nvars; v++)
      if (term >> v & 1) vars[nv++] = v;
    for (int k = 0; k < nv; k++) {
      const lmm_frame_var *fv = &fr->vars[vars[k]];
      mode[k] = FULL;
      base[k] = 0;
      ncol[k] = fv->is_factor ? fv->nlevels : numeric_columns(f, vars[k]);   /* a basis makes several */
      if (!fv->is_factor) continue;
      if (fv->nlevels < 2)
        return lmm_fail(err, LMM_ERR, "factor '%s' has only one level in the rows used; it cannot be estimated (R: contrasts can be applied only to factors with 2 or more levels)",
                        f->vars[vars[k]].label);
      lmm_term rest = term & ~((lmm_term)1 << vars[k]);
      int contrasts = rest == 0 && tm->intercept;
      for (int s = 0; s < t && !contrasts; s++)
        if ((rest & ~tm->terms[s]) == 0) contrasts = 1;
      if (rest == 0 && !tm->intercept) contrasts = first_factor_done;
      if (!first_factor_done && rest == 0) first_factor_done = 1;
      if (!contrasts) continue;
      if ((rc = contrast_of(d, vars[k], &base[k], err))) return rc;
      mode[k] = d->contr[vars[k]] && contrast_kind(f, vars[k]) != LMM_CONTR_TREATMENT ? CODED : TREAT;
      ncol[k] = fv->nlevels - 1;
    }
    /* first variable varies fastest */
    int idx[LMM_MAX_VARS] = {0};
    for (;;) {
      c.term = term;
      c.coded = 0;
      char buf[LMM_MAX_VARS][16];
      const char *suffix[LMM_MAX_VARS];
      size_t len = 1;
      for (int k = 0; k < nv; k++) {
        int v = vars[k];
        if (fr->vars[v].is_factor) suffix[k] = level_suffix(d, v, mode[k], base[k], idx[k], buf[k]);
        else if (ncol[k] > 1) suffix[k] = (snprintf(buf[k], sizeof buf[k], "%d", idx[k] + 1), buf[k]);   /* poly(x, 2)1 */
        else suffix[k] = "";
        /* a factor's level or contrast column, a numeric variable's basis column */
        c.level[v] = mode[k] == TREAT && idx[k] >= base[k] ? idx[k] + 1 : idx[k];
        if (mode[k] == CODED) c.coded |= (lmm_term)1 << v;
        len += strlen(f->vars[v].label) + 1 + strlen(suffix[k]);
      }
      char *name = lmm_malloc(len);
      if (name) {
        name[0] = 0;
        for (int k = 0; k < nv; k++) {
          if (k) strcat(name, ":");
          strcat(strcat(name, f->vars[vars[k]].label), suffix[k]);
        }
      }
      if (out->n >= max_cols) {
        lmm_free(name);
        char *label = term_label(f, term);
        rc = lmm_fail(err, LMM_ERR, "%s: with term '%s' there are more than %d columns, %s", what, label ? label : "?",
                      max_cols, limit_reason);
        lmm_free(label);
        return rc;
      }
      if ((rc = collist_push(out, &c, name, t + 1, err))) return rc;
      int k = 0;
      for (; k < nv; k++) {
        if (++idx[k] < ncol[k]) break;
        idx[k] = 0;
      }
      if (k == nv) break;
    }
  }
  return LMM_OK;
}

/* Value of a column in row r, of the scaled variables. */
static double column_value(const lmm_design *d, const colspec *c, size_t r) {
  double v = 1;
  for (lmm_term t = c->term; t; t &= t - 1) {
    int k = __builtin_ctzll(t);
    const lmm_frame_var *fv = &d->frame->vars[k];
    if (c->coded >> k & 1) v *= d->contr[k][(size_t)c->level[k] * (size_t)fv->nlevels + (size_t)fv->code[r]];
    else if (fv->is_factor) { if (fv->code[r] != c->level[k]) return 0; }
    else v *= fv->x[(size_t)c->level[k] * d->n + r] * d->vscale[k];   /* a basis's column level (frame.h) */
  }
  return v;
}

double lmm_design_x(const lmm_design *d, int j, size_t r) {
  return d->white_x ? d->white_x[(size_t)j * d->n + r] : column_value(d, &d->xspec[j], r);
}

double lmm_design_z(const lmm_design *d, int t, int a, size_t r) {
  return d->white_z ? d->white_z[t][(size_t)a * d->n + r] : column_value(d, &d->re[t].zspec[a], r);
}

/* m values of a prewhitened column (design.h) */
static void white_rows(const double *col, const uint32_t *idx, size_t r0, int m, double *out) {
  for (int i = 0; i < m; i++) out[i] = col[idx ? idx[i] : r0 + (size_t)i];
}

/* A column over rows idx[0..m-1] (r0 .. r0+m-1 when idx is NULL).  The
 * common columns -- the intercept, one numeric variable, one level of one
 * factor -- are plain loops whose reads the processor overlaps: in the
 * first term's order every read is a cache miss, and a call of
 * column_value per value would keep few in flight.  The same values as
 * column_value. */
static void column_rows(const lmm_design *d, const colspec *c, const uint32_t *idx, size_t r0, int m, double *out) {
  const lmm_frame *fr = d->frame;
  lmm_term t = c->term;
  if (t == 0) {
    for (int i = 0; i < m; i++) out[i] = 1;
    return;
  }
  if (t & (t - 1)) {   /* a product of variables */
    for (int i = 0; i < m; i++) out[i] = column_value(d, c, idx ? idx[i] : r0 + (size_t)i);
    return;
  }
  int k = __builtin_ctzll(t);
  const lmm_frame_var *fv = &fr->vars[k];
  if (c->coded) {   /* a column of a contrast matrix, looked up by level */
    const int *code = fv->code;
    const double *col = d->contr[k] + (size_t)c->level[k] * (size_t)fv->nlevels;
    if (idx) for (int i = 0; i < m; i++) out[i] = col[code[idx[i]]];
    else for (int i = 0; i < m; i++) out[i] = col[code[r0 + (size_t)i]];
  } else if (fv->is_factor) {
    const int *code = fv->code;
    int level = c->level[k];
    if (idx) for (int i = 0; i < m; i++) out[i] = code[idx[i]] == level;
    else for (int i = 0; i < m; i++) out[i] = code[r0 + (size_t)i] == level;
  } else {
    const double *x = fv->x + (size_t)c->level[k] * d->n, sc = d->vscale[k];
    if (idx) for (int i = 0; i < m; i++) out[i] = x[idx[i]] * sc;
    else for (int i = 0; i < m; i++) out[i] = x[r0 + (size_t)i] * sc;
  }
}

void lmm_design_spec_rows(const lmm_design *d, const lmm_colspec *c, size_t r0, int m, double *out) {
  column_rows(d, c, NULL, r0, m, out);
}

void lmm_design_x_rows(const lmm_design *d, const uint32_t *idx, size_t r0, int m, double *B, int ldb) {
  for (int j = 0; j < d->p; j++)
    if (d->white_x) white_rows(d->white_x + (size_t)j * d->n, idx, r0, m, B + (size_t)j * (size_t)ldb);
    else column_rows(d, &d->xspec[j], idx, r0, m, B + (size_t)j * (size_t)ldb);
}

void lmm_design_z_rows(const lmm_design *d, int t, int a, const uint32_t *idx, size_t r0, int m, double *out) {
  if (d->white_z) white_rows(d->white_z[t] + (size_t)a * d->n, idx, r0, m, out);
  else column_rows(d, &d->re[t].zspec[a], idx, r0, m, out);
}

int lmm_design_dense_x(const lmm_design *d, lmm_stop *stop, double **X, lmm_error *err) {
  *X = lmm_malloc_array(lmm_size_mul(d->n, (size_t)(d->p ? d->p : 1)), sizeof **X);
  return *X ? lmm_design_dense_x_into(d, stop, *X, err) : lmm_nomem(err);
}

int lmm_design_x_column(const lmm_design *d, int j, lmm_stop *stop, double *out) {
  size_t n = d->n;
  enum { ROWS = 1 << 20 };   /* column_rows takes an int count */
  for (size_t r0 = 0; r0 < n; r0 += ROWS) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    size_t m = n - r0 < ROWS ? n - r0 : ROWS;
    if (d->white_x) memcpy(out + r0, d->white_x + (size_t)j * n + r0, sizeof *out * m);
    else column_rows(d, &d->xspec[j], NULL, r0, (int)m, out + r0);
  }
  return LMM_OK;
}

int lmm_design_dense_x_into(const lmm_design *d, lmm_stop *stop, double *X, lmm_error *err) {
  for (int j = 0; j < d->p; j++)
    if (lmm_design_x_column(d, j, stop, X + (size_t)j * d->n)) return lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  return LMM_OK;
}

/* column_value for a row given by its variables: the same product, over a row's values where column_value
 * reads the frame's columns (gathering a frame row first would cost column_rows a copy per value). */
static double row_value(const lmm_design *d, const colspec *c, const double *x, const int *code) {
  double v = 1;
  for (lmm_term t = c->term; t; t &= t - 1) {
    int k = __builtin_ctzll(t);
    const lmm_numbasis *b = &d->frame->f->vars[k].basis;
    if (c->coded >> k & 1) {
      if (code[k] < 0) return 0;   /* no level: the prediction refuses the row (predict.c) */
      v *= d->contr[k][(size_t)c->level[k] * (size_t)d->frame->vars[k].nlevels + (size_t)code[k]];
    } else if (d->frame->vars[k].is_factor) { if (code[k] != c->level[k]) return 0; }
    else if (b->kind) {   /* the fitted data's basis (frame.h's coef), never the new rows' */
      double cols[LMM_NUMBASIS_MAX_COLS];
      lmm_numbasis_eval(b, d->frame->vars[k].coef, x[k], cols);
      v *= cols[c->level[k]] * d->vscale[k];
    } else v *= x[k] * d->vscale[k];
  }
  return v;
}

double lmm_design_row_x(const lmm_design *d, int j, const double *x, const int *code) {
  return row_value(d, &d->xspec[j], x, code);
}

double lmm_design_row_z(const lmm_design *d, int t, int a, const double *x, const int *code) {
  return row_value(d, &d->re[t].zspec[a], x, code);
}

/* An interaction's level key: its variables' codes as one mixed-radix number, the first slowest. */
static uint64_t group_key(const lmm_frame *fr, const lmm_reterm *re, const int *code) {
  uint64_t k = 0;
  for (int j = 0; j < re->nvars; j++) k = k * (uint64_t)fr->vars[re->vars[j]].nlevels + (uint64_t)code[re->vars[j]];
  return k;
}

/* The interaction level whose key is key, -1 if none. */
static int key_level(const lmm_reterm *re, uint64_t key) {
  size_t lo = 0, hi = (size_t)re->nlevels;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (re->keys[mid] == key) return (int)mid;
    if (re->keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

int lmm_design_row_group(const lmm_design *d, int t, const int *code) {
  const lmm_reterm *re = &d->re[t];
  for (int j = 0; j < re->nvars; j++)
    if (code[re->vars[j]] < 0) return -1;
  return re->nvars == 1 ? code[re->vars[0]] : key_level(re, group_key(d->frame, re, code));
}

static int key_cmp(const void *a, const void *c) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)c;
  return (x > y) - (x < y);
}

/* The codes of interaction level key, one per grouping variable. */
static void key_codes(const lmm_frame *fr, const lmm_reterm *re, uint64_t key, int *codes) {
  for (int j = re->nvars - 1; j >= 0; j--) {
    uint64_t nl = (uint64_t)fr->vars[re->vars[j]].nlevels;
    codes[j] = (int)(key % nl);
    key /= nl;
  }
}

/* An interaction's level labels as R prints them ("ca.1:3"), from its keys. */
static int interaction_labels(const lmm_frame *fr, lmm_reterm *re, lmm_error *err) {
  re->levels = lmm_calloc((size_t)(re->nlevels ? re->nlevels : 1), sizeof *re->levels);
  if (!re->levels) return lmm_nomem(err);
  for (int l = 0; l < re->nlevels; l++) {
    int codes[LMM_MAX_VARS];
    key_codes(fr, re, re->keys[l], codes);
    size_t len = 1;
    for (int j = 0; j < re->nvars; j++) len += strlen(fr->vars[re->vars[j]].levels[codes[j]]) + 1;
    char *s = lmm_malloc(len);
    if (!s) return lmm_nomem(err);
    s[0] = 0;
    for (int j = 0; j < re->nvars; j++) {
      if (j) strcat(s, ":");
      strcat(s, fr->vars[re->vars[j]].levels[codes[j]]);
    }
    re->levels[l] = s;
  }
  return LMM_OK;
}

static int given_levels(const lmm_frame *fr, const lmm_saved_group *given, lmm_reterm *re, lmm_error *err);

/* Grouping factor of a bar: one variable's codes, or the interaction of several (whose levels are given when
 * the design is restored without its rows). */
static int grouping(const lmm_frame *fr, const lmm_bar *b, const lmm_saved_group *given, lmm_reterm *re,
                    lmm_error *err) {
  size_t n = fr->n;
  re->nvars = b->ngroup;
  memcpy(re->vars, b->group, sizeof *b->group * (size_t)b->ngroup);
  for (int k = 0; k < b->ngroup; k++) re->group_vars |= (uint64_t)1 << b->group[k];
  if (b->ngroup == 1) {
    const lmm_frame_var *v = &fr->vars[b->group[0]];
    re->g = v->code;
    re->nlevels = v->nlevels;
    re->levels = lmm_calloc((size_t)(v->nlevels ? v->nlevels : 1), sizeof *re->levels);
    if (!re->levels) return lmm_nomem(err);
    for (int l = 0; l < v->nlevels; l++)
      if (!(re->levels[l] = lmm_strdup(v->levels[l]))) return lmm_nomem(err);
    return LMM_OK;
  }
  /* interaction: sort the distinct code tuples (mixed-radix keys) */
  uint64_t radix = 1;
  for (int j = 0; j < b->ngroup; j++)
    if (__builtin_mul_overflow(radix, (uint64_t)fr->vars[b->group[j]].nlevels, &radix))
      return lmm_fail(err, LMM_ERR, "grouping factor '%s': the product of its variables' levels is beyond 2^64, too many "
                      "combinations to tell apart; group by fewer variables", b->grp_name);
  if (given) return given_levels(fr, given, re, err);
  re->g = re->g_own = lmm_malloc(sizeof *re->g_own * (n ? n : 1));
  if (!re->g_own) return lmm_nomem(err);
  uint64_t *key = lmm_malloc(sizeof *key * (n ? n : 1));
  re->keys = lmm_malloc(sizeof *re->keys * (n ? n : 1));
  if (!key || !re->keys) { lmm_free(key); return lmm_nomem(err); }
  uint64_t *uniq = re->keys;
  int code[LMM_MAX_VARS];
  for (size_t r = 0; r < n; r++) {
    for (int j = 0; j < b->ngroup; j++) code[b->group[j]] = fr->vars[b->group[j]].code[r];
    key[r] = uniq[r] = group_key(fr, re, code);
  }

  qsort(uniq, n, sizeof *uniq, key_cmp);
  size_t m = 0;
  for (size_t r = 0; r < n; r++) if (!m || uniq[m - 1] != uniq[r]) uniq[m++] = uniq[r];
  uint64_t *kept = lmm_realloc(uniq, sizeof *uniq * (m ? m : 1));   /* kept for prediction (lmm_design_row_group) */
  if (kept) re->keys = uniq = kept;   /* else the longer array serves as well */
  int rc = LMM_OK;
  if (m > INT_MAX) {
    lmm_free(key);
    return lmm_fail(err, LMM_ERR, "grouping factor '%s' has %zu levels, more than a grouping factor may have", b->grp_name, m);
  }
  re->nlevels = (int)m;
  rc = interaction_labels(fr, re, err);
  for (size_t r = 0; r < n && !rc; r++) re->g_own[r] = key_level(re, key[r]);
  lmm_free(key);
  return rc;
}


/* The power of two that brings the largest magnitude of x into [0.5, 1)
 * (see lmm_design.vexp).  Subnormal numbers have lost digits already. */
static int scale_exp(const double *x, size_t n, const char *label, int *e, lmm_error *err) {
  double mx = 0;
  for (size_t r = 0; r < n; r++)
    if (fabs(x[r]) > mx) mx = fabs(x[r]);
  *e = 0;
  if (mx > 0 && mx < DBL_MIN)
    return lmm_fail(err, LMM_ERR, "'%s' is at most %.3g in magnitude: below %.3g numbers lose significant digits "
                    "(they are subnormal); multiply it by a power of ten", label, mx, DBL_MIN);
  if (mx > 0) frexp(mx, e);
  return LMM_OK;
}

static int colspec_exp(const lmm_design *d, const colspec *c) {
  int e = 0;
  for (lmm_term t = c->term; t; t &= t - 1) e += d->vexp[__builtin_ctzll(t)];
  return e;
}

/* A term whose columns are products of numeric variables, or split by a
 * factor or a grouping, does not take its largest magnitude from each
 * variable's own: a column, or a group's block, may hold only values far
 * below it.  Where a row's product, scaled, is nonzero in the data but its
 * square would underflow, the cross-products lose it: an error that names
 * the term and the range of its products (decimal exponents of the rows
 * whose product is not zero). */
static int check_products(const lmm_design *d, lmm_term term, int split, lmm_error *err) {
  const lmm_frame *fr = d->frame;
  int nnum = 0;
  for (lmm_term t = term; t; t &= t - 1) nnum += !fr->vars[__builtin_ctzll(t)].is_factor;
  if (nnum == 0 || (nnum == 1 && !split)) return LMM_OK;
  int bad = 0;
  for (size_t r = 0; r < fr->n; r++) {
    double v = 1;
    int zero = 0;
    for (lmm_term t = term; t; t &= t - 1) {
      int k = __builtin_ctzll(t);
      if (fr->vars[k].is_factor) continue;
      v *= fr->vars[k].x[r] * d->vscale[k];
      zero |= fr->vars[k].x[r] == 0;   /* zero in the data too */
    }
    bad |= !zero && !(fabs(v) >= 0x1p-511);
  }
  if (!bad) return LMM_OK;
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (size_t r = 0; r < fr->n; r++) {
    double l10 = 0;
    for (lmm_term t = term; t; t &= t - 1)
      if (!fr->vars[__builtin_ctzll(t)].is_factor) l10 += log10(fabs(fr->vars[__builtin_ctzll(t)].x[r]));
    if (!isfinite(l10)) continue;
    if (l10 < lo) lo = l10;
    if (l10 > hi) hi = l10;
  }
  char *label = term_label(fr->f, term);
  int rc = lmm_fail(err, LMM_ERR, "the values of '%s' range from about 1e%+.0f to 1e%+.0f in magnitude%s: too wide a "
                    "range for double precision to hold their squares side by side; transform or rescale its variables",
                    label ? label : "?", floor(lo), floor(hi), split ? " (within its columns or groups)" : "");
  lmm_free(label);
  return rc;
}

/* The exponents and scales of the response and the numeric variables. */
static int choose_scales(const lmm_frame *fr, lmm_design *d, lmm_error *err) {
  const lmm_formula *f = fr->f;
  d->vexp = lmm_calloc((size_t)(f->nvars ? f->nvars : 1), sizeof *d->vexp);
  d->vscale = lmm_malloc(sizeof *d->vscale * (size_t)(f->nvars ? f->nvars : 1));
  if (!d->vexp || !d->vscale) return lmm_nomem(err);
  int rc = scale_exp(d->y, fr->n, f->response_label, &d->yexp, err);
  for (int v = 0; v < f->nvars && !rc; v++) {
    const lmm_frame_var *fv = &fr->vars[v];
    if (!fv->is_factor && fv->in_model && fv->x)
      rc = scale_exp(fv->x, fr->n * (size_t)numeric_columns(f, v), f->vars[v].label, &d->vexp[v], err);
    d->vscale[v] = ldexp(1.0, -d->vexp[v]);
  }
  return rc;
}

static int build(const lmm_frame *fr, const lmm_saved_group *given, lmm_design **out, lmm_error *err) {
  const lmm_formula *f = fr->f;
  *out = NULL;
  lmm_design *d = lmm_calloc(1, sizeof *d);
  if (!d) return lmm_nomem(err);
  d->frame = fr;
  d->n = fr->n;
  collist cols = {0};
  /* p > n is refused later in any case; stopping here bounds the memory */
  int max_p = fr->n < (size_t)INT_MAX && !given ? (int)fr->n : INT_MAX;
  d->y = fr->y;
  if (fr->offset) {   /* the model's response less its offset, which the fit takes as given */
    if (!(d->y = d->y_own = lmm_malloc(sizeof *d->y_own * (fr->n ? fr->n : 1)))) { lmm_free(d); return lmm_nomem(err); }
    for (size_t r = 0; r < fr->n; r++) d->y_own[r] = fr->y[r] - fr->offset[r];
  }
  int rc = choose_scales(fr, d, err);
  if (rc) goto fail;
  if (!(d->contr = lmm_calloc((size_t)(f->nvars ? f->nvars : 1), sizeof *d->contr))) { rc = lmm_nomem(err); goto fail; }
  rc = model_columns(d, &f->fixed, max_p, "fixed effects", "one per row of the data; too many coefficients to estimate", &cols, err);
  if (rc) goto fail;
  d->p = cols.n;
  d->xnames = cols.names;
  d->xterm = cols.term_index;
  d->xspec = cols.c;
  cols.names = NULL;
  cols.term_index = NULL;
  cols.c = NULL;
  cols.n = 0;
  for (int t = 0; t < f->fixed.nterms && !rc; t++) {
    int has_factor = 0;
    for (lmm_term m = f->fixed.terms[t]; m; m &= m - 1) has_factor |= fr->vars[__builtin_ctzll(m)].is_factor;
    rc = check_products(d, f->fixed.terms[t], has_factor, err);
  }
  if (rc) goto fail;
  if (!(d->xexp = lmm_malloc(sizeof *d->xexp * (size_t)(d->p ? d->p : 1)))) { rc = lmm_nomem(err); goto fail; }
  for (int j = 0; j < d->p; j++) d->xexp[j] = colspec_exp(d, &d->xspec[j]);
  d->nxterms = f->fixed.nterms + 1;
  d->term_labels = lmm_calloc((size_t)d->nxterms, sizeof *d->term_labels);
  if (!d->term_labels) { rc = lmm_nomem(err); goto fail; }
  d->term_labels[0] = lmm_strdup("(Intercept)");
  if (!d->term_labels[0]) { rc = lmm_nomem(err); goto fail; }
  for (int t = 0; t < f->fixed.nterms; t++)
    if (!(d->term_labels[t + 1] = term_label(f, f->fixed.terms[t]))) { rc = lmm_nomem(err); goto fail; }
  collist_free(&cols, 1);
  memset(&cols, 0, sizeof cols);

  d->re = lmm_calloc((size_t)(f->nbars ? f->nbars : 1), sizeof *d->re);
  if (!d->re) { rc = lmm_nomem(err); goto fail; }
  size_t ntheta = 0;
  for (int b = 0; b < f->nbars; b++) {
    lmm_reterm *re = &d->re[b];
    d->nre++;
    const lmm_bar *bar = &f->bars[b];
    int dup = 0;
    for (int a = 0; a < b; a++) if (!strcmp(f->bars[a].grp_name, bar->grp_name)) dup++;
    re->grp = dup ? lmm_mprintf("%s.%d", bar->grp_name, dup) : lmm_strdup(bar->grp_name);
    if (!re->grp) { rc = lmm_nomem(err); goto fail; }
    if ((rc = grouping(fr, bar, given ? &given[b] : NULL, re, err))) goto fail;
    collist zc = {0};
    if ((rc = model_columns(d, &bar->model, LMM_MAX_Q, re->grp, "the most a random-effects term can have", &zc, err))) {
      collist_free(&zc, 1);
      goto fail;
    }
    re->q = zc.n;
    re->cnames = zc.names;
    re->zspec = zc.c;
    zc.names = NULL;
    zc.c = NULL;
    collist_free(&zc, 0);
    if ((ntheta += lmm_theta_term_count(re->q)) > LMM_MAX_THETA) {
      rc = lmm_fail(err, LMM_ERR, "with term '%s' the random effects have %zu covariance parameters (theta), more than the %d "
                    "that can be estimated; use fewer random-effect columns or uncorrelated terms (x || g)", re->grp, ntheta,
                    LMM_MAX_THETA);
      goto fail;
    }
    if (!(re->zexp = lmm_malloc(sizeof *re->zexp * (size_t)(re->q ? re->q : 1)))) { rc = lmm_nomem(err); goto fail; }
    for (int a = 0; a < re->q; a++) re->zexp[a] = colspec_exp(d, &re->zspec[a]);
    for (int t = 0; t < bar->model.nterms && !rc; t++) rc = check_products(d, bar->model.terms[t], 1, err);
    if (rc) goto fail;
  }
  *out = d;
  return LMM_OK;
fail:
  collist_free(&cols, 1);
  lmm_design_free(d);
  return rc;
}

void lmm_design_free(lmm_design *d) {
  if (!d) return;
  lmm_free(d->xspec);
  for (int j = 0; d->xnames && j < d->p; j++) lmm_free(d->xnames[j]);
  lmm_free(d->xnames);
  lmm_free(d->xterm);
  for (int t = 0; d->term_labels && t < d->nxterms; t++) lmm_free(d->term_labels[t]);
  lmm_free(d->term_labels);
  for (int b = 0; b < d->nre; b++) {
    lmm_reterm *re = &d->re[b];
    lmm_free(re->grp);
    for (int l = 0; re->levels && l < re->nlevels; l++) lmm_free(re->levels[l]);
    lmm_free(re->levels);
    lmm_free(re->g_own);
    lmm_free(re->keys);
    for (int j = 0; re->cnames && j < re->q; j++) lmm_free(re->cnames[j]);
    lmm_free(re->cnames);
    lmm_free(re->zspec);
    lmm_free(re->zexp);
  }
  for (int v = 0; d->contr && v < d->frame->f->nvars; v++) lmm_free(d->contr[v]);
  lmm_free(d->contr);
  lmm_free(d->y_own);
  lmm_free(d->vexp);
  lmm_free(d->vscale);
  lmm_free(d->xexp);
  lmm_free(d->re);
  lmm_free(d);
}

int lmm_design_new(const lmm_frame *fr, lmm_design **out, lmm_error *err) { return build(fr, NULL, out, err); }

/* ---- a design restored without its rows ------------------------------------ */

int lmm_design_restore(const lmm_frame *fr, const lmm_saved_group *groups, lmm_design **out, lmm_error *err) {
  static const lmm_saved_group none;   /* marks the design restored where there is no grouping to give */
  if (!groups && fr->f->nbars) return lmm_fail(err, LMM_ERR, "the levels of its groupings are missing");
  return build(fr, groups ? groups : &none, out, err);
}

/* An interaction's levels from their codes: each code one of its variable's levels, the keys strictly
 * increasing (as grouping sorts them), so that a new row finds its level by key. */
static int given_levels(const lmm_frame *fr, const lmm_saved_group *given, lmm_reterm *re, lmm_error *err) {
  int nl = given->nlevels;
  if (nl < 0 || (nl > 0 && !given->codes)) return lmm_fail(err, LMM_ERR, "grouping '%s' has no levels", re->grp);
  re->keys = lmm_malloc(sizeof *re->keys * (size_t)(nl ? nl : 1));
  re->g = re->g_own = lmm_malloc(sizeof *re->g_own);
  if (!re->keys || !re->g_own) return lmm_nomem(err);
  for (int l = 0; l < nl; l++) {
    const int *c = given->codes + (size_t)l * (size_t)re->nvars;
    uint64_t k = 0;
    for (int j = 0; j < re->nvars; j++) {
      int nv = fr->vars[re->vars[j]].nlevels;
      if (c[j] < 0 || c[j] >= nv)
        return lmm_fail(err, LMM_ERR, "level %d of grouping '%s' names level %d of '%s', which has %d", l + 1, re->grp,
                        c[j] + 1, fr->f->vars[re->vars[j]].label, nv);
      k = k * (uint64_t)nv + (uint64_t)c[j];
    }
    if (l && k <= re->keys[l - 1])
      return lmm_fail(err, LMM_ERR, "the levels of grouping '%s' are not in order (level %d)", re->grp, l + 1);
    re->keys[l] = k;
  }
  re->nlevels = nl;
  return interaction_labels(fr, re, err);
}

void lmm_design_group_codes(const lmm_design *d, int t, int l, int *codes) {
  const lmm_reterm *re = &d->re[t];
  if (re->nvars == 1) codes[0] = l;
  else key_codes(d->frame, re, re->keys[l], codes);
}
