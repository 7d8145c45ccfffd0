/* store.c — the lmm_models table (see store.h). */
#include "store.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "saved_query.h"
#include "source.h"

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

char *lmm_store_fit_json(const lmm_model *m, uint64_t fingerprint) {
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
  double scale = lmm_vcov_scale(d, f, m->style);
  for (int i = 0; i < d->p; i++) {
    sqlite3_str_appendall(s, i ? ",[" : "[");
    for (int j = 0; j < d->p; j++) {
      if (j) sqlite3_str_appendchar(s, 1, ',');
      json_number(s, f->vcov[i + j * d->p] * scale);
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
      json_number(s, v[k]);
    }
    sqlite3_str_appendchar(s, 1, ']');
  }
  sqlite3_str_appendall(s, "]}");
  return sqlite3_str_finish(s);
}

/* Step a prepared statement to its end and rewind it for another run. */
static int run(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

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
  sqlite3_stmt *st[SAVE_NSTMT] = {0}, *insert = NULL;
  int rc = SQLITE_OK, begun = 0;
  for (int i = 0; i < SAVE_NSTMT && rc == SQLITE_OK; i++) rc = sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL);
  if (rc == SQLITE_OK) begun = (rc = run(st[SAVE_BEGIN])) == SQLITE_OK;
  if (rc == SQLITE_OK) rc = run(st[SAVE_CREATE]);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO lmm_models VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                                "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?7)", -1, &insert, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(insert, 1, name, -1, SQLITE_STATIC);
    for (int i = 0; i < 4; i++) sqlite3_bind_text(insert, 2 + i, call[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 6, fit_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 7, LMM_VERSION, -1, SQLITE_STATIC);
    rc = run(insert);
  }
  if (rc == SQLITE_OK) rc = run(st[SAVE_RELEASE]);   /* the commit, unless the caller's transaction is open */
  if (rc != SQLITE_OK) {
    *errmsg = sqlite3_mprintf("lmm_fit: cannot save the model '%s': %s", name, sqlite3_errmsg(db));
    if (begun) {
      run(st[SAVE_UNDO]);
      run(st[SAVE_RELEASE]);
    }
  }
  sqlite3_finalize(insert);
  for (int i = 0; i < SAVE_NSTMT; i++) sqlite3_finalize(st[i]);
  return rc;
}

enum { ROW_DATA, ROW_FORMULA, ROW_RANDOM, ROW_OPTIONS, ROW_FIT, ROW_NCOLS };

static void free_cols(char *cols[ROW_NCOLS]) {
  for (int i = 0; i < ROW_NCOLS; i++) {
    sqlite3_free(cols[i]);
    cols[i] = NULL;
  }
}

