/* rows_vtab.h — one implementation of "a table-valued function that computes
 * its rows up front": each function supplies its columns, its arguments and a
 * fill function, and this module does the SQLite side (hidden argument
 * columns, xBestIndex, a cursor over the rows), as series.c does for one. */
#ifndef LMM_ROWS_VTAB_H
#define LMM_ROWS_VTAB_H

#include "sqlite3ext.h"

#include "../core/lmm_error.h"

typedef struct lmm_cell {
  int type;               /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
  sqlite3_int64 i;
  double d;
  char *s;                /* sqlite3_malloc'd */
} lmm_cell;

typedef struct lmm_rowset {
  int ncol;
  int nrows, cap;
  lmm_cell *cells;
  int oom;
  struct lmm_interrupt_probe *probe;   /* asked every 4,096 rows while a fill adds them (source.h) */
  int interrupted;
  unsigned unread;        /* bit k: column k is one of the function's lazy columns and the statement reads it
                             nowhere; the fill may leave it NULL and skip the work of it */
} lmm_rowset;

/* Append a row of NULLs and return its cells (NULL when out of memory, or when the host has interrupted the
 * statement: a fill that copies a million rows stops within a time limit too). */
lmm_cell *lmm_rowset_add(lmm_rowset *rs);

/* Why lmm_rowset_add returned NULL, as core's error (LMM_INTERRUPTED or LMM_NOMEM): a row function called
 * inside a scan must not answer an interrupt with want of memory, which SQLite would keep for the whole
 * statement (sqlite3_result_error_nomem marks the connection until its outermost statement ends). */
int lmm_rowset_refused(const lmm_rowset *rs, lmm_error *err);
void lmm_cell_text(lmm_rowset *rs, lmm_cell *c, const char *s);
void lmm_cell_real(lmm_cell *c, double v);   /* NaN becomes NULL */
void lmm_cell_int(lmm_cell *c, sqlite3_int64 v);
/* Column col of a statement's current row, whatever its type (a BLOB as text). */
void lmm_cell_column(lmm_rowset *rs, lmm_cell *c, sqlite3_stmt *st, int col);

typedef struct lmm_tvf {
  const char *name;
  const char *columns;    /* "a TEXT, b REAL" */
  const char *args;       /* "model HIDDEN, data HIDDEN" */
  int ncols, nargs, nrequired;
  const char *usage;      /* shown when an argument is missing or of the wrong type */
  /* argv[k] is argument k or NULL when absent; *errmsg from sqlite3_mprintf */
  int (*fill)(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg);
  int keyed;              /* column 0 is an integer key (source_rowid): "= value" is looked up */
  unsigned text_args;     /* bit k: argument k must be text or NULL */
  double cost, rows;      /* xBestIndex's estimates for a call (0: 1e5 and 100) */
  unsigned lazy;          /* bit k: column k costs work of its own, skipped where no one reads it (rows->unread) */
} lmm_tvf;

int lmm_register_tvf(sqlite3 *db, const lmm_tvf *tvf);

/* Whether two argument values (either may be NULL: absent) are the same: a
 * function called again with them within a statement returns the same rows. */
int lmm_value_same(sqlite3_value *x, sqlite3_value *y);

#endif
