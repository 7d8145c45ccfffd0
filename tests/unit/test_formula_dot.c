/* test_formula_dot.c — '.' in formulas (core/formula_dot.h) and R's %in%: the wanted texts are what R 4.2
 * prints for update(old, new) and formula(lm(y ~ ., data)), and attr(terms(f), "term.labels"). */
#include "harness.h"
#include "helpers.h"
#include "../../core/formula_dot.h"

#include "../../core/alloc.h"

static void update_is(const char *old, const char *new_formula, const char *want, int line) {
  char *got = NULL;
  lmm_error err = {0};
  if (lmm_formula_update(old, new_formula, &got, &err)) t_fail(__FILE__, line, "update(%s, %s): %s", old, new_formula, err.msg);
  else if (strcmp(got, want)) t_fail(__FILE__, line, "update(%s, %s): got \"%s\", want \"%s\"", old, new_formula, got, want);
  else t_passed++;
  lmm_free(got);
}
#define UPDATE_IS(old, new_formula, want) update_is((old), (new_formula), (want), __LINE__)

void test_formula_update(void) {
  UPDATE_IS("y ~ x + z", ". ~ . - z", "y ~ x");
  UPDATE_IS("y ~ x + z", "log(.) ~ .", "log(y) ~ x + z");
  UPDATE_IS("y ~ x*z", ". ~ . + w:x", "y ~ x + z + x:z + x:w");
  UPDATE_IS("y ~ x + z - 1", ". ~ . + w", "y ~ x + z + w - 1");
  UPDATE_IS("y ~ x + (1|g)", ". ~ . + w", "y ~ x + (1 | g) + w");
  UPDATE_IS("y ~ x + (1|g) + (0 + x|h)", ". ~ . - (1|g)", "y ~ x + (0 + x | h)");
  UPDATE_IS("y ~ x + (1|g/h) + (x||k)", ". ~ . + z", "y ~ x + (1 | g/h) + (x || k) + z");
  UPDATE_IS("y ~ x + offset(o)", ". ~ . + w", "y ~ x + w + offset(o)");
  UPDATE_IS("y ~ 0 + x", ". ~ . + w", "y ~ x + w - 1");
  UPDATE_IS("y ~ x", "~ . + w", "y ~ x + w");
  UPDATE_IS("y ~ x", ". ~ .^2 + w", "y ~ x + w");
  UPDATE_IS("log(y) ~ x*z", "sqrt(.) ~ . - x:z", "sqrt(log(y)) ~ x + z");
  UPDATE_IS("y ~ a %in% b", ". ~ .", "y ~ a:b");
  UPDATE_IS("y ~ a/b", ". ~ .", "y ~ a + a:b");
  UPDATE_IS("y ~ (a+b+c)^2", ". ~ .", "y ~ a + b + c + a:b + a:c + b:c");
  UPDATE_IS("y ~ I(x^2) + log(z)", ". ~ .", "y ~ I(x^2) + log(z)");
  UPDATE_IS("y ~ x", ". ~ 1", "y ~ 1");
  UPDATE_IS("y ~ x", ". ~ . - x", "y ~ 1");
  UPDATE_IS("y ~ x", ". ~ . - x - 1", "y ~ 1 - 1");
  UPDATE_IS("y ~ x", ". ~ . - x + offset(o)", "y ~ offset(o)");
  UPDATE_IS("y ~ x + z", ". ~ . + 0", "y ~ x + z - 1");
  UPDATE_IS("y ~ x + z - 1", ". ~ . + 1", "y ~ x + z");
  UPDATE_IS("y ~ `a b` + x", ". ~ . + z", "y ~ `a b` + x + z");
  UPDATE_IS("y + z ~ x", ". ~ .", "y + z ~ x");
  UPDATE_IS("y ~ x + z", ". ~ .:w", "y ~ x:w + z:w");
  UPDATE_IS("log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status", ". ~ . + factor(nutrient):amd",
            "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + factor(nutrient):amd");
  UPDATE_IS("y - x ~ z", "log(.) ~ .", "log(y - x) ~ z");
  UPDATE_IS("y - x ~ z", ". * 2 ~ .", "(y - x) * 2 ~ z");
  char *got = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_formula_update("y ~ x", ". + 1", &got, &err), LMM_ERR);
  CHECK(strstr(err.msg, "needs a '~'") != NULL);
  err = (lmm_error){0};
  CHECK_INT(lmm_formula_update("y ~ x", ". ~ . +", &got, &err), LMM_ERR);
  CHECK(strstr(err.msg, "syntax error") != NULL);
  CHECK(got == NULL);
}

