/* structure.c — nlme's weights= and correlation= calls read, bound to the rows, and fitted by prewhitening
 * (see structure.h). */
#include "structure.h"
#include "alloc.h"
#include "corstruct.h"
#include "inference.h"
#include "ols.h"
#include "residuals.h"
#include "varfunc.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <nlopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_VARFUNCS = 8, MAX_ARGS = 16 };

struct lmm_structure {
  int nvf;
  lmm_varfunc vf[MAX_VARFUNCS];   /* varComb's components, or the one variance function */
  int has_cor;
  lmm_corstruct cor;
  int uses_fitted;        /* a variance function of the fitted values (kept in fitted, n, between fits) */
  double *fitted;
};

/* ---- nlme's calls as text ------------------------------------------------------------------------------- */

typedef struct span { const char *s, *e; } span;
typedef struct call {
  span cls;
  int nargs;
  span name[MAX_ARGS], val[MAX_ARGS];   /* name.s == NULL: positional */
} call;

static span trim(span x) {
  while (x.s < x.e && isspace((unsigned char)*x.s)) x.s++;
  while (x.e > x.s && isspace((unsigned char)x.e[-1])) x.e--;
  return x;
}

static int is_word(span x, const char *w) { return (size_t)(x.e - x.s) == strlen(w) && !strncmp(x.s, w, strlen(w)); }

static int ident_len(const char *s, const char *e) {
  const char *p = s;
  if (p < e && (isalpha((unsigned char)*p) || *p == '.'))
    while (p < e && (isalnum((unsigned char)*p) || *p == '.' || *p == '_')) p++;
  return (int)(p - s);
}

/* The first character at depth 0 (outside parentheses and quotes) among stops, or e. */
static const char *top_level(const char *s, const char *e, const char *stops) {
  int depth = 0;
  char quote = 0;
  for (const char *p = s; p < e; p++) {
    if (quote) { if (*p == quote) quote = 0; continue; }
    if (*p == '"' || *p == '\'' || *p == '`') quote = *p;
    else if (*p == '(') depth++;
    else if (*p == ')') depth--;
    else if (!depth && strchr(stops, *p)) return p;
  }
  return e;
}

/* The parenthesis that closes the one at open (quotes skipped), or NULL. */
static const char *closing(const char *open, const char *e) {
  int depth = 0;
  char quote = 0;
  for (const char *p = open; p < e; p++) {
    if (quote) { if (*p == quote) quote = 0; continue; }
    if (*p == '"' || *p == '\'' || *p == '`') quote = *p;
    else if (*p == '(') depth++;
    else if (*p == ')' && !--depth) return p;
  }
  return NULL;
}

/* Class(arg, name = arg, ...) */
static int read_call(span x, const char *what, call *c, lmm_error *err) {
  x = trim(x);
  int n = ident_len(x.s, x.e);
  const char *open = x.s + n;
  while (open < x.e && isspace((unsigned char)*open)) open++;
  if (!n || open >= x.e || *open != '(' || closing(open, x.e) != x.e - 1)
    return lmm_fail(err, LMM_ERR, "%s: '%.*s' is not a call of nlme's, as %s", what, (int)(x.e - x.s), x.s,
                    !strcmp(what, "weights") ? "varIdent(form = ~ 1 | g)" : "corAR1(form = ~ 1 | g)");
  c->cls = (span){x.s, x.s + n};
  c->nargs = 0;
  span in = trim((span){open + 1, x.e - 1});
  for (const char *p = in.s; in.s < in.e && p <= in.e;) {
    const char *end = top_level(p, in.e, ",");
    span a = trim((span){p, end});
    if (c->nargs == MAX_ARGS) return lmm_fail(err, LMM_ERR, "%s: %.*s takes at most %d arguments", what, n, x.s, MAX_ARGS);
    int k = ident_len(a.s, a.e);
    const char *q = a.s + k;
    while (q < a.e && isspace((unsigned char)*q)) q++;
    if (k && q < a.e && *q == '=' && (q + 1 >= a.e || q[1] != '=')) {
      c->name[c->nargs] = (span){a.s, a.s + k};
      a = trim((span){q + 1, a.e});
    } else c->name[c->nargs] = (span){NULL, NULL};
    if (a.s == a.e) return lmm_fail(err, LMM_ERR, "%s: an argument of %.*s is empty", what, n, x.s);
    c->val[c->nargs++] = a;
    p = end + 1;
  }
  return LMM_OK;
}

