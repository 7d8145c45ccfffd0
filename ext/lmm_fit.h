/* lmm_fit.h — lmm_fit(data, formula [, random [, options]]): fit a model to rows, as lmer, lme, gls or lm. */
#ifndef LMM_FIT_TVF_H
#define LMM_FIT_TVF_H
#include <stdint.h>
#include "rows_vtab.h"
extern const lmm_tvf lmm_fit_tvf;
/* Its columns df and p_value (the 7th and 8th): Satterthwaite's df are made only where a statement reads one. */
#define LMM_FIT_DF_COLUMNS (1u << 6 | 1u << 7)

/* lmm_fit's rows for call = {data, formula, random, options} (random and options may be NULL), saved when the
 * options say save=NAME, with fn naming the function in messages (lmm_update refits through here). */
int lmm_fit_rows(sqlite3 *db, const char *fn, const char *const call[4], lmm_rowset *rows, char **errmsg);
/* Its two halves that lmm_fit_stats shares: the save of a fitted model (call as above) and its rows. */
struct lmm_model;
struct lmm_result;
int lmm_fit_save(sqlite3 *db, const char *fn, const char *const call[4], struct lmm_model *m, uint64_t fingerprint,
                 char **errmsg);
void lmm_fit_copy_rows(const struct lmm_result *r, lmm_rowset *rows);
#endif
