/* lmm_confint.c — lmm_confint(model [, method [, options]]): confidence intervals of a saved model's
 * parameters (core/confint.h, core/profile.h), one row per parameter:
 *
 *   SELECT * FROM lmm_confint('m');                          -- the style's default method
 *   SELECT * FROM lmm_confint('m', 'wald', 'level=0.9');
 *
 *   SELECT * FROM lmm_confint('m', 'boot', 'nsim=1000, seed=1');
 *
 * 'wald' reads the saved fit alone; 'intervals', 'profile' and 'boot' open the model on its data
 * (lmm_store_open_structured: 'intervals' and 'boot' honour a residual structure, 'profile' refuses one);
 * 'boot' refits it to responses simulated from it (core/bootstrap.h). */
#include "lmm_confint.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <string.h>

#include "../core/bootstrap.h"
#include "../core/confint.h"
#include "../core/profile.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

static int wald_rows(const lmm_saved_fit *f, double level, lmm_ci_rows *out) {
  for (int i = 0, j = 0; i < f->nrows; i++) {
    const lmm_saved_row *r = &f->rows[i];
    if (strcmp(r->effect, "fixed")) continue;
    double lo, hi, df = f->style == LMM_STYLE_LME4 ? NAN : r->v[3];
    lmm_confint_wald(r->v[0], sqrt(f->vcov[j + (size_t)j * (size_t)f->p]), df, level, &lo, &hi);
    j++;
    if (lmm_ci_add(out, "fixed", NULL, r->term, lo, r->v[0], hi)) return LMM_NOMEM;
  }
  return LMM_OK;
}

static int model_rows(sqlite3 *db, const char *name, const lmm_ci_request *req, lmm_ci_rows *out, char **errmsg) {
  lmm_model *m = NULL;
  int rc = lmm_store_open_structured(db, name, &m, errmsg);
  if (rc != SQLITE_OK) return rc;
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  lmm_stop stop = {lmm_interrupt_probe_check, &probe, 0};
  int crc;
  if (m->structure && req->method == LMM_CI_PROFILE)
    crc = lmm_fail(&err, LMM_ERR, "profile intervals of a model with weights= or correlation= are not done yet (lme4's "
                   "profile has no residual structures); use method 'intervals' (nlme's) or 'wald'");
  else if (req->method == LMM_CI_BOOT) {
    lmm_boot_options bo;
    lmm_boot *b = NULL;
    if (!(crc = lmm_boot_options_parse(req->boot, 0, &bo, &err))) {
      if (!sqlite3_threadsafe()) bo.threads = 1;   /* as lmm_bootstrap: its allocator on one thread at a time */
      if (!(crc = lmm_bootstrap(m, &bo, lmm_interrupt_probe_check, &probe, &b, &err)))
        crc = lmm_confint_boot(b, req->level, out, &err);
    }
    lmm_boot_free(b);
  } else
    crc = req->method == LMM_CI_PROFILE ? lmm_confint_profile(m, req->level, &stop, out, &err)
                                        : lmm_confint_intervals(m, req->level, &stop, out, &err);
  if (crc) rc = lmm_sql_error(errmsg, "lmm_confint", &err);
  lmm_interrupt_probe_end(&probe);
  lmm_model_free(m);
  return rc;
}

static int confint_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *name = (const char *)sqlite3_value_text(argv[0]);
  const char *method = argv[1] ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  const char *options = argv[2] ? (const char *)sqlite3_value_text(argv[2]) : NULL;
  lmm_saved_fit *f = NULL;
  int rc = lmm_store_read(db, name, &f, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_confint", errmsg);
    return rc;
  }
  lmm_error err = {0};
  lmm_ci_request req;
  lmm_ci_rows out = {0};
  if (lmm_ci_request_parse(method, options, f->style, &req, &err)) rc = lmm_sql_error(errmsg, "lmm_confint", &err);
  else if (req.method == LMM_CI_WALD) {
    if (wald_rows(f, req.level, &out)) rc = SQLITE_NOMEM;
  } else {
    rc = model_rows(db, name, &req, &out, errmsg);
    if (rc != SQLITE_OK) lmm_source_error_in("lmm_confint", errmsg);
  }
  lmm_saved_fit_free(f);
  for (int i = 0; rc == SQLITE_OK && i < out.n; i++) {
    const lmm_ci_row *r = &out.rows[i];
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) break;
    lmm_cell_text(rows, &c[0], r->effect);
    lmm_cell_text(rows, &c[1], r->grp);
    lmm_cell_text(rows, &c[2], r->term);
    lmm_cell_real(&c[3], r->lower);
    lmm_cell_real(&c[4], r->estimate);
    lmm_cell_real(&c[5], r->upper);
    lmm_cell_text(rows, &c[6], lmm_ci_method_names[req.method]);
  }
  lmm_ci_rows_clear(&out);
  return rc;
}

const lmm_tvf lmm_confint_tvf = {
  .name = "lmm_confint",
  .columns = "effect TEXT, grp TEXT, term TEXT, lower REAL, estimate REAL, upper REAL, method TEXT",
  .args = "model HIDDEN, method_asked HIDDEN, options HIDDEN",
  .ncols = 7, .nargs = 3, .nrequired = 1,
  .usage = "lmm_confint needs a saved model: lmm_confint(name [, method [, options]]), method 'wald', 'intervals', "
           "'profile' or 'boot', options as 'level=0.9' (with 'boot': 'nsim=1000, seed=1')",
  .fill = confint_fill,
  .text_args = 7,
};
