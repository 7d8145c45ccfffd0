/* bases.c — scale(), poly(), ns() and bs(): their arguments, what they learn from the data, and their values
 * (see bases.h).  The B-splines are the Cox-de Boor recursion on R's knot sequence (splines::splineDesign). */
#include "bases.h"
#include "alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arguments each takes after the value, by position: R's formals (poly's ... takes the degree). */
typedef struct basis_fn { const char *name; int kind; const char *args[3]; } basis_fn;
static const basis_fn basis_fns[] = {
  {"scale", LMM_NUMBASIS_SCALE, {"center", "scale", NULL}},
  {"poly", LMM_NUMBASIS_POLY, {"degree", "raw", NULL}},
  {"ns", LMM_NUMBASIS_NS, {"df", NULL, NULL}},
  {"bs", LMM_NUMBASIS_BS, {"df", "knots", "degree"}},
};

static const basis_fn *find_fn(const char *name) {
  for (size_t i = 0; i < sizeof basis_fns / sizeof *basis_fns; i++)
    if (!strcmp(basis_fns[i].name, name)) return &basis_fns[i];
  return NULL;
}

int lmm_numbasis_is_call(const char *name) { return find_fn(name) != NULL; }

static int arg_fail(const lmm_expr *at, const char *what, const char *text, const char *fn, const char *why,
                    lmm_error *err) {
  return lmm_fail(err, LMM_ERR, "%s: %s() %s at character %d of \"%s\"", what, fn, why, at->pos + 1, text);
}

/* A TRUE or FALSE argument (R's T and F too) into *flag. */
static int logical_arg(const lmm_expr *a, const char *name, const char *what, const char *text, const char *fn,
                       int *flag, lmm_error *err) {
  int is_true = a->kind == EX_NAME && (!strcmp(a->name, "TRUE") || !strcmp(a->name, "T"));
  if (!is_true && !(a->kind == EX_NAME && (!strcmp(a->name, "FALSE") || !strcmp(a->name, "F")))) {
    char why[96];
    snprintf(why, sizeof why, "takes TRUE or FALSE for '%s'", name);
    return arg_fail(a, what, text, fn, why, err);
  }
  *flag = is_true;
  return LMM_OK;
}

/* A whole number from lo to LMM_NUMBASIS_MAX_COLS into *k. */
static int count_arg(const lmm_expr *a, const char *name, int lo, const char *what, const char *text,
                     const char *fn, int *k, lmm_error *err) {
  if (a->kind != EX_NUM || a->num != floor(a->num) || a->num < lo || a->num > LMM_NUMBASIS_MAX_COLS) {
    char why[128];
    snprintf(why, sizeof why, "takes a whole number from %d to %d for '%s'", lo, LMM_NUMBASIS_MAX_COLS, name);
    return arg_fail(a, what, text, fn, why, err);
  }
  *k = (int)a->num;
  return LMM_OK;
}

int lmm_numbasis_parse(const lmm_expr *call, const char *what, const char *text, lmm_numbasis *b,
                    const lmm_expr **value, lmm_error *err) {
  const basis_fn *fn = find_fn(call->name);
  const char *name = call->name;
  memset(b, 0, sizeof *b);
  b->kind = fn->kind;
  b->center = b->scale = 1;
  b->degree = fn->kind == LMM_NUMBASIS_POLY ? 1 : 3;
  int df = 0, rc;
  if (call->nargs < 1 || call->args[0]->kind == EX_ARG)
    return arg_fail(call, what, text, name, "needs a column or an expression first", err);
  *value = call->args[0];
  for (int i = 1; i < call->nargs; i++) {
    int named = call->args[i]->kind == EX_ARG;
    const lmm_expr *a = named ? call->args[i]->args[0] : call->args[i];   /* the value */
    const char *arg = named ? call->args[i]->name : NULL;
    if (!arg && (i > 3 || !(arg = fn->args[i - 1]))) return arg_fail(a, what, text, name, "has too many arguments", err);
    if (fn->kind == LMM_NUMBASIS_POLY && !named && i == 1 && a->kind != EX_NUM)
      return arg_fail(a, what, text, name, "of several variables is not supported: use one column, as in poly(x, 2)", err);
    if (fn->kind == LMM_NUMBASIS_SCALE && !strcmp(arg, "center")) rc = logical_arg(a, arg, what, text, name, &b->center, err);
    else if (fn->kind == LMM_NUMBASIS_SCALE && !strcmp(arg, "scale")) rc = logical_arg(a, arg, what, text, name, &b->scale, err);
    else if (fn->kind == LMM_NUMBASIS_POLY && !strcmp(arg, "raw")) rc = logical_arg(a, arg, what, text, name, &b->raw, err);
    else if (fn->kind != LMM_NUMBASIS_SCALE && fn->kind != LMM_NUMBASIS_NS && !strcmp(arg, "degree"))
      rc = count_arg(a, arg, 1, what, text, name, &b->degree, err);
    else if ((fn->kind == LMM_NUMBASIS_NS || fn->kind == LMM_NUMBASIS_BS) && !strcmp(arg, "df"))
      rc = count_arg(a, arg, 1, what, text, name, &df, err);
    else {
      char why[160];
      snprintf(why, sizeof why, "has no argument '%s' here (it takes %s)", arg,
               fn->kind == LMM_NUMBASIS_SCALE ? "center = and scale =, TRUE or FALSE" :
               fn->kind == LMM_NUMBASIS_POLY ? "the degree and raw = TRUE or FALSE" :
               fn->kind == LMM_NUMBASIS_NS ? "df =; its knots are the quantiles of the data" :
               "df = and degree =; its knots are the quantiles of the data");
      return arg_fail(a, what, text, name, why, err);
    }
    if (rc) return rc;
  }
  switch (fn->kind) {
  case LMM_NUMBASIS_SCALE: b->ncols = 1; break;
  case LMM_NUMBASIS_POLY: b->ncols = b->degree; break;
  case LMM_NUMBASIS_NS: b->ncols = df ? df : 1; break;
  default:
    if (df && df < b->degree) {
      char why[96];
      snprintf(why, sizeof why, "needs df at least its degree, %d", b->degree);
      return arg_fail(call, what, text, name, why, err);
    }
    b->ncols = df ? df : b->degree;
  }
  return LMM_OK;
}

