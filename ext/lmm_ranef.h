/* lmm_ranef.h — lmm_ranef(model): the conditional modes of a saved model's random effects. */
#ifndef LMM_RANEF_TVF_H
#define LMM_RANEF_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_ranef_tvf;
#endif
