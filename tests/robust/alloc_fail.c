/* alloc_fail.c — every allocation of a statement fails in turn.
 *
 *   build/asan/alloc_fail build/asan/lmm.so build/data.db [CASE...]
 *
 * SQLite's allocator is wrapped (SQLITE_CONFIG_MALLOC, before
 * sqlite3_initialize) by one that counts the calls and can make the k-th fail:
 * core/ allocates through sqlite3_malloc64 too, so the wrapper sees every
 * allocation of the extension and of SQLite.  For each statement below and
 * each k from 1 until the statement no longer reaches a k-th allocation, in
 * two modes (only the k-th fails; the k-th and all after it fail), on a fresh
 * copy of the same database:
 *   - the statement fails with SQLITE_NOMEM (not SQLITE_ERROR, whatever its
 *     message: a caller may retry the one, not the other), or (when SQLite
 *     absorbed the failure) gives the right rows;
 *   - the database is as it was, or as the good run left it (a save is all
 *     or nothing: lmm_fit saves before it returns rows, so a failure while
 *     returning them keeps the save), and no transaction is left open;
 *   - the connection closes (no statement left open) and every block
 *     allocated since the copy was made is freed again;
 * and, run against the ASan build, nothing reads or frees what it should not.
 * Prints one line per statement and then 'N passed, N failed'. */
#include "testdb.h"

#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the failing allocator ---------------------------------------------- */

static sqlite3_mem_methods host;
static long long calls;       /* allocation calls since armed */
static long long fail_at;     /* 0: disarmed */
static int fail_after;        /* every call from fail_at on fails */
static int failed;            /* a call failed since armed */
static long long live;        /* blocks allocated and not freed */

static int should_fail(void) {
  if (!fail_at) return 0;
  calls++;
  if (calls == fail_at || (fail_after && calls > fail_at)) { failed = 1; return 1; }
  return 0;
}

static void *counting_malloc(int n) {
  if (should_fail()) return NULL;
  void *p = host.xMalloc(n);
  if (p) live++;
  return p;
}

static void counting_free(void *p) {
  if (p) live--;
  host.xFree(p);
}

static void *counting_realloc(void *p, int n) {
  if (should_fail()) return NULL;
  return host.xRealloc(p, n);
}

static void arm(long long k, int after) { calls = 0; failed = 0; fail_at = k; fail_after = after; }
static int disarm(void) { fail_at = 0; return failed; }

static int install_allocator(void) {
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &host) != SQLITE_OK) return 1;
  sqlite3_mem_methods m = host;
  m.xMalloc = counting_malloc;
  m.xFree = counting_free;
  m.xRealloc = counting_realloc;
  /* no lookaside: SQLite's small allocations go through the wrapper too */
  return sqlite3_config(SQLITE_CONFIG_MALLOC, &m) || sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) ||
         sqlite3_initialize();
}

/* ---- the statements ----------------------------------------------------- */

typedef struct alloc_case {
  const char *name;
  int with_models;   /* run on the database holding the saved models below */
  const char *sql;
} alloc_case;

static const char *const tables[] = {"sleepstudy", "dyestuff", "arabidopsis", NULL};

