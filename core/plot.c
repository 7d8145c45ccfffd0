/* plot.c — the figure kinds of plot.h: each works out its points, its panels' ranges and layout, and
 * writes the marks; plot_panel.c draws axes and maps, svg.c writes the text.
 *
 * Layout: the picture is a grid of cells, one panel each; a cell keeps a band on top for the panel's
 * title, on the left for the y tick labels (or the categories' names), below for the x ticks and label.
 * A figure of several panels with a title given gets a band above the grid for it. */
#include "plot.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "lowess.h"
#include "plot_panel.h"
#include "pretty.h"

#define TOP 34       /* the panel title's band */
#define RIGHT 16
#define BOTTOM 48    /* tick labels and the axis label */
#define LEFT 62      /* tick labels and the axis label */

/* The panel of cell (col, row) of an ncol x nrow grid under a band of `head` for the figure's title. */
static lmm_panel cell_panel(const lmm_plot_options *o, int col, int row, int ncol, int nrow, double head, double left,
                            double bottom) {
  lmm_panel p;
  memset(&p, 0, sizeof p);
  double cw = o->width / ncol, ch = (o->height - head) / nrow;
  p.x = col * cw + left;
  p.y = head + row * ch + TOP;
  p.w = fmax(cw - left - RIGHT, 20);
  p.h = fmax(ch - TOP - bottom, 20);
  return p;
}

static void range_of(const double *v, size_t n, double *lo, double *hi) {
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) continue;
    if (v[i] < *lo) *lo = v[i];
    if (v[i] > *hi) *hi = v[i];
  }
}

static void figure_begin(lmm_svg *s, const lmm_plot_options *o, const char *title, const char *desc, int panels) {
  lmm_svg_begin(s, o->width, o->height, o->title[0] ? o->title : title, desc);
  if (panels > 1 && o->title[0]) lmm_svg_text(s, o->title, o->width / 2, 22, "middle", 0, "title figure-title");
}

static double head_band(const lmm_plot_options *o, int panels) { return panels > 1 && o->title[0] ? 26 : 0; }

/* ---- exploration: histogram and bar plot ---------------------------------------------------------- */

int lmm_plot_histogram(const double *x, size_t n, const lmm_plot_options *o, char **svg, lmm_error *err) {
  *svg = NULL;
  if (n == 0) return lmm_fail(err, LMM_ERR, "no rows with a value; a histogram needs at least one");
  double at[LMM_PRETTY_MAX], counts[LMM_PRETTY_MAX];
  int nb = lmm_hist_breaks(x, n, at, LMM_PRETTY_MAX);
  if (nb < 2 || nb > LMM_PRETTY_MAX) return lmm_fail(err, LMM_ERR, "the values' range gives no breaks");
  /* breaks within a double's range, rising: a span past it (values near +-1.8e308) makes pretty()'s cells overflow */
  int rising = isfinite(at[nb - 1] - at[0]);
  for (int i = 0; i < nb && rising; i++) rising = isfinite(at[i]) && (i == 0 || at[i] > at[i - 1]);
  if (!rising) {
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    range_of(x, n, &lo, &hi);
    return lmm_fail(err, LMM_ERR, "the values' range (%g to %g) is too wide for a histogram's breaks, which would pass "
                    "the largest double; leave the extreme values out, or scale them", lo, hi);
  }
  lmm_hist_counts(x, n, at, nb, counts);
  double cmax = 0;
  for (int i = 0; i + 1 < nb; i++) cmax = fmax(cmax, counts[i]);
  lmm_svg s;
  lmm_svg_init(&s);
  char desc[256];
  snprintf(desc, sizeof desc, "Histogram of %zu values in %d classes (Sturges' rule, R's pretty breaks); bar heights "
           "are counts.", n, nb - 1);
  figure_begin(&s, o, "Histogram", desc, 1);
  lmm_panel p = cell_panel(o, 0, 0, 1, 1, 0, LEFT, BOTTOM);
  lmm_axis_set(&p.ax, at[0], at[nb - 1], o->has_xlim ? o->xlim : NULL, o->xlab[0] ? o->xlab : NULL);
  lmm_axis_set(&p.ay, 0, cmax, o->has_ylim ? o->ylim : NULL, o->ylab[0] ? o->ylab : "Frequency");
  lmm_panel_begin(&s, &p, o->title[0] ? o->title : "Histogram", NULL, NULL);
  for (int i = 0; i + 1 < nb; i++) lmm_panel_rect(&s, &p, at[i], 0, at[i + 1], counts[i], "bar");
  lmm_panel_end(&s);
  *svg = lmm_svg_end(&s, err);
  return *svg ? LMM_OK : err->code;
}