/* Which of the class's arguments (names, nlme's order) each argument is: where[i] = k; unknown names and
 * arguments given twice are errors. */
static int match_args(const call *c, const char *what, const char *const *names, int n, int *where, lmm_error *err) {
  int used[MAX_ARGS] = {0}, next = 0;
  for (int i = 0; i < c->nargs; i++) {
    int k = -1;
    if (c->name[i].s) {
      for (int j = 0; j < n; j++) if (is_word(c->name[i], names[j])) k = j;
      if (k < 0) {
        char known[160] = "";
        for (int j = 0; j < n; j++) { strcat(known, j ? ", " : ""); strcat(known, names[j]); }
        return lmm_fail(err, LMM_ERR, "%s: %.*s has no argument '%.*s' (it takes %s)", what, (int)(c->cls.e - c->cls.s),
                        c->cls.s, (int)(c->name[i].e - c->name[i].s), c->name[i].s, known);
      }
    } else {
      while (next < n && used[next]) next++;
      if (next == n)
        return lmm_fail(err, LMM_ERR, "%s: %.*s takes at most %d arguments", what, (int)(c->cls.e - c->cls.s), c->cls.s, n);
      k = next;
    }
    if (used[k])
      return lmm_fail(err, LMM_ERR, "%s: %.*s's argument %s is given twice", what, (int)(c->cls.e - c->cls.s), c->cls.s,
                      names[k]);
    used[k] = 1;
    where[i] = k;
  }
  return LMM_OK;
}

/* Numbers: 0.5, -1, c(28, 0.2); unnamed. */
static int read_numbers(span v, const char *what, const char *arg, double *out, int max, int *n, lmm_error *err) {
  v = trim(v);
  span in = v;
  if (v.e - v.s >= 3 && v.s[0] == 'c' && v.s[1] == '(' && closing(v.s + 1, v.e) == v.e - 1)
    in = trim((span){v.s + 2, v.e - 1});
  *n = 0;
  for (const char *p = in.s; in.s < in.e && p <= in.e;) {
    const char *end = top_level(p, in.e, ",");
    span a = trim((span){p, end});
    char buf[64], *stop;
    snprintf(buf, sizeof buf, "%.*s", (int)(a.e - a.s), a.s);
    double x = strtod(buf, &stop);
    if (a.s == a.e || (size_t)(a.e - a.s) >= sizeof buf || *stop || !isfinite(x) || *n == max)
      return lmm_fail(err, LMM_ERR, "%s: %s must be %s, as %s (names are not read), not '%.*s'", what, arg,
                      max > 1 ? "numbers" : "one number", max > 1 ? "c(0.5, 0.2)" : "0.5", (int)(v.e - v.s), v.s);
    out[(*n)++] = x;
    p = end + 1;
  }
  return LMM_OK;
}

static int read_logical(span v, const char *what, const char *arg, int *out, lmm_error *err) {
  v = trim(v);
  if (is_word(v, "TRUE") || is_word(v, "T")) *out = 1;
  else if (is_word(v, "FALSE") || is_word(v, "F")) *out = 0;
  else return lmm_fail(err, LMM_ERR, "%s: %s must be TRUE or FALSE, not '%.*s'", what, arg, (int)(v.e - v.s), v.s);
  return LMM_OK;
}

/* ~ cov | group: the covariates ("1": none; up to maxcov of them, joined by '+') and the grouping, carried into
 * the formula (-1 where absent) */
