/* gen_ml.c — MovieLens-shaped ratings for the benchmark, written through the sqlite3 API.
 *
 *   gen_ml ROWS OUT.db [USERS ITEMS]
 *
 * Crossed intercepts  y ~ 1 + (1 | user) + (1 | item), with the shape of MovieLens 1M (6,040 users,
 * 3,706 items, 1,000,209 ratings, the default): every user and every item has at least one rating, and
 * activity is heavy-tailed on both sides, as in the real data (its most active user rated 2,314
 * movies, the median one 96; its most rated movie has 3,428 ratings, the median one 123).
 *   activity          user weight exp(0.75 z), item weight exp(0.95 z), z ~ N(0, 1); a row draws its
 *                     user and its item in proportion to their weights; the first USERS + ITEMS rows
 *                     go to each user and each item once, so none is left without a rating
 *                     (at 1M rows: users 8 to 2,849 ratings, median 124; items 8 to 5,476, median 172)
 *   fixed effect      (Intercept) 3.6
 *   user              intercept sd 0.4
 *   item              intercept sd 0.5
 *   residual          sd 0.9 (y is not rounded to whole stars: the model is the one fitted)
 * Everything comes from one splitmix64 stream with a fixed seed, so the same arguments always give the
 * same table.  Writes table ml(y REAL, user INTEGER, item INTEGER) and a one-row table
 * ml_meta(rows, users, items, seed).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>

#define SEED 20261202u

#include "rng.h"

/* cum[0..n-1]: the running sums of exp(sd z), normalized to end at 1. */
static void weights(double *cum, long n, double sd) {
  double s = 0;
  for (long i = 0; i < n; i++) cum[i] = s += exp(sd * normal());
  for (long i = 0; i < n; i++) cum[i] /= s;
}

/* The first i with u <= cum[i]. */
static long draw(const double *cum, long n, double u) {
  long lo = 0, hi = n - 1;
  while (lo < hi) {
    long mid = (lo + hi) / 2;
    if (u <= cum[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "gen_ml: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, sql);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 5) { fprintf(stderr, "usage: gen_ml ROWS OUT.db [USERS ITEMS]\n"); return 2; }
  long rows = atol(argv[1]), users = argc == 5 ? atol(argv[3]) : 6040, items = argc == 5 ? atol(argv[4]) : 3706;
  if (users < 2 || items < 2 || rows < users + items) {
    fprintf(stderr, "gen_ml: need USERS >= 2, ITEMS >= 2 and ROWS >= USERS + ITEMS\n");
    return 2;
  }
  const double beta0 = 3.6, sd_user = 0.4, sd_item = 0.5, sd_resid = 0.9;
  double *ucum = malloc(users * sizeof *ucum), *icum = malloc(items * sizeof *icum);
  double *u = malloc(users * sizeof *u), *v = malloc(items * sizeof *v);
  if (!ucum || !icum || !u || !v) { fprintf(stderr, "gen_ml: out of memory\n"); return 1; }
  weights(ucum, users, 0.75);
  weights(icum, items, 0.95);
  for (long i = 0; i < users; i++) u[i] = sd_user * normal();
  for (long j = 0; j < items; j++) v[j] = sd_item * normal();

  sqlite3 *db;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) die(db, "open");
  exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
           "DROP TABLE IF EXISTS ml; DROP TABLE IF EXISTS ml_meta;"
           "CREATE TABLE ml(y REAL, user INTEGER, item INTEGER);"
           "CREATE TABLE ml_meta(rows INTEGER, users INTEGER, items INTEGER, seed INTEGER);"
           "BEGIN");
  sqlite3_stmt *ins;
  if (sqlite3_prepare_v2(db, "INSERT INTO ml VALUES (?1, ?2, ?3)", -1, &ins, NULL) != SQLITE_OK) die(db, "prepare");
  for (long r = 0; r < rows; r++) {
    /* the first rows give each user, then each item, one rating; the rest follow the weights */
    long i = r < users ? r : draw(ucum, users, unif());
    long j = r >= users && r < users + items ? r - users : draw(icum, items, unif());
    sqlite3_bind_double(ins, 1, beta0 + u[i] + v[j] + sd_resid * normal());
    sqlite3_bind_int64(ins, 2, i + 1);
    sqlite3_bind_int64(ins, 3, j + 1);
    if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  char meta[200];
  snprintf(meta, sizeof meta, "INSERT INTO ml_meta VALUES (%ld, %ld, %ld, %u); COMMIT", rows, users, items, SEED);
  exec(db, meta);
  if (sqlite3_close(db) != SQLITE_OK) die(db, "close");
  free(ucum); free(icum); free(u); free(v);
  return 0;
}
