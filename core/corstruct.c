/* corstruct.c — correlation structures: groups, positions, whitening (see corstruct.h). */
#include "corstruct.h"
#include "alloc.h"
#include "code_sort.h"

#include <lapacke.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *class_name(int kind) {
  static const char *const names[] = {"", "corAR1", "corCAR1", "corCompSymm", "corARMA", "corSymm",
                                      "corExp", "corGaus", "corLin", "corRatio", "corSpher"};
  return names[kind];
}

static int chained(const lmm_corstruct *c) { return c->kind == LMM_COR_AR1 || c->kind == LMM_COR_CAR1; }
static int spatial(const lmm_corstruct *c) { return c->kind >= LMM_COR_EXP; }

typedef struct { size_t row; double pos; int g; } entry;

static int group_of(const int *gcode, size_t r) { return gcode ? gcode[r] : 0; }

static int entry_cmp(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->g != y->g) return x->g < y->g ? -1 : 1;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

static int names_new(lmm_corstruct *c, int gaps) {
  const char *cls = class_name(c->kind);
  if (!(c->names = lmm_calloc((size_t)(c->npar ? c->npar : 1), sizeof *c->names))) return -1;
  for (int k = 0; k < c->npar; k++) {
    char *s = NULL;
    switch (c->kind) {
    case LMM_COR_AR1: s = lmm_strdup(gaps ? "corARMA__Phi1" : "corAR1__Phi"); break;
    case LMM_COR_CAR1: s = lmm_strdup("corCAR1__Phi"); break;
    case LMM_COR_COMPSYMM: s = lmm_strdup("corCompSymm__Rho"); break;
    case LMM_COR_EXP: case LMM_COR_GAUS: case LMM_COR_LIN: case LMM_COR_RATIO: case LMM_COR_SPHER:
      s = lmm_mprintf("%s__%s", cls, k ? "nugget" : "range");
      break;
    case LMM_COR_ARMA: s = k < c->p ? lmm_mprintf("%s__Phi%d", cls, k + 1) : lmm_mprintf("%s__Theta%d", cls, k - c->p + 1); break;
    default: {   /* corSymm: pairs (i, j), i < j, row by row */
      int i = 1, j, m = k;
      while (m >= c->npos - i) { m -= c->npos - i; i++; }
      j = i + 1 + m;
      s = lmm_mprintf("%s__Rho(%d,%d)", cls, i, j);
    }
    }
    if (!(c->names[k] = s)) return -1;
  }
  return 0;
}

static double distance(const lmm_corstruct *c, const double *a, const double *b) {
  double acc = 0;
  for (int k = 0; k < c->ncoord; k++) {
    double x = fabs(a[k] - b[k]);
    if (c->metric == LMM_METRIC_EUCLIDEAN) acc += x * x;
    else if (c->metric == LMM_METRIC_MANHATTAN) acc += x;
    else if (x > acc) acc = x;
  }
  return c->metric == LMM_METRIC_EUCLIDEAN ? sqrt(acc) : acc;
}

/* The spatial covariates of each entry, numeric and finite, no two rows of a group at one place (nlme's
 * "cannot have zero distances"); the smallest distance for nlme's start of the range. */
