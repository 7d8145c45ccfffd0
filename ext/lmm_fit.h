/* lmm_fit.h — lmm_fit(data, formula [, random [, options]]): fit a model to rows, as lmer, lme, gls or lm. */
#ifndef LMM_FIT_TVF_H
#define LMM_FIT_TVF_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_fit_tvf;

/* lmm_fit's rows for call = {data, formula, random, options} (random and options may be NULL), saved when the
 * options say save=NAME, with fn naming the function in messages (lmm_update refits through here). */
int lmm_fit_rows(sqlite3 *db, const char *fn, const char *const call[4], lmm_rowset *rows, char **errmsg);
#endif
