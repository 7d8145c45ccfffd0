/* test_formula_limits.c — formulas of any length or depth: refused with the limit they pass and the
 * character where they pass it (expr.h, formula.h), or read, and never deeper than a small thread
 * stack allows.  The long texts once overflowed the stack: 60,000 terms on the main thread, 3,000 on a
 * thread of 512 KB. */
#include "harness.h"
#include "helpers.h"
#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>

/* pre item sep item sep ... item post, with n items (malloc'd) */
static char *chain(const char *pre, const char *item, const char *sep, int n, const char *post) {
  size_t li = strlen(item), ls = strlen(sep);
  char *s = malloc(strlen(pre) + (size_t)n * (li + ls) + strlen(post) + 1);
  if (!s) abort();
  char *q = stpcpy(s, pre);
  for (int i = 0; i < n; i++) {
    if (i) q = stpcpy(q, sep);
    q = stpcpy(q, item);
  }
  strcpy(q, post);
  return s;
}

/* `formula` (owned, freed here) with `random` is refused with exactly `want`. */
static void refused_with(char *formula, const char *random, const char *want, int line) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  int rc = lmm_formula_parse(formula, random, &f, &err);
  if (rc != LMM_ERR || f) t_fail(__FILE__, line, "\"%.40s...\": got status %d, want LMM_ERR", formula, rc);
  else if (strcmp(err.msg, want)) t_fail(__FILE__, line, "message\n  got  \"%s\"\n  want \"%s\"", err.msg, want);
  else t_passed++;
  lmm_formula_free(f);
  free(formula);
}
#define REFUSED_WITH(formula, random, want) refused_with((formula), (random), (want), __LINE__)

#define NESTED(what, at, text)                                                                              \
  what " nests deeper than 100 levels at character " #at " ('" text "'): each parenthesis, function call, " \
  "sign and power inside another is a level; write it with fewer, or compute the value in the data query "  \
  "and use its column"
#define TOO_HIGH(what, at, text)                                                                           \
  what " is more than 1000 operators deep at character " #at " ('" text "'): each operator of a chain such " \
  "as a + b + c adds one; group a long chain in parentheses, as in (a + b) + (c + d), or compute the value " \
  "in the data query"

void test_formula_limits_nesting(void) {
  /* the 101st '(' is character 105 */
  REFUSED_WITH(chain("y ~ ", "(", "", 101, "x"), NULL, NESTED("formula", 105, "(x"));
  REFUSED_WITH(chain("y ~ ", "(", "", 100000, "x"), NULL, NESTED("formula", 105, "(((((((((((("));
  /* I() is the first level, its 100th sign (character 106) the 101st */
  REFUSED_WITH(chain("y ~ I(", "-", "", 100000, "x)"), NULL, NESTED("formula", 106, "------------"));
  REFUSED_WITH(chain("y ~ x + I(", "+", "", 100000, "x)"), NULL, NESTED("formula", 110, "++++++++++++"));
  /* x^x^x is x^(x^x): each '^' a level inside the last, the 100th at character 6 + 2 * 100 */
  REFUSED_WITH(chain("y ~ I(", "x", "^", 100000, ")"), NULL, NESTED("formula", 206, "^x^x^x^x^x^x"));
  /* calls in calls: the 101st log( is character 5 + 4 * 100 */
  REFUSED_WITH(chain("y ~ ", "log(", "", 101, "x"), NULL, NESTED("formula", 405, "log(x"));
  REFUSED_WITH(chain("y ~ ", "log(", "", 100000, "x"), NULL, NESTED("formula", 405, "log(log(log("));
  /* every kind counts on the one counter: 50 calls (characters 5-204), 25 signs, then the 26th '(' */
  char *calls = chain("y ~ ", "exp(", "", 50, ""), *signs = chain(calls, "-", "", 25, ""), *mixed = chain(signs, "(", "", 26, "x");
  REFUSED_WITH(mixed, NULL, NESTED("formula", 255, "(x"));
  free(calls);
  free(signs);
  /* the random part has the same limit */
  char *random = chain("1 | ", "(", "", 101, "g");
  REFUSED_WITH(chain("y ~ x", "", "", 0, ""), random, NESTED("random", 105, "(g"));
  free(random);
  /* exactly 100 levels of each are read */
  char *f = chain("y ~ ", "(", "", 100, "x");
  char *g = chain(f, ")", "", 100, "");
  lmm_formula *ok = parse_ok(g, NULL);
  if (ok) CHECK_STR(terms_str(ok, &ok->fixed), "x");
  lmm_formula_free(ok);
  free(f);
  free(g);
}

