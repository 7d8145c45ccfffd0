/* source.c — one read-only pass over the user's rows.
 *
 * Names from arguments are always quoted as identifiers; a query argument is
 * run only if it is a single read-only statement. */
#include "source.h"
SQLITE_EXTENSION_INIT3

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int is_query(const char *s) {
  while (isspace((unsigned char)*s) || *s == '(') s++;
  return !strncasecmp(s, "select", 6) || !strncasecmp(s, "with", 4) || !strncasecmp(s, "values", 6);
}

/* Only blanks, semicolons and comments after the statement. */
static int only_trailing_noise(const char *s) {
  for (;;) {
    while (isspace((unsigned char)*s) || *s == ';') s++;
    if (s[0] == '-' && s[1] == '-') { while (*s && *s != '\n') s++; continue; }
    if (s[0] == '/' && s[1] == '*') { const char *e = strstr(s + 2, "*/"); if (!e) return 1; s = e + 2; continue; }
    return *s == 0;
  }
}

/* FROM-clause text for the data argument, and a printable name for messages. */
static char *source_from(sqlite3 *db, const char *data, int *has_rowid, char **errmsg) {
  if (is_query(data)) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(db, data, -1, &st, &tail);
    if (rc != SQLITE_OK) {
      *errmsg = sqlite3_mprintf("lmm: the data query does not compile: %s", sqlite3_errmsg(db));
      return NULL;
    }
    int ro = st && sqlite3_stmt_readonly(st);
    sqlite3_finalize(st);
    if (!only_trailing_noise(tail)) {
      *errmsg = sqlite3_mprintf("lmm: the data query must be a single statement; found more after \"%.40s\"", data);
      return NULL;
    }
    if (!ro) {
      *errmsg = sqlite3_mprintf("lmm: the data query must only read (a SELECT or WITH query)");
      return NULL;
    }
    size_t n = (size_t)(tail - data);
    while (n && (isspace((unsigned char)data[n - 1]) || data[n - 1] == ';')) n--;
    *has_rowid = 0;
    return sqlite3_mprintf("(%.*s)", (int)n, data);
  }
  /* a table or view, perhaps schema-qualified */
  const char *dot = strchr(data, '.');
  char *from = sqlite3_mprintf("\"%w\"", data);
  char *probe = sqlite3_mprintf("SELECT * FROM %s", from);
  sqlite3_stmt *st = NULL;
  if (!from || !probe) goto nomem;
  if (sqlite3_prepare_v2(db, probe, -1, &st, NULL) != SQLITE_OK && dot) {
    sqlite3_free(from);
    sqlite3_free(probe);
    char *schema = sqlite3_mprintf("%.*s", (int)(dot - data), data);
    from = schema ? sqlite3_mprintf("\"%w\".\"%w\"", schema, dot + 1) : NULL;
    sqlite3_free(schema);
    probe = sqlite3_mprintf("SELECT * FROM %s", from);
    if (!from || !probe) goto nomem;
    if (sqlite3_prepare_v2(db, probe, -1, &st, NULL) != SQLITE_OK) st = NULL;
  }
  sqlite3_free(probe);
  if (!st) {
    sqlite3_free(from);
    *errmsg = sqlite3_mprintf("lmm: no such table or view: '%s'", data);
    return NULL;
  }
  sqlite3_finalize(st);
  char *with_rowid = sqlite3_mprintf("SELECT rowid FROM %s", from);
  *has_rowid = with_rowid && sqlite3_prepare_v2(db, with_rowid, -1, &st, NULL) == SQLITE_OK;
  sqlite3_finalize(st);
  sqlite3_free(with_rowid);
  return from;
nomem:
  sqlite3_free(from);
  sqlite3_free(probe);
  *errmsg = sqlite3_mprintf("out of memory");
  return NULL;
}

/* Numeric affinity by SQLite's rules for a declared type (section 3.1 of
 * datatype3.html): text in such a column is a data error, not a factor level. */
static int numeric_affinity(const char *decl) {
  if (!decl || !*decl) return 0;
  char up[64];
  size_t n = 0;
  for (; decl[n] && n < sizeof up - 1; n++) up[n] = (char)toupper((unsigned char)decl[n]);
  up[n] = 0;
  if (strstr(up, "INT")) return 1;
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT") || strstr(up, "BLOB")) return 0;
  return 1; /* REAL, FLOA, DOUB, NUMERIC, DECIMAL, ... */
}

