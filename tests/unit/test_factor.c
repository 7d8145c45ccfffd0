/* test_factor.c — the blocked factorization: the first term's pass split
 * over threads gives the single pass's factor, on a crossed design large
 * enough that each part has many levels and many shared later levels, and
 * on a lone term's, whose levels alone are split. */
#include "harness.h"
#include "helpers.h"
#include "alloc.h"
#include "blocks.h"
#include "factor.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { ROWS = 20000, G1 = 400, G2 = 60 };

/* y ~ x + (1 + x | g1) + (1 | g2), fixed pseudo-random data, made once */
static test_table crossed_table(void) {
  static const char *names[] = {"y", "x", "g1", "g2"};
  static lmm_value v[4 * ROWS];
  static char labels[G1 + G2][16];   /* room for any int, so the compiler sees no truncation */
  static int made;
  test_table t = {4, names, ROWS, v, 0};
  if (made++) return t;
  uint64_t state = 12345;
  for (int l = 0; l < G1 + G2; l++) snprintf(labels[l], sizeof labels[l], "%c%d", l < G1 ? 'a' : 'b', l);
  for (int r = 0; r < ROWS; r++) {
    lcg_next(&state);
    int g1 = r % G1, g2 = (int)((state >> 33) % G2);
    double x = (double)((state >> 20) % 1000) / 100.0;
    double y = 1 + 0.5 * x + sin(g1) + 0.3 * cos(g2) + 0.1 * x * cos(3.0 * g1) + (double)((state >> 40) % 100) / 50.0;
    v[4 * r] = NUM(y);
    v[4 * r + 1] = NUM(x);
    v[4 * r + 2] = TXTP(labels[g1]);
    v[4 * r + 3] = TXTP(labels[G1 + g2]);
  }
  return t;
}

/* The deviance's parts of a factor: log|L_Z|^2 and the fixed part's block (its lower triangle, F->rows square). */
static void deviance_parts(const lmm_system *s, double *out, int *nout) {
  const lmm_block *F = lmm_sys_L(s, s->K, s->K);
  int k = 0;
  out[k++] = lmm_system_logdet_z(s);
  for (int j = 0; j < F->rows; j++)
    for (int i = j; i < F->rows; i++) out[k++] = F->v[i + (size_t)j * (size_t)F->ld];
  *nout = k;
}

/* The factor's log-determinant and the fixed part's block (p+1 = 3 square,
 * its lower triangle: the REML criterion's log|R_X| and pwrss) at T. */
static void factor_at(lmm_system *s, double *const *T, double *logdet, double *fixed) {
  double parts[16];
  int n = 0;
  CHECK_INT(lmm_system_factor(s, T, NULL), LMM_OK);
  deviance_parts(s, parts, &n);
  CHECK_INT(n, 7);   /* the log-determinant and 3 x 3's lower triangle */
  *logdet = parts[0];
  memcpy(fixed, parts + 1, sizeof *fixed * 6);
}

/* The factor of `formula` at T with its first term's pass on 1 to 4 parts: the same log-determinant and fixed
 * block, to 1e-10 (a lone term's exactly: each level's blocks are the same arithmetic on any part); a system is
 * returned for more checks, or NULL. */
static lmm_system *parts_match_one_pass(const char *formula, int K, double *const *T, lmm_model **m) {
  test_table t = crossed_table();
  lmm_error err = {0};
  lmm_system *s = NULL;
  CHECK_INT(load_design(formula, NULL, &t, m, &err), LMM_OK);
  if (*m && (*m)->design) CHECK_INT(lmm_system_new((*m)->design, NULL, &s, &err), LMM_OK);
  if (!s) return NULL;
  CHECK_INT(s->K, K);
  double ld1, ld, f1[6], f[6];
  CHECK_INT(lmm_system_set_parts(s, 1), 1);
  factor_at(s, T, &ld1, f1);
  for (int parts = 2; parts <= 4; parts++) {
    CHECK_INT(lmm_system_set_parts(s, parts), parts);
    for (int k = 0; k < parts; k++) CHECK(s->split[k] < s->split[k + 1]);   /* no empty part */
    factor_at(s, T, &ld, f);
    CHECK_NEAR(ld, ld1, K == 1 ? 0 : 1e-10);
    for (int i = 0; i < 6; i++) CHECK_NEAR(f[i], f1[i], K == 1 ? 0 : 1e-10);
  }
  return s;
}

