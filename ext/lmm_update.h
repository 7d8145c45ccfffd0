/* lmm_update.h — lmm_update(model, formula [, random [, options]]): a saved model fitted again with changes,
 * as R's update(). */
#ifndef LMM_UPDATE_TVF_H
#define LMM_UPDATE_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_update_tvf;
#endif