void test_formula_limits_height(void) {
  /* the 1000th '+' (character 4 + 2 * 1000) makes the chain 1001 nodes high */
  REFUSED_WITH(chain("y ~ ", "x", "+", 60000, ""), NULL, TOO_HIGH("formula", 2004, "+x+x+x+x+x+x"));
  REFUSED_WITH(chain("y ~ ", "x", " - ", 60000, ""), NULL, TOO_HIGH("formula", 4003, "- x - x - x "));
  REFUSED_WITH(chain("y ~ ", "x", ":", 60000, ""), NULL, TOO_HIGH("formula", 2004, ":x:x:x:x:x:x"));
  REFUSED_WITH(chain("y ~ ", "x", "*", 60000, ""), NULL, TOO_HIGH("formula", 2004, "*x*x*x*x*x*x"));
  /* arithmetic, which frame.c evaluates row by row */
  REFUSED_WITH(chain("y ~ I(", "x", "+", 60000, ")"), NULL, TOO_HIGH("formula", 2006, "+x+x+x+x+x+x"));
  REFUSED_WITH(chain("", "y", "*", 60000, " ~ x"), NULL, TOO_HIGH("formula", 2000, "*y*y*y*y*y*y"));
  /* the call and the '~' are levels too: 998 operators, log() and '~' make 1001 */
  REFUSED_WITH(chain("y ~ log(", "x", "+", 999, ")"), NULL, TOO_HIGH("formula", 3, "~ log(x+x+x+"));
  /* random-effect terms, in the formula and in the random part */
  REFUSED_WITH(chain("y ~ (", "x", "+", 60000, " | g)"), NULL, TOO_HIGH("formula", 2005, "+x+x+x+x+x+x"));
  char *random = chain("", "x", "+", 60000, " | g");
  REFUSED_WITH(chain("y ~ x", "", "", 0, ""), random, TOO_HIGH("random", 2000, "+x+x+x+x+x+x"));
  free(random);
  /* the longest chain that is read: 998 operators, 999 nodes under the '~' */
  char *sum = chain("y ~ ", "x", "+", 999, "");
  lmm_formula *f = parse_ok(sum, NULL);
  if (f) {
    CHECK_INT(f->tree->height, 1000);
    CHECK_STR(terms_str(f, &f->fixed), "x");
  }
  lmm_formula_free(f);
  free(sum);
}

void test_formula_limits_nodes(void) {
  /* 20 groups of 500: height 520, but 20,000 nodes; the 10,001st is the '+' at character 10,016 */
  char *group = chain("(", "x", "+", 500, ")"), *groups = chain("y ~ ", group, "+", 20, "");
  REFUSED_WITH(groups, NULL, "formula has more than 10000 names, numbers and operators (the limit is reached at "
                             "character 10016); a model needs far fewer: write interactions as (a + b + c)^2, and "
                             "compute long arithmetic in the data query");
  free(group);
  /* 20,000 arguments of one call */
  REFUSED_WITH(chain("y ~ log(", "x", ",", 20000, ")"), NULL,
               "formula has more than 10000 names, numbers and operators (the limit is reached at character 20005); "
               "a model needs far fewer: write interactions as (a + b + c)^2, and compute long arithmetic in the data "
               "query");
}