/* The models the statements on saved fits read. */
static const char *const saved_models[] = {
  "SELECT count(*) FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)', NULL, 'save=sl')",
  "SELECT count(*) FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)', NULL, 'method=ML, save=sl_ml')",
  "SELECT count(*) FROM lmm_fit('sleepstudy', 'Reaction ~ Days', '1|Subject', 'method=ML, save=sl_int')",
  "SELECT count(*) FROM lmm_fit('sleepstudy', 'Reaction ~ Days', NULL, 'save=sl_lm')",
  "SELECT count(*) FROM lmm_fit('SELECT Reaction, Days, Subject, CASE WHEN Days > 4 THEN ''late'' ELSE ''early'' END "
  "AS half FROM sleepstudy', 'Reaction ~ Days * half + (1|Subject)', NULL, 'contrasts=sum, save=sl_half')",
  "SELECT count(*) FROM lmm_fit('SELECT Reaction, Days, lower(Subject) AS Subject FROM sleepstudy WHERE Days < 9', "
  "'Reaction ~ Days + (1|Subject)', NULL, 'save=sl_query')",
  "SELECT count(*) FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 5', 'Reaction ~ Days', '1|Subject', "
  "'weights=varExp(form = ~ Days, fixed = 0.1), correlation=corAR1(0.5, form = ~ 1 | Subject, fixed = TRUE), save=sl_st')",
  /* the statistics of Reaction ~ Days + (Days|Subject) as lmm_stats_sql's sqlite queries make them (stats.h) */
  "CREATE TABLE ss_center AS SELECT count(*) AS n_all, avg(Days) AS c_1, avg(Reaction) AS c_2, max(abs(Days)) AS mx_0, "
  "max(abs(Reaction)) AS mx_y FROM sleepstudy",
  "CREATE TABLE ss_groups AS SELECT Subject, 0 AS part, count(*) AS n, sum(Days - c_1) AS s_0_1, sum(Reaction - c_2) AS s_0_2, "
  "sum((Days - c_1) * (Days - c_1)) AS s_1_1, sum((Days - c_1) * (Reaction - c_2)) AS s_1_2, "
  "sum((Reaction - c_2) * (Reaction - c_2)) AS s_2_2 FROM sleepstudy, ss_center GROUP BY Subject",
  "SELECT count(*) FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 5', 'Reaction ~ Days', '1|Subject', "
  "'correlation=corAR1(form = ~ 1 | Subject), save=sl_ar')",
  "SELECT count(*) FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 5', 'Reaction ~ Days', NULL, "
  "'correlation=corAR1(form = ~ 1 | Subject), save=sl_gar')",
  NULL,
};

