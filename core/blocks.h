/* blocks.h — the blocked cross-product matrix A = [Z X y]'[Z X y] and its
 * blocked Cholesky factor L of  Λ'Z'ZΛ + I  (extended by the X and y rows).
 *
 * The random-effects terms are ordered by number of levels, most first (as
 * MixedModels.jl and lme4 order them), and the fixed part [X y] comes last.
 * A term's own block is block diagonal; blocks between terms are block-sparse
 * with the pattern of the level pairs the data hold.  The factor keeps that
 * structure wherever no fill-in can occur (nested terms) and turns dense only
 * where crossed terms fill in.  After construction the rows are never read
 * again: every deviance evaluation works on these blocks.
 */
#ifndef LMM_BLOCKS_H
#define LMM_BLOCKS_H

#include "design.h"
#include "stop.h"
#include "theta.h"

enum { BLK_DIAG, BLK_SPARSE, BLK_DENSE };

typedef struct lmm_block {
  int kind;
  int rq, cq;         /* rows and columns of one sub-block */
  int nr, nc;         /* sub-blocks down and across (levels of the row and column terms) */
  int rows, cols;     /* nr*rq, nc*cq */
  double *v;          /* DIAG: nc blocks rq x rq; DENSE: rows x cols; SPARSE: nnzb blocks rq x cq; all column-major */
  int ld;             /* DENSE: the leading dimension of v, rows unless the block lies in L's dense tail */
  int in_tail;        /* v points into lmm_system.tail, which owns it */
  int nnzb;
  int *colptr;        /* SPARSE: nc+1 offsets into rowidx */
  int *rowidx;        /* SPARSE: row-block index of each stored block, ascending within a column */
  int shares_pattern; /* colptr and rowidx belong to the A block of the same place */
} lmm_block;

/* The scaled problem's units (design.h): the blocks hold y 2^-yexp and X's
 * column j times 2^-xexp[j]; the fit reports in the data's units and names
 * a value it cannot represent there.  Borrowed from whoever made the blocks
 * (the design, when rows made them). */
typedef struct lmm_units {
  int yexp;
  const int *xexp;          /* p */
  char *const *xnames;      /* p */
  const char *yname;
} lmm_units;

typedef struct lmm_system {
  int K;              /* random-effects terms; index K is the fixed part [X y] */
  int *term;          /* fit position -> design term index */
  int *q, *nl;        /* per fit position (q[K] = p+1, nl[K] = 1) */
  int *stays_diagonal; /* L[k][k] stays block diagonal */
  lmm_block *A, *L;   /* lower triangle, element (i,j) at i*(K+1)+j */
  size_t n;
  int p;
  /* A holds X R^-1 in place of X, R from the QR of [X y], and the
   * least-squares residual y - X b0 in place of y (choose_basis in
   * accumulate.c): Rinv = R^-1 (p x p, upper), b0 the least-squares
   * coefficients, log|det R|. */
  double *Rinv, *b0, log_det_r;
  /* zscale[k][a]: the root mean square of column a of term k's Z, as the
   * design gives it (scaled by a power of two, design.h).  A holds
   * the columns divided by it, so the optimizer sees every random-effects
   * column at unit scale (a Time^2 beside an intercept no longer makes its
   * theta a thousand times smaller); T for Z is T~ for the blocks with row
   * a divided by zscale[k][a]. */
  double **zscale;
  lmm_theta_map *theta;   /* θ's layout over these terms (theta.h), owned */
  lmm_units units;        /* the data's units of y and X, and their names */
  /* The first term's pass on nparts threads (factor.c): first each part
   * makes its share of the first term's levels' blocks, levels split[k] ..
   * split[k+1]-1; then each part subtracts the updates that fall in its
   * share of every later term's levels, the columns rsplit[j][k] ..
   * rsplit[j][k+1]-1 of the blocks L[i][j]: disjoint memory, no copies. */
  int nparts;
  int *split;
  int **rsplit;       /* by fit position j >= 1 */
  /* rstart[j][c * (nparts + 1) + k]: the first stored block of column c of
   * L[j][0] whose row level is at least rsplit[j][k] (k = nparts: the
   * column's end), found once here rather than searched for at every
   * evaluation. */
  int **rstart;
  /* L's dense tail: where crossed terms fill in, the blocks L[i][j] for
   * tail_from <= j <= i <= K (the fixed part included) are all dense, and
   * they are stored as the pieces of one column-major matrix of order
   * tail_order, so that one LAPACK Cholesky factors them together, its
   * blocked updates doing the solves and Schur complements between the
   * pieces (in place of a factor of the last random-effects term and thin
   * triangular solves that repack it).  tail_from is 0 when there
   * is no tail: no dense random-effects term. */
  int tail_from, tail_order;
  double *tail;
  /* A residual structure fitted with theta by the one optimizer (structure.c): the map's LMM_THETA_STRUCT entries
   * (theta.h) are its parameters u, and refill sets A's values for them, with *logdet the log|Lambda| the
   * criterion adds, before the factor at theta (fit.c).  LMM_NUMERIC: no criterion at u; LMM_NOMEM and
   * LMM_INTERRUPTED end the fit.  NULL: A is the rows' and stays. */
  int (*refill)(void *ctx, struct lmm_system *s, const double *u, lmm_stop *stop, double *logdet);
  void *refill_ctx;
  /* The last factor was made by factor.h's lmm_system_factor_kept: L's later blocks are the factor at T, the
   * first term's blocks L[i][0] are not (nor L[0][0] where a kept copy served), and first_logdet is the first
   * term's sum of log diag(L) at T.  Only the deviance may be read from such a factor. */
  int first_kept;
  double first_logdet;
} lmm_system;



