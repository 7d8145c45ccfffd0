/* result.h — a fit as rows, in broom.mixed's tidy shape:
 * effect, grp, term, estimate, std_error, statistic, df, p_value.
 * NAN stands for SQL NULL. */
#ifndef LMM_RESULT_H
#define LMM_RESULT_H

#include "lmm_error.h"

typedef struct lmm_row {
  const char *effect;   /* "fixed", "ran_pars", "fit": static strings */
  char *grp;            /* NULL for none */
  char *term;
  double estimate, std_error, statistic, df, p_value;
  int count;            /* estimate is a whole number (a count or a 0/1 flag): an INTEGER cell */
} lmm_row;

typedef struct lmm_result {
  int nrows, cap;
  lmm_row *rows;
} lmm_result;

lmm_result *lmm_result_new(void);
void lmm_result_free(lmm_result *r);
/* Append a row (grp may be NULL); copies the strings. */
int lmm_result_add(lmm_result *r, const char *effect, const char *grp, const char *term, double estimate,
                   double std_error, double statistic, double df, double p_value);
/* Append a "fit" row whose estimate is a count (nobs, df, ngroups) or a 0/1 flag. */
int lmm_result_add_count(lmm_result *r, const char *grp, const char *term, double count);

#endif
