/* stats.h — a model's sufficient statistics computed where the rows live (issue 19).
 *
 * The statistics are two tables.  `<prefix>_center`, one row: the first aggregate pass over the rows the fit
 * keeps, n_all (their number), c_1 .. c_m the means of the model's *atoms* (the distinct products of
 * numeric variables its X and Z columns multiply a factor's coding by) and c_{m+1} of y, and the largest
 * magnitudes mx_<v> of each numeric variable v (its index in the formula) and mx_y (the powers of two of
 * design.h).  `<prefix>_groups`, in parts (the layout's `part`): a row per distinct combination of a part's
 * *keys* (the columns of its grouping factors and of the model's factors; the other keys' least value), with n,
 * its rows, and s_<a>_<b> (0 <= a <= b <= m + 1, s_0_0 being n) the sums of products of the row vector
 * u = [1, a_1 - c_1, ..., a_m - c_m, y - c_{m+1}]: every sum is of centered values, so a large mean does not
 * swamp the spread it carries (the care the QR of [X y] takes in accumulate.c), the centers computed again
 * inside that query from the same aggregate.  Every block of A (blocks.h) is a sum over one part's groups
 * (stats_fit.c): a level's blocks over its grouping's part, a level pair's over the pair's, the fixed part's
 * over part 0; part 0's n must add up to n_all.  The rows moved are the levels and the level pairs (times the
 * factors' cells), not the rows.
 */
#ifndef LMM_STATS_H
#define LMM_STATS_H

#include "formula.h"
#include "sql_text.h"

enum { LMM_STATS_MAX_PARTS = 64 };

typedef struct lmm_stats_layout {
  const lmm_formula *f;
  int nkeys;
  int key_col[LMM_MAX_VARS];     /* index into f->cols */
  uint64_t factor_vars;          /* formula variables the model reads as factors (bits) */
  int natoms;                    /* m: atoms 1 .. m; 0 is the constant, m + 1 is y */
  lmm_term atom[LMM_MAX_TERMS];  /* atom i's numeric variables (atom[0] = 0) */
  uint64_t numeric_vars;         /* formula variables that are numbers in the model */
  /* The groups come in parts (the column `part`), each grouped by its grouping variables and every factor:
   * part p by part_vars[p] (formula variables), carrying the sums s_a_b with bit b of part_sums[p][a] (a <= b;
   * the others are 0).  A grouping's part carries every sum and gives its levels' blocks (part 0,
   * the first grouping's or the only one, also the fixed part's); a pair of groupings whose variables together
   * are no grouping's has a part of its own with only the sums of their Z's atoms (and the count), which is all
   * the pair block needs: the level pairs, the most numerous rows, stay narrow. */
  int nparts;
  uint64_t part_vars[LMM_STATS_MAX_PARTS];
  uint64_t part_sums[LMM_STATS_MAX_PARTS][40];
} lmm_stats_layout;

/* LMM_ERR, naming it, where one of f's columns has a name the queries give a column of their own: with stats
 * the statistics' (lmm_stats_sql's) as well as the augment query's. */
int lmm_stats_names(const lmm_formula *f, int stats, lmm_error *err);

/* The layout of a parsed formula.  is_text(arg, col) says whether a plain column holds text (a factor in
 * the model, as a local fit reads text); NULL: plain columns are numbers.  Refuses what the statistics cannot
 * carry: an offset, a basis learned from the data (poly, ns, bs, scale), a factor of an expression. */
int lmm_stats_layout_new(const lmm_formula *f, int (*is_text)(void *arg, const char *col), void *arg,
                         lmm_stats_layout *out, lmm_error *err);
/* The part grouped by exactly vars, -1 if none. */
int lmm_stats_part(const lmm_stats_layout *l, uint64_t vars);
/* The atom whose numeric variables are t's (0: none). */
int lmm_stats_atom(const lmm_stats_layout *l, lmm_term t);

/* The queries (name, SQL text) that compute the statistics of `data` in dialect (LMM_SQL_*): *n of them
 * into names[] and sqls[] (lmm_malloc'd strings, free with lmm_stats_sql_free). */
enum { LMM_STATS_MAX_QUERIES = 2 };
int lmm_stats_sql(const lmm_stats_layout *l, const char *data, int dialect, char **names, char **sqls, int *n,
                  lmm_error *err);
void lmm_stats_sql_free(char **names, char **sqls, int n);
/* LMM_SQL_* of a dialect's name, or -1. */
int lmm_stats_dialect(const char *name);

#endif
