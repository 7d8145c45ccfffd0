/* structure_parse.c — nlme's weights= and correlation= calls read as nlme reads them: the class, its
 * arguments by name or position, the formulas' covariates and groupings carried into the model's formula
 * (see structure.h). */
#include "structure_parts.h"
#include "alloc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 16 };

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
  if (p < e && (isalpha((unsigned char)*p) || *p == '.' || (unsigned char)*p >= 0x80))   /* as expr.c's names */
    while (p < e && (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || (unsigned char)*p >= 0x80)) p++;
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

/* fixed = c(Female = 0.5, "3" = 1.2, `a b` = 2), and varIdent's value= of that form: strata by name, each with
 * its value (varIdent's a positive ratio; varPower's power, varExp's expon) into names[] (owned) and values[],
 * *count of them; arg "fixed" or "value", cls the class, for messages */
static int read_named_strata(span v, const char *cls, const char *arg, char **names, double *values, int *count,
                             lmm_error *err) {
  v = trim(v);
  if (!(v.e - v.s >= 3 && v.s[0] == 'c' && v.s[1] == '(' && closing(v.s + 1, v.e) == v.e - 1))
    return lmm_fail(err, LMM_ERR, "weights: %s's %s must name its strata, as %s = c(Female = 0.5), not "
                    "'%.*s'", cls, arg, arg, (int)(v.e - v.s), v.s);
  span in = trim((span){v.s + 2, v.e - 1});
  for (const char *p = in.s; in.s < in.e && p <= in.e;) {
    const char *end = top_level(p, in.e, ",");
    span a = trim((span){p, end}), name = a;
    p = end + 1;
    if (a.s < a.e && (*a.s == '"' || *a.s == '\'' || *a.s == '`')) {   /* a quoted name */
      const char *q = memchr(a.s + 1, *a.s, (size_t)(a.e - a.s - 1));
      name = (span){a.s + 1, q ? q : a.s + 1};
      a.s = q ? q + 1 : a.e;
    } else {
      name.e = a.s + ident_len(a.s, a.e);
      a.s = name.e;
    }
    a = trim(a);
    char buf[64], *stop;
    double x = 0;
    if (name.s == name.e || a.s == a.e || *a.s != '=' || (size_t)(a.e - a.s) >= sizeof buf)
      return lmm_fail(err, LMM_ERR, "weights: %s's %s must name its strata, as %s = c(Female = 0.5), not "
                      "'%.*s'", cls, arg, arg, (int)(v.e - v.s), v.s);
    span num = trim((span){a.s + 1, a.e});
    snprintf(buf, sizeof buf, "%.*s", (int)(num.e - num.s), num.s);
    x = strtod(buf, &stop);
    while (isspace((unsigned char)*stop)) stop++;
    int ident = !strcmp(cls, "varIdent");
    if (stop == buf || *stop || !isfinite(x) || (ident && !(x > 0)))
      return lmm_fail(err, LMM_ERR, "weights: %s's %s %s of '%.*s' must be a%s number, not '%.*s'", cls, arg,
                      ident ? "ratio" : "value", (int)(name.e - name.s), name.s, ident ? " positive" : "",
                      (int)(num.e - num.s), num.s);
    if (*count == LMM_VF_MAX_FIXED)
      return lmm_fail(err, LMM_ERR, "weights: %s's %s holds at most %d strata", cls, arg, LMM_VF_MAX_FIXED);
    for (int j = 0; j < *count; j++)
      if (strlen(names[j]) == (size_t)(name.e - name.s) && !strncmp(names[j], name.s, (size_t)(name.e - name.s)))
        return lmm_fail(err, LMM_ERR, "weights: %s's %s names the stratum '%s' twice", cls, arg, names[j]);
    if (!(names[*count] = lmm_mprintf("%.*s", (int)(name.e - name.s), name.s))) return lmm_nomem(err);
    values[(*count)++] = x;
  }
  if (!*count) return lmm_fail(err, LMM_ERR, "weights: %s's %s = c() names no stratum", cls, arg);
  return LMM_OK;
}

static int read_fixed_strata(span v, const char *cls, lmm_varfunc *vf, lmm_error *err) {
  return read_named_strata(v, cls, "fixed", vf->fixed_name, vf->fixed_ratio, &vf->nfixed, err);
}

/* c(a = 1, ...): numbers with names */
static int named(span v) {
  v = trim(v);
  return v.e - v.s >= 3 && v.s[0] == 'c' && v.s[1] == '(' && top_level(v.s + 2, v.e - 1, "=") < v.e - 1;
}

static int read_logical(span v, const char *what, const char *arg, int *out, lmm_error *err) {
  v = trim(v);
  if (is_word(v, "TRUE") || is_word(v, "T")) *out = 1;
  else if (is_word(v, "FALSE") || is_word(v, "F")) *out = 0;
  else return lmm_fail(err, LMM_ERR, "%s: %s must be TRUE or FALSE, not '%.*s'", what, arg, (int)(v.e - v.s), v.s);
  return LMM_OK;
}

/* ~ cov | group: the covariates ("1": none; up to maxcov of them, joined by '+') and the grouping, carried into
 * the formula (-1 where absent); with inner, a nested grouping ~ cov | a/b gives a in group and b in inner */
