/* predict.h — predictions for new rows from a finished model.
 *
 * New rows carry the model's predictor columns (the response is not needed).
 * A new row is evaluated as the fit's rows were (row_eval.h).  Factor values
 * are matched to the fit's levels by label (every byte of a text, a number
 * as R prints it), groups by their variables' levels; a level of a
 * fixed-effect factor the fit never saw is an error, a group the fit never
 * saw gets the population prediction (its random effect is zero), as in
 * lme4's predict(allow.new.levels = TRUE).
 */
#ifndef LMM_PREDICT_H
#define LMM_PREDICT_H

#include "model.h"

typedef struct lmm_predictor lmm_predictor;

/* Predictions at level: < 0 all random effects; 0 fixed effects only; k the
 * random-effects terms whose grouping has at most k nested factors (nlme's
 * levels). */
int lmm_predictor_new(lmm_model *m, int level, lmm_predictor **out, lmm_error *err);
void lmm_predictor_free(lmm_predictor *p);
/* The columns a new row must hold, in the order predict_row takes them: those
 * the level uses (level 0 needs no grouping column). */
int lmm_predictor_ncols(const lmm_predictor *p);
const char *lmm_predictor_col(const lmm_predictor *p, int i);
/* *pred is NAN for a row with a NULL in a needed column. */
int lmm_predict_row(lmm_predictor *p, const lmm_value *vals, int64_t rowid, double *pred, lmm_error *err);

#endif
