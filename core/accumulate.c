/* accumulate.c — the values of A (see blocks.h) in passes over the rows:
 * the fixed part's basis, then one pass for every cross-product.
 *
 * The pass takes the rows in the order of the first term's levels, so the
 * blocks whose column term is the first (by far the largest) are written in
 * storage order, and a row finds its place in them through a map filled once
 * per level instead of by a search.  Large data are cut at level boundaries
 * into PARTS parts run on threads: each part adds into the first term's
 * columns of its own levels in place, and into its own copy of every other
 * block (those have few levels); the copies are summed at the end, in part
 * order.  The number of parts is fixed, not the machine's cores, so every
 * digit of A, and of the fit, is the same on any machine.
 */
#include "accumulate.h"
#include "alloc.h"
#include "lapack_steps.h"
#include "parallel.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { CHUNK = 512 };             /* rows of [X y] taken at a time */
enum { PARTS = 2 };               /* parts of a large pass */
enum { PARALLEL_ROWS = 50000 };   /* below this a pass is one part */


/* One chunk of [X y] (m rows, column-major, leading dimension CHUNK): rows
 * idx[0..m-1], or r0 .. r0+m-1 when idx is NULL; y scaled as X is (design.h). */
static void xy_chunk(const lmm_design *d, const uint32_t *idx, size_t r0, int m, double *B) {
  lmm_design_x_rows(d, idx, r0, m, B, CHUNK);
  double *y = B + (size_t)d->p * CHUNK, sc = ldexp(1.0, -d->yexp);
  for (int i = 0; i < m; i++) y[i] = d->y[idx ? idx[i] : r0 + (size_t)i] * sc;
}

/* One chunk's Z (column c of the terms' columns at Zc + c*CHUNK) and each
 * term's levels (term k at Gc + k*CHUNK), gathered column by column: the
 * rows are in the first term's order, so each read is a cache miss on large
 * data, and a column's reads, independent of one another, overlap.  The
 * first term's levels are not read but counted off its levels' starts in
 * that order (start0; NULL when the rows are in their own order). */
static void z_chunk(const lmm_system *s, const lmm_design *d, const int *zoff, const uint32_t *idx, const size_t *start0,
                    size_t r0, int m, double *Zc, int *Gc) {
  for (int k = 0; k < s->K; k++) {
    const int *g = d->re[s->term[k]].g;
    if (k == 0 && start0) {
      int lo = 0, hi = s->nl[0];   /* the level whose rows hold position r0: the last l with start0[l] <= r0 */
      while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (start0[mid] <= r0) lo = mid; else hi = mid;
      }
      for (int i = 0, l = lo; i < m; i++) {
        while (start0[l + 1] <= r0 + (size_t)i) l++;
        Gc[i] = l;
      }
    } else
      for (int i = 0; i < m; i++) Gc[i + k * CHUNK] = g[idx ? idx[i] : r0 + (size_t)i];
    for (int a = 0; a < s->q[k]; a++) lmm_design_z_rows(d, s->term[k], a, idx, r0, m, Zc + (size_t)(zoff[k] + a) * CHUNK);
  }
}

/* The fixed effects' basis, before any cross-product with Z is formed: R of
 * the QR of [X y], by chunks of rows (R stacked on each chunk, re-factored by
 * dtpqrt), with no copy of X.  Then the blocks hold X~ = X R^-1 (X~'X~ = I
 * whatever the scales or near-collinearity of X) and y~ = y - X b0, the
 * least-squares residual, so a large intercept or offset is gone from y
 * before y'y is formed.  beta = b0 + R^-1 beta~ maps back.  R also says
 * whether X has full rank: a column whose R[j][j] is tiny next to its norm
 * is a combination of the columns before it.
 *
 * Its memory comes first (lmm_basis_alloc), so that the pass over the rows
 * (lmm_basis_qr) allocates nothing and may run on a thread of its own
 * beside the patterns (blocks.c). */