static const alloc_case cases[] = {
  {"fit_lme4", 0, "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)')"},
  {"fit_nested", 0, "SELECT * FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ amd', '1|popu/gen', 'method=ML')"},
  {"fit_lm", 0, "SELECT * FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 8', 'log(Reaction) ~ Days + Subject')"},
  {"fit_factors", 0, "SELECT * FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ relevel(factor(status, levels = "
   "c(''Normal'', ''Petri.Plate'')), ''Petri.Plate'') * C(amd, contr.helmert) + ordered(nutrient) + rack', NULL, "
   "'contrasts=sum')"},
  {"fit_save_new", 0, "SELECT * FROM lmm_fit('dyestuff', 'Yield ~ 1', '1|Batch', 'method=ML, save=dy')"},
  {"fit_save_replace", 1, "SELECT * FROM lmm_fit('dyestuff', 'Yield ~ 1', '1|Batch', 'save=sl')"},
  {"anova", 1, "SELECT * FROM lmm_anova('sl_int, sl_ml')"},
  {"anova_terms_type3", 1, "SELECT * FROM lmm_anova('sl_half')"},
  {"anova_terms_type2", 1, "SELECT * FROM lmm_anova('sl_half', 'type=2')"},
  {"anova_terms_nlme", 1, "SELECT * FROM lmm_anova('sl_int', 'type=marginal')"},
  {"anova_terms_lm", 1, "SELECT * FROM lmm_anova('sl_lm')"},
  {"anova_contrast", 1, "SELECT * FROM lmm_anova('sl_half', 'L=0 1 0 0; 0 0 1 -1')"},
  {"anova_contrast_nlme", 1, "SELECT * FROM lmm_anova('sl_int', 'L=1 0; 0 1')"},
  {"ranef", 1, "SELECT * FROM lmm_ranef('sl')"},
  {"augment", 1, "SELECT * FROM lmm_augment('sl')"},
  {"ranef_query", 1, "SELECT * FROM lmm_ranef('sl_query')"},
  {"augment_lm", 1, "SELECT * FROM lmm_augment('sl_lm')"},
  {"predict", 1, "SELECT * FROM lmm_predict('sl', 'SELECT * FROM sleepstudy WHERE Days > 6')"},
  {"vcov", 1, "SELECT * FROM lmm_vcov('sl')"},
  {"tidy", 1, "SELECT * FROM lmm_tidy('sl_int')"},
  {"confint_wald", 1, "SELECT * FROM lmm_confint('sl', 'wald')"},
  {"confint_intervals", 1, "SELECT * FROM lmm_confint('sl_int', 'intervals', 'level=0.9')"},
  {"fit_dot", 0, "SELECT * FROM lmm_fit('SELECT Subject, Reaction, Days FROM sleepstudy', 'log(Reaction) ~ . + (1|Subject)')"},
  {"fit_kenward_roger", 0, "SELECT * FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ amd + (amd|popu) + (1|popu:gen)', "
   "NULL, 'df=kenward-roger, save=kr')"},
  {"update_save", 1, "SELECT * FROM lmm_update('sl_ml', 'log(.) ~ . - (Days|Subject) + (1|Subject)', NULL, 'save=sl_up')"},
  {"update_options", 1, "SELECT * FROM lmm_update('sl_int', NULL, 'Days|Subject', 'method=REML')"},
  {"fit_gls_structure", 0, "SELECT * FROM lmm_fit('SELECT Reaction, Days, Days > 4 AS late, Subject FROM sleepstudy', "
   "'Reaction ~ Days', NULL, 'weights=varIdent(form = ~ 1 | late), correlation=corAR1(form = ~ 1 | Subject)')"},
  {"fit_lme_structure", 0, "SELECT * FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 5', 'Reaction ~ Days', "
   "'1|Subject', 'weights=varExp(form = ~ Days, fixed = 0.1), correlation=corAR1(0.5, form = ~ 1 | Subject, fixed = TRUE)')"},
  {"fit_lme_structure_sums", 0, "SELECT * FROM lmm_fit('SELECT Reaction, Days, Days > 4 AS late, Subject FROM sleepstudy', "
   "'Reaction ~ Days', '1|Subject', 'weights=varIdent(form = ~ 1 | late), correlation=corAR1(form = ~ 1 | Subject)')"},
  /* the generic refill, which allocates at every evaluation: out of memory there is SQLITE_NOMEM, not "interrupted" */
  {"fit_lme_structure_joint", 0, "SELECT * FROM lmm_fit('SELECT * FROM sleepstudy WHERE Days < 5', 'Reaction ~ Days', "
   "'1|Subject', 'correlation=corCompSymm(form = ~ 1 | Subject)')"},
  {"bootstrap", 1, "SELECT * FROM lmm_bootstrap('sl_ml', 'nsim=2, threads=1')"},
  {"bootstrap_threads", 1, "SELECT * FROM lmm_bootstrap('sl_ml', 'nsim=4, threads=2')"},
  {"anova_bootstrap", 1, "SELECT * FROM lmm_anova('sl_int, sl_ml', 'test=bootstrap, nsim=2, threads=1')"},
  {"augment_structure", 1, "SELECT * FROM lmm_augment('sl_st')"},
  {"variogram", 1, "SELECT * FROM lmm_variogram('sl_st', 'form=~ Days, resType=normalized')"},
  {"fit_structure_options", 0, "SELECT * FROM lmm_fit('SELECT Reaction, Days, Days > 4 AS late, Subject FROM sleepstudy "
   "WHERE Days < 7', 'Reaction ~ Days', NULL, 'weights=varComb(varIdent(form = ~ 1 | late, fixed = c(\"1\" = 1.2)), "
   "varExp(form = ~ Days | late)), correlation=corCompSymm(form = ~ 1 | Subject/late)')"},
  {"fit_varident_value", 0, "SELECT * FROM lmm_fit('SELECT Reaction, Days, Days % 3 AS d3 FROM sleepstudy', "
   "'Reaction ~ Days', NULL, 'weights=varIdent(value = c(\"2\" = 1.2, \"0\" = 0.9), form = ~ 1 | d3)')"},
  {"variogram_options", 1, "SELECT * FROM lmm_variogram('sl_st', 'form=~ Days, breaks=c(1, 2, 3), robust=TRUE')"},
  {"variogram_none", 1, "SELECT * FROM lmm_variogram('sl_st', 'collapse=none, resType=response')"},
  {"anova_terms_structure", 1, "SELECT * FROM lmm_anova('sl_ar', 'type=marginal')"},
  {"confint_structure", 1, "SELECT * FROM lmm_confint('sl_gar', 'intervals')"},
  {"bootstrap_structure", 1, "SELECT * FROM lmm_bootstrap('sl_ar', 'nsim=2, threads=1')"},
  {"plot_structure", 1, "SELECT lmm_plot('sl_ar', 'resid_fitted')"},
  {"agg", 0,
   "SELECT g.late, t.* FROM (SELECT Days > 4 AS late, lmm_agg('Reaction ~ Days', '1|Subject', 'method=ML', "
   "'Reaction', Reaction, 'Days', Days, 'Subject', Subject) AS fit FROM sleepstudy GROUP BY 1) AS g, lmm_tidy(g.fit) AS t"},
  {"plot_qq", 1, "SELECT lmm_plot('sl, sl_lm', 'qq')"},
  {"plot_diagnostics", 1, "SELECT lmm_plot('sl_lm', 'diagnostics')"},
  {"plot_ranef", 1, "SELECT lmm_plot('sl', 'ranef', 'interval=0.95')"},
  {"plot_coef_ic", 1, "SELECT lmm_plot('sl_int, sl_ml', 'coef'), lmm_plot('sl_int, sl_ml', 'ic')"},
  {"stats_sql", 0, "SELECT * FROM lmm_stats_sql('sleepstudy', 'log(Reaction) ~ Days * factor(Subject) + (Days|Subject)', NULL, "
   "NULL, 'clickhouse')"},
  {"fit_stats", 1, "SELECT * FROM lmm_fit_stats('ss', 'Reaction ~ Days + (Days|Subject)', NULL, 'save=ss_m')"},
  {"fit_stats_lm", 1, "SELECT * FROM lmm_fit_stats('ss', 'Reaction ~ Days')"},
  {"augment_sql", 1, "SELECT a.sql, b.sql FROM lmm_augment_sql('sl_half') AS a, "
   "lmm_augment_sql('sl', 'sleepstudy', 'clickhouse') AS b"},
  {"histogram_barplot", 0, "SELECT lmm_histogram(Reaction, 'title=x'), lmm_barplot(Subject) FROM sleepstudy"},
};

