/* test_contrasts.c — factors leveled and coded as R codes them: contr.poly/sum/helmert's numbers, the column
 * names model.matrix() prints for C(), ordered(), relevel() and factor(x, levels =), and the option contrasts=. */
#include "harness.h"
#include "helpers.h"
#include "contrasts.h"

#include <stdio.h>

/* R: contr.poly(5)[, 4] and contr.poly(12)[c(1, 7, 12), 11], contr.poly(12)[3, 6] */
void test_contrasts_poly(void) {
  double m[12 * 11];
  lmm_contrast_matrix(LMM_CONTR_POLY, 5, m);
  const double c4[] = {0.11952286093343928, -0.47809144373375756, 0.71713716560063634, -0.47809144373375728,
                       0.11952286093343928};
  for (int i = 0; i < 5; i++) CHECK_NEAR(m[3 * 5 + i], c4[i], 1e-14);
  lmm_contrast_matrix(LMM_CONTR_POLY, 12, m);
  CHECK_NEAR(m[10 * 12 + 0], -0.0011906179391451793, 1e-13);
  CHECK_NEAR(m[10 * 12 + 6], -0.5500654878849529084, 1e-13);
  CHECK_NEAR(m[10 * 12 + 11], 0.0011906179391446858, 1e-13);
  CHECK_NEAR(m[5 * 12 + 2], 0.16419739435729658, 1e-13);
  /* Above some 20 levels R's contr.poly, a QR of the Vandermonde matrix, is no longer polynomial in its high
   * columns (off by 0.67 at 30 levels); these are the exact orthonormal polynomials (rational Gram-Schmidt of the
   * powers of the centred scores, then normalized), which the recurrence reaches to 1e-15.  The columns of lower
   * degree, and the span of the others, are R's. */
  double big[30 * 29];
  lmm_contrast_matrix(LMM_CONTR_POLY, 30, big);
  CHECK_NEAR(big[24 * 30 + 0], -3.6172450569284979e-06, 1e-14);
  CHECK_NEAR(big[24 * 30 + 7], 0.28255299000373857, 1e-14);
  CHECK_NEAR(big[24 * 30 + 29], 3.6172450569284979e-06, 1e-14);
  CHECK_NEAR(big[28 * 30 + 0], -5.7670408345948656e-09, 1e-14);
  CHECK_NEAR(big[28 * 30 + 7], 0.0090010819938189743, 1e-14);
  char buf[16];
  CHECK_STR(lmm_contrast_suffix(LMM_CONTR_POLY, 0, buf), ".L");
  CHECK_STR(lmm_contrast_suffix(LMM_CONTR_POLY, 2, buf), ".C");
  CHECK_STR(lmm_contrast_suffix(LMM_CONTR_POLY, 3, buf), "^4");
  CHECK_STR(lmm_contrast_suffix(LMM_CONTR_SUM, 1, buf), "2");
}

/* R: contr.sum(4), contr.helmert(4) */
void test_contrasts_sum_helmert(void) {
  double m[4 * 3];
  lmm_contrast_matrix(LMM_CONTR_SUM, 4, m);
  const double sum[] = {1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 1, -1};
  for (int i = 0; i < 12; i++) CHECK_NEAR(m[i], sum[i], 0);
  lmm_contrast_matrix(LMM_CONTR_HELMERT, 4, m);
  const double helmert[] = {-1, 1, 0, 0, -1, -1, 2, 0, -1, -1, -1, 3};
  for (int i = 0; i < 12; i++) CHECK_NEAR(m[i], helmert[i], 0);
  int kind, base;
  CHECK_INT(lmm_contrast_named("contr.SAS", &kind, &base), 1);
  CHECK_INT(kind, LMM_CONTR_TREATMENT);
  CHECK_INT(base, LMM_CONTR_BASE_LAST);
  CHECK_INT(lmm_contrast_named("contr.foo", &kind, &base), 0);
}

static const char *fg_names[] = {"y", "f", "g", "x"};
static lmm_value fg_rows[] = {
  NUM(2), TXT("a"), TXT("x"), NUM(1), NUM(4), TXT("b"), TXT("x"), NUM(2), NUM(1), TXT("c"), TXT("x"), NUM(3),
  NUM(5), TXT("a"), TXT("y"), NUM(4), NUM(3), TXT("b"), TXT("y"), NUM(5), NUM(6), TXT("c"), TXT("y"), NUM(6),
  NUM(8), TXT("c"), TXT("y"), NUM(7), NUM(7), TXT("a"), TXT("x"), NUM(8), NUM(9), TXT("b"), TXT("y"), NUM(9),
};

