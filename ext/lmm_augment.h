/* lmm_augment.h — lmm_augment(model): fitted values and residuals of each row a saved model used. */
#ifndef LMM_AUGMENT_TVF_H
#define LMM_AUGMENT_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_augment_tvf;
#endif