/* ---- B-splines ------------------------------------------------------------------------------------------ */

/* Interior knots of a spline basis (bases.h's layout follows the two boundary knots). */
static int interior_knots(const lmm_numbasis *b) { return b->kind == LMM_NUMBASIS_NS ? b->ncols - 1 : b->ncols - b->degree; }

enum { MAX_KNOTS = 3 * LMM_NUMBASIS_MAX_COLS + 8 };   /* interior knots and the boundary knots ord (<= df + 1) times each */

/* R's knot sequence: each boundary knot ord times around the interior ones; its length. */
static int knot_sequence(const lmm_numbasis *b, const double *coef, int ord, double *t) {
  int ni = interior_knots(b), nt = 0;
  for (int k = 0; k < ord; k++) t[nt++] = coef[0];
  for (int k = 0; k < ni; k++) t[nt++] = coef[2 + k];
  for (int k = 0; k < ord; k++) t[nt++] = coef[1];
  return nt;
}

/* The nt - ord B-splines of order ord on knots t at x, differentiated deriv times, into out.  x beyond the
 * boundary knots is on the polynomial piece of the outer interval it is nearest; the boundary knot on the
 * right belongs to the interval it closes, as in splineDesign. */
static void bsplines(const double *t, int nt, int ord, double x, int deriv, double *out) {
  double v[MAX_KNOTS];
  int mu = -1;
  for (int i = ord - 1; i <= nt - ord - 1; i++)
    if (t[i] < t[i + 1] && (mu < 0 || t[i] <= x)) mu = i;
  for (int i = 0; i < nt - 1; i++) v[i] = i == mu;
  for (int k = 2; k <= ord; k++) {
    int differentiate = k > ord - deriv;
    for (int i = 0; i < nt - k; i++) {
      double d1 = t[i + k - 1] - t[i], d2 = t[i + k] - t[i + 1];
      double a = d1 > 0 ? v[i] / d1 : 0, c = d2 > 0 ? v[i + 1] / d2 : 0;
      v[i] = differentiate ? (k - 1) * (a - c) : (x - t[i]) * a + (t[i + k] - x) * c;
    }
  }
  memcpy(out, v, sizeof *out * (size_t)(nt - ord));
}

/* The splines at x without the first (intercept = FALSE): bs's columns, and the values ns projects.  ns
 * continues each boundary's tangent line beyond it. */
static int spline_row(const lmm_numbasis *b, const double *coef, double x, double *out) {
  double t[MAX_KNOTS], v[MAX_KNOTS], d[MAX_KNOTS];
  int ord = b->degree + 1, nt = knot_sequence(b, coef, ord, t), m = nt - ord;
  double edge = x < coef[0] ? coef[0] : x > coef[1] ? coef[1] : x;
  bsplines(t, nt, ord, b->kind == LMM_NUMBASIS_NS ? edge : x, 0, v);
  if (b->kind == LMM_NUMBASIS_NS && edge != x) {
    bsplines(t, nt, ord, edge, 1, d);
    for (int j = 0; j < m; j++) v[j] += (x - edge) * d[j];
  }
  memcpy(out, v + 1, sizeof *out * (size_t)(m - 1));
  return m - 1;
}

