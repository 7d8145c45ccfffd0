/* test_fit_oneway.c — a balanced one-way random-intercept model, whose
 * REML and ML estimates have the closed ANOVA forms:
 *   REML: sigma^2 = MSW, sigma_b^2 = (MSB - MSW)/n        (when MSB > MSW)
 *   ML:   sigma^2 = MSW, sigma_b^2 = (SSB/a - MSW)/n      (when SSB/a > MSW)
 * with a groups of n rows, N = a n; the intercept is the grand mean with
 * variance (sigma^2 + n sigma_b^2)/N.  Dyestuff checks against lme4 itself. */
#include "harness.h"
#include "helpers.h"

typedef struct anova { int a, n, N; double mean, ssw, ssb, msw, msb; } anova;

/* ys holds a groups of n values, group after group. */
static anova anova_of(const double *ys, int a, int n) {
  anova r = {a, n, a * n, 0, 0, 0, 0, 0};
  for (int i = 0; i < r.N; i++) r.mean += ys[i] / r.N;
  for (int g = 0; g < a; g++) {
    double m = 0;
    for (int j = 0; j < n; j++) m += ys[g * n + j] / n;
    for (int j = 0; j < n; j++) r.ssw += (ys[g * n + j] - m) * (ys[g * n + j] - m);
    r.ssb += n * (m - r.mean) * (m - r.mean);
  }
  r.msw = r.ssw / (r.N - a);
  r.msb = r.ssb / (a - 1);
  return r;
}

/* A table (y, g) with groups named "A", "B", ... */
static lmm_value oneway_rows[64 * 2];
static const char *oneway_names[] = {"y", "g"};
static const char *group_names[] = {"A", "B", "C", "D", "E", "F", "G", "H"};
static test_table oneway_table(const double *ys, int a, int n) {
  for (int i = 0; i < a * n; i++) {
    oneway_rows[2 * i] = NUM(ys[i]);
    oneway_rows[2 * i + 1] = TXTP(group_names[i / n]);
  }
  return (test_table){2, oneway_names, a * n, oneway_rows, 0};
}

/* REML criterion of the balanced one-way model at the REML estimates
 * (lme4's REMLcrit; the same as nlme's -2 logLik for REML). */
static double reml_crit(const anova *s) {
  return (s->N - 1) * log(2 * M_PI) + (s->N - s->a) * log(s->msw) + s->a * log(s->msb) +
         log(s->N / s->msb) + (s->N - s->a) + (s->a - 1);
}

/* ML deviance at the ML estimates. */
static double ml_dev(const anova *s) {
  double lam = s->ssb / s->a;
  return s->N * log(2 * M_PI) + (s->N - s->a) * log(s->msw) + (s->N - s->a) + s->a * log(lam) + s->a;
}

static const double hand_y[] = {1, 3, 5, 7, 9, 13};

void test_fit_oneway_reml_closed_form(void) {
  anova s = anova_of(hand_y, 3, 2);
  CHECK_NEAR(s.msw, 4, 1e-14);                /* (2 + 2 + 8)/3 */
  CHECK(s.msb > s.msw);
  test_table t = oneway_table(hand_y, 3, 2);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ 1 + (1 | g)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->result) {
    CHECK_INT(m->style, LMM_STYLE_LME4);
    CHECK_NEAR(row_est(m, "fixed", NULL, "(Intercept)"), s.mean, 1e-10);
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) CHECK_NEAR(b0->std_error, sqrt(s.msb / s.N), 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), sqrt((s.msb - s.msw) / s.n), 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "Residual", "sd__Observation"), sqrt(s.msw), 1e-6);
    CHECK_NEAR(row_est(m, "fit", NULL, "sigma"), sqrt(s.msw), 1e-6);
    double crit = reml_crit(&s);
    CHECK_NEAR(row_est(m, "fit", NULL, "REMLcrit"), crit, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -crit / 2, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "AIC"), crit + 2 * 3, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), crit + log(6.0) * 3, 1e-9);  /* lme4: log(N) */
    CHECK_NEAR(row_est(m, "fit", NULL, "df"), 3, 0);
    CHECK_NEAR(row_est(m, "fit", NULL, "nobs"), 6, 0);
    CHECK_NEAR(row_est(m, "fit", "g", "ngroups"), 3, 0);
    CHECK_NEAR(row_est(m, "fit", NULL, "singular"), 0, 0);
    CHECK_NEAR(row_est(m, "fit", NULL, "converged"), 1, 0);
    CHECK(find_row(m->result, "fit", NULL, "deviance") == NULL);
    /* the optimizer starts at the moment estimate, which for a balanced
     * one-way design is the REML estimate itself */
    double theta0 = 1;
    CHECK_INT(lmm_fit_start(m->system, &theta0), LMM_OK);
    CHECK_NEAR(theta0, sqrt((s.msb - s.msw) / s.n / s.msw), 1e-12);
    CHECK_NEAR(m->fit->theta[0], theta0, 1e-7);
  }
  lmm_model_free(m);
}

