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
 * hidden columns, as in SQLite's generate_series.
 * How it works: a descriptor and a fill on rows_vtab.c; the fill reads the
 * rows (source.c), fits (core/model.h), saves when the options say save=NAME
 * (store.c) and copies core's result rows into cells.  The same arguments
 * within a statement give the kept rows, so a fit in a join runs (and is
 * saved) once. */
#include "lmm_fit.h"
SQLITE_EXTENSION_INIT3

#include "../core/alloc.h"
#include "../core/formula_dot.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

enum { ARG_DATA, ARG_FORMULA, ARG_RANDOM, ARG_OPTIONS, NARGS };

/* The arguments as text (NULL: absent or SQL NULL); SQLITE_NOMEM when a text
 * could not be made, which must not read as absent. */
static int read_args(sqlite3_value **argv, const char *args[NARGS]) {
  for (int a = 0; a < NARGS; a++) {
    args[a] = argv[a] ? (const char *)sqlite3_value_text(argv[a]) : NULL;
    if (!args[a] && argv[a] && sqlite3_value_type(argv[a]) != SQLITE_NULL) return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* The formula with its '.' spelled out as the data's columns (formula_dot.h) into *out, which stays NULL
 * when the formula has no '.'. */
static int expand_dot(sqlite3 *db, const char *fn, const char *const args[NARGS], char **out, char **errmsg) {
  *out = NULL;
  int n = 0, has = 0;
  char **cols = NULL, *expanded = NULL;
  lmm_error err = {0};
  if (lmm_formula_has_dot(args[ARG_FORMULA], &has, &err)) return lmm_sql_error(errmsg, fn, &err);
  if (!has) return SQLITE_OK;
  int rc = lmm_source_columns(db, args[ARG_DATA], &n, &cols, errmsg);
  if (rc != SQLITE_OK) lmm_source_error_in(fn, errmsg);
  else if (lmm_formula_expand_dot(args[ARG_FORMULA], args[ARG_RANDOM], n, (const char *const *)cols, &expanded, &err))
    rc = lmm_sql_error(errmsg, fn, &err);
  else if (!(*out = sqlite3_mprintf("%s", expanded))) rc = SQLITE_NOMEM;
  lmm_free(expanded);
  lmm_source_columns_free(n, cols);
  return rc;
}

/* Parse, read the data and fit: *out the fitted model, with the fingerprint
 * of the rows read when the fit is to be saved.  With df_unread (the
 * statement reads neither df nor p_value) the fit makes no df that take work
 * of their own, unless it is saved (lmm_model_df_unread). */
static int fit(sqlite3 *db, const char *fn, const char *const args[NARGS], int df_unread, lmm_model **out,
               uint64_t *fingerprint, char **errmsg) {
  lmm_error err = {0};
  if (lmm_model_begin(args[ARG_FORMULA], args[ARG_RANDOM], args[ARG_OPTIONS], out, &err))
    return lmm_sql_error(errmsg, fn, &err);
  lmm_model *m = *out;
  if (df_unread) lmm_model_df_unread(m);
  int rc = lmm_source_scan(db, args[ARG_DATA], m, m->options.save[0] ? fingerprint : NULL, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in(fn, errmsg);
    return rc;
  }
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  if (lmm_model_fit(m, lmm_interrupt_probe_check, &probe, &err)) rc = lmm_sql_error(errmsg, fn, &err);
  lmm_interrupt_probe_end(&probe);
  return rc;
}

/* Save the fit under the name its options give, with the call that made it and the snapshot that predicts
 * from it whatever happens to the data later. */
int lmm_fit_save(sqlite3 *db, const char *fn, const char *const args[4], lmm_model *m, uint64_t fingerprint,
                 char **errmsg) {
  lmm_snapshot snap;
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  int rc = lmm_snapshot_take(m, lmm_interrupt_probe_check, &probe, &snap, &err);
  lmm_interrupt_probe_end(&probe);
  if (rc) return lmm_sql_error(errmsg, fn, &err);
  char *json = lmm_store_fit_json(m, fingerprint, &snap);
  lmm_snapshot_clear(&snap);
  rc = json ? lmm_store_save(db, m->options.save, args, json, errmsg) : SQLITE_NOMEM;
  if (rc != SQLITE_OK) lmm_source_error_in(fn, errmsg);
  sqlite3_free(json);
  return rc;
}

void lmm_fit_copy_rows(const lmm_result *r, lmm_rowset *rows) {
  for (int i = 0; i < r->nrows; i++) {
    const lmm_row *row = &r->rows[i];
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) return;
    lmm_cell_text(rows, &c[0], row->effect);
    lmm_cell_text(rows, &c[1], row->grp);
    lmm_cell_text(rows, &c[2], row->term);
    if (row->count) lmm_cell_int(&c[3], (sqlite3_int64)row->estimate);
    else lmm_cell_real(&c[3], row->estimate);
    lmm_cell_real(&c[4], row->std_error);
    lmm_cell_real(&c[5], row->statistic);
    lmm_cell_real(&c[6], row->df);
    lmm_cell_real(&c[7], row->p_value);
  }
}

int lmm_fit_rows(sqlite3 *db, const char *fn, const char *const call[4], lmm_rowset *rows, char **errmsg) {
  const char *args[NARGS] = {call[ARG_DATA], call[ARG_FORMULA], call[ARG_RANDOM], call[ARG_OPTIONS]};
  lmm_model *m = NULL;
  uint64_t fingerprint = 0;   /* of the rows read, kept with a saved fit */
  char *expanded = NULL;      /* the formula with its '.' spelled out: what is fitted, and saved */
  int rc = expand_dot(db, fn, args, &expanded, errmsg);
  if (expanded) args[ARG_FORMULA] = expanded;
  int df_unread = (rows->unread & LMM_FIT_DF_COLUMNS) == LMM_FIT_DF_COLUMNS;
  if (rc == SQLITE_OK) rc = fit(db, fn, args, df_unread, &m, &fingerprint, errmsg);
  if (rc == SQLITE_OK && m->options.save[0]) rc = lmm_fit_save(db, fn, args, m, fingerprint, errmsg);
  if (rc == SQLITE_OK) lmm_fit_copy_rows(m->result, rows);
  lmm_model_free(m);
  sqlite3_free(expanded);
  return rc;
}

static int fit_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *args[NARGS];
  int rc = read_args(argv, args);
  return rc == SQLITE_OK ? lmm_fit_rows(db, "lmm_fit", args, rows, errmsg) : rc;
}

const lmm_tvf lmm_fit_tvf = {
  .name = "lmm_fit",
  .columns = "effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, p_value REAL",
  .args = "data HIDDEN, formula HIDDEN, random HIDDEN, options HIDDEN",
  .ncols = 8, .nargs = NARGS, .nrequired = 2,
  .usage = "lmm_fit needs at least data and formula: lmm_fit(data, formula [, random [, options]])",
  .fill = fit_fill,
  .text_args = (1 << NARGS) - 1,
  .cost = 1e6, .rows = 50,   /* a fit: dearer than reading saved rows */
  .lazy = LMM_FIT_DF_COLUMNS,
};