int lmm_basis_alloc(lmm_basis *b, const lmm_design *d, lmm_stop *stop) {
  int p1 = d->p + 1;
  b->p1 = p1;
  b->nb = p1 < 32 ? p1 : 32;
  b->R = lmm_calloc_asking(lmm_size_mul((size_t)p1, (size_t)p1), sizeof *b->R, stop);
  b->B = lmm_malloc_array(lmm_size_mul(CHUNK, (size_t)p1), sizeof *b->B);
  b->Tq = lmm_malloc_array(lmm_size_mul((size_t)b->nb, (size_t)p1), sizeof *b->Tq);
  b->work = lmm_malloc_array(lmm_size_mul((size_t)b->nb, (size_t)p1), sizeof *b->work);
  return b->R && b->B && b->Tq && b->work ? 0 : -1;
}

int lmm_basis_qr(lmm_basis *b, const lmm_design *d, lmm_stop *stop) {
  for (size_t r0 = 0; r0 < d->n; r0 += CHUNK) {
    int m = d->n - r0 < CHUNK ? (int)(d->n - r0) : CHUNK;
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    xy_chunk(d, NULL, r0, m, b->B);
    if (lmm_steps_tpqrt(m, b->p1, b->nb, b->R, b->p1, b->B, CHUNK, b->Tq, b->work, stop) == LMM_INTERRUPTED)
      return LMM_INTERRUPTED;
  }
  return LMM_OK;
}

void lmm_basis_free(lmm_basis *b) {
  lmm_free(b->R);
  lmm_free(b->B);
  lmm_free(b->Tq);
  lmm_free(b->work);
}

/* The basis from R: the rank checked, Rinv = R^-1, b0, log|det R|. */
int lmm_system_basis(lmm_system *s, const lmm_design *d, const double *R, lmm_stop *stop, lmm_error *err) {
  int p = d->p, p1 = p + 1;
  s->Rinv = lmm_calloc_asking(p ? lmm_size_mul((size_t)p, (size_t)p) : 1, sizeof *s->Rinv, stop);
  s->b0 = lmm_calloc((size_t)(p ? p : 1), sizeof *s->b0);
  if (!s->Rinv || !s->b0) return lmm_nomem_or_stopped(stop, err);
  /* rank: R[j][j] against the norm of column j (the norm of R's column j) */
  for (int j = 0; j < p1; j++) {
    double nrm = 0;
    for (int i = 0; i <= j; i++) nrm += R[i + j * p1] * R[i + j * p1];
    nrm = sqrt(nrm);
    double rjj = fabs(R[j + j * p1]);
    if (j < p && nrm == 0) return lmm_fail(err, LMM_ERR, "fixed-effect column '%s' is all zero in the rows used", d->xnames[j]);
    if (j < p && !(rjj > 1e-7 * nrm))
      return lmm_fail(err, LMM_ERR,
                      "fixed effects are rank deficient: column '%s' is a linear combination of the columns before it; drop it from the formula",
                      d->xnames[j]);
    if (j == p && !(rjj > 1e-12 * nrm))
      return lmm_fail(err, LMM_ERR, "the fixed effects reproduce the response exactly (zero residual variance), so no "
                    "variance of the random effects can be estimated; fit it without random effects, where an exact fit is a result");
  }
  s->log_det_r = 0;
  for (int j = 0; j < p; j++) {
    for (int i = 0; i <= j; i++) s->Rinv[i + j * p] = R[i + j * p1];
    s->log_det_r += log(fabs(R[j + j * p1]));
    s->b0[j] = R[j + p * p1];
  }
  if (p) {
    cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, p, s->Rinv, p, s->b0, 1);   /* b0 = R^-1 Q'y */
    int rc = lmm_steps_trtri_upper(p, s->Rinv, p, stop);                                      /* Rinv = R^-1 */
    if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
    if (rc) return lmm_nomem(err);
  }
  return LMM_OK;
}

/* The rows in the order of the first term's levels (a counting sort), so
 * that accumulating walks its blocks in storage order; *start gets where
 * each level's rows begin in it (nl + 1 entries). */
