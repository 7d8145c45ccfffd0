/* blas_threads.h — OpenBLAS held at one thread while lmm computes.
 *
 * lmm runs its own parts on its own threads where the work is large (the
 * first term's pass, the rows' pass, the dense Cholesky), and OpenBLAS's
 * threads only get in their way: its idle workers spin after each threaded
 * call, taking the cores from lmm's parts, and a product run threaded may
 * round differently from the same product on one thread, so a fit beside
 * another would not always get every digit it gets alone.  OpenBLAS 0.3.21
 * (Debian 12's) has no thread count per call, only the process's, so while
 * any of lmm's computations runs, on any connection, the count is one: the
 * first to begin keeps the count it found and the last to end puts it
 * back, under a lock.  A host that changes the count meanwhile loses its
 * change.  With another BLAS these do nothing.
 */
#ifndef LMM_BLAS_THREADS_H
#define LMM_BLAS_THREADS_H

/* Whether the count can be held (OpenBLAS is the BLAS). */
int lmm_blas_serial_available(void);
/* Begin and end a stretch of BLAS calls on one thread; they nest. */
void lmm_blas_serial_begin(void);
void lmm_blas_serial_end(void);

#endif