static int bind_coords(lmm_corstruct *c, const lmm_design *d, const int *gcode, lmm_error *err) {
  size_t n = d->n;
  if (!(c->coord = lmm_malloc_array(lmm_size_mul(n ? n : 1, (size_t)c->ncoord), sizeof *c->coord))) return lmm_nomem(err);
  for (int k = 0; k < c->ncoord; k++) {
    const lmm_frame_var *fv = &d->frame->vars[c->coord_var[k]];
    const char *name = d->frame->f->vars[c->coord_var[k]].label;
    if (fv->is_factor || !fv->x)
      return lmm_fail(err, LMM_ERR, "correlation: %s's covariate '%s' must be numeric, and it holds text",
                      class_name(c->kind), name);
    for (size_t i = 0; i < n; i++) {
      double x = fv->x[c->rows[i]];
      if (!isfinite(x))
        return lmm_fail(err, LMM_ERR, "correlation: %s's covariate '%s' is not finite at row %lld", class_name(c->kind),
                        name, (long long)d->frame->row[c->rows[i]]);
      c->coord[i * (size_t)c->ncoord + (size_t)k] = x;
    }
  }
  c->min_dist = HUGE_VAL;
  for (size_t i = 0, g0 = 0; i < n; i++) {
    if (i && group_of(gcode, c->rows[i]) != group_of(gcode, c->rows[i - 1])) g0 = i;
    for (size_t j = g0; j < i; j++) {
      double dist = distance(c, c->coord + i * (size_t)c->ncoord, c->coord + j * (size_t)c->ncoord);
      if (dist == 0)
        return lmm_fail(err, LMM_ERR, "correlation: %s cannot have zero distances: rows %lld and %lld of one group are "
                        "at the same place", class_name(c->kind), (long long)d->frame->row[c->rows[j]],
                        (long long)d->frame->row[c->rows[i]]);
      if (dist < c->min_dist) c->min_dist = dist;
    }
  }
  return LMM_OK;
}

typedef struct { int outer, inner; size_t row; } pair;