/* ---- the run ------------------------------------------------------------ */

static const char *current_case = "start-up";
static long long current_k;
static int current_after;

/* Say where a sanitizer report came from. */
static void on_death(void) {
  fprintf(stderr, "alloc-fail: died in case %s with allocation %lld failing%s\n", current_case, current_k,
          current_after ? " and all after it" : "");
}

typedef struct expected {
  uint64_t rows, before, after;   /* rows of the statement; database content before and after it */
  int nrows;
  long long ncalls;               /* allocation calls of one good run */
} expected;

/* One run of c with allocation k failing (k = 0: none); returns 0 when every
 * check holds, and *reached says whether the k-th allocation happened. */
static int run_once(const alloc_case *c, sqlite3 *template, const expected *want, long long k, int after, int *reached) {
  current_k = k;
  current_after = after;
  long long live0 = live;
  sqlite3 *db = testdb_copy(template);
  if (!db) { fprintf(stderr, "%s: cannot copy the database\n", c->name); return 1; }
  uint64_t rows = 0;
  int nrows = 0, bad = 0;
  char msg[512] = "";
  arm(k ? k : -1, after);
  int rc = testdb_run(db, c->sql, &rows, &nrows, msg, sizeof msg);
  *reached = disarm();
  uint64_t content = testdb_content(db);
  if (rc == SQLITE_OK) {
    if (rows != want->rows || nrows != want->nrows || content != want->after) {
      fprintf(stderr, "%s: allocation %lld failed%s, the statement succeeded with other rows (%d, want %d) or another database\n",
              c->name, k, after ? " and all after it" : "", nrows, want->nrows);
      bad = 1;
    }
  } else {
    if ((rc & 0xff) != SQLITE_NOMEM) {
      fprintf(stderr, "%s: allocation %lld failed%s: error %d '%s' is not SQLITE_NOMEM\n", c->name, k,
              after ? " and all after it" : "", rc, msg);
      bad = 1;
    }
    if (!*reached) { fprintf(stderr, "%s: error '%s' without a failed allocation\n", c->name, msg); bad = 1; }
    /* all or nothing: a save that was done before the statement failed
     * (while returning its rows) is the whole save */
    if (content != want->before && content != want->after) {
      fprintf(stderr, "%s: allocation %lld failed%s: the statement failed ('%s') and left the database half changed\n",
              c->name, k, after ? " and all after it" : "", msg);
      bad = 1;
    }
  }
  if (!sqlite3_get_autocommit(db)) {
    fprintf(stderr, "%s: allocation %lld failed%s: the statement left a transaction open\n", c->name, k,
            after ? " and all after it" : "");
    bad = 1;
  }
  int crc = sqlite3_close(db);
  if (crc != SQLITE_OK) {
    fprintf(stderr, "%s: allocation %lld failed%s: the connection does not close: %s\n", c->name, k,
            after ? " and all after it" : "", sqlite3_errstr(crc));
    sqlite3_close_v2(db);
    bad = 1;
  }
  if (live != live0) {
    fprintf(stderr, "%s: allocation %lld failed%s: %lld blocks not freed\n", c->name, k, after ? " and all after it" : "",
            live - live0);
    bad = 1;
  }
  return bad;
}

