/* augment_sql.h — fitted values and residuals computed where the rows live (issue 19's second pass).
 *
 * A fit from statistics (stats.h) never saw its rows, so lmm_augment cannot give their fitted values; this
 * writes the SQL that does, in the engine that holds them: one query over the data, keeping the rows a local
 * fit keeps, that returns the model's columns and
 *
 *   fitted = sum_j x_j beta_j + sum_t sum_a z_ta b_t[level, a]      resid = y - fitted
 *
 * as lme4's fitted() and residuals() (conditional on the BLUPs), with the fixed and random coefficients
 * written into the text: a factor's coding and a small grouping's BLUPs as CASE expressions, a one-column
 * grouping's BLUPs in ClickHouse as transform() over two array literals (a hash lookup; ClickHouse 18.16 has
 * no VALUES table to join, and its multiIf would test every level on every row).  The formula's transforms are
 * stats.h's expressions (sql_text.h).  A level is compared as text in ClickHouse (toString), elsewhere as the
 * number its label reads as, or as text. */
#ifndef LMM_AUGMENT_SQL_H
#define LMM_AUGMENT_SQL_H

#include "model.h"

/* The query for model m (its design, fit and random effects: a restored model will do) over the table data
 * (a name, quoted here), or with data NULL over from, a FROM text the caller has checked (a query in
 * parentheses); in dialect (LMM_SQL_*); *sql lmm_malloc'd.  Refuses what has no SQL form (an offset, a basis
 * learned from the data, a factor of an expression, a level holding a NUL byte). */
int lmm_augment_sql(const lmm_model *m, const char *data, const char *from, int dialect, char **sql, lmm_error *err);

#endif