int lmm_plot_barplot(const char *const *labels, const double *counts, int n, const lmm_plot_options *o, char **svg,
                     lmm_error *err) {
  *svg = NULL;
  if (n == 0) return lmm_fail(err, LMM_ERR, "no rows with a label; a bar plot needs at least one");
  double cmax = 0, longest = 0;
  for (int k = 0; k < n; k++) {
    cmax = fmax(cmax, counts[k]);
    longest = fmax(longest, lmm_text_width(labels[k]));
  }
  lmm_svg s;
  lmm_svg_init(&s);
  char desc[256];
  snprintf(desc, sizeof desc, "Bar plot of %d categories; bar heights are counts.", n);
  figure_begin(&s, o, "Bar plot", desc, 1);
  double bottom = n > 8 ? fmin(longest + 20, o->height / 3) : BOTTOM;
  lmm_panel p = cell_panel(o, 0, 0, 1, 1, 0, LEFT, bottom);
  lmm_axis_categories(&p.ax, n, NULL);
  lmm_axis_set(&p.ay, 0, cmax, o->has_ylim ? o->ylim : NULL, o->ylab[0] ? o->ylab : "Frequency");
  lmm_panel_begin(&s, &p, o->title[0] ? o->title : "Bar plot", labels, NULL);
  for (int k = 0; k < n; k++) lmm_panel_rect(&s, &p, k + 1 - 0.4, 0, k + 1 + 0.4, counts[k], "bar");
  lmm_panel_end(&s);
  *svg = lmm_svg_end(&s, err);
  return *svg ? LMM_OK : err->code;
}

/* ---- residual kinds ------------------------------------------------------------------------------- */

static const char *const kind_titles[] = {"Normal Q-Q", "Residuals vs Fitted", "Scale-Location", "Residuals vs Leverage"};

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The kind's points of model m in x, y (n each). */
static void kind_points(int kind, const lmm_plot_rows *m, double *x, double *y) {
  size_t n = m->n;
  switch (kind) {
  case LMM_PLOT_QQ:   /* qqnorm: sorted residuals against qnorm(ppoints(n)) */
    for (size_t i = 0; i < n; i++) {
      double a = n <= 10 ? 3.0 / 8 : 0.5;
      x[i] = qnorm(((double)(i + 1) - a) / ((double)n + 1 - 2 * a), 0, 1, 1, 0);
      y[i] = m->resid[i];
    }
    qsort(y, n, sizeof *y, cmp_double);
    break;
  case LMM_PLOT_RESID_FITTED:
    memcpy(x, m->fitted, n * sizeof *x);
    memcpy(y, m->resid, n * sizeof *y);
    break;
  case LMM_PLOT_SCALE_LOCATION:
    memcpy(x, m->fitted, n * sizeof *x);
    for (size_t i = 0; i < n; i++) y[i] = sqrt(fabs(m->std_resid[i]));
    break;
  default:   /* LMM_PLOT_RESID_LEVERAGE */
    memcpy(x, m->hat, n * sizeof *x);
    memcpy(y, m->std_resid, n * sizeof *y);
  }
}

static const char *kind_xlab(int kind) {
  return kind == LMM_PLOT_QQ ? "Theoretical quantiles" : kind == LMM_PLOT_RESID_LEVERAGE ? "Leverage" : "Fitted values";
}

