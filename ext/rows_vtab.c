/* rows_vtab.c — the shared table-valued-function machinery (see rows_vtab.h). */
#include "rows_vtab.h"
SQLITE_EXTENSION_INIT3

#include "source.h"
#include "sql_error.h"
#include "text_arg.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 8, KEY_BIT = 1 << MAX_ARGS, UNREAD_SHIFT = MAX_ARGS + 1, MAX_LAZY_COLS = 16 };

lmm_cell *lmm_rowset_add(lmm_rowset *rs) {
  if (rs->oom || rs->interrupted) return NULL;
  if (rs->probe && (rs->nrows & 4095) == 4095 && lmm_interrupt_probe_check(rs->probe)) {
    rs->interrupted = 1;
    return NULL;
  }
  if (rs->nrows == rs->cap) {
    int cap = rs->cap ? rs->cap * 2 : 64;
    lmm_cell *g = sqlite3_realloc64(rs->cells, sizeof *g * (size_t)cap * (size_t)rs->ncol);
    if (!g) { rs->oom = 1; return NULL; }
    rs->cells = g;
    rs->cap = cap;
  }
  lmm_cell *row = rs->cells + (size_t)rs->nrows * (size_t)rs->ncol;
  memset(row, 0, sizeof *row * (size_t)rs->ncol);
  for (int c = 0; c < rs->ncol; c++) row[c].type = SQLITE_NULL;
  rs->nrows++;
  return row;
}

int lmm_rowset_refused(const lmm_rowset *rs, lmm_error *err) {
  return rs->interrupted ? lmm_fail(err, LMM_INTERRUPTED, "interrupted") : lmm_nomem(err);
}

void lmm_cell_text(lmm_rowset *rs, lmm_cell *c, const char *s) {
  if (!s) { c->type = SQLITE_NULL; return; }
  c->s = sqlite3_mprintf("%s", s);
  if (!c->s) { rs->oom = 1; c->type = SQLITE_NULL; return; }
  c->type = SQLITE_TEXT;
}

void lmm_cell_real(lmm_cell *c, double v) {
  if (isnan(v)) { c->type = SQLITE_NULL; return; }
  c->type = SQLITE_FLOAT;
  c->d = v;
}

void lmm_cell_int(lmm_cell *c, sqlite3_int64 v) {
  c->type = SQLITE_INTEGER;
  c->i = v;
}

void lmm_cell_column(lmm_rowset *rs, lmm_cell *c, sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
  case SQLITE_NULL: c->type = SQLITE_NULL; break;
  case SQLITE_INTEGER: lmm_cell_int(c, sqlite3_column_int64(st, col)); break;
  case SQLITE_FLOAT: lmm_cell_real(c, sqlite3_column_double(st, col)); break;
  default: {
    /* a NULL here is a text SQLite could not make: out of memory, not SQL NULL */
    const char *t = (const char *)sqlite3_column_text(st, col);
    if (t) lmm_cell_text(rs, c, t);
    else rs->oom = 1;
  }
  }
}

static void rowset_clear(lmm_rowset *rs) {
  for (int i = 0; i < rs->nrows * rs->ncol; i++) sqlite3_free(rs->cells[i].s);
  sqlite3_free(rs->cells);
  rs->cells = NULL;
  rs->nrows = rs->cap = 0;
  rs->oom = 0;
}

typedef struct tvf_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
  const lmm_tvf *tvf;
} tvf_vtab;

typedef struct keyed_row { sqlite3_int64 key; int row; } keyed_row;

typedef struct tvf_cursor {
  sqlite3_vtab_cursor base;
  lmm_rowset rows;
  int row, end;                       /* the positions [row, end) are left to visit */
  int keyed;                          /* positions index by_key (a lookup), else rows */
  int filled;                         /* rows hold the result for args */
  sqlite3_value *args[MAX_ARGS];      /* the arguments of the last fill (NULL: absent) */
  keyed_row *by_key;                  /* keyed functions: rows sorted by column 0, made on first lookup */
} tvf_cursor;

static void forget_args(tvf_cursor *c) {
  for (int a = 0; a < MAX_ARGS; a++) { sqlite3_value_free(c->args[a]); c->args[a] = NULL; }
  sqlite3_free(c->by_key);
  c->by_key = NULL;
  c->filled = 0;
}

