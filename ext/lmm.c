/* lmm.c — the extension's entry point: `.load build/lmm` in the sqlite3 shell
 * calls sqlite3_lmm_init, which routes core/ allocations through SQLite and
 * registers the functions. */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include <pthread.h>

#include "../core/alloc.h"
#include "lmm_agg.h"
#include "lmm_anova.h"
#include "lmm_variogram.h"
#include "lmm_augment.h"
#include "lmm_augment_sql.h"
#include "lmm_barplot.h"
#include "lmm_confint.h"
#include "lmm_bootstrap.h"
#include "lmm_fit.h"
#include "lmm_fit_stats.h"
#include "lmm_histogram.h"
#include "lmm_plot.h"
#include "lmm_predict.h"
#include "lmm_ranef.h"
#include "lmm_stats_sql.h"
#include "lmm_tidy.h"
#include "lmm_update.h"
#include "lmm_vcov.h"
#include "lmm_version.h"
#include "source.h"

static void *sq_malloc(size_t n) { return sqlite3_malloc64((sqlite3_uint64)n); }
static void *sq_realloc(void *p, size_t n) { return sqlite3_realloc64(p, (sqlite3_uint64)n); }
static void sq_free(void *p) { sqlite3_free(p); }
static size_t sq_heap_limit(void) {
  sqlite3_int64 limit = sqlite3_hard_heap_limit64(-1);
  return limit > 0 ? (size_t)limit : 0;
}
/* sqlite3Malloc refuses any block of 0x7fffff00 bytes or more (SQLite 3.42's
 * SQLITE_MAX_ALLOCATION_SIZE keeps that default): a header of its own and a
 * margin against overflow in the allocator it calls. */
enum { SQLITE_LARGEST_BLOCK = 0x7ffffeff };

/* Every load passes the same routines: the first load sets them and the
 * allocator, under a lock, so that no later load (another connection, on
 * another thread) writes what a running fit reads.  (Under SQLITE_CORE the
 * extension is linked into SQLite and calls it directly.) */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;

static int init_once(const sqlite3_api_routines *api) {
  (void)api;
  int ok = 1;
  pthread_mutex_lock(&init_lock);
  if (!initialized) {
    SQLITE_EXTENSION_INIT2(api);
    lmm_allocator a = {sq_malloc, sq_realloc, sq_free, SQLITE_LARGEST_BLOCK, sq_heap_limit};
    lmm_set_allocator(&a);
    initialized = 1;
  }
#ifndef SQLITE_CORE
  ok = sqlite3_api == api;
#endif
  pthread_mutex_unlock(&init_lock);
  return ok;
}

/* Whether this connection has lmm's functions already: lmm_version is
 * registered last, so it is there only when every other one is.  Asked only
 * when registering fails: a failed prepare leaves its error on the
 * connection, and sqlite3_open fails when an automatic extension leaves one. */
static int registered(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT lmm_version()", -1, &st, NULL);
  sqlite3_finalize(st);
  return rc == SQLITE_OK;
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_lmm_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api) {
  if (!init_once(api)) {
    /* the allocator and every call already go to the first library; the
     * message belongs to this one */
    *errmsg = api->mprintf("lmm is already loaded by another SQLite library in this process");
    return SQLITE_ERROR;
  }
  static const lmm_tvf *const tvfs[] = {&lmm_fit_tvf, &lmm_tidy_tvf, &lmm_anova_tvf, &lmm_ranef_tvf,
                                        &lmm_augment_tvf, &lmm_vcov_tvf, &lmm_predict_tvf, &lmm_update_tvf, &lmm_confint_tvf,
                                        &lmm_bootstrap_tvf, &lmm_variogram_tvf, &lmm_stats_sql_tvf,
                                        &lmm_fit_stats_tvf, &lmm_augment_sql_tvf};
  int rc = lmm_source_register(db);
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof tvfs / sizeof *tvfs; i++) rc = lmm_register_tvf(db, tvfs[i]);
  if (rc == SQLITE_OK) rc = lmm_register_agg(db);
  if (rc == SQLITE_OK) rc = lmm_register_plot(db);
  if (rc == SQLITE_OK) rc = lmm_register_histogram(db);
  if (rc == SQLITE_OK) rc = lmm_register_barplot(db);
  if (rc == SQLITE_OK) rc = lmm_register_version(db);
  /* A second load: replacing a function while any statement runs is
   * refused (SQLITE_BUSY), and `SELECT load_extension(...)` is one; lmm is
   * there already, and stays. */
  if (rc == SQLITE_BUSY && registered(db)) return SQLITE_OK;
  if (rc != SQLITE_OK)
    *errmsg = sqlite3_mprintf("lmm: registering its functions failed: %s", sqlite3_errmsg(db));
  return rc;
}
