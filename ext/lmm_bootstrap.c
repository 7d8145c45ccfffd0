/* lmm_bootstrap.c — lmm_bootstrap(model [, 'nsim=1000, seed=1, threads=2']): bootMer's t in long form,
 * rows (replicate, effect, grp, term, estimate), replicate from 1, the parameters in lmm_tidy's order and
 * names.  The model is opened on its rows (lmm_store_open_structured: a residual structure is simulated and
 * refitted too); core simulates and refits (bootstrap.h). */
#include "lmm_bootstrap.h"
SQLITE_EXTENSION_INIT3

#include "../core/bootstrap.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

int lmm_bootstrap_options(sqlite3_value *arg, int with_test, const char *fn, lmm_boot_options *o, char **errmsg) {
  const char *text = arg ? (const char *)sqlite3_value_text(arg) : NULL;
  if (!text && arg && sqlite3_value_type(arg) != SQLITE_NULL) return SQLITE_NOMEM;
  lmm_error err = {0};
  if (lmm_boot_options_parse(text, with_test, o, &err)) return lmm_sql_error(errmsg, fn, &err);
  if (!sqlite3_threadsafe()) o->threads = 1;   /* its allocator is not to be called from two threads at once */
  return SQLITE_OK;
}

static void copy_rows(const lmm_boot *b, lmm_rowset *rows) {
  for (int r = 0; r < b->nsim; r++)
    for (int k = 0; k < b->npar; k++) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) return;
      const lmm_row *l = b->label[k];
      lmm_cell_int(&c[0], r + 1);
      lmm_cell_text(rows, &c[1], l->effect);
      if (l->grp) lmm_cell_text(rows, &c[2], l->grp);
      lmm_cell_text(rows, &c[3], l->term);
      lmm_cell_real(&c[4], b->t[(size_t)r * (size_t)b->npar + (size_t)k]);
    }
}

static int bootstrap_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_boot_options o;
  int rc = lmm_bootstrap_options(argv[1], 0, "lmm_bootstrap", &o, errmsg);
  if (rc != SQLITE_OK) return rc;
  lmm_model *m = NULL;
  if ((rc = lmm_store_open_structured(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg)) != SQLITE_OK) {
    lmm_source_error_in("lmm_bootstrap", errmsg);
    return rc;
  }
  lmm_boot *b = NULL;
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  if (lmm_bootstrap(m, &o, lmm_interrupt_probe_check, &probe, &b, &err)) rc = lmm_sql_error(errmsg, "lmm_bootstrap", &err);
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_OK) copy_rows(b, rows);
  lmm_boot_free(b);
  lmm_model_free(m);
  return rc;
}

int lmm_bootstrap_test(sqlite3 *db, const char *small, const char *large, double stat, const lmm_boot_options *o,
                       const char *fn, double *p, char **errmsg) {
  lmm_model *m0 = NULL, *m1 = NULL;
  int rc = lmm_store_open_structured(db, small, &m0, errmsg);
  if (rc == SQLITE_OK) rc = lmm_store_open_structured(db, large, &m1, errmsg);
  if (rc != SQLITE_OK) lmm_source_error_in(fn, errmsg);
  double *lrt = rc == SQLITE_OK ? sqlite3_malloc64(sizeof *lrt * (sqlite3_uint64)o->nsim) : NULL;
  if (rc == SQLITE_OK && !lrt) rc = SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    lmm_error err = {0};
    lmm_interrupt_probe probe;
    lmm_interrupt_probe_init(&probe, db);
    if (lmm_boot_lrt(m0, m1, o, lmm_interrupt_probe_check, &probe, lrt, &err)) {
      char *what = sqlite3_mprintf("%s: bootstrap test of '%s' against '%s'", fn, small, large);
      rc = what ? lmm_sql_error(errmsg, what, &err) : SQLITE_NOMEM;
      sqlite3_free(what);
    }
    lmm_interrupt_probe_end(&probe);
    int used = 0;
    if (rc == SQLITE_OK) *p = lmm_boot_lrt_p(stat, lrt, o->nsim, &used);
  }
  sqlite3_free(lrt);
  lmm_model_free(m0);
  lmm_model_free(m1);
  return rc;
}

const lmm_tvf lmm_bootstrap_tvf = {
  .name = "lmm_bootstrap",
  .columns = "replicate INTEGER, effect TEXT, grp TEXT, term TEXT, estimate REAL",
  .args = "model HIDDEN, options HIDDEN",
  .ncols = 5, .nargs = 2, .nrequired = 1,
  .usage = "lmm_bootstrap needs a saved model: lmm_bootstrap(name [, 'nsim=1000, seed=1'])",
  .fill = bootstrap_fill,
  .text_args = 3,
  .cost = 1e9, .rows = 1e4,
};
