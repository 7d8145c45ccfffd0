/* store.c — the lmm_models table (see store.h). */
#include "store.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "saved_query.h"
#include "source.h"
#include "sql_error.h"

static void json_string(sqlite3_str *s, const char *t) {
  if (!t) { sqlite3_str_appendall(s, "null"); return; }
  sqlite3_str_appendchar(s, 1, '"');
  for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
    if (*p == '"' || *p == '\\') sqlite3_str_appendf(s, "\\%c", *p);
    else if (*p < 0x20) sqlite3_str_appendf(s, "\\u%04x", *p);
    else sqlite3_str_appendchar(s, 1, (char)*p);
  }
  sqlite3_str_appendchar(s, 1, '"');
}

static void json_number(sqlite3_str *s, double v) {
  if (isnan(v) || isinf(v)) sqlite3_str_appendall(s, "null");
  else sqlite3_str_appendf(s, "%!.17g", v);
}

/* A level's label: a JSON string, or {"hex": ...} of its bytes when it holds a NUL, which SQLite's JSON
 * functions would cut the string at. */
static void json_label(sqlite3_str *s, const char *t, int len) {
  if (!memchr(t, 0, (size_t)len)) { json_string(s, t); return; }
  sqlite3_str_appendall(s, "{\"hex\":\"");
  for (int k = 0; k < len; k++) sqlite3_str_appendf(s, "%02x", (unsigned char)t[k]);
  sqlite3_str_appendall(s, "\"}");
}

static void json_numbers(sqlite3_str *s, const double *x, size_t n) {
  sqlite3_str_appendchar(s, 1, '[');
  for (size_t k = 0; k < n; k++) {
    if (k) sqlite3_str_appendchar(s, 1, ',');
    json_number(s, x[k]);
  }
  sqlite3_str_appendchar(s, 1, ']');
}

/* "snapshot": {"untyped": 0|1, "vars": [{"factor": 0|1, "levels": [labels], "coef": [numbers]}, ...],
 *              "ranef": [{"codes": [...], "b": [...], "sd": [...]}, ...]}   (core/restore.h) */
static void json_snapshot(sqlite3_str *s, const lmm_snapshot *snap) {
  sqlite3_str_appendf(s, ",\"snapshot\":{\"untyped\":%d,\"vars\":[", snap->untyped ? 1 : 0);
  for (int i = 0; i < snap->nvars; i++) {
    const lmm_snapshot_var *v = &snap->vars[i];
    sqlite3_str_appendf(s, "%s{\"factor\":%d", i ? "," : "", v->is_factor ? 1 : 0);
    if (v->ncoef > 0) {
      sqlite3_str_appendall(s, ",\"coef\":");
      json_numbers(s, v->coef, (size_t)v->ncoef);
    }
    if (v->nlevels >= 0) {
      sqlite3_str_appendall(s, ",\"levels\":[");
      for (int l = 0; l < v->nlevels; l++) {
        if (l) sqlite3_str_appendchar(s, 1, ',');
        json_label(s, v->levels[l], v->level_len[l]);
      }
      sqlite3_str_appendchar(s, 1, ']');
    }
    sqlite3_str_appendchar(s, 1, '}');
  }
  sqlite3_str_appendall(s, "],\"ranef\":[");
  for (int t = 0; t < snap->nre; t++) {
    const lmm_snapshot_term *st = &snap->term[t];
    sqlite3_str_appendall(s, t ? ",{\"codes\":[" : "{\"codes\":[");
    for (size_t k = 0; k < st->ncodes; k++) sqlite3_str_appendf(s, k ? ",%d" : "%d", st->codes[k]);
    sqlite3_str_appendall(s, "],\"b\":");
    json_numbers(s, st->b, st->nb);
    sqlite3_str_appendall(s, ",\"sd\":");
    json_numbers(s, st->sd, st->nb);
    sqlite3_str_appendchar(s, 1, '}');
  }
  sqlite3_str_appendall(s, "]}");
}

