/* variogram.c — nlme's Variogram() of a fitted model's residuals (see variogram.h). */
#include "variogram.h"
#include "alloc.h"
#include "corstruct.h"
#include "options.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

enum { NINT = 20 };                          /* nlme's nint: more distinct distances than this are binned */
#define MAX_PAIRS 50000000.0   /* 800 MB of pairs, and as much to sort them: a larger group wants a grouping of its own */
#define MAX_ROWS_NONE 5000000.0   /* collapse=none: every pair a row of lmm_variogram's result, which is held whole */

/* [s, e) without the spaces around it */
static void strip(const char **s, const char **e) {
  for (; *s < *e && isspace((unsigned char)**s); (*s)++) {}
  for (; *e > *s && isspace((unsigned char)(*e)[-1]); (*e)--) {}
}

static int is(const char *s, const char *e, const char *w) {
  return (size_t)(e - s) == strlen(w) && !strncasecmp(s, w, (size_t)(e - s));
}

/* [s, e) as a finite number, all of it */
static int number(const char *s, const char *e, double *x) {
  char buf[64], *stop = NULL;
  strip(&s, &e);
  if (s == e || e - s >= (long)sizeof buf) return 0;
  snprintf(buf, sizeof buf, "%.*s", (int)(e - s), s);
  *x = strtod(buf, &stop);
  return !*stop && isfinite(*x);
}

/* breaks=c(0, 5, 10) or breaks=5 */
static int read_breaks(const char *s, const char *e, lmm_variogram_options *o, lmm_error *err) {
  const char *vs = s, *ve = e;
  if (e - s >= 3 && !strncmp(s, "c(", 2) && e[-1] == ')') s += 2, e--;
  o->nbreaks = 0;
  for (const char *p = s; p <= e && s < e;) {
    const char *end = memchr(p, ',', (size_t)(e - p));
    if (!end) end = e;
    if (o->nbreaks == LMM_VG_MAX_BREAKS || !number(p, end, &o->breaks[o->nbreaks++]))
      return lmm_fail(err, LMM_ERR, "options: breaks must be up to %d numbers, as breaks=c(0, 5, 10), not '%.*s'",
                      LMM_VG_MAX_BREAKS, (int)(ve - vs), vs);
    p = end + 1;
  }
  if (!o->nbreaks)
    return lmm_fail(err, LMM_ERR, "options: breaks must be numbers, as breaks=c(0, 5, 10), not '%.*s'", (int)(ve - vs), vs);
  return LMM_OK;
}

int lmm_variogram_options_parse(const char *text, lmm_variogram_options *o, lmm_error *err) {
  memset(o, 0, sizeof *o);
  lmm_option op;
  for (const char *p = text;;) {
    if (lmm_option_next(&p, &op, "resType=normalized", err)) return LMM_ERR;
    if (!op.key) break;
    const char *ks = op.key, *ke = op.key_end, *vs = op.val, *ve = op.val_end;
    if (ve - vs >= 2 && (*vs == '"' || *vs == '\'') && ve[-1] == *vs) vs++, ve--;   /* R's "normalized" */
    if (is(ks, ke, "resType")) {
      if (is(vs, ve, "pearson") || is(vs, ve, "p")) o->restype = LMM_VG_PEARSON;
      else if (is(vs, ve, "normalized") || is(vs, ve, "n")) o->restype = LMM_VG_NORMALIZED;
      else if (is(vs, ve, "response") || is(vs, ve, "r")) o->restype = LMM_VG_RESPONSE;
      else return lmm_fail(err, LMM_ERR, "options: resType must be pearson, normalized or response, not '%.*s'",
                           (int)(ve - vs), vs);
    } else if (is(ks, ke, "maxDist")) {
      if (!number(vs, ve, &o->max_dist) || !(o->max_dist >= 0))
        return lmm_fail(err, LMM_ERR, "options: maxDist must be a distance (a number, 0 or more), not '%.*s'",
                        (int)(ve - vs), vs);
      o->has_max = 1;
    } else if (is(ks, ke, "nint")) {
      double x;
      if (!number(vs, ve, &x) || x != floor(x) || x < 1 || x > 100000)
        return lmm_fail(err, LMM_ERR, "options: nint must be a whole number of bins from 1 to 100000, not '%.*s'",
                        (int)(ve - vs), vs);
      o->nint = (int)x;
    } else if (is(ks, ke, "breaks")) {
      if (read_breaks(vs, ve, o, err)) return LMM_ERR;
    } else if (is(ks, ke, "robust")) {
      if (is(vs, ve, "TRUE") || is(vs, ve, "T") || is(vs, ve, "1")) o->robust = 1;
      else if (is(vs, ve, "FALSE") || is(vs, ve, "F") || is(vs, ve, "0")) o->robust = 0;
      else return lmm_fail(err, LMM_ERR, "options: robust must be TRUE or FALSE, not '%.*s'", (int)(ve - vs), vs);
    } else if (is(ks, ke, "collapse")) {
      if (is(vs, ve, "quantiles")) o->collapse = LMM_VG_QUANTILES;
      else if (is(vs, ve, "fixed")) o->collapse = LMM_VG_FIXED;
      else if (is(vs, ve, "none")) o->collapse = LMM_VG_NONE;
      else return lmm_fail(err, LMM_ERR, "options: collapse must be quantiles, fixed or none, not '%.*s'",
                           (int)(ve - vs), vs);
    } else if (is(ks, ke, "form")) {
      if (vs == ve || *vs != '~')
        return lmm_fail(err, LMM_ERR, "options: form must be a one-sided formula, form=~ t or form=~ x + y | g, not '%.*s'",
                        (int)(ve - vs), vs);
      o->form = vs + 1;
      o->formlen = (int)(ve - vs - 1);
    } else
      return lmm_fail(err, LMM_ERR, "options: '%.*s' is not an option of lmm_variogram; it takes form=, resType=, "
                      "maxDist=, nint=, breaks=, robust= and collapse=", (int)(ke - ks), ks);
  }
  return LMM_OK;
}

