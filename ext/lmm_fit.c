/* lmm_fit.c — lmm_fit(data, formula [, random [, options]]), an eponymous
 * table-valued function:
 *
 *   SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)');
 *   SELECT term, estimate FROM lmm_fit('arabidopsis',
 *       'log(1 + total_fruits) ~ factor(nutrient) + amd', '1|popu/gen', 'method=ML')
 *   WHERE effect = 'fixed';
 *
 * One row per coefficient (effect 'fixed'), variance component ('ran_pars')
 * and fit statistic ('fit'), in broom.mixed's tidy columns.  The arguments are
 * hidden columns, as in SQLite's generate_series. */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <string.h>

#include "lmm_fit.h"
#include "rows_vtab.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"
#include "text_arg.h"

enum { COL_EFFECT, COL_GRP, COL_TERM, COL_ESTIMATE, COL_STD_ERROR, COL_STATISTIC, COL_DF, COL_P_VALUE,
       COL_DATA, COL_FORMULA, COL_RANDOM, COL_OPTIONS, NARGS = 4 };

typedef struct fit_vtab {
  sqlite3_vtab base;
  sqlite3 *db;
} fit_vtab;

typedef struct fit_cursor {
  sqlite3_vtab_cursor base;
  lmm_model *model;
  int row;
  sqlite3_value *args[NARGS];  /* the arguments model was fitted with (NULL: absent) */
} fit_cursor;

static void forget_fit(fit_cursor *c) {
  lmm_model_free(c->model);
  c->model = NULL;
  for (int a = 0; a < NARGS; a++) { sqlite3_value_free(c->args[a]); c->args[a] = NULL; }
}

static int fit_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err) {
  (void)aux; (void)argc; (void)argv;
  int rc = lmm_sql_declare_vtab(db, "lmm_fit",
      "CREATE TABLE x(effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, "
      "p_value REAL, data HIDDEN, formula HIDDEN, random HIDDEN, options HIDDEN)", err);
  if (rc != SQLITE_OK) return rc;
  fit_vtab *v = sqlite3_malloc(sizeof *v);
  if (!v) return SQLITE_NOMEM;
  memset(v, 0, sizeof *v);
  v->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *out = &v->base;
  return SQLITE_OK;
}

static int fit_disconnect(sqlite3_vtab *v) {
  sqlite3_free(v);
  return SQLITE_OK;
}

static int fit_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out) {
  (void)v;
  fit_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *out = &c->base;
  return SQLITE_OK;
}