char *lmm_store_fit_json(const lmm_model *m, uint64_t fingerprint, const lmm_snapshot *snap) {
  const lmm_fit *f = m->fit;
  const lmm_design *d = m->design;
  sqlite3_str *s = sqlite3_str_new(NULL);
  static const char *styles[] = {"lm", "nlme", "lme4"};
  sqlite3_str_appendf(s, "{\"version\":\"%s\",\"method\":\"%s\",\"style\":\"%s\",\"nobs\":%lld,"
                         "\"fingerprint\":\"%016llx\",\"theta\":[",
                      LMM_VERSION, m->options.reml ? "REML" : "ML", styles[m->style], (long long)d->n,
                      (unsigned long long)fingerprint);
  for (int i = 0; i < f->ntheta; i++) {
    if (i) sqlite3_str_appendchar(s, 1, ',');
    json_number(s, f->theta[i]);
  }
  sqlite3_str_appendall(s, "],\"fixed\":[");
  for (int j = 0; j < d->p; j++) {
    if (j) sqlite3_str_appendchar(s, 1, ',');
    json_string(s, d->xnames[j]);
  }
  sqlite3_str_appendall(s, "],\"vcov\":[");
  for (int i = 0; i < d->p; i++) {
    sqlite3_str_appendall(s, i ? ",[" : "[");
    for (int j = 0; j < d->p; j++) {
      if (j) sqlite3_str_appendchar(s, 1, ',');
      json_number(s, lmm_model_vcov(m, i, j));
    }
    sqlite3_str_appendchar(s, 1, ']');
  }
  sqlite3_str_appendall(s, "],\"rows\":[");
  const lmm_result *r = m->result;
  for (int i = 0; i < r->nrows; i++) {
    const lmm_row *row = &r->rows[i];
    sqlite3_str_appendall(s, i ? ",[" : "[");
    json_string(s, row->effect);
    sqlite3_str_appendchar(s, 1, ',');
    json_string(s, row->grp);
    sqlite3_str_appendchar(s, 1, ',');
    json_string(s, row->term);
    double v[5] = {row->estimate, row->std_error, row->statistic, row->df, row->p_value};
    for (int k = 0; k < 5; k++) {
      sqlite3_str_appendchar(s, 1, ',');
      if (k == 0 && row->count) sqlite3_str_appendf(s, "%lld", (long long)v[k]);   /* lmm_tidy gives an INTEGER */
      else json_number(s, v[k]);
    }
    sqlite3_str_appendchar(s, 1, ']');
  }
  sqlite3_str_appendchar(s, 1, ']');
  const double *u = NULL;
  int nu = m->structure ? lmm_structure_params(m->structure, &u) : 0;
  if (m->structure) {   /* unconstrained, as the structure evaluates at them (lmm_structure_hold) */
    sqlite3_str_appendall(s, ",\"structure\":");
    json_numbers(s, u, (size_t)nu);
  }
  if (snap) json_snapshot(s, snap);
  sqlite3_str_appendchar(s, 1, '}');
  return sqlite3_str_finish(s);
}

/* Step a prepared statement to its end and rewind it for another run. */
static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The first row of sql, (schema, name, note), in *name as "schema"."name" and the note (quoted, ready for DROP
 * TRIGGER), or NULL where it has none; an SQLite error code where the schemas could not be read. */
static int first_object(sqlite3 *db, const char *sql, char **name) {
  *name = NULL;
  sqlite3_stmt *st = NULL;
  int rc = lmm_sql_prepare(db, sql, 0, &st, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *schema = (const char *)sqlite3_column_text(st, 0), *object = (const char *)sqlite3_column_text(st, 1),
               *note = (const char *)sqlite3_column_text(st, 2);
    *name = schema && object && note ? sqlite3_mprintf("\"%w\".\"%w\"%s", schema, object, note) : NULL;
    rc = *name ? SQLITE_OK : SQLITE_NOMEM;
  } else if (rc == SQLITE_DONE) rc = SQLITE_OK;
  sqlite3_finalize(st);
  return rc;
}

/* A trigger on the lmm_models a save writes to.  The save's INSERT finds temp.lmm_models where there is one, else
 * main's (made just before): a trigger on it lives in its own schema or in temp (a temp trigger may watch main's
 * table).  An attached database's triggers on its own lmm_models never run with the save.  A trigger that a
 * database from elsewhere brought would run its own statements with the user's save. */