void test_factor_parts_match_one_pass(void) {
  lmm_model *m = NULL;
  double t0[4] = {0.8, 0.3, 0, 0.4}, t1[1] = {0.6};
  double *T[2] = {t0, t1};
  lmm_system *s = parts_match_one_pass("y ~ x + (1 + x | g1) + (1 | g2)", 2, T, &m);
  if (s) {
    /* a factor that fails in one part fails the whole: a negative variance */
    double bad[4] = {NAN, 0, 0, 1};
    double *Tbad[2] = {bad, t1};
    CHECK(lmm_system_factor(s, Tbad, NULL) != LMM_OK);
  }
  lmm_system_free(s);
  lmm_model_free(m);
}

/* A lone term (y ~ x + (1 + x | g1)): its levels alone are split. */
void test_factor_lone_term_parts(void) {
  lmm_model *m = NULL;
  double t0[4] = {0.8, 0.3, 0, 0.4};
  double *T[1] = {t0};
  lmm_system_free(parts_match_one_pass("y ~ x + (1 + x | g1)", 1, T, &m));
  lmm_model_free(m);
}

typedef struct poll_count { int calls, stop_at; } poll_count;

/* An interrupt that comes at the stop_at-th poll. */
static int interrupt_at(void *ctx) {
  poll_count *pc = ctx;
  return ++pc->calls >= pc->stop_at;
}

/* sqlite3_interrupt() reaches the fit through its poll: while the rows are
 * read into the blocks, within and between the optimizer's evaluations.
 * Wherever it comes, the fit stops with LMM_INTERRUPTED, having polled no
 * further: at the first poll before the blocks exist, half way through the
 * polls of a whole fit (counted first) in the optimizer. */
