/* dense_chol.h — the Cholesky factor of a dense block: LAPACK's with
 * OpenBLAS on one thread (blas_threads.h), and from LMM_CHOL_PARTS_FROM on,
 * a blocked factor whose parts run on lmm's own threads.
 *
 * OpenBLAS 0.3.21 (Debian 12's) threads dpotrf at any order.  Below a few
 * hundred its threaded factor is slower than its one-thread factor, and
 * above, its two threads gain less than the parts here; after each
 * threaded call its idle workers spin in sched_yield for about 0.1 s,
 * taking the cores from lmm's own parts in the next deviance evaluation.
 * With another BLAS, LAPACK's dpotrf runs as that library chooses.
 */
#ifndef LMM_DENSE_CHOL_H
#define LMM_DENSE_CHOL_H

#include "stop.h"

/* Lower Cholesky factor of the n x n matrix at a (column-major, leading
 * dimension lda) in place; LAPACK's info (0: done, > 0: not positive
 * definite), or LMM_DENSE_CHOL_STOPPED when stop (may be NULL), asked
 * between panels from LMM_CHOL_PARTS_FROM on, said stop. */
enum { LMM_DENSE_CHOL_STOPPED = -1 };
int lmm_dense_chol(int n, double *a, int lda, lmm_stop *stop);

/* Orders from this on factor in parts (below, the parts' waits for one
 * another cost more than they gain: 400, 0.68 ms either way). */
enum { LMM_CHOL_PARTS_FROM = 448 };

#endif
