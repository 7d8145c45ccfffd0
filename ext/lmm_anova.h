/* lmm_anova.h — lmm_anova(models): nlme's anova() table for saved models. */
#ifndef LMM_ANOVA_TVF_H
#define LMM_ANOVA_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_anova_tvf;
#endif