/* The names saved so far, for the message about a missing one. */
static char *saved_names(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  char *names = NULL;
  if (sqlite3_prepare_v2(db, "SELECT group_concat(name, ', ') FROM (SELECT name FROM lmm_models ORDER BY name)", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    names = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return names;
}

/* The saved row of a model (copies of data, formula, random, options, fit).
 * lmm_models is the database's, so it may be damaged or hostile: a row
 * without data, formula or fit is refused, whatever types it holds are read
 * as text, and a copy that cannot be made is SQLITE_NOMEM, never a NULL
 * that would read as "absent". */
static int load_row(sqlite3 *db, const char *name, char *cols[ROW_NCOLS], char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT data, formula, random, options, fit FROM lmm_models WHERE name = ?1", -1, &st, NULL);
  if (rc == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    if (!strncmp(sqlite3_errmsg(db), "no such table", 13))
      *errmsg = sqlite3_mprintf("no saved model '%s': there is no lmm_models table yet (save a fit with the option save=NAME)", name);
    else
      *errmsg = sqlite3_mprintf("lmm_models is damaged: %s", sqlite3_errmsg(db));
    return SQLITE_ERROR;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    rc = SQLITE_OK;
    for (int i = 0; i < ROW_NCOLS && rc == SQLITE_OK; i++) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) continue;
      const unsigned char *t = sqlite3_column_text(st, i);
      if (!t || !(cols[i] = sqlite3_mprintf("%s", t))) rc = SQLITE_NOMEM;
    }
    static const char *const what[] = {"data", "formula", NULL, NULL, "fit"};
    for (int i = 0; i < ROW_NCOLS && rc == SQLITE_OK; i++)
      if (what[i] && !cols[i]) {
        *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its %s is NULL", name, what[i]);
        rc = SQLITE_ERROR;
      }
  } else if (rc == SQLITE_DONE) {
    char *names = saved_names(db);
    *errmsg = sqlite3_mprintf("no saved model '%s' (saved: %s)", name, names ? names : "none");
    sqlite3_free(names);
    rc = SQLITE_ERROR;
  } else if (rc != SQLITE_NOMEM) {
    *errmsg = sqlite3_mprintf("reading lmm_models: %s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK) free_cols(cols);
  return rc;
}

/* The readers of a fit's JSON rely on its rows, fixed and vcov arrays;
 * label names the fit in the message. */
static int check_fit_json(sqlite3 *db, const char *label, const char *json, char **errmsg) {
  static const char *const what[] = {"rows", "fixed", "vcov"};
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT json_type(?1, '$.rows'), json_type(?1, '$.fixed'), json_type(?1, '$.vcov')", -1,
                              &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  if (rc == SQLITE_ROW) {
    rc = SQLITE_OK;
    for (int i = 0; i < 3 && rc == SQLITE_OK; i++) {
      const char *t = (const char *)sqlite3_column_text(st, i);
      if (!t && sqlite3_column_type(st, i) != SQLITE_NULL) rc = SQLITE_NOMEM;
      else if (!t || strcmp(t, "array")) {
        *errmsg = sqlite3_mprintf("%s is not a fit: it has no %s array", label, what[i]);
        rc = SQLITE_ERROR;
      }
    }
  } else if (rc != SQLITE_NOMEM) {
    *errmsg = sqlite3_mprintf("%s is not a fit: %s", label, sqlite3_errmsg(db));
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  return rc;
}

int lmm_store_json(sqlite3 *db, const char *name_or_json, char **json, char **errmsg) {
  const char *p = name_or_json;
  char *label = NULL;
  *json = NULL;
  while (*p == ' ' || *p == '\n' || *p == '\t') p++;
  int rc = SQLITE_OK;
  if (*p == '{') {
    *json = sqlite3_mprintf("%s", name_or_json);
    label = sqlite3_mprintf("the argument");
  } else {
    char *cols[ROW_NCOLS] = {0};
    if ((rc = load_row(db, name_or_json, cols, errmsg)) != SQLITE_OK) return rc;
    *json = cols[ROW_FIT];
    cols[ROW_FIT] = NULL;
    free_cols(cols);
    label = sqlite3_mprintf("the saved model '%s'", name_or_json);
  }
  rc = !*json || !label ? SQLITE_NOMEM : check_fit_json(db, label, *json, errmsg);
  sqlite3_free(label);
  if (rc != SQLITE_OK) {
    sqlite3_free(*json);
    *json = NULL;
  }
  return rc;
}

/* The first value of sql run with ?1 = json and ?2 = path, as a copy in *out
 * (NULL for SQL NULL).  SQLITE_ERROR means json is not valid JSON. */
static int json_query(sqlite3 *db, const char *sql, const char *json, const char *path, char **out) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      rc = SQLITE_OK;
      if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (!t || !(*out = sqlite3_mprintf("%s", t))) rc = SQLITE_NOMEM;
      }
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT ? rc : rc == SQLITE_OK ? SQLITE_OK : SQLITE_ERROR;
}

/* The finite numbers of the JSON array at path; SQLITE_ERROR when there is no
 * such array or an element is anything else (JSON null stands for NaN). */
static int json_numbers(sqlite3 *db, const char *json, const char *path, double **out, int *n) {
  *out = NULL;
  *n = 0;
  char *type = NULL;
  int rc = json_query(db, "SELECT json_type(?1, ?2)", json, path, &type);
  int is_array = type && !strcmp(type, "array");
  sqlite3_free(type);
  if (rc != SQLITE_OK) return rc;
  if (!is_array) return SQLITE_ERROR;
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(db, "SELECT value, type FROM json_each(?1, ?2)", -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
  }
  int cap = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 1);
    double v = sqlite3_column_double(st, 0);
    if (!t) { rc = SQLITE_NOMEM; break; }
    if ((strcmp(t, "integer") && strcmp(t, "real")) || !isfinite(v)) { rc = SQLITE_ERROR; break; }
    if (*n == cap) {
      cap = cap ? 2 * cap : 8;
      double *g = sqlite3_realloc64(*out, sizeof *g * (size_t)cap);
      if (!g) { rc = SQLITE_NOMEM; break; }
      *out = g;
    }
    (*out)[(*n)++] = v;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return SQLITE_OK;
  sqlite3_free(*out);
  *out = NULL;
  *n = 0;
  return rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT ? rc : SQLITE_ERROR;
}

