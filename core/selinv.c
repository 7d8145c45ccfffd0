/* selinv.c — the blocks of  Σ = (L_Z L_Z')^-1  on the pattern of L_Z, the
 * random-effects part of the factor: what the conditional covariances of the
 * random effects (lme4's condVar) need, without forming an m x m inverse
 * (13 GB for 40,000 random effects).
 *
 * Takahashi's recursion, by block columns from the last term back:
 *   Σ[i][j] = -Σ_k Σ[i][k] L[k][j] L[j][j]^-1        (k > j, i > j)
 *   Σ[j][j] = L[j][j]^-T (L[j][j]^-1 - Σ_k L[k][j]' Σ[k][j])
 * The terms that stay block diagonal come first (blocks.c); the rest of L_Z,
 * crossed and so dense, is inverted in one piece by LAPACK.  Then each level
 * c of a block-diagonal term needs Σ only among the rows its column of L
 * holds, and those entries lie in L's pattern, where the recursion has
 * already put them.
 */
#include "selinv.h"
#include "alloc.h"
#include "lapack_steps.h"

#include <lapacke.h>
#include <string.h>

void lmm_selinv_free(lmm_selinv *Sigma) {
  if (!Sigma) return;
  for (int i = 0; Sigma->blk && i < Sigma->K * Sigma->K; i++) lmm_free(Sigma->blk[i].v);
  lmm_free(Sigma->blk);
  lmm_free(Sigma);
}

/* Sigma[i][k] at level rows (r of term i, t of term k), as a pointer and the
 * strides to walk it as a q_i x q_k matrix (transposed where i < k). */
static const double *entry(const lmm_selinv *Sigma, int i, int r, int k, int t, int *rs, int *cs) {
  const lmm_block *b = i >= k ? lmm_selinv_block(Sigma, i, k) : lmm_selinv_block(Sigma, k, i);
  int tr = i < k;
  if (tr) { int x = i; i = k; k = x; x = r; r = t; t = x; }
  const double *p;
  int ld;
  if (b->kind == BLK_DENSE) { ld = b->rows; p = b->v + (size_t)r * (size_t)b->rq + (size_t)t * (size_t)b->cq * (size_t)ld; }
  else if (b->kind == BLK_DIAG) { ld = b->rq; p = r == t ? b->v + (size_t)r * (size_t)(b->rq * b->rq) : NULL; }
  else { ld = b->rq; p = lmm_block_at(b, r, t); }
  *rs = tr ? ld : 1;
  *cs = tr ? 1 : ld;
  return p;
}

/* The trailing terms whose L blocks are dense, inverted as one matrix. */
static int dense_tail(const lmm_system *s, lmm_selinv *Sigma, int P, lmm_stop *stop, lmm_error *err) {
  int K = s->K, m = 0;
  int off[LMM_SELINV_MAX_TERMS + 1];
  for (int k = P; k < K; k++) { off[k - P] = m; m += s->q[k] * s->nl[k]; }
  if (!m) return LMM_OK;
  double *D = lmm_calloc_asking((size_t)m * (size_t)m, sizeof *D, stop);
  if (!D) return lmm_nomem_or_stopped(stop, err);
  for (int j = P; j < K; j++)
    for (int i = j; i < K; i++) {
      const lmm_block *L = lmm_sys_L(s, i, j);
      for (int c = 0; c < L->cols; c++)
        memcpy(D + (size_t)off[i - P] + (size_t)(off[j - P] + c) * (size_t)m, L->v + (size_t)c * (size_t)L->ld,
               sizeof *D * (size_t)L->rows);
    }
  int rc = lmm_steps_potri('L', m, D, m, stop);
  if (rc) rc = rc == LMM_INTERRUPTED ? lmm_fail(err, rc, "interrupted")
               : rc == LMM_NOMEM ? lmm_nomem(err) : lmm_fail(err, LMM_NUMERIC, "the random-effects factor is singular");
  for (int j = P; j < K && !rc; j++)
    for (int i = j; i < K; i++) {
      lmm_block *b = &Sigma->blk[i * K + j];
      for (int c = 0; c < b->cols; c++)
        for (int r = 0; r < b->rows; r++) {
          size_t gr = (size_t)(off[i - P] + r), gc = (size_t)(off[j - P] + c);
          /* the lower triangle holds it; a diagonal block gets both halves */
          b->v[(size_t)r + (size_t)c * (size_t)b->rows] = gr >= gc ? D[gr + gc * (size_t)m] : D[gc + gr * (size_t)m];
        }
    }
  lmm_free(D);
  return rc;
}