static int read_form(span v, const char *what, lmm_formula *f, int *cov, int maxcov, int *ncov, int *group,
                     lmm_error *err) {
  v = trim(v);
  *ncov = 0;
  *group = -1;
  for (int k = 0; k < maxcov; k++) cov[k] = -1;
  if (v.s == v.e || *v.s != '~')
    return lmm_fail(err, LMM_ERR, "%s: form must be a one-sided formula, as ~ 1 | g or ~ t | g, not '%.*s'", what,
                    (int)(v.e - v.s), v.s);
  const char *bar = top_level(v.s + 1, v.e, "|");
  span c = trim((span){v.s + 1, bar}), g = bar < v.e ? trim((span){bar + 1, v.e}) : (span){NULL, NULL};
  char buf[256];
  int rc = LMM_OK;
  if (c.s == c.e || (bar < v.e && g.s == g.e) || c.e - c.s >= (long)sizeof buf || (g.s && g.e - g.s >= (long)sizeof buf))
    return lmm_fail(err, LMM_ERR, "%s: form '%.*s' needs a covariate (or 1) and, after '|', a grouping column", what,
                    (int)(v.e - v.s), v.s);
  for (const char *p = c.s; !rc && !is_word(c, "1") && p <= c.e;) {
    const char *end = top_level(p, c.e, "+");
    span x = trim((span){p, end});
    if (*ncov == maxcov)
      return lmm_fail(err, LMM_ERR, "%s: form '%.*s' has more than %d covariate%s", what, (int)(v.e - v.s), v.s, maxcov,
                      maxcov > 1 ? "s" : " (several are for the spatial correlations)");
    snprintf(buf, sizeof buf, "%.*s", (int)(x.e - x.s), x.s);
    if (!strcmp(buf, "fitted(.)") && !strcmp(what, "weights")) cov[(*ncov)++] = LMM_VF_FITTED;
    else if (strstr(buf, "fitted(") || strstr(buf, "resid("))
      return lmm_fail(err, LMM_ERR, "%s: '%s' is not a covariate lmm reads; a variance function takes a column or "
                      "fitted(.), the fitted values", what, buf);
    else rc = lmm_formula_carry(f, buf, what, 0, &cov[(*ncov)++], err);
    p = end + 1;
  }
  if (!rc && g.s) {
    snprintf(buf, sizeof buf, "%.*s", (int)(g.e - g.s), g.s);
    rc = lmm_formula_carry(f, buf, what, 1, group, err);
  }
  return rc;
}

/* ---- the classes ------------------------------------------------------------------------------------------ */

