/* test_confint.c — the percentile step of bootstrap intervals against boot's perc.ci (R's boot 1.3:
 * boot:::perc.ci(t, conf) on t_i = i sin(i) + i / 7, i = 1..R), and the Wald interval's quantiles. */
#include "harness.h"
#include "alloc.h"
#include "confint.h"

#include <stdlib.h>

void test_confint_percentile(void) {
  lmm_error err = {0};
  static const struct { int R; double level, lower, upper; } cases[] = {
    {999, 0.95, -694.76123904433007, 940.56755891284172},   /* (R + 1) alpha whole: order statistics 25, 975 */
    {1000, 0.95, -694.71103144915423, 942.91601116542324},  /* interpolated on the normal scale */
    {50, 0.9, -31.35480642037145, 43.799934098472484},
    {7, 0.95, -4.080335659029978, 5.5989061910315234},      /* k = 0 and k = R: the extremes */
    {20, 0.5, -4.0625381101895206, 6.8735961357904092},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    int R = cases[c].R;
    /* two parameters, column-major; the first column the case's replicates, shuffled, with failed refits */
    int nsim = R + 3;
    double *t = malloc(sizeof *t * (size_t)nsim * 2), lo, hi;
    for (int i = 0; i < nsim; i++) t[nsim + i] = 1e6;
    for (int i = 0; i < R; i++) t[(i * 11) % R] = sin(i + 1.0) * (i + 1) + (i + 1) / 7.0;
    t[R] = NAN;
    t[R + 1] = INFINITY;
    t[R + 2] = -INFINITY;
    CHECK(lmm_confint_percentile(t, nsim, 2, 0, cases[c].level, &lo, &hi, &err) == LMM_OK);
    CHECK_NEAR(lo, cases[c].lower, 1e-13);
    CHECK_NEAR(hi, cases[c].upper, 1e-13);
    lmm_confint_percentile(t, nsim, 2, 1, cases[c].level, &lo, &hi, &err);
    CHECK(lo == 1e6 && hi == 1e6);
    free(t);
  }
  double none[3] = {NAN, NAN, NAN}, lo = 0, hi = 0;
  CHECK(lmm_confint_percentile(none, 3, 1, 0, 0.95, &lo, &hi, &err) == LMM_OK);
  CHECK(isnan(lo) && isnan(hi));
}

/* R: qnorm(0.975) and qt(0.95, 10) */
void test_confint_wald(void) {
  double lo, hi;
  lmm_confint_wald(1, 2, NAN, 0.95, &lo, &hi);
  CHECK_NEAR(hi, 1 + 2 * 1.959963984540054, 1e-15);
  CHECK_NEAR(lo, 1 - 2 * 1.959963984540054, 1e-15);
  lmm_confint_wald(1, 2, 10, 0.9, &lo, &hi);
  CHECK_NEAR(hi, 1 + 2 * 1.812461122811676, 1e-15);
  lmm_confint_wald(1, 2, INFINITY, 0.9, &lo, &hi);
  CHECK_NEAR(hi, 1 + 2 * 1.6448536269514722, 1e-15);
}

void test_confint_request(void) {
  lmm_ci_request r;
  lmm_error err = {0};
  CHECK_INT(lmm_ci_request_parse(NULL, NULL, LMM_STYLE_LME4, &r, &err), LMM_OK);
  CHECK_INT(r.method, LMM_CI_PROFILE);
  CHECK(r.level == 0.95);
  CHECK_INT(lmm_ci_request_parse(NULL, "", LMM_STYLE_NLME, &r, &err), LMM_OK);
  CHECK_INT(r.method, LMM_CI_INTERVALS);
  CHECK_INT(lmm_ci_request_parse(NULL, " level = 0.9 ,", LMM_STYLE_LM, &r, &err), LMM_OK);
  CHECK_INT(r.method, LMM_CI_WALD);
  CHECK(r.level == 0.9);
  CHECK_INT(lmm_ci_request_parse("wald", "level=1", LMM_STYLE_LM, &r, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "between 0 and 1");
  err = (lmm_error){0};
  CHECK_INT(lmm_ci_request_parse("Wald", NULL, LMM_STYLE_LM, &r, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unknown method 'Wald'");
  err = (lmm_error){0};
  CHECK_INT(lmm_ci_request_parse("wald", "nsim=10", LMM_STYLE_LM, &r, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "unknown option 'nsim'");
}