static const char *kind_ylab(int kind, const lmm_plot_rows *m) {
  if (kind == LMM_PLOT_SCALE_LOCATION) return "\xe2\x88\x9a|Standardized residuals|";
  if (kind == LMM_PLOT_RESID_LEVERAGE) return "Standardized residuals";
  return m->resid_label;
}

/* Cook's distance c: |r| = sqrt(c p (1 - h) / h), drawn where it is inside the box. */
static void cooks_contours(lmm_svg *s, const lmm_panel *p, int rank) {
  static const double level[2] = {0.5, 1};
  double hx[101], hy[101];
  for (int c = 0; c < 2; c++)
    for (int sign = -1; sign <= 1; sign += 2) {
      double ymax = sign > 0 ? p->ay.hi : -p->ay.lo, k = level[c] * rank;
      if (ymax <= 0) continue;
      double h0 = fmax(fmax(k / (ymax * ymax + k), p->ax.lo), 1e-12), h1 = p->ax.hi;
      if (h0 >= h1) continue;
      for (int i = 0; i < 101; i++) {
        hx[i] = h0 + (h1 - h0) * i / 100.0;
        hy[i] = sign * sqrt(k * (1 - hx[i]) / hx[i]);
      }
      lmm_panel_polyline(s, p, hx, hy, 101, "cooks");
      char label[16];
      snprintf(label, sizeof label, "%g", level[c]);
      lmm_svg_text(s, label, lmm_panel_px(p, h1) - 3, lmm_panel_py(p, hy[100]) + (sign > 0 ? -3 : 11), "end", 0,
                   "cooks-label");
    }
}

/* One panel of a residual kind: points, reference lines, smooth. */
static int residual_panel(lmm_svg *s, const lmm_panel *p, int kind, const lmm_plot_rows *m, const double *x,
                          const double *y, const char *title, const lmm_plot_options *o, lmm_error *err) {
  lmm_panel_begin(s, p, title, NULL, NULL);
  if (kind == LMM_PLOT_QQ) lmm_panel_abline(s, p, 0, 1, "ref");
  else if (kind != LMM_PLOT_SCALE_LOCATION) lmm_panel_abline(s, p, 0, 0, "zero");
  if (kind == LMM_PLOT_RESID_LEVERAGE) cooks_contours(s, p, m->p);
  for (size_t i = 0; i < m->n; i++) lmm_panel_point(s, p, x[i], y[i], "point s0");
  if (kind != LMM_PLOT_QQ && o->smooth && m->n > 1) {
    double *xs = lmm_malloc_array(m->n, sizeof *xs), *ys = lmm_malloc_array(m->n, sizeof *ys);
    int rc = xs && ys ? lmm_lowess(x, y, m->n, xs, ys, err) : lmm_nomem(err);
    if (!rc) lmm_panel_polyline(s, p, xs, ys, m->n, "lowess");
    lmm_free(xs);
    lmm_free(ys);
    if (rc) return rc;
  }
  lmm_panel_end(s);
  return LMM_OK;
}

static void describe_residuals(char *desc, size_t size, int kind, const lmm_plot_rows *m, int nmodels) {
  int len = snprintf(desc, size, "%s of ", kind == LMM_PLOT_DIAGNOSTICS ? "Diagnostic plots" : kind_titles[kind]);
  for (int k = 0; k < nmodels && len > 0 && (size_t)len < size; k++)
    len += snprintf(desc + len, size - (size_t)len, "%s%s (%zu rows)", k ? (k + 1 == nmodels ? " and " : ", ") : "",
                    m[k].name, m[k].n);
  if (len > 0 && (size_t)len < size)
    snprintf(desc + len, size - (size_t)len, "%s", kind == LMM_PLOT_QQ ? "; the dashed line is y = x." : ".");
}