/* The model's variable labelled [s, e), numeric (want_num) or with levels; -1 with the error made. */
static int form_var(const lmm_model *m, const char *s, const char *e, int want_num, lmm_error *err) {
  const lmm_formula *f = m->formula;
  for (int i = 0; i < f->nvars; i++)
    if (is(s, e, f->vars[i].label) && !strncmp(s, f->vars[i].label, (size_t)(e - s))) {
      const lmm_frame_var *fv = &m->frame->vars[i];
      if (want_num ? fv->is_factor || !fv->x : !fv->code) break;
      return i;
    }
  lmm_fail(err, LMM_ERR, "form: '%.*s' is not a %s the model reads; a variogram's form takes the model's own variables "
           "(a column its formula, random part, weights= or correlation= names)", (int)(e - s), s,
           want_num ? "numeric variable" : "grouping");
  return -1;
}

typedef struct form { int ncov, cov[LMM_COR_MAX_DIM]; int group, inner; } form;

/* The form's covariates and grouping; without `| g` the grouping is an lme's innermost
 * random-effects grouping (nlme's getGroups(object, level = Q)), or a gls's correlation's (getGroups(object)),
 * a/b's inner variable in fm->inner. */
static int read_form(const lmm_model *m, const lmm_variogram_options *o, form *fm, lmm_error *err) {
  fm->ncov = lmm_structure_form(m->structure, fm->cov, &fm->group);
  fm->inner = lmm_structure_inner_group(m->structure);
  if (lmm_innermost_term(m->design) >= 0) fm->group = fm->inner = -1;
  if (!o->form) return LMM_OK;
  fm->ncov = 0;
  const char *s = o->form, *end = s + o->formlen, *bar = memchr(s, '|', (size_t)(end - s));
  const char *ce = bar ? bar : end;
  for (const char *p = s; p < ce;) {
    const char *ts = p, *te = memchr(p, '+', (size_t)(ce - p));
    if (!te) te = ce;
    p = te < ce ? te + 1 : ce;
    strip(&ts, &te);
    if (is(ts, te, "1") && fm->ncov == 0 && p == ce) break;
    if (fm->ncov == LMM_COR_MAX_DIM)
      return lmm_fail(err, LMM_ERR, "form: at most %d covariates", LMM_COR_MAX_DIM);
    if ((fm->cov[fm->ncov++] = form_var(m, ts, te, 1, err)) < 0) return LMM_ERR;
  }
  if (bar) {
    const char *gs = bar + 1, *ge = end;
    strip(&gs, &ge);
    if ((fm->group = form_var(m, gs, ge, 0, err)) < 0) return LMM_ERR;
    fm->inner = -1;
  }
  return LMM_OK;
}

typedef struct pair { double dist, variog; } pair;

/* p[0..n-1] sorted by distance, stably (the order qsort's merge sort gave, equal distances in dist()'s order), in
 * steps that look at stop, which qsort cannot: up to 50 million pairs take seconds.  Runs of RUN pairs by
 * insertion, then merges through a buffer of n pairs (as glibc's qsort took), a look at stop every STEP pairs. */
