/* lmm_agg.c — lmm_agg(formula, random, options, 'col', value, 'col', value, ...):
 * an aggregate that fits one model per group of a GROUP BY, over any query,
 * and returns the fit as JSON, which lmm_tidy() expands into lmm_fit's rows:
 *
 *   SELECT g.reg, t.term, t.estimate
 *   FROM (SELECT reg, lmm_agg('log(1 + total_fruits) ~ amd', '1|popu', 'method=ML',
 *                             'total_fruits', total_fruits, 'amd', amd, 'popu', popu) AS fit
 *         FROM arabidopsis GROUP BY reg) AS g, lmm_tidy(g.fit) AS t;
 */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "lmm_agg.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"
#include "text_arg.h"

typedef struct agg_state {
  lmm_model *model;
  int *argpos;        /* per model column: its value's position in argv */
  lmm_value *vals;
  int64_t nrow;
  int failed;
  char *arg[3];       /* the first row's formula, random and options (NULL for NULL): every row must give them */
} agg_state;

/* Report msg (sqlite3_mprintf'd, NULL when that ran out of memory) as the
 * aggregate's error, and stop the group. */
static void agg_fail(sqlite3_context *ctx, agg_state *s, char *msg, int nomem) {
  s->failed = 1;
  if (nomem || !msg) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_error(ctx, msg, -1);
  sqlite3_free(msg);
}

/* core's error as the aggregate's, and stop the group. */
static void agg_fail_with(sqlite3_context *ctx, agg_state *s, const lmm_error *err) {
  char *msg = NULL;
  int rc = lmm_sql_error(&msg, "lmm_agg", err);
  agg_fail(ctx, s, msg, rc == SQLITE_NOMEM);
  if (rc == SQLITE_INTERRUPT) sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
}

/* An argument as text: NULL for SQL NULL, and *nomem set when SQLite could
 * not make the text (which must not read as NULL). */
static const char *arg_text(sqlite3_value *v, int *nomem) {
  if (sqlite3_value_type(v) == SQLITE_NULL) return NULL;
  const char *t = (const char *)sqlite3_value_text(v);
  if (!t) *nomem = 1;
  return t;
}

/* The first row of a group: parse the model, find each column's pair. */
static int agg_begin(sqlite3_context *ctx, agg_state *s, int argc, sqlite3_value **argv) {
  static const char usage[] = "lmm_agg takes formula, random, options and then name/value pairs: "
                              "lmm_agg(formula, random, options, 'y', y, 'x', x)";
  if (argc < 3 || (argc - 3) % 2) {
    agg_fail(ctx, s, sqlite3_mprintf("%s", usage), 0);
    return 1;
  }
  static const char *const names[3] = {"formula", "random", "options"};
  for (int a = 0; a < argc; a += a < 3 ? 1 : 2) {
    int type = sqlite3_value_type(argv[a]);
    if (type == SQLITE_TEXT || (type == SQLITE_NULL && a < 3)) continue;
    if (a < 3)
      agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: argument '%s' must be text, not %s; %s", names[a], lmm_value_kind(argv[a]),
                                       usage), 0);
    else agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: argument %d must be a column name (text), not %s; %s", a + 1,
                                          lmm_value_kind(argv[a]), usage), 0);
    return 1;
  }
  for (int a = 0; a < 3; a++) {
    char *why = NULL;
    int rc = lmm_text_arg_check(argv[a], "lmm_agg", names[a], &why);
    if (rc != SQLITE_OK) {
      agg_fail(ctx, s, why, rc == SQLITE_NOMEM);
      return 1;
    }
  }
  int nomem = 0;
  const char *formula = arg_text(argv[0], &nomem), *random = arg_text(argv[1], &nomem), *options = arg_text(argv[2], &nomem);
  if (nomem || !formula) {
    agg_fail(ctx, s, sqlite3_mprintf("lmm_agg needs a formula: lmm_agg(formula, random, options, 'y', y, ...)"), nomem);
    return 1;
  }
  const char *given[3] = {formula, random, options};
  for (int a = 0; a < 3; a++)
    if (given[a] && !(s->arg[a] = sqlite3_mprintf("%s", given[a]))) {
      agg_fail(ctx, s, NULL, 1);
      return 1;
    }
  lmm_error err = {0};
  if (lmm_model_begin(formula, random, options, &s->model, &err)) {
    agg_fail_with(ctx, s, &err);
    return 1;
  }
  if (s->model->options.save[0]) {   /* a group's fit has no data to read again, nor one name among many groups */
    agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: options: save= is not taken here: lmm_agg returns each group's fit as JSON, "
                                     "which lmm_tidy(fit) reads; keep it by storing that value in a table "
                                     "(CREATE TABLE fits AS SELECT g, lmm_agg(...) AS fit FROM t GROUP BY g), or fit one "
                                     "group with lmm_fit(data, formula, random, 'save=NAME')"), 0);
    return 1;
  }
  lmm_model_rows_have_rowid(s->model, 0);
  for (int a = 3; a + 1 < argc; a += 2) {   /* two pairs of one name: which value is meant? */
    const char *name = arg_text(argv[a], &nomem);
    if (nomem) {
      agg_fail(ctx, s, NULL, 1);
      return 1;
    }
    for (int b = 3; b < a; b += 2)
      if (!sqlite3_stricmp((const char *)sqlite3_value_text(argv[b]), name)) {
        agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: column '%s' is passed twice (arguments %d and %d); pass it once", name,
                                         b + 1, a + 1), 0);
        return 1;
      }
  }
  int nc = lmm_model_ncols(s->model);
  s->argpos = sqlite3_malloc64(sizeof *s->argpos * (size_t)(nc ? nc : 1));
  s->vals = sqlite3_malloc64(sizeof *s->vals * (size_t)(nc ? nc : 1));
  if (!s->argpos || !s->vals) { agg_fail(ctx, s, NULL, 1); return 1; }
  for (int i = 0; i < nc; i++) {
    const char *col = lmm_model_col(s->model, i);
    s->argpos[i] = -1;
    for (int a = 3; a + 1 < argc && s->argpos[i] < 0; a += 2) {
      const char *name = arg_text(argv[a], &nomem);
      if (name && !sqlite3_stricmp(name, col)) s->argpos[i] = a + 1;
    }
    if (nomem || s->argpos[i] < 0) {
      agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: the formula uses column '%s'; pass it as a pair: ..., '%s', %s", col, col, col),
               nomem);
      return 1;
    }
  }
  return 0;
}

