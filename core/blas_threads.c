/* blas_threads.c — see blas_threads.h. */
#include "blas_threads.h"

#include <pthread.h>

/* OpenBLAS's own calls, weak: with another BLAS they are absent. */
#pragma weak openblas_get_num_threads
#pragma weak openblas_set_num_threads
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);

/* The count is the process's, so this state is too, as the allocator's
 * (alloc.c) is. */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int holders, count_found;

int lmm_blas_serial_available(void) { return openblas_get_num_threads && openblas_set_num_threads; }

void lmm_blas_serial_begin(void) {
  if (!lmm_blas_serial_available()) return;
  pthread_mutex_lock(&count_lock);
  if (holders++ == 0) {
    count_found = openblas_get_num_threads();
    if (count_found > 1) openblas_set_num_threads(1);
  }
  pthread_mutex_unlock(&count_lock);
}

void lmm_blas_serial_end(void) {
  if (!lmm_blas_serial_available()) return;
  pthread_mutex_lock(&count_lock);
  if (--holders == 0 && count_found > 1) openblas_set_num_threads(count_found);
  pthread_mutex_unlock(&count_lock);
}