static const char MODELS_TRIGGER[] =
    "SELECT 'temp', name, '' FROM temp.sqlite_schema WHERE type = 'trigger' AND tbl_name = 'lmm_models' COLLATE NOCASE "
    "UNION ALL SELECT 'main', name, '' FROM main.sqlite_schema WHERE type = 'trigger' AND tbl_name = 'lmm_models' "
    "COLLATE NOCASE AND NOT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE type = 'table' AND name = 'lmm_models' "
    "COLLATE NOCASE) LIMIT 1";

/* A table whose foreign key acts on the rows of that lmm_models (ON DELETE CASCADE, SET NULL or SET DEFAULT) while
 * foreign keys are on; a foreign key refers to a table of its own schema.  A save replacing a model deletes its row
 * first: such a key, which a database from elsewhere may declare on its data, would change that table's rows. */
static const char MODELS_CASCADE[] =
    "WITH t(temp) AS (SELECT EXISTS (SELECT 1 FROM temp.sqlite_schema WHERE type = 'table' AND name = 'lmm_models' "
    "COLLATE NOCASE) WHERE (SELECT foreign_keys FROM pragma_foreign_keys)) "
    "SELECT 'temp', m.name, ' (ON DELETE ' || k.on_delete || ')' FROM t, temp.sqlite_schema AS m, "
    "pragma_foreign_key_list(m.name, 'temp') AS k WHERE t.temp AND m.type = 'table' AND k.\"table\" = 'lmm_models' "
    "COLLATE NOCASE AND k.on_delete IN ('CASCADE', 'SET NULL', 'SET DEFAULT') "
    "UNION ALL SELECT 'main', m.name, ' (ON DELETE ' || k.on_delete || ')' FROM t, main.sqlite_schema AS m, "
    "pragma_foreign_key_list(m.name, 'main') AS k WHERE NOT t.temp AND m.type = 'table' AND k.\"table\" = 'lmm_models' "
    "COLLATE NOCASE AND k.on_delete IN ('CASCADE', 'SET NULL', 'SET DEFAULT') LIMIT 1";

enum { SAVE_BEGIN, SAVE_CREATE, SAVE_RELEASE, SAVE_UNDO, SAVE_NSTMT };

/* The save is one savepoint.  Every statement that ends it is prepared before
 * anything changes: one that could not be prepared later, for want of memory,
 * would leave a half-made save in a transaction the caller never began.  A
 * statement that fails for want of memory while it runs has SQLite roll the
 * whole transaction back itself. */
