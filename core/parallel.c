/* parallel.c — see parallel.h. */
#include "parallel.h"

#include <pthread.h>
#include <unistd.h>

enum { MAX_PARTS = 4 };

typedef struct job {
  int (*fn)(void *arg, int part);
  void *arg;
  int part, rc;
} job;

static void *run_job(void *p) {
  job *j = p;
  j->rc = j->fn(j->arg, j->part);
  return NULL;
}

int lmm_parallel(int nparts, int (*fn)(void *arg, int part), void *arg) {
  if (nparts > MAX_PARTS) nparts = MAX_PARTS;
  job jobs[MAX_PARTS];
  pthread_t tid[MAX_PARTS];
  int started[MAX_PARTS] = {0};
  for (int k = 1; k < nparts; k++) {
    jobs[k] = (job){fn, arg, k, 0};
    started[k] = pthread_create(&tid[k], NULL, run_job, &jobs[k]) == 0;
  }
  int rc = fn(arg, 0);
  for (int k = 1; k < nparts; k++) {
    if (started[k]) pthread_join(tid[k], NULL);
    else run_job(&jobs[k]);
    if (!rc) rc = jobs[k].rc;
  }
  return rc;
}

int lmm_parallel_parts(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_PARTS ? MAX_PARTS : (int)n;
}
