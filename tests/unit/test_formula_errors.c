/* test_formula_errors.c — formulas that must be refused, with a message
 * naming the character position and the offending text. */
#include "harness.h"
#include "helpers.h"

#include <stdarg.h>

/* The formula must fail with LMM_ERR and a message containing each of the
 * given pieces (NULL-terminated). */
static void refused(const char *formula, const char *random, int line, ...) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  int rc = lmm_formula_parse(formula, random, &f, &err);
  if (rc != LMM_ERR || f) {
    t_fail(__FILE__, line, "\"%s\" (random \"%s\"): got status %d, want LMM_ERR", formula, random ? random : "", rc);
    lmm_formula_free(f);
    return;
  }
  t_passed++;
  va_list ap;
  va_start(ap, line);
  for (const char *piece; (piece = va_arg(ap, const char *));) {
    if (strstr(err.msg, piece)) t_passed++;
    else t_fail(__FILE__, line, "message for \"%s\": \"%s\" does not contain \"%s\"", formula, err.msg, piece);
  }
  va_end(ap);
}
#define REFUSED(formula, random, ...) refused((formula), (random), __LINE__, __VA_ARGS__, (const char *)NULL)

void test_formula_syntax_errors(void) {
  /* the '*' at character 8 cannot start a term */
  REFUSED("y ~ x +* z", NULL, "character 8", "* z");
  /* the ')' is missing at the end of the text */
  REFUSED("y ~ (x", NULL, "character 7", "')'");
  /* two terms with no operator between them */
  REFUSED("y x", NULL, "character 3", "'x'");
  REFUSED("y ~ x z", NULL, "character 7", "'z'");
  REFUSED("y ~ x)", NULL, "character 6", ")");
  REFUSED("y ~ x +", NULL, "character 8");
  REFUSED("y ~ x $ z", NULL, "character 7", "$");
  /* pi is R's constant: it cannot be a term */
  REFUSED("y ~ x + pi", NULL, "character 9", "pi is a constant");
  REFUSED("y ~ log(x", NULL, "character 10");
  REFUSED("y ~ `x", NULL, "character 5", "`x");
  REFUSED("", NULL, "empty");
  REFUSED("y ~ x", "1 | ", "random", "character 5");
}

void test_formula_semantic_errors(void) {
  /* no response */
  REFUSED("~ x", NULL, "response");
  REFUSED("x", NULL, "response");
  /* unknown function */
  REFUSED("y ~ foo(x)", NULL, "foo", "character 5");
  REFUSED("foo(y) ~ x", NULL, "foo", "character 1");
  /* numbers other than 0 and 1 */
  REFUSED("y ~ x + 2", NULL, "character 9");
  /* bars must be in parentheses and not inside interactions */
  REFUSED("y ~ x | g", NULL, "character 7", "(1 | g)");
  REFUSED("y ~ x:(1 | g)", NULL, "character 7");
  /* only one ~ */
  REFUSED("y ~ x ~ z", NULL, "character 7");
  /* a power must be a whole number */
  REFUSED("y ~ (a + b)^c", NULL, "character 13");
  /* the random part takes no response */
  REFUSED("y ~ x", "y ~ 1 | g", "random", "response");
  /* the grouping must be columns */
  REFUSED("y ~ x + (1 | g + h)", NULL, "grouping");
  /* factor() takes one argument */
  REFUSED("y ~ factor(a, b)", NULL, "factor");
  /* a random term needs a column */
  REFUSED("y ~ x + (0 | g)", NULL, "character 10");
}
