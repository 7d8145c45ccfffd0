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

struct lmm_team {
  pthread_mutex_t mx;
  pthread_cond_t cv;
  int nparts, arrived, generation;
  int state;   /* 0: parts wait to start; 1: run; -1: a thread could not be started, return */
};

typedef struct team_job {
  int (*fn)(void *arg, int part, lmm_team *team);
  void *arg;
  lmm_team *team;
  int part, rc;
} team_job;

static void *run_team_job(void *p) {
  team_job *j = p;
  lmm_team *t = j->team;
  pthread_mutex_lock(&t->mx);
  while (!t->state) pthread_cond_wait(&t->cv, &t->mx);
  int run = t->state > 0;
  pthread_mutex_unlock(&t->mx);
  if (run) j->rc = j->fn(j->arg, j->part, t);
  return NULL;
}

int lmm_parallel_team(int nparts, int (*fn)(void *arg, int part, lmm_team *team), void *arg) {
  if (nparts > MAX_PARTS) nparts = MAX_PARTS;
  lmm_team t = {.nparts = nparts};
  if (pthread_mutex_init(&t.mx, NULL)) return LMM_TEAM_UNSTARTED;
  if (pthread_cond_init(&t.cv, NULL)) { pthread_mutex_destroy(&t.mx); return LMM_TEAM_UNSTARTED; }
  team_job jobs[MAX_PARTS];
  pthread_t tid[MAX_PARTS];
  int started = 1;
  for (; started < nparts; started++) {
    jobs[started] = (team_job){fn, arg, &t, started, 0};
    if (pthread_create(&tid[started], NULL, run_team_job, &jobs[started])) break;
  }
  int all = started == nparts;
  pthread_mutex_lock(&t.mx);
  t.state = all ? 1 : -1;
  pthread_cond_broadcast(&t.cv);
  pthread_mutex_unlock(&t.mx);
  int rc = all ? fn(arg, 0, &t) : LMM_TEAM_UNSTARTED;
  for (int k = 1; k < started; k++) {
    pthread_join(tid[k], NULL);
    if (!rc) rc = jobs[k].rc;
  }
  pthread_cond_destroy(&t.cv);
  pthread_mutex_destroy(&t.mx);
  return rc;
}

/* A part that arrives early polls for a while before it sleeps: the parts'
 * steps are short (a panel of a factor of order 504 takes ~0.1 ms), and
 * waking a sleeping thread costs tens of microseconds. */
enum { SPINS = 4000 };

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

void lmm_team_wait(lmm_team *t) {
  int generation = __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
  if (__atomic_add_fetch(&t->arrived, 1, __ATOMIC_ACQ_REL) == t->nparts) {
    __atomic_store_n(&t->arrived, 0, __ATOMIC_RELAXED);   /* seen by whoever sees the new generation */
    pthread_mutex_lock(&t->mx);
    __atomic_store_n(&t->generation, generation + 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mx);
    return;
  }
  for (int i = 0; i < SPINS; i++) {
    if (__atomic_load_n(&t->generation, __ATOMIC_ACQUIRE) != generation) return;
    cpu_relax();
  }
  pthread_mutex_lock(&t->mx);
  while (__atomic_load_n(&t->generation, __ATOMIC_ACQUIRE) == generation) pthread_cond_wait(&t->cv, &t->mx);
  pthread_mutex_unlock(&t->mx);
}

int lmm_parallel_parts(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > MAX_PARTS ? MAX_PARTS : (int)n;
}
