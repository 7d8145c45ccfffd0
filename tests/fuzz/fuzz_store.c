/* fuzz_store.c — libFuzzer target for the model-store reader: one damaged or
 * hostile row of lmm_models, read by every function that reads saved models.
 *
 * Input: types, data, formula, random and options, each ended by the first
 * NUL or newline; the rest of the input is the fit (newlines allowed).
 * types gives the SQL type of each of the five columns in turn: t text (the
 * default), n NULL, b BLOB, i integer, r real (the field read by strtoll or
 * strtod).
 *
 * The extension (ext/ and core/ built with -DSQLITE_CORE, so that ext/ calls
 * SQLite directly) is registered on an in-memory database that holds three
 * small tables (one named "values", as a query begins) and six fits saved at
 * start-up, in an lmm_models without constraints, as a database from
 * elsewhere may have it.  Each input becomes the row 'm' of a fresh copy of
 * that database; then lmm_tidy, lmm_vcov, lmm_anova, lmm_ranef, lmm_augment
 * and lmm_predict (at two levels and at all) read it, and lmm_tidy and
 * lmm_vcov read the fit text itself.  Every statement must succeed or fail
 * with SQLITE_ERROR and a message; afterwards the schema, the tables and the
 * other saved fits must be as they were; and fuzz_forbidden(), registered
 * SQLITE_DIRECTONLY, aborts if a saved query ever gets to call it.
 *
 * LMM_FUZZ_SEEDS=DIR build/fuzz/fuzz_store -runs=0 writes the saved rows
 * (and damaged copies of one, some of them fits that are not coherent) as
 * seed inputs; LMM_FUZZ_DEBUG=1 prints what each statement did. */
#include "fuzz_common.h"

#include <sqlite3.h>
#include <stdio.h>

int sqlite3_lmm_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api);

enum { STORE_MAX_LEN = 8192, NCOLS = 5 };

static const char *const setup[] = {
  "CREATE TABLE sleep(Reaction REAL, Days INTEGER, Subject TEXT)",
  "INSERT INTO sleep WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 59) "
  "SELECT 250 + 10 * (i % 10) + 3 * ((i / 10 * 37) % 23 - 11) + ((i / 10 * 11) % 7 - 3) * (i % 10) "
  "+ 2.5 * ((i * 7919) % 17 - 8), i % 10, 'S' || (i / 10) FROM k",
  "CREATE TABLE dye(Batch TEXT, Yield INTEGER)",
  "INSERT INTO dye WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 29) "
  "SELECT char(65 + i / 5), 1500 + 3 * ((i / 5 * 53) % 41 - 20) + 8 * ((i * 31) % 13 - 6) FROM k",
  "SELECT count(*) FROM lmm_fit('sleep', 'Reaction ~ Days + (Days|Subject)', NULL, 'save=sleep_re')",
  "SELECT count(*) FROM lmm_fit('sleep', 'Reaction ~ Days', '1|Subject', 'method=ML, save=sleep_ml')",
  "SELECT count(*) FROM lmm_fit('sleep', 'Reaction ~ Days + Subject', NULL, 'save=sleep_lm')",
  "SELECT count(*) FROM lmm_fit('SELECT * FROM sleep WHERE Days < 8', 'log(Reaction) ~ Days + (1|Subject)', NULL, "
  "'method=ML, save=sleep_q')",
  "SELECT count(*) FROM lmm_fit('dye', 'Yield ~ 1 + (1|Batch)', NULL, 'save=dye')",
  /* a table whose name is a keyword, which a saved data argument names */
  "CREATE TABLE \"values\" AS SELECT * FROM sleep WHERE Days % 2 = 0",
  "SELECT count(*) FROM lmm_fit('values', 'Reaction ~ Days + (1|Subject)', NULL, 'save=sleep_values')",
  /* as a database from elsewhere may have it: no constraints, any types */
  "CREATE TABLE saved AS SELECT * FROM lmm_models",
  "DROP TABLE lmm_models",
  "CREATE TABLE lmm_models(name, data, formula, random, options, fit, created, version)",
  "INSERT INTO lmm_models SELECT * FROM saved",
  "DROP TABLE saved",
};

static const char *const readers[] = {
  "SELECT * FROM lmm_tidy('m')",
  "SELECT * FROM lmm_vcov('m')",
  "SELECT * FROM lmm_anova('sleep_ml, m')",
  "SELECT * FROM lmm_ranef('m')",
  "SELECT * FROM lmm_augment('m')",
  "SELECT * FROM lmm_predict('m', 'sleep')",
  "SELECT * FROM lmm_predict('m', 'SELECT * FROM sleep WHERE Days > 3', 0)",
  "SELECT * FROM lmm_predict('m', 'values', 1)",
  "SELECT * FROM lmm_tidy((SELECT fit FROM lmm_models WHERE name = 'm'))",
  "SELECT * FROM lmm_vcov((SELECT fit FROM lmm_models WHERE name = 'm'))",
  "SELECT * FROM lmm_anova('m, sleep_re')",
};

