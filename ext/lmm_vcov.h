/* lmm_vcov.h — lmm_vcov(model): the fixed effects' covariance as rows. */
#ifndef LMM_VCOV_TVF_H
#define LMM_VCOV_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_vcov_tvf;
#endif
