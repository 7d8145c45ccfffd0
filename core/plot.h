/* plot.h — the figures, each an SVG document (svg.h) laid out in panels (plot_panel.h) from plain arrays:
 * ext gathers the numbers (a saved model's residuals, BLUPs, estimates; an aggregate's rows) and core
 * draws them.  Every mark has a class a reader can find (README "Figures"):
 *
 *   histogram        bars of hist(x) (Sturges breaks, R's counts)                <rect class="bar">
 *   barplot          bars of counts per label (barplot(table(x)))                <rect class="bar">
 *   qq               normal QQ: sorted residuals against qnorm(ppoints(n)), y = x  <circle class="point">,
 *                    line, one panel per model, shared limits                    <line class="ref">
 *   resid_fitted     residuals against fitted values, 0 line, lowess             <polyline class="lowess">
 *   scale_location   sqrt|standardized residual| against fitted values, lowess
 *   resid_leverage   standardized residuals against hat values, Cook's distance  <polyline class="cooks">
 *                    0.5 and 1 contours, lowess
 *   diagnostics      the four of plot(lm) in 2 x 2
 *   ranef            a dot plot per term of one grouping's BLUPs, levels sorted  <circle class="dot">,
 *                    by the first term, optional conditional-sd bars             <line class="errbar">
 *   coef             estimates +/- SE per model, offset, with a legend           <circle class="dot sK">
 *   ic               AIC, BIC and logLik per model as a dot chart
 * Series k (model k) carries class sK (Okabe-Ito colours). */
#ifndef LMM_PLOT_H
#define LMM_PLOT_H

#include <stddef.h>

#include "lmm_error.h"
#include "plot_options.h"

/* One model's rows for the residual kinds; the last three NULL for a fit with random effects. */
typedef struct lmm_plot_rows {
  const char *name;
  size_t n;
  int p;                                     /* the fixed effects' rank (Cook's contours) */
  const double *fitted, *resid;              /* resid: the type the options ask for */
  const double *std_resid, *hat, *cooks;
  const char *resid_label;                   /* "Normalized residuals", ... */
} lmm_plot_rows;

/* One grouping's conditional modes: nlevels x q, b[l*q + a], sd likewise (NULL: no bars). */
typedef struct lmm_plot_ranef {
  const char *grp;
  int nlevels, q;
  const char *const *levels, *const *terms;
  const double *b, *sd;
} lmm_plot_ranef;

/* One model's fixed effects. */
typedef struct lmm_plot_coef {
  const char *name;
  int p;
  const char *const *terms;
  const double *estimate, *se;
} lmm_plot_coef;

/* Each returns LMM_OK with *svg the document (free with lmm_free), or an error. */
int lmm_plot_histogram(const double *x, size_t n, const lmm_plot_options *o, char **svg, lmm_error *err);
int lmm_plot_barplot(const char *const *labels, const double *counts, int n, const lmm_plot_options *o, char **svg,
                     lmm_error *err);
int lmm_plot_residuals(const lmm_plot_rows *m, int nmodels, const lmm_plot_options *o, char **svg, lmm_error *err);
int lmm_plot_ranef_dots(const lmm_plot_ranef *r, const lmm_plot_options *o, char **svg, lmm_error *err);
int lmm_plot_coefs(const lmm_plot_coef *m, int nmodels, const lmm_plot_options *o, char **svg, lmm_error *err);
/* ic[k*3 + 0..2]: AIC, BIC, logLik of model k. */
int lmm_plot_ic(const char *const *names, const double *ic, int nmodels, const lmm_plot_options *o, char **svg,
                lmm_error *err);

#endif