/* All runs of one statement; returns the number of failed checks. */
static int run_case(const alloc_case *c, sqlite3 *template) {
  current_case = c->name;
  expected want = {0};
  char msg[512] = "";
  sqlite3 *db = testdb_copy(template);
  if (!db) return 1;
  want.before = testdb_content(db);
  arm(-1, 0);   /* never reached: counts the calls */
  int rc = testdb_run(db, c->sql, &want.rows, &want.nrows, msg, sizeof msg);
  want.ncalls = calls;
  disarm();
  want.after = testdb_content(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK) { fprintf(stderr, "%s: fails without any failing allocation: %s\n", c->name, msg); return 1; }
  int bad = 0;
  long long runs = 0;
  for (int after = 0; after < 2; after++) {
    int reached = 1;
    for (long long k = 1; reached && bad < 5; k++, runs++) bad += run_once(c, template, &want, k, after, &reached);
  }
  printf("alloc-fail %-17s %6lld allocations, %6lld runs: %s\n", c->name, want.ncalls, runs, bad ? "FAILED" : "ok");
  fflush(stdout);
  return bad;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s EXTENSION DATA.db [CASE...]\n", argv[0]); return 2; }
  __sanitizer_set_death_callback(on_death);
  if (install_allocator()) { fprintf(stderr, "cannot install the counting allocator\n"); return 2; }
  if (testdb_use_extension(argv[1])) return 2;
  sqlite3 *plain = testdb_from_file(argv[2], tables);
  sqlite3 *models = plain ? testdb_copy(plain) : NULL;
  for (int i = 0; models && saved_models[i]; i++)
    if (testdb_exec(models, saved_models[i])) return 2;
  if (!models) return 2;
  int passed = 0, nfailed = 0;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int wanted = argc == 3;
    for (int a = 3; a < argc; a++) wanted |= !strcmp(argv[a], cases[i].name);
    if (!wanted) continue;
    if (run_case(&cases[i], cases[i].with_models ? models : plain)) nfailed++;
    else passed++;
  }
  sqlite3_close(plain);
  sqlite3_close(models);
  printf("%d passed, %d failed\n", passed, nfailed);
  return nfailed != 0;
}