static uint32_t *first_term_order(const lmm_system *s, const lmm_design *d, size_t **start, int *failed) {
  size_t n = d->n;
  *failed = 0;
  *start = NULL;
  if (s->K == 0) return NULL;
  const int *g = d->re[s->term[0]].g;
  int nl = s->nl[0];
  uint32_t *order = lmm_malloc(sizeof *order * (n ? n : 1));
  size_t *next = lmm_calloc((size_t)nl + 1, sizeof *next);
  if (!order || !next) { lmm_free(order); lmm_free(next); *failed = 1; return NULL; }
  for (size_t r = 0; r < n; r++) next[g[r] + 1]++;
  for (int l = 0; l < nl; l++) next[l + 1] += next[l];
  for (size_t r = 0; r < n; r++) order[next[g[r]]++] = (uint32_t)r;
  memmove(next + 1, next, sizeof *next * (size_t)nl);   /* next[l] had become level l's end */
  next[0] = 0;
  *start = next;
  return order;
}


/* What one part of the pass works with: its rows order[r0..r1-1] (or
 * r0..r1-1), where it adds block (i,j) -- val[i*(K+1)+j], A's own values or
 * the part's copy -- and its scratch, allocated before the threads start. */
typedef struct acc_part {
  size_t r0, r1;
  double **val;
  double *B, *Zc, *z;   /* the chunk's [X y] and Z (CHUNK rows, column-major), one row's Z */
  int *Gc;              /* the chunk's level of each term (CHUNK x K) */
  int *at;   /* at[atoff[k] + l]: where level l of term k sits in the current first-term level's column of A[k][0] */
} acc_part;

typedef struct acc_job {
  lmm_system *s;
  const lmm_design *d;
  const uint32_t *order;
  size_t *start0;   /* where each first-term level's rows begin in order */
  int *zoff, *atoff;
  int nparts;
  acc_part part[PARTS];
  lmm_stop *stop;   /* asked by part 0, its answer seen by all */
} acc_job;

/* Point the part's map at level c's column of every block A[k][0]. */
static void map_level(const lmm_system *s, const int *atoff, int *at, int c) {
  for (int k = 1; k < s->K; k++) {
    const lmm_block *b = lmm_sys_A(s, k, 0);
    for (int pos = b->colptr[c]; pos < b->colptr[c + 1]; pos++) at[atoff[k] + b->rowidx[pos]] = pos;
  }
}

/* The chunk's X (m x p) times Rinv = R^-1 (upper), in place.  A wide X goes
 * by column groups of a step each, from the last: group [c, c+w) is
 * X[:, c:c+w] Rinv[c:c+w, c:c+w] plus X[:, 0:c] Rinv[0:c, c:c+w], whose
 * columns are not yet overwritten.  Nonzero when stopped. */
static int times_rinv(acc_job *job, int part, int m, int p, double *B) {
  const double *Rinv = job->s->Rinv;
  int w = lmm_steps_columns(2.0 * m * p);
  if (w >= p) {
    cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, p, 1.0, Rinv, p, B, CHUNK);
    return 0;
  }
  if (w < 16) w = 16;
  for (int c = (p - 1) / w * w; c >= 0; c -= w) {
    if (lmm_stop_part(job->stop, part)) return 1;
    int cw = p - c < w ? p - c : w;
    double *Bc = B + (size_t)c * CHUNK;
    cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, cw, 1.0, Rinv + c + (size_t)c * p, p, Bc,
                CHUNK);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, cw, c, 1.0, B, CHUNK, Rinv + (size_t)c * p, p, 1.0, Bc, CHUNK);
  }
  return 0;
}

/* C (p1 x p1, lower) += B'B for the chunk's [X~ y~] (m x p1); a wide one
 * by column groups of C of a step each.  Nonzero when stopped. */