/* x (q x q, lower) <- its inverse */
static int small_trtri(int q, double *x) {
  return q == 1 ? (x[0] = 1 / x[0], 0) : (int)LAPACKE_dtrtri(LAPACK_COL_MAJOR, 'L', 'N', q, x, q);
}

/* Term j, block diagonal: each level's column of Σ from the later terms'. */
static int diag_term(const lmm_system *s, lmm_selinv *Sigma, int j, lmm_stop *stop, lmm_error *err) {
  int K = s->K, qj = s->q[j];
  lmm_block *Sjj = &Sigma->blk[j * K + j];
  const lmm_block *Ljj = lmm_sys_L(s, j, j);
  int nent = 0, qmax = 1;
  for (int i = j + 1; i < K; i++) {
    if (s->q[i] > qmax) qmax = s->q[i];
    const lmm_block *B = lmm_sys_L(s, i, j);
    int most = 0;
    for (int c = 0; c < B->nc; c++) if (B->colptr[c + 1] - B->colptr[c] > most) most = B->colptr[c + 1] - B->colptr[c];
    nent += most;
  }
  /* per entry of a column: its term, level row, L block and W = L block D^-1 */
  int *term = lmm_malloc(sizeof *term * (size_t)(nent ? nent : 1)), *row = lmm_malloc(sizeof *row * (size_t)(nent ? nent : 1));
  const double **lb = lmm_malloc(sizeof *lb * (size_t)(nent ? nent : 1));
  double **sb = lmm_malloc(sizeof *sb * (size_t)(nent ? nent : 1));
  size_t wsize = (size_t)qmax * (size_t)qj;   /* one W block */
  double *W = lmm_malloc(sizeof *W * (size_t)(nent ? nent : 1) * wsize);
  int rc = LMM_OK;
  if (!term || !row || !lb || !sb || !W) { rc = lmm_nomem(err); goto done; }
  double Dinv[LMM_MAX_Q * LMM_MAX_Q], X[LMM_MAX_Q * LMM_MAX_Q], Y[LMM_MAX_Q * LMM_MAX_Q];
  for (int c = 0; c < s->nl[j] && !rc; c++) {
    if (lmm_stop_asked(stop)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); break; }
    memcpy(Dinv, Ljj->v + (size_t)c * (size_t)(qj * qj), sizeof *Dinv * (size_t)(qj * qj));
    for (int a = 0; a < qj; a++) for (int b = a + 1; b < qj; b++) Dinv[a + b * qj] = 0;
    if (small_trtri(qj, Dinv)) { rc = lmm_fail(err, LMM_NUMERIC, "the random-effects factor is singular"); break; }
    int n = 0;
    for (int i = j + 1; i < K; i++) {
      const lmm_block *B = lmm_sys_L(s, i, j);
      lmm_block *SB = &Sigma->blk[i * K + j];
      int qi = s->q[i];
      for (int k = B->colptr[c]; k < B->colptr[c + 1]; k++, n++) {
        term[n] = i;
        row[n] = B->rowidx[k];
        lb[n] = B->v + (size_t)k * (size_t)(qi * qj);
        sb[n] = SB->v + (size_t)k * (size_t)(qi * qj);
        double *w = W + (size_t)n * wsize;   /* W = B D^-1 (qi x qj) */
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qi; a++) {
            double acc = 0;
            for (int l = b; l < qj; l++) acc += lb[n][a + l * qi] * Dinv[l + b * qj];
            w[a + b * qi] = acc;
          }
      }
    }
    /* Σ[i][j] at each entry: minus the sum over entries f of Σ[i][k](r, t) W_f */
    for (int e = 0; e < n; e++) {
      int qi = s->q[term[e]];
      memset(X, 0, sizeof *X * (size_t)(qi * qj));
      for (int f = 0; f < n; f++) {
        int qk = s->q[term[f]], rs, cs;
        const double *E = entry(Sigma, term[e], row[e], term[f], row[f], &rs, &cs);
        if (!E) continue;   /* two levels of one block-diagonal term: not in one column (nesting) */
        const double *w = W + (size_t)f * wsize;
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qi; a++) {
            double acc = 0;
            for (int l = 0; l < qk; l++) acc += E[a * rs + l * cs] * w[l + b * qk];
            X[a + b * qi] += acc;
          }
      }
      for (int a = 0; a < qi * qj; a++) sb[e][a] = -X[a];
    }
    /* Σ[j][j] = D^-T (D^-1 - Σ_e L_e' Σ_e) */
    memcpy(Y, Dinv, sizeof *Y * (size_t)(qj * qj));
    for (int e = 0; e < n; e++) {
      int qi = s->q[term[e]];
      for (int b = 0; b < qj; b++)
        for (int a = 0; a < qj; a++) {
          double acc = 0;
          for (int l = 0; l < qi; l++) acc += lb[e][l + a * qi] * sb[e][l + b * qi];
          Y[a + b * qj] -= acc;
        }
    }
    double *out = Sjj->v + (size_t)c * (size_t)(qj * qj);
    for (int b = 0; b < qj; b++)
      for (int a = 0; a < qj; a++) {
        double acc = 0;
        for (int l = 0; l < qj; l++) acc += Dinv[l + a * qj] * Y[l + b * qj];
        out[a + b * qj] = acc;
      }
  }
