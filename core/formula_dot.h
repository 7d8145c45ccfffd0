/* formula_dot.h — '.' in a formula, as R reads it.
 *
 *   lmm_fit(data, 'y ~ .*.')             '.' is every column of the data the formula does not otherwise use
 *   lmm_update(model, '. ~ . - amd')     '.' is the old formula's side (R's update.formula)
 *
 * Both rewrite the formula's text before it is parsed (formula.h): lmm_fit's '.' becomes the columns in
 * parentheses, "y ~ (a + b + c)*(a + b + c)", as R's formula(fit) prints it, so that a saved model keeps
 * the model that was fitted whatever columns its data gain later; an update's formula is written back as
 * R's terms(simplify = TRUE) writes it, "y ~ a + b + a:b - 1", so that updates of updates stay readable.
 */
#ifndef LMM_FORMULA_DOT_H
#define LMM_FORMULA_DOT_H

#include "lmm_error.h"

/* Whether the formula has a '.', in *has (0 when it does not parse: lmm_formula_parse says why); fails only
 * for want of memory, which must not pass for "no '.'". */
int lmm_formula_has_dot(const char *formula, int *has, lmm_error *err);

/* *out (lmm_malloc'd) is formula with each '.' of its right-hand side replaced by the data's columns
 * (cols, in the data's order) that are not the response's, a grouping factor's (of the formula's bars or
 * of random) or an offset()'s, in parentheses.  An error when no column is left for it. */
int lmm_formula_expand_dot(const char *formula, const char *random, int ncols, const char *const *cols, char **out,
                           lmm_error *err);

/* R's update.formula(old, new): in new, '.' on the left of '~' is old's response and on the right old's
 * right-hand side (a new formula without a response keeps old's); the result written back as terms()
 * simplifies it, into *out (lmm_malloc'd).  Random-effects terms (x | g) of old are kept as they are
 * written, and "- (x | g)" removes one. */
int lmm_formula_update(const char *old, const char *new_formula, char **out, lmm_error *err);

#endif
