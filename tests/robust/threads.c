/* threads.c — two connections fitting at once get, bit for bit, what each
 * gets alone.
 *
 *   build/threads build/lmm.so build/data.db [ROUNDS]
 *
 * Each of two lists of statements (different models: nested, crossed,
 * random slopes, least squares, saved models and the functions that read
 * them, lmm_agg, data large enough for the frame's second thread, and
 * crossed terms whose dense tail is factored in parts) is
 * first run alone, on a fresh copy of the data, for the rows it returns
 * (exact bits).  Then two threads, each with its own
 * connection (the extension initialised on both at the same moment), run
 * their list ROUNDS times side by side, and every statement must return the
 * same rows again.  Run against a ThreadSanitizer build of the extension it
 * also checks that nothing they share is touched without synchronisation.
 * Prints 'N passed, N failed'. */
#include "testdb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const tables[] = {"sleepstudy", "arabidopsis", "dyestuff", "penicillin", "orthodont", "pastes", "mathach", NULL};

static const char *const first[] = {
  "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days|Subject)')",
  "SELECT * FROM lmm_fit('arabidopsis', 'log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status', "
  "'1|popu/gen', 'method=ML, save=a6')",
  "SELECT * FROM lmm_ranef('a6')",
  "SELECT * FROM lmm_augment('a6')",
  "SELECT * FROM lmm_fit('dyestuff', 'Yield ~ 1 + (1|Batch)', NULL, 'method=ML')",
  "SELECT * FROM lmm_fit('sleepstudy', 'log(Reaction) ~ Days * Subject')",
  /* 7,185 rows: more than a batch, so the frame is built on the feed's second thread */
  "SELECT * FROM lmm_fit('mathach', 'MathAch ~ SES + Sector + (SES|School)')",
  /* crossed, 460 levels after 700: a dense tail factored in parts (dense_chol.c), as the other list's is */
  "SELECT * FROM lmm_fit('SELECT MathAch, SES, rowid % 700 AS a, (rowid / 7) % 460 AS b FROM mathach', "
  "'MathAch ~ SES + (1|a) + (1|b)')",
  NULL,
};

static const char *const second[] = {
  "SELECT * FROM lmm_fit('penicillin', 'diameter ~ 1 + (1|plate) + (1|sample)')",
  "SELECT * FROM lmm_fit('orthodont', 'distance ~ age + Sex', 'age|Subject', 'method=ML, save=o1')",
  "SELECT * FROM lmm_predict('o1', 'orthodont')",
  "SELECT * FROM lmm_vcov('o1')",
  "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days + (Days||Subject)')",
  "SELECT * FROM lmm_fit('pastes', 'strength ~ 1 + (1|batch/cask)')",
  "SELECT g.reg, t.* FROM (SELECT reg, lmm_agg('log(1 + total_fruits) ~ amd', '1|popu', 'method=ML', "
  "'total_fruits', total_fruits, 'amd', amd, 'popu', popu) AS fit FROM arabidopsis GROUP BY reg) AS g, lmm_tidy(g.fit) AS t",
  "SELECT * FROM lmm_fit('SELECT MathAch, SES, Sector, rowid % 650 AS a, (rowid / 5) % 480 AS b FROM mathach', "
  "'MathAch ~ SES + Sector + (1|a) + (1|b)')",
  NULL,
};

enum { MAX_STATEMENTS = 16 };

typedef struct worker {
  const char *name;
  const char *const *sql;
  const char *datafile;
  int rounds;
  uint64_t want[MAX_STATEMENTS];
  int want_rows[MAX_STATEMENTS];
  int passed, failed;
  pthread_barrier_t *start;
  pthread_t thread;
} worker;

/* Run the worker's list once on db; against its answers unless learn. */
static void run_list(worker *w, sqlite3 *db, int learn) {
  for (int i = 0; w->sql[i]; i++) {
    uint64_t rows = 0;
    int nrows = 0;
    char msg[512] = "";
    int rc = testdb_run(db, w->sql[i], &rows, &nrows, msg, sizeof msg);
    if (rc != SQLITE_OK) {
      fprintf(stderr, "%s: statement %d failed: %s\n  %s\n", w->name, i + 1, msg, w->sql[i]);
      w->failed++;
    } else if (learn) {
      w->want[i] = rows;
      w->want_rows[i] = nrows;
    } else if (rows != w->want[i] || nrows != w->want_rows[i]) {
      fprintf(stderr, "%s: statement %d returned other rows than alone (%d rows, alone %d)\n  %s\n", w->name, i + 1,
              nrows, w->want_rows[i], w->sql[i]);
      w->failed++;
    } else {
      w->passed++;
    }
  }
}

/* A fresh copy of the data with the extension on it, or NULL (counted as a failure). */
static sqlite3 *open_copy(worker *w) {
  sqlite3 *db = testdb_from_file(w->datafile, tables);
  if (!db) w->failed++;
  return db;
}

static void *work(void *arg) {
  worker *w = arg;
  sqlite3 *db = open_copy(w);
  pthread_barrier_wait(w->start);   /* both fit from here on, side by side */
  for (int r = 0; db && r < w->rounds; r++) run_list(w, db, 0);
  sqlite3_close(db);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s EXTENSION DATA.db [ROUNDS]\n", argv[0]); return 2; }
  int rounds = argc > 3 ? atoi(argv[3]) : 3;
  if (testdb_use_extension(argv[1])) return 2;
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, 2);
  worker w[2] = {{"first connection", first, argv[2], rounds, {0}, {0}, 0, 0, &start, 0},
                 {"second connection", second, argv[2], rounds, {0}, {0}, 0, 0, &start, 0}};
  for (int k = 0; k < 2; k++) {   /* alone */
    sqlite3 *db = open_copy(&w[k]);
    if (db) run_list(&w[k], db, 1);
    sqlite3_close(db);
    if (w[k].failed) return 1;
  }
  for (int k = 0; k < 2; k++)
    if (pthread_create(&w[k].thread, NULL, work, &w[k])) { fprintf(stderr, "cannot start a thread\n"); return 2; }
  for (int k = 0; k < 2; k++) pthread_join(w[k].thread, NULL);
  pthread_barrier_destroy(&start);
  int passed = 0, failed = 0;
  for (int k = 0; k < 2; k++) {
    printf("threads: %s: %d statements x %d rounds beside the other: %d as alone, %d not\n", w[k].name,
           w[k].passed + w[k].failed > 0 ? (w[k].passed + w[k].failed) / rounds : 0, rounds, w[k].passed, w[k].failed);
    passed += w[k].passed;
    failed += w[k].failed;
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
