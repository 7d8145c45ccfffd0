/* theta.h — θ's layout, written once: which element of which term's T each
 * parameter is, its bound, and its scale between the blocks and the data.
 *
 *   θ = [ term 0: T0's lower triangle by columns | term 1: ... | ... ]   (lme4's order)
 *   Var(b_t) = sigma^2 T_t T_t',   T_t lower triangular, q_t x q_t, column-major
 *
 * Terms go in the design's order (lmm_design.re); the blocks order them by
 * levels (lmm_system.term), so each term also knows its fit position.  The
 * optimizer works on T~ for the blocks' unit-scale columns; T for Z in the
 * data's units is T~ with row a divided by 2^zexp[a] zscale[a] (blocks.h).
 * Every loop that packs or unpacks θ goes through this map (MixedModels.jl's
 * parmap); theta.c is the only place that knows the order.
 *
 * The covariance parameters come first (kind LMM_THETA_COV, ncov of them);
 * the free parameters of a residual structure (nlme's varIdent, corAR1, ...,
 * unconstrained as structure.h has them) follow them as entries of kind
 * LMM_THETA_STRUCT when one optimizer fits both (lmm_theta_add_struct), and
 * theta_to_T skips what is not a T element.
 */
#ifndef LMM_THETA_H
#define LMM_THETA_H

#include "lmm_error.h"

#include <stddef.h>

enum { LMM_THETA_COV = 0, LMM_THETA_STRUCT };   /* an element of a random-effects term's T; a structure's parameter */

typedef struct lmm_theta_entry {
  int kind;           /* LMM_THETA_COV or LMM_THETA_STRUCT */
  int term;           /* design term */
  int row, col;       /* in the term's T: T[row + col * q[term]], row >= col */
  double lower;       /* the optimizer's bound: 0 on the diagonal (a variance reaches zero), -inf off it */
  /* T~ for the blocks = 2^zexp zscale T for Z in the data's units (zscale
   * from lmm_system, zexp from lmm_design, both of row's column) */
  double zscale;
  int zexp;
  const char *name;   /* row's column name, for messages; borrowed from whoever made the blocks */
  double start;       /* LMM_THETA_STRUCT: where the optimizer starts (unbounded: lower is -inf) */
} lmm_theta_entry;

typedef struct lmm_theta_map {
  int n;              /* parameters */
  int ncov;           /* of which the first ncov are LMM_THETA_COV */
  int nterm;          /* random-effects terms */
  int *off;           /* nterm + 1: term t's parameters are off[t] .. off[t + 1] - 1 */
  int *q;             /* nterm: the order of term t's T */
  int *pos;           /* nterm: term t's fit position in lmm_system */
  int *nlevels;       /* nterm */
  lmm_theta_entry *e; /* n */
} lmm_theta_map;

/* The parameters of one term of order q: its T's lower triangle. */
static inline size_t lmm_theta_term_count(int q) { return (size_t)q * (size_t)(q + 1) / 2; }

/* The map of terms of orders q[0..nterm-1]: every entry's place and bound,
 * scale 1 and no name, the fit positions the design's (set them with
 * lmm_theta_set_term).  LMM_ERR beyond LMM_MAX_THETA parameters. */
int lmm_theta_new(int nterm, const int *q, lmm_theta_map **out, lmm_error *err);
void lmm_theta_free(lmm_theta_map *map);
/* Term t's fit position, levels, and its columns' scales and names (q each; names borrowed). */
void lmm_theta_set_term(lmm_theta_map *map, int t, int pos, int nlevels, const double *zscale, const int *zexp,
                        char *const *names);

/* T by fit position (each q x q, the upper triangle zeroed) from θ: the
 * deviance's hot path, so it allocates nothing. */
void lmm_theta_to_T(const lmm_theta_map *map, const double *theta, double *const *T);
/* Term t's T (q x q, zeroed first) from θ. */
void lmm_theta_term_T(const lmm_theta_map *map, const double *theta, int t, double *T);
/* θ's entries of term t from its T (the lower triangle is read). */
void lmm_theta_from_term_T(const lmm_theta_map *map, const double *T, int t, double *theta);
/* The structure's nstruct free parameters after the covariance parameters, starting at start[0..nstruct-1]
 * (kind LMM_THETA_STRUCT, unbounded, unit scale).  LMM_NOMEM. */
int lmm_theta_add_struct(lmm_theta_map *map, int nstruct, const double *start, lmm_error *err);
/* θ at T = I for every term (lme4's start), a structure's parameters at their start, and the optimizer's lower
 * bounds. */
void lmm_theta_identity(const lmm_theta_map *map, double *theta);
void lmm_theta_lower(const lmm_theta_map *map, double *lower);
/* The index of the diagonal element T[row][row] of entry m's row. */
int lmm_theta_diag_of(const lmm_theta_map *map, int m);

#endif