/* What must not change: the schema, the tables, the other saved fits. */
static const char *const content_sql =
  "SELECT (SELECT group_concat(type || name || ifnull(sql, ''), '|') FROM sqlite_schema) || '#' || "
  "(SELECT group_concat(quote(Reaction) || quote(Days) || quote(Subject), '|') FROM sleep) || '#' || "
  "(SELECT group_concat(quote(Batch) || quote(Yield), '|') FROM dye) || '#' || "
  "(SELECT group_concat(quote(Reaction) || quote(Days) || quote(Subject), '|') FROM \"values\") || '#' || "
  "(SELECT group_concat(quote(name) || quote(data) || quote(formula) || quote(random) || quote(options) || quote(fit), '|') "
  "FROM lmm_models WHERE name IS NOT 'm')";

static unsigned char *template_db;
static sqlite3_int64 template_size;
static char *template_content;
static int debug;

static void forbidden(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)ctx; (void)argc; (void)argv;
  fprintf(stderr, "fuzz_store: a saved query called a SQLITE_DIRECTONLY function\n");
  abort();
}

/* A connection with the extension and fuzz_forbidden() registered. */
static sqlite3 *open_db(void) {
  sqlite3 *db = NULL;
  char *err = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK || sqlite3_lmm_init(db, &err, NULL) != SQLITE_OK ||
      sqlite3_create_function(db, "fuzz_forbidden", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, forbidden, NULL, NULL)) {
    fprintf(stderr, "fuzz_store: cannot open a database: %s\n", err ? err : sqlite3_errmsg(db));
    abort();
  }
  return db;
}

