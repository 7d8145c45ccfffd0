/* test_formula_terms.c — the fixed part of a formula as R's terms() reads it:
 * attr(terms(f), "term.labels") and attr(terms(f), "intercept"). */
#include "harness.h"
#include "helpers.h"

/* Term labels (joined by ';') and the intercept of a formula's fixed part. */
static void terms_are(const char *formula, const char *labels, int intercept, int line) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  if (lmm_formula_parse(formula, NULL, &f, &err)) {
    t_fail(__FILE__, line, "\"%s\" did not parse: %s", formula, err.msg);
    return;
  }
  const char *got = terms_str(f, &f->fixed);
  if (!strcmp(got, labels)) t_passed++;
  else t_fail(__FILE__, line, "terms(%s): got \"%s\", want \"%s\"", formula, got, labels);
  if (f->fixed.intercept == intercept) t_passed++;
  else t_fail(__FILE__, line, "intercept of %s: got %d, want %d", formula, f->fixed.intercept, intercept);
  lmm_formula_free(f);
}
#define TERMS_ARE(formula, labels, intercept) terms_are((formula), (labels), (intercept), __LINE__)

void test_terms_expansion(void) {
  TERMS_ARE("y ~ x", "x", 1);
  TERMS_ARE("y ~ a*b", "a;b;a:b", 1);
  TERMS_ARE("y ~ a/b", "a;a:b", 1);
  TERMS_ARE("y ~ (a+b)/c", "a;b;a:b:c", 1);
  TERMS_ARE("y ~ (a+b+c)^2", "a;b;c;a:b;a:c;b:c", 1);
  TERMS_ARE("y ~ (a+b+c)^3", "a;b;c;a:b;a:c;b:c;a:b:c", 1);
  TERMS_ARE("y ~ a*b*c", "a;b;c;a:b;a:c;b:c;a:b:c", 1);
  TERMS_ARE("y ~ a*b - a:b", "a;b", 1);
  TERMS_ARE("y ~ a + b - a", "b", 1);
  TERMS_ARE("y ~ a + a", "a", 1);
  TERMS_ARE("y ~ a:b + a", "a;a:b", 1);            /* ordered by degree */
  TERMS_ARE("y ~ a + a:b + b", "a;b;a:b", 1);
  TERMS_ARE("y ~ (a + b)", "a;b", 1);
  TERMS_ARE("y ~ 1", "", 1);
  /* removal keeps the order of the rest, and what was removed comes back last (R 4.2) */
  TERMS_ARE("y ~ (a+b+c+d)^2 - a:b - c + a:b", "a;b;d;a:c;a:d;b:c;b:d;c:d;a:b", 1);
}

/* A product of ten factors raised to the 16th: 1023 terms (1024 with k, as
 * in R 4.2), every candidate of the power tested against every term (the
 * fuzzer's slowest formula). */
void test_terms_large_power(void) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_formula_parse("y ~ (a*b*c*d*e*f*g*h*i*j)^16 + k", NULL, &f, &err), LMM_OK);
  if (!f) return;
  CHECK_INT(f->fixed.nterms, 1024);
  int ordered = 1;
  for (int i = 1; i < f->fixed.nterms; i++) ordered &= lmm_term_order(f->fixed.terms[i - 1]) <= lmm_term_order(f->fixed.terms[i]);
  CHECK(ordered);
  lmm_formula_free(f);
  CHECK_INT(lmm_formula_parse("y ~ (a*b*c*d*e*f*g*h*i*j*k)^2", NULL, &f, &err), LMM_ERR);
  CHECK(strstr(err.msg, "more than 1024 terms") != NULL);
  lmm_formula_free(f);
}

void test_terms_intercept(void) {
  TERMS_ARE("y ~ 0 + x", "x", 0);
  TERMS_ARE("y ~ x + 0", "x", 0);
  TERMS_ARE("y ~ x - 1", "x", 0);
  TERMS_ARE("y ~ -1 + x", "x", 0);
  TERMS_ARE("y ~ 1 + x", "x", 1);
  TERMS_ARE("y ~ x - 0", "x", 1);                   /* "- 0" keeps the intercept */
  TERMS_ARE("y ~ 0 + x + 1", "x", 1);               /* R: the later "+ 1" wins */
  TERMS_ARE("y ~ 0", "", 0);
}

