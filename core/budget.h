/* budget.h — what a fit will need, refused before it allocates.
 *
 * From the design alone (its counts: rows, fixed-effect columns, each
 * random-effects term's levels and columns) the memory the fit's largest
 * arrays will take is known before any of them exists: X'X and its copies,
 * each term's diagonal blocks and its cross-product with the fixed part,
 * the bound on the level pairs of two terms, the block tables, and for a fit
 * without random effects the dense X.  A model is refused, with what is
 * too large and how large, when
 *   - a count the fit indexes by int (rows of a block, entries of X'X, rows
 *     LAPACK takes) does not fit in an int,
 *   - one array is larger than the host allocates at once
 *     (lmm_alloc_max_block: SQLite's is 2.1 GB), or
 *   - all of them together exceed the memory there is (lmm_alloc_budget).
 * The limits on random-effects terms and theta bound the rest.  The dense
 * tail of crossed terms is known only once the level pairs are (blocks.c),
 * and is checked there, before it is allocated.
 */
#ifndef LMM_BUDGET_H
#define LMM_BUDGET_H

#include "design.h"

typedef struct lmm_budget {
  size_t max_block;   /* the largest single allocation */
  size_t total;       /* all of the fit's arrays together */
} lmm_budget;

/* The host's (lmm_alloc_max_block, lmm_alloc_budget). */
lmm_budget lmm_budget_host(void);
/* LMM_OK, or LMM_ERR with a message naming the part that is too large. */
int lmm_budget_check(const lmm_design *d, const lmm_budget *b, lmm_error *err);
/* The dense tail of L (blocks.h), of the given order, before it is allocated. */
int lmm_budget_check_tail(size_t order, const char *first_term, const lmm_budget *b, lmm_error *err);

#endif
