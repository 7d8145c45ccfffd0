/* test_structure_sums.c — the one-pass sums of a residual structure (structure_sums.h) against the rows whitened
 * anew, both by lmm_structure_criterion: the same criterion to 1e-10 at points near and far from an optimum, for
 * varIdent with strata that change within a correlation group, corAR1 with gaps in its integer times, corCAR1, and
 * a correlation reaching 0.95 and going negative; with random effects and without (gls).  nlme's numbers are the SQL tests' (tests/sql/test_structures*). */
#include "harness.h"
#include "helpers.h"
#include "structure.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { NG = 40, PER = 8, N = NG * PER };

/* 40 groups of up to 8 rows: y, x, a time t (integer with gaps, or with two distinct real gaps: real = 1),
 * a stratum s (constant in three groups of four, changing halfway in the fourth) and the group g. */
static int load(const char *random, const char *options, int real, int many_gaps, lmm_model **m, lmm_error *err) {
  static const char *names[] = {"y", "x", "t", "s", "g"};
  static char g[N][12];
  static lmm_value rows[N * 5];
  static const char *strata[] = {"a", "b", "c"};
  uint64_t st = 11;
  int n = 0;
  for (int k = 0; k < NG; k++) {
    double t = 0, b = (double)(k % 7) - 3;
    for (int j = 0; j < PER; j++) {
      double u = (double)(lcg_next(&st) >> 11) * 0x1p-53 - 0.5, v = (double)(lcg_next(&st) >> 11) * 0x1p-53 - 0.5;
      if (many_gaps) t += 1 + (k + j) % 11;
      else if (real) t += j % 3 ? 0.5 : 1.5;
      else t += 1 + ((k + j) % 5 == 0);   /* a gap of 2 now and then */
      if (j == 3 && k % 5 == 1) continue;  /* a row missing: another gap */
      int s = k % 4 == 3 ? (j < PER / 2 ? 0 : 2) : k % 3;
      snprintf(g[n], sizeof g[n], "g%d", k);
      rows[5 * n] = NUM(2 + 0.5 * u * 10 + b + (1 + s) * 3 * v);
      rows[5 * n + 1] = NUM(u * 10);
      rows[5 * n + 2] = NUM(t);
      rows[5 * n + 3] = TXTP(strata[s]);
      rows[5 * n + 4] = TXTP(g[n]);
      n++;
    }
  }
  test_table tb = {5, names, n, rows, 0};
  int rc = load_model("y ~ x + s", random, options, &tb, m, err);
  if (!rc) rc = lmm_frame_finish((*m)->frame, err);
  if (!rc) rc = lmm_design_new((*m)->frame, &(*m)->design, err);
  return rc;
}

/* Both paths' criterion at theta and u: equal to 1e-10 relative (random NULL: a gls, theta unread). */
static void same_criterion(const char *random, const char *options, int real, int reml, double theta, const double *u) {
  lmm_model *m = NULL;
  lmm_error err = {0};
  double summed = 0, whitened = 0;
  CHECK_INT(load(random, options, real, 0, &m, &err), LMM_OK);
  if (m && m->design) {
    int rc = lmm_structure_criterion(m->structure, m->design, reml, &theta, u, &summed, &whitened, &err);
    CHECK_INT(rc, LMM_OK);
    if (rc) fprintf(stderr, "  %s: %s\n", options, err.msg);
    CHECK(isfinite(whitened) && whitened > 0);
    CHECK_NEAR(summed, whitened, 1e-10);
  }
  lmm_model_free(m);
}

static double ar1_param(double phi) { return log((1 + phi) / (1 - phi)); }

void test_structure_sums_ar1_varident(void) {
  static const char *opts = "correlation=corAR1(form = ~ t | g), weights=varIdent(form = ~ 1 | s)";
  double phis[] = {0.5, 0.95, -0.6};
  for (int k = 0; k < 3; k++) {
    double u[] = {log(1.5), log(0.7), ar1_param(phis[k])};
    same_criterion("1|g", opts, 0, 1, 0.8, u);
    same_criterion("1|g", opts, 0, 0, 0.05, u);
    same_criterion(NULL, opts, 0, k % 2, 0, u);
  }
}

void test_structure_sums_car1_and_alone(void) {
  double u1[] = {log(0.3 / 0.7)}, u2[] = {log(0.8 / 0.2)}, u3[] = {log(2.0), log(0.5)}, u4[] = {ar1_param(0.4)};
  same_criterion("1|g", "correlation=corCAR1(form = ~ t | g)", 1, 1, 1.2, u1);
  same_criterion("1|g", "correlation=corCAR1(form = ~ t | g)", 1, 0, 0.3, u2);
  same_criterion(NULL, "correlation=corCAR1(form = ~ t | g)", 1, 1, 0, u2);
  same_criterion("1|g", "weights=varIdent(form = ~ 1 | s)", 0, 1, 0.9, u3);
  same_criterion(NULL, "weights=varIdent(form = ~ 1 | s)", 0, 0, 0, u3);
  same_criterion("1|g", "correlation=corAR1(form = ~ 1 | g)", 0, 1, 0.9, u4);
  double u5[] = {log(0.7), ar1_param(0.6)};   /* stratum b held at 0.6: c's ratio and Phi free */
  same_criterion("1|g", "correlation=corAR1(form = ~ t | g), weights=varIdent(form = ~ 1 | s, fixed = c(b = 0.6))", 0, 1,
                 0.7, u5);
}

/* More distinct gaps than the sums take: the rows are whitened anew, and the criterion says it has no sums. */
void test_structure_sums_refused(void) {
  lmm_model *m = NULL;
  lmm_error err = {0};
  double theta = 1, u[] = {ar1_param(0.3)}, summed = 0, whitened = 0;
  CHECK_INT(load("1|g", "correlation=corAR1(form = ~ t | g)", 0, 1, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_INT(lmm_structure_criterion(m->structure, m->design, 1, &theta, u, &summed, &whitened, &err), LMM_ERR);
    CHECK_CONTAINS(err.msg, "no one-pass sums");
  }
  lmm_model_free(m);
}
