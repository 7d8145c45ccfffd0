/* test_expr.c — parse + deparse round trips (R's deparse()), evaluation of
 * transforms, and the check that only arithmetic functions are used. */
#include "harness.h"
#include "helpers.h"
#include "expr.h"
#include "alloc.h"

#include <stdlib.h>

/* Deparse of the parse of `text`, compared with what R's deparse() prints. */
static void deparse_is(const char *text, const char *want, int line) {
  lmm_expr *e = NULL;
  lmm_error err = {0};
  if (lmm_expr_parse(text, "formula", &e, &err)) {
    t_fail(__FILE__, line, "\"%s\" did not parse: %s", text, err.msg);
    return;
  }
  char *got = lmm_expr_deparse(e);
  if (got && !strcmp(got, want)) t_passed++;
  else t_fail(__FILE__, line, "deparse(%s): got \"%s\", want \"%s\"", text, got ? got : "(null)", want);
  lmm_free(got);
  lmm_expr_free(e);
}
#define DEPARSE_IS(text, want) deparse_is((text), (want), __LINE__)

void test_expr_deparse(void) {
  /* R: deparse(quote(log(1+total_fruits))) */
  DEPARSE_IS("log(1+total_fruits)", "log(1 + total_fruits)");
  DEPARSE_IS("log(1 + total_fruits)", "log(1 + total_fruits)");
  DEPARSE_IS("I(age^2)", "I(age^2)");
  DEPARSE_IS("I(age ^ 2)", "I(age^2)");
  DEPARSE_IS("factor(nutrient)", "factor(nutrient)");
  DEPARSE_IS("factor( nutrient )", "factor(nutrient)");
  DEPARSE_IS("I((a+b)*c)", "I((a + b) * c)");
  DEPARSE_IS("I(a - (b - c))", "I(a - (b - c))");
  DEPARSE_IS("I(-x)", "I(-x)");
  DEPARSE_IS("I(x/2)", "I(x/2)");
  DEPARSE_IS("I(x*0.5)", "I(x * 0.5)");
  DEPARSE_IS("log(y,2)", "log(y, 2)");
  DEPARSE_IS("a/b", "a/b");
  DEPARSE_IS("a : b", "a:b");
  DEPARSE_IS("y~x", "y ~ x");
  DEPARSE_IS("~x", "~x");
  DEPARSE_IS("x|g", "x | g");
  DEPARSE_IS("x||g", "x || g");
  DEPARSE_IS("(1|g)", "(1 | g)");
  /* back-quoted names keep their quotes when they are not syntactic */
  DEPARSE_IS("`my var`", "`my var`");
  DEPARSE_IS("`plain`", "plain");
  DEPARSE_IS("log(`x 1`)", "log(`x 1`)");
}

void test_expr_deparse_numbers(void) {
  /* R prints numbers with up to 15 significant digits, choosing the shorter
   * of fixed and scientific notation: deparse(quote(I(x/100000))) is
   * "I(x/1e+05)" and deparse(quote(I(x*0.0001))) is "I(x * 1e-04)". */
  DEPARSE_IS("I(x/1000)", "I(x/1000)");
  DEPARSE_IS("I(x/100000)", "I(x/1e+05)");
  DEPARSE_IS("I(x*0.0001)", "I(x * 1e-04)");
  DEPARSE_IS("I(x*1.5e3)", "I(x * 1500)");
}

void test_expr_eval(void) {
  lmm_formula *f = parse_ok("log(1 + y) ~ I(a^2) + log(b, 2) + exp(a) + sqrt(b) + I(a/b - 1) + log10(b) + abs(a - b) + I(-a^2)", NULL);
  if (!f) return;
  /* columns in order of appearance */
  CHECK_INT(f->ncols, 3);
  CHECK_STR(strs_join(f->cols, f->ncols), "y;a;b");
  double cv[3] = {0, 0, 0};
  cv[0] = M_E - 1; /* y */
  cv[1] = 3;       /* a */
  cv[2] = 8;       /* b */
  CHECK_NEAR(lmm_expr_eval(f->response, cv), 1.0, 1e-14);
  const char *labels[] = {"I(a^2)", "log(b, 2)", "exp(a)", "sqrt(b)", "I(a/b - 1)", "log10(b)", "abs(a - b)", "I(-a^2)"};
  double want[] = {9, 3, exp(3.0), sqrt(8.0), 3.0 / 8 - 1, log10(8.0), 5, -9 /* R: -a^2 is -(a^2) */};
  for (int i = 0; i < 8; i++) {
    int v = var_index(f, labels[i]);
    CHECK(v >= 0);
    if (v < 0) continue;
    CHECK_INT(f->vars[v].kind, LMM_VAR_NUMERIC);
    CHECK_NEAR(lmm_expr_eval(f->vars[v].ex, cv), want[i], 1e-14);
  }
  lmm_formula_free(f);
}