static int pair_cmp(const void *a, const void *b) {
  const pair *x = a, *y = b;
  if (x->outer != y->outer) return x->outer < y->outer ? -1 : 1;
  if (x->inner != y->inner) return x->inner < y->inner ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

int *lmm_nested_codes(const int *outer, const int *inner, size_t n, int *ncode) {
  pair *p = lmm_malloc_array(n ? n : 1, sizeof *p);
  int *code = lmm_malloc_array(n ? n : 1, sizeof *code), k = -1;
  if (!p || !code) { lmm_free(p); lmm_free(code); return NULL; }
  for (size_t r = 0; r < n; r++) p[r] = (pair){outer[r], inner[r], r};
  qsort(p, n, sizeof *p, pair_cmp);
  for (size_t i = 0; i < n; i++) {
    if (!i || p[i].outer != p[i - 1].outer || p[i].inner != p[i - 1].inner) k++;
    code[p[i].row] = k;
  }
  *ncode = k + 1;
  lmm_free(p);
  return code;
}

static int bind_groups(lmm_corstruct *c, const lmm_design *d, const int *gcode, int ngcode, const char *gname,
                       lmm_error *err);
static int symm_from_value(const lmm_corstruct *c, double *u);

int lmm_corstruct_bind(lmm_corstruct *c, const lmm_design *d, const int *gcode, int ngcode, const char *gname,
                       lmm_error *err) {
  if (c->group_inner < 0 || !gcode) return bind_groups(c, d, gcode, ngcode, gname, err);
  int *nested = lmm_nested_codes(gcode, d->frame->vars[c->group_inner].code, d->n, &ngcode);
  if (!nested) return lmm_nomem(err);
  int rc = bind_groups(c, d, nested, ngcode, gname, err);
  lmm_free(nested);
  return rc;
}

/* rows and pos: the rows by group, in each by position, then row (entry_cmp's order), counted into their groups
 * in the rows' order and a group sorted only where its positions are not in order already (without a covariate
 * x, a row's position is its rank in its group).  LMM_NOMEM. */
static int sort_rows(lmm_corstruct *c, size_t n, const int *gcode, int ngcode, const double *x) {
  if (gcode && lmm_code_sort(gcode, ngcode, NULL, n, c->rows)) return LMM_NOMEM;
  for (size_t r = 0; !gcode && r < n; r++) c->rows[r] = r;
  for (size_t i = 0, rank = 0; i < n; i++) {
    size_t r = c->rows[i];
    rank = i && group_of(gcode, c->rows[i - 1]) == group_of(gcode, r) ? rank + 1 : 1;
    c->pos[i] = x ? x[r] : (double)rank;
  }
  for (size_t i = 0, i0 = 0; i < n; i++) {
    int g = group_of(gcode, c->rows[i]);
    if (i + 1 < n && group_of(gcode, c->rows[i + 1]) == g) continue;
    size_t k = i0, len = i + 1 - i0;
    while (k < i && c->pos[k] <= c->pos[k + 1]) k++;
    if (k < i) {
      entry *e = lmm_malloc_array(len, sizeof *e);
      if (!e) return LMM_NOMEM;
      for (k = 0; k < len; k++) e[k] = (entry){c->rows[i0 + k], c->pos[i0 + k], g};
      qsort(e, len, sizeof *e, entry_cmp);
      for (k = 0; k < len; k++) {
        c->rows[i0 + k] = e[k].row;
        c->pos[i0 + k] = e[k].pos;
      }
      lmm_free(e);
    }
    i0 = i + 1;
  }
  return LMM_OK;
}

static int bind_groups(lmm_corstruct *c, const lmm_design *d, const int *gcode, int ngcode, const char *gname,
                       lmm_error *err) {
  size_t n = d->n;
  const double *x = NULL;
  const char *cls = class_name(c->kind), *xname = c->cov >= 0 ? d->frame->f->vars[c->cov].label : NULL;
  if (spatial(c)) c->cov = c->coord_var[0];
  if (c->cov >= 0) {
    const lmm_frame_var *fv = &d->frame->vars[c->cov];
    if (fv->is_factor || !fv->x)
      return lmm_fail(err, LMM_ERR, "correlation: %s's covariate '%s' must be numeric, and it holds text", cls, xname);
    x = fv->x;
  }
  c->start = lmm_calloc((size_t)(ngcode > 0 ? ngcode : 1) + 1, sizeof *c->start);
  c->rows = lmm_malloc_array(n ? n : 1, sizeof *c->rows);
  c->pos = lmm_malloc_array(n ? n : 1, sizeof *c->pos);
  if (!c->start || !c->rows || !c->pos) return lmm_nomem(err);
  c->ngroups = gcode ? (size_t)ngcode : 1;
  if (sort_rows(c, n, gcode, ngcode, x)) return lmm_nomem(err);
  int rc = LMM_OK, gaps = 0;
  c->maxsize = 0;
  c->npos = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    size_t row = c->rows[i];
    double pos = c->pos[i];
    int g = group_of(gcode, row), same = i > 0 && group_of(gcode, c->rows[i - 1]) == g;
    c->start[g + 1]++;
    if (!isfinite(pos))
      rc = lmm_fail(err, LMM_ERR, "correlation: %s's covariate '%s' is not finite at row %lld", cls, xname,
                    (long long)d->frame->row[row]);
    else if (c->kind != LMM_COR_COMPSYMM && !spatial(c) && same && c->pos[i - 1] == pos)
      rc = lmm_fail(err, LMM_ERR, "correlation: %s's covariate '%s' must have unique values within groups: %g is "
                    "repeated in %s at rows %lld and %lld", cls, xname, pos, gname,
                    (long long)d->frame->row[c->rows[i - 1]], (long long)d->frame->row[row]);
    else if ((c->kind == LMM_COR_AR1 || c->kind == LMM_COR_ARMA || c->kind == LMM_COR_SYMM) &&
             pos != floor(pos))
      rc = lmm_fail(err, LMM_ERR, "correlation: %s needs integer positions, and its covariate '%s' is %g at row %lld; "
                    "use corCAR1 for continuous times", cls, xname, pos, (long long)d->frame->row[row]);
    else if (c->kind == LMM_COR_SYMM && (pos < 1 || pos > LMM_COR_MAX_ORDER * 4))
      rc = xname ? lmm_fail(err, LMM_ERR, "correlation: corSymm's positions must be 1 to %d, and '%s' is %g at row %lld",
                            LMM_COR_MAX_ORDER * 4, xname, pos, (long long)d->frame->row[row])
                 : lmm_fail(err, LMM_ERR, "correlation: corSymm's positions must be 1 to %d; without a covariate "
                            "(form = ~ 1 | g) they number each group's rows 1, 2, ..., and row %lld is the %gth of its "
                            "group", LMM_COR_MAX_ORDER * 4, (long long)d->frame->row[row], pos);
    if (same && pos - c->pos[i - 1] != 1) gaps = 1;
    if (c->kind == LMM_COR_SYMM && pos > c->npos) c->npos = (int)pos;
  }
  if (!rc && spatial(c)) rc = bind_coords(c, d, gcode, err);
  if (rc) return rc;
  for (size_t g = 0; g < c->ngroups; g++) {
    if (c->start[g + 1] > (size_t)c->maxsize) c->maxsize = (int)c->start[g + 1];
    c->start[g + 1] += c->start[g];
  }
  if (!chained(c) && c->maxsize > LMM_COR_MAX_GROUP)
    return lmm_fail(err, LMM_ERR, "correlation: %s's largest group has %d rows, more than the %d a dense factor per "
                    "group takes; give the form a grouping (form = ~ t | g)", cls, c->maxsize, LMM_COR_MAX_GROUP);
  c->npar = c->kind == LMM_COR_ARMA ? c->p + c->q : c->kind == LMM_COR_SYMM ? c->npos * (c->npos - 1) / 2
           : spatial(c) ? 1 + c->nugget : 1;
  if (c->kind == LMM_COR_SYMM && c->npos < 2)
    return lmm_fail(err, LMM_ERR, "correlation: corSymm needs groups of two positions or more");
  if (c->kind == LMM_COR_COMPSYMM && c->maxsize < 2)
    return lmm_fail(err, LMM_ERR, "correlation: corCompSymm's groups have one row each; there is no correlation to "
                    "estimate");
  if (c->nvalue && c->nvalue != c->npar)
    return lmm_fail(err, LMM_ERR, "correlation: %s's value has %d numbers for its %d parameters", cls, c->nvalue,
                    c->npar);
  double u[2 * LMM_COR_MAX_ORDER];
  if (c->kind == LMM_COR_SYMM && c->nvalue && symm_from_value(c, u))
    return lmm_fail(err, LMM_ERR, "correlation: corSymm's value= is not a correlation matrix (not positive definite): "
                    "its numbers are Rho(1,2), Rho(1,3), ..., Rho(2,3), ..., the upper triangle row by row");
  if (names_new(c, gaps && c->cov >= 0)) return lmm_nomem(err);
  return LMM_OK;
}