int lmm_value_same(sqlite3_value *x, sqlite3_value *y) {
  if (!x || !y) return x == y;
  int t = sqlite3_value_type(x);
  if (t != sqlite3_value_type(y)) return 0;
  switch (t) {
  case SQLITE_NULL: return 1;
  case SQLITE_INTEGER: return sqlite3_value_int64(x) == sqlite3_value_int64(y);
  case SQLITE_FLOAT: return sqlite3_value_double(x) == sqlite3_value_double(y);
  default: {
    int n = sqlite3_value_bytes(x);
    return n == sqlite3_value_bytes(y) && !memcmp(sqlite3_value_blob(x), sqlite3_value_blob(y), (size_t)n);
  }
  }
}

static int tvf_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv;
  const lmm_tvf *tvf = aux;
  char *schema = sqlite3_mprintf("CREATE TABLE x(%s, %s)", tvf->columns, tvf->args);
  if (!schema) return SQLITE_NOMEM;
  int rc = lmm_sql_declare_vtab(db, tvf->name, schema, err);
  sqlite3_free(schema);
  if (rc != SQLITE_OK) return rc;
  tvf_vtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->db = db;
  v->tvf = tvf;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &v->base;
  return SQLITE_OK;
}

static int tvf_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

static int tvf_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  tvf_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->rows.ncol = ((tvf_vtab *)v)->tvf->ncols;
  *out = &c->base;
  return SQLITE_OK;
}

static int tvf_close(sqlite3_vtab_cursor *cur) {
  tvf_cursor *c = (tvf_cursor *)cur;
  rowset_clear(&c->rows);
  forget_args(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int tvf_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  const lmm_tvf *tvf = ((tvf_vtab *)v)->tvf;
  int pos[MAX_ARGS], mask = 0;
  for (int a = 0; a < MAX_ARGS; a++) pos[a] = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *ct = &info->aConstraint[i];
    int a = ct->iColumn - tvf->ncols;
    if (a < 0 || a >= tvf->nargs || ct->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!ct->usable) return SQLITE_CONSTRAINT;
    pos[a] = i;
    mask |= 1 << a;
  }
  for (int a = 0, k = 0; a < tvf->nargs; a++)
    if (pos[a] >= 0) {
      info->aConstraintUsage[pos[a]].argvIndex = ++k;
      info->aConstraintUsage[pos[a]].omit = 1;
    }
  info->idxNum = mask;
  /* the lazy columns (among the first MAX_LAZY_COLS, below colUsed's last bit) the statement reads nowhere */
  for (int col = 0; col < tvf->ncols && col < MAX_LAZY_COLS; col++)
    if ((tvf->lazy >> col & 1) && !(info->colUsed >> col & 1)) info->idxNum |= 1 << (UNREAD_SHIFT + col);
  info->estimatedCost = tvf->cost ? tvf->cost : 1e5;
  info->estimatedRows = tvf->rows ? (sqlite3_int64)tvf->rows : 100;
  /* "source_rowid = x": a lookup in the kept rows, so that a join on it costs
   * n log n, not n^2; SQLite checks the constraint again (omit = 0) */
  for (int i = 0, k = __builtin_popcount((unsigned)mask); tvf->keyed && i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *ct = &info->aConstraint[i];
    if (ct->iColumn != 0 || ct->op != SQLITE_INDEX_CONSTRAINT_EQ || !ct->usable) continue;
    info->aConstraintUsage[i].argvIndex = k + 1;
    info->idxNum |= KEY_BIT;
    info->estimatedCost = 10;
    info->estimatedRows = 1;
    break;
  }
  return SQLITE_OK;
}

static int key_cmp(const void *a, const void *b) {
  const keyed_row *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key ? 1 : x->row - y->row;
}

/* Narrow [row, end) to the rows whose key is v; any other value than an
 * integer leaves all rows for SQLite to test. */
