/* lmm.c — the extension's entry point: `.load build/lmm` in the sqlite3 shell
 * calls sqlite3_lmm_init, which routes core/ allocations through SQLite and
 * registers the functions. */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include <pthread.h>

#include "../core/alloc.h"
#include "agg.h"
#include "fit_vtab.h"
#include "tvfs.h"

static void *sq_malloc(size_t n) { return sqlite3_malloc64((sqlite3_uint64)n); }
static void *sq_realloc(void *p, size_t n) { return sqlite3_realloc64(p, (sqlite3_uint64)n); }
static void sq_free(void *p) { sqlite3_free(p); }

static pthread_once_t allocator_once = PTHREAD_ONCE_INIT;
static void use_sqlite_allocator(void) {
  lmm_allocator a = {sq_malloc, sq_realloc, sq_free};
  lmm_set_allocator(&a);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_lmm_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api) {
  (void)errmsg;
  SQLITE_EXTENSION_INIT2(api);
  pthread_once(&allocator_once, use_sqlite_allocator);
  static const lmm_tvf *const tvfs[] = {&lmm_tidy_tvf, &lmm_anova_tvf, &lmm_ranef_tvf, &lmm_augment_tvf,
                                        &lmm_vcov_tvf, &lmm_predict_tvf};
  int rc = lmm_register_fit(db);
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof tvfs / sizeof *tvfs; i++) rc = lmm_register_tvf(db, tvfs[i]);
  if (rc == SQLITE_OK) rc = lmm_register_agg(db);
  return rc;
}
