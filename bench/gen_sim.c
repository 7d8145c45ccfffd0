/* gen_sim.c — the simulated data set of the benchmark, written through the sqlite3 API.
 *
 *   gen_sim ROWS OUT.db [RATERS [SHAPE]]
 *
 * Model  y ~ x + trt + (1 + x | school) + (1 | rater), with
 *   fixed effects     (Intercept) 10, x 0.5, trttreated 1.0
 *   school            intercept sd 1, slope (x) sd 0.3, correlation 0.2
 *   rater             intercept sd 0.5
 *   residual          sd 1
 * Sizes:  schools = max(2, round(ROWS / 50))              (about 50 rows per school)
 *         raters  = max(2, round(500 * sqrt(ROWS / 1e6))) (500 at 1M, 50 at 10k, 1581 at 10M),
 *                   or RATERS when given (make bench also fits 10M rows with 500 raters, the
 *                   1M data set's pool: more schools, the same raters)
 * Each row draws its school and rater uniformly, x ~ N(0, 1) and trt ("control" or
 * "treated") with probability 1/2.  Everything comes from one splitmix64 stream with a
 * fixed seed, so the same ROWS always gives the same table.  Writes table
 *   sim(y REAL, x REAL, trt TEXT, school INTEGER, rater INTEGER)   (school TEXT, rater TEXT with shape text)
 * and a one-row table sim_meta(rows, schools, raters, seed).
 *
 * SHAPE (RATERS 0: the default raters) is a comma-separated list of changes to the data: make bench
 * fits each against a bare scan of its own columns (all but rslope change how the data look, not the model).
 *   text     school and rater are TEXT ids "s00012" and "r00012" (zero-padded to 5 digits)
 *   trt3     trt has three levels, "control", "low" and "high" (each 1/3), effects 0, 0.5 and 1.0
 *   xunif    x ~ uniform(-sqrt 3, sqrt 3) (mean 0, sd 1)
 *   xskew    x = exp(z) - exp(1/2), z ~ N(0, 1) (lognormal, mean 0, skewness about 6)
 *   sorted   rows come in the order of school (school = row * schools / ROWS), raters still drawn
 *            at random; the default is rows in random order (every row draws its school)
 *   rslope   raters have a slope on x too, sd 0.2 (independent of their intercept): the data on which
 *            (1 + x | rater) has a positive slope variance, where on the default data it has none
 * The default shape (no SHAPE) draws exactly the numbers it drew before shapes existed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#define SEED 20241125u

#include "rng.h"

static long below(long n) { return (long)(unif() * n); }

struct shape { int text, trt3, xunif, xskew, sorted, rslope; };

static int parse_shape(const char *spec, struct shape *sh) {
  memset(sh, 0, sizeof *sh);
  char buf[200];
  snprintf(buf, sizeof buf, "%s", spec);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    if (!strcmp(tok, "text")) sh->text = 1;
    else if (!strcmp(tok, "trt3")) sh->trt3 = 1;
    else if (!strcmp(tok, "xunif")) sh->xunif = 1;
    else if (!strcmp(tok, "xskew")) sh->xskew = 1;
    else if (!strcmp(tok, "sorted")) sh->sorted = 1;
    else if (!strcmp(tok, "rslope")) sh->rslope = 1;
    else {
      fprintf(stderr, "gen_sim: unknown shape '%s' (use text, trt3, xunif, xskew, sorted, rslope)\n", tok);
      return 0;
    }
  }
  if (sh->xunif && sh->xskew) { fprintf(stderr, "gen_sim: xunif and xskew exclude each other\n"); return 0; }
  return 1;
}

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "gen_sim: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
  exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, sql);
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 5) { fprintf(stderr, "usage: gen_sim ROWS OUT.db [RATERS [SHAPE]]\n"); return 2; }
  long rows = atol(argv[1]);
  if (rows < 10) { fprintf(stderr, "gen_sim: ROWS must be at least 10\n"); return 2; }
  long raters = argc >= 4 ? atol(argv[3]) : 0;
  if (raters <= 0) raters = lround(500.0 * sqrt(rows / 1e6));
  long schools = lround(rows / 50.0);
  struct shape sh;
  if (!parse_shape(argc == 5 ? argv[4] : "", &sh)) return 2;
  if (schools < 2) schools = 2;
  if (raters < 2) raters = 2;

  const double beta0 = 10, beta_x = 0.5, beta_trt = 1.0;
  const double sd_int = 1, sd_slope = 0.3, rho = 0.2, sd_rater = 0.5, sd_rater_slope = 0.2, sd_resid = 1;

  /* random effects first, so a level's effect does not depend on the rows */
  double *b0 = malloc(schools * sizeof *b0), *b1 = malloc(schools * sizeof *b1);
  double *r = malloc(raters * sizeof *r), *r1 = calloc(raters, sizeof *r1);
  if (!b0 || !b1 || !r || !r1) { fprintf(stderr, "gen_sim: out of memory\n"); return 1; }
  for (long s = 0; s < schools; s++) {
    double z1 = normal(), z2 = normal();
    b0[s] = sd_int * z1;
    b1[s] = sd_slope * (rho * z1 + sqrt(1 - rho * rho) * z2);
  }
  for (long j = 0; j < raters; j++) r[j] = sd_rater * normal();
  if (sh.rslope)
    for (long j = 0; j < raters; j++) r1[j] = sd_rater_slope * normal();

  sqlite3 *db;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) die(db, "open");
  exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
           "DROP TABLE IF EXISTS sim; DROP TABLE IF EXISTS sim_meta;"
           "CREATE TABLE sim_meta(rows INTEGER, schools INTEGER, raters INTEGER, seed INTEGER);");
  exec(db, sh.text ? "CREATE TABLE sim(y REAL, x REAL, trt TEXT, school TEXT, rater TEXT); BEGIN"
                   : "CREATE TABLE sim(y REAL, x REAL, trt TEXT, school INTEGER, rater INTEGER); BEGIN");
  sqlite3_stmt *ins;
  if (sqlite3_prepare_v2(db, "INSERT INTO sim VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK)
    die(db, "prepare");
  static const char *const trt2[] = {"control", "treated"}, *const trt3[] = {"control", "low", "high"};
  for (long i = 0; i < rows; i++) {
    long s = sh.sorted ? (long)((double)i * schools / rows) : below(schools), j = below(raters);
    double x = sh.xunif ? (2 * unif() - 1) * sqrt(3.0) : sh.xskew ? exp(normal()) - exp(0.5) : normal();
    int level = sh.trt3 ? (int)below(3) : unif() < 0.5;    /* the treatment's effect: beta_trt * level / (levels-1) */
    double effect = beta_trt * (sh.trt3 ? level / 2.0 : level);
    double y = beta0 + beta_x * x + effect + b0[s] + b1[s] * x + r[j] + r1[j] * x + sd_resid * normal();
    sqlite3_bind_double(ins, 1, y);
    sqlite3_bind_double(ins, 2, x);
    sqlite3_bind_text(ins, 3, sh.trt3 ? trt3[level] : trt2[level], -1, SQLITE_STATIC);
    if (sh.text) {
      char id[2][24];
      snprintf(id[0], sizeof id[0], "s%05ld", s + 1);
      snprintf(id[1], sizeof id[1], "r%05ld", j + 1);
      sqlite3_bind_text(ins, 4, id[0], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, 5, id[1], -1, SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_int64(ins, 4, s + 1);
      sqlite3_bind_int64(ins, 5, j + 1);
    }
    if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  char meta[200];
  snprintf(meta, sizeof meta, "INSERT INTO sim_meta VALUES (%ld, %ld, %ld, %u); COMMIT", rows, schools, raters, SEED);
  exec(db, meta);
  if (sqlite3_close(db) != SQLITE_OK) die(db, "close");
  free(b0); free(b1); free(r); free(r1);
  return 0;
}
