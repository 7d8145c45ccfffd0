/* test_pretty.c — core/pretty.c against R (pretty_ref.h, written by tests/reference/make_figures.R: pretty()
 * and the ticks axis() draws), hist()'s counts on values that sit on the breaks, lowess() on a small set
 * with ties and outliers (R 4.2), and the SVG writer's numbers and escaping. */
#include "harness.h"
#include "lowess.h"
#include "plot_options.h"
#include "pretty.h"
#include "pretty_ref.h"
#include "svg.h"
#include "alloc.h"

static int same(double got, double want, double span) { return fabs(got - want) <= 1e-12 * (span > 0 ? span : 1); }

void test_pretty_as_r(void) {
  for (size_t c = 0; c < sizeof pretty_refs / sizeof *pretty_refs; c++) {
    const pretty_ref *r = &pretty_refs[c];
    double at[LMM_PRETTY_MAX];
    int n = lmm_pretty(r->lo, r->hi, r->n, r->n / 3, at, LMM_PRETTY_MAX);
    CHECK_INT(n, r->npretty);
    double span = r->pretty[r->npretty - 1] - r->pretty[0];
    for (int i = 0; i < n && i < r->npretty; i++)
      if (!same(at[i], r->pretty[i], span)) t_fail(__FILE__, __LINE__, "pretty(%g, %g, n = %d)[%d]: got %.17g, R %.17g",
                                                   r->lo, r->hi, r->n, i, at[i], r->pretty[i]);
    /* plot.window's range: 4% each side of the data (a point first widened, as GScale does) */
    double lo = r->lo, hi = r->hi;
    if (lo == hi) {
      double d = lo == 0 ? 1 : .4 * fabs(lo);
      lo -= d, hi += d;
    }
    double d = 0.04 * (hi - lo);
    n = lmm_axis_ticks(lo - d, hi + d, at, LMM_PRETTY_MAX);
    CHECK_INT(n, r->nticks);
    span = r->ticks[r->nticks - 1] - r->ticks[0];
    for (int i = 0; i < n && i < r->nticks; i++)
      if (!same(at[i], r->ticks[i], span)) t_fail(__FILE__, __LINE__, "axis ticks on (%g, %g)[%d]: got %.17g, R %.17g",
                                                   r->lo, r->hi, i, at[i], r->ticks[i]);
  }
  CHECK_INT(lmm_pretty(0, INFINITY, 5, 1, NULL, 0), -1);
}

/* hist(c(0, 1, 2, 2, 3, 4, 4, 4, 5)): breaks 0:5, counts 2 2 1 3 1 (right-closed, the first closed) */
void test_hist_counts_as_r(void) {
  static const double x[] = {0, 1, 2, 2, 3, 4, 4, 4, 5}, breaks[] = {0, 1, 2, 3, 4, 5}, counts[] = {2, 2, 1, 3, 1};
  double at[LMM_PRETTY_MAX], got[LMM_PRETTY_MAX];
  int nb = lmm_hist_breaks(x, 9, at, LMM_PRETTY_MAX);
  CHECK_INT(nb, 6);
  for (int i = 0; i < nb && i < 6; i++) CHECK_NEAR(at[i], breaks[i], 1e-15);
  lmm_hist_counts(x, 9, at, nb, got);
  for (int i = 0; i < 5; i++) CHECK_NEAR(got[i], counts[i], 0);
}

/* lowess(x, y) in R 4.2, with ties in x and two outliers in y */
void test_lowess_as_r(void) {
  static const double x[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9};
  static const double y[] = {2.1, 0.5, 3.3, 1.2, 4.4, 20, 1.1, 5.5, 4.0, 2.2, 3.9, 7.7, 30, 6.1, 8.8};
  static const double rx[] = {1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 7, 8, 9, 9, 9};
  static const double ry[] = {0.62135071890946414, 0.62135071890946414, 1.4330757555615157, 2.2468948630935479,
                              2.2468948630935479, 3.1708285582596014, 4.2068211007594414, 4.2068211007594414,
                              4.2068211007594414, 5.2686064816296456, 6.4330646362987851, 7.6027570558429325,
                              8.7810002451219908, 8.7810002451219908, 8.7810002451219908};
  double xs[15], ys[15];
  lmm_error err = {0};
  CHECK_INT(lmm_lowess(x, y, 15, xs, ys, &err), LMM_OK);
  for (int i = 0; i < 15; i++) {
    CHECK_NEAR(xs[i], rx[i], 0);
    CHECK_NEAR(ys[i], ry[i], 1e-13);
  }
}

void test_svg_writer(void) {
  CHECK_STR(lmm_svg_num(12.5).s, "12.5");
  CHECK_STR(lmm_svg_num(-0.001).s, "0");
  CHECK_STR(lmm_svg_num(3.14159).s, "3.14");
  CHECK_STR(lmm_svg_num(-2).s, "-2");
  CHECK_STR(lmm_svg_value(0.1 + 0.2).s, "0.3");
  lmm_svg s;
  lmm_svg_init(&s);
  lmm_svg_escaped(&s, "a<b & \"c\" 'd'\x01>");
  CHECK_STR(s.buf, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  lmm_svg_free(&s);
}

void test_plot_options(void) {
  lmm_plot_options o;
  lmm_error err = {0};
  CHECK_INT(lmm_plot_options_parse("width=800, xlim=-3.5:3.5, title='a, b'", LMM_PLOT_QQ, &o, &err), LMM_OK);
  CHECK_NEAR(o.width, 800, 0);
  CHECK_NEAR(o.xlim[0], -3.5, 0);
  CHECK_NEAR(o.xlim[1], 3.5, 0);
  CHECK_STR(o.title, "a, b");
  CHECK_INT(lmm_plot_options_parse("level=2", LMM_PLOT_QQ, &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "level= does not apply to qq");
  err = (lmm_error){0};
  CHECK_INT(lmm_plot_options_parse("xlim=3:1", LMM_PLOT_QQ, &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "first limit must be below");
  int kind;
  err = (lmm_error){0};
  CHECK_INT(lmm_plot_kind_parse("pie", &kind, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unknown kind 'pie'");
}
