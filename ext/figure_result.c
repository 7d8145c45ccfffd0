/* figure_result.c — the options argument and the result of the figure aggregates (figure_result.h). */
#include "figure_result.h"
SQLITE_EXTENSION_INIT3

#include "../core/alloc.h"
#include "sql_error.h"
#include "text_arg.h"

int lmm_figure_options_arg(sqlite3_value *v, const char *fn, char **options, char **errmsg) {
  *options = NULL;
  *errmsg = NULL;
  int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) return SQLITE_OK;
  if (type != SQLITE_TEXT) {
    *errmsg = sqlite3_mprintf("%s: options must be text, not %s", fn, lmm_value_kind(v));
    return SQLITE_ERROR;
  }
  int rc = lmm_text_arg_check(v, fn, "options", errmsg);
  if (rc != SQLITE_OK) return rc;
  if (!(*options = sqlite3_mprintf("%s", sqlite3_value_text(v)))) return SQLITE_NOMEM;
  return SQLITE_OK;
}

void lmm_figure_fail(sqlite3_context *ctx, char *msg) {
  if (!msg) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_error(ctx, msg, -1);
  sqlite3_free(msg);
}

void lmm_figure_result(sqlite3_context *ctx, const char *fn, int rc, char *svg, const lmm_error *err) {
  char *msg = NULL;
  if (rc == LMM_OK) sqlite3_result_text(ctx, svg, -1, SQLITE_TRANSIENT);
  else if (lmm_sql_error(&msg, fn, err) == SQLITE_NOMEM || !msg) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_error(ctx, msg, -1);
  sqlite3_free(msg);
  lmm_free(svg);
}
