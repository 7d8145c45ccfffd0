/* dense_chol.c — see dense_chol.h. */
#include "dense_chol.h"

#include <lapacke.h>

/* OpenBLAS's own calls, weak: with another BLAS they are absent and the
 * factor runs as that library chooses. */
#pragma weak openblas_get_num_threads
#pragma weak openblas_set_num_threads
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);

int lmm_dense_chol(int n, double *a, int lda) {
  if (n >= LMM_CHOL_ONE_THREAD_BELOW || !openblas_get_num_threads || !openblas_set_num_threads)
    return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, lda);
  int was = openblas_get_num_threads();
  if (was > 1) openblas_set_num_threads(1);
  int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, lda);
  if (was > 1) openblas_set_num_threads(was);
  return info;
}