static void expand_is(const char *formula, const char *random, const char *want, int line) {
  static const char *const cols[] = {"y", "a", "B", "g", "h", "o", "x y"};
  char *got = NULL;
  lmm_error err = {0};
  if (lmm_formula_expand_dot(formula, random, 7, cols, &got, &err)) t_fail(__FILE__, line, "%s: %s", formula, err.msg);
  else if (strcmp(got, want)) t_fail(__FILE__, line, "%s: got \"%s\", want \"%s\"", formula, got, want);
  else t_passed++;
  lmm_free(got);
}
#define EXPAND_IS(formula, random, want) expand_is((formula), (random), (want), __LINE__)

void test_formula_expand_dot(void) {
  static const struct { const char *formula; int has; } has[] = {
    {"y ~ .", 1}, {"y ~ `.` + x", 1}, {"y ~ as.factor(x) + I(x * 0.5) + .x", 0}, {"y ~ (", 0},
  };
  for (size_t i = 0; i < sizeof has / sizeof *has; i++) {
    int got = -1;
    lmm_error e = {0};
    CHECK_INT(lmm_formula_has_dot(has[i].formula, &got, &e), LMM_OK);
    CHECK_INT(got, has[i].has);
  }
  EXPAND_IS("y ~ .", NULL, "y ~ (a + B + g + h + o + `x y`)");
  EXPAND_IS("log(y) ~ .*. + (1|g)", NULL,
            "log(y) ~ (a + B + h + o + `x y`)*(a + B + h + o + `x y`) + (1|g)");
  EXPAND_IS("y ~ (.)^2 - a + offset(o)", "1|G/h", "y ~ ((a + B + `x y`))^2 - a + offset(o)");
  EXPAND_IS("y ~ `.` - b", "~ x | g", "y ~ (a + B + h + o + `x y`) - b");
  EXPAND_IS(". ~ .", NULL, ". ~ (y + a + B + g + h + o + `x y`)");   /* the parse refuses the response */
  EXPAND_IS("y ~ x", NULL, "y ~ x");
  char *got = NULL;
  lmm_error err = {0};
  static const char *const two[] = {"y", "g"};
  CHECK_INT(lmm_formula_expand_dot("y ~ x + . + (1|g)", NULL, 2, two, &got, &err), LMM_ERR);
  CHECK(strstr(err.msg, "'.' at character 9") && strstr(err.msg, "there are none"));
  static const char *const quote[] = {"y", "a`b"};
  err = (lmm_error){0};
  CHECK_INT(lmm_formula_expand_dot("y ~ .", NULL, 2, quote, &got, &err), LMM_ERR);
  CHECK(strstr(err.msg, "'a`b'") != NULL);
  lmm_formula *f = NULL;
  err = (lmm_error){0};
  CHECK_INT(lmm_formula_parse("y ~ x + .", NULL, &f, &err), LMM_ERR);
  CHECK(strstr(err.msg, "'.' stands for the columns") && strstr(err.msg, "character 9"));
  err = (lmm_error){0};
  CHECK_INT(lmm_formula_parse("log(.) ~ x", NULL, &f, &err), LMM_ERR);
  CHECK(strstr(err.msg, "old response") && strstr(err.msg, "character 5"));
  err = (lmm_error){0};
  CHECK_INT(lmm_formula_parse("y ~ x", ". | g", &f, &err), LMM_ERR);
  CHECK(strstr(err.msg, "random: '.' stands for") != NULL);
}

/* R: attr(terms(y ~ a + b %in% a), "term.labels") is "a" "a:b"; %in% binds looser than ':' and tighter
 * than '*' (y ~ a*b %in% c is a + b:c + a:b:c). */
void test_formula_in(void) {
  static const struct { const char *formula, *labels; } cases[] = {
    {"y ~ a + b %in% a", "a;a:b"},
    {"y ~ b %in% a + a", "a;b:a"},
    {"y ~ a*b %in% c", "a;b:c;a:b:c"},
    {"y ~ a:b %in% c", "a:b:c"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lmm_formula *f = NULL;
    lmm_error err = {0};
    CHECK_INT(lmm_formula_parse(cases[i].formula, NULL, &f, &err), LMM_OK);
    if (!f) continue;
    const char *got = terms_str(f, &f->fixed);
    if (strcmp(got, cases[i].labels)) t_fail(__FILE__, __LINE__, "%s: got %s, want %s", cases[i].formula, got, cases[i].labels);
    else t_passed++;
    lmm_formula_free(f);
  }
  lmm_expr *e = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_expr_parse("y ~ a %in% b", "formula", &e, &err), LMM_OK);
  char *text = e ? lmm_expr_deparse(e) : NULL;
  CHECK(text && !strcmp(text, "y ~ a %in% b"));
  lmm_free(text);
  lmm_expr_free(e);
  CHECK_INT(lmm_expr_parse("y ~ a %o% b", "formula", &e, &err), LMM_ERR);
  err = (lmm_error){0};
  CHECK_INT(lmm_expr_check_arith(&(lmm_expr){.kind = EX_BINOP, .op = 'I', .nargs = 0}, "formula", "a %in% b", &err), LMM_ERR);
  CHECK(strstr(err.msg, "'%in%'") != NULL);
}