static void agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  agg_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
  if (!s) { sqlite3_result_error_nomem(ctx); return; }
  if (s->failed || (!s->model && agg_begin(ctx, s, argc, argv))) return;
  int nc = lmm_model_ncols(s->model);
  s->nrow++;
  /* the model was made from the group's first row: a formula, random part or options that changes later would
   * be ignored without a word */
  static const char *const names[3] = {"formula", "random", "options"};
  for (int a = 0; a < 3 && s->nrow > 1; a++) {
    const char *t = sqlite3_value_type(argv[a]) == SQLITE_NULL ? NULL : (const char *)sqlite3_value_text(argv[a]);
    if (sqlite3_value_type(argv[a]) != SQLITE_NULL && !t) { agg_fail(ctx, s, NULL, 1); return; }
    if ((t == NULL) != (s->arg[a] == NULL) || (t && strcmp(t, s->arg[a]))) {
      agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: in row %lld of the group, argument '%s' is %s%.60s%s where the first row's is "
                                       "%s%.60s%s; a group is one model: give the same %s in every row",
                                       (long long)s->nrow, names[a], t ? "'" : "", t ? t : "NULL", t ? "'" : "",
                                       s->arg[a] ? "'" : "", s->arg[a] ? s->arg[a] : "NULL", s->arg[a] ? "'" : "",
                                       names[a]), 0);
      return;
    }
  }
  for (int i = 0; i < nc; i++) {
    sqlite3_value *v = argv[s->argpos[i]];
    /* the pairs were matched on the group's first row: a name that changes
     * later would feed another column's values to this one */
    const char *name = (const char *)sqlite3_value_text(argv[s->argpos[i] - 1]);
    if (!name || sqlite3_stricmp(name, lmm_model_col(s->model, i))) {
      agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: in row %lld of the group, argument %d names '%s' where the first row named "
                                       "'%s'; each pair's name must be the same in every row", (long long)s->nrow,
                                       s->argpos[i], name ? name : "NULL", lmm_model_col(s->model, i)), 0);
      return;
    }
    lmm_value *lv = &s->vals[i];
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:   /* beyond 2^53 a number, never a level (see lmm_value.inexact) */
      lv->type = LMM_NUM;
      lv->num = sqlite3_value_double(v);
      lv->inexact = !lmm_int_is_exact(sqlite3_value_int64(v));
      break;
    case SQLITE_FLOAT: lv->type = LMM_NUM; lv->num = sqlite3_value_double(v); lv->inexact = 0; break;
    case SQLITE_TEXT:
      lv->type = LMM_TEXT;
      lv->inexact = 0;
      lv->text = (const char *)sqlite3_value_text(v);
      lv->len = sqlite3_value_bytes(v);
      if (!lv->text) { agg_fail(ctx, s, NULL, 1); return; }
      break;
    case SQLITE_NULL: lv->type = LMM_NULL; lv->inexact = 0; break;
    default:
      agg_fail(ctx, s, sqlite3_mprintf("lmm_agg: column '%s' holds a BLOB in row %lld", lmm_model_col(s->model, i),
                                       (long long)s->nrow), 0);
      return;
    }
  }
  lmm_error err;
  LMM_NO_ERROR(err);
  if (lmm_model_add_row(s->model, s->vals, s->nrow, &err)) agg_fail_with(ctx, s, &err);
}

static void agg_final(sqlite3_context *ctx) {
  agg_state *s = sqlite3_aggregate_context(ctx, 0);
  if (!s || !s->model) {
    if (!s || !s->failed) sqlite3_result_null(ctx);
    goto done;
  }
  if (s->failed) goto done;
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, sqlite3_context_db_handle(ctx));
  int rc = lmm_model_fit(s->model, lmm_interrupt_probe_check, &probe, &err);
  lmm_interrupt_probe_end(&probe);
  if (rc) {
    agg_fail_with(ctx, s, &err);
    goto done;
  }
  char *json = lmm_store_fit_json(s->model, 0, NULL);
  if (!json) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_text(ctx, json, -1, sqlite3_free);
done:
  if (s) {
    lmm_model_free(s->model);
    sqlite3_free(s->argpos);
    sqlite3_free(s->vals);
    for (int a = 0; a < 3; a++) sqlite3_free(s->arg[a]);
    s->model = NULL;
  }
}

/* Deterministic (the same rows in the same order give the same fit), but
 * not innocuous: a fit's time and memory grow with what the formula asks
 * for, so the schema of a database from elsewhere (a view, a trigger, an
 * index) may not call it; SQLITE_DIRECTONLY keeps it to statements the
 * user runs. */
int lmm_register_agg(sqlite3 *db) {
  return sqlite3_create_function(db, "lmm_agg", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, NULL,
                                 agg_step, agg_final);
}
