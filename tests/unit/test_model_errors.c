/* test_model_errors.c — data lmm_model_fit must refuse, as R refuses it,
 * with a message naming what is wrong. */
#include "harness.h"
#include "helpers.h"

/* Fit must fail with LMM_ERR and a message containing `piece`. */
static void fit_refused(const char *formula, const char *random, const test_table *t, const char *piece, int line) {
  lmm_model *m = NULL;
  lmm_error err = {0};
  int rc = fit_model(formula, random, NULL, t, &m, &err);
  if (rc == LMM_ERR) {
    t_passed++;
    if (strstr(err.msg, piece)) t_passed++;
    else t_fail(__FILE__, line, "%s: message \"%s\" does not contain \"%s\"", formula, err.msg, piece);
  } else {
    t_fail(__FILE__, line, "%s: got status %d, want LMM_ERR (message \"%s\")", formula, rc, rc ? err.msg : "");
  }
  lmm_model_free(m);
}
#define FIT_REFUSED(formula, random, t, piece) fit_refused((formula), (random), (t), (piece), __LINE__)

static const char *names[] = {"y", "x", "g", "id", "f", "h"};
static lmm_value rows[] = {
  /* y       x       g          id         f         h */
  NUM(1.0), NUM(1), TXT("A"), TXT("r1"), TXT("a"), TXT("p"),
  NUM(2.5), NUM(2), TXT("A"), TXT("r2"), TXT("a"), TXT("q"),
  NUM(2.0), NUM(3), TXT("A"), TXT("r3"), TXT("b"), TXT("p"),
  NUM(4.5), NUM(4), TXT("A"), TXT("r4"), TXT("b"), TXT("q"),
  NUM(4.0), NUM(5), TXT("A"), TXT("r5"), TXT("c"), TXT("p"),
  NUM(6.5), NUM(6), TXT("A"), TXT("r6"), TXT("c"), TXT("q"),
};

void test_model_errors_grouping(void) {
  test_table t = TABLE(names, rows);
  /* lme4: "grouping factors must have > 1 sampled level" */
  FIT_REFUSED("y ~ x + (1 | g)", NULL, &t, "'g'");
  FIT_REFUSED("y ~ x + (1 | g)", NULL, &t, "one level");
  FIT_REFUSED("y ~ x", "~ 1 | g", &t, "'g'");
  /* lme4: "number of levels of each grouping factor must be < number of observations" */
  FIT_REFUSED("y ~ x + (1 | id)", NULL, &t, "'id'");
  /* lme4: "number of observations (=6) <= number of random effects (=6)" for (x | f) */
  FIT_REFUSED("y ~ x + (x | f)", NULL, &t, "'f'");
}

static const char *wide_names[] = {"y", "x", "f", "h"};
static lmm_value wide_rows[] = {
  /* y       x       f          h */
  NUM(1.0), NUM(1), TXT("a"), TXT("p"),
  NUM(2.5), NUM(2), TXT("b"), TXT("p"),
  NUM(2.0), NUM(3), TXT("c"), TXT("p"),
  NUM(4.5), NUM(4), TXT("d"), TXT("p"),
  NUM(4.0), NUM(5), TXT("a"), TXT("p"),
  NUM(6.5), NUM(6), TXT("b"), TXT("p"),
  NUM(3.0), NUM(1), TXT("c"), TXT("q"),
  NUM(1.5), NUM(2), TXT("d"), TXT("q"),
  NUM(5.0), NUM(3), TXT("a"), TXT("q"),
  NUM(3.5), NUM(4), TXT("b"), TXT("q"),
  NUM(7.0), NUM(5), TXT("c"), TXT("q"),
  NUM(5.5), NUM(6), TXT("d"), TXT("q"),
};

void test_model_errors_covariance(void) {
  test_table t = TABLE(wide_names, wide_rows);
  /* 4 random effects per level of h (intercept, fb, fc, fd) but 2 levels:
   * 8 random effects fit in 12 rows, yet their 4x4 covariance cannot be
   * estimated (the fuzzer's 30x30 case optimized for minutes) */
  FIT_REFUSED("y ~ x + (f | h)", NULL, &t, "'h' has 2 levels for 4 random effects per level");
  FIT_REFUSED("y ~ x", "~ f | h", &t, "4x4 covariance");
  /* as many levels as random effects per level is allowed */
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ 1 + (x | h)", NULL, NULL, &t, &m, &err), LMM_OK);
  lmm_model_free(m);
}

void test_model_errors_rank(void) {
  test_table t = TABLE(names, rows);
  /* the same column twice under another name (lm() would give NA, lmer()
   * drops it; here it is an error naming the column) */
  FIT_REFUSED("y ~ x + I(2*x)", NULL, &t, "'I(2 * x)'");
  FIT_REFUSED("y ~ x + I(x + 0)", NULL, &t, "'I(x + 0)'");
  /* a combination of earlier columns: I(1 - x) = (Intercept) - x */
  FIT_REFUSED("y ~ x + I(1 - x)", NULL, &t, "'I(1 - x)'");
  /* a constant column after a factor's columns: equal to the intercept */
  FIT_REFUSED("y ~ f + I(x*0 + 1)", NULL, &t, "'I(x * 0 + 1)'");
}

void test_model_errors_data(void) {
  test_table t = TABLE(names, rows);
  /* R's model.matrix: "contrasts can be applied only to factors with 2 or
   * more levels" — a one-level factor g in the fixed part is an error, not
   * a silently empty term */
  FIT_REFUSED("y ~ x + g", NULL, &t, "g");
  /* more coefficients than rows; as many is lm's exact interpolation, as in R, but not gls's */
  FIT_REFUSED("y ~ x + id", NULL, &t, "too many coefficients");
  lmm_model *mi = NULL;
  lmm_error erri;
  CHECK_INT(fit_model("y ~ id", NULL, NULL, &t, &mi, &erri), LMM_OK);
  lmm_model_free(mi);
  mi = NULL;
  CHECK_INT(fit_model("y ~ id", NULL, "method=ML", &t, &mi, &erri), LMM_ERR);
  CHECK(strstr(erri.msg, "rows are too few"));
  lmm_model_free(mi);
  /* an interaction of many-level factors is refused as soon as its columns
   * pass the number of rows, naming the term, before it can claim memory
   * (the fuzzer found y ~ x/g1/g2/... asking for gigabytes) */
  FIT_REFUSED("y ~ id:f:h", NULL, &t, "term 'id:f:h'");
  FIT_REFUSED("y ~ id:f:h", NULL, &t, "more than 6 columns");
  /* a fit with well-posed data succeeds */
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ x + f", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_STR(xnames_str(m->design), "(Intercept);x;fb;fc");
  lmm_model_free(m);
}
