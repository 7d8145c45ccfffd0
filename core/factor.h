/* factor.h — the blocked Cholesky factor L of  Λ'Z'ZΛ + I  (extended by
 * the X and y rows) at each theta, from the blocks A (blocks.h); factor.c
 * says how the blocks and the dense tail are factored. */
#ifndef LMM_FACTOR_H
#define LMM_FACTOR_H

#include "blocks.h"

/* Factor at relative covariance factors T[k] (q[k] x q[k] lower triangular,
 * column-major, by fit position).  Returns LMM_NUMERIC if not positive
 * definite, LMM_INTERRUPTED when stop (may be NULL) says stop part way. */
int lmm_system_factor(lmm_system *s, double *const *T, lmm_stop *stop);

/* The first term's updates of the later blocks, kept by the first term's T.  Those updates, made with the later
 * terms' T left out, depend on the first term's T alone, and they are most of an evaluation's work (the pass over
 * the level pairs); an optimizer that moves one coordinate at a time (Newton's differences, BOBYQA's first points)
 * meets the same first-term T again: a third of a 4-parameter Hessian's points, two thirds of a 6-parameter one's.
 * Only where every later term lies in the dense tail (crossed terms: the updates are one matrix); *out NULL
 * elsewhere.  The factor is then always made that way, rounding as it does, and up to a few copies are kept
 * within a share of the memory (none where it is short: the same numbers, later), so that a fit's numbers do not
 * depend on the host's memory.  LMM_NOMEM when the little it always needs is refused. */
typedef struct lmm_first_kept lmm_first_kept;
int lmm_first_kept_new(const lmm_system *s, lmm_first_kept **out);
void lmm_first_kept_free(lmm_first_kept *k);

/* lmm_system_factor for the deviance alone (k NULL: lmm_system_factor itself): the later blocks, the
 * fixed part's and lmm_system_logdet_z are those of the factor at T; the first term's blocks are not
 * (s->first_kept).  The first term's updates come from k where it holds them for T[0], and are kept there
 * otherwise. */
int lmm_system_factor_kept(lmm_system *s, double *const *T, lmm_first_kept *k, lmm_stop *stop);

/* log|L_Z|^2, the sum over random-effects blocks of 2 log diag(L). */
double lmm_system_logdet_z(const lmm_system *s);

#endif
