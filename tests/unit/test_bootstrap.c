/* test_bootstrap.c — the parametric bootstrap's core (simulate.h, bootstrap.h) on a made-up design,
 * y ~ x + (x|g): 12 groups of 8 rows, and an lm.  The numbers R's bootMer gives on real data are the SQL
 * tests' (tests/sql/test_bootstrap.py); here: the generator, the estimates' order, threads, interrupts. */
#include "harness.h"
#include "helpers.h"
#include "bootstrap.h"
#include "simulate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { NG = 12, PER = 8, N = NG * PER };

static lmm_model *fit_slopes(const char *formula, const char *options) {
  static const char *names[] = {"y", "x", "g"};
  static char g[N][12];
  static lmm_value rows[N * 3];
  uint64_t st = 7;
  for (int i = 0; i < N; i++) {
    int k = i / PER;
    snprintf(g[i], sizeof g[i], "g%d", k);
    double x = i % PER, u = (double)(lcg_next(&st) >> 11) * 0x1p-53 - 0.5;
    rows[3 * i] = NUM(10 + 2 * x + (k % 5 - 2) * 1.5 + (k % 3 - 1) * 0.4 * x + 3 * u);
    rows[3 * i + 1] = NUM(x);
    rows[3 * i + 2] = TXTP(g[i]);
  }
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(fit_model(formula, NULL, options, &t, &m, &err), LMM_OK);
  return m;
}

/* The mean and sd (divided by nsim) of estimate k over the replicates. */
static double column_sd(const lmm_boot *b, int k, double *mean) {
  double s = 0, ss = 0;
  for (int r = 0; r < b->nsim; r++) {
    double v = b->t[r * b->npar + k];
    s += v;
    ss += v * v;
  }
  *mean = s / b->nsim;
  return sqrt(ss / b->nsim - *mean * *mean);
}

void test_bootstrap_rng(void) {
  lmm_rng a = {{1, 2, 3, 4}};
  CHECK(lmm_rng_next(&a) == 11520);   /* xoshiro256**'s first output from {1, 2, 3, 4}: rotl(2 * 5, 7) * 9 */
  lmm_rng b, c;
  lmm_rng_stream(&b, 1, 5);
  lmm_rng_stream(&c, 1, 5);
  int same = 1;
  for (int k = 0; k < 100; k++) same &= lmm_rng_next(&b) == lmm_rng_next(&c);
  CHECK(same);
  lmm_rng_stream(&b, 1, 5);
  lmm_rng_stream(&c, 1, 6);
  CHECK(lmm_rng_next(&b) != lmm_rng_next(&c));
  lmm_rng_stream(&c, 2, 5);
  lmm_rng_stream(&b, 1, 5);
  CHECK(lmm_rng_next(&b) != lmm_rng_next(&c));
  /* normals: mean 0 and variance 1 within 5 standard errors over 200,000 draws; uniforms inside (0, 1) */
  double s = 0, ss = 0, umin = 1, umax = 0;
  enum { M = 200000 };
  for (int k = 0; k < M; k++) {
    double z = lmm_rng_normal(&b), u = lmm_rng_uniform(&c);
    s += z;
    ss += z * z;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
  }
  CHECK(fabs(s / M) < 5 / sqrt(M));
  CHECK(fabs(ss / M - 1) < 5 * sqrt(2.0 / M));
  CHECK(umin > 0 && umax < 1);
}

void test_bootstrap_estimates_order(void) {
  lmm_model *m = fit_slopes("y ~ x + (x|g)", NULL);
  if (!m || !m->fit) { lmm_model_free(m); return; }
  lmm_boot_options o = {3, 1, 1, 0};
  lmm_boot *b = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_bootstrap(m, &o, NULL, NULL, &b, &err), LMM_OK);
  if (b) {
    CHECK_INT(b->npar, 6);   /* 2 fixed, 2 sds, 1 correlation, sigma */
    double est[6];
    lmm_boot_estimates(m->design, m->fit, m->style, est);
    for (int k = 0; k < b->npar && k < 6; k++) CHECK_NEAR(est[k], b->label[k]->estimate, 1e-13);
    CHECK_STR(b->label[4]->term, "cor__(Intercept).x");
    CHECK_STR(b->label[5]->grp, "Residual");
  }
  lmm_boot_free(b);
  lmm_model_free(m);
}

