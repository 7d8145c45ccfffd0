/* accumulate.h — A's values (blocks.h) from the design's rows: the QR of
 * [X y] that chooses the fixed part's basis, then one pass for every
 * cross-product (accumulate.c says how the pass is cut into parts). */
#ifndef LMM_ACCUMULATE_H
#define LMM_ACCUMULATE_H

#include "blocks.h"

/* The QR of [X y] over the rows: its R (p+1 square, upper) and scratch.
 * lmm_basis_qr allocates nothing (see parallel.h). */
typedef struct lmm_basis { int p1, nb; double *R, *B, *Tq, *work; } lmm_basis;
int lmm_basis_alloc(lmm_basis *b, const lmm_design *d, lmm_stop *stop);   /* 0, or -1 out of memory or stopped */
int lmm_basis_qr(lmm_basis *b, const lmm_design *d, lmm_stop *stop);   /* LMM_OK or LMM_INTERRUPTED */
void lmm_basis_free(lmm_basis *b);
/* A's values for lmm_system_new: the fixed part's basis (Rinv, b0) from R,
 * every cross-product, the unit columns (zscale). */
int lmm_system_fill(lmm_system *s, const lmm_design *d, const lmm_basis *b, lmm_stop *stop, lmm_error *err);
/* The pieces of lmm_system_fill that another maker of A (stats_fit.c) shares: the basis (Rinv, b0, log|det R|,
 * the rank checked) from R, and the unit columns (zscale, A's values divided by it; -1 out of memory). */
int lmm_system_basis(lmm_system *s, const lmm_design *d, const double *R, lmm_stop *stop, lmm_error *err);
int lmm_system_unit_columns(lmm_system *s);

/* A's values again from rows of the same shape (a residual structure's rows whitened anew, structure.c), by the
 * basis and unit columns the system has; LMM_INTERRUPTED or LMM_NOMEM. */
int lmm_system_refill(lmm_system *s, const lmm_design *d, lmm_stop *stop);

#endif
