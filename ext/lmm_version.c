/* lmm_version.c — lmm_version(): what this build of lmm is and runs with,
 * as sqlite-vec's vec_version() does:
 *
 *   SELECT lmm_version();
 *   lmm 0.1.0; SQLite 3.40.1 (built against 3.40.1); BLAS OpenBLAS 0.3.21 ... Haswell MAX_THREADS=64
 *
 * The SQLite it was built against is SQLITE_VERSION; the one it runs with,
 * sqlite3_libversion().  The BLAS is asked when it is OpenBLAS, whose calls
 * are weak so that another BLAS links too. */
#include "lmm_version.h"
SQLITE_EXTENSION_INIT3

#include "../core/model.h"

#pragma weak openblas_get_config
char *openblas_get_config(void);   /* names the core it runs on, under DYNAMIC_ARCH too */

static void version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argv;
  if (argc) {
    sqlite3_result_error(ctx, "lmm_version takes no arguments: SELECT lmm_version()", -1);
    return;
  }
  char *v = openblas_get_config
              ? sqlite3_mprintf("lmm %s; SQLite %s (built against %s); BLAS %s", LMM_VERSION, sqlite3_libversion(),
                                SQLITE_VERSION, openblas_get_config())
              : sqlite3_mprintf("lmm %s; SQLite %s (built against %s); BLAS not OpenBLAS (not named)", LMM_VERSION,
                                sqlite3_libversion(), SQLITE_VERSION);
  if (v) sqlite3_result_text(ctx, v, -1, sqlite3_free);
  else sqlite3_result_error_nomem(ctx);
}

/* Innocuous: it reads nothing and costs nothing, so a view may call it. */
int lmm_register_version(sqlite3 *db) {
  return sqlite3_create_function(db, "lmm_version", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                 version, NULL, NULL);
}
