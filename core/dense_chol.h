/* dense_chol.h — the Cholesky factor of a dense block, by LAPACK.
 *
 * OpenBLAS 0.3.21 (Debian 12's) threads dpotrf at any order, and below a
 * few hundred its threaded factor is slower than its one-thread factor
 * (order 504: 1.68 ms against 1.27 ms on two cores, best of 30); after each
 * threaded call its idle workers spin in sched_yield for about 0.1 s, taking
 * the cores from lmm's own parts in the next deviance evaluation (a million
 * rows: 19.5 ms an evaluation against 16.4 ms).  Its thread count is
 * process-wide, with no count per call in that version, so a small factor
 * runs with the count lowered to one and put back.  A call that finds the
 * count at one (the host's choice, or another connection's factor under
 * way) leaves it alone, and one that lowered it puts back what it found, so
 * however calls on several threads interleave, the count ends as it began;
 * no lock is needed, at worst a factor runs threaded while another's puts
 * the count back.  A host that changes the count during a call loses its
 * change.
 */
#ifndef LMM_DENSE_CHOL_H
#define LMM_DENSE_CHOL_H

/* Lower Cholesky factor of the n x n matrix at a (column-major, leading
 * dimension lda) in place; LAPACK's info (0: done, > 0: not positive definite). */
int lmm_dense_chol(int n, double *a, int lda);

/* Orders below this factor on one BLAS thread. */
enum { LMM_CHOL_ONE_THREAD_BELOW = 900 };

#endif
