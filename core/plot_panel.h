/* plot_panel.h — one plotting region of a figure: its box in the picture, its axes and the map from data
 * to picture, drawn as R's base graphics draw a plot():
 *
 *   the user range  [lo, hi] of the data (or the limits given), widened by 4% on each side (R's xaxs = "r")
 *   the ticks       lmm_axis_ticks of that range (what axis() draws), labelled with the fewest decimals
 *                   that tell them apart, as R's format() labels them
 *   the map         x -> box.x + (x - xlo) / (xhi - xlo) w,   y -> box.y + h - (y - ylo) / (yhi - ylo) h
 *
 * In the SVG a panel is <g class="panel" data-xlim="lo hi" data-ylim="lo hi" data-box="x y w h">, its axes
 * <g class="axis x"> / <g class="axis y"> holding <text class="tick-label" data-value="v">; a reader maps
 * any mark back with those three attributes.  A categorical axis (levels, terms, models) has the
 * categories at 1..n (the first at the left, or at the bottom), labelled by name (class "category-label"). */
#ifndef LMM_PLOT_PANEL_H
#define LMM_PLOT_PANEL_H

#include "pretty.h"
#include "svg.h"

typedef struct lmm_axis {
  double lo, hi;              /* the user range */
  int nticks;
  double at[LMM_PRETTY_MAX];
  const char *label;          /* borrowed; NULL for none */
} lmm_axis;

typedef struct lmm_panel {
  double x, y, w, h;          /* the plotting box, in the picture's units */
  lmm_axis ax, ay;
} lmm_panel;

/* The user range of data in [lo, hi], or of the limits lim[0..1] when lim is not NULL (R's GScale: a
 * zero-width range widened first, then 4% each side); and its ticks. */
void lmm_axis_set(lmm_axis *a, double lo, double hi, const double *lim, const char *label);
/* A categorical axis of n categories at 1..n: the range [0.5, n + 0.5], no numeric ticks. */
void lmm_axis_categories(lmm_axis *a, int n, const char *label);

double lmm_panel_px(const lmm_panel *p, double x);
double lmm_panel_py(const lmm_panel *p, double y);

/* Opens the panel's group and draws its frame, axes (a categorical one with names[], which may be NULL for
 * a numeric axis) and title (may be NULL); lmm_panel_end closes it. */
void lmm_panel_begin(lmm_svg *s, const lmm_panel *p, const char *title, const char *const *xnames,
                     const char *const *ynames);
void lmm_panel_end(lmm_svg *s);

/* Marks, each clipped to nothing: the caller keeps them in range.  cls names what the mark is ("point s0"). */
void lmm_panel_point(lmm_svg *s, const lmm_panel *p, double x, double y, const char *cls);
void lmm_panel_line(lmm_svg *s, const lmm_panel *p, double x0, double y0, double x1, double y1, const char *cls);
/* A line y = a + b x across the panel's x range. */
void lmm_panel_abline(lmm_svg *s, const lmm_panel *p, double a, double b, const char *cls);
void lmm_panel_polyline(lmm_svg *s, const lmm_panel *p, const double *x, const double *y, size_t n, const char *cls);
void lmm_panel_rect(lmm_svg *s, const lmm_panel *p, double x0, double y0, double x1, double y1, const char *cls);

/* Widths of text at the 11 px tick font, for margins: an estimate (0.6 em a character). */
double lmm_text_width(const char *text);

#endif