int lmm_plot_residuals(const lmm_plot_rows *m, int nmodels, const lmm_plot_options *o, char **svg, lmm_error *err) {
  *svg = NULL;
  int kind = o->kind, diag = kind == LMM_PLOT_DIAGNOSTICS, npanels = diag ? 4 : nmodels;
  double *x[4] = {0}, *y[4] = {0};
  int rc = LMM_OK;
  lmm_svg s;
  lmm_svg_init(&s);
  char desc[1024];
  describe_residuals(desc, sizeof desc, kind, m, nmodels);
  figure_begin(&s, o, diag ? "Diagnostics" : kind_titles[kind], desc, npanels);
  double head = head_band(o, npanels);
  /* qq panels share their limits: two models "drawn to the same scale" */
  double qlo[2] = {INFINITY, INFINITY}, qhi[2] = {-INFINITY, -INFINITY};
  for (int k = 0; k < npanels && !rc; k++) {
    int pk = diag ? k : kind;
    const lmm_plot_rows *mk = diag ? &m[0] : &m[k];
    lmm_free(x[0]), lmm_free(y[0]);
    x[0] = lmm_malloc_array(mk->n ? mk->n : 1, sizeof **x);
    y[0] = lmm_malloc_array(mk->n ? mk->n : 1, sizeof **y);
    if (!x[0] || !y[0]) { rc = lmm_nomem(err); break; }
    if (pk == LMM_PLOT_QQ && !diag && k == 0) {   /* the shared range, from every model's points */
      for (int j = 0; j < nmodels && !rc; j++) {
        double *qx = lmm_malloc_array(m[j].n ? m[j].n : 1, sizeof *qx), *qy = lmm_malloc_array(m[j].n ? m[j].n : 1, sizeof *qy);
        if (!qx || !qy) rc = lmm_nomem(err);
        else {
          kind_points(pk, &m[j], qx, qy);
          range_of(qx, m[j].n, &qlo[0], &qhi[0]);
          range_of(qy, m[j].n, &qlo[1], &qhi[1]);
        }
        lmm_free(qx), lmm_free(qy);
      }
      if (rc) break;
    }
    lmm_plot_rows std;
    if (diag && pk == LMM_PLOT_QQ) {   /* plot.lm's QQ panel: standardized residuals */
      std = *mk;
      std.resid = mk->std_resid;
      std.resid_label = "Standardized residuals";
      mk = &std;
    }
    kind_points(pk, mk, x[0], y[0]);
    int col = diag ? k % 2 : k, row = diag ? k / 2 : 0;
    lmm_panel p = cell_panel(o, col, row, diag ? 2 : npanels, diag ? 2 : 1, head, LEFT, BOTTOM);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    if (pk == LMM_PLOT_QQ && !diag) xlo = qlo[0], xhi = qhi[0], ylo = qlo[1], yhi = qhi[1];
    else {
      range_of(x[0], mk->n, &xlo, &xhi);
      range_of(y[0], mk->n, &ylo, &yhi);
    }
    if (pk == LMM_PLOT_RESID_LEVERAGE) xlo = 0;   /* plot.lm: leverage from 0 */
    if (pk == LMM_PLOT_SCALE_LOCATION) ylo = 0;
    lmm_axis_set(&p.ax, xlo, xhi, o->has_xlim && !diag ? o->xlim : NULL, o->xlab[0] && !diag ? o->xlab : kind_xlab(pk));
    lmm_axis_set(&p.ay, ylo, yhi, o->has_ylim && !diag ? o->ylim : NULL, o->ylab[0] && !diag ? o->ylab : kind_ylab(pk, mk));
    const char *title = diag || nmodels == 1 ? (o->title[0] && npanels == 1 ? o->title : kind_titles[pk]) : mk->name;
    rc = residual_panel(&s, &p, pk, mk, x[0], y[0], title, o, err);
  }
  lmm_free(x[0]), lmm_free(y[0]);
  if (rc) {
    lmm_svg_free(&s);
    return rc;
  }
  *svg = lmm_svg_end(&s, err);
  return *svg ? LMM_OK : err->code;
}