/* log((1+r)/(1-r)) and back: nlme's map of a correlation in (-1, 1) */
static double fisher(double r) { return log((1 + r) / (1 - r)); }
static double fisher_inv(double u) { return tanh(u / 2); }

static double compsymm_floor(const lmm_corstruct *c) { return 1.0 / (c->maxsize - 1); }

/* corSymm's parameters from value= (nlme's Rho(1,2), Rho(1,3), ..., row by row): the rows of the Cholesky factor of
 * the correlation matrix, each divided by its diagonal (symm_matrix's inverse); -1 where it is not positive
 * definite.  value= holds at most 2 LMM_COR_MAX_ORDER numbers, so npos <= 8. */
static int symm_from_value(const lmm_corstruct *c, double *u) {
  enum { MAXP = 9 };
  int P = c->npos, k = 0;
  double L[MAXP * MAXP] = {0};
  if (P > MAXP) return -1;
  for (int i = 0; i < P; i++) L[i + i * P] = 1;
  for (int i = 0; i < P; i++)
    for (int j = i + 1; j < P; j++) L[j + i * P] = c->value[k++];   /* the lower triangle of R, column by column */
  for (int j = 0; j < P; j++) {   /* in place: L L' = R */
    double d = L[j + j * P];
    for (int a = 0; a < j; a++) d -= L[j + a * P] * L[j + a * P];
    if (!(d > 1e-12)) return -1;
    L[j + j * P] = sqrt(d);
    for (int i = j + 1; i < P; i++) {
      double x = L[i + j * P];
      for (int a = 0; a < j; a++) x -= L[i + a * P] * L[j + a * P];
      L[i + j * P] = x / L[j + j * P];
    }
  }
  k = 0;
  for (int j = 0; j < P; j++)
    for (int i = j + 1; i < P; i++, k++) u[k] = L[i + j * P] / L[i + i * P];
  return 0;
}

