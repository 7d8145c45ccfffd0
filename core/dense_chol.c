/* dense_chol.c — see dense_chol.h. */
#include "dense_chol.h"
#include "blas_threads.h"
#include "parallel.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>

enum { PANEL = 96 };   /* columns factored at a time by the parts (64..128 alike at 504..2000) */

typedef struct chol_job {
  double *a;
  int n, lda, parts;
  int info;   /* LAPACK's: the first column not positive definite, 0 if none; or LMM_DENSE_CHOL_STOPPED */
  lmm_stop *stop;
} chol_job;

/* A team's barrier; none for a factor on one thread. */
static void wait_all(lmm_team *team) {
  if (team) lmm_team_wait(team);
}

/* The first of part k's columns among lo..hi-1 of a lower triangle, the
 * parts sharing its area (the work of an update) evenly. */
static int area_cut(int lo, int hi, int k, int parts) {
  int c = hi - (int)((double)(hi - lo) * sqrt(1 - (double)k / parts) + 0.5);
  return c < lo ? lo : c > hi ? hi : c;
}

/* One part of a right-looking blocked factor: part 0 factors each panel's
 * diagonal block, then every part solves its share of the panel's rows and
 * updates its share of the trailing columns, the parts waiting for one
 * another between the steps.  Part 0 asks the stop once a panel (a panel's
 * update at an order of 3,000 is 3,000^2 x 96 flops, about 0.1 s on one
 * core at most); all parts read the answer after the same barrier, so
 * they leave together.  With no team (one part), the same steps alone. */
static int chol_part(void *arg, int part, lmm_team *team) {
  chol_job *j = arg;
  double *a = j->a;
  int n = j->n, parts = j->parts;
  size_t lda = (size_t)j->lda;
  for (int k = 0; k < n; k += PANEL) {
    int kb = n - k < PANEL ? n - k : PANEL;
    double *akk = a + (size_t)k + (size_t)k * lda;
    if (part == 0 && lmm_stop_asked(j->stop)) j->info = LMM_DENSE_CHOL_STOPPED;
    else if (part == 0) {
      int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', kb, akk, (int)lda);
      if (info) j->info = k + info;
    }
    wait_all(team);
    if (j->info) return 0;
    int r = k + kb, m = n - r;
    if (!m) break;
    int r0 = r + (int)((long long)m * part / parts), r1 = r + (int)((long long)m * (part + 1) / parts);
    if (r1 > r0)
      cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, r1 - r0, kb, 1.0, akk, (int)lda,
                  a + (size_t)r0 + (size_t)k * lda, (int)lda);
    wait_all(team);
    int c0 = area_cut(r, n, part, parts), c1 = area_cut(r, n, part + 1, parts);
    if (c1 > c0) {
      cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, c1 - c0, kb, -1.0, a + (size_t)c0 + (size_t)k * lda, (int)lda,
                  1.0, a + (size_t)c0 + (size_t)c0 * lda, (int)lda);
      if (n > c1)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, n - c1, c1 - c0, kb, -1.0, a + (size_t)c1 + (size_t)k * lda,
                    (int)lda, a + (size_t)c0 + (size_t)k * lda, (int)lda, 1.0, a + (size_t)c1 + (size_t)c0 * lda, (int)lda);
    }
    wait_all(team);
  }
  return 0;
}

int lmm_dense_chol(int n, double *a, int lda, lmm_stop *stop) {
  int large = n >= LMM_CHOL_PARTS_FROM;
  chol_job job = {a, n, lda, 1, 0, stop};
  if (!lmm_blas_serial_available()) {
    if (!large) return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, lda);
    chol_part(&job, 0, NULL);
    return job.info;
  }
  lmm_blas_serial_begin();
  int parts = large ? lmm_parallel_parts() : 1, info;
  job.parts = parts;
  if (parts >= 2 && lmm_parallel_team(parts, chol_part, &job) != LMM_TEAM_UNSTARTED) info = job.info;
  else if (large) {
    job.parts = 1;
    chol_part(&job, 0, NULL);
    info = job.info;
  } else
    info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', n, a, lda);
  lmm_blas_serial_end();
  return info;
}
