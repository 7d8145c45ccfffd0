/* plot_panel.c — the panel of plot_panel.h: ranges, ticks, labels, the map, and the marks. */
#include "plot_panel.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lmm_axis_set(lmm_axis *a, double lo, double hi, const double *lim, const char *label) {
  a->label = label;
  if (lim) {   /* R widens given limits too (plot.window with xaxs = "r") */
    lo = lim[0];
    hi = lim[1];
  } else if (!isfinite(lo) || !isfinite(hi)) lo = -1, hi = 1;
  if (lo == hi) {   /* GScale: a point gets a range before the 4% */
    if (lo == 0) lo = -1, hi = 1;
    else {
      double d = .4 * fabs(lo);
      lo -= d;
      hi += d;
    }
  }
  double d = 0.04 * (hi - lo);
  lo -= d;
  hi += d;
  a->lo = lo;
  a->hi = hi;
  int n = lmm_axis_ticks(lo, hi, a->at, LMM_PRETTY_MAX);
  a->nticks = n < 0 ? 0 : n > LMM_PRETTY_MAX ? LMM_PRETTY_MAX : n;
}

void lmm_axis_categories(lmm_axis *a, int n, const char *label) {
  a->label = label;
  a->lo = 0.5;
  a->hi = n + 0.5;
  a->nticks = 0;
}

double lmm_panel_px(const lmm_panel *p, double x) { return p->x + (x - p->ax.lo) / (p->ax.hi - p->ax.lo) * p->w; }
/* categories run down from the top; numbers up from the bottom */
double lmm_panel_py(const lmm_panel *p, double y) { return p->y + p->h - (y - p->ay.lo) / (p->ay.hi - p->ay.lo) * p->h; }

/* The ticks' labels with the fewest decimals (up to 15) at which each reads back as its tick: fixed
 * ("%.*f") where that fits a label, else scientific ("%.*e", as R's format writes 1.6e+308 or 2e-308),
 * returned as -1 - decimals. */
static int reads_back(const lmm_axis *a, const char *fmt, int d) {
  double span = fabs(a->hi - a->lo);
  for (int i = 0; i < a->nticks; i++) {
    char buf[64];
    int len = snprintf(buf, sizeof buf, fmt, d, a->at[i]);
    if (len < 0 || (size_t)len >= sizeof buf || !(fabs(strtod(buf, NULL) - a->at[i]) <= 1e-9 * span)) return 0;
  }
  return 1;
}

static int tick_decimals(const lmm_axis *a) {
  for (int d = 0; d < 15; d++)
    if (reads_back(a, "%.*f", d)) return d;
  if (reads_back(a, "%.*f", 15)) return 15;
  for (int d = 0; d < 15; d++)
    if (reads_back(a, "%.*e", d)) return -1 - d;
  return -1 - 15;
}

static void tick_label(char *buf, size_t size, double v, int decimals) {
  if (decimals < 0) snprintf(buf, size, "%.*e", -1 - decimals, v);
  else snprintf(buf, size, "%.*f", decimals, v);
  if (buf[0] == '-' && strtod(buf, NULL) == 0) memmove(buf, buf + 1, strlen(buf));
}

static void numeric_axis(lmm_svg *s, const lmm_panel *p, int is_x) {
  const lmm_axis *a = is_x ? &p->ax : &p->ay;
  int dec = tick_decimals(a);
  lmm_svg_printf(s, "<g class=\"axis %s\">\n", is_x ? "x" : "y");
  for (int i = 0; i < a->nticks; i++) {
    char buf[64];
    tick_label(buf, sizeof buf, a->at[i], dec);
    lmm_svg_number v = lmm_svg_value(a->at[i]);
    if (is_x) {
      double x = lmm_panel_px(p, a->at[i]), y = p->y + p->h;
      lmm_svg_printf(s, "<line class=\"tick\" data-value=\"%s\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", v.s,
                     lmm_svg_num(x).s, lmm_svg_num(y).s, lmm_svg_num(x).s, lmm_svg_num(y + 5).s);
      lmm_svg_printf(s, "<text class=\"tick-label\" data-value=\"%s\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">", v.s,
                     lmm_svg_num(x).s, lmm_svg_num(y + 17).s);
    } else {
      double x = p->x, y = lmm_panel_py(p, a->at[i]);
      lmm_svg_printf(s, "<line class=\"tick\" data-value=\"%s\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", v.s,
                     lmm_svg_num(x - 5).s, lmm_svg_num(y).s, lmm_svg_num(x).s, lmm_svg_num(y).s);
      lmm_svg_printf(s, "<text class=\"tick-label\" data-value=\"%s\" x=\"%s\" y=\"%s\" text-anchor=\"end\">", v.s,
                     lmm_svg_num(x - 7).s, lmm_svg_num(y + 4).s);
    }
    lmm_svg_escaped(s, buf);
    lmm_svg_printf(s, "</text>\n");
  }
  lmm_svg_printf(s, "</g>\n");
}

