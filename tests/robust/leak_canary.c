/* leak_canary.c — a SQLite extension that leaks on purpose, for tests/robust/sanitize.sh:
 * SELECT lmm_leak_canary() leaks 4321 bytes through sqlite3_malloc64 and 1234 bytes through
 * malloc, a few calls deep, as lmm's own code would.  LeakSanitizer, with the suppressions
 * of tests/robust/lsan.supp, must report exactly these 2 blocks: the proof that the
 * suppressions for CPython's own leaks hide nothing of an extension's. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdlib.h>

static void *volatile sink;

__attribute__((noinline)) static void *alloc_deep(int depth, int through_sqlite) {
  if (depth > 0) {
    void *p = alloc_deep(depth - 1, through_sqlite);
    sink = NULL;
    return p;
  }
  return through_sqlite ? sqlite3_malloc64(4321) : malloc(1234);
}

static void canary(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sink = alloc_deep(3, 1);
  sink = alloc_deep(3, 0);
  sink = NULL;
  sqlite3_result_int(ctx, 2);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_leakcanary_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api) {
  (void)errmsg;
  SQLITE_EXTENSION_INIT2(api);
  return sqlite3_create_function(db, "lmm_leak_canary", 0, SQLITE_UTF8, NULL, canary, NULL, NULL);
}
