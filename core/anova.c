/* anova.c — see anova.h. */
#include "anova.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <math.h>

void lmm_anova_tests(int n, const double *logLik, const double *df, double *L_ratio, double *p_value) {
  for (int i = 0; i < n; i++) {
    L_ratio[i] = p_value[i] = NAN;
    if (i == 0 || df[i] == df[i - 1]) continue;
    L_ratio[i] = 2 * fabs(logLik[i] - logLik[i - 1]);
    p_value[i] = pchisq(L_ratio[i], fabs(df[i] - df[i - 1]), 0, 0);
  }
}
