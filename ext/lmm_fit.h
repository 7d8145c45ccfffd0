/* lmm_fit.h — lmm_fit(data, formula [, random [, options]]): fit a model to rows, as lmer, lme, gls or lm. */
#ifndef LMM_FIT_TVF_H
#define LMM_FIT_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_fit_tvf;
#endif
