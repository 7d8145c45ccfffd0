/* lmm_tidy.h — lmm_tidy(model): the rows lmm_fit returned, for a saved model or an lmm_agg fit. */
#ifndef LMM_TIDY_TVF_H
#define LMM_TIDY_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_tidy_tvf;
#endif
