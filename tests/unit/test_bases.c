/* test_bases.c — scale(), poly(), ns() and bs(): their arguments as formulas give them, what they learn from
 * values, and their values at new points, against R 4.2.2's (the numbers in the comments are R's). */
#include "harness.h"
#include "helpers.h"
#include "bases.h"
#include "formula.h"
#include "alloc.h"

/* The basis of the one variable of "y ~ <term>", or kind -1 when the formula is refused. */
static lmm_numbasis basis_of(const char *term, char *msg, size_t msglen) {
  char text[160];
  snprintf(text, sizeof text, "y ~ %s", term);
  lmm_formula *f = NULL;
  lmm_error err = {0};
  lmm_numbasis b = {.kind = -1};
  if (lmm_formula_parse(text, NULL, &f, &err)) snprintf(msg, msglen, "%s", err.msg);
  else b = f->vars[0].basis;
  lmm_formula_free(f);
  return b;
}

/* "y ~ <term>" is refused with a message that contains fragment. */
static void refused(const char *term, const char *fragment, int line) {
  char msg[512] = "";
  lmm_numbasis b = basis_of(term, msg, sizeof msg);
  if (b.kind == -1 && strstr(msg, fragment)) t_passed++;
  else t_fail(__FILE__, line, "%s: want a refusal with \"%s\", got \"%s\"", term, fragment, msg);
}
#define REFUSED(term, fragment) refused((term), (fragment), __LINE__)

void test_bases_parse(void) {
  char msg[512] = "";
  lmm_numbasis b = basis_of("poly(x, 3)", msg, sizeof msg);
  CHECK_INT(b.kind, LMM_NUMBASIS_POLY);
  CHECK_INT(b.ncols, 3);
  CHECK_INT(b.raw, 0);
  b = basis_of("poly(x, degree = 2, raw = TRUE)", msg, sizeof msg);
  CHECK_INT(b.ncols, 2);
  CHECK_INT(b.raw, 1);
  b = basis_of("scale(x, scale = FALSE)", msg, sizeof msg);
  CHECK_INT(b.kind, LMM_NUMBASIS_SCALE);
  CHECK_INT(b.center, 1);
  CHECK_INT(b.scale, 0);
  b = basis_of("ns(x, 4)", msg, sizeof msg);   /* df by position */
  CHECK_INT(b.ncols, 4);
  b = basis_of("bs(x, df = 5, degree = 2)", msg, sizeof msg);
  CHECK_INT(b.ncols, 5);
  CHECK_INT(b.degree, 2);
  b = basis_of("bs(x)", msg, sizeof msg);   /* R: no df, no knots: degree columns */
  CHECK_INT(b.ncols, 3);
  REFUSED("poly(x, 0)", "poly() takes a whole number from 1 to 50 for 'degree' at character 13");
  REFUSED("bs(x, 3, 4)", "bs() has no argument 'knots' here");
  REFUSED("scale(df = 2)", "scale() needs a column or an expression first");
  REFUSED("ns(x, df = 3, 4)", "ns() has too many arguments");
}

/* Values of basis b settled on x[0..n-1] at t, against want[0..ncols-1]. */
static void values_are(const lmm_numbasis *b, const double *x, size_t n, double t, const double *want, int line) {
  double *coef = NULL, got[LMM_NUMBASIS_MAX_COLS];
  int ncoef = 0;
  lmm_error err = {0};
  if (lmm_numbasis_settle(b, "x", x, n, &coef, &ncoef, &err)) {
    t_fail(__FILE__, line, "settle: %s", err.msg);
    return;
  }
  lmm_numbasis_eval(b, coef, t, got);
  for (int j = 0; j < b->ncols; j++)
    if (t_near(got[j], want[j], 1e-13)) t_passed++;
    else t_fail(__FILE__, line, "at %g column %d: got %.17g, want %.17g", t, j + 1, got[j], want[j]);
  lmm_free(coef);
}
#define VALUES_ARE(b, x, n, t, ...) values_are((b), (x), (n), (t), (const double[]){__VA_ARGS__}, __LINE__)