/* The source's column names for the model's columns (matched as SQLite
 * matches names, ignoring case), or an error naming the missing one.
 * Checking here matters: SQLite would read an unknown "name" as a string. */
static int resolve_columns(sqlite3 *db, const char *from, const char *data, int ncols, const char *const *names,
                           int *index, char **errmsg) {
  char *sql = sqlite3_mprintf("SELECT * FROM %s", from);
  sqlite3_stmt *st = NULL;
  if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    sqlite3_free(sql);
    *errmsg = sqlite3_mprintf("lmm: cannot read the data: %s", sqlite3_errmsg(db));
    return SQLITE_ERROR;
  }
  sqlite3_free(sql);
  int nc = sqlite3_column_count(st), rc = SQLITE_OK;
  for (int i = 0; i < ncols && rc == SQLITE_OK; i++) {
    index[i] = -1;
    for (int c = 0; c < nc && index[i] < 0; c++)
      if (!sqlite3_stricmp(sqlite3_column_name(st, c), names[i])) index[i] = c;
    if (index[i] >= 0) continue;
    char *list = sqlite3_mprintf("");
    for (int c = 0; c < nc && list; c++) {
      char *more = sqlite3_mprintf("%s%s%s", list, c ? ", " : "", sqlite3_column_name(st, c));
      sqlite3_free(list);
      list = more;
    }
    if (is_query(data))
      *errmsg = sqlite3_mprintf("lmm: no column '%s' in the data query (its columns: %s)", names[i], list ? list : "");
    else
      *errmsg = sqlite3_mprintf("lmm: no column '%s' in '%s' (its columns: %s)", names[i], data, list ? list : "");
    sqlite3_free(list);
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  return rc;
}

/* FNV-1a over the bytes of one value, its type first. */
static uint64_t hash_value(uint64_t h, int type, const void *bytes, size_t n) {
  h = (h ^ (unsigned char)type) * 1099511628211ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)bytes)[i]) * 1099511628211ULL;
  return h;
}

