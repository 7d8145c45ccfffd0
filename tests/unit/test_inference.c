/* test_inference.c — nlme's denominator degrees of freedom (getFixDF), and
 * the conditional modes of a fit (lme4's ranef() with condVar). */
#include "harness.h"
#include "helpers.h"

void test_nlme_df(void) {
  /* 4 groups of 3: x varies within groups, s only between them.  As in
   * lme(distance ~ age * Sex, random = ~ 1 | Subject) on Orthodont
   * (27 subjects, 108 rows: DF 79 79 25 79), a between-group column gets
   * a - 1 - 1 df and the rest N - a - (within-group columns). */
  static const char *names[] = {"y", "x", "s", "g"};
  lmm_value rows[] = {
    NUM(1.0), NUM(1), TXT("m"), TXT("A"),  NUM(2.1), NUM(2), TXT("m"), TXT("A"),  NUM(2.9), NUM(3), TXT("m"), TXT("A"),
    NUM(1.5), NUM(1), TXT("m"), TXT("B"),  NUM(2.2), NUM(2), TXT("m"), TXT("B"),  NUM(3.6), NUM(3), TXT("m"), TXT("B"),
    NUM(0.7), NUM(1), TXT("f"), TXT("C"),  NUM(1.1), NUM(2), TXT("f"), TXT("C"),  NUM(1.2), NUM(3), TXT("f"), TXT("C"),
    NUM(0.9), NUM(1), TXT("f"), TXT("D"),  NUM(1.6), NUM(2), TXT("f"), TXT("D"),  NUM(1.7), NUM(3), TXT("f"), TXT("D"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ x * s", "~ 1 | g", &t, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(xnames_str(m->design), "(Intercept);x;sm;x:sm");
    double df[4] = {-1, -1, -1, -1};
    CHECK_INT(lmm_nlme_df(m->design, df, &err), 1);
    CHECK_NEAR(df[0], 6, 0);   /* 12 - 4 - 2 */
    CHECK_NEAR(df[1], 6, 0);
    CHECK_NEAR(df[2], 2, 0);   /* 4 - 1 - 1 */
    CHECK_NEAR(df[3], 6, 0);
  }
  lmm_model_free(m);

  /* no random part: n - p for every column, as lm */
  m = NULL;
  CHECK_INT(load_design("y ~ x * s", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    double df[4] = {-1, -1, -1, -1};
    CHECK_INT(lmm_nlme_df(m->design, df, &err), 1);
    for (int j = 0; j < 4; j++) CHECK_NEAR(df[j], 8, 0);
  }
  lmm_model_free(m);

  /* crossed groupings (x and g cross): nlme has no df to give */
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (1 | g) + (1 | x)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    double df[1] = {-1};
    CHECK_INT(lmm_nlme_df(m->design, df, &err), 0);
    CHECK_NEAR(df[0], -1, 0);
  }
  lmm_model_free(m);
}

/* lme4::Dyestuff, Batch A..F */
static const double dyestuff[] = {
  1545, 1440, 1440, 1520, 1580, 1540, 1555, 1490, 1560, 1495, 1595, 1550, 1605, 1510, 1560,
  1445, 1440, 1595, 1465, 1545, 1595, 1630, 1515, 1635, 1625, 1520, 1455, 1450, 1480, 1445,
};

void test_ranef_dyestuff(void) {
  static const char *names[] = {"Yield", "Batch"};
  static const char *batch[] = {"A", "B", "C", "D", "E", "F"};
  lmm_value rows[60];
  for (int i = 0; i < 30; i++) {
    rows[2 * i] = NUM(dyestuff[i]);
    rows[2 * i + 1] = TXTP(batch[i / 5]);
  }
  test_table t = {2, names, 30, rows, 0};
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("Yield ~ 1 + (1 | Batch)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (!m || !m->result) { lmm_model_free(m); return; }
  CHECK_INT(lmm_model_ranef(m, 1, NULL, NULL, &err), LMM_OK);
  if (m->ranef) {
    /* ranef(lmer(Yield ~ 1 + (1 | Batch), Dyestuff), condVar = TRUE) —
     * tests/reference/dyestuff_reml.json */
    static const double b[] = {-17.606851366879, 0.391263363707636, 28.5622255507125,
                               -23.0845384587967, 56.7331877377178, -44.9952868264672};
    const lmm_ranef_term *rt = &m->ranef->term[0];
    CHECK(rt->grp && !strcmp(rt->grp, "Batch"));
    CHECK_INT(rt->nlevels, 6);
    CHECK_INT(rt->q, 1);
    for (int l = 0; l < 6 && rt->nlevels == 6; l++) {
      CHECK_NEAR(rt->b[l], b[l], 1e-5);
      if (rt->sd) CHECK_NEAR(rt->sd[l], 19.5865700901945, 1e-5);
    }
    CHECK(rt->sd != NULL);
    /* fitted values: intercept + b */
    double fixed[30], full[30];
    lmm_fitted(m->design, m->fit, m->ranef, fixed, full, NULL);
    CHECK_NEAR(fixed[0], 1527.5, 1e-10);
    CHECK_NEAR(full[0], 1509.89314863312, 1e-6);
    CHECK_NEAR(full[29], 1482.50471317353, 1e-6);
    /* the rows through core: no hat values with random effects; sigma(fm) from dyestuff_reml.json */
    CHECK_NEAR(lmm_model_sigma(m), 49.5100999656347, 1e-6);
    lmm_residuals *res = NULL;
    CHECK_INT(lmm_model_residuals(m, NULL, NULL, &res, &err), LMM_OK);
    if (res) {
      CHECK(res->hat == NULL && res->std_resid == NULL && res->cooks == NULL);
      CHECK_NEAR(res->fitted[0], 1509.89314863312, 1e-6);
      CHECK_NEAR(res->response[0], 1545 - 1509.89314863312, 1e-6);
      CHECK_NEAR(res->pearson[0], (1545 - 1509.89314863312) / 49.5100999656347, 1e-6);
    }
    lmm_residuals_free(res);
  }
  lmm_model_free(m);
}
