/* lmm_confint.h — the table-valued function lmm_confint(model [, method [, options]]). */
#ifndef LMM_CONFINT_EXT_H
#define LMM_CONFINT_EXT_H

#include "rows_vtab.h"

extern const lmm_tvf lmm_confint_tvf;

#endif