enum { SORT_RUN = 32, SORT_STEP = 1 << 18 };
static int sort_pairs(pair *p, size_t n, lmm_stop *stop, int *nomem) {
  *nomem = 0;
  for (size_t s = 0, since = 0; s < n; s += SORT_RUN) {
    size_t e = s + SORT_RUN < n ? s + SORT_RUN : n;
    for (size_t i = s + 1; i < e; i++) {
      pair x = p[i];
      size_t j = i;
      for (; j > s && p[j - 1].dist > x.dist; j--) p[j] = p[j - 1];
      p[j] = x;
    }
    if ((since += e - s) >= SORT_STEP) {
      since = 0;
      if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    }
  }
  if (n <= SORT_RUN) return LMM_OK;
  pair *buf = lmm_malloc_array(n, sizeof *buf), *from = p, *to = buf;
  if (!buf) { *nomem = 1; return LMM_NOMEM; }
  size_t since = 0;
  for (size_t w = SORT_RUN; w < n; w *= 2) {
    for (size_t s = 0; s < n; s += 2 * w) {
      size_t m = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n, a = s, b = m, k = s;
      while (a < m && b < e) to[k++] = from[b].dist < from[a].dist ? from[b++] : from[a++];
      while (a < m) to[k++] = from[a++];
      while (b < e) to[k++] = from[b++];
      if ((since += e - s) >= SORT_STEP) {
        since = 0;
        if (lmm_stop_asked(stop)) { lmm_free(buf); return LMM_INTERRUPTED; }
      }
    }
    pair *t = from;
    from = to;
    to = t;
  }
  if (from != p) memcpy(p, from, sizeof *p * n);
  lmm_free(buf);
  return LMM_OK;
}

/* R's quantile(x, p, type = 7) of sorted x[0..n-1]. */
static double quantile7(const pair *x, size_t n, double p) {
  double index = 1 + (double)(n - 1) * p, lo = floor(index), hi = ceil(index);
  double q = x[(size_t)lo - 1].dist, xh = x[(size_t)hi - 1].dist;
  if (index > lo && xh != q) q = (1 - (index - lo)) * q + (index - lo) * xh;
  return q;
}

static void add_row(lmm_variogram *v, const pair *p, size_t n, int robust) {
  double sum = 0;
  for (size_t k = 0; k < n; k++) sum += robust ? pow(p[k].variog, 0.25) : p[k].variog;
  v->variog[v->n] = robust ? pow(sum / (double)n, 4) / (0.457 + 0.494 / (double)n) : sum / (double)n;
  v->dist[v->n] = n % 2 ? p[n / 2].dist : (p[n / 2 - 1].dist + p[n / 2].dist) / 2;
  v->n_pairs[v->n++] = (long long)n;
}

static int double_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The rows from the pairs sorted by distance (nlme's collapse): with nint or more distinct distances (equal as R
 * prints them, to 15 digits) one row per distance, else one per bin of R's cut() at the breaks. */