static int add_crossprod(acc_job *job, int part, int m, int p1, const double *B, double *C) {
  int w = lmm_steps_columns(2.0 * m * p1);
  if (w >= p1) {
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, p1, m, 1.0, B, CHUNK, 1.0, C, p1);
    return 0;
  }
  if (w < 16) w = 16;
  for (int c = 0; c < p1; c += w) {
    if (lmm_stop_part(job->stop, part)) return 1;
    int cw = p1 - c < w ? p1 - c : w;
    const double *Bc = B + (size_t)c * CHUNK;
    double *Cc = C + c + (size_t)c * p1;
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, cw, m, 1.0, Bc, CHUNK, 1.0, Cc, p1);
    if (c + cw < p1)
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p1 - c - cw, cw, m, 1.0, Bc + (size_t)cw * CHUNK, CHUNK, Bc, CHUNK,
                  1.0, Cc + cw, p1);
  }
  return 0;
}

/* One part's rows: [X~ y~] from [X y] by the basis, its own cross-product by
 * BLAS, and each row's products with the terms' columns into the diagonal,
 * sparse and fixed-part blocks. */
static int accumulate_part(void *arg, int part) {
  acc_job *job = arg;
  acc_part *pt = &job->part[part];
  const lmm_system *s = job->s;
  const lmm_design *d = job->d;
  int K = s->K, K1 = K + 1, p = d->p, p1 = p + 1, cur = -1;
  double *B = pt->B, *z = pt->z, **val = pt->val;
  const int *zoff = job->zoff;
  for (size_t r0 = pt->r0; r0 < pt->r1; r0 += CHUNK) {
    int m = pt->r1 - r0 < CHUNK ? (int)(pt->r1 - r0) : CHUNK;
    if (lmm_stop_part(job->stop, part)) return LMM_INTERRUPTED;
    const uint32_t *idx = job->order ? job->order + r0 : NULL;
    xy_chunk(d, idx, r0, m, B);
    z_chunk(s, d, zoff, idx, job->start0, r0, m, pt->Zc, pt->Gc);
    if (p) {
      double *y = B + (size_t)p * CHUNK;
      cblas_dgemv(CblasColMajor, CblasNoTrans, m, p, -1.0, B, CHUNK, s->b0, 1, 1.0, y, 1);            /* y~ = y - X b0 */
      if (times_rinv(job, part, m, p, B)) return LMM_INTERRUPTED;                                       /* X~ = X R^-1 */
    }
    if (add_crossprod(job, part, m, p1, B, val[K * K1 + K])) return LMM_INTERRUPTED;
    for (int i = 0; i < m; i++) {
      const int *g = pt->Gc + i;   /* g[k * CHUNK]: the row's level of term k */
      for (int c = 0; c < zoff[K]; c++) z[c] = pt->Zc[i + (size_t)c * CHUNK];
      if (K > 1 && g[0] != cur) map_level(s, job->atoff, pt->at, cur = g[0]);
      for (int j = 0; j < K; j++) {
        const double *zj = z + zoff[j];
        int qj = s->q[j], lj = g[j * CHUNK];
        double *D = val[j * K1 + j] + (size_t)lj * (size_t)(qj * qj);
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qj; a++) D[a + b * qj] += zj[a] * zj[b];
        for (int k = j + 1; k < K; k++) {
          const double *zk = z + zoff[k];
          int qk = s->q[k], lk = g[k * CHUNK];
          const lmm_block *Akj = lmm_sys_A(s, k, j);
          size_t pos = j == 0 ? (size_t)pt->at[job->atoff[k] + lk] : (size_t)(lmm_block_at(Akj, lk, lj) - Akj->v) / (size_t)(qk * qj);
          double *P = val[k * K1 + j] + pos * (size_t)(qk * qj);
          for (int b = 0; b < qj; b++)
            for (int a = 0; a < qk; a++) P[a + b * qk] += zk[a] * zj[b];
        }
        double *F = val[K * K1 + j];
        for (int b = 0; b < qj; b++) {
          double *col = F + (size_t)(lj * qj + b) * (size_t)p1;
          for (int a = 0; a < p1; a++) col[a] += B[i + (size_t)a * CHUNK] * zj[b];
        }
      }
    }
  }
  return LMM_OK;
}

