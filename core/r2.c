/* r2.c — Nakagawa & Schielzeth's R² of a linear mixed model; see r2.h. */
#include "r2.h"
#include "alloc.h"
#include "parallel.h"

#include <math.h>
#include <string.h>

enum { R2_CHUNK = 256 };   /* rows made at a time, between which the stop is asked */

/* Term t's standard deviations times 2^(zexp - yexp), so that with Z's scaled columns (design.h) they give
 * z_a sd_a relative to the response's scale without a square of either (a slope's sd times its
 * column's 2^zexp is of the response's size where sd^2 alone may leave the range), and its correlations
 * (1 on the diagonal, 0 where a standard deviation is 0). */
static void term_scales(const lmm_design *d, const lmm_fit *f, int t, double *sd, double *cor) {
  int q = d->re[t].q;
  lmm_fit_term_sd(f, t, sd, cor);
  for (int a = 0; a < q; a++) {
    sd[a] = ldexp(sd[a], d->re[t].zexp[a] - d->yexp);
    for (int b = 0; b < q; b++) {
      double c = a == b ? 1 : cor[a + b * q];
      cor[a + b * q] = isnan(c) ? 0 : c;
    }
  }
}

/* The row pass in parts of fixed number (not the machine's cores, so the digits are the same everywhere), each
 * its rows' count, mean and sum of squares of X beta about it, and its sum of z' Sigma z; merged in part order. */
enum { R2_PARTS = 2, R2_PARALLEL_ROWS = 50000 };

typedef struct r2_part {
  size_t r0, r1;
  double *X, *Z, *eta;                 /* a chunk's X (R2_CHUNK x p), one term's Z (R2_CHUNK x q), X beta */
  double *x0;                          /* X's part's first row: the moments are of (x - x0)' beta ... */
  long double shift;                   /* ... and x0' beta is their shift */
  long double n, mean, m2, vr;
} r2_part;

typedef struct r2_job {
  const lmm_design *d;
  const double *b;                     /* beta on X's scaled columns, to y's scale */
  const double *sd, *cor;              /* term t's term_scales at t * LMM_MAX_Q and t * LMM_MAX_Q^2 */
  lmm_stop *stop;                      /* asked by part 0, its answer seen by all */
  r2_part part[R2_PARTS];
} r2_job;

/* Chan et al.'s merge of a set of nb values of mean mb and sum of squares m2b into (n, mean, m2). */
static void merge_moments(long double *n, long double *mean, long double *m2, long double nb, long double mb,
                          long double m2b) {
  long double na = *n, delta = mb - *mean;
  *mean += delta * nb / (na + nb);
  *m2 += m2b + delta * delta * na * nb / (na + nb);
  *n = na + nb;
}

static int r2_rows(void *arg, int part) {
  r2_job *job = arg;
  r2_part *pt = &job->part[part];
  const lmm_design *d = job->d;
  int p = d->p;
  double *X = pt->X, *Z = pt->Z, *eta = pt->eta;
  for (size_t r0 = pt->r0; r0 < pt->r1; r0 += R2_CHUNK) {
    if (lmm_stop_part(job->stop, part)) return LMM_INTERRUPTED;
    int m = pt->r1 - r0 < R2_CHUNK ? (int)(pt->r1 - r0) : R2_CHUNK;
    lmm_design_x_rows(d, NULL, r0, m, X, m);
    /* about the part's first row, in X before beta: a large intercept beside a small spread leaves no
     * rounding of its own in the products, and a constant X beta (an intercept alone) has no spread at all */
    if (r0 == pt->r0) {
      pt->shift = 0;
      for (int j = 0; j < p; j++) {
        pt->x0[j] = X[(size_t)j * m];
        pt->shift += (long double)pt->x0[j] * job->b[j];
      }
    }
    for (int i = 0; i < m; i++) eta[i] = 0;
    for (int j = 0; j < p; j++)
      for (int i = 0; i < m; i++) eta[i] += (X[i + (size_t)j * m] - pt->x0[j]) * job->b[j];
    double cm = 0, c2 = 0;
    for (int i = 0; i < m; i++) cm += eta[i];
    cm /= m;
    for (int i = 0; i < m; i++) c2 += (eta[i] - cm) * (eta[i] - cm);
    merge_moments(&pt->n, &pt->mean, &pt->m2, m, cm, c2);
    for (int t = 0; t < d->nre; t++) {
      int q = d->re[t].q;
      const double *sd = job->sd + (size_t)t * LMM_MAX_Q, *C = job->cor + (size_t)t * LMM_MAX_Q * LMM_MAX_Q;
      for (int a = 0; a < q; a++) {   /* Z's column a times sd_a */
        lmm_design_z_rows(d, t, a, NULL, r0, m, Z + (size_t)a * m);
        for (int i = 0; i < m; i++) Z[i + (size_t)a * m] *= sd[a];
      }
      double v = 0;
      for (int i = 0; i < m; i++)
        for (int a = 0; a < q; a++)
          for (int c = 0; c < q; c++) v += Z[i + (size_t)a * m] * C[a + c * q] * Z[i + (size_t)c * m];
      pt->vr += v;
    }
  }
  return LMM_OK;
}