void test_bootstrap_threads(void) {
  lmm_model *m = fit_slopes("y ~ x + (x|g)", "method=ML");
  if (!m || !m->fit) { lmm_model_free(m); return; }
  lmm_boot_options o = {60, 11, 1, 0};
  lmm_boot *one = NULL, *two = NULL, *other = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_bootstrap(m, &o, NULL, NULL, &one, &err), LMM_OK);
  o.threads = 2;
  CHECK_INT(lmm_bootstrap(m, &o, NULL, NULL, &two, &err), LMM_OK);
  o.seed = 12;
  CHECK_INT(lmm_bootstrap(m, &o, NULL, NULL, &other, &err), LMM_OK);
  if (one && two && other) {
    size_t bytes = sizeof(double) * (size_t)(one->nsim * one->npar);
    CHECK(!memcmp(one->t, two->t, bytes));
    CHECK(memcmp(one->t, other->t, bytes));
    CHECK_INT(one->nfailed, 0);
    /* the replicates' slope centres on the fitted one: within 4 bootstrap standard errors */
    double mean, sd = column_sd(one, 1, &mean);
    CHECK(sd > 0 && fabs(mean - m->fit->beta[1]) < 4 * sd / sqrt(one->nsim));
  }
  lmm_boot_free(one);
  lmm_boot_free(two);
  lmm_boot_free(other);
  lmm_model_free(m);
}

/* lm: no random effects; the slope's bootstrap sd is its standard error (within 15 % over 400 refits) */
void test_bootstrap_lm(void) {
  lmm_model *m = fit_slopes("y ~ x", NULL);
  if (!m || !m->fit) { lmm_model_free(m); return; }
  lmm_boot_options o = {400, 3, 2, 0};
  lmm_boot *b = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_bootstrap(m, &o, NULL, NULL, &b, &err), LMM_OK);
  if (b) {
    CHECK_INT(b->npar, 3);
    double mean, sd = column_sd(b, 1, &mean);
    CHECK(fabs(mean - m->fit->beta[1]) < 4 * sd / sqrt(b->nsim));
    CHECK_NEAR(sd, m->fit->se[1], 0.15 * m->fit->se[1]);
  }
  lmm_boot_free(b);
  lmm_model_free(m);
}

typedef struct asked { int n, at; } asked;
static int stop_at(void *ctx) {
  asked *a = ctx;
  return ++a->n >= a->at;
}

/* Stopped after the k-th question, on one thread or two: LMM_INTERRUPTED, nothing kept (ASan's leak check). */
void test_bootstrap_interrupt(void) {
  lmm_model *m = fit_slopes("y ~ x + (x|g)", NULL);
  if (!m || !m->fit) { lmm_model_free(m); return; }
  for (int threads = 1; threads <= 2; threads++)
    for (int at = 1; at < 200; at += 37) {
      lmm_boot_options o = {100000, 1, threads, 0};
      asked a = {0, at};
      lmm_boot *b = NULL;
      lmm_error err = {0};
      CHECK_INT(lmm_bootstrap(m, &o, stop_at, &a, &b, &err), LMM_INTERRUPTED);
      CHECK(b == NULL);
      CHECK_STR(err.msg, "interrupted");
    }
  lmm_model_free(m);
}