void test_bases_values(void) {
  const double one5[] = {1, 2, 3, 4, 5};
  lmm_numbasis poly2 = {LMM_NUMBASIS_POLY, 2, 2, 0, 1, 1};
  double *coef = NULL;
  int ncoef = 0;
  lmm_error err = {0};
  /* attr(poly(1:5, 2), "coefs"): alpha 3 3, norm2 1 5 10 14 */
  CHECK_INT(lmm_numbasis_settle(&poly2, "x", one5, 5, &coef, &ncoef, &err), LMM_OK);
  CHECK_INT(ncoef, 6);
  if (ncoef == 6) {
    const double want[] = {3, 3, 1, 5, 10, 14};
    for (int k = 0; k < 6; k++) CHECK_NEAR(coef[k], want[k], 1e-14);
  }
  lmm_free(coef);
  VALUES_ARE(&poly2, one5, 5, 6, 0.94868329805051366, 1.8708286933869704);   /* predict(poly(1:5, 2), 6) */
  lmm_numbasis raw = {LMM_NUMBASIS_POLY, 3, 3, 1, 1, 1};
  VALUES_ARE(&raw, one5, 5, -2, -2, 4, -8);
  const double x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3.3};
  lmm_numbasis sc = {LMM_NUMBASIS_SCALE, 1, 3, 0, 1, 1};
  VALUES_ARE(&sc, x, 11, 1, (1 - 4.3909090909090907) / 2.8949799810895223);
  /* ns(x, df = 3): knots 3.1, 5.6666666666666661; predict at 2.5 and beyond the range at 11 */
  lmm_numbasis ns3 = {LMM_NUMBASIS_NS, 3, 3, 0, 1, 1};
  VALUES_ARE(&ns3, x, 11, 2.5, -0.089328007746853996, 0.52119727848598363, -0.33303941621667549);
  VALUES_ARE(&ns3, x, 11, 11, -0.842128445340425857, 0.53269579359298036, 1.30943265174744616);
  /* bs(x, df = 4): knot 4; at 2.5 and below the range at -1 */
  lmm_numbasis bs4 = {LMM_NUMBASIS_BS, 4, 3, 0, 1, 1};
  VALUES_ARE(&bs4, x, 11, 2.5, 0.58316454475308643, 0.315875771604938294, 0.0482253086419753077, 0);
  VALUES_ARE(&bs4, x, 11, -1, -1.04648919753086433, 0.096450617283950574, -0.0030864197530864196, 0);
  VALUES_ARE(&bs4, x, 11, 9, 0, 0, 0, 1);   /* the right boundary knot closes the last interval */
  /* what a saved model's coef is checked against */
  CHECK_INT(lmm_numbasis_ncoef(&ns3), 4);
  CHECK_INT(lmm_numbasis_ncoef(&raw), 0);
  CHECK(!lmm_numbasis_invalid(&poly2, (const double[]){3, 3, 1, 5, 10, 14}));
  CHECK_STR(lmm_numbasis_invalid(&poly2, (const double[]){3, 3, 1, 5, 0, 14}), "a norm of its polynomials is not positive");
  CHECK_STR(lmm_numbasis_invalid(&ns3, (const double[]){0, 9, 5, 3}), "its knots are not in order within its range");
  CHECK_STR(lmm_numbasis_invalid(&sc, (const double[]){1, NAN}), "a coefficient is not a finite number");
  /* poly's degree must be below the distinct values (R's message) */
  lmm_numbasis poly5 = {LMM_NUMBASIS_POLY, 5, 5, 0, 1, 1};
  CHECK_INT(lmm_numbasis_settle(&poly5, "poly(x, 5)", one5, 5, &coef, &ncoef, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "poly(x, 5): 'degree' must be less than number of unique points (the rows used have 5 distinct");
}

/* named arguments print as R prints them; TRUE and FALSE are constants; pmin and pmax */
void test_bases_expr(void) {
  lmm_formula *f = parse_ok("y ~ poly(x, 2, raw=TRUE) + scale(x,scale=FALSE) + pmin(x, 2) + pmax(x, 2) + poly(x, 2, raw = T)", NULL);
  if (!f) return;
  CHECK_STR(strs_join(f->cols, f->ncols), "y;x");
  CHECK(var_index(f, "poly(x, 2, raw = TRUE)") >= 0);
  CHECK(var_index(f, "scale(x, scale = FALSE)") >= 0);
  double cv[2] = {0, 3};
  int lo = var_index(f, "pmin(x, 2)"), hi = var_index(f, "pmax(x, 2)"), raw = var_index(f, "poly(x, 2, raw = T)");
  CHECK(lo >= 0 && hi >= 0 && raw >= 0);
  if (lo >= 0) CHECK_NEAR(lmm_expr_eval(f->vars[lo].ex, cv), 2, 0);
  if (hi >= 0) CHECK_NEAR(lmm_expr_eval(f->vars[hi].ex, cv), 3, 0);
  if (raw >= 0) CHECK_INT(f->vars[raw].basis.raw, 1);
  lmm_formula_free(f);
  /* an argument name is not a comparison: x == 1 stays a syntax error */
  lmm_expr *e = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_expr_parse("y ~ poly(x == 1)", "formula", &e, &err), LMM_ERR);
  lmm_expr_free(e);
}