void lmm_corstruct_start(const lmm_corstruct *c, double *u) {
  if (c->kind == LMM_COR_SYMM && c->nvalue && !symm_from_value(c, u)) return;
  for (int k = 0; k < c->npar; k++) {
    double v = c->nvalue ? c->value[k] : c->kind == LMM_COR_CAR1 ? 0.2 : 0;
    if (spatial(c)) {   /* nlme's start: 0.9 of the smallest distance, nugget 0.1 */
      v = c->nvalue ? c->value[k] : k ? 0.1 : 0.9 * c->min_dist;
      u[k] = k ? log(v / (1 - v)) : log(v);
      continue;
    }
    switch (c->kind) {
    case LMM_COR_CAR1: u[k] = log(v / (1 - v)); break;
    case LMM_COR_COMPSYMM: u[k] = log((v + compsymm_floor(c)) / (1 - v)); break;
    case LMM_COR_SYMM: u[k] = 0; break;   /* the identity; value= is read above */
    default: u[k] = fisher(v); break;     /* AR1, and ARMA's partial autocorrelations for p, q <= 1 */
    }
  }
}

/* Durbin-Levinson: coefficients from partial autocorrelations, in place (nlme's ARMA transformation). */
static void pacf_to_coef(double *a, int n) {
  double tmp[LMM_COR_MAX_ORDER];
  for (int k = 1; k < n; k++) {
    for (int j = 0; j < k; j++) tmp[j] = a[j] - a[k] * a[k - 1 - j];
    memcpy(a, tmp, sizeof *a * (size_t)k);
  }
}

/* corSymm's correlation matrix (npos x npos) from u: the rows of its Cholesky factor are (u_i1, .., 1) normalized */
static void symm_matrix(const lmm_corstruct *c, const double *u, double *Rm) {
  int P = c->npos;
  double L[LMM_COR_MAX_ORDER * 4 * LMM_COR_MAX_ORDER * 4];
  memset(L, 0, sizeof *L * (size_t)(P * P));
  int k = 0;
  for (int i = 0; i < P; i++) L[i + i * P] = 1;
  for (int j = 0; j < P; j++)   /* u in the order of Rho(i,j): by rows of the upper triangle */
    for (int i = j + 1; i < P; i++, k++) L[i + j * P] = u[k];
  for (int i = 0; i < P; i++) {
    double s = 0;
    for (int j = 0; j <= i; j++) s += L[i + j * P] * L[i + j * P];
    for (int j = 0; j <= i; j++) L[i + j * P] /= sqrt(s);
  }
  for (int i = 0; i < P; i++)
    for (int j = 0; j < P; j++) {
      double s = 0;
      for (int a = 0; a <= (i < j ? i : j); a++) s += L[i + a * P] * L[j + a * P];
      Rm[i + j * P] = s;
    }
}