static int look_up(tvf_cursor *c, sqlite3_value *v) {
  double d = sqlite3_value_double(v);
  int t = sqlite3_value_numeric_type(v);
  if (!(t == SQLITE_INTEGER || (t == SQLITE_FLOAT && fabs(d) < 9e18 && d == (double)(sqlite3_int64)d))) {
    c->keyed = 0;
    return SQLITE_OK;
  }
  sqlite3_int64 key = t == SQLITE_INTEGER ? sqlite3_value_int64(v) : (sqlite3_int64)d;
  int n = c->rows.nrows;
  if (!c->by_key && n) {
    if (!(c->by_key = sqlite3_malloc64(sizeof *c->by_key * (size_t)n))) { c->keyed = 0; return SQLITE_NOMEM; }
    for (int r = 0; r < n; r++) {
      const lmm_cell *cell = &c->rows.cells[(size_t)r * (size_t)c->rows.ncol];
      c->by_key[r] = (keyed_row){cell->type == SQLITE_INTEGER ? cell->i : INT64_MIN, r};
    }
    qsort(c->by_key, (size_t)n, sizeof *c->by_key, key_cmp);
  }
  int lo = 0, hi = n;
  while (lo < hi) { int mid = lo + (hi - lo) / 2; if (c->by_key[mid].key < key) lo = mid + 1; else hi = mid; }
  c->row = lo;
  for (c->end = lo; c->end < n && c->by_key[c->end].key == key; c->end++) {}
  return SQLITE_OK;
}

/* The name of argument a: its word in tvf->args ("model HIDDEN, data HIDDEN"). */
static const char *arg_name(const lmm_tvf *tvf, int a, char *out, size_t size) {
  const char *p = tvf->args;
  for (int k = 0; k < a && p; k++)
    if ((p = strchr(p, ','))) p++;
  while (p && *p == ' ') p++;
  size_t n = p ? strcspn(p, " ,") : 0;
  if (n >= size) n = size - 1;
  memcpy(out, p ? p : "", n);
  out[n] = 0;
  return out;
}

/* Refuse arguments the function cannot take, with its usage: not text
 * where text is wanted, a required one missing; and a text with a NUL byte. */
static int check_args(tvf_vtab *vt, sqlite3_value *args[MAX_ARGS]) {
  const lmm_tvf *tvf = vt->tvf;
  char name[32], *why = NULL;
  for (int a = 0; a < tvf->nargs; a++) {
    int type = args[a] ? sqlite3_value_type(args[a]) : SQLITE_NULL;
    if ((tvf->text_args >> a & 1) && type != SQLITE_NULL && type != SQLITE_TEXT) {
      why = sqlite3_mprintf("%s: argument '%s' must be text, not %s; %s", tvf->name, arg_name(tvf, a, name, sizeof name),
                            lmm_value_kind(args[a]), tvf->usage);
      break;
    }
  }
  for (int a = 0; a < tvf->nrequired && !why; a++) {
    if (!args[a] || sqlite3_value_type(args[a]) == SQLITE_NULL) {
      why = sqlite3_mprintf("%s", tvf->usage);
      break;
    }
    /* the fill functions read required arguments as text: make it here,
     * where a text that cannot be made (a number's, for want of memory) is
     * one error */
    if (!sqlite3_value_text(args[a])) return SQLITE_NOMEM;
  }
  if (why) {
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = why;
    return SQLITE_ERROR;
  }
  for (int a = 0; a < tvf->nargs; a++) {
    int rc = args[a] ? lmm_text_arg_check(args[a], tvf->name, arg_name(tvf, a, name, sizeof name), &why) : SQLITE_OK;
    if (rc != SQLITE_OK) {
      sqlite3_free(vt->base.zErrMsg);
      vt->base.zErrMsg = why;
      return rc;
    }
  }
  return SQLITE_OK;
}

