/* saved_fit.h — a fit's JSON (as lmm_models keeps it, or as lmm_agg returns
 * it) read into C values, every part checked: the one reader that lmm_tidy,
 * lmm_vcov, lmm_anova and the refitting readers (store.c) go through.
 *
 *   {"version": "0.1.0", "method": "REML"|"ML", "style": "lm"|"nlme"|"lme4", "nobs": n,
 *    "fingerprint": "16 hex digits", "theta": [numbers], "fixed": [p names],
 *    "vcov": [p rows of p numbers], "rows": [[effect, grp, term, estimate, std_error, statistic, df, p_value], ...],
 *    "structure": [numbers]}   (only a fit with weights= or correlation= has "structure")
 *
 * The text may come from a database made elsewhere, so anything else is an
 * error that says what is wrong: a member missing or of the wrong type, a
 * number that is not finite (JSON null stands for NaN where the writer
 * puts it: in vcov and the rows' statistics), a vcov that is not p x p, the
 * rows' fixed effects not the p names in order, a sigma that is not
 * positive, a method the rows contradict. */
#ifndef LMM_SAVED_FIT_H
#define LMM_SAVED_FIT_H

#include <stdint.h>

#include "sqlite3ext.h"
#include "../core/restore.h"

typedef struct lmm_saved_row {
  char *effect, *grp, *term;   /* grp NULL for none */
  double v[5];                 /* estimate, std_error, statistic, df, p_value; NAN for null */
  unsigned char integer[5];    /* the JSON wrote v[k] as an integer (tidy returns it as one) */
} lmm_saved_row;

typedef struct lmm_saved_fit {
  int reml;
  int style;                   /* LMM_STYLE_LM, _NLME, _LME4 */
  int64_t nobs;
  char fingerprint[17];
  int ntheta;
  double *theta;
  int p;
  char **fixed;                /* p names */
  double *vcov;                /* p x p by columns; NAN for null */
  int nrows;
  lmm_saved_row *rows;
  int has_structure;           /* the fit had weights= or correlation=: its parameters, unconstrained */
  int nstructure;              /* (core/structure.h's lmm_structure_params) */
  double *structure;
} lmm_saved_fit;

/* Read json into *out (free with lmm_saved_fit_free); label names the fit in
 * messages ("the saved model 'm'").  SQLITE_ERROR with *errmsg saying what is
 * wrong, SQLITE_NOMEM, or SQLite's own error (a limit, an interrupt) with
 * its message. */
int lmm_saved_fit_read(sqlite3 *db, const char *label, const char *json, lmm_saved_fit **out, char **errmsg);
void lmm_saved_fit_free(lmm_saved_fit *f);

/* The snapshot the fit keeps (core/restore.h), read and checked as to its form (restoring checks it against
 * the formula): *present 0 and out empty for a fit saved without one.  Free with lmm_snapshot_clear. */
int lmm_saved_snapshot_read(sqlite3 *db, const char *prefix, const char *json, lmm_snapshot *out, int *present,
                            char **errmsg);

/* The estimate of the row ("fit", term) (NAN when there is none). */
double lmm_saved_fit_stat(const lmm_saved_fit *f, const char *term);

#endif