void lmm_corstruct_constrained(const lmm_corstruct *c, const double *u, double *out) {
  switch (c->kind) {
  case LMM_COR_CAR1: out[0] = 1 / (1 + exp(-u[0])); return;
  case LMM_COR_COMPSYMM: out[0] = (exp(u[0]) - compsymm_floor(c)) / (exp(u[0]) + 1); return;
  case LMM_COR_SYMM: {
    double Rm[LMM_COR_MAX_ORDER * 4 * LMM_COR_MAX_ORDER * 4];
    int P = c->npos, k = 0;
    symm_matrix(c, u, Rm);
    for (int i = 0; i < P; i++)
      for (int j = i + 1; j < P; j++) out[k++] = Rm[i + j * P];
    return;
  }
  case LMM_COR_EXP: case LMM_COR_GAUS: case LMM_COR_LIN: case LMM_COR_RATIO: case LMM_COR_SPHER:
    out[0] = exp(u[0]);
    if (c->nugget) out[1] = 1 / (1 + exp(-u[1]));
    return;
  default:
    for (int k = 0; k < c->npar; k++) out[k] = fisher_inv(u[k]);
    if (c->kind == LMM_COR_ARMA) { pacf_to_coef(out, c->p); pacf_to_coef(out + c->p, c->q); }
  }
}

/* ARMA(p, q)'s autocorrelations at lags 0 .. maxlag (R's ARMAacf), from its coefficients phi (p), theta (q). */
static int arma_acf(const double *phi, int p, const double *theta, int q, int maxlag, double *acf) {
  double psi[LMM_COR_MAX_ORDER + 1], th[LMM_COR_MAX_ORDER + 1], A[(LMM_COR_MAX_ORDER + 1) * (LMM_COR_MAX_ORDER + 1)];
  double b[LMM_COR_MAX_ORDER + 1];
  int P = p + 1;
  th[0] = 1;
  for (int j = 1; j <= q; j++) th[j] = theta[j - 1];
  for (int j = 0; j <= q; j++) {
    psi[j] = th[j];
    for (int i = 1; i <= p && i <= j; i++) psi[j] += phi[i - 1] * psi[j - i];
  }
  /* gamma(k) - sum_i phi_i gamma(|k - i|) = sum_{j >= k} theta_j psi_{j - k}, k = 0 .. p */
  memset(A, 0, sizeof A);
  for (int k = 0; k <= p; k++) {
    A[k + k * P] += 1;
    for (int i = 1; i <= p; i++) A[k + abs(k - i) * P] -= phi[i - 1];
    b[k] = 0;
    for (int j = k; j <= q; j++) b[k] += th[j] * psi[j - k];
  }
  int ipiv[LMM_COR_MAX_ORDER + 1];
  if (LAPACKE_dgesv(LAPACK_COL_MAJOR, P, 1, A, P, ipiv, b, P)) return -1;
  double g0 = b[0];
  if (!(g0 > 0)) return -1;
  for (int k = 0; k <= maxlag; k++) {
    double g;
    if (k <= p) g = b[k];
    else {
      g = 0;
      for (int i = 1; i <= p; i++) g += phi[i - 1] * acf[k - i] * g0;
      for (int j = k; j <= q; j++) g += th[j] * psi[j - k];
    }
    acf[k] = g / g0;
  }
  return 0;
}