int lmm_store_save(sqlite3 *db, const char *name, const char *const call[4], const char *fit_json, char **errmsg) {
  static const char *const sql[SAVE_NSTMT] = {
    "SAVEPOINT lmm_save",
    ("CREATE TABLE IF NOT EXISTS lmm_models(name TEXT PRIMARY KEY, data TEXT NOT NULL, formula TEXT NOT NULL, "
     "random TEXT, options TEXT, fit TEXT NOT NULL, created TEXT NOT NULL, version TEXT NOT NULL)"),
    "RELEASE lmm_save",
    "ROLLBACK TO lmm_save",
  };
  sqlite3_stmt *st[SAVE_NSTMT] = {0}, *insert = NULL, *drop = NULL;
  int rc = SQLITE_OK, begun = 0;
  for (int i = 0; i < SAVE_NSTMT && rc == SQLITE_OK; i++) rc = lmm_sql_prepare(db, sql[i], 0, &st[i], NULL);
  if (rc == SQLITE_OK) begun = (rc = run(st[SAVE_BEGIN])) == SQLITE_OK;
  if (rc == SQLITE_OK) rc = run(st[SAVE_CREATE]);
  char *trigger = NULL, *refusal = NULL;   /* refusal: why the save is not made, where SQLite has no error */
  if (rc == SQLITE_OK) rc = first_object(db, MODELS_TRIGGER, &trigger);
  if (trigger) {
    refusal = sqlite3_mprintf("lmm_models has the trigger %s, which would run with the save; lmm saves only into an "
                              "lmm_models without triggers (DROP TRIGGER %s, or save in another database)", trigger,
                              trigger);
    sqlite3_free(trigger);
    rc = refusal ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  char *child = NULL;
  if (rc == SQLITE_OK) rc = first_object(db, MODELS_CASCADE, &child);
  if (child) {
    refusal = sqlite3_mprintf("the table %s has a foreign key on lmm_models that would change its rows with the save; "
                              "lmm saves only where no foreign key acts on lmm_models (PRAGMA foreign_keys = OFF, or "
                              "save in another database)", child);
    sqlite3_free(child);
    rc = refusal ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  /* the rows of that name go first: an lmm_models made elsewhere may have no key on name, where a REPLACE
   * would replace nothing and leave the old row to be read as this name; and the columns are named, as such a
   * table may hold them in another order.  A plain INSERT: a REPLACE would delete whatever rows another
   * unique column of such a table matched. */
  if (rc == SQLITE_OK) rc = lmm_sql_prepare(db, "DELETE FROM lmm_models WHERE name = ?1", 0, &drop, NULL);
  if (rc == SQLITE_OK)
    rc = lmm_sql_prepare(db, "INSERT INTO lmm_models(name, data, formula, random, options, fit, created, version) "
                             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?7)", 0, &insert, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(drop, 1, name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = run(drop);
  /* a value over SQLITE_LIMIT_LENGTH is not bound: it must not be saved as NULL */
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(insert, 1, name, -1, SQLITE_STATIC);
  for (int i = 0; i < 4 && rc == SQLITE_OK; i++) rc = sqlite3_bind_text(insert, 2 + i, call[i], -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(insert, 6, fit_json, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(insert, 7, LMM_VERSION, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = run(insert);
  if (rc == SQLITE_OK) rc = run(st[SAVE_RELEASE]);   /* the commit, unless the caller's transaction is open */
  if (rc != SQLITE_OK) {
    char *why = refusal ? refusal : lmm_sql_errmsg(db);
    char *size = rc == SQLITE_TOOBIG ? sqlite3_mprintf(" (its fit is %lld bytes)", (long long)strlen(fit_json)) : NULL;
    *errmsg = sqlite3_mprintf("cannot save the model '%s'%s: %s", name, size ? size : "", why ? why : "out of memory");
    sqlite3_free(size);
    sqlite3_free(why);
    if (begun) {
      run(st[SAVE_UNDO]);
      run(st[SAVE_RELEASE]);
    }
  }
  sqlite3_finalize(insert);
  sqlite3_finalize(drop);
  for (int i = 0; i < SAVE_NSTMT; i++) sqlite3_finalize(st[i]);
  return rc;
}

enum { ROW_DATA, ROW_FORMULA, ROW_RANDOM, ROW_OPTIONS, ROW_FIT, ROW_NCOLS };
static const char *const row_col[ROW_NCOLS] = {"data", "formula", "random", "options", "fit"};

static void free_cols(char *cols[ROW_NCOLS]) {
  for (int i = 0; i < ROW_NCOLS; i++) {
    sqlite3_free(cols[i]);
    cols[i] = NULL;
  }
}

/* The names saved so far, for the message about a missing one. */
static char *saved_names(sqlite3 *db) {
  enum { NAMES_SHOWN = 10 };   /* a message, not a listing: the rest are counted */
  sqlite3_stmt *st = NULL;
  char *names = NULL;
  if (lmm_sql_prepare(db, "SELECT group_concat(name, ', '), (SELECT count(*) FROM lmm_models) FROM "
                      "(SELECT substr(name, 1, 60) AS name FROM lmm_models ORDER BY name LIMIT ?1)", 0, &st, NULL) == SQLITE_OK &&
      sqlite3_bind_int(st, 1, NAMES_SHOWN) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    sqlite3_int64 more = sqlite3_column_int64(st, 1) - NAMES_SHOWN;
    names = more > 0 ? sqlite3_mprintf("%s and %lld more: SELECT name FROM lmm_models", sqlite3_column_text(st, 0), more)
                     : sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return names;
}

/* Column i of the saved row into cols[i]: whatever type it holds is read as
 * text, a text with a NUL byte is refused (what follows it would be lost),
 * and a copy that cannot be made is SQLITE_NOMEM, never a NULL that would
 * read as "absent". */
static int copy_col(sqlite3_stmt *st, int i, const char *name, char *cols[ROW_NCOLS], char **errmsg) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) return SQLITE_OK;
  const char *t = (const char *)sqlite3_column_text(st, i);
  if (!t) return SQLITE_NOMEM;
  size_t n = (size_t)sqlite3_column_bytes(st, i), at = strlen(t);
  if (at != n) {
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its %s holds a NUL byte at byte %lld of %lld", name,
                              row_col[i], (long long)at + 1, (long long)n);
    return SQLITE_ERROR;
  }
  return (cols[i] = sqlite3_mprintf("%s", t)) ? SQLITE_OK : SQLITE_NOMEM;
}

/* The most of a name a message shows: any name save= takes, and no more of
 * whatever else was passed for one. */
enum { NAME_SHOWN = 127 };

/* The saved row of a model (copies of data, formula, random, options, fit).
 * lmm_models is the database's, so it may be damaged or hostile: a row
 * without data, formula or fit is refused. */
static int load_row(sqlite3 *db, const char *name, char *cols[ROW_NCOLS], char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc = lmm_sql_prepare(db, "SELECT data, formula, random, options, fit FROM lmm_models WHERE name = ?1", 0, &st, NULL);
  if (rc == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    char *why = lmm_sql_errmsg(db);
    if (lmm_sql_no_such_table(db))
      *errmsg = sqlite3_mprintf("no saved model '%.*s': there is no lmm_models table yet (save a fit with the option save=NAME)",
                                NAME_SHOWN, name);
    else if (rc == SQLITE_ERROR && strstr(why ? why : "", "no such column"))
      *errmsg = sqlite3_mprintf("lmm_models is damaged: %s", why);
    else
      *errmsg = sqlite3_mprintf("cannot read lmm_models: %s", why ? why : "out of memory");
    sqlite3_free(why);
    return rc;
  }
  rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    rc = SQLITE_OK;
    for (int i = 0; i < ROW_NCOLS && rc == SQLITE_OK; i++) rc = copy_col(st, i, name, cols, errmsg);
    for (int i = 0; i < ROW_NCOLS && rc == SQLITE_OK; i++)
      if (i != ROW_RANDOM && i != ROW_OPTIONS && !cols[i]) {
        *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its %s is NULL", name, row_col[i]);
        rc = SQLITE_ERROR;
      }
    /* a table made elsewhere may have no key on name: two rows of one name are two models, neither of
     * which is the one meant */
    int next = rc == SQLITE_OK ? sqlite3_step(st) : SQLITE_DONE;
    if (next == SQLITE_ROW) {
      *errmsg = sqlite3_mprintf("lmm_models holds more than one row named '%.*s'; keep one (SELECT rowid, created FROM "
                                "lmm_models WHERE name = '%.*q')", NAME_SHOWN, name, NAME_SHOWN, name);
      rc = SQLITE_ERROR;
    } else if (next != SQLITE_DONE) {
      rc = next;
      if (rc != SQLITE_NOMEM) {
        char *why = lmm_sql_errmsg(db);
        *errmsg = sqlite3_mprintf("cannot read lmm_models: %s", why ? why : "out of memory");
        sqlite3_free(why);
      }
    }
  } else if (rc == SQLITE_DONE) {
    char *names = saved_names(db);
    *errmsg = sqlite3_mprintf("no saved model '%.*s' (saved: %s)", NAME_SHOWN, name, names ? names : "none");
    sqlite3_free(names);
    rc = SQLITE_ERROR;
  } else if (rc != SQLITE_NOMEM) {
    char *why = lmm_sql_errmsg(db);
    *errmsg = sqlite3_mprintf("cannot read lmm_models: %s", why ? why : "out of memory");
    sqlite3_free(why);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) free_cols(cols);
  return rc;
}

/* Whether the argument is a fit's JSON (as lmm_agg returns it) rather than a name. */
static int is_json(const char *s) {
  while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
  return *s == '{';
}

/* The saved row and its fit, read and checked. */
static int read_saved(sqlite3 *db, const char *name, char *cols[ROW_NCOLS], lmm_saved_fit **fit, char **errmsg) {
  int rc = load_row(db, name, cols, errmsg);
  if (rc != SQLITE_OK) return rc;
  char *prefix = sqlite3_mprintf("the saved model '%s' is damaged", name);
  rc = prefix ? lmm_saved_fit_read(db, prefix, cols[ROW_FIT], fit, errmsg) : SQLITE_NOMEM;
  sqlite3_free(prefix);
  if (rc != SQLITE_OK) free_cols(cols);
  return rc;
}

int lmm_store_read(sqlite3 *db, const char *name_or_json, lmm_saved_fit **out, char **errmsg) {
  *out = NULL;
  if (is_json(name_or_json)) return lmm_saved_fit_read(db, "the argument is not a fit", name_or_json, out, errmsg);
  char *cols[ROW_NCOLS] = {0};
  int rc = read_saved(db, name_or_json, cols, out, errmsg);
  free_cols(cols);
  return rc;
}

/* The saved options and the formula's shape must be the fit's: a REML fit
 * read with method=ML, or an lme4 fit with an nlme random part, is not the
 * model that was fitted. */
static int check_call(const char *name, const lmm_model *m, const lmm_saved_fit *s, int structured_ok, char **errmsg) {
  static const char *const styles[] = {"lm", "nlme", "lme4"};
  if (!m->structure != !s->has_structure)
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its options %s weights= or correlation= but its fit %s",
                              name, m->structure ? "give" : "give no", m->structure ? "keeps no structure" : "keeps one");
  else if (m->structure && !structured_ok)
    *errmsg = sqlite3_mprintf("the saved model '%s' has a residual structure (weights= or correlation=), which this "
                              "function does not honour yet; lmm_tidy, lmm_vcov, lmm_anova, lmm_confint, "
                              "lmm_plot, lmm_predict, lmm_ranef, lmm_augment and lmm_update do", name);
  else if (m->options.reml != s->reml)
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its options make it a %s fit but its fit was made by %s",
                              name, m->options.reml ? "REML" : "ML", s->reml ? "REML" : "ML");
  else if (m->style != s->style)
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its formula, random and options make an %s-style model "
                              "but its fit is %s-style", name, styles[m->style], styles[s->style]);
  return *errmsg ? SQLITE_ERROR : SQLITE_OK;
}