/* Values part k adds into for itself: every block whose column term is not
 * the first (part 0 adds into A itself). */
static size_t copied_values(const lmm_system *s) {
  size_t v = 0;
  for (int j = 1; j <= s->K; j++)
    for (int i = j; i <= s->K; i++) v += lmm_block_values(lmm_sys_A(s, i, j));
  return v;
}

static void free_job(acc_job *job) {
  int K1 = job->s->K + 1;
  for (int k = 0; k < PARTS; k++) {
    acc_part *pt = &job->part[k];
    for (int j = 1; k > 0 && pt->val && j < K1; j++)
      for (int i = j; i < K1; i++) lmm_free(pt->val[i * K1 + j]);
    lmm_free(pt->val);
    lmm_free(pt->B);
    lmm_free(pt->z);
    lmm_free(pt->Zc);
    lmm_free(pt->Gc);
    lmm_free(pt->at);
  }
  lmm_free(job->zoff);
  lmm_free(job->atoff);
}

/* The rows cut into nparts parts of about equal size, at first-term level boundaries. */
static void cut_rows(acc_job *job) {
  size_t n = job->d->n, at = 0;
  const int *g = job->s->K ? job->d->re[job->s->term[0]].g : NULL;
  for (int k = 0; k < job->nparts; k++) {
    job->part[k].r0 = at;
    size_t end = k + 1 == job->nparts ? n : n / (size_t)job->nparts * (size_t)(k + 1);
    if (end < at) end = at;
    while (g && end > 0 && end < n && g[job->order[end]] == g[job->order[end - 1]]) end++;
    job->part[k].r1 = at = end;
  }
}

/* A's values in one pass over the rows, in parts when the data are large
 * and the copies small (see the file comment); LMM_INTERRUPTED or LMM_NOMEM. */
static int accumulate(lmm_system *s, const lmm_design *d, lmm_stop *stop) {
  int K = s->K, K1 = K + 1, p1 = d->p + 1, qsum = 0, natl = 0, failed, rc = LMM_NOMEM;
  acc_job job = {.s = s, .d = d, .nparts = 1, .stop = stop};
  for (int k = 0; k < K; k++) qsum += s->q[k];
  for (int k = 1; k < K; k++) natl += s->nl[k];
  job.order = first_term_order(s, d, &job.start0, &failed);
  if (K && d->n >= PARALLEL_ROWS && copied_values(s) <= d->n) job.nparts = PARTS;
  job.zoff = lmm_malloc(sizeof *job.zoff * (size_t)K1);
  job.atoff = lmm_malloc(sizeof *job.atoff * (size_t)K1);
  if (failed || !job.zoff || !job.atoff) goto done;
  for (int k = 0, o = 0, a = 0; k < K; k++) {
    job.zoff[k] = o;
    o += s->q[k];
    job.atoff[k] = a;
    if (k) a += s->nl[k];
  }
  job.zoff[K] = qsum;
  for (int k = 0; k < job.nparts; k++) {
    acc_part *pt = &job.part[k];
    pt->B = lmm_malloc_array(lmm_size_mul(CHUNK, (size_t)p1), sizeof *pt->B);
    pt->z = lmm_malloc_array((size_t)(qsum ? qsum : 1), sizeof *pt->z);
    pt->Zc = lmm_malloc_array(lmm_size_mul(CHUNK, (size_t)(qsum ? qsum : 1)), sizeof *pt->Zc);
    pt->Gc = lmm_malloc_array(lmm_size_mul(CHUNK, (size_t)K1), sizeof *pt->Gc);
    pt->at = lmm_malloc_array((size_t)(natl ? natl : 1), sizeof *pt->at);
    pt->val = lmm_calloc(lmm_size_mul((size_t)K1, (size_t)K1), sizeof *pt->val);
    if (!pt->B || !pt->z || !pt->Zc || !pt->Gc || !pt->at || !pt->val) goto done;
    for (int j = 0; j < K1; j++)
      for (int i = j; i < K1; i++) {
        const lmm_block *a = lmm_sys_A(s, i, j);
        if (k == 0 || j == 0) pt->val[i * K1 + j] = a->v;
        else if (!(pt->val[i * K1 + j] = lmm_calloc_asking(lmm_block_values(a) ? lmm_block_values(a) : 1, sizeof(double), stop))) {
          if (lmm_stop_seen(stop)) rc = LMM_INTERRUPTED;
          goto done;
        }
      }
  }
  cut_rows(&job);
  rc = lmm_parallel(job.nparts, accumulate_part, &job);
  for (int k = 1; k < job.nparts && !rc; k++)
    for (int j = 1; j < K1; j++)
      for (int i = j; i < K1; i++) {
        lmm_block *a = lmm_sys_A(s, i, j);
        const double *v = job.part[k].val[i * K1 + j];
        for (size_t t = 0, nv = lmm_block_values(a); t < nv; t++) a->v[t] += v[t];
      }
done:
  free_job(&job);
  lmm_free((void *)job.order);
  lmm_free(job.start0);
  return rc;
}

