/* sql_text.h — SQL text for the engines where the rows live (stats.h's queries, augment_sql.h's): a growing
 * buffer, the dialect's quoting and casts, a formula's arithmetic as SQL over doubles, and the condition that
 * keeps the rows a local fit keeps.  A failed allocation sets oom and every later write does nothing. */
#ifndef LMM_SQL_TEXT_H
#define LMM_SQL_TEXT_H

#include "formula.h"

enum { LMM_SQL_SQLITE, LMM_SQL_CLICKHOUSE, LMM_SQL_POSTGRESQL, LMM_SQL_DUCKDB, LMM_SQL_SPARK };

typedef struct lmm_sql_buf { char *s; size_t len, cap; int oom; } lmm_sql_buf;

void lmm_sql_put(lmm_sql_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An identifier; a table or db.table, each part quoted. */
void lmm_sql_quote(lmm_sql_buf *b, int dialect, const char *name);
void lmm_sql_quote_table(lmm_sql_buf *b, int dialect, const char *name);
/* A column whose values are levels, quoted, to be grouped or compared as lmm tells levels apart (by their
 * bytes): in SQLite with COLLATE BINARY, as a column declared COLLATE NOCASE would group 'a' with 'A'. */
void lmm_sql_key(lmm_sql_buf *b, int dialect, const char *name);
/* What a column's levels are, for lmm_sql_level: text (a plain column of text), numbers (a plain column of
 * numbers: a grouping's ids), or either (factor(x): numbers where the label reads as one). */
enum { LMM_LEVELS_TEXT, LMM_LEVELS_NUMBER, LMM_LEVELS_EITHER };
/* Whether label reads as a number, as R prints one (its value in *v). */
int lmm_sql_number_label(const char *label, double *v);
/* A test that a row's value of col is the level label, as lmm matched values to levels: text by its bytes, a
 * number where R's 15 significant digits print it as label (0.1 + 0.2 is the level 0.3, 100000 is 1e+05).
 * SQLite asks each value's type; the other engines are told it (kind). */
void lmm_sql_level(lmm_sql_buf *b, int dialect, const char *col, const char *label, int kind);

/* A column as a double (cast, so that no engine divides integers). */
void lmm_sql_double(lmm_sql_buf *b, int dialect, const char *col);
/* A text literal. */
void lmm_sql_literal(lmm_sql_buf *b, int dialect, const char *s);
/* A number as a double literal (always with a point or an exponent; a negative one with its sign, which
 * every dialect reads after an operator and in an array literal). */
void lmm_sql_number(lmm_sql_buf *b, double x);
/* An arithmetic tree of f as a SQL expression of doubles (every column cast). */
int lmm_sql_expr(lmm_sql_buf *b, int dialect, const lmm_expr *e, const lmm_formula *f, lmm_error *err);
/* " WHERE ...": none of f's columns NULL, a factor given its levels has one of them. */
void lmm_sql_where(lmm_sql_buf *b, int dialect, const lmm_formula *f);

#endif