done:
  lmm_free(term);
  lmm_free(row);
  lmm_free(lb);
  lmm_free(sb);
  lmm_free(W);
  return rc;
}

int lmm_selinv_new(const lmm_system *s, lmm_stop *stop, lmm_selinv **out, lmm_error *err) {
  *out = NULL;
  int K = s->K;
  if (K > LMM_SELINV_MAX_TERMS) return lmm_fail(err, LMM_ERR, "conditional variances need at most %d random-effects terms", LMM_SELINV_MAX_TERMS);
  lmm_selinv *Sigma = lmm_calloc(1, sizeof *Sigma);
  if (!Sigma) return lmm_nomem(err);
  Sigma->K = K;
  Sigma->blk = lmm_calloc(K ? lmm_size_mul((size_t)K, (size_t)K) : 1, sizeof *Sigma->blk);
  if (!Sigma->blk) { lmm_selinv_free(Sigma); return lmm_nomem(err); }
  int P = 0;   /* the block-diagonal terms come first */
  while (P < K && lmm_sys_L(s, P, P)->kind == BLK_DIAG) P++;
  for (int i = 0; i < K; i++)
    for (int j = 0; j <= i; j++) {
      lmm_block *b = &Sigma->blk[i * K + j];
      *b = *lmm_sys_L(s, i, j);   /* same shape and pattern; values of its own */
      b->shares_pattern = 1;
      b->ld = b->rows;
      b->in_tail = 0;
      b->v = lmm_calloc_asking(lmm_block_values(b) ? lmm_block_values(b) : 1, sizeof *b->v, stop);
      if (!b->v) { lmm_selinv_free(Sigma); return lmm_nomem_or_stopped(stop, err); }
    }
  int rc = dense_tail(s, Sigma, P, stop, err);
  for (int j = P - 1; j >= 0 && !rc; j--) rc = diag_term(s, Sigma, j, stop, err);
  if (rc) { lmm_selinv_free(Sigma); return rc; }
  *out = Sigma;
  return LMM_OK;
}

const double *lmm_selinv_level(const lmm_selinv *Sigma, int k, int l, int *ld) {
  const lmm_block *b = lmm_selinv_block(Sigma, k, k);
  if (b->kind == BLK_DIAG) { *ld = b->rq; return b->v + (size_t)l * (size_t)(b->rq * b->rq); }
  *ld = b->rows;
  return b->v + (size_t)l * (size_t)b->rq * ((size_t)b->rows + 1);
}
