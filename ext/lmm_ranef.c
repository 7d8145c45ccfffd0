/* lmm_ranef.c — lmm_ranef(model): the conditional modes of the random
 * effects (BLUPs) of a saved model with their conditional standard
 * deviations, as lme4's ranef(condVar = TRUE): grp, level, term, estimate,
 * cond_sd. */
#include "lmm_ranef.h"
SQLITE_EXTENSION_INIT3

#include "source.h"
#include "sql_error.h"
#include "store.h"

static void copy_rows(const lmm_model *m, lmm_rowset *rows) {
  for (int t = 0; t < m->design->nre; t++) {
    const lmm_reterm *re = &m->design->re[t];
    const lmm_ranef_term *rt = &m->ranef->term[t];
    for (int a = 0; a < re->q; a++)
      for (int l = 0; l < re->nlevels; l++) {
        lmm_cell *c = lmm_rowset_add(rows);
        if (!c) return;
        lmm_cell_text(rows, &c[0], rt->grp);
        lmm_cell_text(rows, &c[1], re->levels[l]);
        lmm_cell_text(rows, &c[2], re->cnames[a]);
        lmm_cell_real(&c[3], rt->b[l * re->q + a]);
        lmm_cell_real(&c[4], rt->sd[(size_t)l * (size_t)re->q + (size_t)a]);
      }
  }
}

static int ranef_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_model *m = NULL;
  int rc = lmm_store_restore_structured(db, (const char *)sqlite3_value_text(argv[0]), &m, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_ranef", errmsg);
    return rc;
  }
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  if (lmm_model_ranef(m, 1, lmm_interrupt_probe_check, &probe, &err)) rc = lmm_sql_error(errmsg, "lmm_ranef", &err);
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_OK) copy_rows(m, rows);
  lmm_model_free(m);
  return rc;
}

const lmm_tvf lmm_ranef_tvf = {
  .name = "lmm_ranef",
  .columns = "grp TEXT, level TEXT, term TEXT, estimate REAL, cond_sd REAL",
  .args = "model HIDDEN",
  .ncols = 5, .nargs = 1, .nrequired = 1,
  .usage = "lmm_ranef needs a saved model: lmm_ranef(name)",
  .fill = ranef_fill,
  .text_args = 1,
};
