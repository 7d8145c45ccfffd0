/* lmm_bootstrap.h — lmm_bootstrap(model [, options]): the parametric bootstrap of a saved model (lme4's
 * bootMer), one row per replicate and parameter. */
#ifndef LMM_BOOTSTRAP_TVF_H
#define LMM_BOOTSTRAP_TVF_H
#include "rows_vtab.h"
#include "../core/bootstrap.h"
extern const lmm_tvf lmm_bootstrap_tvf;

/* The options of a bootstrap from argument arg (NULL or SQL NULL: the defaults); threads only where SQLite's
 * allocator may be called from several threads.  An SQLite code, *errmsg "fn: ..." when it is not OK. */
int lmm_bootstrap_options(sqlite3_value *arg, int with_test, const char *fn, lmm_boot_options *o, char **errmsg);

/* PBmodcomp's p-value of a test of saved model small against large, whose statistic is stat (2 (logLik_large -
 * logLik_small)): both opened on their rows, nsim responses simulated from small, both refitted to each
 * (core/bootstrap.h).  *errmsg "fn: ..." when it is not SQLITE_OK. */
int lmm_bootstrap_test(sqlite3 *db, const char *small, const char *large, double stat, const lmm_boot_options *o,
                       const char *fn, double *p, char **errmsg);
#endif