static int read_form(span v, const char *what, lmm_formula *f, int *cov, int maxcov, int *ncov, int *group,
                     int *inner, lmm_error *err) {
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
  const char *slash = g.s ? top_level(g.s, g.e, "/") : NULL;
  if (!rc && slash && slash < g.e) {
    span a = trim((span){g.s, slash}), b = trim((span){slash + 1, g.e});
    if (!inner)
      return lmm_fail(err, LMM_ERR, "%s: form '%.*s': a nested grouping (a/b) is read for correlation structures only",
                      what, (int)(v.e - v.s), v.s);
    if (a.s == a.e || b.s == b.e || top_level(b.s, b.e, "/") < b.e)
      return lmm_fail(err, LMM_ERR, "%s: form '%.*s': a nested grouping takes two columns, outer/inner, as ~ 1 | a/b",
                      what, (int)(v.e - v.s), v.s);
    g.e = a.e;
    snprintf(buf, sizeof buf, "%.*s", (int)(b.e - b.s), b.s);
    rc = lmm_formula_carry(f, buf, what, 1, inner, err);
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
  if (st->nvf == LMM_MAX_VARFUNCS) return lmm_fail(err, LMM_ERR, "weights: varComb takes at most %d variance functions", LMM_MAX_VARFUNCS);
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
      rc = read_form(c.val[i], what, f, &v->cov, 1, &ncov, &group, NULL, err);
      if (!rc && kind == LMM_VF_IDENT) {
        if (v->cov >= 0 || group < 0)
          rc = lmm_fail(err, LMM_ERR, "weights: varIdent's form must be ~ 1 | g, g the strata");
        v->strata = group;
        v->cov = -1;
      } else if (!rc && group >= 0 && kind == LMM_VF_FIXED)
        rc = lmm_fail(err, LMM_ERR, "weights: varFixed takes no strata; give it a covariate, as varFixed(~ x)");
      else if (!rc && v->cov < 0)
        rc = lmm_fail(err, LMM_ERR, "weights: %s's form needs a covariate, as ~ x", classes[kind - 1]);
      if (!rc && kind != LMM_VF_IDENT) v->strata = group;
    } else if (!strcmp(arg, "fixed") && kind == LMM_VF_IDENT) {
      rc = read_fixed_strata(c.val[i], classes[kind - 1], v, err);
    } else if (!strcmp(arg, "fixed") && (kind == LMM_VF_POWER || kind == LMM_VF_EXP) && named(c.val[i])) {
      rc = read_fixed_strata(c.val[i], classes[kind - 1], v, err);   /* strata by name; checked against form's */
    } else if (!strcmp(arg, "fixed")) {
      rc = read_numbers(c.val[i], what, arg, v->value, kind == LMM_VF_CONSTPOWER ? 2 : 1, &n, err);
      v->nvalue = n;
      v->fixed = 1;
    } else if (!strcmp(arg, "value") && kind == LMM_VF_IDENT && named(c.val[i]) &&
               top_level(trim(c.val[i]).s + 2, trim(c.val[i]).e - 1, ",") < trim(c.val[i]).e - 1) {
      /* two or more ratios name their strata (nlme's rule); one number, named or not, starts every stratum */
      rc = read_named_strata(c.val[i], classes[kind - 1], "value", v->start_name, v->start_ratio, &v->nstart, err);
    } else if (!strcmp(arg, "value") && kind == LMM_VF_IDENT) {
      span val = trim(c.val[i]);
      if (named(val)) {   /* c(b = 1.5): the number alone */
        const char *eq = top_level(val.s + 2, val.e - 1, "=");
        val = (span){eq + 1, val.e - 1};
      }
      double many[LMM_VF_MAX_FIXED];
      rc = read_numbers(val, what, arg, many, LMM_VF_MAX_FIXED, &n, err);
      v->value[0] = many[0];
      if (!rc && n != 1)
        rc = lmm_fail(err, LMM_ERR, "weights: varIdent's value= of several ratios must name their strata, as "
                      "value = c(b = 1.5, c = 2) (nlme's rule: every stratum but the reference)");
      if (!rc && !(v->value[0] > 0))
        rc = lmm_fail(err, LMM_ERR, "weights: varIdent's value= must be a positive ratio, not %g", v->value[0]);
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
  if (!rc && kind != LMM_VF_IDENT && v->nfixed && v->strata < 0)
    rc = lmm_fail(err, LMM_ERR, "weights: %s's fixed names strata, and its form has none; give them, as "
                  "form = ~ x | g", classes[kind - 1]);
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
  *k = (lmm_corstruct){.kind = kind, .cov = -1, .group = -1, .group_inner = -1};
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
      rc = read_form(c.val[i], what, f, cov, spatial ? LMM_COR_MAX_DIM : 1, &n, &k->group, &k->group_inner, err);
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
      rc = read_numbers(c.val[i], what, arg, k->value, 2 * LMM_COR_MAX_ORDER, &k->nvalue, err);
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

int lmm_structure_inner_group(const lmm_structure *st) { return st && st->has_cor ? st->cor.group_inner : -1; }

void lmm_structure_free(lmm_structure *st) {
  if (!st) return;
  for (int i = 0; i < st->nvf; i++) lmm_varfunc_clear(&st->vf[i]);
  if (st->has_cor) lmm_corstruct_clear(&st->cor);
  lmm_free(st->fitted);
  lmm_free(st->u);
  lmm_free(st);
}
