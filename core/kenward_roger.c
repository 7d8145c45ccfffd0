/* kenward_roger.c — see kenward_roger.h.
 *
 * The work is in the design's scaled units (X^ = X 2^-xexp, Z^ = Z 2^-zexp,
 * design.h) with V~ = I + Z^ G^ Z^' (G^ = Lambda Lambda', Lambda block
 * diagonal, T^ = diag(2^zexp) T for each level) and sigma 1: P_i, Q_ij, W and
 * Phi for V = sigma^2 V~ in the data's units differ from these by factors
 * that cancel in Phi_A and in KR's statistics, so the df do not depend on
 * the data's units (pbkrtest's choice between inverse and ginv for W does;
 * see adjust).
 *
 * With S = Z'Z, R = Z'X, L L' = Lambda' S Lambda + I, M = Lambda L^-T L^-1
 * Lambda' and N = I - M S, Woodbury gives V~^-1 = I - Z M Z', V~^-1 Z = Z N
 * (C below is S - G'G, G = L^-1 Lambda' S, and M S = Lambda L^-T G), and
 *   C = Z'V~^-1 Z = S N,   B = Z'V~^-1 X = N'R,   F = Z'V~^-2 X = N'B,
 *   X'V~^-1 X = X'X - R'M R,   X'V~^-2 X = X'X - 2 R'M R + (M R)' S (M R),
 *   X'V~^-3 X = X'V~^-2 X - B'M B,   tr V~^-2 = n - 2 tr(M S) + tr(M S M S),
 * so for random-effects parameters i, j (D_i restricted to term t_i's
 * columns, DB_i = D_i B there) and r the residual's:
 *   P_i = -B'D_i B,  P_r = -X'V~^-2 X,
 *   Q_ij = DB_i' C D_j B,  Q_ir = DB_i' F,  Q_rr = X'V~^-3 X,
 *   K_ij = tr(D_i C D_j C),  K_ir = tr(D_i N'S N) = tr(D_i N'C),  K_rr = tr V~^-2.
 */
#include "kenward_roger.h"
#include "alloc.h"
#include "dense_chol.h"
#include "lapack_steps.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

struct lmm_kr {
  int p, np;        /* fixed effects; variance parameters (the residual's last) */
  double *Phi, *PhiA;   /* p x p, the data's units */
  double *Phit;     /* p x p: Phi in the scaled units, sigma 1 */
  double *P;        /* np matrices p x p, scaled units */
  double *W;        /* np x np, scaled units */
  int *xexp;        /* p */
  double *work1;    /* lmm_kr_df's scratch */
};

/* rows of the design read at a time */
enum { CHUNK = 256 };

/* One variance parameter of a random-effects term: its term's first column in the Q columns, its levels,
 * order, and the (a, b) element of the term's covariance. */
typedef struct param { size_t off; int nlevels, q, a, b; } param;

/* Columns a step of a product whose columns cost col_flops: lapack_steps' choice, but at least 32 (one column
 * at a time is a matrix-vector product, many times slower). */
static int step_columns(double col_flops) {
  int w = lmm_steps_columns(col_flops);
  return w < 32 ? 32 : w;
}

/* C (m x n) = alpha op(A) B + beta C, cut by C's columns into steps with stop asked between them. */
static int gemm(CBLAS_TRANSPOSE ta, int m, int n, int k, double alpha, const double *A, int lda, const double *B,
                int ldb, double beta, double *C, int ldc, lmm_stop *stop) {
  int w = step_columns(2.0 * m * k);
  for (int c = 0; c < n; c += w) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    cblas_dgemm(CblasColMajor, ta, CblasNoTrans, m, n - c < w ? n - c : w, k, alpha, A, lda, B + (size_t)c * ldb, ldb,
                beta, C + (size_t)c * ldc, ldc);
  }
  return LMM_OK;
}