/* Group g's correlation (ng x ng) into Rm; acf holds the ARMA autocorrelations, Sm corSymm's matrix. */
static void group_matrix(const lmm_corstruct *c, const double *par, const double *acf, const double *Sm, size_t g,
                         double *Rm) {
  size_t s0 = c->start[g];
  int ng = (int)(c->start[g + 1] - s0);
  for (int j = 0; j < ng; j++)
    for (int i = j; i < ng; i++) {
      double v = 1;
      if (i != j && spatial(c)) {
        size_t a = s0 + (size_t)i, b = s0 + (size_t)j;
        double x = distance(c, c->coord + a * (size_t)c->ncoord, c->coord + b * (size_t)c->ncoord) / par[0];
        switch (c->kind) {
        case LMM_COR_EXP: v = exp(-x); break;
        case LMM_COR_GAUS: v = exp(-x * x); break;
        case LMM_COR_LIN: v = x < 1 ? 1 - x : 0; break;
        case LMM_COR_RATIO: v = 1 / (1 + x * x); break;
        default: v = x < 1 ? 1 - 1.5 * x + 0.5 * x * x * x : 0; break;
        }
        if (c->nugget) v *= 1 - par[1];
      } else if (i != j) {
        int lag = (int)fabs(c->pos[s0 + (size_t)i] - c->pos[s0 + (size_t)j]);
        if (c->kind == LMM_COR_COMPSYMM) v = par[0];
        else if (c->kind == LMM_COR_ARMA) v = acf[lag];
        else v = Sm[(int)c->pos[s0 + (size_t)i] - 1 + ((int)c->pos[s0 + (size_t)j] - 1) * c->npos];
      }
      Rm[i + (size_t)j * (size_t)ng] = v;
    }
}

/* AR1 and CAR1 along each group: e_k = phi^(t_k - t_{k-1}), w_k = (x_k/s_k - e_k x_{k-1}/s_{k-1}) / sqrt(1 - e_k^2) */
static int whiten_chain(const lmm_corstruct *c, double phi, const double *sd, const double *raw, double *white,
                        size_t n, int m, double *logdet) {
  double ld = 0, s = NAN, ls = 0, gap = NAN, e = 0, sf = 1, lf = 0;   /* the last row's sd and the last gap's terms */
  for (size_t g = 0; g < c->ngroups; g++)
    for (size_t k = c->start[g]; k < c->start[g + 1]; k++) {
      size_t r = c->rows[k];
      if (sd[r] != s) ls = 2 * log(s = sd[r]);
      ld += ls;
      if (k == c->start[g]) {
        for (int a = 0; a < m; a++) white[r + (size_t)a * n] = raw[r + (size_t)a * n] / sd[r];
        continue;
      }
      size_t r0 = c->rows[k - 1];
      if (c->pos[k] - c->pos[k - 1] != gap) {
        e = pow(phi, gap = c->pos[k] - c->pos[k - 1]);
        double f = 1 - e * e;
        if (!(f > 0)) return LMM_NUMERIC;
        sf = sqrt(f);
        lf = log(f);
      }
      ld += lf;
      for (int a = 0; a < m; a++)
        white[r + (size_t)a * n] = (raw[r + (size_t)a * n] / sd[r] - e * raw[r0 + (size_t)a * n] / sd[r0]) / sf;
    }
  *logdet = ld;
  return LMM_OK;
}

