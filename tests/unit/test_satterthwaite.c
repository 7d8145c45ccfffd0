/* test_satterthwaite.c — lmerTest's t and F tests with Satterthwaite's df (contest1D, contestMD) on a
 * small made-up design, y ~ x + f + (1|g): 6 groups of 4 rows, f of 3 levels crossing them.  R's values
 * from lmerTest 3.1 on the same rows, lme4 fitted with bobyqa at rhoend 1e-12:
 *
 *   i <- 0:23
 *   d <- data.frame(g = paste0("g", i %/% 4), f = letters[i %% 3 + 1], x = i %% 4,
 *                   y = 1 + 0.5 * (i %% 4) + (i %% 3) * 0.7 + ((i %/% 4) %% 3 - 1) * 1.1 + ((i * 37) %% 11) / 10)
 *   m <- lmer(y ~ x + f + (1|g), d, control = lmerControl("bobyqa", optCtrl = list(rhoend = 1e-12)))
 *   summary(m); contestMD(m, rbind(c(0, 0, 1, 0), c(0, 0, 0, 1)))
 *   contestMD(m, rbind(c(0, 1, 0, 0), c(0, 0, 1, -1), c(1, 0, 0, 0)))
 */
#include "harness.h"
#include "helpers.h"
#include "satterthwaite.h"

#include <stdio.h>

typedef struct stop_after { int k; int *asked; } stop_after;

static int stop_at(void *ctx) {
  stop_after *a = ctx;
  return ++*a->asked >= a->k;
}

void test_satterthwaite_tests(void) {
  static const char *names[] = {"y", "x", "f", "g"};
  static char g[24][4], f[24][2];
  lmm_value rows[24 * 4];
  for (int i = 0; i < 24; i++) {
    snprintf(g[i], sizeof g[i], "g%d", i / 4);
    snprintf(f[i], sizeof f[i], "%c", 'a' + i % 3);
    double y = 1 + 0.5 * (i % 4) + (i % 3) * 0.7 + ((i / 4) % 3 - 1) * 1.1 + ((i * 37) % 11) / 10.0;
    rows[4 * i] = NUM(y);
    rows[4 * i + 1] = NUM(i % 4);
    rows[4 * i + 2] = TXTP(f[i]);
    rows[4 * i + 3] = TXTP(g[i]);
  }
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model("y ~ x + f + (1|g)", NULL, NULL, &t, &m, &err), LMM_OK);
  lmm_satterthwaite *s = NULL;
  if (m && m->fit && !lmm_satterthwaite_new(m->system, m->fit, NULL, &s, &err)) {
    static const double df[4] = {6.26466176926737, 14.98740985618171, 15.05085717842475, 15.05085717780401};
    double l[4] = {0};
    for (int j = 0; j < 4; j++) {
      l[j] = 1;
      CHECK_NEAR(lmm_satterthwaite_df(s, l), df[j], 1e-5);
      l[j] = 0;
    }
    /* f's two coefficients: their directions' df agree, so the F's df is theirs */
    static const double Lf[2 * 4] = {0, 0, 0, 0, 1, 0, 0, 1};
    lmm_ftest ft;
    CHECK_INT(lmm_satterthwaite_ftest(s, m->fit->beta, Lf, 2, &ft, &err), LMM_OK);
    CHECK_NEAR(ft.F, 35.6560544985209, 1e-6);
    CHECK_INT(ft.ndf, 2);
    CHECK_NEAR(ft.ddf, 15.0508571780733, 1e-5);
    CHECK_NEAR(ft.p_value, 1.94965729092555e-06, 1e-4);
    /* x, fb - fc and the intercept: directions of different df, combined as 2E / (E - 3) */
    static const double L3[3 * 4] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, -1, 0};
    CHECK_INT(lmm_satterthwaite_ftest(s, m->fit->beta, L3, 3, &ft, &err), LMM_OK);
    CHECK_NEAR(ft.F, 28.9167295641347, 1e-6);
    CHECK_INT(ft.ndf, 3);
    CHECK_NEAR(ft.ddf, 9.92197384883463, 1e-5);
    CHECK_NEAR(ft.p_value, 3.21122818253096e-05, 1e-4);
    /* a contrast of rank 1 written twice: one direction, F = t^2 on that coefficient's df */
    static const double Lx[2 * 4] = {0, 0, 1, 2, 0, 0, 0, 0};
    CHECK_INT(lmm_satterthwaite_ftest(s, m->fit->beta, Lx, 2, &ft, &err), LMM_OK);
    CHECK_INT(ft.ndf, 1);
    CHECK_NEAR(ft.F, 7.12384654429591 * 7.12384654429591, 1e-6);
    CHECK_NEAR(ft.ddf, df[1], 1e-5);
  } else {
    CHECK_INT(err.code, LMM_OK);
  }
  lmm_satterthwaite_free(s);
  /* asked to stop at its k-th question, for every k until it finishes: "interrupted", never another error
   * (a stop while the system was factored at the fit's theta again read as that factorization failing) */
  int finished = 0;
  for (int k = 1; k < 500 && m && m->fit && !finished; k++) {
    int asked = 0;
    stop_after ctx = {k, &asked};
    lmm_stop stop = {stop_at, &ctx, 0};
    lmm_error e2 = {0};
    lmm_satterthwaite *s2 = NULL;
    int rc = lmm_satterthwaite_new(m->system, m->fit, &stop, &s2, &e2);
    finished = rc == LMM_OK;
    if (!finished) {
      CHECK_INT(rc, LMM_INTERRUPTED);
      CHECK_INT(e2.code, LMM_INTERRUPTED);
    }
    lmm_satterthwaite_free(s2);
  }
  CHECK_INT(finished, 1);
  lmm_model_free(m);
}