/* S = Z^'Z^ (Q x Q), R = Z^'X^ (Q x p), XX = X^'X^, in one pass over the rows. */
static int cross_products(const lmm_design *d, const size_t *off, size_t Q, double *S, double *R, double *XX,
                          lmm_stop *stop) {
  int p = d->p, nz = 0;
  for (int t = 0; t < d->nre; t++) nz += d->re[t].q;
  double *X = lmm_malloc_array((size_t)CHUNK * (size_t)(p + nz), sizeof *X), *Z = X ? X + (size_t)CHUNK * p : NULL;
  size_t *col = lmm_malloc_array((size_t)nz, sizeof *col);
  if (!X || !col) { lmm_free(X); lmm_free(col); return LMM_NOMEM; }
  memset(S, 0, sizeof *S * Q * Q);
  memset(R, 0, sizeof *R * Q * (size_t)p);
  memset(XX, 0, sizeof *XX * (size_t)p * (size_t)p);
  for (size_t r0 = 0; r0 < d->n; r0 += CHUNK) {
    if (lmm_stop_asked(stop)) { lmm_free(X); lmm_free(col); return LMM_INTERRUPTED; }
    int m = d->n - r0 < CHUNK ? (int)(d->n - r0) : CHUNK;
    lmm_design_x_rows(d, NULL, r0, m, X, CHUNK);
    for (int t = 0, c = 0; t < d->nre; t++)
      for (int a = 0; a < d->re[t].q; a++, c++) lmm_design_z_rows(d, t, a, NULL, r0, m, Z + (size_t)c * CHUNK);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, p, m, 1, X, CHUNK, 1, XX, p);
    for (int i = 0; i < m; i++) {
      for (int t = 0, c = 0; t < d->nre; t++)
        for (int a = 0; a < d->re[t].q; a++, c++)
          col[c] = off[t] + (size_t)d->re[t].g[r0 + (size_t)i] * (size_t)d->re[t].q + (size_t)a;
      for (int c = 0; c < nz; c++) {
        double zc = Z[(size_t)c * CHUNK + (size_t)i];
        if (zc == 0) continue;
        for (int e = 0; e < nz; e++) S[col[c] + col[e] * Q] += zc * Z[(size_t)e * CHUNK + (size_t)i];
        for (int j = 0; j < p; j++) R[col[c] + (size_t)j * Q] += zc * X[(size_t)j * CHUNK + (size_t)i];
      }
    }
  }
  for (int j = 0; j < p; j++)
    for (int i = 0; i < j; i++) XX[i + (size_t)j * p] = XX[j + (size_t)i * p];
  lmm_free(X);
  lmm_free(col);
  return LMM_OK;
}

/* X (Q x n, leading dimension Q) <- Lambda' X (trans 1) or Lambda X (trans 0), Lambda's blocks T^ (by design term,
 * q x q lower). */
static void lambda_rows(const lmm_design *d, const size_t *off, size_t Q, double *const *T, double *X, size_t n,
                        int trans) {
  double v[LMM_MAX_Q];
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q;
    const double *Tt = T[t];
    for (int l = 0; l < d->re[t].nlevels; l++) {
      double *x = X + off[t] + (size_t)l * q;
      for (size_t j = 0; j < n; j++, x += Q) {
        for (int a = 0; a < q; a++) {
          v[a] = 0;
          if (trans) for (int b = a; b < q; b++) v[a] += Tt[b + a * q] * x[b];
          else for (int b = 0; b <= a; b++) v[a] += Tt[a + b * q] * x[b];
        }
        memcpy(x, v, sizeof *v * (size_t)q);
      }
    }
  }
}

/* X (Q x p) <- M X = Lambda L^-T L^-1 Lambda' X, L (in A) the Cholesky factor of Lambda' S Lambda + I. */
static void m_times(const lmm_design *d, const size_t *off, size_t Q, double *const *T, const double *L, double *X,
                    int p) {
  lambda_rows(d, off, Q, T, X, (size_t)p, 1);
  cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)Q, p, 1, L, (int)Q, X, (int)Q);
  cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, (int)Q, p, 1, L, (int)Q, X, (int)Q);
  lambda_rows(d, off, Q, T, X, (size_t)p, 0);
}

/* X (Q x Q) <- L^-1 X (trans 0) or L^-T X (trans 1), cut by X's columns. */
static int solve_steps(size_t Q, const double *L, double *X, int trans, lmm_stop *stop) {
  int w = step_columns((double)Q * Q);
  for (size_t c = 0; c < Q; c += (size_t)w) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, trans ? CblasTrans : CblasNoTrans, CblasNonUnit, (int)Q,
                Q - c < (size_t)w ? (int)(Q - c) : w, 1, L, (int)Q, X + c * Q, (int)Q);
  }
  return LMM_OK;
}