int lmm_source_each(sqlite3 *db, const char *data, int nc, const char *const *names, lmm_row_fn *each, void *ctx,
                    uint64_t *fingerprint, char **errmsg) {
  uint64_t fp = 1469598103934665603ULL;
  int has_rowid = 0;
  char *from = source_from(db, data, &has_rowid, errmsg);
  if (!from) return SQLITE_ERROR;
  int *index = sqlite3_malloc64(sizeof *index * (size_t)(nc ? nc : 1));
  if (!index) { sqlite3_free(from); *errmsg = sqlite3_mprintf("out of memory"); return SQLITE_NOMEM; }
  if (resolve_columns(db, from, data, nc, names, index, errmsg)) { sqlite3_free(index); sqlite3_free(from); return SQLITE_ERROR; }
  sqlite3_free(index);
  char *cols = sqlite3_mprintf("%s", has_rowid ? "rowid" : "NULL");
  for (int i = 0; i < nc && cols; i++) {
    char *more = sqlite3_mprintf("%s, \"%w\"", cols, names[i]);
    sqlite3_free(cols);
    cols = more;
  }
  char *sql = cols ? sqlite3_mprintf("SELECT %s FROM %s", cols, from) : NULL;
  sqlite3_free(cols);
  sqlite3_stmt *st = NULL;
  int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    *errmsg = rc == SQLITE_NOMEM ? sqlite3_mprintf("out of memory")
                                 : sqlite3_mprintf("lmm: cannot read the data: %s", sqlite3_errmsg(db));
    sqlite3_free(from);
    return SQLITE_ERROR;
  }
  int *numeric = sqlite3_malloc64(sizeof *numeric * (size_t)(nc ? nc : 1));
  if (!numeric) { sqlite3_finalize(st); sqlite3_free(from); *errmsg = sqlite3_mprintf("out of memory"); return SQLITE_NOMEM; }
  for (int i = 0; i < nc; i++) numeric[i] = numeric_affinity(sqlite3_column_decltype(st, i + 1));
  sqlite3_free(from);
  lmm_value *vals = sqlite3_malloc64(sizeof *vals * (size_t)(nc ? nc : 1));
  if (!vals) { sqlite3_free(numeric); sqlite3_finalize(st); *errmsg = sqlite3_mprintf("out of memory"); return SQLITE_NOMEM; }
  lmm_error err = {0};
  int64_t row = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    row++;
    int64_t id = has_rowid ? sqlite3_column_int64(st, 0) : row;
    for (int i = 0; i < nc; i++) {
      int t = sqlite3_column_type(st, i + 1);
      lmm_value *v = &vals[i];
      if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        v->type = LMM_NUM;
        v->num = sqlite3_column_double(st, i + 1);
        fp = hash_value(fp, LMM_NUM, &v->num, sizeof v->num);
      }
      else if (t == SQLITE_TEXT) {
        if (numeric[i]) {
          *errmsg = sqlite3_mprintf("lmm: column '%s' is declared %s but %s %lld holds the text '%.40s'",
                                    names[i], sqlite3_column_decltype(st, i + 1), has_rowid ? "rowid" : "row",
                                    (long long)id, (const char *)sqlite3_column_text(st, i + 1));
          sqlite3_finalize(st);
          sqlite3_free(vals);
          sqlite3_free(numeric);
          return SQLITE_ERROR;
        }
        v->type = LMM_TEXT;
        v->text = (const char *)sqlite3_column_text(st, i + 1);
        v->len = sqlite3_column_bytes(st, i + 1);
        fp = hash_value(fp, LMM_TEXT, v->text, (size_t)v->len);
      } else if (t == SQLITE_NULL) {
        v->type = LMM_NULL;
        fp = hash_value(fp, LMM_NULL, NULL, 0);
      }
      else {
        *errmsg = sqlite3_mprintf("lmm: column '%s' holds a BLOB at %s %lld; only numbers and text can be modelled",
                                  names[i], has_rowid ? "rowid" : "row", (long long)id);
        sqlite3_finalize(st);
        sqlite3_free(vals);
        sqlite3_free(numeric);
        return SQLITE_ERROR;
      }
    }
    if (each(ctx, vals, id, has_rowid, &err)) break;
  }
  sqlite3_free(vals);
  sqlite3_free(numeric);
  if (err.code) {
    *errmsg = sqlite3_mprintf("lmm: %s", err.msg);
    sqlite3_finalize(st);
    return err.code == LMM_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  if (rc != SQLITE_DONE) {
    *errmsg = sqlite3_mprintf("lmm: reading the data failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
  }
  sqlite3_finalize(st);
  if (fingerprint) *fingerprint = fp;
  return SQLITE_OK;
}

int lmm_source_interrupted(void *dbp) {
  sqlite3 *db = dbp;
  sqlite3_stmt *st = NULL;
  /* SQLite 3.40 has no sqlite3_is_interrupted(): a trivial statement reports it */
  if (sqlite3_prepare_v2(db, "SELECT 1", -1, &st, NULL) != SQLITE_OK) return 1;
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_INTERRUPT;
}

typedef struct model_rows { lmm_model *m; int told; } model_rows;

static int add_model_row(void *ctx, const lmm_value *vals, int64_t rowid, int has_rowid, lmm_error *err) {
  model_rows *mr = ctx;
  if (!mr->told) { lmm_model_rows_have_rowid(mr->m, has_rowid); mr->told = 1; }
  return lmm_model_add_row(mr->m, vals, rowid, err);
}

int lmm_source_scan(sqlite3 *db, const char *data, lmm_model *m, uint64_t *fingerprint, char **errmsg) {
  int nc = lmm_model_ncols(m);
  const char **names = sqlite3_malloc64(sizeof *names * (size_t)(nc ? nc : 1));
  if (!names) { *errmsg = sqlite3_mprintf("out of memory"); return SQLITE_NOMEM; }
  for (int i = 0; i < nc; i++) names[i] = lmm_model_col(m, i);
  model_rows mr = {m, 0};
  int rc = lmm_source_each(db, data, nc, names, add_model_row, &mr, fingerprint, errmsg);
  sqlite3_free(names);
  return rc;
}