static void to_unit_columns(lmm_system *s);

/* Each random-effects column at unit root mean square (see zscale). */
int lmm_system_unit_columns(lmm_system *s) {
  int K = s->K;
  if (!(s->zscale = lmm_calloc((size_t)(K ? K : 1), sizeof *s->zscale))) return -1;
  for (int k = 0; k < K; k++) {
    int q = s->q[k];
    double *z = s->zscale[k] = lmm_malloc(sizeof *z * (size_t)q);
    if (!z) return -1;
    const lmm_block *D = lmm_sys_A(s, k, k);
    for (int a = 0; a < q; a++) {
      double ss = 0;
      for (int l = 0; l < s->nl[k]; l++) ss += D->v[(size_t)l * (size_t)(q * q) + (size_t)(a + a * q)];
      z[a] = sqrt(ss / (double)s->n);
      if (!(z[a] > 0) || !isfinite(z[a])) z[a] = 1;
    }
  }
  to_unit_columns(s);
  return 0;
}

/* A's random-effects columns divided by their zscale. */
static void to_unit_columns(lmm_system *s) {
  int K = s->K, p1 = s->p + 1;
  for (int j = 0; j < K; j++) {
    const double *zj = s->zscale[j];
    int qj = s->q[j];
    for (int i = j; i < K; i++) {
      lmm_block *b = lmm_sys_A(s, i, j);
      const double *zi = s->zscale[i];
      int qi = s->q[i];
      size_t nblk = lmm_block_values(b) / (size_t)(qi * qj);
      for (size_t k = 0; k < nblk; k++)
        for (int c = 0; c < qj; c++)
          for (int r = 0; r < qi; r++) b->v[k * (size_t)(qi * qj) + (size_t)(r + c * qi)] /= zi[r] * zj[c];
    }
    lmm_block *F = lmm_sys_A(s, K, j);
    for (int c = 0; c < F->cols; c++)
      for (int r = 0; r < p1; r++) F->v[(size_t)c * (size_t)p1 + (size_t)r] /= zj[c % qj];
  }
}


int lmm_system_fill(lmm_system *s, const lmm_design *d, const lmm_basis *b, lmm_stop *stop, lmm_error *err) {
  int rc = lmm_system_basis(s, d, b->R, stop, err);
  if (rc) return rc;
  if ((rc = accumulate(s, d, stop)))
    return rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted") : lmm_nomem(err);
  return lmm_system_unit_columns(s) ? lmm_nomem(err) : LMM_OK;
}

int lmm_system_refill(lmm_system *s, const lmm_design *d, lmm_stop *stop) {
  for (int j = 0; j <= s->K; j++)
    for (int i = j; i <= s->K; i++) {
      lmm_block *a = lmm_sys_A(s, i, j);
      memset(a->v, 0, sizeof *a->v * lmm_block_values(a));
    }
  int rc = accumulate(s, d, stop);
  if (!rc) to_unit_columns(s);
  return rc;
}
