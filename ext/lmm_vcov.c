/* lmm_vcov.c — lmm_vcov(model): the covariance matrix of the fixed effects as
 * rows (term1, term2, covariance, correlation), as R's vcov() and the
 * correlation table of nlme's summary(). */
#include "lmm_vcov.h"
SQLITE_EXTENSION_INIT3

#include <math.h>

#include "../core/inference.h"
#include "source.h"
#include "store.h"

static int vcov_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  lmm_saved_fit *f = NULL;
  int rc = lmm_store_read(db, (const char *)sqlite3_value_text(argv[0]), &f, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_vcov", errmsg);
    return rc;
  }
  size_t p = (size_t)f->p;
  for (size_t i = 0; i < p; i++)
    for (size_t j = 0; j < p; j++) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) break;
      double v = f->vcov[i + j * p], vi = f->vcov[i + i * p], vj = f->vcov[j + j * p];
      if (isnan(v)) {   /* saved as null: beyond a double's range in the data's units (fit.c) */
        *errmsg = sqlite3_mprintf("lmm_vcov: the covariance of '%s' and '%s' is beyond the range of double precision "
                                  "(about 1e-308 to 1e+308) in the data's units; rescale their columns or the response",
                                  f->fixed[i], f->fixed[j]);
        lmm_saved_fit_free(f);
        return SQLITE_ERROR;
      }
      lmm_cell_text(rows, &c[0], f->fixed[i]);
      lmm_cell_text(rows, &c[1], f->fixed[j]);
      lmm_cell_real(&c[2], v);
      lmm_cell_real(&c[3], lmm_correlation(v, vi, vj));
    }
  lmm_saved_fit_free(f);
  return SQLITE_OK;
}

const lmm_tvf lmm_vcov_tvf = {
  .name = "lmm_vcov",
  .columns = "term1 TEXT, term2 TEXT, covariance REAL, correlation REAL",
  .args = "model HIDDEN",
  .ncols = 4, .nargs = 1, .nrequired = 1,
  .usage = "lmm_vcov needs a model: lmm_vcov(name)",
  .fill = vcov_fill,
  .text_args = 1,
};