void test_bootstrap_options(void) {
  lmm_boot_options o;
  lmm_error err = {0};
  CHECK_INT(lmm_boot_options_parse(NULL, 0, &o, &err), LMM_OK);
  CHECK_INT(o.nsim, 1000);
  CHECK(o.seed == 1);
  CHECK_INT(lmm_boot_options_parse(" nsim = 20 , seed=9223372036854775807, threads=2", 0, &o, &err), LMM_OK);
  CHECK_INT(o.nsim, 20);
  CHECK(o.seed == 9223372036854775807u);
  CHECK_INT(o.threads, 2);
  CHECK_INT(lmm_boot_options_parse("test=bootstrap", 1, &o, &err), LMM_OK);
  CHECK_INT(o.test, 1);
  static const char *const bad[][2] = {
    {"nsim=0", "options: nsim must be a whole number of simulations from 1 to 100000, not '0'"},
    {"nsim=1.5", "options: nsim must be a whole number of simulations from 1 to 100000, not '1.5'"},
    {"nsim=100001", "options: nsim must be a whole number of simulations from 1 to 100000, not '100001'"},
    {"seed=-1", "options: seed must be a whole number from 0 to 9223372036854775807, not '-1'"},
    {"seed=9223372036854775808", "options: seed must be a whole number from 0 to 9223372036854775807, not '9223372036854775808'"},
    {"threads=0", "options: threads must be a whole number from 1 to 4, not '0'"},
    {"threads=5", "options: threads must be a whole number from 1 to 4, not '5'"},
    {"threads=40", "options: threads must be a whole number from 1 to 4, not '40'"},
    {"nsim=5, nsim=6", "options: nsim is given twice; keep one"},
    {"test=bootstrap", "options: unknown option 'test' (known: nsim, seed, threads)"},
    {"nsim", "options: 'nsim' is not of the form key=value (for example nsim=1000)"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    err = (lmm_error){0};
    CHECK_INT(lmm_boot_options_parse(bad[k][0], 0, &o, &err), LMM_ERR);
    CHECK_STR(err.msg, bad[k][1]);
  }
  err = (lmm_error){0};
  CHECK_INT(lmm_boot_options_parse("test=chisq", 1, &o, &err), LMM_ERR);
  CHECK_STR(err.msg, "options: test must be bootstrap (pbkrtest's PBmodcomp), not 'chisq'");
}

/* PBmodcomp's p: replicates at or below 0 are left out, as pbkrtest does */
void test_bootstrap_lrt_p(void) {
  static const double lrt[6] = {0.5, 3, -1e-9, 0, 2.5, NAN};
  int used = 0;
  CHECK_NEAR(lmm_boot_lrt_p(2, lrt, 6, &used), 3.0 / 4, 1e-15);
  CHECK_INT(used, 3);
}

/* Draws under a residual structure (simulate.h): a gls with corAR1 within groups and varIdent between two
 * strata, fitted to AR(1) data (phi 0.6, the second stratum's sd twice the first's).  Over 1,000 simulated
 * responses the residuals over sigma, each divided by its stratum's ratio, have variance 1 in both strata (within
 * 0.02; the standard error is 0.004) and lag-1 correlation within groups the fitted Phi (within 0.01; 0.002). */
void test_bootstrap_structured_draws(void) {
  enum { G = 24, PER_G = 10, NR = G * PER_G, R = 1000 };
  static const char *names[] = {"y", "x", "g", "s"};
  static char g[NR][12];
  static lmm_value rows[NR * 4];
  uint64_t st = 11;
  double prev = 0;
  for (int i = 0; i < NR; i++) {
    int k = i / PER_G;
    snprintf(g[i], sizeof g[i], "g%02d", k);
    double z = 0;
    for (int j = 0; j < 12; j++) z += (double)(lcg_next(&st) >> 11) * 0x1p-53;
    z -= 6;   /* about N(0, 1) */
    prev = i % PER_G ? 0.6 * prev + 0.8 * z : z;
    rows[4 * i] = NUM(3 + 0.5 * (i % PER_G) + (k % 2 ? 2 : 1) * prev);
    rows[4 * i + 1] = NUM(i % PER_G);
    rows[4 * i + 2] = TXTP(g[i]);
    rows[4 * i + 3] = TXTP(k % 2 ? "b" : "a");
  }
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(fit_model("y ~ x", NULL, "method=REML, correlation=corAR1(form = ~ 1 | g), weights=varIdent(form = ~ 1 | s)",
                      &t, &m, &err), LMM_OK);
  if (!m || !m->fit || !m->structure) { lmm_model_free(m); return; }
  CHECK_INT(m->fit->nstruct, 2);
  CHECK_STR(m->fit->struct_names[0], "varIdent__b");
  CHECK_STR(m->fit->struct_names[1], "corAR1__Phi");
  double ratio = m->fit->struct_est[0], phi = m->fit->struct_est[1], sigma = lmm_model_sigma(m);
  CHECK(phi > 0.4 && ratio > 1.5);
  lmm_sim s;
  lmm_sim_work w;
  double y[NR], v[2] = {0}, lag = 0;
  long nv[2] = {0}, nlag = 0;
  CHECK_INT(lmm_sim_init(&s, m->design, m->fit, sigma, m->structure, &err), LMM_OK);
  CHECK_INT(lmm_sim_work_init(&s, &w, &err), LMM_OK);
  for (int r = 0; r < R; r++) {
    if (lmm_sim_response(&s, &w, 5, (uint64_t)r, y, &err)) { CHECK(0); break; }
    double e_prev = 0;
    for (int i = 0; i < NR; i++) {
      int b = (i / PER_G) % 2;
      double e = (y[i] - w.full[i]) / sigma / (b ? ratio : 1);
      v[b] += e * e;
      nv[b]++;
      if (i % PER_G) { lag += e * e_prev; nlag++; }
      e_prev = e;
    }
  }
  CHECK_NEAR(v[0] / nv[0], 1, 0.02);
  CHECK_NEAR(v[1] / nv[1], 1, 0.02);
  CHECK_NEAR(lag / nlag, phi, 0.01);
  lmm_sim_work_clear(&w);
  lmm_sim_clear(&s);
  lmm_model_free(m);
}