static void category_axis(lmm_svg *s, const lmm_panel *p, const char *const *names, int is_x) {
  const lmm_axis *a = is_x ? &p->ax : &p->ay;
  int n = (int)(a->hi - a->lo + 0.5);
  lmm_svg_printf(s, "<g class=\"axis %s categories\">\n", is_x ? "x" : "y");
  for (int k = 0; k < n; k++) {
    if (is_x) {   /* names below the box, turned to read upwards when they are many (R's las = 2) */
      double x = lmm_panel_px(p, k + 1), y = p->y + p->h + 8;
      lmm_svg_text(s, names[k], x, n > 8 ? y : y + 9, n > 8 ? "end" : "middle", n > 8 ? -90 : 0, "category-label");
    } else {
      double y = lmm_panel_py(p, k + 1);
      lmm_svg_printf(s, "<line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", lmm_svg_num(p->x).s,
                     lmm_svg_num(y).s, lmm_svg_num(p->x + p->w).s, lmm_svg_num(y).s);
      if (names) lmm_svg_text(s, names[k], p->x - 6, y + 4, "end", 0, "category-label");
    }
  }
  lmm_svg_printf(s, "</g>\n");
}

/* Why an axis's range cannot be mapped onto the panel, or NULL: its ends and span must be finite (R stops on
 * "infinite axis extents") and the span a normal number (ticks cannot be placed within a subnormal one). */
static const char *undrawable(const lmm_axis *a, int x) {
  double span = a->hi - a->lo;
  if (!isfinite(a->lo) || !isfinite(a->hi) || !isfinite(span))
    return x ? "the x axis's range is too wide to draw: its span, widened by 4% as R's is, is not a finite number "
               "(give xlim= a narrower range, or leave the extreme values out)"
             : "the y axis's range is too wide to draw: its span, widened by 4% as R's is, is not a finite number "
               "(give ylim= a narrower range, or leave the extreme values out)";
  if (!(span >= DBL_MIN))
    return x ? "the x axis's range is too narrow to draw: its span is below the smallest normal double (give xlim= a "
               "wider range, or scale the values)"
             : "the y axis's range is too narrow to draw: its span is below the smallest normal double (give ylim= a "
               "wider range, or scale the values)";
  return NULL;
}

void lmm_panel_begin(lmm_svg *s, const lmm_panel *p, const char *title, const char *const *xnames,
                     const char *const *ynames) {
  if (!s->refused) s->refused = undrawable(&p->ax, 1);
  if (!s->refused && !ynames) s->refused = undrawable(&p->ay, 0);
  lmm_svg_printf(s, "<g class=\"panel\" data-xlim=\"%s %s\"", lmm_svg_value(p->ax.lo).s, lmm_svg_value(p->ax.hi).s);
  lmm_svg_printf(s, " data-ylim=\"%s %s\"", lmm_svg_value(p->ay.lo).s, lmm_svg_value(p->ay.hi).s);
  lmm_svg_printf(s, " data-box=\"%s %s %s %s\">\n", lmm_svg_num(p->x).s, lmm_svg_num(p->y).s, lmm_svg_num(p->w).s,
                 lmm_svg_num(p->h).s);
  if (xnames) category_axis(s, p, xnames, 1);
  else numeric_axis(s, p, 1);
  if (ynames || p->ay.nticks == 0) category_axis(s, p, ynames, 0);
  else numeric_axis(s, p, 0);
  lmm_svg_printf(s, "<rect class=\"frame\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>\n", lmm_svg_num(p->x).s,
                 lmm_svg_num(p->y).s, lmm_svg_num(p->w).s, lmm_svg_num(p->h).s);
  if (title) lmm_svg_text(s, title, p->x + p->w / 2, p->y - 10, "middle", 0, "title");
  if (p->ax.label) lmm_svg_text(s, p->ax.label, p->x + p->w / 2, p->y + p->h + (xnames ? 0 : 36), "middle", 0, "axis-label");
  if (p->ay.label && !ynames) lmm_svg_text(s, p->ay.label, p->x - 44, p->y + p->h / 2, "middle", -90, "axis-label");
}