/* theta and the data's fingerprint from a saved fit's JSON. */
static int read_fit(sqlite3 *db, const char *name, const char *json, double **theta, int *ntheta, char **fp, char **errmsg) {
  int rc = json_numbers(db, json, "$.theta", theta, ntheta);
  if (rc == SQLITE_OK) rc = json_query(db, "SELECT CASE json_type(?1, ?2) WHEN 'text' THEN json_extract(?1, ?2) END", json,
                                       "$.fingerprint", fp);
  if (rc == SQLITE_OK && (!*fp || strlen(*fp) != 16)) rc = SQLITE_ERROR;
  if (rc == SQLITE_ERROR)
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its fit needs a theta array of finite numbers and a "
                              "fingerprint of 16 characters", name);
  return rc;
}

int lmm_store_open(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  *out = NULL;
  char *cols[ROW_NCOLS] = {0};
  int rc = load_row(db, name, cols, errmsg);
  if (rc != SQLITE_OK) return rc;
  double *theta = NULL;
  int ntheta = 0;
  char *saved_fp = NULL;
  lmm_model *m = NULL;
  lmm_error err = {0};
  uint64_t fp = 0;
  if ((rc = read_fit(db, name, cols[ROW_FIT], &theta, &ntheta, &saved_fp, errmsg)) != SQLITE_OK) {
    /* the message is made */
  } else if (lmm_model_begin(cols[ROW_FORMULA], cols[ROW_RANDOM], cols[ROW_OPTIONS], &m, &err)) {
    *errmsg = sqlite3_mprintf("the saved model '%s' no longer parses: %s", name, err.msg);
    rc = err.code == LMM_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  } else if ((rc = lmm_saved_query_check(db, cols[ROW_DATA], errmsg)) != SQLITE_OK ||
             (rc = lmm_source_scan(db, cols[ROW_DATA], m, &fp, errmsg)) != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("the saved model '%s' cannot read its data '%s': %s", name, cols[ROW_DATA], inner ? inner : "");
    sqlite3_free(inner);
  } else {
    char now[32];
    snprintf(now, sizeof now, "%016llx", (unsigned long long)fp);
    if (strcmp(now, saved_fp)) {
      *errmsg = sqlite3_mprintf("the data of saved model '%s' ('%s') have changed since it was fitted; fit it again", name,
                                cols[ROW_DATA]);
      rc = SQLITE_ERROR;
    } else {
      lmm_interrupt_probe probe;
      lmm_interrupt_probe_init(&probe, db);
      if (lmm_model_finish_at(m, theta, ntheta, lmm_interrupt_probe_check, &probe, &err)) {
        *errmsg = sqlite3_mprintf("the saved model '%s' cannot be evaluated: %s", name, err.msg);
        rc = err.code == LMM_NOMEM ? SQLITE_NOMEM : err.code == LMM_INTERRUPTED ? SQLITE_INTERRUPT : SQLITE_ERROR;
      }
      lmm_interrupt_probe_end(&probe);
    }
  }
  sqlite3_free(theta);
  sqlite3_free(saved_fp);
  free_cols(cols);
  if (rc == SQLITE_INTERRUPT && (!*errmsg || !strstr(*errmsg, "interrupted"))) {   /* not "damaged", not "" */
    sqlite3_free(*errmsg);
    *errmsg = sqlite3_mprintf("interrupted");
  }
  if (rc != SQLITE_OK) { lmm_model_free(m); return rc; }
  *out = m;
  return SQLITE_OK;
}
