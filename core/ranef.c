/* ranef.c — conditional modes by back-substitution in the blocked factor,
 * conditional covariances from its inverse. */
#include "ranef.h"
#include "alloc.h"
#include "selinv.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

void lmm_ranef_free(lmm_ranef *r) {
  if (!r) return;
  for (int t = 0; t < r->nre; t++) {
    lmm_free(r->term[t].b);
    lmm_free(r->term[t].sd);
  }
  lmm_free(r->term);
  lmm_free(r);
}

/* y <- y - B' x for one block of L (B: rows of term i, columns of term j). */
static void sub_bt_x(const lmm_block *B, const double *x, double *y) {
  if (B->kind == BLK_DENSE) {
    cblas_dgemv(CblasColMajor, CblasTrans, B->rows, B->cols, -1.0, B->v, B->ld, x, 1, 1.0, y, 1);
    return;
  }
  for (int c = 0; c < B->nc; c++)
    for (int k = B->colptr[c]; k < B->colptr[c + 1]; k++) {
      const double *blk = B->v + (size_t)k * (size_t)(B->rq * B->cq);
      const double *xr = x + (size_t)B->rowidx[k] * (size_t)B->rq;
      double *yc = y + (size_t)c * (size_t)B->cq;
      for (int b = 0; b < B->cq; b++)
        for (int a = 0; a < B->rq; a++) yc[b] -= blk[a + b * B->rq] * xr[a];
    }
}

/* x <- L^-T x for a diagonal block of L. */
static void diag_solve_t(const lmm_block *L, double *x) {
  if (L->kind == BLK_DENSE) {
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, L->rows, L->v, L->ld, x, 1);
    return;
  }
  int q = L->rq;
  for (int l = 0; l < L->nc; l++)
    cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, q, L->v + (size_t)l * (size_t)(q * q), q,
                x + (size_t)l * (size_t)q, 1);
}

int lmm_ranef_compute(const lmm_design *d, const lmm_system *s, const lmm_fit *f, int with_cov, lmm_stop *stop,
                      lmm_ranef **out, lmm_error *err) {
  *out = NULL;
  int K = s ? s->K : 0, p = d->p;
  lmm_ranef *r = lmm_calloc(1, sizeof *r);
  int *off = lmm_calloc((size_t)K + 1, sizeof *off);
  if (!r || !off) { lmm_free(r); lmm_free(off); return lmm_nomem(err); }
  r->term = lmm_calloc((size_t)(d->nre ? d->nre : 1), sizeof *r->term);
  if (!r->term) { lmm_free(off); lmm_free(r); return lmm_nomem(err); }
  r->nre = d->nre;
  for (int t = 0; t < d->nre; t++) r->term[t].grp = d->frame->f->bars[t].grp_name;
  if (d->nre == 0) { lmm_free(off); *out = r; return LMM_OK; }
  for (int k = 0; k < K; k++) off[k + 1] = off[k] + s->q[k] * s->nl[k];
  int m = off[K], rc = LMM_OK;
  double *u = lmm_calloc((size_t)(m ? m : 1), sizeof *u);
  if (!u) { rc = lmm_nomem(err); goto done; }
  /* right-hand side: l_yZ' - L_XZ' beta, then L_Z' u = rhs by blocks, last term first */
  for (int j = 0; j < K; j++) {
    const lmm_block *F = lmm_sys_L(s, K, j);
    for (int c = 0; c < F->cols; c++) {
      const double *col = F->v + (size_t)c * (size_t)F->ld;
      double acc = col[p];
      for (int a = 0; a < p; a++) acc -= col[a] * f->beta_scaled[a];
      u[off[j] + c] = acc;
    }
  }
  for (int j = K - 1; j >= 0; j--) {
    for (int i = j + 1; i < K; i++) {
      if (lmm_stop_asked(stop)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); goto done; }
      sub_bt_x(lmm_sys_L(s, i, j), u + off[i], u + off[j]);
    }
    diag_solve_t(lmm_sys_L(s, j, j), u + off[j]);
  }
  lmm_selinv *Sigma = NULL;
  if (with_cov && (rc = lmm_selinv_new(s, stop, &Sigma, err))) goto done;
  /* u is in the blocks' units (design.h: y scaled by 2^-yexp); so are sigma
   * and T~ = diag(2^zexp) T for the variances, whose roots go to the data's
   * units, as a variance may leave a double's range where b does not */
  int ey = d->yexp;
  double ss = ldexp(f->sigma, -ey);
  ss *= ss;
  for (int k = 0; k < K && !rc; k++) {
    int t = s->term[k], q = s->q[k], nl = s->nl[k];
    lmm_ranef_term *rt = &r->term[t];
    rt->nlevels = nl;
    rt->q = q;
    rt->b = lmm_malloc_array(lmm_size_mul((size_t)nl, (size_t)q), sizeof *rt->b);
    if (with_cov) rt->sd = lmm_malloc_array(lmm_size_mul((size_t)nl, (size_t)q), sizeof *rt->sd);
    if (!rt->b || (with_cov && !rt->sd)) { rc = lmm_nomem(err); break; }
    double T[LMM_MAX_Q * LMM_MAX_Q], Ts[LMM_MAX_Q * LMM_MAX_Q] = {0}, C[LMM_MAX_Q * LMM_MAX_Q];
    lmm_theta_term_T(f->map, f->theta, t, T);
    for (int a = 0; a < q && with_cov; a++)
      for (int c = 0; c <= a; c++) Ts[a + c * q] = ldexp(T[a + c * q], d->re[t].zexp[a]);
    for (int l = 0; l < nl; l++) {
      const double *ul = u + off[k] + l * q;
      for (int a = 0; a < q; a++) {
        double acc = 0;
        for (int c = 0; c <= a; c++) acc += T[a + c * q] * ul[c];
        rt->b[l * q + a] = ldexp(acc, ey);
      }
      if (!with_cov) continue;
      /* C: the level's block of (L_Z L_Z')^-1 */
      int ld;
      const double *blk = lmm_selinv_level(Sigma, k, l, &ld);
      for (int a = 0; a < q; a++)
        for (int b = 0; b < q; b++) C[a + b * q] = a >= b ? blk[a + b * ld] : blk[b + a * ld];
      /* the diagonal of sigma^2 T C T' */
      for (int a = 0; a < q; a++) {
        double acc = 0;
        for (int b = 0; b < q; b++) {
          double tc = 0;
          for (int c = 0; c < q; c++) tc += Ts[a + c * q] * C[c + b * q];
          acc += tc * Ts[a + b * q];
        }
        rt->sd[(size_t)l * (size_t)q + (size_t)a] = ldexp(sqrt(ss * acc), ey - d->re[t].zexp[a]);
      }
    }
  }
  lmm_selinv_free(Sigma);
done:
  lmm_free(u);
  lmm_free(off);
  if (rc) { lmm_ranef_free(r); return rc; }
  *out = r;
  return LMM_OK;
}
