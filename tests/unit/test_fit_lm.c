/* test_fit_lm.c — no random part: the fit is stats::lm, small enough to
 * solve by hand. */
#include "harness.h"
#include "helpers.h"

void test_fit_lm_by_hand(void) {
  /* x = 1..5, y = 2 4 5 4 5: slope Sxy/Sxx = 6/10, intercept 4 - 0.6*3 = 2.2,
   * residuals -0.8 0.6 1 -0.6 -0.2, RSS = 2.4, sigma = sqrt(2.4/3) */
  static const char *names[] = {"x", "y"};
  lmm_value rows[] = {NUM(1), NUM(2), NUM(2), NUM(4), NUM(3), NUM(5), NUM(4), NUM(4), NUM(5), NUM(5)};
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ x", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->result) {
    CHECK_INT(m->style, LMM_STYLE_LM);
    const lmm_row *a = find_row(m->result, "fixed", NULL, "(Intercept)");
    const lmm_row *b = find_row(m->result, "fixed", NULL, "x");
    CHECK(a != NULL);
    CHECK(b != NULL);
    if (a) {
      CHECK_NEAR(a->estimate, 2.2, 1e-12);
      CHECK_NEAR(a->std_error, sqrt(0.8 * (1.0 / 5 + 9.0 / 10)), 1e-12);  /* sigma*sqrt(1/n + xbar^2/Sxx) */
      CHECK_NEAR(a->statistic, 2.34520787991171, 1e-10);
      CHECK_NEAR(a->df, 3, 0);
      CHECK_NEAR(a->p_value, 0.10074345608542, 1e-10);                     /* 2*pt(-2.345208, 3) */
    }
    if (b) {
      CHECK_NEAR(b->estimate, 0.6, 1e-12);
      CHECK_NEAR(b->std_error, sqrt(0.08), 1e-12);                          /* sigma/sqrt(Sxx) */
      CHECK_NEAR(b->statistic, 2.12132034355964, 1e-10);
      CHECK_NEAR(b->df, 3, 0);
      CHECK_NEAR(b->p_value, 0.124027062657555, 1e-10);
    }
    double sigma = sqrt(2.4 / 3);
    double ll = -2.5 * (log(2 * M_PI * 2.4 / 5) + 1);                       /* logLik(lm) */
    CHECK_NEAR(row_est(m, "ran_pars", "Residual", "sd__Observation"), sigma, 1e-12);
    CHECK_NEAR(row_est(m, "fit", NULL, "sigma"), sigma, 1e-12);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), ll, 1e-12);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -5.25976972832286, 1e-12);
    CHECK_NEAR(row_est(m, "fit", NULL, "AIC"), 16.5195394566457, 1e-12);    /* -2ll + 2*3 */
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), 15.347853193948, 1e-12);     /* -2ll + log(5)*3 */
    CHECK_NEAR(row_est(m, "fit", NULL, "nobs"), 5, 0);
    CHECK_NEAR(row_est(m, "fit", NULL, "df"), 3, 0);
    /* an lm has no variance components */
    int nran = 0;
    for (int i = 0; i < m->result->nrows; i++)
      if (!strcmp(m->result->rows[i].effect, "ran_pars")) nran++;
    CHECK_INT(nran, 1);
    /* the fit itself: ML for an lm */
    CHECK_INT(m->fit->reml, 0);
    CHECK_NEAR(m->fit->pwrss, 2.4, 1e-12);
    CHECK_NEAR(m->fit->beta[0], 2.2, 1e-12);
    CHECK_NEAR(m->fit->beta[1], 0.6, 1e-12);
    /* counts and flags are marked as integers, the rest not */
    const lmm_row *nobs = find_row(m->result, "fit", NULL, "nobs"), *s = find_row(m->result, "fit", NULL, "sigma");
    CHECK(nobs && nobs->count);
    CHECK(s && !s->count);
    CHECK_NEAR(lmm_model_sigma(m), sigma, 1e-12);
    /* the rows: fitted 2.2 + 0.6x, h = 1/5 + (x - 3)^2/10; R's rstandard() and cooks.distance() of
     * lm(y ~ x) are -sqrt(2) and 1.5 at x = 1 */
    lmm_residuals *res = NULL;
    CHECK_INT(lmm_model_residuals(m, NULL, NULL, &res, &err), LMM_OK);
    if (res) {
      static const double e[] = {-0.8, 0.6, 1, -0.6, -0.2}, h[] = {0.6, 0.3, 0.2, 0.3, 0.6};
      static const double cooks[] = {1.5, 0.137755102040816, 0.1953125, 0.137755102040816, 0.09375};
      CHECK(res->n == 5);
      CHECK(res->hat != NULL && res->std_resid != NULL && res->cooks != NULL);
      for (int i = 0; i < 5 && res->hat; i++) {
        CHECK_NEAR(res->fixed[i], 2.2 + 0.6 * (i + 1), 1e-12);
        CHECK_NEAR(res->fitted[i], 2.2 + 0.6 * (i + 1), 1e-12);
        CHECK_NEAR(res->response[i], e[i], 1e-12);
        CHECK_NEAR(res->pearson[i], e[i] / sigma, 1e-12);
        CHECK_NEAR(res->normalized[i], e[i] / sigma, 1e-12);
        CHECK_NEAR(res->hat[i], h[i], 1e-12);
        CHECK_NEAR(res->std_resid[i], e[i] / (sigma * sqrt(1 - h[i])), 1e-12);
        CHECK_NEAR(res->cooks[i], cooks[i], 1e-12);
      }
      CHECK_NEAR(res->std_resid[0], -sqrt(2), 1e-12);
    }
    lmm_residuals_free(res);
    /* vcov as R's vcov(lm): sigma^2 (X'X)^-1 with sigma^2 = RSS / (n - p) */
    CHECK_NEAR(lmm_model_vcov(m, 1, 1), 0.08, 1e-12);
    CHECK_NEAR(lmm_model_vcov(m, 0, 0), 0.8 * (1.0 / 5 + 9.0 / 10), 1e-12);
  }
  lmm_model_free(m);

  /* a factor: y ~ f with a = {1, 3}, b = {4, 6, 8}: (Intercept) = 2,
   * fb = 6 - 2 = 4, RSS = 2 + 8 = 10 on 3 df */
  static const char *names2[] = {"f", "y"};
  lmm_value rows2[] = {TXT("a"), NUM(1), TXT("b"), NUM(4), TXT("a"), NUM(3), TXT("b"), NUM(6), TXT("b"), NUM(8)};
  test_table t2 = TABLE(names2, rows2);
  m = NULL;
  CHECK_INT(fit_model("y ~ f", NULL, NULL, &t2, &m, &err), LMM_OK);
  if (m && m->result) {
    double s = sqrt(10.0 / 3);
    const lmm_row *a = find_row(m->result, "fixed", NULL, "(Intercept)");
    const lmm_row *b = find_row(m->result, "fixed", NULL, "fb");
    CHECK(a && b);
    if (a) {
      CHECK_NEAR(a->estimate, 2, 1e-12);
      CHECK_NEAR(a->std_error, s / sqrt(2), 1e-12);
    }
    if (b) {
      CHECK_NEAR(b->estimate, 4, 1e-12);
      CHECK_NEAR(b->std_error, s * sqrt(1.0 / 2 + 1.0 / 3), 1e-12);
      CHECK_NEAR(b->df, 3, 0);
    }
    CHECK_NEAR(row_est(m, "fit", NULL, "sigma"), s, 1e-12);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -2.5 * (log(2 * M_PI * 10.0 / 5) + 1), 1e-12);
  }
  lmm_model_free(m);
}