void test_formula_limits_terms(void) {
  /* (a*...*j || u/u/.../u): 1024 terms for each of 64 grouping factors once made 65,536 random-effect terms */
  char *us = chain("y ~ 1 + (a*b*c*d*e*f*g*h*i*j || ", "u", "/", 64, ")");
  char *us_msg = chain("formula: the random-effects term with the grouping factor at character 33 makes 65536 random-effect "
                       "terms in all, more than the 256 a model may have ((x || g) makes one per term of x, for each "
                       "grouping factor of g): use fewer terms, or (x | g), in \"", us, "", 1, "\"");
  REFUSED_WITH(us, NULL, us_msg);
  free(us_msg);
  REFUSED_WITH(chain("y ~ 1 + (a*b*c*d*e*f*g*h*i*j || u/v)", "", "", 0, ""), NULL,
               "formula: the random-effects term with the grouping factor at character 33 makes 2048 random-effect "
               "terms in all, more than the 256 a model may have ((x || g) makes one per term of x, for each grouping "
               "factor of g): use fewer terms, or (x | g), in \"y ~ 1 + (a*b*c*d*e*f*g*h*i*j || u/v)\"");
  /* 256 are read (255 terms and the intercept); one more is refused */
  lmm_formula *f = parse_ok("y ~ 1 + (a*b*c*d*e*f*g*h || u)", NULL);
  if (f) CHECK_INT(f->nbars, 256);
  lmm_formula_free(f);
  REFUSED_WITH(chain("y ~ 1 + (a*b*c*d*e*f*g*h || u) + (1 | v)", "", "", 0, ""), NULL,
               "formula: the random-effects term with the grouping factor at character 39 makes 257 random-effect "
               "terms in all, more than the 256 a model may have ((x || g) makes one per term of x, for each grouping "
               "factor of g): use fewer terms, or (x | g), in \"y ~ 1 + (a*b*c*d*e*f*g*h || u) + (1 | v)\"");
  /* the random part's grouping factors count too */
  REFUSED_WITH(chain("y ~ x", "", "", 0, ""), "a*b*c*d*e*f*g*h*i || u",
               "random: the random-effects term with the grouping factor at character 22 makes 512 random-effect terms "
               "in all, more than the 256 a model may have ((x || g) makes one per term of x, for each grouping factor "
               "of g): use fewer terms, or (x | g), in \"a*b*c*d*e*f*g*h*i || u\"");
  /* a grouping factor nests at most 64 levels: of 99 '/', the 65th from the right (the 34th) is character 81 */
  char *deep = chain("y ~ 1 + (1 | ", "u", "/", 100, ")");
  char *deep_msg = chain("formula: a grouping factor may nest at most 64 levels of ':', '/' and parentheses at character 81 "
                         "of \"", deep, "", 1, "\"");
  REFUSED_WITH(deep, NULL, deep_msg);
  free(deep_msg);
  char *nested = chain("y ~ 1 + (1 | ", "u", "/", 64, ")");
  f = parse_ok(nested, NULL);
  if (f) CHECK_INT(f->nbars, 64);
  lmm_formula_free(f);
  free(nested);
  /* fixed terms: counted before each is stored */
  REFUSED_WITH(chain("y ~ a*b*c*d*e*f*g*h*i*j*k", "", "", 0, ""), NULL,
               "formula expands to more than 1024 terms (a*b*c is every interaction of a, b and c, (a + b + c)^2 only "
               "the pairs): write only the interactions the model needs, in \"y ~ a*b*c*d*e*f*g*h*i*j*k\"");
}

/* ---- on a thread with a 512 KB stack ------------------------------------------------------------------- */

/* Parsed (formula owned, freed here), with the terms want_terms (NULL: a single variable labelled as the
 * text after "y ~ "), and the whole tree deparsed: the deepest walks there are. */
static lmm_formula *deep_ok(char *formula, const char *random, const char *want_terms, int line) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  if (lmm_formula_parse(formula, random, &f, &err)) {
    t_fail(__FILE__, line, "\"%.40s...\" did not parse: %s", formula, err.msg);
    free(formula);
    return NULL;
  }
  const lmm_terms *t = random ? &f->bars[0].model : &f->fixed;
  if (!want_terms) {  /* one variable, whose label is the text after "y ~ " */
    if (f->nvars == 1 && !strcmp(f->vars[0].label, formula + 4)) t_passed++;
    else t_fail(__FILE__, line, "the variable of \"%.40s...\" is not labelled as the text", formula);
  } else if (strcmp(terms_str(f, t), want_terms)) t_fail(__FILE__, line, "terms \"%s\", want \"%s\"", terms_str(f, t), want_terms);
  else t_passed++;
  char *text = lmm_expr_deparse(f->tree);
  if (text && strlen(text) > 4) t_passed++;
  else t_fail(__FILE__, line, "no deparse of \"%.40s...\"", formula);
  lmm_free(text);
  free(formula);
  return f;
}
#define DEEP_OK(formula, random, terms) deep_ok((formula), (random), (terms), __LINE__)