static int load_with(const char *formula, const char *options, lmm_model **m, lmm_error *err) {
  test_table t = TABLE(fg_names, fg_rows);
  int rc = load_model(formula, NULL, options, &t, m, err);
  if (!rc) rc = lmm_frame_finish((*m)->frame, err);
  if (!rc) rc = lmm_design_new((*m)->frame, &(*m)->design, err);
  return rc;
}

/* What lmm_design_new makes of formula with options (contrasts=): colnames(model.matrix()) joined by ';', or
 * "error: " and the message */
static char *outcome(const char *formula, const char *options) {
  static char buf[1024];
  lmm_model *m = NULL;
  lmm_error err = {0};
  if (load_with(formula, options, &m, &err)) snprintf(buf, sizeof buf, "error: %s", err.msg);
  else snprintf(buf, sizeof buf, "%s", xnames_str(m->design));
  lmm_model_free(m);
  return buf;
}

/* R 4.2's colnames(model.matrix()) */
#define NAMES_ARE(formula, options, want) CHECK_STR(outcome((formula), (options)), (want))
#define REFUSED(formula, options, fragment) CHECK_CONTAINS(outcome((formula), (options)), (fragment))

void test_contrasts_names(void) {
  NAMES_ARE("y ~ relevel(f, 'b') + x", NULL, "(Intercept);relevel(f, \"b\")a;relevel(f, \"b\")c;x");
  NAMES_ARE("y ~ relevel(f, ref = \"b\")", NULL, "(Intercept);relevel(f, ref = \"b\")a;relevel(f, ref = \"b\")c");
  NAMES_ARE("y ~ factor(f, levels = c('c','a','b'))", NULL,
            "(Intercept);factor(f, levels = c(\"c\", \"a\", \"b\"))a;factor(f, levels = c(\"c\", \"a\", \"b\"))b");
  NAMES_ARE("y ~ C(f, contr.sum) * x", NULL,
            "(Intercept);C(f, contr.sum)1;C(f, contr.sum)2;x;C(f, contr.sum)1:x;C(f, contr.sum)2:x");
  /* no contrasts where the term needs every level: indicators named by level, whatever the contrasts */
  NAMES_ARE("y ~ C(f, contr.helmert):g", NULL,
            "(Intercept);C(f, contr.helmert)a:gx;C(f, contr.helmert)b:gx;C(f, contr.helmert)c:gx;"
            "C(f, contr.helmert)a:gy;C(f, contr.helmert)b:gy;C(f, contr.helmert)c:gy");
  NAMES_ARE("y ~ 0 + ordered(f)", NULL, "ordered(f)a;ordered(f)b;ordered(f)c");
  NAMES_ARE("y ~ ordered(f) * g", NULL, "(Intercept);ordered(f).L;ordered(f).Q;gy;ordered(f).L:gy;ordered(f).Q:gy");
  NAMES_ARE("y ~ factor(f, ordered = TRUE)", NULL, "(Intercept);factor(f, ordered = TRUE).L;factor(f, ordered = TRUE).Q");
  /* C(f, contr.treatment, base = 2) calls contr.treatment(3, base = 2): columns named by number */
  NAMES_ARE("y ~ C(f, contr.treatment, base = 2)", NULL,
            "(Intercept);C(f, contr.treatment, base = 2)1;C(f, contr.treatment, base = 2)3");
  NAMES_ARE("y ~ C(f, base = 2)", NULL, "(Intercept);C(f, base = 2)1;C(f, base = 2)3");
  NAMES_ARE("y ~ C(f, treatment)", NULL, "(Intercept);C(f, treatment)b;C(f, treatment)c");
  NAMES_ARE("y ~ C(f, SAS)", NULL, "(Intercept);C(f, SAS)a;C(f, SAS)b");
  NAMES_ARE("y ~ C(f, \"contr.sum\")", NULL, "(Intercept);C(f, \"contr.sum\")1;C(f, \"contr.sum\")2");
  NAMES_ARE("y ~ C(f, poly)", NULL, "(Intercept);C(f, poly).L;C(f, poly).Q");
  /* R: options(contrasts = c("contr.sum", "contr.poly")); model.matrix(~ f*g + ordered(f)) */
  NAMES_ARE("y ~ f*g + ordered(f)", "contrasts=sum", "(Intercept);f1;f2;g1;ordered(f).L;ordered(f).Q;f1:g1;f2:g1");
  NAMES_ARE("y ~ C(f, treatment) + g", "contrasts=sum", "(Intercept);C(f, treatment)b;C(f, treatment)c;g1");
}