/* ---- dot charts: ranef, coef, ic ------------------------------------------------------------------ */

/* Series j's values per category (NAN: none) and, when lo is not NULL, its bars. */
typedef struct dot_series { const double *v, *lo, *hi; } dot_series;

static void dot_marks(lmm_svg *s, const lmm_panel *p, int ncat, const dot_series *ser, int nser) {
  if (p->ax.lo < 0 && p->ax.hi > 0) lmm_panel_line(s, p, 0, p->ay.lo, 0, p->ay.hi, "zero");
  for (int j = 0; j < nser; j++) {
    double off = nser > 1 ? ((nser - 1) / 2.0 - j) * 0.5 / nser : 0;   /* the first series on top */
    char cls[32];
    for (int k = 0; k < ncat; k++) {
      if (!isfinite(ser[j].v[k])) continue;
      if (ser[j].lo) {
        snprintf(cls, sizeof cls, "errbar s%d", j % 8);
        lmm_panel_line(s, p, ser[j].lo[k], k + 1 + off, ser[j].hi[k], k + 1 + off, cls);
      }
      snprintf(cls, sizeof cls, "dot s%d", j % 8);
      lmm_svg_printf(s, "<circle class=\"%s\" cx=\"%s\" cy=\"%s\" r=\"3\"/>\n", cls, lmm_svg_num(lmm_panel_px(p, ser[j].v[k])).s,
                     lmm_svg_num(lmm_panel_py(p, k + 1 + off)).s);
    }
  }
}

static void dot_range(const dot_series *ser, int nser, int ncat, double *lo, double *hi) {
  for (int j = 0; j < nser; j++) {
    range_of(ser[j].v, (size_t)ncat, lo, hi);
    if (ser[j].lo) {
      range_of(ser[j].lo, (size_t)ncat, lo, hi);
      range_of(ser[j].hi, (size_t)ncat, lo, hi);
    }
  }
}

static double names_width(const char *const *names, int n) {
  double w = 0;
  for (int k = 0; k < n; k++) w = fmax(w, lmm_text_width(names[k]));
  return w;
}

typedef struct ranef_order { double b; int level; } ranef_order;

static int cmp_order(const void *a, const void *b) {
  const ranef_order *p = a, *q = b;
  return p->b < q->b ? -1 : p->b > q->b ? 1 : (p->level > q->level) - (p->level < q->level);
}

int lmm_plot_ranef_dots(const lmm_plot_ranef *r, const lmm_plot_options *o, char **svg, lmm_error *err) {
  *svg = NULL;
  int nl = r->nlevels, q = r->q, rc = LMM_OK;
  ranef_order *ord = lmm_malloc_array((size_t)nl, sizeof *ord);
  const char **names = lmm_malloc_array((size_t)nl, sizeof *names);
  double *v = lmm_malloc_array((size_t)nl * 3, sizeof *v);
  if (!ord || !names || !v) {
    lmm_free(ord), lmm_free(names), lmm_free(v);
    return lmm_nomem(err);
  }
  for (int l = 0; l < nl; l++) ord[l] = (ranef_order){r->b[(size_t)l * q], l};
  qsort(ord, (size_t)nl, sizeof *ord, cmp_order);   /* lattice's dotplot of ranef: by the first column */
  for (int l = 0; l < nl; l++) names[l] = r->levels[ord[l].level];
  double z = o->interval > 0 && r->sd ? qnorm(1 - (1 - o->interval) / 2, 0, 1, 1, 0) : 0;
  lmm_svg s;
  lmm_svg_init(&s);
  char title[256], desc[512];
  snprintf(title, sizeof title, "Random effects of %s", r->grp);
  snprintf(desc, sizeof desc, "Conditional modes (BLUPs) of the %d levels of %s, one panel per term, levels sorted by "
           "the first term%s.", nl, r->grp, z > 0 ? "; bars span the conditional interval" : "");
  figure_begin(&s, o, title, desc, q);
  double left = fmin(names_width(names, nl) + 14, o->width / (2.0 * q)), head = head_band(o, q);
  for (int a = 0; a < q; a++) {
    for (int l = 0; l < nl; l++) {
      size_t i = (size_t)ord[l].level * q + a;
      v[l] = r->b[i];
      v[nl + l] = r->b[i] - z * (r->sd ? r->sd[i] : 0);
      v[2 * nl + l] = r->b[i] + z * (r->sd ? r->sd[i] : 0);
    }
    dot_series ser = {v, z > 0 ? v + nl : NULL, z > 0 ? v + 2 * nl : NULL};
    double lo = INFINITY, hi = -INFINITY;
    dot_range(&ser, 1, nl, &lo, &hi);
    lmm_panel p = cell_panel(o, a, 0, q, 1, head, a == 0 ? left : 24, BOTTOM);
    lmm_axis_set(&p.ax, lo, hi, NULL, NULL);
    lmm_axis_categories(&p.ay, nl, NULL);
    lmm_panel_begin(&s, &p, r->terms[a], NULL, a == 0 ? names : NULL);
    dot_marks(&s, &p, nl, &ser, 1);
    lmm_panel_end(&s);
  }
  lmm_free(ord), lmm_free(names), lmm_free(v);
  *svg = lmm_svg_end(&s, err);
  return *svg ? rc : err->code;
}