static int read_varfunc(lmm_structure *st, span text, lmm_formula *f, int depth, lmm_error *err) {
  static const char *const what = "weights";
  call c;
  int rc = read_call(text, what, &c, err), where[MAX_ARGS];
  if (rc) return rc;
  static const char *const classes[] = {"varIdent", "varPower", "varExp", "varConstPower", "varFixed"};
  if (is_word(c.cls, "varComb")) {
    if (depth) return lmm_fail(err, LMM_ERR, "weights: varComb cannot hold another varComb");
    if (!c.nargs) return lmm_fail(err, LMM_ERR, "weights: varComb needs variance functions, as varComb(varIdent(form = ~ 1 | g), varPower(form = ~ x))");
    for (int i = 0; i < c.nargs && !rc; i++) {
      if (c.name[i].s) return lmm_fail(err, LMM_ERR, "weights: varComb's arguments are variance functions, unnamed");
      rc = read_varfunc(st, c.val[i], f, 1, err);
    }
    return rc;
  }
  int kind = 0;
  for (int k = 0; k < 5; k++) if (is_word(c.cls, classes[k])) kind = LMM_VF_IDENT + k;
  if (!kind) {
    if (c.cls.e - c.cls.s >= 3 && !strncmp(c.cls.s, "cor", 3))
      return lmm_fail(err, LMM_ERR, "weights: %.*s is a correlation structure; give it as correlation=%.*s",
                      (int)(c.cls.e - c.cls.s), c.cls.s, (int)(text.e - text.s), text.s);
    return lmm_fail(err, LMM_ERR, "weights: unknown variance function '%.*s' (known: varIdent, varPower, varExp, "
                    "varConstPower, varFixed, varComb)", (int)(c.cls.e - c.cls.s), c.cls.s);
  }
  if (st->nvf == MAX_VARFUNCS) return lmm_fail(err, LMM_ERR, "weights: varComb takes at most %d variance functions", MAX_VARFUNCS);
  lmm_varfunc *v = &st->vf[st->nvf++];
  *v = (lmm_varfunc){.kind = kind, .cov = -1, .strata = -1};
  static const char *const args3[] = {"value", "form", "fixed"}, *const args_cp[] = {"const", "power", "form", "fixed"},
                           *const args_fixed[] = {"value"};
  const char *const *names = kind == LMM_VF_CONSTPOWER ? args_cp : kind == LMM_VF_FIXED ? args_fixed : args3;
  if ((rc = match_args(&c, what, names, kind == LMM_VF_CONSTPOWER ? 4 : kind == LMM_VF_FIXED ? 1 : 3, where, err)))
    return rc;
  int has_form = 0;
  for (int i = 0; i < c.nargs && !rc; i++) {
    const char *arg = names[where[i]];
    int n = 0, group = -1;
    if (!strcmp(arg, "form") || kind == LMM_VF_FIXED) {
      has_form = 1;
      int ncov;
      rc = read_form(c.val[i], what, f, &v->cov, 1, &ncov, &group, err);
      if (!rc && kind == LMM_VF_IDENT) {
        if (v->cov >= 0 || group < 0)
          rc = lmm_fail(err, LMM_ERR, "weights: varIdent's form must be ~ 1 | g, g the strata");
        v->strata = group;
        v->cov = -1;
      } else if (!rc && group >= 0)
        rc = lmm_fail(err, LMM_ERR, "weights: %s's strata (form = ~ x | g) are not available yet", classes[kind - 1]);
      else if (!rc && v->cov < 0)
        rc = lmm_fail(err, LMM_ERR, "weights: %s's form needs a covariate, as ~ x", classes[kind - 1]);
    } else if (!strcmp(arg, "fixed") && kind == LMM_VF_IDENT) {
      rc = lmm_fail(err, LMM_ERR, "weights: varIdent's fixed= is not available yet");
    } else if (!strcmp(arg, "fixed")) {
      rc = read_numbers(c.val[i], what, arg, v->value, kind == LMM_VF_CONSTPOWER ? 2 : 1, &n, err);
      v->nvalue = n;
      v->fixed = 1;
    } else if (!strcmp(arg, "value") && kind == LMM_VF_IDENT) {
      rc = read_numbers(c.val[i], what, arg, v->value, 2, &n, err);   /* one ratio per stratum after the first */
      if (!rc && n != 1) rc = lmm_fail(err, LMM_ERR, "weights: varIdent's value= is read for two strata only (one ratio)");
      v->nvalue = n;
    } else {   /* value, const, power */
      double x;
      rc = read_numbers(c.val[i], what, arg, &x, 1, &n, err);
      v->value[strcmp(arg, "power") || kind != LMM_VF_CONSTPOWER ? 0 : 1] = x;
      v->nvalue = kind == LMM_VF_CONSTPOWER ? 2 : 1;
      if (kind == LMM_VF_CONSTPOWER && !strcmp(arg, "const") && !(x > 0))
        rc = lmm_fail(err, LMM_ERR, "weights: varConstPower's const must be positive, not %g", x);
    }
  }
  if (!rc && kind == LMM_VF_CONSTPOWER && v->nvalue == 2 && v->value[0] == 0) v->value[0] = 1;   /* power= alone */
  if (!rc && !has_form && kind == LMM_VF_IDENT)
    rc = lmm_fail(err, LMM_ERR, "weights: varIdent needs its strata, as varIdent(form = ~ 1 | g)");
  if (!has_form) v->cov = LMM_VF_FITTED;   /* nlme's default: form = ~ fitted(.) */
  if (!rc && v->cov == LMM_VF_FITTED && v->fixed)   /* nlme's result is then its first update of the fitted values */
    rc = lmm_fail(err, LMM_ERR, "weights: fixed= for a variance of the fitted values is not available yet; give a "
                  "column, as %s(form = ~ x, fixed = ...)", classes[kind - 1]);
  if (v->cov == LMM_VF_FITTED) st->uses_fitted = 1;
  return rc;
}

