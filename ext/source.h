/* source.h — reading the rows a model needs from a table, a view or a query. */
#ifndef LMM_SOURCE_H
#define LMM_SOURCE_H

#include <time.h>

#include "sqlite3ext.h"
#include "../core/model.h"

/* Scan `data` (table, schema.table, view, or a read-only SELECT/WITH query)
 * into the model, and a fingerprint of the values read (to tell later whether
 * the data have changed; fingerprint NULL: not wanted, and not computed, as
 * a byte-at-a-time hash is a noticeable part of a large fit).  On error
 * returns non-zero with *errmsg from sqlite3_mprintf. */
int lmm_source_scan(sqlite3 *db, const char *data, lmm_model *m, uint64_t *fingerprint, char **errmsg);

/* Registers lmm_source_row(), the function through which a scan receives
 * its rows inside SQLite's loop (see source.c); lmm's init calls it. */
int lmm_source_register(sqlite3 *db);

/* Called once per row with the named columns' values, the row's 1-based
 * position in the order read, and its rowid (NULL when the source gives
 * none: see find_rowid in source.c); non-zero stops the scan. */
typedef int lmm_row_fn(void *ctx, const lmm_value *vals, int64_t row, const int64_t *rowid, lmm_error *err);

/* Scan `data` for the named columns, calling each() per row; *untyped (unless NULL) is set before the first
 * row: whether no column read is declared with a numeric type (every one TEXT or untyped, as `.import --csv`
 * makes them), the case where text is read as R's read.csv reads a file (core/row_eval.h). */
int lmm_source_each(sqlite3 *db, const char *data, int ncols, const char *const *names, lmm_row_fn *each, void *ctx,
                    uint64_t *fingerprint, int *untyped, char **errmsg);

/* The columns of `data` in its order (what SELECT * gives; a view's or a query's column read as its rowids,
 * see find_rowid in source.c, left out), for '.' in a formula: *names, each and the array sqlite3_malloc'd,
 * freed with lmm_source_columns_free. */
int lmm_source_columns(sqlite3 *db, const char *data, int *n, char ***names, char **errmsg);
void lmm_source_columns_free(int n, char **names);

/* The reader's message (*errmsg, from sqlite3_mprintf; may be NULL) under
 * the calling function's name, "fn: ...", once: a message that already
 * starts with fn is left as it is.  Out of memory leaves *errmsg NULL. */
void lmm_source_error_in(const char *fn, char **errmsg);

/* Whether data is a query rather than a table or view in *is_query: a table
 * or view of that name (or [schema.]name, quoted or not) is one, whatever
 * the name looks like; else a text that begins with the keyword SELECT,
 * WITH or VALUES (after blanks, comments and parentheses) is a query.
 * Returns an SQLite error code, with *errmsg, when it cannot tell. */
int lmm_source_is_query(sqlite3 *db, const char *data, int *is_query, char **errmsg);

/* Whether column col of from (FROM text, quoted) holds text in any value, as lmm_fit makes a factor of a column
 * that holds text anywhere: 1 or 0; -1 where it holds no value (a table declared here for one elsewhere) or
 * cannot be read, with *declared_text whether it is declared TEXT. */
int lmm_source_any_text(sqlite3 *db, const char *from, const char *col, int *declared_text);

/* The FROM text that reads `data` as lmm_fit reads it ("schema"."name" quoted, a query in parentheses) into *from
 * (sqlite3_free it); an SQLite error code with *errmsg set when there is none. */
int lmm_source_from(sqlite3 *db, const char *data, char **from, char **errmsg);

/* What core asks all along a fit (the interrupted callback of
 * lmm_model_fit, core/stop.h): nonzero once sqlite3_interrupt() has been
 * called on db or the connection's progress handler has answered nonzero,
 * asked of SQLite at most every 20 ms, on the thread that runs the
 * statement.  Each question runs SQLite's VM for a hundredth of the time
 * since the last, in a statement of its own, so the progress handler is
 * called as SQLite calls it, every N VM steps: at every question for N up
 * to some tens of thousands (Datasette's time limit has N = 1,000), less
 * often for larger N (see source.c).  _end finalizes it. */
typedef struct lmm_interrupt_probe {
  sqlite3 *db;
  sqlite3_stmt *ask;       /* the question's statement, made at the first question */
  struct timespec last;    /* when the last question began */
} lmm_interrupt_probe;
void lmm_interrupt_probe_init(lmm_interrupt_probe *p, sqlite3 *db);
int lmm_interrupt_probe_check(void *probe);
void lmm_interrupt_probe_end(lmm_interrupt_probe *p);

#endif