static void legend(lmm_svg *s, const lmm_plot_options *o, const char *const *names, int n) {
  double x = o->width - RIGHT - 4, y = 14;
  lmm_svg_printf(s, "<g class=\"legend-box\">\n");
  for (int k = n - 1; k >= 0; k--) {
    char cls[32];
    snprintf(cls, sizeof cls, "legend s%d", k % 8);
    lmm_svg_text(s, names[k], x, y + 4, "end", 0, cls);
    x -= 1.3 * lmm_text_width(names[k]) + 8;   /* capitals run wider than lmm_text_width allows */
    lmm_svg_printf(s, "<circle class=\"legend-key s%d\" cx=\"%s\" cy=\"%s\" r=\"3\"/>\n", k % 8, lmm_svg_num(x).s,
                   lmm_svg_num(y).s);
    x -= 14;
  }
  lmm_svg_printf(s, "</g>\n");
}

int lmm_plot_coefs(const lmm_plot_coef *m, int nmodels, const lmm_plot_options *o, char **svg, lmm_error *err) {
  *svg = NULL;
  /* the terms: the first model's, then any other's not yet seen, the first at the top */
  int cap = 0;
  for (int k = 0; k < nmodels; k++) cap += m[k].p;
  const char **terms = lmm_malloc_array((size_t)(cap ? cap : 1), sizeof *terms);
  double *v = lmm_malloc_array((size_t)(cap ? cap : 1) * 3 * (size_t)nmodels, sizeof *v);
  dot_series *ser = lmm_malloc_array((size_t)nmodels, sizeof *ser);
  const char **names = lmm_malloc_array((size_t)nmodels, sizeof *names);
  if (!terms || !v || !ser || !names) {
    lmm_free(terms), lmm_free(v), lmm_free(ser), lmm_free(names);
    return lmm_nomem(err);
  }
  int nt = 0;
  for (int k = 0; k < nmodels; k++)
    for (int i = 0; i < m[k].p; i++) {
      int t = 0;
      while (t < nt && strcmp(terms[t], m[k].terms[i])) t++;
      if (t == nt) terms[nt++] = m[k].terms[i];
    }
  for (int a = 0, b = nt - 1; a < b; a++, b--) {   /* bottom-up categories: the first term on top */
    const char *t = terms[a];
    terms[a] = terms[b];
    terms[b] = t;
  }
  for (int k = 0; k < nmodels; k++) {
    double *vk = v + (size_t)k * 3 * nt;
    for (int t = 0; t < nt; t++) {
      vk[t] = vk[nt + t] = vk[2 * nt + t] = NAN;
      for (int i = 0; i < m[k].p; i++)
        if (!strcmp(terms[t], m[k].terms[i])) {
          vk[t] = m[k].estimate[i];
          vk[nt + t] = m[k].estimate[i] - m[k].se[i];
          vk[2 * nt + t] = m[k].estimate[i] + m[k].se[i];
        }
    }
    ser[k] = (dot_series){vk, vk + nt, vk + 2 * nt};
    names[k] = m[k].name;
  }
  lmm_svg s;
  lmm_svg_init(&s);
  char desc[512];
  int len = snprintf(desc, sizeof desc, "Fixed-effect estimates with bars of one standard error on each side, for ");
  for (int k = 0; k < nmodels && len > 0 && (size_t)len < sizeof desc; k++)
    len += snprintf(desc + len, sizeof desc - (size_t)len, "%s%s%s", k ? ", " : "", m[k].name, k + 1 == nmodels ? "." : "");
  figure_begin(&s, o, "Coefficients", desc, 1);
  double lo = INFINITY, hi = -INFINITY;
  dot_range(ser, nmodels, nt, &lo, &hi);
  double left = fmin(names_width(terms, nt) + 14, o->width / 2);
  lmm_panel p = cell_panel(o, 0, 0, 1, 1, 8, left, BOTTOM);
  lmm_axis_set(&p.ax, lo, hi, o->has_xlim ? o->xlim : NULL, o->xlab[0] ? o->xlab : "Estimate \xc2\xb1 SE");
  lmm_axis_categories(&p.ay, nt, NULL);
  lmm_panel_begin(&s, &p, o->title[0] ? o->title : "Coefficients", NULL, terms);
  dot_marks(&s, &p, nt, ser, nmodels);
  lmm_panel_end(&s);
  legend(&s, o, names, nmodels);
  lmm_free(terms), lmm_free(v), lmm_free(ser), lmm_free(names);
  *svg = lmm_svg_end(&s, err);
  return *svg ? LMM_OK : err->code;
}

