/* lmm_anova_terms.h — lmm_anova('m' [, options]) of one saved model: the F tests of its terms (core/ftest.h),
 * as rows of lmm_anova's table beside the comparison's columns (lmm_anova.c lays both out). */
#ifndef LMM_ANOVA_TERMS_H
#define LMM_ANOVA_TERMS_H
#include "rows_vtab.h"

/* lmm_anova's columns from the F tests' first: term, type, num_df, den_df, statistic, sum_sq, mean_sq (the
 * comparison's model and p_value are shared, columns 0 and LMM_ANOVA_P_VALUE). */
enum { LMM_ANOVA_P_VALUE = 7, LMM_ANOVA_TERM = 8 };

/* Whether the models argument names one model (no comma between names). */
int lmm_anova_single(const char *models);

/* The rows of the F tests of the terms of the saved model name, with options (NULL: none). */
int lmm_anova_terms_fill(sqlite3 *db, const char *name, const char *options, lmm_rowset *rows, char **errmsg);

/* A comparison of models refuses what only one model's F tests take (type=, df=, L=): SQLITE_ERROR with *errmsg,
 * else SQLITE_OK. */
int lmm_anova_comparison_options(const char *options, char **errmsg);

#endif