/* Householder reflector of LINPACK's dqrdc2, as R's qr() makes it, on v[0..m-1] in place: v becomes the
 * reflector's vector (its first element 1 + v0 / nrm), H y = y - (v.y / v[0]) v. */
static void householder(double *v, int m) {
  double nrm = 0;
  for (int i = 0; i < m; i++) nrm = hypot(nrm, v[i]);
  if (nrm == 0) return;
  if (v[0] != 0) nrm = copysign(nrm, v[0]);
  for (int i = 0; i < m; i++) v[i] /= nrm;
  v[0] += 1;
}

static void reflect(const double *v, int m, double *y) {
  if (v[0] == 0) return;
  double s = 0;
  for (int i = 0; i < m; i++) s += v[i] * y[i];
  s = -s / v[0];
  for (int i = 0; i < m; i++) y[i] += s * v[i];
}

/* ns: the spline row projected on the complement of the second derivatives at the boundary knots, as
 * splines::ns does: the rows of qr.qty(qr(t(const)), t(basis)) after the first two. */
static void natural_row(const lmm_numbasis *b, const double *coef, double x, double *out) {
  double t[MAX_KNOTS], c1[MAX_KNOTS], c2[MAX_KNOTS], row[MAX_KNOTS];
  int nt = knot_sequence(b, coef, 4, t), m = spline_row(b, coef, x, row);
  bsplines(t, nt, 4, coef[0], 2, c1);
  bsplines(t, nt, 4, coef[1], 2, c2);
  /* the constraint matrix t(const) is m x 2: columns c1, c2 without their first element */
  householder(c1 + 1, m);
  reflect(c1 + 1, m, c2 + 1);
  householder(c2 + 2, m - 1);
  reflect(c1 + 1, m, row);
  reflect(c2 + 2, m - 1, row + 1);
  memcpy(out, row + 2, sizeof *out * (size_t)(m - 2));
}

/* ---- settling and values ------------------------------------------------------------------------------- */

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* R's quantile(type = 7) of sorted s[0..n-1] at p. */
static double quantile7(const double *s, size_t n, double p) {
  double index = (double)(n - 1) * p;
  size_t lo = (size_t)floor(index), hi = (size_t)ceil(index);
  double h = index - (double)lo;
  return index > (double)lo && s[hi] != s[lo] ? (1 - h) * s[lo] + h * s[hi] : s[lo];
}

static int settle_scale(const lmm_numbasis *b, const char *label, const double *x, size_t n, double *coef, lmm_error *err) {
  double mean = 0, ss = 0;
  for (size_t r = 0; r < n; r++) mean += x[r];
  mean = b->center ? mean / (double)n : 0;
  for (size_t r = 0; r < n; r++) ss += (x[r] - mean) * (x[r] - mean);
  double sd = b->scale ? sqrt(ss / (double)(n - 1)) : 1;
  if (!(sd > 0 && isfinite(sd)))
    return lmm_fail(err, LMM_ERR, "%s: the values are all %s in the rows used, so there is no scale to divide by; use "
                    "scale = FALSE, or leave the column out", label, b->center ? "the same" : "zero");
  coef[0] = mean;
  coef[1] = sd;
  return LMM_OK;
}

/* poly's alpha and norm2, the three-term recurrence of the monic polynomials orthogonal over the values
 * (Stieltjes' procedure, on the values about their mean as R's poly() centres them). */
static int settle_poly(const lmm_numbasis *b, const char *label, const double *x, size_t n, double *coef, lmm_error *err) {
  int k = b->degree;
  double *alpha = coef, *norm2 = coef + k;
  double *s = lmm_malloc(sizeof *s * n), *p0 = lmm_malloc(sizeof *p0 * n), *p1 = lmm_malloc(sizeof *p1 * n);
  if (!s || !p0 || !p1) { lmm_free(s); lmm_free(p0); lmm_free(p1); return lmm_nomem(err); }
  memcpy(s, x, sizeof *s * n);
  qsort(s, n, sizeof *s, dbl_cmp);
  size_t distinct = n > 0;
  for (size_t r = 1; r < n; r++) distinct += s[r] != s[r - 1];
  double mean = 0;
  for (size_t r = 0; r < n; r++) mean += x[r];
  mean /= (double)n;
  int rc = LMM_OK;
  if ((size_t)k >= distinct)
    rc = lmm_fail(err, LMM_ERR, "%s: 'degree' must be less than number of unique points (the rows used have %zu distinct "
                  "values); lower the degree", label, distinct);
  norm2[0] = 1;
  norm2[1] = (double)n;
  for (size_t r = 0; r < n && !rc; r++) { p0[r] = 1; p1[r] = 0; }
  /* p0 is polynomial j, p1 polynomial j - 1, of the centred values */
  for (int j = 0; j < k && !rc; j++) {
    double sx = 0, ss = 0;
    for (size_t r = 0; r < n; r++) sx += (x[r] - mean) * p0[r] * p0[r];
    double a = sx / norm2[j + 1], ratio = norm2[j + 1] / norm2[j];
    alpha[j] = a + mean;
    for (size_t r = 0; r < n; r++) {
      double next = (x[r] - mean - a) * p0[r] - (j ? ratio * p1[r] : 0);
      p1[r] = p0[r];
      p0[r] = next;
      ss += next * next;
    }
    norm2[j + 2] = ss;
  }
  lmm_free(s);
  lmm_free(p0);
  lmm_free(p1);
  return rc;
}