/* One pass over the design's rows (the values by accumulate.h); stop (may
 * be NULL) is asked all along (stop.h), and when it says stop:
 * LMM_INTERRUPTED. */
int lmm_system_new(const lmm_design *d, lmm_stop *stop, lmm_system **out, lmm_error *err);
/* The same structure with A's values made by values(arg, s, err) in place of the pass over the rows (A's
 * blocks allocated, their sparse patterns from the design's rows; values sets every value, s->n, the basis
 * and zscale: accumulate.h's lmm_system_basis and lmm_system_unit_columns): a system from statistics. */
int lmm_system_new_from(const lmm_design *d, int (*values)(void *arg, lmm_system *s, lmm_error *err), void *arg,
                        lmm_stop *stop, lmm_system **out, lmm_error *err);
void lmm_system_free(lmm_system *s);
/* Split the first term's pass into parts whatever its size (tests compare
 * the parts with one pass); returns the parts it will run (1 where there is
 * no later term to update), -1 when out of memory. */
int lmm_system_set_parts(lmm_system *s, int parts);
/* Values a block stores (DIAG: nc q x q blocks; SPARSE: nnzb blocks; DENSE: rows x cols). */
size_t lmm_block_values(const lmm_block *b);

/* Stored sub-block (row level r, column level c) of a SPARSE block, or NULL. */
static inline double *lmm_block_at(const lmm_block *b, int r, int c) {
  int lo = b->colptr[c], hi = b->colptr[c + 1];
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (b->rowidx[mid] < r) lo = mid + 1; else hi = mid;
  }
  if (lo < b->colptr[c + 1] && b->rowidx[lo] == r) return b->v + (size_t)lo * (size_t)(b->rq * b->cq);
  return NULL;
}

static inline lmm_block *lmm_sys_A(const lmm_system *s, int i, int j) { return &s->A[i * (s->K + 1) + j]; }
static inline lmm_block *lmm_sys_L(const lmm_system *s, int i, int j) { return &s->L[i * (s->K + 1) + j]; }

/* beta = b0 + Rinv beta~, and vcov = Rinv V~ Rinv'; LMM_NOMEM or LMM_INTERRUPTED. */
int lmm_system_unscale(const lmm_system *s, const double *beta_t, const double *vcov_t, double *beta, double *vcov,
                       lmm_stop *stop);
/* log|det R|: what the REML criterion of the orthogonalized problem lacks. */
double lmm_system_log_scale(const lmm_system *s);

#endif