/* Whether a saved estimate and the one evaluated again agree: the same
 * theta on the same rows gives the same numbers up to rounding. */
static int agrees(double saved, double now, double se) {
  if (isnan(saved) || isnan(now)) return isnan(saved) && isnan(now);
  double tol = 1e-6 * (fabs(saved) + fabs(now)) + (isnan(se) ? 1e-12 : 1e-6 * se);
  return fabs(saved - now) <= tol;
}

/* The fit evaluated at the saved theta must be the saved fit: its rows,
 * the coefficients and the variance parameters, name for name and number
 * for number, and its nobs and sigma. */
static int check_evaluated(const char *name, const lmm_model *m, const lmm_saved_fit *s, char **errmsg) {
  const lmm_result *r = m->result;
  int i = 0, k = 0;
  const char *why = NULL;
  char detail[200] = "";
  if ((int64_t)m->design->n != s->nobs) {
    sqlite3_snprintf(sizeof detail, detail, "its nobs is %lld but its data give %lld rows", (long long)s->nobs,
                     (long long)m->design->n);
    why = detail;
  }
  while (!why) {
    while (i < s->nrows && !strcmp(s->rows[i].effect, "fit")) i++;
    while (k < r->nrows && !strcmp(r->rows[k].effect, "fit")) k++;
    if (i == s->nrows || k == r->nrows) {
      if (i != s->nrows || k != r->nrows) why = "its rows of estimates are not those of its formula";
      break;
    }
    const lmm_saved_row *a = &s->rows[i];
    const lmm_row *b = &r->rows[k];
    if (strcmp(a->effect, b->effect) || strcmp(a->term, b->term) || !a->grp != !b->grp || (a->grp && strcmp(a->grp, b->grp))) {
      sqlite3_snprintf(sizeof detail, detail, "its rows give the %s '%s' where its formula makes the %s '%s'", a->effect,
                       a->term, b->effect, b->term);
      why = detail;
    } else if (!agrees(a->v[0], b->estimate, b->std_error)) {
      sqlite3_snprintf(sizeof detail, detail, "its %s '%s%s%s' is saved as %.10g but its theta on its data gives %.10g",
                       a->effect, a->grp ? a->grp : "", a->grp ? " " : "", a->term, a->v[0], b->estimate);
      why = detail;
    }
    i++;
    k++;
  }
  double sigma = lmm_model_sigma(m);
  if (!why && !agrees(lmm_saved_fit_stat(s, "sigma"), sigma, NAN)) {
    sqlite3_snprintf(sizeof detail, detail, "its sigma is saved as %.10g but its theta on its data gives %.10g",
                     lmm_saved_fit_stat(s, "sigma"), sigma);
    why = detail;
  }
  if (!why) return SQLITE_OK;
  *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: %s", name, why);
  return SQLITE_ERROR;
}

