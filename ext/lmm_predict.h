/* lmm_predict.h — lmm_predict(model, data [, level]): a saved model's predictions for new rows. */
#ifndef LMM_PREDICT_TVF_H
#define LMM_PREDICT_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_predict_tvf;
#endif