static void refused_deep(char *formula, char *random, int line) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  int rc = lmm_formula_parse(formula, random, &f, &err);
  if (rc == LMM_ERR && !f && strstr(err.msg, "deep")) t_passed++;
  else t_fail(__FILE__, line, "\"%.40s...\": status %d, message \"%s\"", random ? random : formula, rc, err.msg);
  lmm_formula_free(f);
  free(formula);
  free(random);
}
#define REFUSED_DEEP(formula, random) refused_deep((formula), (random), __LINE__)

/* The value of the formula's first variable at x (column 1; y is column 0). */
static double first_var_at(const lmm_formula *f, double x) {
  double cols[2] = {0, x};
  return lmm_expr_eval(f->vars[0].ex, cols);
}

static void *deep_formulas(void *arg) {
  (void)arg;
  /* what once overflowed the stack */
  REFUSED_DEEP(chain("y ~ ", "x", "+", 60000, ""), NULL);
  REFUSED_DEEP(chain("y ~ ", "x", ":", 60000, ""), NULL);
  REFUSED_DEEP(chain("y ~ I(", "-", "", 100000, "x)"), NULL);
  REFUSED_DEEP(chain("y ~ I(", "x", "^", 100000, ")"), NULL);
  REFUSED_DEEP(chain("y ~ ", "(", "", 100000, "x"), NULL);
  REFUSED_DEEP(chain("y ~ (", "x", "+", 60000, " | g)"), NULL);
  REFUSED_DEEP(chain("y ~ x", "", "", 0, ""), chain("", "x", "+", 60000, " | g"));
  REFUSED_DEEP(chain("y ~ x", "", "", 0, ""), chain("1 | ", "g", "/", 60000, ""));
  /* the deepest that are read: 1000 nodes high, 100 levels nested */
  lmm_formula_free(DEEP_OK(chain("y ~ ", "x", "+", 999, ""), NULL, "x"));
  lmm_formula_free(DEEP_OK(chain("y ~ ", "x", " - ", 999, ""), NULL, ""));
  lmm_formula_free(DEEP_OK(chain("y ~ ", "x", ":", 999, ""), NULL, "x"));
  lmm_formula_free(DEEP_OK(chain("y ~ ", "x", "*", 999, ""), NULL, "x"));
  char *random = chain("", "x", "+", 999, " | g");
  lmm_formula_free(DEEP_OK(chain("y ~ x", "", "", 0, ""), random, "x"));
  free(random);
  char *open = chain("y ~ ", "(", "", 100, "x");
  lmm_formula_free(DEEP_OK(chain(open, ")", "", 100, ""), NULL, "x"));
  free(open);
  /* arithmetic, evaluated as frame.c evaluates it: 997 '+' under I() and '~' */
  lmm_formula *f = DEEP_OK(chain("y ~ I(", "x", " + ", 998, ")"), NULL, NULL);
  if (f) CHECK_NEAR(first_var_at(f, 1.5), 998 * 1.5, 1e-12);
  lmm_formula_free(f);
  f = DEEP_OK(chain("y ~ I(", "-", "", 99, "x)"), NULL, NULL);
  if (f) CHECK_NEAR(first_var_at(f, 2), -2, 0);
  lmm_formula_free(f);
  f = DEEP_OK(chain("y ~ I(", "x", "^", 99, ")"), NULL, NULL);
  if (f) CHECK_NEAR(first_var_at(f, 1), 1, 0);
  lmm_formula_free(f);
  /* through a model's frame, row by row */
  static const char *names[] = {"y", "x"};
  lmm_value rows[] = {NUM(1), NUM(0.5), NUM(2), NUM(1.5), NUM(3), NUM(2)};
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err = {0};
  char *sum = chain("y ~ I(", "x", "+", 998, ")");
  CHECK_INT(load_model(sum, NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->frame->vars[0].x) CHECK_NEAR(m->frame->vars[0].x[2], 998 * 2.0, 1e-12);
  lmm_model_free(m);
  free(sum);
  return NULL;
}

void test_formula_limits_small_stack(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  CHECK_INT(pthread_attr_setstacksize(&attr, 512 * 1024), 0);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, deep_formulas, NULL);
  CHECK_INT(rc, 0);
  if (!rc) pthread_join(thread, NULL);
  pthread_attr_destroy(&attr);
}
