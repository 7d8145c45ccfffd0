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

/* log|L_Z|^2, the sum over random-effects blocks of 2 log diag(L). */
double lmm_system_logdet_z(const lmm_system *s);

#endif
