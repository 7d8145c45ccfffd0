/* testdb.c — databases and statements for the robustness drivers (see testdb.h). */
#include "testdb.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int testdb_use_extension(const char *path) {
  /* loaded once and never unloaded: sanitizer reports keep their symbols */
  void *lib = dlopen(path, RTLD_NOW);
  if (!lib) { fprintf(stderr, "cannot load %s: %s\n", path, dlerror()); return 1; }
  void (*init)(void) = (void (*)(void))dlsym(lib, "sqlite3_lmm_init");
  if (!init) { fprintf(stderr, "%s has no sqlite3_lmm_init\n", path); return 1; }
  int rc = sqlite3_auto_extension(init);
  if (rc != SQLITE_OK) { fprintf(stderr, "sqlite3_auto_extension: %s\n", sqlite3_errstr(rc)); return 1; }
  return 0;
}

int testdb_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
  fprintf(stderr, "%s\n  failed: %s\n", sql, msg ? msg : "?");
  sqlite3_free(msg);
  return 1;
}

sqlite3 *testdb_from_file(const char *datafile, const char *const *tables) {
  sqlite3 *db = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) { sqlite3_close(db); return NULL; }
  char *sql = sqlite3_mprintf("ATTACH %Q AS src", datafile);
  int bad = testdb_exec(db, sql);
  sqlite3_free(sql);
  for (int i = 0; !bad && tables[i]; i++) {
    /* the table's own CREATE statement keeps its declared column types */
    sqlite3_stmt *st = NULL;
    bad = sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_schema WHERE type = 'table' AND name = ?1", -1, &st, NULL) ||
          sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC) || sqlite3_step(st) != SQLITE_ROW;
    if (bad) fprintf(stderr, "%s has no table %s\n", datafile, tables[i]);
    else bad = testdb_exec(db, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (bad) break;
    sql = sqlite3_mprintf("INSERT INTO main.\"%w\" SELECT * FROM src.\"%w\"", tables[i], tables[i]);
    bad = testdb_exec(db, sql);
    sqlite3_free(sql);
  }
  if (!bad) bad = testdb_exec(db, "DETACH src");
  if (bad) { sqlite3_close(db); return NULL; }
  return db;
}

sqlite3 *testdb_copy(sqlite3 *from) {
  sqlite3 *db = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) { sqlite3_close(db); return NULL; }
  sqlite3_backup *b = sqlite3_backup_init(db, "main", from, "main");
  int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
  if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE) { sqlite3_close(db); return NULL; }
  return db;
}

/* FNV-1a over a type tag and bytes. */
static uint64_t hash_bytes(uint64_t h, int tag, const void *p, size_t n) {
  h = (h ^ (unsigned char)tag) * 1099511628211ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ULL;
  return h;
}

/* One row's values, column c left out when skip says so. */
static uint64_t hash_row(uint64_t h, sqlite3_stmt *st, int (*skip)(sqlite3_stmt *, int)) {
  for (int c = 0; c < sqlite3_column_count(st); c++) {
    if (skip && skip(st, c)) continue;
    int t = sqlite3_column_type(st, c);
    if (t == SQLITE_INTEGER) { sqlite3_int64 v = sqlite3_column_int64(st, c); h = hash_bytes(h, t, &v, sizeof v); }
    else if (t == SQLITE_FLOAT) { double v = sqlite3_column_double(st, c); h = hash_bytes(h, t, &v, sizeof v); }
    else if (t == SQLITE_NULL) h = hash_bytes(h, t, NULL, 0);
    else h = hash_bytes(h, t, sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c));
  }
  return h;
}

int testdb_run(sqlite3 *db, const char *sql, uint64_t *rows, int *nrows, char *msg, size_t msglen) {
  sqlite3_stmt *st = NULL;
  uint64_t h = 1469598103934665603ULL;
  int n = 0;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    h = hash_row(h, st, NULL);
    n++;
    rc = SQLITE_OK;
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  if (rc != SQLITE_OK && msg) snprintf(msg, msglen, "%s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  *rows = h;
  *nrows = n;
  return rc;
}

static int is_created(sqlite3_stmt *st, int c) { return !sqlite3_stricmp(sqlite3_column_name(st, c), "created"); }

uint64_t testdb_content(sqlite3 *db) {
  uint64_t h = 1469598103934665603ULL;
  sqlite3_stmt *tabs = NULL;
  if (sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY name", -1, &tabs, NULL)) return 0;
  while (sqlite3_step(tabs) == SQLITE_ROW) {
    h = hash_row(h, tabs, NULL);
    if (strcmp((const char *)sqlite3_column_text(tabs, 0), "table")) continue;
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY rowid", (const char *)sqlite3_column_text(tabs, 1));
    sqlite3_stmt *st = NULL;
    if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW) h = hash_row(h, st, is_created);
    else h = 0;
    sqlite3_finalize(st);
    sqlite3_free(sql);
  }
  sqlite3_finalize(tabs);
  return h;
}