/* tr(X Y) for p x p X, Y */
static double trace_prod(int p, const double *X, const double *Y) {
  double s = 0;
  for (int a = 0; a < p; a++)
    for (int b = 0; b < p; b++) s += X[a + (size_t)b * p] * Y[b + (size_t)a * p];
  return s;
}

/* C = A B (p x p) */
static void mul(int p, const double *A, const double *B, double *C) {
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, p, p, p, 1, A, p, B, p, 0, C, p);
}

/* D_i B over term t's rows (nlevels q x p, ld Qt) into DB: row (l, a) is B's row (l, b), and row (l, b)
 * B's row (l, a) off the diagonal. */
static void d_times(const param *pi, const double *B, size_t Q, int p, double *DB) {
  size_t Qt = (size_t)pi->nlevels * pi->q;
  memset(DB, 0, sizeof *DB * Qt * p);
  for (int l = 0; l < pi->nlevels; l++) {
    size_t ua = (size_t)l * pi->q + pi->a, ub = (size_t)l * pi->q + pi->b;
    for (int c = 0; c < p; c++) {
      DB[ua + c * Qt] += B[pi->off + ub + c * Q];
      if (pi->a != pi->b) DB[ub + c * Qt] += B[pi->off + ua + c * Q];
    }
  }
}

/* tr(D_i X' D_j Y) over the Q columns: sum over D_i's (u, u') and D_j's (v, v') of X[v, u'] Y[v', u]... as
 * K_ij = tr(D_i C D_j C) uses it (X = Y = C, symmetric). */
static double trace_dd(const param *pi, const param *pj, const double *C, size_t Q) {
  double s = 0;
  for (int l = 0; l < pi->nlevels; l++) {
    size_t u[2] = {pi->off + (size_t)l * pi->q + pi->a, pi->off + (size_t)l * pi->q + pi->b};
    int nu = pi->a != pi->b ? 2 : 1;
    for (int m = 0; m < pj->nlevels; m++) {
      size_t v[2] = {pj->off + (size_t)m * pj->q + pj->a, pj->off + (size_t)m * pj->q + pj->b};
      int nv = pj->a != pj->b ? 2 : 1;
      for (int x = 0; x < nu; x++)
        for (int y = 0; y < nv; y++) s += C[u[1 - x] + v[y] * Q] * C[v[1 - y] + u[x] * Q];
    }
  }
  return s;
}

/* Twice the inverse of the symmetric k x k matrix H (destroyed) into Hi, over the eigenvalues above sqrt(eps)
 * of the largest in magnitude: the inverse unless H is nearly singular, MASS's ginv where it is. */
static int twice_inverse(int k, double *H, double *Hi, double *ev) {
  if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'L', k, H, k, ev)) return LMM_NUMERIC;
  double hi = 0;
  for (int e = 0; e < k; e++) if (fabs(ev[e]) > hi) hi = fabs(ev[e]);
  double tol = sqrt(DBL_EPSILON) * hi;
  memset(Hi, 0, sizeof *Hi * (size_t)k * k);
  for (int e = 0; e < k; e++) {
    if (!(fabs(ev[e]) > tol)) continue;
    for (int b = 0; b < k; b++)
      for (int a = 0; a < k; a++) Hi[a + b * k] += 2 * H[a + e * k] * H[b + e * k] / ev[e];
  }
  return LMM_OK;
}

static size_t adjust_work(int np, int p, int q);

/* The work of lmm_kr_new once its arrays exist. */
typedef struct bufs {
  double *S, *A, *Lt, *C, *R, *B, *MR, *F, *Y, *DB, *XX, *E2, *E3, *Q, *K, *T1, *T2, *U, *ev;
} bufs;

