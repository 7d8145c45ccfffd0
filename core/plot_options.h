/* plot_options.h — the figure kinds and the `key=value` options of lmm_plot, lmm_histogram and lmm_barplot:
 *
 *   width=640, height=480    the picture's size (100 to 4000)
 *   title=text               the figure's title ('quoted' when it holds a comma)
 *   xlab=text, ylab=text     the axis labels
 *   xlim=lo:hi, ylim=lo:hi   the axis limits (lo < hi; a space may stand for the colon)
 *   type=normalized|pearson|response    which residuals (qq, resid_fitted)
 *   level=k                  ranef: the k-th grouping from the outermost (nlme's level); default the innermost
 *   interval=0.95            ranef: bars of the effects' conditional coverage (0 < interval < 1; 0: none)
 *   smooth=1|0               resid_fitted, scale_location, resid_leverage: R's lowess line (default 1)
 *
 * An option a kind does not read is an error that names the kinds that read it. */
#ifndef LMM_PLOT_OPTIONS_H
#define LMM_PLOT_OPTIONS_H

#include "lmm_error.h"

enum {
  LMM_PLOT_QQ, LMM_PLOT_RESID_FITTED, LMM_PLOT_SCALE_LOCATION, LMM_PLOT_RESID_LEVERAGE, LMM_PLOT_DIAGNOSTICS,
  LMM_PLOT_RANEF, LMM_PLOT_COEF, LMM_PLOT_IC, LMM_PLOT_HISTOGRAM, LMM_PLOT_BARPLOT, LMM_PLOT_NKINDS
};
/* which residuals: type= */
enum { LMM_RESID_DEFAULT, LMM_RESID_NORMALIZED, LMM_RESID_PEARSON, LMM_RESID_RESPONSE };

typedef struct lmm_plot_options {
  int kind;
  double width, height;
  char title[256], xlab[256], ylab[256];   /* "" for the kind's own */
  int has_xlim, has_ylim;
  double xlim[2], ylim[2];
  int type;                                 /* LMM_RESID_* */
  int level;                                /* 0: the innermost grouping */
  double interval;                          /* 0: no bars */
  int smooth;
} lmm_plot_options;

/* The kind named (qq, resid_fitted, ...) among those lmm_plot draws (not histogram, barplot). */
int lmm_plot_kind_parse(const char *name, int *kind, lmm_error *err);
const char *lmm_plot_kind_name(int kind);
int lmm_plot_options_parse(const char *text, int kind, lmm_plot_options *o, lmm_error *err);

#endif