int lmm_r2_nakagawa(const lmm_design *d, const lmm_fit *f, double sigma, lmm_stop *stop, double *marginal,
                    double *conditional, lmm_error *err) {
  size_t n = d->n;
  int p = d->p, qmax = 0, nparts = n >= R2_PARALLEL_ROWS ? R2_PARTS : 1;
  for (int t = 0; t < d->nre; t++) qmax = d->re[t].q > qmax ? d->re[t].q : qmax;
  size_t nt = (size_t)(d->nre ? d->nre : 1);
  double *b = lmm_malloc_array((size_t)(p ? p : 1), sizeof *b);
  double *sd = lmm_malloc_array(lmm_size_mul(nt, LMM_MAX_Q), sizeof *sd);
  double *cor = lmm_malloc_array(lmm_size_mul(nt, LMM_MAX_Q * LMM_MAX_Q), sizeof *cor);
  r2_job job = {.d = d, .b = b, .sd = sd, .cor = cor, .stop = stop};
  int rc = b && sd && cor ? LMM_OK : LMM_NOMEM;
  for (int k = 0; k < nparts && !rc; k++) {
    r2_part *pt = &job.part[k];
    pt->r0 = n / (size_t)nparts * (size_t)k;
    pt->r1 = k + 1 == nparts ? n : n / (size_t)nparts * (size_t)(k + 1);
    pt->X = lmm_malloc_array(lmm_size_mul(R2_CHUNK, (size_t)(p ? p : 1)), sizeof *pt->X);
    pt->Z = lmm_malloc_array(lmm_size_mul(R2_CHUNK, (size_t)(qmax ? qmax : 1)), sizeof *pt->Z);
    pt->eta = lmm_malloc_array(R2_CHUNK, sizeof *pt->eta);
    pt->x0 = lmm_malloc_array((size_t)(p ? p : 1), sizeof *pt->x0);
    if (!pt->X || !pt->Z || !pt->eta || !pt->x0) rc = LMM_NOMEM;
  }
  if (rc) {
    rc = lmm_nomem(err);
    goto done;
  }
  for (int j = 0; j < p; j++) b[j] = ldexp(f->beta[j], d->xexp[j] - d->yexp);   /* X's scaled columns to y's scale */
  for (int t = 0; t < d->nre; t++) term_scales(d, f, t, sd + (size_t)t * LMM_MAX_Q, cor + (size_t)t * LMM_MAX_Q * LMM_MAX_Q);
  if ((rc = lmm_parallel(nparts, r2_rows, &job))) {
    rc = lmm_fail(err, rc, "interrupted");
    goto done;
  }
  long double count = 0, mean = 0, m2 = 0, vr = 0;
  for (int k = 0; k < nparts; k++) {
    merge_moments(&count, &mean, &m2, job.part[k].n, job.part[k].shift + job.part[k].mean, job.part[k].m2);
    vr += job.part[k].vr;
  }
  double vf = n > 1 ? (double)(m2 / (long double)(n - 1)) : 0, vran = (double)(vr / (long double)n);
  double s2 = ldexp(sigma, -d->yexp), total = vf + vran + s2 * s2;
  *marginal = total > 0 ? vf / total : NAN;
  *conditional = total > 0 ? (vf + vran) / total : NAN;
done:
  for (int k = 0; k < R2_PARTS; k++) {
    lmm_free(job.part[k].X);
    lmm_free(job.part[k].Z);
    lmm_free(job.part[k].eta);
    lmm_free(job.part[k].x0);
  }
  lmm_free(b);
  lmm_free(sd);
  lmm_free(cor);
  return rc;
}
