/* rows_vtab.c — the shared table-valued-function machinery (see rows_vtab.h). */
#include "rows_vtab.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <string.h>

enum { MAX_ARGS = 8 };

lmm_cell *lmm_rowset_add(lmm_rowset *rs) {
  if (rs->oom) return NULL;
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

typedef struct tvf_cursor {
  sqlite3_vtab_cursor base;
  lmm_rowset rows;
  int row;
} tvf_cursor;

static int tvf_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)argc; (void)argv; (void)err;
  const lmm_tvf *tvf = aux;
  char *schema = sqlite3_mprintf("CREATE TABLE x(%s, %s)", tvf->columns, tvf->args);
  if (!schema) return SQLITE_NOMEM;
  int rc = sqlite3_declare_vtab(db, schema);
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
  info->estimatedCost = 1e5;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int tvf_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  tvf_cursor *c = (tvf_cursor *)cur;
  tvf_vtab *vt = (tvf_vtab *)cur->pVtab;
  const lmm_tvf *tvf = vt->tvf;
  rowset_clear(&c->rows);
  c->row = 0;
  sqlite3_value *args[MAX_ARGS] = {0};
  for (int a = 0, k = 0; a < tvf->nargs; a++)
    if ((idxNum & (1 << a)) && k < argc) args[a] = argv[k++];
  for (int a = 0; a < tvf->nrequired; a++) {
    if (!args[a] || sqlite3_value_type(args[a]) == SQLITE_NULL) {
      sqlite3_free(vt->base.zErrMsg);
      vt->base.zErrMsg = sqlite3_mprintf("%s", tvf->usage);
      return SQLITE_ERROR;
    }
    /* the fill functions read required arguments as text: make it here,
     * where a text that cannot be made (a number's, for want of memory) is
     * one error */
    if (!sqlite3_value_text(args[a])) return SQLITE_NOMEM;
  }
  char *msg = NULL;
  int rc = tvf->fill(vt->db, args, &c->rows, &msg);
  if (rc == SQLITE_OK && c->rows.oom) rc = SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    rowset_clear(&c->rows);
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = msg ? msg : sqlite3_mprintf("%s: %s", tvf->name, rc == SQLITE_NOMEM ? "out of memory" : "failed");
    return rc;
  }
  sqlite3_free(msg);
  return SQLITE_OK;
}

static int tvf_next(sqlite3_vtab_cursor *cur) {
  ((tvf_cursor *)cur)->row++;
  return SQLITE_OK;
}

static int tvf_eof(sqlite3_vtab_cursor *cur) {
  tvf_cursor *c = (tvf_cursor *)cur;
  return c->row >= c->rows.nrows;
}

static int tvf_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  tvf_cursor *c = (tvf_cursor *)cur;
  if (col >= c->rows.ncol) { sqlite3_result_null(ctx); return SQLITE_OK; }
  const lmm_cell *cell = &c->rows.cells[(size_t)c->row * (size_t)c->rows.ncol + (size_t)col];
  switch (cell->type) {
  case SQLITE_INTEGER: sqlite3_result_int64(ctx, cell->i); break;
  case SQLITE_FLOAT: sqlite3_result_double(ctx, cell->d); break;
  case SQLITE_TEXT: sqlite3_result_text(ctx, cell->s, -1, SQLITE_TRANSIENT); break;
  default: sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

static int tvf_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  *rowid = ((tvf_cursor *)cur)->row + 1;
  return SQLITE_OK;
}

static sqlite3_module tvf_module = {
  0, 0, tvf_connect, tvf_best_index, tvf_disconnect, 0, tvf_open, tvf_close, tvf_filter, tvf_next, tvf_eof,
  tvf_column, tvf_rowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

int lmm_register_tvf(sqlite3 *db, const lmm_tvf *tvf) {
  return sqlite3_create_module(db, tvf->name, &tvf_module, (void *)tvf);
}