static int read_corstruct(lmm_structure *st, span text, lmm_formula *f, lmm_error *err) {
  static const char *const what = "correlation";
  call c;
  int rc = read_call(text, what, &c, err), where[MAX_ARGS];
  if (rc) return rc;
  static const char *const classes[] = {"corAR1", "corCAR1", "corCompSymm", "corARMA", "corSymm",
                                        "corExp", "corGaus", "corLin", "corRatio", "corSpher"};
  int kind = 0;
  for (int k = 0; k < 10; k++) if (is_word(c.cls, classes[k])) kind = LMM_COR_AR1 + k;
  if (!kind) {
    if (c.cls.e - c.cls.s >= 3 && !strncmp(c.cls.s, "var", 3))
      return lmm_fail(err, LMM_ERR, "correlation: %.*s is a variance function; give it as weights=%.*s",
                      (int)(c.cls.e - c.cls.s), c.cls.s, (int)(text.e - text.s), text.s);
    return lmm_fail(err, LMM_ERR, "correlation: unknown correlation structure '%.*s' (known: corAR1, corCAR1, "
                    "corCompSymm, corARMA, corSymm, corExp, corGaus, corLin, corRatio, corSpher)",
                    (int)(c.cls.e - c.cls.s), c.cls.s);
  }
  lmm_corstruct *k = &st->cor;
  *k = (lmm_corstruct){.kind = kind, .cov = -1, .group = -1};
  st->has_cor = 1;
  int spatial = kind >= LMM_COR_EXP;
  static const char *const args3[] = {"value", "form", "fixed"}, *const args_arma[] = {"value", "form", "p", "q", "fixed"},
                           *const args_spatial[] = {"value", "form", "nugget", "metric", "fixed"};
  const char *const *names = kind == LMM_COR_ARMA ? args_arma : spatial ? args_spatial : args3;
  if ((rc = match_args(&c, what, names, kind == LMM_COR_ARMA || spatial ? 5 : 3, where, err))) return rc;
  span value = {NULL, NULL};
  for (int i = 0; i < c.nargs && !rc; i++) {
    const char *arg = names[where[i]];
    int n = 0;
    double x;
    if (!strcmp(arg, "form")) {
      int cov[LMM_COR_MAX_DIM];
      rc = read_form(c.val[i], what, f, cov, spatial ? LMM_COR_MAX_DIM : 1, &n, &k->group, err);
      if (spatial) { memcpy(k->coord_var, cov, sizeof cov); k->ncoord = n; }
      else k->cov = cov[0];
    } else if (!strcmp(arg, "fixed")) rc = read_logical(c.val[i], what, arg, &k->fixed, err);
    else if (!strcmp(arg, "nugget")) rc = read_logical(c.val[i], what, arg, &k->nugget, err);
    else if (!strcmp(arg, "metric")) {
      static const char *const metrics[] = {"\"euclidean\"", "\"maximum\"", "\"manhattan\"", "'euclidean'",
                                            "'maximum'", "'manhattan'"};
      k->metric = -1;
      for (int j = 0; j < 6; j++) if (is_word(trim(c.val[i]), metrics[j])) k->metric = j % 3;
      if (k->metric < 0)
        rc = lmm_fail(err, LMM_ERR, "correlation: metric must be \"euclidean\", \"maximum\" or \"manhattan\", not %.*s",
                      (int)(c.val[i].e - c.val[i].s), c.val[i].s);
    } else if (!strcmp(arg, "value")) {
      if (kind == LMM_COR_SYMM) rc = lmm_fail(err, LMM_ERR, "correlation: corSymm's value= is not available yet");
      else rc = read_numbers(c.val[i], what, arg, k->value, 2 * LMM_COR_MAX_ORDER, &k->nvalue, err);
      value = c.val[i];
    } else {   /* p, q */
      rc = read_numbers(c.val[i], what, arg, &x, 1, &n, err);
      if (!rc && !(x >= 0 && x <= LMM_COR_MAX_ORDER && x == floor(x)))
        rc = lmm_fail(err, LMM_ERR, "correlation: corARMA's %s must be a whole number from 0 to %d, not %g", arg,
                      LMM_COR_MAX_ORDER, x);
      if (!rc) *(arg[0] == 'p' ? &k->p : &k->q) = (int)x;
    }
  }
  for (int j = 0; j < k->nvalue && !rc; j++) {   /* the values' ranges, once nugget= is known */
    double x = k->value[j];
    int bad = spatial ? (j == 0 ? !(x > 0) : !(x > 0 && x < 1)) || k->nvalue != 1 + k->nugget
                      : !(fabs(x) < 1) || (kind == LMM_COR_CAR1 && !(x > 0));
    if (bad)
      rc = lmm_fail(err, LMM_ERR, "correlation: %s's value '%.*s' is out of its range (%s)", classes[kind - 1],
                    (int)(value.e - value.s), value.s, spatial ? "a range above 0, and with nugget = TRUE a nugget "
                    "between 0 and 1" : kind == LMM_COR_CAR1 ? "0 to 1" : "-1 to 1");
  }
  if (!rc && spatial && !k->ncoord)
    rc = lmm_fail(err, LMM_ERR, "correlation: %s needs the covariates of its distances, as form = ~ x + y",
                  classes[kind - 1]);
  if (!rc && kind == LMM_COR_ARMA && k->p + k->q == 0)
    rc = lmm_fail(err, LMM_ERR, "correlation: corARMA needs p or q above 0, as corARMA(p = 1, q = 1, form = ~ 1 | g)");
  if (!rc && kind == LMM_COR_ARMA && k->nvalue > 1 && k->p + k->q > 2)   /* nlme's value= are coefficients */
    rc = lmm_fail(err, LMM_ERR, "correlation: corARMA's value= is read for p + q <= 2 only");
  return rc;
}