static int fit_close(sqlite3_vtab_cursor *cur) {
  fit_cursor *c = (fit_cursor *)cur;
  forget_fit(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* Run a whole fit for the cursor's arguments. */
static int fit_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  (void)idxStr;
  fit_cursor *c = (fit_cursor *)cur;
  fit_vtab *vt = (fit_vtab *)cur->pVtab;
  c->row = 0;
  const char *args[NARGS] = {0};
  sqlite3_value *vals[NARGS] = {0};
  static const char *const names[NARGS] = {"data", "formula", "random", "options"};
  for (int a = 0, k = 0; a < NARGS; a++)
    if (idxNum & (1 << a)) {
      if (k >= argc) break;
      if (sqlite3_value_type(argv[k]) != SQLITE_NULL && sqlite3_value_type(argv[k]) != SQLITE_TEXT) {
        forget_fit(c);
        vt->base.zErrMsg = sqlite3_mprintf("lmm_fit: argument '%s' must be text", names[a]);
        return SQLITE_ERROR;
      }
      vals[a] = argv[k];
      args[a] = (const char *)sqlite3_value_text(argv[k]);
      if (!args[a] && sqlite3_value_type(argv[k]) == SQLITE_TEXT) return SQLITE_NOMEM;
      char *why = NULL;
      int rc = lmm_text_arg_check(argv[k], "lmm_fit", names[a], &why);
      if (rc != SQLITE_OK) {
        forget_fit(c);
        sqlite3_free(vt->base.zErrMsg);
        vt->base.zErrMsg = why;
        return rc;
      }
      k++;
    }
  if (!args[0] || !args[1]) {
    forget_fit(c);
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = sqlite3_mprintf("lmm_fit needs at least data and formula: lmm_fit(data, formula [, random [, options]])");
    return SQLITE_ERROR;
  }
  /* the inner side of a join is filtered once per outer row: the same
   * arguments within one statement are the same fit (and saved once) */
  int same = c->model != NULL;
  for (int a = 0; a < NARGS && same; a++) same = lmm_value_same(vals[a], c->args[a]);
  if (same) return SQLITE_OK;
  forget_fit(c);
  lmm_error err = {0};
  char *msg = NULL;
  int rc = lmm_model_begin(args[1], args[2], args[3], &c->model, &err);
  if (rc == LMM_OK) {
    uint64_t fingerprint = 0;   /* of the rows read, kept with a saved fit; none wanted otherwise */
    rc = lmm_source_scan(vt->db, args[0], c->model, c->model->options.save[0] ? &fingerprint : NULL, &msg);
    if (rc != SQLITE_OK) lmm_source_error_in("lmm_fit", &msg);
    if (rc == SQLITE_OK) {
      lmm_interrupt_probe probe;
      lmm_interrupt_probe_init(&probe, vt->db);
      rc = lmm_model_fit(c->model, lmm_interrupt_probe_check, &probe, &err);
      lmm_interrupt_probe_end(&probe);
      if (rc == LMM_INTERRUPTED) {
        lmm_model_free(c->model);
        c->model = NULL;
        sqlite3_free(vt->base.zErrMsg);
        vt->base.zErrMsg = sqlite3_mprintf("lmm_fit: interrupted");
        return SQLITE_INTERRUPT;
      }
      if (rc == LMM_OK && c->model->options.save[0]) {
        char *json = lmm_store_fit_json(c->model, fingerprint);
        const char *call[4] = {args[0], args[1], args[2], args[3]};
        rc = json ? lmm_store_save(vt->db, c->model->options.save, call, json, &msg) : SQLITE_NOMEM;
        sqlite3_free(json);
      }
    }
  }
  if (rc != LMM_OK) {
    lmm_model_free(c->model);
    c->model = NULL;
    sqlite3_free(vt->base.zErrMsg);
    vt->base.zErrMsg = msg ? msg : sqlite3_mprintf("lmm_fit: %s", err.msg);
    if (err.code == LMM_NOMEM || rc == SQLITE_NOMEM) return SQLITE_NOMEM;
    return SQLITE_ERROR;
  }
  for (int a = 0; a < NARGS; a++)
    if (vals[a] && !(c->args[a] = sqlite3_value_dup(vals[a]))) {
      /* no copy to compare with: keep the fit for this filter only */
      for (int b = 0; b < NARGS; b++) { sqlite3_value_free(c->args[b]); c->args[b] = NULL; }
      break;
    }
  return SQLITE_OK;
}

static int fit_next(sqlite3_vtab_cursor *cur) {
  ((fit_cursor *)cur)->row++;
  return SQLITE_OK;
}

static int fit_eof(sqlite3_vtab_cursor *cur) {
  fit_cursor *c = (fit_cursor *)cur;
  return !c->model || !c->model->result || c->row >= c->model->result->nrows;
}

static void result_real(sqlite3_context *ctx, double v) {
  if (isnan(v)) sqlite3_result_null(ctx);
  else sqlite3_result_double(ctx, v);
}

static int fit_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  fit_cursor *c = (fit_cursor *)cur;
  const lmm_row *r = &c->model->result->rows[c->row];
  switch (col) {
  case COL_EFFECT: sqlite3_result_text(ctx, r->effect, -1, SQLITE_STATIC); break;
  case COL_GRP: if (r->grp) sqlite3_result_text(ctx, r->grp, -1, SQLITE_TRANSIENT); else sqlite3_result_null(ctx); break;
  case COL_TERM: sqlite3_result_text(ctx, r->term, -1, SQLITE_TRANSIENT); break;
  case COL_ESTIMATE:
    /* counts are integers */
    if (!strcmp(r->effect, "fit") && (!strcmp(r->term, "nobs") || !strcmp(r->term, "df") || !strcmp(r->term, "ngroups") ||
                                      !strcmp(r->term, "converged") || !strcmp(r->term, "singular") || !strcmp(r->term, "evaluations")))
      sqlite3_result_int64(ctx, (sqlite3_int64)r->estimate);
    else result_real(ctx, r->estimate);
    break;
  case COL_STD_ERROR: result_real(ctx, r->std_error); break;
  case COL_STATISTIC: result_real(ctx, r->statistic); break;
  case COL_DF: result_real(ctx, r->df); break;
  case COL_P_VALUE: result_real(ctx, r->p_value); break;
  default: sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int fit_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  *rowid = ((fit_cursor *)cur)->row + 1;
  return SQLITE_OK;
}

/* Use equality constraints on the hidden argument columns; data and formula
 * are required, so a plan without them is refused. */
static int fit_best_index(sqlite3_vtab *v, sqlite3_index_info *info) {
  (void)v;
  int argpos[NARGS] = {-1, -1, -1, -1}, mask = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *ct = &info->aConstraint[i];
    int a = ct->iColumn - COL_DATA;
    if (a < 0 || a >= NARGS) continue;
    if (ct->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!ct->usable) return SQLITE_CONSTRAINT;
    argpos[a] = i;
    mask |= 1 << a;
  }
  int k = 0;
  for (int a = 0; a < NARGS; a++)
    if (argpos[a] >= 0) {
      info->aConstraintUsage[argpos[a]].argvIndex = ++k;
      info->aConstraintUsage[argpos[a]].omit = 1;
    }
  info->idxNum = mask;
  info->estimatedCost = 1e6;
  info->estimatedRows = 50;
  return SQLITE_OK;
}

static sqlite3_module fit_module = {
  0, 0, fit_connect, fit_best_index, fit_disconnect, 0, fit_open, fit_close, fit_filter, fit_next, fit_eof,
  fit_column, fit_rowid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

int lmm_register_fit(sqlite3 *db) { return sqlite3_create_module(db, "lmm_fit", &fit_module, NULL); }
