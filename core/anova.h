/* anova.h — likelihood-ratio tests between consecutive models, as nlme's
 * anova() compares them: a test where the parameter counts differ. */
#ifndef LMM_ANOVA_H
#define LMM_ANOVA_H

/* For models 1..n-1: L_ratio[i] and p_value[i] against model i-1 (NAN where
 * the parameter counts are equal, and for model 0). */
void lmm_anova_tests(int n, const double *logLik, const double *df, double *L_ratio, double *p_value);

#endif