int lmm_structure_parse(const char *weights, const char *correlation, lmm_formula *f, lmm_structure **out,
                        lmm_error *err) {
  *out = NULL;
  int w = weights && weights[0], c = correlation && correlation[0];
  if (!w && !c) return LMM_OK;
  lmm_structure *st = lmm_calloc(1, sizeof *st);
  if (!st) return lmm_nomem(err);
  int rc = LMM_OK;
  if (w) rc = read_varfunc(st, (span){weights, weights + strlen(weights)}, f, 0, err);
  if (!rc && c) rc = read_corstruct(st, (span){correlation, correlation + strlen(correlation)}, f, err);
  if (rc) { lmm_structure_free(st); return rc; }
  *out = st;
  return LMM_OK;
}

void lmm_structure_free(lmm_structure *st) {
  if (!st) return;
  for (int i = 0; i < st->nvf; i++) lmm_varfunc_clear(&st->vf[i]);
  if (st->has_cor) lmm_corstruct_clear(&st->cor);
  lmm_free(st->fitted);
  lmm_free(st);
}

/* ---- bound to the rows ----------------------------------------------------------------------------------- */

/* The random-effects term whose grouping is the innermost (most grouping variables, then most levels). */
static int innermost_term(const lmm_design *d) {
  int best = -1;
  for (int t = 0; t < d->nre; t++)
    if (best < 0 || d->re[t].nvars > d->re[best].nvars ||
        (d->re[t].nvars == d->re[best].nvars && d->re[t].nlevels > d->re[best].nlevels))
      best = t;
  return best;
}

