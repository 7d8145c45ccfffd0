/* test_kenward_roger.c — Kenward-Roger's adjusted covariance, t-test df and F tests against pbkrtest 0.5.2
 * (vcovAdj, KRmodcomp) and lmerTest 3.1 (summary with ddf = "Kenward-Roger") on a small made-up design,
 * y ~ x + f + (x|g): 8 groups of 6 rows, x = i %% 6, f of 3 levels.  The values are
 * tests/reference/kr_modcomp.json, from tests/reference/make_kenward_roger.R on the same rows (lme4 fitted by
 * REML with bobyqa at rhoend 1e-12). */
#include "harness.h"
#include "helpers.h"
#include "kenward_roger.h"

#include <stdio.h>

static int make_model(const char *options, lmm_model **m, lmm_error *err) {
  static const char *names[] = {"y", "x", "f", "g"};
  static char g[48][8], f[48][8];
  static lmm_value rows[48 * 4];
  for (int i = 0; i < 48; i++) {
    snprintf(g[i], sizeof g[i], "g%d", i / 6);
    snprintf(f[i], sizeof f[i], "%c", 'a' + i % 3);
    double x = i % 6;
    double y = 1 + 0.5 * x + 0.7 * (i % 3) + ((i / 6) % 3 - 1) * 1.1 + 0.2 * x * ((i / 6) % 4 - 1.5) + ((i * 37) % 11) / 10.0;
    rows[4 * i] = NUM(y);
    rows[4 * i + 1] = NUM(x);
    rows[4 * i + 2] = TXTP(f[i]);
    rows[4 * i + 3] = TXTP(g[i]);
  }
  test_table t = TABLE(names, rows);
  return fit_model("y ~ x + f + (x|g)", NULL, options, &t, m, err);
}

void test_kenward_roger_tests(void) {
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(make_model(NULL, &m, &err), LMM_OK);
  lmm_kr *k = NULL;
  if (m && m->fit && !lmm_kr_new(m->design, m->fit, NULL, &k, &err)) {
    static const double vadj[16] = {
      0.129939707943752, -0.00502669816618684, -0.00630208353357942, -0.00450148823827096,
      -0.00502669816618686, 0.0064721715560939, -0.00120039686353892, -0.00240079372707785,
      -0.00630208353357943, -0.00120039686353892, 0.0174057545213144, 0.0105034725559656,
      -0.00450148823827097, -0.00240079372707785, 0.0105034725559656, 0.0210069451119312};
    static const double df[4] = {7.25569962794551, 7.63000975293145, 30, 30};
    for (int e = 0; e < 16; e++) CHECK_NEAR(lmm_kr_vcov(k)[e], vadj[e], 1e-5);
    /* the unadjusted covariance is the fit's */
    for (int e = 0; e < 16; e++) CHECK_NEAR(lmm_kr_vcov_unadjusted(k)[e], m->fit->vcov[e], 1e-8);
    double l[4] = {0};
    for (int j = 0; j < 4; j++) {
      l[j] = 1;
      CHECK_NEAR(lmm_kr_df(k, l), df[j], 1e-5);
      l[j] = 0;
    }
    /* KRmodcomp: y ~ x + f against y ~ x (f's two rows), and against y ~ 1 (x's and f's) */
    static const double Lf[2 * 4] = {0, 0, 0, 0, 1, 0, 0, 1};
    static const double Lxf[3 * 4] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    static const struct { const double *L; int q; double F, ddf, scale, p; } want[] = {
      {Lf, 2, 56.4593186835312, 30, 1, 6.76839690373257e-11},
      {Lxf, 3, 58.4702402974143, 20.3862640219213, 0.953900089098569, 3.43570753229074e-10}};
    lmm_ftest ft;
    double scale;
    for (int c = 0; c < 2; c++) {
      CHECK_INT(lmm_kr_ftest(k, m->fit->beta, want[c].L, want[c].q, &ft, &scale, &err), LMM_OK);
      CHECK_NEAR(ft.F, want[c].F, 1e-5);
      CHECK_INT(ft.ndf, want[c].q);
      CHECK_NEAR(ft.ddf, want[c].ddf, 1e-5);
      CHECK_NEAR(scale, want[c].scale, 1e-5);
      CHECK_NEAR(ft.p_value, want[c].p, 1e-3);
    }
    /* one row: F = t^2 with the adjusted standard error, on the t test's df */
    static const double Lx[4] = {0, 1, 0, 0};
    CHECK_INT(lmm_kr_ftest(k, m->fit->beta, Lx, 1, &ft, &scale, &err), LMM_OK);
    double t = m->fit->beta[1] / sqrt(vadj[5]);
    CHECK_NEAR(ft.F / scale, t * t, 1e-5);
    CHECK_NEAR(ft.ddf, df[1], 1e-5);
    /* dependent rows are refused */
    static const double Ldep[2 * 4] = {0, 0, 1, 2, 0, 0, 0, 0};
    CHECK_INT(lmm_kr_ftest(k, m->fit->beta, Ldep, 2, &ft, &scale, &err), LMM_ERR);
    CHECK_CONTAINS(err.msg, "not linearly independent");
  } else {
    CHECK_INT(1, 0);
  }
  lmm_kr_free(k);
  lmm_model_free(m);
  /* KR is for REML fits, as lmerTest says */
  m = NULL;
  err = (lmm_error){0};
  CHECK_INT(make_model("method=ML", &m, &err), LMM_OK);
  if (m && m->fit) {
    CHECK_INT(lmm_kr_new(m->design, m->fit, NULL, &k, &err), LMM_ERR);
    CHECK_CONTAINS(err.msg, "defined for REML fits");
  }
  lmm_model_free(m);
}