int lmm_corstruct_whiten(const lmm_corstruct *c, const double *u, const double *sd, const double *raw, double *white,
                         size_t n, int m, double *logdet, double *work) {
  double par[LMM_COR_MAX_ORDER * 4 * (LMM_COR_MAX_ORDER * 4 - 1) / 2 + 1];
  lmm_corstruct_constrained(c, u, par);
  if (chained(c)) return whiten_chain(c, par[0], sd, raw, white, n, m, logdet);
  double *acf = NULL, *Sm = NULL;
  int maxlag = 0;
  for (size_t g = 0; g < c->ngroups; g++)
    if (c->start[g + 1] > c->start[g]) {
      int lag = (int)(c->pos[c->start[g + 1] - 1] - c->pos[c->start[g]]);
      if (lag > maxlag) maxlag = lag;
    }
  if (c->kind == LMM_COR_ARMA && !(acf = lmm_malloc(sizeof *acf * (size_t)(maxlag + 1)))) return LMM_NOMEM;
  if (c->kind == LMM_COR_SYMM && !(Sm = lmm_malloc(sizeof *Sm * (size_t)(c->npos * c->npos)))) return LMM_NOMEM;
  if (acf && arma_acf(par, c->p, par + c->p, c->q, maxlag, acf)) { lmm_free(acf); return LMM_NUMERIC; }
  if (Sm) symm_matrix(c, u, Sm);
  double ld = 0;
  int rc = LMM_OK;
  for (size_t g = 0; g < c->ngroups && !rc; g++) {
    size_t s0 = c->start[g];
    int ng = (int)(c->start[g + 1] - s0);
    if (!ng) continue;
    double *Rm = work, *G = work + (size_t)ng * (size_t)ng;
    group_matrix(c, par, acf, Sm, g, Rm);
    for (int j = 0; j < ng; j++)
      for (int i = j; i < ng; i++) Rm[i + (size_t)j * (size_t)ng] *= sd[c->rows[s0 + (size_t)i]] * sd[c->rows[s0 + (size_t)j]];
    if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', ng, Rm, ng)) { rc = LMM_NUMERIC; break; }
    for (int i = 0; i < ng; i++) ld += 2 * log(Rm[i + (size_t)i * (size_t)ng]);
    for (int a = 0; a < m; a++)
      for (int i = 0; i < ng; i++) G[i + (size_t)a * (size_t)ng] = raw[c->rows[s0 + (size_t)i] + (size_t)a * n];
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, ng, m, 1, Rm, ng, G, ng);
    for (int a = 0; a < m; a++)
      for (int i = 0; i < ng; i++) white[c->rows[s0 + (size_t)i] + (size_t)a * n] = G[i + (size_t)a * (size_t)ng];
  }
  lmm_free(acf);
  lmm_free(Sm);
  *logdet = ld;
  return rc;
}

int lmm_corstruct_uncorrelated(const lmm_corstruct *c, const double *u) {
  double phi = 1;
  if (chained(c)) lmm_corstruct_constrained(c, u, &phi);
  return phi == 0;   /* whiten_chain's e_k = 0^gap = 0, so w_k = x_k / s_k */
}

void lmm_corstruct_clear(lmm_corstruct *c) {
  for (int k = 0; c->names && k < c->npar; k++) lmm_free(c->names[k]);
  lmm_free(c->names);
  lmm_free(c->start);
  lmm_free(c->rows);
  lmm_free(c->pos);
  lmm_free(c->coord);
  c->coord = NULL;
  c->names = NULL;
  c->start = NULL;
  c->rows = NULL;
  c->pos = NULL;
}

/* nlme's corCompSymm factor (its Helmert rows): the group's first value sum e / sqrt(n (1 + (n - 1) rho)), its k-th
 * ((k - 1) e_k - sum_{j<k} e_j) / sqrt((1 - rho) (k - 1) k). */
static void normalize_compsymm(const lmm_corstruct *c, double rho, const double *e, double *out) {
  for (size_t g = 0; g < c->ngroups; g++) {
    size_t s0 = c->start[g], ng = c->start[g + 1] - s0;
    double sum = 0;
    for (size_t k = 0; k < ng; k++) {
      double x = e[c->rows[s0 + k]];
      if (k) out[c->rows[s0 + k]] = ((double)k * x - sum) / sqrt((1 - rho) * (double)k * (double)(k + 1));
      sum += x;
    }
    if (ng) out[c->rows[s0]] = sum / sqrt((double)ng * (1 + ((double)ng - 1) * rho));
  }
}

int lmm_corstruct_normalize(const lmm_corstruct *c, const double *u, const double *e, double *out, size_t n,
                            double *work) {
  if (c->kind == LMM_COR_COMPSYMM) {
    double rho;
    lmm_corstruct_constrained(c, u, &rho);
    normalize_compsymm(c, rho, e, out);
    return LMM_OK;
  }
  double *one = lmm_malloc_array(n ? n : 1, sizeof *one), logdet = 0;
  if (!one) return LMM_NOMEM;
  for (size_t r = 0; r < n; r++) one[r] = 1;
  int rc = lmm_corstruct_whiten(c, u, one, e, out, n, 1, &logdet, work);
  lmm_free(one);
  return rc;
}