void test_factor_interrupt(void) {
  test_table t = crossed_table();
  poll_count all = {0, 1 << 30};
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(load_model("y ~ x + (1 + x | g1) + (1 | g2)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m) CHECK_INT(lmm_model_fit(m, interrupt_at, &all, &err), LMM_OK);
  lmm_model_free(m);
  CHECK(all.calls > 40);
  for (int stop_at = 1; stop_at <= all.calls / 2; stop_at += all.calls / 2 - 1) {
    m = NULL;
    poll_count pc = {0, stop_at};
    CHECK_INT(load_model("y ~ x + (1 + x | g1) + (1 | g2)", NULL, NULL, &t, &m, &err), LMM_OK);
    if (m) {
      CHECK_INT(lmm_model_fit(m, interrupt_at, &pc, &err), LMM_INTERRUPTED);
      CHECK_STR(err.msg, "interrupted");
      CHECK_INT(pc.calls, stop_at);
      CHECK(stop_at == 1 ? m->system == NULL : m->system != NULL && m->fit == NULL);
    }
    lmm_model_free(m);
  }
}

/* The optimizer's start on a crossed design: each term's moment estimate is
 * made relative to sigma^2 from the first term's within-group variance less
 * the crossed term's share, so it lands near the optimum (without that
 * correction the rater-like term started a quarter too low). */
void test_factor_crossed_start(void) {
  test_table t = crossed_table();
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(fit_model("y ~ x + (1 + x | g1) + (1 | g2)", NULL, NULL, &t, &m, &err), LMM_OK);
  if (m && m->fit) {
    double start[4] = {1, 0, 1, 1}, opt[4];
    CHECK_INT(lmm_fit_start(m->system, start), LMM_OK);
    memcpy(opt, m->fit->theta, sizeof opt);
    /* the start is on the blocks' unit-scale columns, the fit's theta on Z's in the data's units */
    for (int i = 0; i < m->system->theta->n; i++)
      opt[i] = ldexp(opt[i] * m->system->theta->e[i].zscale, m->system->theta->e[i].zexp);
    CHECK_NEAR(start[0], opt[0], 0.03);   /* g1 intercept */
    CHECK_NEAR(start[2], opt[2], 0.03);   /* g1 slope */
    CHECK_NEAR(start[3], opt[3], 0.03);   /* g2 */
    CHECK(fabs(start[1] - opt[1]) < 0.02);
  }
  lmm_model_free(m);
}

/* A random slope on a four-level factor (issue 21's repro): the groups'
 * moment covariance, clamped entry by entry, is no covariance matrix at all,
 * so the start must be projected, not left with the failed Cholesky's
 * leftovers.  The start is finite with a positive diagonal, and the fit
 * reaches lme4's optimum (bobyqa with rhoend 2e-10: ML -97.2524351240, REML
 * -98.2636337771; lme4's defaults stop at -97.2524353449 and -98.2636337823). */
void test_factor_slope_start(void) {
  static const char *const names[] = {"g", "f", "y"};
  static const char *const flev[] = {"a", "b", "c", "d"};
  lmm_value v[64 * 3];
  for (int i = 0; i < 64; i++) {
    v[3 * i] = NUM(i / 8);
    v[3 * i + 1] = TXTP(flev[i % 4]);
    v[3 * i + 2] = NUM(i % 4 + (i / 8 % 7) / 3.0 + ((i * 37 % 101) - 50) / 30.0);
  }
  test_table t = {3, names, 64, v, 0};
  const double want[2] = {-97.2524351240, -98.2636337771};
  for (int reml = 0; reml <= 1; reml++) {
    lmm_model *m = NULL;
    lmm_error err = {0};
    CHECK_INT(fit_model("y ~ f + (f|g)", NULL, reml ? "method=REML" : "method=ML", &t, &m, &err), LMM_OK);
    if (m && m->fit) {
      double start[10];
      CHECK_INT(m->fit->ntheta, 10);
      CHECK_INT(lmm_fit_start(m->system, start), LMM_OK);
      for (int i = 0; i < 10; i++) {
        const lmm_theta_entry *e = &m->system->theta->e[i];
        CHECK(isfinite(start[i]) && (e->row != e->col || start[i] > 0));
      }
      CHECK_NEAR(m->fit->logLik, want[reml], 2e-9);
      CHECK(m->fit->singular);
    }
    lmm_model_free(m);
  }
}

enum { BIG_ROWS = 60000, BG = 600, BH = 97 };
static int big_pair[BH][BG], big_hcount[BH];   /* rows per (h, g) and per h of big_table() */

/* y ~ x + (1|g) + (1|h) on 60,000 rows, enough for the row pass to be cut
 * into parts (accumulate.c): g with 600 levels (the first term, written in
 * place by each part), h with 97 (each part's own copy); made once. */
static test_table big_table(void) {
  static const char *names[] = {"y", "x", "g", "h"};
  static lmm_value v[4 * BIG_ROWS];
  static int made;
  test_table t = {4, names, BIG_ROWS, v, 0};
  if (made++) return t;
  uint64_t state = 777;
  for (int r = 0; r < BIG_ROWS; r++) {
    lcg_next(&state);
    int g = (int)((state >> 33) % BG), h = (int)((state >> 45) % BH);
    double x = (double)((state >> 20) % 1000) / 100.0;
    v[4 * r] = NUM(1000 + x + 0.01 * g + (double)((state >> 12) % 97) / 10.0);
    v[4 * r + 1] = NUM(x);
    v[4 * r + 2] = NUM(g);
    v[4 * r + 3] = NUM(h);
    big_pair[h][g]++;
    big_hcount[h]++;
  }
  return t;
}

/* The parts' shares and their summed copies add up to the counts and sums
 * the rows hold. */
void test_accumulate_parts_add_up(void) {
  test_table t = big_table();
  int (*pair)[BG] = big_pair, *hcount = big_hcount;
  lmm_model *m = NULL;
  lmm_error err = {0};
  lmm_system *s = NULL;
  CHECK_INT(load_design("y ~ x + (1|g) + (1|h)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
  if (s) {
    CHECK_INT(s->nl[0], BG);
    CHECK_INT(s->nl[1], BH);
    const lmm_block *HG = lmm_sys_A(s, 1, 0), *HH = lmm_sys_A(s, 1, 1);
    const lmm_block *FG = lmm_sys_A(s, 2, 0), *FH = lmm_sys_A(s, 2, 1), *FF = lmm_sys_A(s, 2, 2);
    int wrong = 0;   /* levels are the numbers 0.. in order, so level l is the value l */
    for (int g = 0; g < BG; g++)
      for (int h = 0; h < BH; h++) {
        const double *c = lmm_block_at(HG, h, g);
        if ((c ? *c : 0) != pair[h][g]) wrong++;
      }
    for (int h = 0; h < BH; h++)
      if (HH->v[h] != hcount[h]) wrong++;
    CHECK_INT(wrong, 0);
    /* every row is in one level of g and one of h: the fixed rows' sums agree */
    for (int a = 0; a < 3; a++) {
      double sg = 0, sh = 0;
      for (int g = 0; g < BG; g++) sg += FG->v[(size_t)g * 3 + (size_t)a];
      for (int h = 0; h < BH; h++) sh += FH->v[(size_t)h * 3 + (size_t)a];
      CHECK_NEAR(sg, sh, 1e-9 * (1 + fabs(sg)));
    }
    /* [X~ y~]'[X~ y~], summed over the parts: X~'X~ = I, X~'y~ = 0 */
    CHECK_NEAR(FF->v[0], 1, 1e-12);
    CHECK_NEAR(FF->v[1], 0, 1e-12);
    CHECK_NEAR(FF->v[4], 1, 1e-12);
    CHECK_NEAR(FF->v[2], 0, 1e-9);
    CHECK_NEAR(FF->v[5], 0, 1e-9);
    CHECK(FF->v[8] > 0);
  }
  lmm_system_free(s);
  lmm_model_free(m);
}

/* An allocator that fails its fail_at-th call, and counts the blocks it
 * has handed out and not had back. */
static long long af_calls, af_fail_at, af_live;
static void *af_malloc(size_t n) {
  if (++af_calls == af_fail_at) return NULL;
  void *p = malloc(n);
  if (p) af_live++;
  return p;
}
static void *af_realloc(void *p, size_t n) {
  if (++af_calls == af_fail_at) return NULL;
  void *q = realloc(p, n);
  if (q && !p) af_live++;
  return q;
}
static void af_free(void *p) {
  if (p) af_live--;
  free(p);
}

/* Out of memory at any allocation of building the system, the parts' copies
 * and scratch among them: LMM_NOMEM, no system, and every block given back. */
void test_accumulate_parts_out_of_memory(void) {
  test_table t = big_table();
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(load_design("y ~ x + (1|g) + (1|h)", NULL, &t, &m, &err), LMM_OK);
  if (!m || !m->design) { lmm_model_free(m); return; }
  lmm_allocator counting = {af_malloc, af_realloc, af_free, 0, NULL};
  lmm_set_allocator(&counting);
  lmm_system *s = NULL;
  af_calls = af_live = 0;
  af_fail_at = -1;
  CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
  lmm_system_free(s);
  long long n = af_calls, wrong = 0;
  CHECK(af_live == 0);
  CHECK(n > 30);
  for (long long k = 1; k <= n; k++) {
    lmm_error e = {0};
    s = NULL;
    af_calls = af_live = 0;
    af_fail_at = k;
    int rc = lmm_system_new(m->design, NULL, &s, &e);
    if (rc != LMM_NOMEM || s || af_live != 0) wrong++;
    lmm_system_free(s);
  }
  lmm_set_allocator(NULL);
  CHECK_INT((int)wrong, 0);
  lmm_model_free(m);
}

/* ---- the dense tail against a dense factor of the whole system ---------------- */

enum { TAIL_ROWS = 600 };

/* y ~ x with intercept groups: a (40 levels), h (3, nested in a as a:h),
 * b (11) and c (6) crossed with a and each other. */
static test_table tail_table(void) {
  static const char *names[] = {"y", "x", "a", "h", "b", "c"};
  static lmm_value v[6 * TAIL_ROWS];
  static char labels[40 + 3 + 11 + 6][8];
  static int made;
  test_table t = {6, names, TAIL_ROWS, v, 0};
  if (made++) return t;
  for (int l = 0; l < 60; l++) snprintf(labels[l], sizeof labels[l], "%c%d", l < 40 ? 'a' : l < 43 ? 'h' : l < 54 ? 'b' : 'c', l);
  uint64_t state = 777;
  for (int r = 0; r < TAIL_ROWS; r++) {
    lcg_next(&state);
    int a = r % 40, h = (int)((state >> 30) % 3), b = (int)((state >> 35) % 11), c = (int)((state >> 45) % 6);
    double x = (double)((state >> 20) % 1000) / 100.0;
    v[6 * r] = NUM(1 + 0.4 * x + sin(a) + 0.5 * cos(3.0 * a + h) + 0.7 * cos(b) + 0.3 * sin(2.0 * c) + (double)((state >> 52) % 100) / 40.0);
    v[6 * r + 1] = NUM(x);
    v[6 * r + 2] = TXTP(labels[a]);
    v[6 * r + 3] = TXTP(labels[40 + h]);
    v[6 * r + 4] = TXTP(labels[43 + b]);
    v[6 * r + 5] = TXTP(labels[54 + c]);
  }
  return t;
}

/* log det(V'V + I) and the penalized residual sum of squares, from a dense
 * Cholesky of [V X y]'[V X y] + diag(I, 0): V the intercept columns of each
 * term (fit position k) times T[k] over its unit scale, X = [1 x]. */
static void dense_reference(const lmm_system *s, const lmm_design *d, const test_table *t, double *const *T,
                            double *logdet, double *pwrss) {
  int K = s->K, mz = 0, off[8];
  for (int k = 0; k < K; k++) { off[k] = mz; mz += s->nl[k]; }
  int m = mz + 3;
  double *W = calloc((size_t)TAIL_ROWS * (size_t)m, sizeof *W), *G = calloc((size_t)m * (size_t)m, sizeof *G);
  for (int r = 0; r < TAIL_ROWS; r++) {
    for (int k = 0; k < K; k++) W[r + (size_t)(off[k] + d->re[s->term[k]].g[r]) * TAIL_ROWS] = T[k][0] / s->zscale[k][0];
    W[r + (size_t)mz * TAIL_ROWS] = 1;
    W[r + (size_t)(mz + 1) * TAIL_ROWS] = t->v[6 * r + 1].num;
    W[r + (size_t)(mz + 2) * TAIL_ROWS] = t->v[6 * r].num;
  }
  cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, m, TAIL_ROWS, 1.0, W, TAIL_ROWS, 0.0, G, m);
  for (int a = 0; a < mz; a++) G[a + (size_t)a * m] += 1;
  CHECK_INT(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', m, G, m), 0);
  *logdet = 0;
  for (int a = 0; a < mz; a++) *logdet += 2 * log(G[a + (size_t)a * m]);
  *pwrss = G[(size_t)(m - 1) * (m + 1)] * G[(size_t)(m - 1) * (m + 1)];
  free(W);
  free(G);
}

/* Crossed terms' blocks of L are pieces of one dense matrix factored whole
 * (blocks.h); where a nested term comes first, the tail starts after it.
 * Both against a dense factor of the whole system made here. */
void test_factor_dense_tail(void) {
  static const struct { const char *formula; int K, tail_from; } cases[] = {
    {"y ~ x + (1 | a) + (1 | b) + (1 | c)", 3, 1},
    {"y ~ x + (1 | a) + (1 | a:h) + (1 | b) + (1 | c)", 4, 2},
    {"y ~ x + (1 | a) + (1 | a:h)", 2, 0},
  };
  test_table t = tail_table();
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lmm_model *m = NULL;
    lmm_error err = {0};
    lmm_system *s = NULL;
    CHECK_INT(load_design(cases[i].formula, NULL, &t, &m, &err), LMM_OK);
    if (m && m->design) CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
    if (s && s->K == cases[i].K) {
      CHECK_INT(s->tail_from, cases[i].tail_from);
      double t0[1] = {0.9}, t1[1] = {0.5}, t2[1] = {1.3}, t3[1] = {0.7};
      double *T[4] = {t0, t1, t2, t3};
      double ld, rss, ld_ref, rss_ref, f[6];
      factor_at(s, T, &ld, f);
      rss = ldexp(f[5] * f[5], 2 * m->design->yexp);   /* the blocks hold y scaled (design.h) */
      dense_reference(s, m->design, &t, T, &ld_ref, &rss_ref);
      CHECK_NEAR(ld, ld_ref, 1e-10);
      CHECK_NEAR(rss, rss_ref, 1e-10);
    } else CHECK(0);
    lmm_system_free(s);
    lmm_model_free(m);
  }
}

/* ---- the first term's updates kept by its T (lmm_system_factor_kept) ------------ */

/* Kept updates give the plain factor's deviance parts, to rounding, whether the first term's T is met for the
 * first time, again (the later terms' T changed), after others, or after more others than there are copies, the
 * kept factors made one after another as the optimizer makes them (the plain ones first, on their own); on crossed
 * scalar terms (each pair of later terms scaled by its two T), on later terms with a slope (2 x 2 sub-blocks, the
 * diagonal ones symmetrized, and 2 x 1 ones between terms), and with the first term's pass on two parts.  A kept
 * factor says so (first_kept), and a plain one does not. */
enum { KEPT_STEPS = 20 };
void test_factor_kept_updates(void) {
  static const struct { const char *formula; int K, parts, tailtab; } cases[] = {
    {"y ~ x + (1 + x | g1) + (1 | g2)", 2, 1, 0},
    {"y ~ x + (1 + x | g1) + (1 + x | g2)", 2, 2, 0},
    {"y ~ x + (1 | a) + (1 | b) + (1 | c)", 3, 1, 1},
    {"y ~ x + (1 | a) + (1 + x | b) + (1 | c)", 3, 2, 1},
  };
  static const int order[KEPT_STEPS] = {0, 0, 1, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 14};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    test_table t = cases[c].tailtab ? tail_table() : crossed_table();
    lmm_model *m = NULL;
    lmm_error err = {0};
    lmm_system *s = NULL;
    CHECK_INT(load_design(cases[c].formula, NULL, &t, &m, &err), LMM_OK);
    if (m && m->design) CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
    if (!s || s->K != cases[c].K) { CHECK(0); lmm_system_free(s); lmm_model_free(m); continue; }
    CHECK_INT(s->tail_from, 1);
    CHECK_INT(lmm_system_set_parts(s, cases[c].parts), cases[c].parts);
    lmm_first_kept *k = NULL;
    CHECK_INT(lmm_first_kept_new(s, &k), LMM_OK);
    CHECK(k != NULL);
    /* first-term T's 0..14 (more than the copies kept), the later T's changing with the step */
    static double Tv[KEPT_STEPS][4][4];
    double plain[KEPT_STEPS][16];
    int np[KEPT_STEPS], q0 = s->q[0], worst_at = -1;
    for (int r = 0; r < KEPT_STEPS; r++) {
      int a = order[r];
      double t0[4] = {0.7 + 0.05 * a, q0 == 2 ? 0.1 * (a % 3) : 0, 0, 0.3 + 0.02 * a};
      memcpy(Tv[r][0], t0, sizeof t0);
      for (int j = 1; j < s->K; j++) {
        double tj[4] = {0.4 + 0.1 * (double)((r + j) % 4), s->q[j] == 2 ? 0.15 * (double)(r % 2) : 0, 0,
                        1.1 - 0.1 * (double)(r % 3)};
        if (s->q[j] == 1) tj[0] = 0.4 + 0.1 * (double)((r + j) % 4) + 0.2 * j;
        memcpy(Tv[r][j], tj, sizeof tj);
      }
      double *T[4] = {Tv[r][0], Tv[r][1], Tv[r][2], Tv[r][3]};
      CHECK_INT(lmm_system_factor(s, T, NULL), LMM_OK);
      CHECK(!s->first_kept);
      deviance_parts(s, plain[r], &np[r]);
    }
    double worst = 0;
    for (int r = 0; r < KEPT_STEPS && k; r++) {
      double *T[4] = {Tv[r][0], Tv[r][1], Tv[r][2], Tv[r][3]};
      double kept[16];
      int nk = 0;
      CHECK_INT(lmm_system_factor_kept(s, T, k, NULL), LMM_OK);
      CHECK(s->first_kept);
      deviance_parts(s, kept, &nk);
      CHECK_INT(nk, np[r]);
      for (int i = 0; i < np[r] && i < nk; i++) {
        double d = fabs(kept[i] - plain[r][i]) / fmax(1, fabs(plain[r][i]));
        if (d > worst) { worst = d; worst_at = r; }
      }
    }
    if (worst > 1e-11) printf("  kept updates %s: off by %g at step %d\n", cases[c].formula, worst, worst_at);
    CHECK(worst <= 1e-11);
    lmm_first_kept_free(k);
    lmm_system_free(s);
    lmm_model_free(m);
  }
}

enum { PAT_ROWS = 30000 };

/* y, x and three groupings as whole numbers: g with 6,000 levels, h with
 * 5,000 (over bucket_levels' bitset, so marks and a sort), k with 300 (the
 * bitset), the pairs sparse; fixed pseudo-random. */
static test_table pattern_table(void) {
  static const char *names[] = {"y", "x", "g", "h", "k"};
  static lmm_value v[5 * PAT_ROWS];
  static int made;
  test_table t = {5, names, PAT_ROWS, v, 0};
  if (made++) return t;
  uint64_t state = 4242;
  for (int r = 0; r < PAT_ROWS; r++) {
    lcg_next(&state);
    v[5 * r] = NUM((double)((state >> 40) % 1000) / 100.0);
    v[5 * r + 1] = NUM((double)((state >> 20) % 100) / 10.0);
    v[5 * r + 2] = NUM((double)(r % 6000));
    v[5 * r + 3] = NUM((double)((state >> 30) % 5000));
    v[5 * r + 4] = NUM((double)((state >> 50) % 300));
  }
  return t;
}

/* A's sparse blocks hold, column by column, exactly the row levels that
 * occur with that column level, ascending: against a set of the pairs made
 * here from the design's level codes. */
void test_blocks_pattern(void) {
  test_table t = pattern_table();
  lmm_model *m = NULL;
  lmm_error err = {0};
  lmm_system *s = NULL;
  CHECK_INT(load_design("y ~ x + (1|g) + (1|h) + (1|k)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
  if (!s || s->K != 3) { CHECK(0); lmm_model_free(m); return; }
  const lmm_design *d = m->design;
  for (int i = 1; i < 3; i++) {
    const lmm_block *b = lmm_sys_A(s, i, 0);
    const int *gi = d->re[s->term[i]].g, *gj = d->re[s->term[0]].g;
    int nr = s->nl[i], nc = s->nl[0];
    unsigned char *seen = calloc((size_t)nr * (size_t)nc, 1);
    size_t pairs = 0;
    for (size_t r = 0; r < d->n; r++)
      if (!seen[(size_t)gj[r] * (size_t)nr + (size_t)gi[r]]++) pairs++;
    CHECK_INT(b->nnzb, pairs);
    int bad = 0;
    for (int c = 0; c < nc; c++)
      for (int k = b->colptr[c]; k < b->colptr[c + 1]; k++) {
        bad += !seen[(size_t)c * (size_t)nr + (size_t)b->rowidx[k]];
        bad += k > b->colptr[c] && b->rowidx[k] <= b->rowidx[k - 1];
      }
    CHECK_INT(bad, 0);
    free(seen);
  }
  CHECK(s->nl[1] > 4096);   /* h: the marks and the sort */
  CHECK_INT(s->nl[2], 300);
  lmm_system_free(s);
  lmm_model_free(m);
}