void lmm_panel_end(lmm_svg *s) { lmm_svg_printf(s, "</g>\n"); }

void lmm_panel_point(lmm_svg *s, const lmm_panel *p, double x, double y, const char *cls) {
  lmm_svg_printf(s, "<circle class=\"%s\" cx=\"%s\" cy=\"%s\" r=\"2.5\"/>\n", cls, lmm_svg_num(lmm_panel_px(p, x)).s,
                 lmm_svg_num(lmm_panel_py(p, y)).s);
}

void lmm_panel_line(lmm_svg *s, const lmm_panel *p, double x0, double y0, double x1, double y1, const char *cls) {
  lmm_svg_printf(s, "<line class=\"%s\" x1=\"%s\" y1=\"%s\"", cls, lmm_svg_num(lmm_panel_px(p, x0)).s,
                 lmm_svg_num(lmm_panel_py(p, y0)).s);
  lmm_svg_printf(s, " x2=\"%s\" y2=\"%s\"/>\n", lmm_svg_num(lmm_panel_px(p, x1)).s, lmm_svg_num(lmm_panel_py(p, y1)).s);
}

void lmm_panel_abline(lmm_svg *s, const lmm_panel *p, double a, double b, const char *cls) {
  /* clipped to the box: the x range, then where y leaves the y range */
  double x0 = p->ax.lo, x1 = p->ax.hi, ylo = fmin(p->ay.lo, p->ay.hi), yhi = fmax(p->ay.lo, p->ay.hi);
  if (b != 0) {
    double xa = (ylo - a) / b, xb = (yhi - a) / b;
    x0 = fmax(x0, fmin(xa, xb));
    x1 = fmin(x1, fmax(xa, xb));
    if (x0 >= x1) return;
  } else if (a < ylo || a > yhi) return;
  lmm_panel_line(s, p, x0, a + b * x0, x1, a + b * x1, cls);
}

void lmm_panel_polyline(lmm_svg *s, const lmm_panel *p, const double *x, const double *y, size_t n, const char *cls) {
  lmm_svg_printf(s, "<polyline class=\"%s\" points=\"", cls);
  for (size_t i = 0; i < n; i++)
    lmm_svg_printf(s, "%s%s,%s", i ? " " : "", lmm_svg_num(lmm_panel_px(p, x[i])).s, lmm_svg_num(lmm_panel_py(p, y[i])).s);
  lmm_svg_printf(s, "\"/>\n");
}

void lmm_panel_rect(lmm_svg *s, const lmm_panel *p, double x0, double y0, double x1, double y1, const char *cls) {
  double a = lmm_panel_px(p, x0), b = lmm_panel_px(p, x1), c = lmm_panel_py(p, y0), d = lmm_panel_py(p, y1);
  lmm_svg_printf(s, "<rect class=\"%s\" x=\"%s\" y=\"%s\"", cls, lmm_svg_num(fmin(a, b)).s, lmm_svg_num(fmin(c, d)).s);
  lmm_svg_printf(s, " width=\"%s\" height=\"%s\"/>\n", lmm_svg_num(fabs(b - a)).s, lmm_svg_num(fabs(d - c)).s);
}

double lmm_text_width(const char *text) { return 6.6 * (double)strlen(text); }