/* The data read again: the saved query checked, the rows scanned into m,
 * their fingerprint the saved one. */
static int read_data(sqlite3 *db, const char *name, const char *data, lmm_model *m, const lmm_saved_fit *s, char **errmsg) {
  uint64_t fp = 0;
  int rc = lmm_saved_query_check(db, data, errmsg);
  if (rc == SQLITE_OK) rc = lmm_source_scan(db, data, m, &fp, errmsg);
  if (rc != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("the saved model '%s' cannot read its data '%s': %s", name, data, inner ? inner : "");
    sqlite3_free(inner);
    return rc;
  }
  char now[32];
  snprintf(now, sizeof now, "%016llx", (unsigned long long)fp);
  if (strcmp(now, s->fingerprint)) {
    *errmsg = sqlite3_mprintf("the data of saved model '%s' ('%s') have changed since it was fitted; fit it again on "
                              "today's rows: lmm_update('%s', NULL, NULL, 'save=%s')", name, data, name, name);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* core's error under "the saved model 'name' <what>". */
static int model_error(char **errmsg, const char *name, const char *what, const lmm_error *err) {
  char *label = sqlite3_mprintf("the saved model '%s' %s", name, what);
  int rc = label ? lmm_sql_error(errmsg, label, err) : SQLITE_NOMEM;
  sqlite3_free(label);
  return rc;
}

static int open_model(sqlite3 *db, const char *name, int structured_ok, lmm_model **out, char **errmsg) {
  *out = NULL;
  if (is_json(name)) {   /* the JSON holds no rows to evaluate on */
    *errmsg = sqlite3_mprintf("'%.20s...' is a fit from lmm_agg, which keeps no rows; this function needs a saved model: "
                              "fit with lmm_fit(data, formula, random, 'save=NAME') and pass 'NAME'", name);
    return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  char *cols[ROW_NCOLS] = {0};
  lmm_saved_fit *s = NULL;
  int rc = read_saved(db, name, cols, &s, errmsg);
  if (rc != SQLITE_OK) return rc;
  lmm_model *m = NULL;
  lmm_error err = {0};
  if (lmm_model_begin(cols[ROW_FORMULA], cols[ROW_RANDOM], cols[ROW_OPTIONS], &m, &err)) {
    rc = model_error(errmsg, name, "no longer parses", &err);
  } else if ((rc = check_call(name, m, s, structured_ok, errmsg)) != SQLITE_OK ||
             (rc = read_data(db, name, cols[ROW_DATA], m, s, errmsg)) != SQLITE_OK) {
    /* the message is made */
  } else if (m->structure && lmm_structure_hold(m->structure, s->structure, s->nstructure, &err)) {
    rc = model_error(errmsg, name, "is damaged", &err);
  } else {
    lmm_interrupt_probe probe;
    lmm_interrupt_probe_init(&probe, db);
    /* s->theta is never NULL, which would optimize */
    if (lmm_model_fit_at(m, s->theta, s->ntheta, lmm_interrupt_probe_check, &probe, &err))
      rc = model_error(errmsg, name, "cannot be evaluated", &err);
    else rc = check_evaluated(name, m, s, errmsg);
    lmm_interrupt_probe_end(&probe);
  }
  lmm_saved_fit_free(s);
  free_cols(cols);
  if (rc == SQLITE_INTERRUPT && (!*errmsg || !strstr(*errmsg, "interrupted"))) {   /* not "damaged", not "" */
    sqlite3_free(*errmsg);
    *errmsg = sqlite3_mprintf("interrupted");
  }
  if (rc != SQLITE_OK) { lmm_model_free(m); return rc; }
  *out = m;
  return SQLITE_OK;
}

/* The fixed effects' estimates, in the order of the fit's fixed names (saved_fit.c checks that its rows give
 * them so). */
static double *fixed_estimates(const lmm_saved_fit *s) {
  double *beta = sqlite3_malloc64(sizeof *beta * (size_t)(s->p ? s->p : 1));
  for (int i = 0, j = 0; beta && i < s->nrows; i++)
    if (!strcmp(s->rows[i].effect, "fixed")) beta[j++] = s->rows[i].v[0];
  return beta;
}

int lmm_store_open(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  return open_model(db, name, 0, out, errmsg);
}

int lmm_store_open_structured(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  return open_model(db, name, 1, out, errmsg);
}

static int restore_model(sqlite3 *db, const char *name, int structured_ok, lmm_model **out, char **errmsg) {
  *out = NULL;
  if (is_json(name)) return open_model(db, name, structured_ok, out, errmsg);   /* says what it needs */
  char *cols[ROW_NCOLS] = {0};
  lmm_saved_fit *s = NULL;
  int rc = read_saved(db, name, cols, &s, errmsg);
  if (rc != SQLITE_OK) return rc;
  lmm_snapshot snap = {0};
  int present = 0;
  char *prefix = sqlite3_mprintf("the saved model '%s' is damaged", name);
  rc = prefix ? lmm_saved_snapshot_read(db, prefix, cols[ROW_FIT], &snap, &present, errmsg) : SQLITE_NOMEM;
  sqlite3_free(prefix);
  double *beta = rc == SQLITE_OK && present ? fixed_estimates(s) : NULL;
  if (rc == SQLITE_OK && present && !beta) rc = SQLITE_NOMEM;
  lmm_model *m = NULL;
  lmm_error err = {0};
  if (rc == SQLITE_OK && present) {
    if (lmm_model_begin(cols[ROW_FORMULA], cols[ROW_RANDOM], cols[ROW_OPTIONS], &m, &err))
      rc = model_error(errmsg, name, "no longer parses", &err);
    else if ((rc = check_call(name, m, s, structured_ok, errmsg)) == SQLITE_OK &&
             lmm_model_restore(m, &snap, s->p, s->fixed, beta, s->ntheta, &err))
      rc = model_error(errmsg, name, "is damaged", &err);
  }
  lmm_snapshot_clear(&snap);
  sqlite3_free(beta);
  lmm_saved_fit_free(s);
  free_cols(cols);
  if (rc == SQLITE_OK && !present) return open_model(db, name, structured_ok, out, errmsg);   /* saved before snapshots */
  if (rc != SQLITE_OK) { lmm_model_free(m); return rc; }
  *out = m;
  return SQLITE_OK;
}

int lmm_store_restore(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  return restore_model(db, name, 0, out, errmsg);
}

int lmm_store_restore_structured(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  return restore_model(db, name, 1, out, errmsg);
}

int lmm_store_call(sqlite3 *db, const char *name, char *call[4], char **errmsg) {
  char *cols[ROW_NCOLS] = {0};
  if (is_json(name)) {   /* the JSON holds no call to make again */
    *errmsg = sqlite3_mprintf("'%.20s...' is a fit from lmm_agg, which keeps no call; this function needs a saved model: "
                              "fit with lmm_fit(data, formula, random, 'save=NAME') and pass 'NAME'", name);
    return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  int rc = load_row(db, name, cols, errmsg);
  for (int i = 0; i < 4; i++) call[i] = rc == SQLITE_OK ? cols[i] : NULL;
  sqlite3_free(cols[ROW_FIT]);
  return rc;
}
