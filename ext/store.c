/* store.c — the lmm_models table (see store.h). */
#include "store.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdio.h>
#include <string.h>

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
    "CREATE TABLE IF NOT EXISTS lmm_models(name TEXT PRIMARY KEY, data TEXT NOT NULL, formula TEXT NOT NULL, "
    "random TEXT, options TEXT, fit TEXT NOT NULL, created TEXT NOT NULL, version TEXT NOT NULL)",
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
  return (rc & 0xff) == SQLITE_NOMEM ? SQLITE_NOMEM : rc;
}

/* The saved row of a model: data, formula, random, options, fit. */
static int load_row(sqlite3 *db, const char *name, char *cols[5], char **errmsg) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT data, formula, random, options, fit FROM lmm_models WHERE name = ?1", -1, &st, NULL);
  if (rc != SQLITE_OK) {
    *errmsg = sqlite3_mprintf("no saved model '%s': there is no lmm_models table yet (save a fit with the option save=NAME)", name);
    return SQLITE_ERROR;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { *errmsg = sqlite3_mprintf("reading lmm_models: %s", sqlite3_errmsg(db)); return rc; }
    char *names = NULL;
    if (sqlite3_prepare_v2(db, "SELECT group_concat(name, ', ') FROM (SELECT name FROM lmm_models ORDER BY name)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      names = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    *errmsg = sqlite3_mprintf("no saved model '%s' (saved: %s)", name, names ? names : "none");
    sqlite3_free(names);
    return SQLITE_ERROR;
  }
  for (int i = 0; i < 5; i++) {
    const unsigned char *t = sqlite3_column_text(st, i);
    cols[i] = t ? sqlite3_mprintf("%s", t) : NULL;
  }
  sqlite3_finalize(st);
  return SQLITE_OK;
}

static void free_cols(char *cols[5]) {
  for (int i = 0; i < 5; i++) sqlite3_free(cols[i]);
}

int lmm_store_json(sqlite3 *db, const char *name_or_json, char **json, char **errmsg) {
  const char *p = name_or_json;
  while (*p == ' ' || *p == '\n' || *p == '\t') p++;
  if (*p == '{') {
    *json = sqlite3_mprintf("%s", name_or_json);
    return *json ? SQLITE_OK : SQLITE_NOMEM;
  }
  char *cols[5] = {0};
  int rc = load_row(db, name_or_json, cols, errmsg);
  if (rc != SQLITE_OK) return rc;
  *json = cols[4];
  cols[4] = NULL;
  free_cols(cols);
  return SQLITE_OK;
}

/* Values of a JSON path as doubles, through SQLite's JSON functions. */
static int json_numbers(sqlite3 *db, const char *json, const char *path, double **out, int *n) {
  sqlite3_stmt *st = NULL;
  *out = NULL;
  *n = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT value FROM json_each(?1, ?2)", -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    double *g = sqlite3_realloc64(*out, sizeof *g * (size_t)(*n + 1));
    if (!g) { rc = SQLITE_NOMEM; break; }
    *out = g;
    g[(*n)++] = sqlite3_column_double(st, 0);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static char *json_text(sqlite3 *db, const char *json, const char *path) {
  sqlite3_stmt *st = NULL;
  char *r = NULL;
  if (sqlite3_prepare_v2(db, "SELECT json_extract(?1, ?2)", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) r = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return r;
}

int lmm_store_open(sqlite3 *db, const char *name, lmm_model **out, char **errmsg) {
  *out = NULL;
  char *cols[5] = {0};
  int rc = load_row(db, name, cols, errmsg);
  if (rc != SQLITE_OK) return rc;
  double *theta = NULL;
  int ntheta = 0;
  char *saved_fp = json_text(db, cols[4], "$.fingerprint");
  lmm_model *m = NULL;
  lmm_error err = {0};
  uint64_t fp = 0;
  if ((rc = json_numbers(db, cols[4], "$.theta", &theta, &ntheta)) != SQLITE_OK || !saved_fp) {
    *errmsg = sqlite3_mprintf("the saved model '%s' is damaged: its fit has no theta or fingerprint", name);
    rc = SQLITE_ERROR;
  } else if (lmm_model_begin(cols[1], cols[2], cols[3], &m, &err)) {
    *errmsg = sqlite3_mprintf("the saved model '%s' no longer parses: %s", name, err.msg);
    rc = SQLITE_ERROR;
  } else if ((rc = lmm_source_scan(db, cols[0], m, &fp, errmsg)) != SQLITE_OK) {
    char *inner = *errmsg;
    *errmsg = sqlite3_mprintf("the saved model '%s' cannot read its data '%s': %s", name, cols[0], inner ? inner : "");
    sqlite3_free(inner);
  } else {
    char now[32];
    snprintf(now, sizeof now, "%016llx", (unsigned long long)fp);
    if (strcmp(now, saved_fp)) {
      *errmsg = sqlite3_mprintf("the data of saved model '%s' ('%s') have changed since it was fitted; fit it again", name, cols[0]);
      rc = SQLITE_ERROR;
    } else if (lmm_model_finish_at(m, theta, ntheta, &err)) {
      *errmsg = sqlite3_mprintf("the saved model '%s' cannot be evaluated: %s", name, err.msg);
      rc = err.code == LMM_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
  }
  sqlite3_free(theta);
  sqlite3_free(saved_fp);
  free_cols(cols);
  if (rc != SQLITE_OK) { lmm_model_free(m); return rc; }
  *out = m;
  return SQLITE_OK;
}