/* R's pi in arithmetic (nlme's Ovary: sin(2*pi*Time)): a constant that reads
 * no column and prints as R prints it; `pi` back-quoted is a column. */
void test_expr_pi(void) {
  DEPARSE_IS("sin(2*pi*Time)", "sin(2 * pi * Time)");
  lmm_formula *f = parse_ok("y ~ sin(2*pi*Time) + cos(2*pi*Time) + I(`pi`*2)", NULL);
  if (!f) return;
  CHECK_STR(strs_join(f->cols, f->ncols), "y;Time;pi");
  double cv[3] = {0, 0.125, 5};
  int s = var_index(f, "sin(2 * pi * Time)"), c = var_index(f, "cos(2 * pi * Time)"), p = var_index(f, "I(pi * 2)");
  CHECK(s >= 0 && c >= 0 && p >= 0);
  if (s >= 0) CHECK_NEAR(lmm_expr_eval(f->vars[s].ex, cv), sqrt(0.5), 1e-15);
  if (c >= 0) CHECK_NEAR(lmm_expr_eval(f->vars[c].ex, cv), sqrt(0.5), 1e-15);
  if (p >= 0) CHECK_NEAR(lmm_expr_eval(f->vars[p].ex, cv), 10, 1e-15);
  lmm_formula_free(f);
}

void test_expr_check_arith(void) {
  lmm_expr *e = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_expr_parse("foo(x) + log(y)", "formula", &e, &err), LMM_OK);
  CHECK_INT(lmm_expr_check_arith(e, "formula", "foo(x) + log(y)", &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "foo");
  CHECK_CONTAINS(err.msg, "character 1");
  lmm_expr_free(e);

  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("log(x, 2, 3)", "formula", &e, &err), LMM_OK);
  CHECK_INT(lmm_expr_check_arith(e, "formula", "log(x, 2, 3)", &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "log");
  lmm_expr_free(e);

  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("sqrt(a:b)", "formula", &e, &err), LMM_OK);
  CHECK_INT(lmm_expr_check_arith(e, "formula", "sqrt(a:b)", &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "':'");
  lmm_expr_free(e);

  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("I(exp(x) / (1 + x)^2)", "formula", &e, &err), LMM_OK);
  CHECK_INT(lmm_expr_check_arith(e, "formula", "I(exp(x) / (1 + x)^2)", &err), LMM_OK);
  lmm_expr_free(e);
}

/* Text literals and named arguments, printed as R's deparse() prints them (double quotes, ' = '). */
void test_expr_strings(void) {
  DEPARSE_IS("relevel(Sex, 'Male')", "relevel(Sex, \"Male\")");
  DEPARSE_IS("relevel(Sex,ref=\"Male\")", "relevel(Sex, ref = \"Male\")");
  DEPARSE_IS("factor(x, levels = c('a', \"b\"))", "factor(x, levels = c(\"a\", \"b\"))");
  DEPARSE_IS("f('a\\'b', \"q\\\"r\", 'back\\\\slash')", "f(\"a'b\", \"q\\\"r\", \"back\\\\slash\")");
  lmm_expr *e = NULL;
  lmm_error err = {0};
  /* '==' is no named argument (and no operator of a formula) */
  CHECK_INT(lmm_expr_parse("f(x == 1)", "formula", &e, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "character 5");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("y ~ relevel(f, 'a", "formula", &e, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unterminated text");
  CHECK_CONTAINS(err.msg, "character 16");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("y ~ relevel(f, 'a\\", "formula", &e, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unterminated text");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("y ~ relevel(f, 'a\\qb')", "formula", &e, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unknown escape");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_expr_parse("y ~ relevel(f, ref = )", "formula", &e, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "syntax error");
  CHECK(e == NULL);
}