static int adjust(const lmm_design *d, const lmm_fit *f, const size_t *off, size_t Q, double *const *T,
                  const param *par, lmm_kr *k, bufs *w, lmm_stop *stop) {
  int p = d->p, np = k->np, nr = np - 1, rc;
  size_t pp = (size_t)p * p;
  double *L = w->A, *G = w->Lt, *S = w->S, *C = w->C;
  /* G = Lambda' S; A = Lambda' S Lambda + I = L L' */
  memcpy(G, S, sizeof *G * Q * Q);
  lambda_rows(d, off, Q, T, G, Q, 1);
  for (size_t b = 0; b < Q; b++)
    for (size_t a = 0; a < Q; a++) L[a + b * Q] = G[b + a * Q];
  lambda_rows(d, off, Q, T, L, Q, 1);
  for (size_t a = 0; a < Q; a++) L[a + a * Q] += 1;
  int info = lmm_dense_chol((int)Q, L, (int)Q, stop);
  if (info == LMM_DENSE_CHOL_STOPPED) return LMM_INTERRUPTED;
  if (info) return LMM_NUMERIC;
  /* G = L^-1 Lambda' S; C = S - G'G (its lower triangle by column groups, then made symmetric) */
  if ((rc = solve_steps(Q, L, G, 0, stop))) return rc;
  memcpy(C, S, sizeof *C * Q * Q);
  int cw = step_columns(2.0 * Q * Q);
  for (size_t c = 0; c < Q; c += (size_t)cw) {
    if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
    int n = Q - c < (size_t)cw ? (int)(Q - c) : cw;
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)(Q - c), n, (int)Q, -1, G + c * Q, (int)Q, G + c * Q,
                (int)Q, 1, C + c + c * Q, (int)Q);
  }
  for (size_t b = 0; b < Q; b++)
    for (size_t a = b + 1; a < Q; a++) C[b + a * Q] = C[a + b * Q];
  /* M S = Lambda L^-T G; tr(M S), tr(M S M S); N = I - M S */
  if ((rc = solve_steps(Q, L, G, 1, stop))) return rc;
  double *N = G;
  lambda_rows(d, off, Q, T, N, Q, 0);
  double trMS = 0, trMSMS = 0;
  for (size_t a = 0; a < Q; a++) {
    trMS += N[a + a * Q];
    for (size_t b = 0; b < Q; b++) trMSMS += N[a + b * Q] * N[b + a * Q];
  }
  for (size_t e = 0; e < Q * Q; e++) N[e] = -N[e];
  for (size_t a = 0; a < Q; a++) N[a + a * Q] += 1;
  /* MR, B = R - S MR, F = N'B, E2, E3 and Phi~ */
  memcpy(w->MR, w->R, sizeof *w->MR * Q * p);
  m_times(d, off, Q, T, L, w->MR, p);
  memcpy(w->B, w->R, sizeof *w->B * Q * p);
  if ((rc = gemm(CblasNoTrans, (int)Q, p, (int)Q, -1, S, (int)Q, w->MR, (int)Q, 1, w->B, (int)Q, stop))) return rc;
  if ((rc = gemm(CblasTrans, (int)Q, p, (int)Q, 1, N, (int)Q, w->B, (int)Q, 0, w->F, (int)Q, stop))) return rc;
  if ((rc = gemm(CblasNoTrans, (int)Q, p, (int)Q, 1, S, (int)Q, w->MR, (int)Q, 0, w->Y, (int)Q, stop))) return rc;
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Q, 1, w->R, (int)Q, w->MR, (int)Q, 0, w->T1, p);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Q, 1, w->MR, (int)Q, w->Y, (int)Q, 0, w->T2, p);
  for (size_t e = 0; e < pp; e++) {
    k->Phit[e] = w->XX[e] - w->T1[e];
    w->E2[e] = w->XX[e] - 2 * w->T1[e] + w->T2[e];
  }
  memcpy(w->Y, w->B, sizeof *w->Y * Q * p);
  m_times(d, off, Q, T, L, w->Y, p);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Q, 1, w->B, (int)Q, w->Y, (int)Q, 0, w->T1, p);
  for (size_t e = 0; e < pp; e++) w->E3[e] = w->E2[e] - w->T1[e];
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', p, k->Phit, p) || LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', p, k->Phit, p))
    return LMM_NUMERIC;
  for (int b = 0; b < p; b++)
    for (int a = 0; a < b; a++) k->Phit[a + (size_t)b * p] = k->Phit[b + (size_t)a * p];
  /* P_i; Q_ij (i <= j) in Q[i + j np]; K */
  double *Pm = k->P, *Qm = w->Q, *K = w->K;
  for (int i = 0; i < nr; i++) {
    size_t Qt = (size_t)par[i].nlevels * par[i].q;
    double *DBi = w->DB + (size_t)i * Q * p;
    d_times(&par[i], w->B, Q, p, DBi);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Qt, -1, w->B + par[i].off, (int)Q, DBi, (int)Qt, 0,
                Pm + (size_t)i * pp, p);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Qt, 1, DBi, (int)Qt, w->F + par[i].off, (int)Q, 0,
                Qm + (size_t)(i + nr * np) * pp, p);
  }
  for (size_t e = 0; e < pp; e++) {
    Pm[(size_t)nr * pp + e] = -w->E2[e];
    Qm[(size_t)(nr + nr * np) * pp + e] = w->E3[e];
  }
  for (int j = 0; j < nr; j++) {
    size_t Qt = (size_t)par[j].nlevels * par[j].q;
    /* Y = C D_j B = C's columns of term t_j times DB_j */
    if ((rc = gemm(CblasNoTrans, (int)Q, p, (int)Qt, 1, C + par[j].off * Q, (int)Q, w->DB + (size_t)j * Q * p, (int)Qt, 0,
                   w->Y, (int)Q, stop)))
      return rc;
    for (int i = 0; i <= j; i++) {
      size_t Qi = (size_t)par[i].nlevels * par[i].q;
      cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, p, p, (int)Qi, 1, w->DB + (size_t)i * Q * p, (int)Qi,
                  w->Y + par[i].off, (int)Q, 0, Qm + (size_t)(i + j * np) * pp, p);
      if (lmm_stop_asked(stop)) return LMM_INTERRUPTED;
      K[i + j * np] = K[j + i * np] = trace_dd(&par[i], &par[j], C, Q);
    }
    double s = 0;   /* K_jr = sum over D_j's (u, u') of (N'C)[u', u] */
    for (int l = 0; l < par[j].nlevels; l++) {
      size_t ua = par[j].off + (size_t)l * par[j].q + par[j].a, ub = par[j].off + (size_t)l * par[j].q + par[j].b;
      for (size_t r = 0; r < Q; r++) {
        s += N[r + ub * Q] * C[r + ua * Q];
        if (ua != ub) s += N[r + ua * Q] * C[r + ub * Q];
      }
    }
    K[j + nr * np] = K[nr + j * np] = s;
  }
  K[nr + nr * np] = (double)d->n - 2 * trMS + trMSMS;
  /* the information (twice it), inverted in these units: pbkrtest inverts it in the data's, where it is
   * D IE D / sigma^4 (parameter (a, b) of a term scaled by 2^(zexp a + zexp b)), and takes ginv where its smallest
   * eigenvalue is below 1e-10 there; that threshold depends on the data's units (a slope's variance in a column
   * of 1e9 makes the information's eigenvalues 1e36 apart), so the choice here is made where the scales are
   * even: the inverse, or ginv for a nearly singular information (both agree wherever it is not) */
  double *IE = w->U, *Ph = k->Phit;
  for (int i = 0; i < np; i++) {
    mul(p, Ph, Pm + (size_t)i * pp, w->T1);
    for (int j = i; j < np; j++) {
      mul(p, Ph, Pm + (size_t)j * pp, w->T2);
      double v = K[i + j * np] - 2 * trace_prod(p, Ph, Qm + (size_t)(i + j * np) * pp) + trace_prod(p, w->T1, w->T2);
      IE[i + j * np] = IE[j + i * np] = v;
    }
  }
  if (twice_inverse(np, IE, k->W, w->ev)) return LMM_NUMERIC;
  /* U = sum_ij W_ij (Q_ij - P_i Phi P_j), Q_ji = Q_ij'; Phi_A~ = Phi + 2 Phi U Phi */
  double *U = w->DB;   /* done with: p x p */
  memset(U, 0, sizeof *U * pp);
  for (int i = 0; i < np; i++)
    for (int j = 0; j < np; j++) {
      const double *Qij = Qm + (size_t)(i <= j ? i + j * np : j + i * np) * pp;
      mul(p, Pm + (size_t)i * pp, Ph, w->T1);
      mul(p, w->T1, Pm + (size_t)j * pp, w->T2);
      double wij = k->W[i + j * np];
      for (int b = 0; b < p; b++)
        for (int a = 0; a < p; a++)
          U[a + (size_t)b * p] += wij * ((i <= j ? Qij[a + (size_t)b * p] : Qij[b + (size_t)a * p]) - w->T2[a + (size_t)b * p]);
    }
  mul(p, Ph, U, w->T1);
  mul(p, w->T1, Ph, w->T2);
  double s2 = f->sigma * f->sigma;
  for (int b = 0; b < p; b++)
    for (int a = 0; a < p; a++) {
      double e = ldexp(s2, -k->xexp[a] - k->xexp[b]);
      size_t ab = a + (size_t)b * p, ba = b + (size_t)a * p;
      k->Phi[ab] = e * Ph[ab];
      k->PhiA[ab] = e * (Ph[ab] + (w->T2[ab] + w->T2[ba]));   /* 2 Phi U Phi, made symmetric */
    }
  return LMM_OK;
}

