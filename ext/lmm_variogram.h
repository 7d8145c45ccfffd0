/* lmm_variogram.h — lmm_variogram(model [, options]): nlme's Variogram() of a saved model's residuals. */
#ifndef LMM_VARIOGRAM_TVF_H
#define LMM_VARIOGRAM_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_variogram_tvf;
#endif