static int collapse(const pair *p, size_t n, const lmm_variogram_options *o, lmm_stop *stop, lmm_variogram *v,
                    lmm_error *err) {
  size_t distinct = 0;
  double second = p[0].dist;
  for (size_t k = 0; k < n; k++)
    if (!k || p[k].dist != p[k - 1].dist) { if (distinct++ == 1) second = p[k].dist; }
  double *breaks = lmm_malloc(sizeof *breaks * (size_t)(LMM_VG_MAX_BREAKS + (o->nint ? o->nint : NINT) + 3));
  if (!breaks) return lmm_nomem(err);
  int nint = o->nint ? o->nint : NINT, nb = 0;
  if (o->nbreaks) {   /* nlme: widened to the smallest distance and the second smallest */
    double lo = o->breaks[0], hi = o->breaks[0];
    for (int k = 0; k < o->nbreaks; k++) { lo = fmin(lo, o->breaks[k]); hi = fmax(hi, o->breaks[k]); }
    if (lo > p[0].dist) breaks[nb++] = p[0].dist;
    memcpy(breaks + nb, o->breaks, sizeof *breaks * (size_t)o->nbreaks);
    nb += o->nbreaks;
    if (hi < second) breaks[nb++] = second;
    if (o->nint && o->nint != nb - 1) {
      lmm_free(breaks);
      return lmm_fail(err, LMM_ERR, "options: nint=%d is not consistent with breaks= (%d bins: nlme adds the smallest "
                      "distance below the breaks and the second smallest above them); give one of them", o->nint, nb - 1);
    }
    nint = nb - 1;
    qsort(breaks, (size_t)nb, sizeof *breaks, double_cmp);
    for (int k = 1; k < nb; k++)
      if (breaks[k] == breaks[k - 1]) {
        double twice = breaks[k];
        lmm_free(breaks);
        return lmm_fail(err, LMM_ERR, "options: breaks are not unique (%g is given twice, or is a distance nlme adds)",
                        twice);
      }
  }
  if ((size_t)nint >= distinct) {
    char a[32], b[32];
    for (size_t k = 0, s = 0; k <= n; k++) {
      if (k % SORT_STEP == SORT_STEP - 1 && lmm_stop_asked(stop)) {   /* a formatted number a pair */
        lmm_free(breaks);
        return lmm_fail(err, LMM_INTERRUPTED, "interrupted");
      }
      if (k < n) snprintf(b, sizeof b, "%.15g", p[k].dist);
      if (k > s && (k == n || strcmp(a, b))) { add_row(v, p + s, k - s, o->robust); s = k; }
      if (k < n) memcpy(a, b, sizeof a);
    }
    lmm_free(breaks);
    return LMM_OK;
  }
  if (!o->nbreaks && o->collapse == LMM_VG_FIXED) {   /* R's seq(first, last, length.out = nint + 1) */
    double by = (p[n - 1].dist - p[0].dist) / nint;
    for (int k = 0; k < nint; k++) breaks[nb++] = p[0].dist + k * by;
    breaks[nb++] = p[n - 1].dist;
  } else if (!o->nbreaks) {
    for (int k = 0; k <= nint; k++) {
      double q = quantile7(p, n, fmin(k * (1.0 / nint), 1));
      if (!nb || q != breaks[nb - 1]) breaks[nb++] = q;
    }
  }
  size_t k = 0;
  while (k < n && p[k].dist <= breaks[0]) k++;   /* right-closed bins: the smallest break's pairs fall outside */
  for (int b = 1; b < nb; b++) {
    size_t s = k;
    while (k < n && p[k].dist <= breaks[b]) k++;
    if (k > s) add_row(v, p + s, k - s, o->robust);
  }
  lmm_free(breaks);
  return LMM_OK;
}

/* Each group's rows in the rows' order: rows[start[g] .. start[g+1]-1]. */
static int group_rows(const int *code, int ngroups, size_t n, size_t **start, size_t **rows) {
  *start = lmm_calloc((size_t)ngroups + 1, sizeof **start);
  *rows = lmm_malloc_array(n ? n : 1, sizeof **rows);
  if (!*start || !*rows) return LMM_NOMEM;
  for (size_t r = 0; r < n; r++) (*start)[(code ? code[r] : 0) + 1]++;
  for (int g = 0; g < ngroups; g++) (*start)[g + 1] += (*start)[g];
  size_t *fill = lmm_malloc_array((size_t)ngroups + 1, sizeof *fill);
  if (!fill) return LMM_NOMEM;
  memcpy(fill, *start, sizeof *fill * (size_t)ngroups);
  for (size_t r = 0; r < n; r++) (*rows)[fill[code ? code[r] : 0]++] = r;
  lmm_free(fill);
  return LMM_OK;
}

static int make_pairs(const lmm_model *m, const form *fm, const double *res, const size_t *start, const size_t *rows,
                      int ngroups, const lmm_variogram_options *o, lmm_stop *stop, pair *p, size_t *np) {
  size_t k = 0;
  for (int g = 0; g < ngroups; g++) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    for (size_t b = start[g]; b < start[g + 1]; b++) {   /* dist()'s order: its lower triangle column by column */
      if (start[g + 1] - b > 256 && lmm_stop_asked(stop)) return LMM_INTERRUPTED;   /* a group of 10,000 rows */
      for (size_t a = b + 1; a < start[g + 1]; a++) {
        size_t i = rows[a], j = rows[b];
        double d2 = 0;
        for (int c = 0; c < fm->ncov; c++) {
          double dev = m->frame->vars[fm->cov[c]].x[i] - m->frame->vars[fm->cov[c]].x[j];
          d2 += dev * dev;
        }
        double d = fm->ncov ? sqrt(d2) : (double)(a - b), e = res[i] - res[j];
        if (o->has_max && d > o->max_dist) continue;
        p[k++] = (pair){d, e * e / 2};
      }
    }
  }
  *np = k;
  return LMM_OK;
}