int lmm_kr_check(const lmm_design *d, int reml, lmm_error *err) {
  if (!reml)
    return lmm_fail(err, LMM_ERR, "df=kenward-roger is defined for REML fits, and this fit is by ML (lmerTest refuses it "
                    "too); fit with method=REML, or use df=satterthwaite");
  if (!d->nre) return lmm_fail(err, LMM_ERR, "df=kenward-roger needs random effects");
  size_t Q = 0;
  for (int t = 0; t < d->nre; t++) Q += (size_t)d->re[t].nlevels * (size_t)d->re[t].q;
  if (Q > LMM_KR_MAX_Q)
    return lmm_fail(err, LMM_ERR, "df=kenward-roger works with dense matrices over the random effects, and this model has "
                    "%zu of them (at most %d); use df=satterthwaite", Q, LMM_KR_MAX_Q);
  return LMM_OK;
}

int lmm_kr_new(const lmm_design *d, const lmm_fit *f, lmm_stop *stop, lmm_kr **out, lmm_error *err) {
  *out = NULL;
  int rc = lmm_kr_check(d, f->reml, err);
  if (rc) return rc;
  if (!f->map) return lmm_fail(err, LMM_ERR, "df=kenward-roger needs random effects");
  int p = d->p, nr = f->map->ncov, np = nr + 1;
  size_t off[LMM_MAX_BARS + 1], Q = 0;
  for (int t = 0; t < d->nre; t++) {
    off[t] = Q;
    Q += (size_t)d->re[t].nlevels * (size_t)d->re[t].q;
  }
  size_t pp = (size_t)p * p, QQ = Q * Q, Qp = Q * (size_t)p;
  lmm_kr *k = lmm_calloc(1, sizeof *k);
  param *par = lmm_malloc_array((size_t)np, sizeof *par);
  double **T = lmm_calloc((size_t)d->nre, sizeof *T);
  bufs w = {0};
  if (k) {
    k->p = p;
    k->np = np;
    k->Phi = lmm_malloc_array(3 * pp + 1, sizeof *k->Phi);
    k->P = lmm_malloc_array((size_t)np * pp + 1, sizeof *k->P);
    k->W = lmm_malloc_array((size_t)(np * np), sizeof *k->W);
    k->xexp = lmm_malloc_array((size_t)p + 1, sizeof *k->xexp);
    k->work1 = lmm_malloc_array(adjust_work(np, p, 1) + (size_t)p, sizeof *k->work1);
  }
  w.S = lmm_malloc_array(QQ, sizeof *w.S);
  w.A = lmm_malloc_array(QQ, sizeof *w.A);
  w.Lt = lmm_malloc_array(QQ, sizeof *w.Lt);
  w.C = lmm_malloc_array(QQ, sizeof *w.C);
  w.R = lmm_malloc_array(5 * Qp + 1, sizeof *w.R);
  w.DB = lmm_malloc_array(lmm_size_mul((size_t)np, Qp) + pp, sizeof *w.DB);
  w.XX = lmm_malloc_array(lmm_size_add(lmm_size_mul((size_t)(np * np) + 5, pp), (size_t)(3 * np * np)), sizeof *w.XX);
  for (int t = 0; T && t < d->nre; t++) if (!(T[t] = lmm_malloc_array((size_t)(d->re[t].q * d->re[t].q), sizeof **T))) rc = 1;
  if (rc || !k || !par || !T || !k->Phi || !k->P || !k->W || !k->xexp || !k->work1 || !w.S || !w.A || !w.Lt || !w.C || !w.R || !w.DB || !w.XX) {
    rc = lmm_nomem_or_stopped(stop, err);
    goto done;
  }
  k->PhiA = k->Phi + pp;
  k->Phit = k->PhiA + pp;
  memcpy(k->xexp, d->xexp, sizeof *k->xexp * (size_t)p);
  w.B = w.R + Qp; w.MR = w.B + Qp; w.F = w.MR + Qp; w.Y = w.F + Qp;
  w.E2 = w.XX + pp; w.E3 = w.E2 + pp; w.T1 = w.E3 + pp; w.T2 = w.T1 + pp; w.Q = w.T2 + pp;
  w.K = w.Q + (size_t)(np * np) * pp; w.U = w.K + np * np; w.ev = w.U + np * np;
  for (int m = 0; m < nr; m++) {
    const lmm_theta_entry *e = &f->map->e[m];
    par[m] = (param){off[e->term], d->re[e->term].nlevels, d->re[e->term].q, e->row, e->col};
  }
  /* T^ = diag(2^zexp) T, T for Z in the data's units */
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q;
    lmm_theta_term_T(f->map, f->theta, t, T[t]);
    for (int a = 0; a < q; a++)
      for (int b = 0; b < q; b++) T[t][a + b * q] = ldexp(T[t][a + b * q], d->re[t].zexp[a]);
  }
  if ((rc = cross_products(d, off, Q, w.S, w.R, w.XX, stop)) == LMM_OK) {
    rc = adjust(d, f, off, Q, T, par, k, &w, stop);
  }
  if (rc == LMM_INTERRUPTED) rc = lmm_fail(err, rc, "interrupted");
  else if (rc == LMM_NOMEM) rc = lmm_nomem(err);
  else if (rc) rc = lmm_fail(err, LMM_NUMERIC, "Kenward-Roger's adjustment: the fit's covariance or its information "
                             "matrix cannot be inverted");