int lmm_plot_ic(const char *const *names, const double *ic, int nmodels, const lmm_plot_options *o, char **svg,
                lmm_error *err) {
  *svg = NULL;
  static const char *const what[3] = {"AIC", "BIC", "logLik"};
  const char **cats = lmm_malloc_array((size_t)nmodels, sizeof *cats);
  double *v = lmm_malloc_array((size_t)nmodels, sizeof *v);
  if (!cats || !v) {
    lmm_free(cats), lmm_free(v);
    return lmm_nomem(err);
  }
  for (int k = 0; k < nmodels; k++) cats[k] = names[nmodels - 1 - k];   /* the first model on top */
  lmm_svg s;
  lmm_svg_init(&s);
  figure_begin(&s, o, "Information criteria", "AIC, BIC and log-likelihood of each model, one panel each.", 3);
  double left = fmin(names_width(cats, nmodels) + 14, o->width / 6), head = head_band(o, 3);
  for (int c = 0; c < 3; c++) {
    for (int k = 0; k < nmodels; k++) v[k] = ic[(size_t)(nmodels - 1 - k) * 3 + c];
    dot_series ser = {v, NULL, NULL};
    double lo = INFINITY, hi = -INFINITY;
    dot_range(&ser, 1, nmodels, &lo, &hi);
    lmm_panel p = cell_panel(o, c, 0, 3, 1, head, c == 0 ? left : 24, BOTTOM);
    lmm_axis_set(&p.ax, lo, hi, NULL, NULL);
    lmm_axis_categories(&p.ay, nmodels, NULL);
    lmm_panel_begin(&s, &p, what[c], NULL, c == 0 ? cats : NULL);
    dot_marks(&s, &p, nmodels, &ser, 1);
    lmm_panel_end(&s);
  }
  lmm_free(cats), lmm_free(v);
  *svg = lmm_svg_end(&s, err);
  return *svg ? LMM_OK : err->code;
}