/* Fill the rows for args and keep a copy of args to compare the next call's with. */
static int fill(tvf_cursor *c, tvf_vtab *vt, sqlite3_value *args[MAX_ARGS]) {
  const lmm_tvf *tvf = vt->tvf;
  char *msg = NULL;
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, vt->db);
  c->rows.probe = &probe;
  int rc = tvf->fill(vt->db, args, &c->rows, &msg);
  lmm_interrupt_probe_end(&probe);
  c->rows.probe = NULL;
  if (c->rows.interrupted) {   /* the rowset refused a row: whatever the fill made of that (out of memory), it stopped */
    rc = SQLITE_INTERRUPT;
    c->rows.interrupted = 0;
    sqlite3_free(msg);
    msg = sqlite3_mprintf("%s: interrupted", tvf->name);
  }
  if (rc == SQLITE_OK && c->rows.oom) rc = SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    rowset_clear(&c->rows);
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = msg ? msg : sqlite3_mprintf("%s: %s", tvf->name, rc == SQLITE_NOMEM ? "out of memory" : "failed");
    return rc;
  }
  sqlite3_free(msg);
  int kept = 1;
  for (int a = 0; a < tvf->nargs; a++)
    if (args[a] && !(c->args[a] = sqlite3_value_dup(args[a]))) kept = 0;
  if (kept) c->filled = 1;
  else forget_args(c);  /* no copy of the arguments: the next filter fills again */
  return SQLITE_OK;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  tvf_cursor *c = (tvf_cursor *)cur;
  tvf_vtab *vt = (tvf_vtab *)cur->pVtab;
  const lmm_tvf *tvf = vt->tvf;
  c->row = c->end = 0;
  sqlite3_value *args[MAX_ARGS] = {0};
  for (int a = 0, k = 0; a < tvf->nargs; a++)
    if ((idxNum & (1 << a)) && k < argc) args[a] = argv[k++];
  /* In a join SQLite filters the inner table once per outer row: the same
   * arguments give the same rows within one statement, so keep them rather
   * than refit (and save) n times. */
  int same = c->filled;
  for (int a = 0; a < tvf->nargs && same; a++) same = lmm_value_same(args[a], c->args[a]);
  c->keyed = (idxNum & KEY_BIT) && argc > 0;
  c->rows.unread = (unsigned)idxNum >> UNREAD_SHIFT & tvf->lazy;
  if (!same) {
    rowset_clear(&c->rows);
    forget_args(c);
    int rc = check_args(vt, args);
    if (rc == SQLITE_OK) rc = fill(c, vt, args);
    if (rc != SQLITE_OK) return rc;
  }
  c->end = c->rows.nrows;
  return c->keyed ? look_up(c, argv[argc - 1]) : SQLITE_OK;
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
  ((tvf_cursor *)cur)->row++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
  tvf_cursor *c = (tvf_cursor *)cur;
  return c->row >= c->end;
}

/* The row at the cursor's position. */
static int current_row(const tvf_cursor *c) { return c->keyed ? c->by_key[c->row].row : c->row; }

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  tvf_cursor *c = (tvf_cursor *)cur;
  if (col >= c->rows.ncol) { sqlite3_result_null(ctx); return SQLITE_OK; }
  const lmm_cell *cell = &c->rows.cells[(size_t)current_row(c) * (size_t)c->rows.ncol + (size_t)col];
  switch (cell->type) {
  case SQLITE_INTEGER: sqlite3_result_int64(ctx, cell->i); break;
  case SQLITE_FLOAT: sqlite3_result_double(ctx, cell->d); break;
  case SQLITE_TEXT: sqlite3_result_text(ctx, cell->s, -1, SQLITE_TRANSIENT); break;
  default: sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  *rowid = current_row((tvf_cursor *)cur) + 1;
  return SQLITE_OK;
}

/* Eponymous and read-only: no xCreate, xDestroy or xUpdate. */
static sqlite3_module tvf_module = {
  /* iVersion */ 0,
  /* xCreate */ 0,
  /* xConnect */ tvf_connect,
  /* xBestIndex */ tvf_best_index,
  /* xDisconnect */ tvf_disconnect,
  /* xDestroy */ 0,
  /* xOpen */ tvf_open,
  /* xClose */ tvf_close,
  /* xFilter */ tvf_filter,
  /* xNext */ tvf_next,
  /* xEof */ tvf_eof,
  /* xColumn */ tvf_column,
  /* xRowid */ tvf_rowid,
  /* xUpdate */ 0,
  /* xBegin */ 0,
  /* xSync */ 0,
  /* xCommit */ 0,
  /* xRollback */ 0,
  /* xFindFunction */ 0,
  /* xRename */ 0,
  /* xSavepoint */ 0,
  /* xRelease */ 0,
  /* xRollbackTo */ 0,
  /* xShadowName */ 0,
};

int lmm_register_tvf(sqlite3 *db, const lmm_tvf *tvf) {
  return sqlite3_create_module(db, tvf->name, &tvf_module, (void *)tvf);
}
