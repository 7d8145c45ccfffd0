/* lmm_update.c — lmm_update(model, formula [, random [, options]]), an eponymous table-valued function:
 * a saved model's call made again with changes, as R's update(), on today's rows of its data:
 *
 *   SELECT * FROM lmm_update('lmm6.2', '. ~ . + factor(nutrient):amd', NULL, 'save=lmm8');
 *   SELECT * FROM lmm_update('lmm6', NULL, 'factor(nutrient)|popu/gen', 'save=lmm6.2');
 *   SELECT * FROM lmm_update('lmm6.2', NULL, NULL, 'method=REML');
 *
 * The formula's '.' stands for the old formula's sides (NULL is '. ~ .'; core/formula_dot.h); random NULL
 * keeps the saved one ('' drops it); the options given replace the saved ones key by key, and the saved
 * save= is never kept, so an update saves only under the name its own options give.  The rows are
 * lmm_fit's, made by lmm_fit_rows with the new call, which is what is saved. */
#include "lmm_update.h"
SQLITE_EXTENSION_INIT3

#include <ctype.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/formula_dot.h"
#include "lmm_fit.h"
#include "saved_query.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

enum { ARG_MODEL, ARG_FORMULA, ARG_RANDOM, ARG_OPTIONS, NARGS };
enum { CALL_DATA, CALL_FORMULA, CALL_RANDOM, CALL_OPTIONS };

/* An option's key in entry[0 .. n): the text before '=', blanks trimmed (the whole entry when it has none,
 * which lmm_fit then refuses with its message). */
static void option_key(const char *entry, size_t n, const char **key, size_t *len) {
  const char *eq = memchr(entry, '=', n), *end = eq ? eq : entry + n;
  while (entry < end && isspace((unsigned char)*entry)) entry++;
  while (end > entry && isspace((unsigned char)end[-1])) end--;
  *key = entry;
  *len = (size_t)(end - entry);
}

/* Whether the comma-separated options have an entry with this key. */
static int has_key(const char *options, const char *key, size_t len) {
  for (const char *p = options; p && *p;) {
    size_t n = strcspn(p, ",");
    const char *k;
    size_t klen;
    option_key(p, n, &k, &klen);
    if (klen == len && !sqlite3_strnicmp(k, key, (int)len)) return 1;
    p += n + (p[n] == ',');
  }
  return 0;
}

/* The saved options with the given ones over them, key by key, into *out (NULL when there are none):
 * "method=ML, save=lmm6" and "method=REML" make "method=REML". */
static int merge_options(const char *saved, const char *given, char **out) {
  sqlite3_str *s = sqlite3_str_new(NULL);
  for (const char *p = saved; p && *p;) {
    size_t n = strcspn(p, ",");
    const char *k;
    size_t klen;
    option_key(p, n, &k, &klen);
    int drop = !klen || (klen == 4 && !sqlite3_strnicmp(k, "save", 4)) || has_key(given, k, klen);
    if (!drop) sqlite3_str_appendf(s, "%s%.*s", sqlite3_str_length(s) ? ", " : "", (int)(p + n - k), k);
    p += n + (p[n] == ',');
  }
  if (given && given[strspn(given, " \t\r\n,")])
    sqlite3_str_appendf(s, "%s%s", sqlite3_str_length(s) ? ", " : "", given + strspn(given, " \t\r\n"));
  int rc = sqlite3_str_errcode(s), empty = !sqlite3_str_length(s);
  char *text = sqlite3_str_finish(s);
  if (rc != SQLITE_OK || empty) {
    sqlite3_free(text);
    text = NULL;
  }
  *out = text;
  return rc;
}

/* The saved formula with the new one's '.' standing for its sides, into *out (sqlite3_malloc'd). */
static int update_formula(const char *saved, const char *given, char **out, char **errmsg) {
  char *text = NULL;
  lmm_error err = {0};
  if (lmm_formula_update(saved, given ? given : ". ~ .", &text, &err)) return lmm_sql_error(errmsg, "lmm_update", &err);
  *out = sqlite3_mprintf("%s", text);
  lmm_free(text);
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

static int update_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *args[NARGS];
  for (int a = 0; a < NARGS; a++) {
    args[a] = argv[a] ? (const char *)sqlite3_value_text(argv[a]) : NULL;
    if (!args[a] && argv[a] && sqlite3_value_type(argv[a]) != SQLITE_NULL) return SQLITE_NOMEM;
  }
  char *saved[4] = {0}, *formula = NULL, *options = NULL;
  int rc = lmm_store_call(db, args[ARG_MODEL], saved, errmsg);
  if (rc == SQLITE_OK) rc = update_formula(saved[CALL_FORMULA], args[ARG_FORMULA], &formula, errmsg);
  if (rc == SQLITE_OK) rc = merge_options(saved[CALL_OPTIONS], args[ARG_OPTIONS], &options);
  /* the data query is the database's, as lmm_models is: it runs again only if a view could run it */
  if (rc == SQLITE_OK) rc = lmm_saved_query_check(db, saved[CALL_DATA], errmsg);
  if (rc == SQLITE_OK) {
    const char *random = argv[ARG_RANDOM] && args[ARG_RANDOM] ? args[ARG_RANDOM] : saved[CALL_RANDOM];
    const char *call[4] = {saved[CALL_DATA], formula, random, options};
    rc = lmm_fit_rows(db, "lmm_update", call, rows, errmsg);
  }
  if (rc != SQLITE_OK) lmm_source_error_in("lmm_update", errmsg);
  for (int i = 0; i < 4; i++) sqlite3_free(saved[i]);
  sqlite3_free(formula);
  sqlite3_free(options);
  return rc;
}

const lmm_tvf lmm_update_tvf = {
  .name = "lmm_update",
  .columns = "effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, p_value REAL",
  .args = "model HIDDEN, formula HIDDEN, random HIDDEN, options HIDDEN",
  .ncols = 8, .nargs = NARGS, .nrequired = 1,   /* the formula NULL or absent is '. ~ .' */
  .usage = "lmm_update needs a saved model: lmm_update(model [, formula [, random [, options]]]), "
           "formula NULL for '. ~ .'",
  .fill = update_fill,
  .text_args = (1 << NARGS) - 1,
  .cost = 1e6, .rows = 50,   /* a fit */
  .lazy = LMM_FIT_DF_COLUMNS,   /* its columns are lmm_fit's */
};