int lmm_model_variogram(lmm_model *m, const lmm_variogram_options *o, int (*interrupted)(void *), void *ctx,
                        lmm_variogram **out, lmm_error *err) {
  *out = NULL;
  form fm;
  int rc = read_form(m, o, &fm, err);
  if (rc) return rc;
  const lmm_design *d = m->design;
  const int *code = NULL;
  int ngroups = 1, t = lmm_innermost_term(d);
  int *nested = NULL;
  if (fm.group >= 0 && fm.inner >= 0) {
    if (!(nested = lmm_nested_codes(m->frame->vars[fm.group].code, m->frame->vars[fm.inner].code, d->n, &ngroups)))
      return lmm_nomem(err);
    code = nested;
  } else if (fm.group >= 0) {
    code = m->frame->vars[fm.group].code;
    ngroups = m->frame->vars[fm.group].nlevels;
  } else if (t >= 0) {
    code = d->re[t].g;
    ngroups = d->re[t].nlevels;
  }
  lmm_residuals *res = NULL;
  if ((rc = lmm_model_residuals(m, interrupted, ctx, &res, err))) { lmm_free(nested); return rc; }
  size_t *start = NULL, *rows = NULL, np = 0;
  pair *p = NULL;
  lmm_variogram *v = lmm_calloc(1, sizeof *v);
  if (!v || group_rows(code, ngroups, d->n, &start, &rows)) rc = lmm_nomem(err);
  double total = 0;
  for (int g = 0; !rc && g < ngroups; g++) {
    double ng = (double)(start[g + 1] - start[g]);
    total += ng > 1 ? ng * (ng - 1) / 2 : 0;
  }
  if (!rc && total > MAX_PAIRS)
    rc = lmm_fail(err, LMM_ERR, "the variogram's groups hold %.0f pairs of rows, more than %.0f; give a grouping "
                  "(form=~ t | g)", total, MAX_PAIRS);
  if (!rc && !(p = lmm_malloc_array((size_t)total + 1, sizeof *p))) rc = lmm_nomem(err);
  lmm_stop stop = {interrupted, ctx, 0};
  const double *r = o->restype == LMM_VG_NORMALIZED ? res->normalized : o->restype == LMM_VG_RESPONSE ? res->response
                                                                                                   : res->pearson;
  if (!rc && make_pairs(m, &fm, r, start, rows, ngroups, o, &stop, p, &np))
    rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  if (!rc && np == 0)
    rc = lmm_fail(err, LMM_ERR, "the variogram has no pairs of rows: every group has one row%s", o->has_max ? " or "
                  "maxDist= leaves none" : "");
  if (!rc && o->collapse == LMM_VG_NONE && (double)np > MAX_ROWS_NONE)   /* each a row of the result, held whole */
    rc = lmm_fail(err, LMM_ERR, "collapse=none gives a row for each of the %zu pairs of rows, more than %.0f; collapse "
                  "them (the default, or collapse=fixed), or narrow them with maxDist= or a grouping (form=~ t | g)",
                  np, MAX_ROWS_NONE);
  if (!rc) {
    int nomem = 0;
    if (o->collapse != LMM_VG_NONE && sort_pairs(p, np, &stop, &nomem))
      rc = nomem ? lmm_nomem(err) : lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  }
  if (!rc) {
    v->dist = lmm_malloc_array(np, sizeof *v->dist);
    v->variog = lmm_malloc_array(np, sizeof *v->variog);
    v->n_pairs = lmm_malloc_array(np, sizeof *v->n_pairs);
    if (!v->dist || !v->variog || !v->n_pairs) rc = lmm_nomem(err);
  }
  for (size_t k = 0; !rc && o->collapse == LMM_VG_NONE && k < np; k++) {   /* every pair a row, in nlme's order */
    v->dist[k] = p[k].dist;
    v->variog[k] = p[k].variog;
    v->n_pairs[k] = 1;
    v->n = np;
  }
  if (!rc && o->collapse != LMM_VG_NONE) rc = collapse(p, np, o, &stop, v, err);
  lmm_free(p);
  lmm_free(nested);
  lmm_free(start);
  lmm_free(rows);
  lmm_residuals_free(res);
  if (rc) { lmm_variogram_free(v); return rc; }
  *out = v;
  return LMM_OK;
}

void lmm_variogram_free(lmm_variogram *v) {
  if (!v) return;
  lmm_free(v->dist);
  lmm_free(v->variog);
  lmm_free(v->n_pairs);
  lmm_free(v);
}
