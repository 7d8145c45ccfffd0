/* test_design.c — X as model.matrix() makes it (treatment contrasts, R's
 * column names and order, "assign"), and the random-effects terms. */
#include "harness.h"
#include "helpers.h"

/* X[row, col] by column name, in the data's units (the design scales it); NAN if there is no such column. */
static double X(const lmm_design *d, size_t row, const char *col) {
  int j = xcol(d, col);
  return j < 0 ? NAN : ldexp(lmm_design_x(d, j, row), d->xexp[j]);
}

void test_design_factor_columns(void) {
  static const char *names[] = {"y", "amd", "status"};
  lmm_value rows[] = {
    NUM(1), TXT("unclipped"), TXT("Transplant"),
    NUM(2), TXT("clipped"), TXT("Normal"),
    NUM(3), TXT("unclipped"), TXT("Petri.Plate"),
    NUM(4), TXT("clipped"), TXT("Petri.Plate"),
    NUM(5), TXT("clipped"), TXT("Transplant"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ amd + status", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    CHECK_INT(d->p, 4);
    CHECK_STR(xnames_str(d), "(Intercept);amdunclipped;statusPetri.Plate;statusTransplant");
    /* R's attr(X, "assign") is 0 1 2 2 */
    if (d->p == 4) {
      CHECK_INT(d->xterm[0], 0);
      CHECK_INT(d->xterm[1], 1);
      CHECK_INT(d->xterm[2], 2);
      CHECK_INT(d->xterm[3], 2);
    }
    CHECK_INT(d->nxterms, 3);
    CHECK_STR(strs_join(d->term_labels, d->nxterms), "(Intercept);amd;status");
    double want[5][4] = {{1, 1, 0, 1}, {1, 0, 0, 0}, {1, 1, 1, 0}, {1, 0, 1, 0}, {1, 0, 0, 1}};
    for (int r = 0; r < 5; r++)
      for (int j = 0; j < 4 && d->p == 4; j++) CHECK_NEAR(ldexp(lmm_design_x(d, j, (size_t)r), d->xexp[j]), want[r][j], 0);
    for (int r = 0; r < 5; r++) CHECK_NEAR(d->y[r], r + 1, 0);
    CHECK_INT(d->nre, 0);
  }
  lmm_model_free(m);
}

static const char *fg_names[] = {"y", "f", "g", "x"};
static lmm_value fg_rows[] = {
  NUM(1), TXT("a"), TXT("x"), NUM(0.5),
  NUM(2), TXT("b"), TXT("x"), NUM(1.5),
  NUM(3), TXT("c"), TXT("x"), NUM(2.5),
  NUM(4), TXT("a"), TXT("y"), NUM(3.5),
  NUM(5), TXT("b"), TXT("y"), NUM(4.5),
  NUM(6), TXT("c"), TXT("y"), NUM(5.5),
  NUM(7), TXT("c"), TXT("y"), NUM(6.5),
};

/* Column names of X for a formula over fg_rows. */
static void xnames_are(const char *formula, const char *want, int line) {
  test_table t = TABLE(fg_names, fg_rows);
  lmm_model *m = NULL;
  lmm_error err;
  int rc = load_design(formula, NULL, &t, &m, &err);
  if (rc) t_fail(__FILE__, line, "%s: %s", formula, err.msg);
  else {
    const char *got = xnames_str(m->design);
    if (!strcmp(got, want)) t_passed++;
    else t_fail(__FILE__, line, "colnames(model.matrix(%s)): got \"%s\", want \"%s\"", formula, got, want);
  }
  lmm_model_free(m);
}
#define XNAMES_ARE(formula, want) xnames_are((formula), (want), __LINE__)

void test_design_interactions(void) {
  /* the first factor varies fastest */
  XNAMES_ARE("y ~ f*g", "(Intercept);fb;fc;gy;fb:gy;fc:gy");
  XNAMES_ARE("y ~ g*f", "(Intercept);gy;fb;fc;gy:fb;gy:fc");
  /* no margins: full dummy coding of both factors */
  XNAMES_ARE("y ~ f:g", "(Intercept);fa:gx;fb:gx;fc:gx;fa:gy;fb:gy;fc:gy");
  /* one margin present */
  XNAMES_ARE("y ~ f + f:g", "(Intercept);fb;fc;fa:gy;fb:gy;fc:gy");
  XNAMES_ARE("y ~ g + f:g", "(Intercept);gy;gx:fb;gy:fb;gx:fc;gy:fc");
  XNAMES_ARE("y ~ f/g", "(Intercept);fb;fc;fa:gy;fb:gy;fc:gy");

  test_table t = TABLE(fg_names, fg_rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ f*g", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    /* row 6 is (c, y), row 2 is (b, x) */
    CHECK_NEAR(X(d, 5, "fc"), 1, 0);
    CHECK_NEAR(X(d, 5, "gy"), 1, 0);
    CHECK_NEAR(X(d, 5, "fc:gy"), 1, 0);
    CHECK_NEAR(X(d, 5, "fb:gy"), 0, 0);
    CHECK_NEAR(X(d, 1, "fb"), 1, 0);
    CHECK_NEAR(X(d, 1, "gy"), 0, 0);
    CHECK_NEAR(X(d, 1, "fb:gy"), 0, 0);
    CHECK_NEAR(X(d, 0, "(Intercept)"), 1, 0);
    /* assign: 0 1 1 2 3 3 */
    int assign[] = {0, 1, 1, 2, 3, 3};
    for (int j = 0; j < 6 && d->p == 6; j++) CHECK_INT(d->xterm[j], assign[j]);
    CHECK_STR(strs_join(d->term_labels, d->nxterms), "(Intercept);f;g;f:g");
  }
  lmm_model_free(m);
}

void test_design_no_intercept(void) {
  /* without an intercept the first factor gets every level */
  XNAMES_ARE("y ~ 0 + f + g", "fa;fb;fc;gy");
  XNAMES_ARE("y ~ f - 1", "fa;fb;fc");
  XNAMES_ARE("y ~ -1 + f", "fa;fb;fc");
  XNAMES_ARE("y ~ 0 + x + f", "x;fa;fb;fc");
  XNAMES_ARE("y ~ 0 + f*g", "fa;fb;fc;gy;fb:gy;fc:gy");
  XNAMES_ARE("y ~ 0 + x", "x");
}

void test_design_numeric_by_factor(void) {
  static const char *names[] = {"y", "age", "Sex"};
  lmm_value rows[] = {
    NUM(20), NUM(8), TXT("Male"),
    NUM(21), NUM(10), TXT("Female"),
    NUM(23), NUM(12), TXT("Male"),
    NUM(22), NUM(14), TXT("Female"),
    NUM(25), NUM(9), TXT("Male"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ age*Sex", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    CHECK_STR(xnames_str(d), "(Intercept);age;SexMale;age:SexMale");
    CHECK_NEAR(X(d, 0, "age:SexMale"), 8, 0);
    CHECK_NEAR(X(d, 1, "age:SexMale"), 0, 0);
    CHECK_NEAR(X(d, 2, "age:SexMale"), 12, 0);
    CHECK_NEAR(X(d, 3, "SexMale"), 0, 0);
    CHECK_NEAR(X(d, 4, "SexMale"), 1, 0);
    CHECK_NEAR(X(d, 3, "age"), 14, 0);
  }
  lmm_model_free(m);

  m = NULL;
  CHECK_INT(load_design("y ~ Sex*age", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_STR(xnames_str(m->design), "(Intercept);SexMale;age;SexMale:age");
  lmm_model_free(m);

  /* a numeric variable times a factor without its margin: every level */
  XNAMES_ARE("y ~ x:f", "(Intercept);x:fa;x:fb;x:fc");
  XNAMES_ARE("y ~ x + x:f", "(Intercept);x;x:fb;x:fc");

  /* numeric by numeric: the product; transforms by value (six rows: a
   * design with more columns than rows is refused) */
  m = NULL;
  static const char *names2[] = {"y", "x", "z"};
  lmm_value rows2[] = {NUM(1), NUM(2), NUM(3), NUM(2), NUM(4), NUM(-1), NUM(3), NUM(5), NUM(0.5),
                       NUM(4), NUM(6), NUM(1), NUM(5), NUM(7), NUM(2), NUM(6), NUM(8), NUM(-2)};
  test_table t2 = TABLE(names2, rows2);
  CHECK_INT(load_design("y ~ x*z + I(x^2) + log(x, 2)", NULL, &t2, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    CHECK_STR(xnames_str(d), "(Intercept);x;z;I(x^2);log(x, 2);x:z");
    CHECK_NEAR(X(d, 0, "x:z"), 6, 0);
    CHECK_NEAR(X(d, 1, "x:z"), -4, 0);
    CHECK_NEAR(X(d, 2, "I(x^2)"), 25, 0);
    CHECK_NEAR(X(d, 1, "log(x, 2)"), 2, 1e-15);
    /* scaled by powers of two, each variable's largest magnitude into [0.5, 1): y to 6, x to 8, z to 3,
     * I(x^2) to 64; a product by the sum of its variables' exponents */
    CHECK_INT(d->yexp, 3);
    CHECK_INT(d->xexp[0], 0);
    CHECK_INT(d->xexp[xcol(d, "x")], 4);
    CHECK_INT(d->xexp[xcol(d, "z")], 2);
    CHECK_INT(d->xexp[xcol(d, "I(x^2)")], 7);
    CHECK_INT(d->xexp[xcol(d, "x:z")], 6);
    CHECK_NEAR(lmm_design_x(d, xcol(d, "x:z"), 0), 0.09375, 0);
    CHECK_NEAR(lmm_design_x(d, xcol(d, "x"), 5), 0.5, 0);
  }
  lmm_model_free(m);
}

void test_design_random_terms(void) {
  static const char *names[] = {"y", "x", "g", "a", "b", "f"};
  lmm_value rows[] = {
    NUM(1), NUM(0), NUM(10), TXT("y"), TXT("2"), TXT("p"),
    NUM(2), NUM(1), NUM(2),  TXT("x"), TXT("1"), TXT("q"),
    NUM(3), NUM(2), NUM(10), TXT("x"), TXT("2"), TXT("p"),
    NUM(4), NUM(3), NUM(2),  TXT("y"), TXT("2"), TXT("q"),
    NUM(5), NUM(4), NUM(10), TXT("x"), TXT("1"), TXT("q"),
    NUM(6), NUM(5), NUM(2),  TXT("y"), TXT("2"), TXT("p"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;

  /* a numeric grouping column: levels in numeric order; slope columns */
  CHECK_INT(load_design("y ~ x + (x | g)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    CHECK_INT(d->nre, 1);
    const lmm_reterm *re = reterm(d, "g");
    CHECK(re != NULL);
    if (re) {
      CHECK_INT(re->nlevels, 2);
      CHECK_STR(strs_join(re->levels, re->nlevels), "2;10");
      CHECK_INT(re->g[0], 1);
      CHECK_INT(re->g[1], 0);
      CHECK_INT(re->q, 2);
      CHECK_STR(strs_join(re->cnames, re->q), "(Intercept);x");
      CHECK_NEAR(ldexp(lmm_design_z(m->design, 0, 0, 3), re->zexp[0]), 1, 0);
      CHECK_NEAR(ldexp(lmm_design_z(m->design, 0, 1, 3), re->zexp[1]), 3, 0);
    }
    /* the fixed part does not see the grouping column */
    CHECK_STR(xnames_str(d), "(Intercept);x");
  }
  lmm_model_free(m);

  /* a:b — levels of the interaction, first factor slowest, only those present */
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (1 | a:b)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_reterm *re = reterm(m->design, "a:b");
    CHECK(re != NULL);
    if (re) {
      CHECK_STR(strs_join(re->levels, re->nlevels), "x:1;x:2;y:2");
      CHECK_INT(re->g[0], 2);
      CHECK_INT(re->g[1], 0);
      CHECK_INT(re->g[2], 1);
      CHECK_INT(re->g[4], 0);
    }
  }
  lmm_model_free(m);

  /* lme4's a/b: terms "a" and "b:a" (levels b:a, b slowest) */
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (1 | a/b)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_INT(m->design->nre, 2);
    const lmm_reterm *a = reterm(m->design, "a"), *ba = reterm(m->design, "b:a");
    CHECK(a != NULL);
    CHECK(ba != NULL);
    if (a) CHECK_STR(strs_join(a->levels, a->nlevels), "x;y");
    if (ba) CHECK_STR(strs_join(ba->levels, ba->nlevels), "1:x;2:x;2:y");
  }
  lmm_model_free(m);

  /* factor columns in the random part: (0 + f | g) has every level, (f | g) contrasts */
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (0 + f | g)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design && m->design->nre == 1) CHECK_STR(strs_join(m->design->re[0].cnames, m->design->re[0].q), "fp;fq");
  lmm_model_free(m);
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (f | g)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design && m->design->nre == 1) CHECK_STR(strs_join(m->design->re[0].cnames, m->design->re[0].q), "(Intercept);fq");
  lmm_model_free(m);

  /* (x || g): two terms on one grouping factor, the second named "g.1" as lme4 prints it */
  m = NULL;
  CHECK_INT(load_design("y ~ x + (x || g)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_INT(m->design->nre, 2);
    const lmm_reterm *g0 = reterm(m->design, "g"), *g1 = reterm(m->design, "g.1");
    CHECK(g0 != NULL);
    CHECK(g1 != NULL);
    if (g0) CHECK_STR(strs_join(g0->cnames, g0->q), "(Intercept)");
    if (g1) CHECK_STR(strs_join(g1->cnames, g1->q), "x");
    if (g0 && g1) CHECK(g0->group_vars == g1->group_vars);
  }
  lmm_model_free(m);
}
