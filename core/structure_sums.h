/* structure_sums.h — the one-pass path of a residual structure (structure.h): where the variance function is
 * varIdent (a weight constant within a stratum) or none, and the correlation corAR1 or corCAR1 (a tridiagonal
 * precision) or none, every cross-product the fit needs is a combination, with coefficients from the
 * parameters, of sums over the rows accumulated once.
 *
 * Along a correlation group the whitened rows are e_1 = x_1 / s_1 and, for each later row j after row i at gap d
 * (rho = phi^d),  e_j = (x_j / s_j - rho x_i / s_i) / sqrt(1 - rho^2),  so that with a = 1 / (s_j sqrt(1 - rho^2)),
 * b = rho / (s_i sqrt(1 - rho^2))
 *     e_j e_j' = (a^2 - ab) x_j x_j' + (b^2 - ab) x_i x_i' + ab (x_j - x_i)(x_j - x_i)'.
 * So the sums are, as blocks of A (blocks.h) each: over the groups' first rows by stratum, and for each class of
 * adjacent pairs (gap, stratum of i, stratum of j) over x_j x_j', x_i x_i' and the differences; a pair sits at
 * row j, whose random-effects levels are row i's (a correlation group lies within every grouping's level).
 * log|Lambda| is a sum of counts: 2 log s per row of each stratum, log(1 - rho^2) per pair of each gap.
 * An evaluation combines the sums (its cost the blocks', not the rows'); the factor is fit.c's as ever.
 */
#ifndef LMM_STRUCTURE_SUMS_H
#define LMM_STRUCTURE_SUMS_H

#include "blocks.h"
#include "structure.h"

typedef struct lmm_struct_sums lmm_struct_sums;

/* The sums of the structure st over the rows raw ([X Z y], n x m, column-major, as the whitened design wd reads
 * them from white, which this overwrites), accumulated into s's blocks by its basis, one sum at a time.  *out NULL
 * (LMM_OK) where the structure is not of this kind or its classes are too many to pay.  LMM_NOMEM,
 * LMM_INTERRUPTED (err set). */
int lmm_struct_sums_new(const lmm_structure *st, lmm_system *s, const lmm_design *wd, const double *raw,
                        double *white, size_t n, int m, lmm_stop *stop, lmm_struct_sums **out, lmm_error *err);
/* A's values and *logdet = log|Lambda| at the structure's parameters u (all of them, unconstrained, as
 * structure.c orders them).  LMM_NUMERIC where a correlation reaches 1. */
int lmm_struct_sums_fill(const lmm_struct_sums *ss, lmm_system *s, const double *u, double *logdet);
void lmm_struct_sums_free(lmm_struct_sums *ss);

#endif