void test_terms_interaction_order(void) {
  /* Variables of an interaction are in order of first appearance in the
   * formula: terms(y ~ b + a + a:b) labels the interaction "b:a". */
  lmm_formula *f = parse_ok("y ~ b + a + a:b", NULL);
  if (!f) return;
  CHECK_INT(f->nvars, 2);
  CHECK_STR(f->vars[0].label, "b");
  CHECK_STR(f->vars[1].label, "a");
  CHECK_INT(f->fixed.nterms, 3);
  CHECK_INT(f->fixed.terms[0], 1);       /* b */
  CHECK_INT(f->fixed.terms[1], 2);       /* a */
  CHECK_INT(f->fixed.terms[2], 3);       /* {b, a} */
  CHECK_STR(terms_str(f, &f->fixed), "b;a;b:a");
  CHECK_INT(lmm_term_order(f->fixed.terms[2]), 2);
  lmm_formula_free(f);

  TERMS_ARE("y ~ x:w + w:x", "x:w", 1);
  TERMS_ARE("y ~ c + b*a", "c;b;a;b:a", 1);
}

void test_terms_labels(void) {
  lmm_formula *f = parse_ok("log(1+total_fruits) ~ factor(nutrient) + I(age^2) + amd + as.factor(rack) + log(x, 2)", NULL);
  if (f) {
    CHECK_STR(f->response_label, "log(1 + total_fruits)");
    CHECK_STR(terms_str(f, &f->fixed), "factor(nutrient);I(age^2);amd;as.factor(rack);log(x, 2)");
    int v = var_index(f, "factor(nutrient)");
    CHECK(v >= 0);
    if (v >= 0) {
      CHECK_INT(f->vars[v].kind, LMM_VAR_FACTOR);
      /* the value of factor(e) is e */
      CHECK_INT(f->vars[v].ex->kind, EX_NAME);
      CHECK_STR(f->vars[v].ex->name, "nutrient");
    }
    if ((v = var_index(f, "as.factor(rack)")) >= 0) CHECK_INT(f->vars[v].kind, LMM_VAR_FACTOR);
    else CHECK(!"as.factor(rack) is a variable");
    if ((v = var_index(f, "I(age^2)")) >= 0) CHECK_INT(f->vars[v].kind, LMM_VAR_NUMERIC);
    else CHECK(!"I(age^2) is a variable");
    if ((v = var_index(f, "amd")) >= 0) CHECK_INT(f->vars[v].kind, LMM_VAR_PLAIN);
    else CHECK(!"amd is a variable");
    lmm_formula_free(f);
  }
  /* back-quoted names: the label keeps the quotes (R's term label is
   * "`x 1`"), the column name does not */
  f = parse_ok("`my y` ~ `x 1` + `b`", NULL);
  if (f) {
    CHECK_STR(f->response_label, "`my y`");
    CHECK_STR(terms_str(f, &f->fixed), "`x 1`;b");
    CHECK_INT(f->ncols, 3);
    CHECK_STR(strs_join(f->cols, f->ncols), "my y;x 1;b");
    lmm_formula_free(f);
  }
}

void test_formula_columns(void) {
  /* distinct columns, in order of appearance, the response first */
  lmm_formula *f = parse_ok("log(1 + total_fruits) ~ factor(nutrient) * amd + rack + (1 | popu/gen)", NULL);
  if (f) {
    CHECK_STR(strs_join(f->cols, f->ncols), "total_fruits;nutrient;amd;rack;popu;gen");
    lmm_formula_free(f);
  }
  f = parse_ok("y ~ b + I(a*b) + a + log(y + a) + (a | g)", NULL);
  if (f) {
    CHECK_STR(strs_join(f->cols, f->ncols), "y;b;a;g");
    lmm_formula_free(f);
  }
  f = parse_ok("y ~ x", "~ x | g");
  if (f) {
    CHECK_STR(strs_join(f->cols, f->ncols), "y;x;g");
    lmm_formula_free(f);
  }
}