done:
  for (int t = 0; T && t < d->nre; t++) lmm_free(T[t]);
  lmm_free(T);
  lmm_free(par);
  lmm_free(w.S); lmm_free(w.A); lmm_free(w.Lt); lmm_free(w.C); lmm_free(w.R); lmm_free(w.DB); lmm_free(w.XX);
  if (rc) { lmm_kr_free(k); return rc; }
  *out = k;
  return LMM_OK;
}

void lmm_kr_free(lmm_kr *k) {
  if (!k) return;
  lmm_free(k->Phi);
  lmm_free(k->P);
  lmm_free(k->W);
  lmm_free(k->xexp);
  lmm_free(k->work1);
  lmm_free(k);
}

const double *lmm_kr_vcov(const lmm_kr *k) { return k->PhiA; }
const double *lmm_kr_vcov_unadjusted(const lmm_kr *k) { return k->Phi; }

/* pbkrtest's .divZero */
static double div_zero(double x, double y) { return fabs(x) < 1e-14 && fabs(y) < 1e-14 ? 1 : x / y; }

/* KR's denominator df and F scaling for Lh (q x p, the scaled units) of rank q, as pbkrtest's .KR_adjust;
 * work: 2 q^2 + q p + np q^2 + p^2 */
static void kr_adjust(const lmm_kr *k, const double *Lh, int q, double *ddf, double *scale, double *work) {
  int p = k->p, np = k->np;
  double *G = work, *H = G + q * q, *LP = H + (size_t)np * q * q, *T1 = LP + (size_t)q * p, *T2 = T1 + (size_t)p * p;
  /* G = (Lh Phi~ Lh')^-1, H_i = Lh Phi~ P_i Phi~ Lh' */
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, p, p, 1, Lh, q, k->Phit, p, 0, LP, q);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, q, q, p, 1, LP, q, Lh, q, 0, G, q);
  LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', q, G, q);
  LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', q, G, q);
  for (int b = 0; b < q; b++) for (int a = 0; a < b; a++) G[a + b * q] = G[b + a * q];
  double *tr = T2 + q * q;   /* np: tr(G H_i) */
  for (int i = 0; i < np; i++) {
    double *Hi = H + (size_t)i * q * q;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, p, p, 1, LP, q, k->P + (size_t)i * p * p, p, 0, T1, q);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, q, q, p, 1, T1, q, LP, q, 0, T2, q);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, q, q, 1, G, q, T2, q, 0, Hi, q);   /* G H_i */
    tr[i] = 0;
    for (int a = 0; a < q; a++) tr[i] += Hi[a + a * q];
  }
  double A1 = 0, A2 = 0;
  for (int i = 0; i < np; i++)
    for (int j = 0; j < np; j++) {
      double wij = k->W[i + j * np];
      A1 += wij * tr[i] * tr[j];
      A2 += wij * trace_prod(q, H + (size_t)i * q * q, H + (size_t)j * q * q);
    }
  double B = (A1 + 6 * A2) / (2 * q), g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2);
  double den = 3 * q + 2 * (1 - g), c1 = g / den, c2 = (q - g) / den, c3 = (q + 2 - g) / den;
  double V0 = 1 + c1 * B, V1 = 1 - c2 * B, V2 = 1 - c3 * B;
  if (fabs(V0) < 1e-10) V0 = 0;
  double r = div_zero(1 - A2 / q, V1), rho = r * r * V0 / V2 / q;
  *ddf = 4 + (q + 2) / (q * rho - 1);
  *scale = fabs(*ddf - 2) < 1e-2 ? 1 : *ddf * (1 - A2 / q) / (*ddf - 2);
}