typedef struct order_keys { int n; const int *key[LMM_MAX_VARS]; } order_keys;

static int row_cmp(const void *a, const void *b, void *arg) {
  const order_keys *k = arg;
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  for (int i = 0; i < k->n; i++)
    if (k->key[i][x] != k->key[i][y]) return k->key[i][x] < k->key[i][y] ? -1 : 1;
  return x < y ? -1 : x > y;   /* the row last: as stable as a stable sort */
}

/* nlme's order of the rows, in which varIdent's strata appear: sorted by the grouping factors outer to inner
 * (lme), or by the correlation's groups (gls), stable; else the table's. */
static int nlme_order(const lmm_design *d, const int *gcode, size_t *order, lmm_error *err) {
  order_keys k = {0, {0}};
  int t = innermost_term(d);
  if (t >= 0)
    for (int i = 0; i < d->re[t].nvars; i++) k.key[k.n++] = d->frame->vars[d->re[t].vars[i]].code;
  else if (gcode) k.key[k.n++] = gcode;
  for (size_t r = 0; r < d->n; r++) order[r] = r;
  for (int i = 0; i < k.n; i++)
    if (!k.key[i]) return lmm_fail(err, LMM_ERR, "the grouping factor '%s' has no levels", d->re[t].grp);
  if (k.n) qsort_r(order, d->n, sizeof *order, row_cmp, &k);
  return LMM_OK;
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
  if (st->has_cor) {
    lmm_corstruct *c = &st->cor;
    int t = innermost_term(d);
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
  size_t *order = lmm_malloc_array(d->n ? d->n : 1, sizeof *order);
  if (!order) return lmm_nomem(err);
  rc = nlme_order(d, st->has_cor && st->cor.group >= 0 ? gcode : NULL, order, err);
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
  int npar, nfree;
  double *u;              /* npar: every parameter (the fixed ones at their values) */
  int *free_at;           /* nfree: the optimizer's parameter i is u[free_at[i]] */
  int evaluations;
  int rc;                 /* an error that ends the fit (interrupted, out of memory, bad data) */
  lmm_error *err;
  nlopt_opt nlopt;
  lmm_system *sys;        /* the last kept evaluation's */
  lmm_fit *fit;
} eval_ctx;

static int whiten(eval_ctx *c, double *logdet) {
  const lmm_structure *st = c->st;
  size_t n = c->n;
  for (size_t r = 0; r < n; r++) c->sd[r] = 1;
  const double *u = c->u;
  for (int i = 0; i < st->nvf; i++) {
    lmm_varfunc_sd(&st->vf[i], u, n, c->sd);
    u += st->vf[i].npar;
  }
  for (size_t r = 0; r < n; r++)
    if (!(c->sd[r] > 0 && isfinite(c->sd[r]))) return LMM_NUMERIC;
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
  lmm_fit_options o = {c->opt->reml, c->opt->stop, NULL, 0};
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
static int raw_rows(eval_ctx *c, double **white_z, lmm_error *err) {
  const lmm_design *d = c->d;
  size_t n = c->n;
  double *X = NULL;
  int rc = lmm_design_dense_x(d, c->opt->stop, &X, err);
  if (rc) { lmm_free(X); return rc; }
  memcpy(c->raw, X, sizeof *X * n * (size_t)d->p);
  lmm_free(X);
  size_t col = (size_t)d->p;
  for (int t = 0; t < d->nre; t++) {
    white_z[t] = c->white + col * n;
    for (int a = 0; a < d->re[t].q; a++, col++) lmm_design_z_rows(d, t, a, NULL, 0, (int)n, c->raw + col * n);
  }
  memcpy(c->raw + col * n, d->y, sizeof *d->y * n);
  c->wd = *d;
  c->wd.white_x = c->white;
  c->wd.white_z = white_z;
  c->wd.y = c->white + col * n;
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
 * along the range: Wheat2's corSpher and corLin stop short from nlme's own start) also from a third and
 * thirty times the start's range, the best kept. */
static int optimize_from_starts(eval_ctx *c, lmm_error *err) {
  double best, now, *start = lmm_malloc(sizeof *start * (size_t)c->npar * 2), *best_u = start + c->npar;
  if (!start) return lmm_nomem(err);
  memcpy(start, c->u, sizeof *start * (size_t)c->npar);
  int rc = optimize_restarted(c, &best, err), range = c->npar - c->st->cor.npar;
  memcpy(best_u, c->u, sizeof *best_u * (size_t)c->npar);
  static const double scale[] = {1.0 / 3, 30};
  for (int k = 0; k < 2 && !rc && c->st->has_cor && c->st->cor.kind >= LMM_COR_EXP && !c->st->cor.fixed; k++) {
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

int lmm_structure_fit(lmm_structure *st, const lmm_design *d, int df_method, const lmm_fit_options *opt,
                      lmm_system **sys, lmm_fit **fit, lmm_error *err) {
  *sys = NULL;
  *fit = NULL;
  if (df_method != LMM_DF_CONTAINMENT && df_method != LMM_DF_RESIDUAL && df_method != LMM_DF_NONE)
    return lmm_fail(err, LMM_ERR, "the fixed effects' df by %s do not yet account for weights= or correlation=; use "
                    "df=containment (nlme's), df=residual or df=none", df_method == LMM_DF_SATTERTHWAITE
                    ? "Satterthwaite's method (df=satterthwaite, the default for lme4's formulas)" : "the method asked");
  if (opt->theta) return lmm_fail(err, LMM_ERR, "a model with weights= or correlation= cannot be evaluated at a saved theta");
  int rc = bind(st, d, err);
  if (rc) return rc;
  eval_ctx c = {.st = st, .d = d, .opt = opt, .n = d->n, .err = err};
  c.m = d->p + 1;
  for (int t = 0; t < d->nre; t++) c.m += d->re[t].q;
  size_t n = d->n, work = st->has_cor && st->cor.kind != LMM_COR_AR1 && st->cor.kind != LMM_COR_CAR1
                               ? (size_t)st->cor.maxsize * (size_t)(st->cor.maxsize + c.m) : 1;
  double **white_z = lmm_calloc((size_t)(d->nre ? d->nre : 1), sizeof *white_z);
  c.raw = lmm_malloc_array(lmm_size_mul(n, (size_t)c.m), sizeof *c.raw);
  c.white = lmm_malloc_array(lmm_size_mul(n, (size_t)c.m), sizeof *c.white);
  c.sd = lmm_malloc_array(n, sizeof *c.sd);
  c.work = lmm_malloc_array(work, sizeof *c.work);
  if (!white_z || !c.raw || !c.white || !c.sd || !c.work) rc = lmm_nomem(err);
  if (!rc) rc = raw_rows(&c, white_z, err);
  if (!rc) rc = parameters(&c, err);
  if (!rc && !isfinite(evaluate(&c, 1)) && !c.rc)
    rc = lmm_fail(err, LMM_NUMERIC, "the residual structure's start gives no fit: its covariance is not positive definite");
  if (!rc) rc = c.rc;
  if (!rc && (c.nfree || st->uses_fitted)) rc = fit_parameters(&c, err);
  if (!rc) rc = c.rc;
  if (!rc) rc = report(&c, c.fit, err);
  lmm_free(white_z);
  lmm_free(c.raw);
  lmm_free(c.white);
  lmm_free(c.sd);
  lmm_free(c.work);
  lmm_free(c.u);
  lmm_free(c.free_at);
  if (rc) {
    lmm_system_free(c.sys);
    lmm_fit_free(c.fit);
    return rc;
  }
  *sys = c.sys;
  *fit = c.fit;
  return LMM_OK;
}