void test_contrasts_values(void) {
  lmm_model *m = NULL;
  lmm_error err;
  /* R: model.matrix(~ C(f, contr.helmert) * x + relevel(g, "y"))[c(1, 3, 7), ] on fg_rows */
  CHECK_INT(load_with("y ~ C(f, contr.helmert) * x + relevel(g, \"y\")", NULL, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_design *d = m->design;
    CHECK_STR(xnames_str(d), "(Intercept);C(f, contr.helmert)1;C(f, contr.helmert)2;x;relevel(g, \"y\")x;"
              "C(f, contr.helmert)1:x;C(f, contr.helmert)2:x");
    const double want[3][7] = {{1, -1, -1, 1, 1, -1, -1}, {1, 0, 2, 3, 1, 0, 6}, {1, 0, 2, 7, 0, 0, 14}};
    uint32_t idx[3] = {0, 2, 6};
    double B[3 * 7];
    lmm_design_x_rows(d, idx, 0, 3, B, 3);
    for (int r = 0; r < 3; r++)
      for (int j = 0; j < 7 && d->p == 7; j++) {
        CHECK_NEAR(ldexp(lmm_design_x(d, j, idx[r]), d->xexp[j]), want[r][j], 0);
        CHECK_NEAR(ldexp(B[j * 3 + r], d->xexp[j]), want[r][j], 0);
      }
  }
  lmm_model_free(m);
  /* the levels in the order given, and rows of other values dropped (R's NA) */
  m = NULL;
  CHECK_INT(load_with("y ~ factor(f, levels = c('c', 'a'))", NULL, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_INT((int)m->design->n, 6);
    CHECK_INT((int)m->frame->ndropped, 3);
    CHECK_STR(xnames_str(m->design), "(Intercept);factor(f, levels = c(\"c\", \"a\"))a");
  }
  lmm_model_free(m);
}

void test_contrasts_errors(void) {
  REFUSED("y ~ relevel(f, 'q')", NULL, "ref 'q' is not a level (the levels: a, b, c)");
  REFUSED("y ~ relevel(f, 4)", NULL, "ref 4 is beyond its 3 levels");
  REFUSED("y ~ factor(f, levels = c('a', 'z'))", NULL, "level 'z' of levels = is not in the rows used");
  REFUSED("y ~ factor(f, levels = c('a', 'a'))", NULL, "level 'a' is listed twice");
  REFUSED("y ~ factor(f, levels = x)", NULL, "levels must be texts or numbers");
  REFUSED("y ~ C(f, contr.foo)", NULL, "unknown contrasts at character 10");
  REFUSED("y ~ C(f, contr.foo)", NULL, "contr.sum");
  REFUSED("y ~ C(f, contr.treatment(base = 2))", NULL, "write C(f, contr.treatment, base = 2)");
  REFUSED("y ~ C(f, contr.sum, base = 2)", NULL, "base = is an argument of contr.treatment only");
  REFUSED("y ~ C(f, base = 4)", NULL, "base 4 is beyond its 3 levels");
  REFUSED("y ~ C(f, contr.sum, 2)", NULL, "how.many");
  REFUSED("y ~ relevel(ordered(f), 'b')", NULL, "unordered factors only");
  REFUSED("y ~ factor(f, labels = 'q')", NULL, "with labels is not supported");
  REFUSED("y ~ factor(f, lvls = 'q')", NULL, "factor() has no argument 'lvls'");
  REFUSED("y ~ relevel(f, 'a', 'b')", NULL, "relevel() takes at most 2 arguments");
  REFUSED("y ~ factor(f, ordered = maybe)", NULL, "ordered must be TRUE or FALSE");
  REFUSED("y ~ 'a'", NULL, "a text is not a term");
  REFUSED("y ~ log('a')", NULL, "the text 'a' at character 9");
  REFUSED("y ~ f", "contrasts=foo", "contrasts must be sum, helmert, poly or treatment");
}