/* the scratch kr_adjust needs */
static size_t adjust_work(int np, int p, int q) {
  return (size_t)(2 + np) * q * q + (size_t)q * p + (size_t)p * p + (size_t)np + (size_t)q * q;
}

double lmm_kr_df(const lmm_kr *k, const double *l) {
  double *lh = k->work1 + adjust_work(k->np, k->p, 1), ddf, scale;
  for (int j = 0; j < k->p; j++) lh[j] = ldexp(l[j], -k->xexp[j]);
  kr_adjust(k, lh, 1, &ddf, &scale, k->work1);
  return ddf;
}

int lmm_kr_ftest(const lmm_kr *k, const double *beta, const double *L, int q, lmm_ftest *out, double *scale,
                 lmm_error *err) {
  int p = k->p;
  *out = (lmm_ftest){NAN, q, NAN, NAN};
  *scale = NAN;
  size_t nw = adjust_work(k->np, p, q);
  double *work = lmm_malloc_array(nw + (size_t)q * p + (size_t)q * q + (size_t)q * (p + 1), sizeof *work);
  if (!work) return lmm_nomem(err);
  double *Lh = work + nw, *M = Lh + (size_t)q * p, *Lb = M + (size_t)q * q, *LV = Lb + q;
  for (int j = 0; j < p; j++)
    for (int a = 0; a < q; a++) Lh[a + (size_t)j * q] = ldexp(L[a + (size_t)j * q], -k->xexp[j]);
  /* L's rows independent: L Phi~ L' (scaled units) positive definite */
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, p, p, 1, Lh, q, k->Phit, p, 0, LV, q);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, q, q, p, 1, LV, q, Lh, q, 0, M, q);
  if (q < 1 || LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', q, M, q)) {
    lmm_free(work);
    return lmm_fail(err, LMM_ERR, "the F test's %d contrasts are not linearly independent (L Phi L' is singular); "
                    "test a set of independent rows", q);
  }
  kr_adjust(k, Lh, q, &out->ddf, scale, work);
  /* Wald = (L beta)' (L Phi_A L')^-1 (L beta) in the data's units */
  cblas_dgemv(CblasColMajor, CblasNoTrans, q, p, 1, L, q, beta, 1, 0, Lb, 1);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, q, p, p, 1, L, q, k->PhiA, p, 0, LV, q);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, q, q, p, 1, LV, q, L, q, 0, M, q);
  double *x = Lh;   /* reused: the solution of M x = L beta */
  memcpy(x, Lb, sizeof *x * (size_t)q);
  int bad = LAPACKE_dposv(LAPACK_COL_MAJOR, 'L', q, 1, M, q, x, q) != 0;
  double wald = 0;
  for (int a = 0; a < q; a++) wald += Lb[a] * x[a];
  lmm_free(work);
  if (bad) return lmm_fail(err, LMM_NUMERIC, "the F test's adjusted covariance L Phi_A L' is not positive definite");
  out->F = *scale * wald / q;
  out->p_value = pf(out->F, q, out->ddf, 0, 0);
  return LMM_OK;
}
