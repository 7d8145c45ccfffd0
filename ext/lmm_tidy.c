/* lmm_tidy.c — lmm_tidy(model): the rows lmm_fit returned, for a saved model's
 * name or for the fit JSON an lmm_agg() group returns:
 *
 *   SELECT * FROM lmm_tidy('lmm6');
 *   SELECT g.reg, t.* FROM (SELECT reg, lmm_agg(...) AS fit FROM arabidopsis GROUP BY reg) g, lmm_tidy(g.fit) t;
 */
#include "lmm_tidy.h"
SQLITE_EXTENSION_INIT3

#include "source.h"
#include "store.h"

static int tidy_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_saved_fit *f = NULL;
  int rc = lmm_store_read(db, (const char *)sqlite3_value_text(argv[0]), &f, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_tidy", errmsg);
    return rc;
  }
  for (int i = 0; i < f->nrows; i++) {
    const lmm_saved_row *row = &f->rows[i];
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) break;
    lmm_cell_text(rows, &c[0], row->effect);
    lmm_cell_text(rows, &c[1], row->grp);
    lmm_cell_text(rows, &c[2], row->term);
    for (int k = 0; k < 5; k++) {
      if (row->integer[k]) lmm_cell_int(&c[3 + k], (sqlite3_int64)row->v[k]);
      else lmm_cell_real(&c[3 + k], row->v[k]);
    }
  }
  lmm_saved_fit_free(f);
  return SQLITE_OK;
}

const lmm_tvf lmm_tidy_tvf = {
  .name = "lmm_tidy",
  .columns = "effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, p_value REAL",
  .args = "model HIDDEN",
  .ncols = 8, .nargs = 1, .nrequired = 1,
  .usage = "lmm_tidy needs a model: lmm_tidy(name) or lmm_tidy(fit) with a fit from lmm_agg",
  .fill = tidy_fill,
  .text_args = 1,
};