void test_fit_oneway_ml_closed_form(void) {
  anova s = anova_of(hand_y, 3, 2);
  CHECK(s.ssb / s.a > s.msw);
  test_table t = oneway_table(hand_y, 3, 2);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ 1 + (1 | g)", NULL, "method=ML", &t, &m, &err), LMM_OK);
  if (m && m->result) {
    double lam = s.ssb / s.a;
    CHECK_NEAR(row_est(m, "fixed", NULL, "(Intercept)"), s.mean, 1e-10);
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) CHECK_NEAR(b0->std_error, sqrt(lam / s.N), 1e-6);   /* lme4 does not rescale ML errors */
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), sqrt((lam - s.msw) / s.n), 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "Residual", "sd__Observation"), sqrt(s.msw), 1e-6);
    double dev = ml_dev(&s);
    CHECK_NEAR(row_est(m, "fit", NULL, "deviance"), dev, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -dev / 2, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), dev + log(6.0) * 3, 1e-9);
    CHECK(find_row(m->result, "fit", NULL, "REMLcrit") == NULL);
  }
  lmm_model_free(m);
}

void test_fit_oneway_singular(void) {
  /* group means all 3: MSB = 0 < MSW, so sigma_b = 0 (a singular fit) and
   * the REML sigma^2 is the total SS / (N - 1) = 10/5 */
  static const double ys[] = {1, 5, 2, 4, 3, 3};
  test_table t = oneway_table(ys, 3, 2);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ 1 + (1 | g)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->result) {
    CHECK_NEAR(row_est(m, "fixed", NULL, "(Intercept)"), 3, 1e-10);
    double sd = row_est(m, "ran_pars", "g", "sd__(Intercept)");
    CHECK(fabs(sd) < 1e-6);
    CHECK_NEAR(row_est(m, "fit", NULL, "sigma"), sqrt(2.0), 1e-8);
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) CHECK_NEAR(b0->std_error, sqrt(2.0 / 6), 1e-8);
    /* REMLcrit at theta = 0: log|X'X| + (N-1)(1 + log(2 pi SST/(N-1))) */
    CHECK_NEAR(row_est(m, "fit", NULL, "REMLcrit"), log(6.0) + 5 * (1 + log(2 * M_PI * 2)), 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "singular"), 1, 0);
  }
  lmm_model_free(m);
}

/* lme4::Dyestuff */
static const double dyestuff[] = {
  1545, 1440, 1440, 1520, 1580, 1540, 1555, 1490, 1560, 1495, 1595, 1550, 1605, 1510, 1560,
  1445, 1440, 1595, 1465, 1545, 1595, 1630, 1515, 1635, 1625, 1520, 1455, 1450, 1480, 1445,
};

void test_fit_dyestuff_reference(void) {
  anova s = anova_of(dyestuff, 6, 5);
  test_table t = oneway_table(dyestuff, 6, 5);
  lmm_model *m = NULL;
  lmm_error err;

  /* lmer(Yield ~ 1 + (1 | Batch), Dyestuff) — tests/reference/dyestuff_reml.json */
  CHECK_INT(fit_model("y ~ 1 + (1 | g)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->result) {
    CHECK_NEAR(row_est(m, "fixed", NULL, "(Intercept)"), 1527.5, 1e-10);
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) {
      CHECK_NEAR(b0->std_error, 19.3834121787528, 1e-6);
      CHECK_NEAR(b0->statistic, 78.8044945809065, 1e-6);
    }
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), 42.0005953103894, 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), sqrt((s.msb - s.msw) / s.n), 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "Residual", "sd__Observation"), 49.5100999656347, 1e-6);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -159.827138421129, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "AIC"), 325.654276842257, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), 329.857868987244, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "REMLcrit"), 319.654276842257, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "REMLcrit"), reml_crit(&s), 1e-9);
    CHECK_NEAR(row_est(m, "fit", "g", "ngroups"), 6, 0);
  }
  lmm_model_free(m);

  /* method=ML — tests/reference/dyestuff_ml.json */
  m = NULL;
  CHECK_INT(fit_model("y ~ 1 + (1 | g)", NULL, "method=ML", &t, &m, &err), LMM_OK);
  if (m && m->result) {
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) CHECK_NEAR(b0->std_error, 17.694553502833, 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), 37.2603454432773, 1e-6);
    CHECK_NEAR(row_est(m, "ran_pars", "Residual", "sd__Observation"), 49.5100999511903, 1e-6);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -163.663529940568, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "deviance"), 327.327059881135, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), 337.530652026122, 1e-9);
  }
  lmm_model_free(m);

  /* nlme: lme(Yield ~ 1, random = ~ 1 | Batch): the intercept has
   * N - a = 24 denominator df, and REML's BIC counts N - p = 29 rows */
  m = NULL;
  CHECK_INT(fit_model("y ~ 1", "~ 1 | g", NULL, &t, &m, &err), LMM_OK);
  if (m && m->result) {
    CHECK_INT(m->style, LMM_STYLE_NLME);
    const lmm_row *b0 = find_row(m->result, "fixed", NULL, "(Intercept)");
    if (b0) {
      CHECK_NEAR(b0->estimate, 1527.5, 1e-10);
      CHECK_NEAR(b0->std_error, 19.3834121787528, 1e-6);
      CHECK_NEAR(b0->df, 24, 0);
      CHECK_NEAR(b0->p_value / 1.71117406012118e-30, 1, 1e-4);   /* 2*pt(-78.80449, 24) */
    }
    CHECK_NEAR(row_est(m, "ran_pars", "g", "sd__(Intercept)"), 42.0005953103894, 1e-6);
    CHECK_NEAR(row_est(m, "fit", NULL, "logLik"), -159.827138421129, 1e-9);
    CHECK_NEAR(row_est(m, "fit", NULL, "BIC"), 319.654276842257 + log(29.0) * 3, 1e-9);
  }
  lmm_model_free(m);
}