static char *content(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  if (sqlite3_prepare_v2(db, content_sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
  sqlite3_finalize(st);
  if (!out) abort();
  return out;
}

/* One seed file: the columns of a saved row, as this target reads them. */
static void write_seed(const char *dir, const char *name, const char *const col[NCOLS]) {
  char path[4096];
  snprintf(path, sizeof path, "%s/saved-%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  for (int i = 0; i < NCOLS; i++) fputc(col[i] ? 't' : 'n', f);
  for (int i = 0; i < NCOLS; i++) fprintf(f, "\n%s", col[i] ? col[i] : "");
  fclose(f);
}

/* Copies of sleep_ml that are not coherent fits, as the store must refuse
 * them: name suffix, options, fit. */
static const char *const incoherent_sql =
  "WITH ks(k) AS (VALUES ('theta'), ('options'), ('vcov'), ('nul'), ('method'), ('row'), ('estimate'), ('sigma'), "
  "('deep')) SELECT 'sleep_ml-' || k, data, formula, random, CASE k WHEN 'options' THEN 'method=REML' ELSE options END, "
  "CASE k WHEN 'theta' THEN json_set(fit, '$.theta', json('[]')) WHEN 'vcov' THEN json_remove(fit, '$.vcov[1][0]') "
  "WHEN 'nul' THEN json_set(fit, '$.fixed[0]', 'a' || char(0) || 'b') WHEN 'method' THEN json_set(fit, '$.method', 'REML') "
  "WHEN 'row' THEN json_remove(fit, '$.rows[0][7]') WHEN 'estimate' THEN json_set(fit, '$.rows[1][3]', 99.5) "
  "WHEN 'sigma' THEN replace(fit, '\"sigma\",', '\"sigma\",-') WHEN 'deep' THEN json_set(fit, '$.rows[0][1]', "
  "json('[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]')) ELSE fit END FROM lmm_models, ks WHERE name = 'sleep_ml'";

/* The saved rows, and damaged copies of one, as seeds. */
static void write_seeds(sqlite3 *db, const char *dir) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT name, data, formula, random, options, fit FROM lmm_models", -1, &st, NULL)) return;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *col[NCOLS];
    for (int i = 0; i < NCOLS; i++) col[i] = (const char *)sqlite3_column_text(st, i + 1);
    const char *name = (const char *)sqlite3_column_text(st, 0);
    write_seed(dir, name, col);
    if (strcmp(name, "sleep_ml")) continue;
    const char *query = col[0];
    col[0] = "SELECT * FROM sleep WHERE fuzz_forbidden() IS NULL";
    write_seed(dir, "sleep_ml-forbidden", col);
    col[0] = "SELECT s.* FROM sleep AS s, json_each('[1]')";
    write_seed(dir, "sleep_ml-vtab", col);
    col[0] = query;
    col[4] = "{\"theta\":[1e999],\"fingerprint\":12,\"rows\":[[\"fit\",null,\"df\",1e300]],\"fixed\":[],\"vcov\":[[]]}";
    write_seed(dir, "sleep_ml-damaged", col);
  }
  sqlite3_finalize(st);
  if (sqlite3_prepare_v2(db, incoherent_sql, -1, &st, NULL)) {
    fprintf(stderr, "fuzz_store: %s\n", sqlite3_errmsg(db));
    return;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *col[NCOLS];
    for (int i = 0; i < NCOLS; i++) col[i] = (const char *)sqlite3_column_text(st, i + 1);
    write_seed(dir, (const char *)sqlite3_column_text(st, 0), col);
  }
  sqlite3_finalize(st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  debug = getenv("LMM_FUZZ_DEBUG") != NULL;
  sqlite3 *db = open_db();
  for (size_t i = 0; i < sizeof setup / sizeof *setup; i++)
    if (sqlite3_exec(db, setup[i], NULL, NULL, NULL) != SQLITE_OK) {
      fprintf(stderr, "fuzz_store: set-up failed: %s\n  %s\n", sqlite3_errmsg(db), setup[i]);
      abort();
    }
  if (getenv("LMM_FUZZ_SEEDS")) write_seeds(db, getenv("LMM_FUZZ_SEEDS"));
  template_content = content(db);
  template_db = sqlite3_serialize(db, "main", &template_size, 0);
  if (!template_db) abort();
  sqlite3_close(db);
  return 0;
}

/* Bind field f as the column type t. */
static void bind_as(sqlite3_stmt *st, int k, char t, const char *f) {
  switch (t) {
  case 'n': sqlite3_bind_null(st, k); break;
  case 'b': sqlite3_bind_blob(st, k, f, (int)strlen(f), SQLITE_STATIC); break;
  case 'i': sqlite3_bind_int64(st, k, strtoll(f, NULL, 10)); break;
  case 'r': sqlite3_bind_double(st, k, strtod(f, NULL)); break;
  default: sqlite3_bind_text(st, k, f, -1, SQLITE_STATIC);
  }
}

/* Run one reader to its end: success, or SQLITE_ERROR with a message. */
static void read_model(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  int rows = 0;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(st); c++) (void)sqlite3_column_text(st, c);
    rows++;
    rc = SQLITE_OK;
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  const char *msg = sqlite3_errmsg(db);
  if (debug) fprintf(stderr, "fuzz_store: %s: %d rows, %s\n", sql, rows, rc ? msg : "ok");
  if (rc != SQLITE_OK && (rc != SQLITE_ERROR || !msg || !msg[0])) {
    fprintf(stderr, "fuzz_store: %s: error %d (%s)\n", sql, rc, msg ? msg : "no message");
    abort();
  }
  sqlite3_finalize(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > STORE_MAX_LEN) return 0;
  size_t pos = 0;
  int more = 1;
  char *col[NCOLS + 1];
  for (int i = 0; i < NCOLS; i++) col[i] = more ? fuzz_field(data, size, &pos, &more) : strdup("");
  col[NCOLS] = malloc(size - pos + 1);   /* the fit: the rest */
  if (!col[NCOLS]) abort();
  memcpy(col[NCOLS], data + pos, size - pos);
  col[NCOLS][size - pos] = 0;

  sqlite3 *db = open_db();
  unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)template_size);
  if (!copy) abort();
  memcpy(copy, template_db, (size_t)template_size);
  if (sqlite3_deserialize(db, "main", copy, template_size, template_size,
                          SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
    abort();
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO lmm_models(name, data, formula, random, options, fit) VALUES('m', ?1, ?2, ?3, ?4, ?5)",
                         -1, &st, NULL) != SQLITE_OK)
    abort();
  size_t ntypes = strlen(col[0]);
  for (int i = 0; i < NCOLS; i++) bind_as(st, i + 1, (size_t)i < ntypes ? col[0][i] : 't', col[i + 1]);
  if (sqlite3_step(st) != SQLITE_DONE) abort();
  sqlite3_finalize(st);

  for (size_t i = 0; i < sizeof readers / sizeof *readers; i++) read_model(db, readers[i]);
  char *now = content(db);
  if (strcmp(now, template_content)) {
    fprintf(stderr, "fuzz_store: reading the row changed the database\n");
    abort();
  }
  free(now);
  sqlite3_close(db);
  for (int i = 0; i <= NCOLS; i++) free(col[i]);
  return 0;
}