static int settle_spline(const lmm_numbasis *b, const char *label, const double *x, size_t n, double *coef, lmm_error *err) {
  double *s = lmm_malloc(sizeof *s * (n ? n : 1));
  if (!s) return lmm_nomem(err);
  memcpy(s, x, sizeof *s * n);
  qsort(s, n, sizeof *s, dbl_cmp);
  int ni = interior_knots(b);
  if (!n || s[0] == s[n - 1]) {
    lmm_free(s);
    return lmm_fail(err, LMM_ERR, "%s: the values are all the same in the rows used, so there is no range to place "
                    "knots in; leave the column out", label);
  }
  coef[0] = s[0];
  coef[1] = s[n - 1];
  for (int k = 0; k < ni; k++) coef[2 + k] = quantile7(s, n, (double)(k + 1) / (double)(ni + 1));
  lmm_free(s);
  return LMM_OK;
}

int lmm_numbasis_ncoef(const lmm_numbasis *b) {
  switch (b->kind) {
  case LMM_NUMBASIS_SCALE: return 2;
  case LMM_NUMBASIS_POLY: return b->raw ? 0 : 2 * b->degree + 2;
  case LMM_NUMBASIS_NS: case LMM_NUMBASIS_BS: return 2 + interior_knots(b);
  default: return 0;
  }
}

const char *lmm_numbasis_invalid(const lmm_numbasis *b, const double *coef) {
  int m = lmm_numbasis_ncoef(b);
  for (int k = 0; k < m; k++)
    if (!isfinite(coef[k])) return "a coefficient is not a finite number";
  if (b->kind == LMM_NUMBASIS_SCALE && !(coef[1] > 0)) return "its scale is not positive";
  if (b->kind == LMM_NUMBASIS_POLY)
    for (int k = b->degree; k < m; k++)
      if (!(coef[k] > 0)) return "a norm of its polynomials is not positive";
  if (b->kind == LMM_NUMBASIS_NS || b->kind == LMM_NUMBASIS_BS) {
    if (!(coef[0] < coef[1])) return "its boundary knots are not in increasing order";
    for (int k = 2; k < m; k++)
      if (coef[k] < (k == 2 ? coef[0] : coef[k - 1]) || coef[k] > coef[1]) return "its knots are not in order within its range";
  }
  return NULL;
}

int lmm_numbasis_settle(const lmm_numbasis *b, const char *label, const double *x, size_t n, double **coef,
                     int *ncoef, lmm_error *err) {
  *coef = NULL;
  *ncoef = 0;
  int m = lmm_numbasis_ncoef(b);
  if (!m) return LMM_OK;
  if (!(*coef = lmm_calloc((size_t)m, sizeof **coef))) return lmm_nomem(err);
  int rc = b->kind == LMM_NUMBASIS_SCALE ? settle_scale(b, label, x, n, *coef, err)
         : b->kind == LMM_NUMBASIS_POLY ? settle_poly(b, label, x, n, *coef, err)
         : settle_spline(b, label, x, n, *coef, err);
  if (rc) { lmm_free(*coef); *coef = NULL; return rc; }
  *ncoef = m;
  return LMM_OK;
}

void lmm_numbasis_eval(const lmm_numbasis *b, const double *coef, double x, double *out) {
  switch (b->kind) {
  case LMM_NUMBASIS_SCALE: out[0] = (x - coef[0]) / coef[1]; return;
  case LMM_NUMBASIS_POLY: {
    if (b->raw) {
      for (int j = 0; j < b->ncols; j++) out[j] = pow(x, j + 1);
      return;
    }
    const double *alpha = coef, *norm2 = coef + b->degree;
    double prev = 1, cur = x - alpha[0];
    for (int j = 0; j < b->ncols; j++) {
      if (j) {
        double next = (x - alpha[j]) * cur - norm2[j + 1] / norm2[j] * prev;
        prev = cur;
        cur = next;
      }
      out[j] = cur / sqrt(norm2[j + 2]);
    }
    return;
  }
  case LMM_NUMBASIS_NS: natural_row(b, coef, x, out); return;
  case LMM_NUMBASIS_BS: spline_row(b, coef, x, out); return;
  default: out[0] = x;
  }
}
