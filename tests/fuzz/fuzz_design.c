/* fuzz_design.c — libFuzzer target for big designs from short inputs.
 *
 * The input is not text but a design: a few bytes say how many rows (up to
 * 200,000), how many factors with how many levels each (up to 100,000), how
 * many numeric covariates at what scale (10^-300 .. 10^300), and a model:
 * fixed terms, their interactions, random terms crossed or nested, slopes,
 * uncorrelated bars, copies of the random part and nesting chains such as
 * (1 | u/u/.../u).  The target writes the formula, generates the rows and
 * runs the fit the way the extension does (lmm_model_begin, the rows through
 * the feed's second thread or add_row, lmm_model_fit), then the
 * conditional modes with their covariances and predictions for a few rows.
 * So the counts that size arithmetic multiplies (levels x levels, terms x
 * terms, rows x columns) are reached from 20 bytes, where fuzz_model's 64
 * rows and 512-byte formulas never get.
 *
 * Each input is bounded: the rows times the random-effects terms the formula
 * makes are at most MAX_WORK (the rows shrink, the counts do not), core
 * allocates through a host allocator with SQLite's refusal of huge blocks
 * (fuzz_fit.h), and the fit is interrupted after FIT_SECONDS.  A fit that
 * takes much longer than that has not polled its interrupt: libFuzzer's
 * -timeout reports it.
 *
 * Byte by byte (past the input's end a generator seeded from it carries on):
 *   flags     bit 0 nlme-style random argument, 1 method=ML, 2 rows through
 *             lmm_model_read (else add_row), 3 no intercept, 4 rowids,
 *             5 fixed factors interact (a*b, else a+b), 6 numeric covariates
 *             interact, 7 the fixed part is (...)^2
 *   rows      a count (see count())
 *   shape     bits 0-1 numeric covariates, 2-3 fixed factors, 4-6 grouping
 *             factors, 7 factor columns hold numbers (factor(f1)) not text
 *   per covariate: exponent byte (scale 10^((b-128)*300/128)), specials byte
 *   per factor and grouping factor: levels (a count), how rows get levels
 *   random    bar byte (bits 0-2 lhs, 3 || for |, 4-5 group shape), copies
 *             (a count; mostly 1-4), nesting depth (a count), width of the
 *             lhs x1*I(x1^2)*... (byte)
 *   response  exponent byte
 */
#include "fuzz_common.h"
#include "fuzz_fit.h"
#include "predict.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>

enum {
  MAX_ROWS = 200000, MAX_LEVELS = 100000, MAX_COPIES = 30000, MAX_DEPTH = 100, MAX_WIDTH = 16,
  MAX_NUM = 3, MAX_FAC = 3, MAX_GRP = 5,
  MAX_WORK = 4000000,      /* rows x random-effects terms */
  PREDICT_ROWS = 40,
};
static const double FIT_SECONDS = 0.5;

/* A count up to max: small, log-uniform (coarse), at a power of two's edge, or
 * log-uniform to 16 bits; so most inputs stay small and quick. */
static const int edge_counts[] = {
  1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 32767, 32768, 32769,
  46340, 46341, 65535, 65536, 65537, 99999, 100000, 131071, 131072, 131073, 199999, 200000,
};
static int count(fuzz_stream *s, int max) {
  uint8_t b = fuzz_byte(s);
  double v;
  switch (b >> 6) {
  case 0: v = 1 + (b & 31); break;
  case 1: v = pow(2.0, (b & 63) / 63.0 * log2((double)max)); break;
  case 2: v = edge_counts[(b & 63) % (int)(sizeof edge_counts / sizeof *edge_counts)]; break;
  default: { unsigned hi = fuzz_byte(s); v = pow((double)max, (double)(hi << 8 | fuzz_byte(s)) / 65535.0); break; }
  }
  return v < 1 ? 1 : v > max ? max : (int)v;
}

enum { NUMERIC, FACTOR, GROUP };
enum { ASSIGN_CYCLIC, ASSIGN_HASHED, ASSIGN_BLOCKS, ASSIGN_FEW };

typedef struct column {
  char name[8];
  int role;
  int nlevels, assign, as_number;
  double scale;
  int specials;       /* NUMERIC: 0 none, 1 some NULL, 2 some +-Inf/DBL_MAX, 3 a constant */
} column;

typedef struct design {
  int flags, nrows;
  int ncol;
  column col[1 + MAX_NUM + MAX_FAC + MAX_GRP];   /* col[0] is y */
  int nnum, nfac, ngrp;
  int bar, copies, depth, width;
  char *formula, *random, *options;
} design;

/* The generator is the target's, not lmm's: libFuzzer's coverage and
 * comparison hooks there would only slow each row down. */
#define GENERATOR __attribute__((no_sanitize("coverage")))

GENERATOR static uint64_t mix(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
  return x;
}

static double exponent_scale(uint8_t b) { return pow(10.0, (double)((int)b - 128) * 300.0 / 128.0); }

GENERATOR static int level_of(const column *c, int row, int nrows, int k) {
  int L = c->nlevels;
  switch (c->assign) {
  case ASSIGN_CYCLIC: return row % L;
  case ASSIGN_HASHED: return (int)(mix((uint64_t)row * 131 + (uint64_t)k) % (uint64_t)L);
  case ASSIGN_BLOCKS: return (int)((int64_t)row * L / nrows);
  default: return row % 97 == 0 ? row % L : 0;   /* one big level, the rest rare */
  }
}

/* ---- the formula ---- */

/* A fixed term's name for column c: factor(f1) for a factor of numbers. */
static void put_var(fuzz_text *t, const column *c) {
  char buf[32];
  snprintf(buf, sizeof buf, c->role != NUMERIC && c->as_number ? "factor(%s)" : "%s", c->name);
  fuzz_text_put(t, buf, strlen(buf));
}
static void put(fuzz_text *t, const char *s) { fuzz_text_put(t, s, strlen(s)); }

static const column *first(const design *d, int role, int i) {
  int start = role == NUMERIC ? 1 : role == FACTOR ? 1 + d->nnum : 1 + d->nnum + d->nfac;
  int n = role == NUMERIC ? d->nnum : role == FACTOR ? d->nfac : d->ngrp;
  return n ? &d->col[start + i % n] : NULL;
}

/* lhs of a bar: 1, x1, 0 + x1, x1 + x2, f1, 1 + f1, every covariate and
 * factor crossed (x1*x2*f1), or width powers of x1 crossed
 * (x1*I(x1^2)*...: 2^width terms, with || a bar each). */
static void put_lhs(fuzz_text *t, const design *d, int kind) {
  const column *x = first(d, NUMERIC, 0), *x2 = first(d, NUMERIC, 1), *f = first(d, FACTOR, 0);
  switch (kind) {
  case 1: if (x) { put_var(t, x); return; } break;
  case 2: if (x) { put(t, "0 + "); put_var(t, x); return; } break;
  case 3: if (x2) { put_var(t, x); put(t, " + "); put_var(t, x2); return; } break;
  case 4: if (f) { put_var(t, f); return; } break;
  case 5: if (f) { put(t, "1 + "); put_var(t, f); return; } break;
  case 6:
    if (d->nnum + d->nfac) {
      for (int i = 1; i < 1 + d->nnum + d->nfac; i++) { if (i > 1) put(t, "*"); put_var(t, &d->col[i]); }
      return;
    }
    break;
  case 7:
    if (x) {
      put_var(t, x);
      for (int k = 2; k <= d->width; k++) {
        char buf[48];
        snprintf(buf, sizeof buf, "*I(%s^%d)", x->name, k);
        put(t, buf);
      }
      return;
    }
    break;
  }
  put(t, "1");
}

/* The grouping: g1; g1/g2/...; g1:g2; depth names nested (cycling through
 * the grouping factors, so one factor gives u/u/.../u). */
static void put_group(fuzz_text *t, const design *d, int shape) {
  int n = shape == 0 ? 1 : shape == 1 ? d->ngrp : shape == 2 ? 2 : d->depth;
  const char *sep = shape == 2 ? ":" : "/";
  for (int i = 0; i < n; i++) {
    if (i) put(t, sep);
    put(t, first(d, GROUP, i)->name);
  }
}

static void write_formula(design *d) {
  fuzz_text f = {0}, r = {0};
  put(&f, "y ~ ");
  put(&f, d->flags & 8 ? "0" : "1");
  int fixed = d->nnum + d->nfac;
  if (fixed) put(&f, d->flags & 128 ? " + (" : " + ");
  for (int i = 1; i <= fixed; i++) {
    const column *c = &d->col[i];
    if (i > 1) put(&f, (c->role == FACTOR ? d->flags & 32 : d->flags & 64) && c[-1].role == c->role ? " * " : " + ");
    put_var(&f, c);
  }
  if (fixed && d->flags & 128) put(&f, ")^2");
  if (d->ngrp) {
    int lhs = d->bar & 7, dbl = (d->bar >> 3) & 1, shape = (d->bar >> 4) & 3;
    fuzz_text *t = d->flags & 1 ? &r : &f;
    for (int k = 0; k < (d->flags & 1 ? 1 : d->copies); k++) {
      if (t == &f) put(t, " + (");
      put_lhs(t, d, lhs);
      put(t, dbl && t == &f ? " || " : " | ");
      put_group(t, d, shape);
      if (t == &f) put(t, ")");
      /* crossed: each copy its own grouping factor, as far as they go */
      if (shape == 0 && k + 1 < d->ngrp && t == &f) {
        put(t, " + (1 | ");
        put(t, first(d, GROUP, k + 1)->name);
        put(t, ")");
      }
    }
  }
  d->formula = f.s;
  d->random = r.s;
  d->options = strdup(d->flags & 2 ? "method=ML" : "method=REML");
  if (!d->options) abort();
}

static void decode(fuzz_stream *s, design *d) {
  d->flags = fuzz_byte(s);
  d->nrows = count(s, MAX_ROWS);
  uint8_t shape = fuzz_byte(s);
  d->nnum = shape & 3;
  d->nfac = (shape >> 2) & 3;
  d->ngrp = ((shape >> 4) & 7) % (MAX_GRP + 1);
  int as_number = shape >> 7;
  d->ncol = 1 + d->nnum + d->nfac + d->ngrp;
  column *y = &d->col[0];
  *y = (column){"y", NUMERIC, 0, 0, 0, 1.0, 0};
  for (int i = 1; i < d->ncol; i++) {
    column *c = &d->col[i];
    int role = i <= d->nnum ? NUMERIC : i <= d->nnum + d->nfac ? FACTOR : GROUP;
    int k = role == NUMERIC ? i : role == FACTOR ? i - d->nnum : i - d->nnum - d->nfac;
    *c = (column){"", role, 0, 0, as_number, 1.0, 0};
    snprintf(c->name, sizeof c->name, "%c%d", role == NUMERIC ? 'x' : role == FACTOR ? 'f' : 'g', k);
    if (role == NUMERIC) {
      c->scale = exponent_scale(fuzz_byte(s));
      c->specials = fuzz_byte(s) & 3;
    } else {
      c->nlevels = count(s, MAX_LEVELS);
      c->assign = fuzz_byte(s) & 3;
    }
  }
  d->bar = fuzz_byte(s);
  d->copies = count(s, MAX_COPIES);
  if ((fuzz_byte(s) & 7) != 0) d->copies = 1 + d->copies % 4;   /* mostly a few */
  d->depth = 1 + count(s, MAX_DEPTH);
  d->width = 1 + fuzz_byte(s) % MAX_WIDTH;
  y->scale = exponent_scale(fuzz_byte(s));
}

/* ---- the rows ---- */

typedef struct rows {
  const design *d;
  lmm_model *m;
  int *colmap;         /* model column -> design column */
  lmm_value *vals;
  char **bufs;
  int nrows;
} rows;

/* Row r's value of design column c into v (a text in *buf, freed after the row). */
GENERATOR static void make_value(const design *d, int c, int r, lmm_value *v, char **buf) {
  const column *col = &d->col[c];
  uint64_t h = mix((uint64_t)r * 7919 + (uint64_t)c);
  double u = (double)(h >> 11) / 9007199254740992.0 * 2 - 1;   /* [-1, 1) */
  *v = (lmm_value){LMM_NUM, 0, NULL, 0, 0};
  *buf = NULL;
  if (col->role == NUMERIC && c > 0) {
    v->num = u * col->scale;
    if (col->specials == 1 && h % 101 == 0) v->type = LMM_NULL;
    if (col->specials == 2 && h % 211 == 0) v->num = h & 1 ? INFINITY : -DBL_MAX;
    if (col->specials == 3) v->num = col->scale;
    return;
  }
  if (c == 0) {   /* y: the covariates' sum, the groups' effects and noise, at its scale */
    double y = u;
    for (int i = 1; i < d->ncol; i++) {
      const column *o = &d->col[i];
      y += o->role == NUMERIC ? 0.5 * (double)(mix((uint64_t)r * 7919 + (uint64_t)i) >> 11) / 9007199254740992.0
                              : (double)(mix((uint64_t)level_of(o, r, d->nrows, i)) % 1000) / 500.0;
    }
    v->num = y * col->scale;
    return;
  }
  int level = level_of(col, r, d->nrows, c);
  if (col->as_number) { v->num = level; return; }
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "L%d", level);
  *buf = malloc((size_t)n);
  if (!*buf) abort();
  memcpy(*buf, tmp, (size_t)n);
  *v = (lmm_value){LMM_TEXT, 0, *buf, n, 0};
}

GENERATOR static void make_row(rows *rs, int r) {
  int nc = lmm_model_ncols(rs->m);
  for (int i = 0; i < nc; i++) make_value(rs->d, rs->colmap[i], r, &rs->vals[i], &rs->bufs[i]);
}

GENERATOR static void free_row(rows *rs) {
  int nc = lmm_model_ncols(rs->m);
  for (int i = 0; i < nc; i++) { free(rs->bufs[i]); rs->bufs[i] = NULL; }
}

GENERATOR static int feed_rows(void *arg, lmm_feed *feed) {
  rows *rs = arg;
  lmm_error err = {0};
  for (int r = 0; r < rs->nrows; r++) {
    make_row(rs, r);
    int rc = lmm_feed_row(feed, rs->vals, r + 1, &err);
    free_row(rs);
    if (rc) return LMM_OK;   /* the frame's error is lmm_model_read's */
  }
  return LMM_OK;
}

/* Random-effects terms the formula makes: what the rows are bounded by. */
static long reterms(const lmm_model *m) {
  const lmm_formula *f = m->formula;
  long n = 0;
  for (int b = 0; b < f->nbars; b++) n += f->bars[b].model.intercept + f->bars[b].model.nterms;
  return n;
}

static int predict_some(rows *rs, int level, lmm_error *err) {
  lmm_predictor *p = NULL;
  int rc = lmm_predictor_new(rs->m, level, &p, err);
  if (rc) return rc;
  int nc = lmm_predictor_ncols(p);
  int *map = calloc((size_t)nc + 1, sizeof *map);
  lmm_value *vals = calloc((size_t)nc + 1, sizeof *vals);
  char **bufs = calloc((size_t)nc + 1, sizeof *bufs);
  if (!map || !vals || !bufs) abort();
  for (int i = 0; i < nc; i++)
    for (int c = 0; c < rs->d->ncol; c++)
      if (!strcmp(lmm_predictor_col(p, i), rs->d->col[c].name)) map[i] = c;
  for (int r = 0; r < PREDICT_ROWS && !rc; r++) {
    /* rows past the data's end: new groups, and levels the fit never saw */
    int row = r < PREDICT_ROWS / 2 ? r : rs->d->nrows + r;
    for (int i = 0; i < nc; i++) make_value(rs->d, map[i], row, &vals[i], &bufs[i]);
    double pred;
    rc = lmm_predict_row(p, vals, row + 1, &pred, err);
    if (rc && !err->msg[0]) abort();
    for (int i = 0; i < nc; i++) { free(bufs[i]); bufs[i] = NULL; }
  }
  free(map);
  free(vals);
  free(bufs);
  lmm_predictor_free(p);
  return rc;
}

static void *run(void *arg) {
  const fuzz_input *in = arg;
  fuzz_stream s = fuzz_stream_new(in->data, in->size, 0);
  design d;
  decode(&s, &d);
  write_formula(&d);
  const char *debug = getenv("LMM_FUZZ_DEBUG");
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  if (debug) fprintf(stderr, "fuzz_design: %s  [random %s] %s, %d rows\n", d.formula, d.random ? d.random : "-", d.options, d.nrows);

  lmm_model *m = NULL;
  lmm_error err = {0};
  const char *stage = "begin";
  int rc = lmm_model_begin(d.formula, d.random, d.options, &m, &err);
  if (rc) {
    if (m || !err.msg[0]) abort();
    goto done;
  }
  int nc = lmm_model_ncols(m);
  rows rs = {&d, m, calloc((size_t)nc + 1, sizeof(int)), calloc((size_t)nc + 1, sizeof(lmm_value)),
             calloc((size_t)nc + 1, sizeof(char *)), d.nrows};
  if (!rs.colmap || !rs.vals || !rs.bufs) abort();
  for (int i = 0; i < nc; i++) {
    rs.colmap[i] = -1;
    for (int c = 0; c < d.ncol; c++) if (!strcmp(lmm_model_col(m, i), d.col[c].name)) rs.colmap[i] = c;
    if (rs.colmap[i] < 0) abort();   /* the formula reads only the columns written into it */
  }
  long work = reterms(m) > 1 ? reterms(m) : 1;
  if ((long)d.nrows * work > MAX_WORK) d.nrows = (int)(MAX_WORK / work) > 1 ? (int)(MAX_WORK / work) : 2;
  rs.nrows = d.nrows;
  lmm_model_rows_have_rowid(m, (d.flags >> 4) & 1);

  stage = "rows";
  if (d.flags & 4) {
    int read_rc = 0;
    rc = lmm_model_read(m, feed_rows, &rs, &read_rc, &err);
    if (read_rc) abort();
  } else {
    for (int r = 0; r < rs.nrows && !rc; r++) {
      make_row(&rs, r);
      rc = lmm_model_add_row(m, rs.vals, r + 1, &err);
      free_row(&rs);
    }
  }
  fuzz_budget budget;
  if (!rc) {
    stage = "fit";
    fuzz_budget_start(&budget, INT_MAX, FIT_SECONDS);
    rc = lmm_model_fit(m, fuzz_budget_spent, &budget, &err);
    fuzz_check_finished(m, rc, &err);
  }
  if (!rc) { stage = "ranef"; rc = lmm_model_ranef(m, 1, fuzz_budget_spent, &budget, &err); }
  for (int level = -1; level <= 1 && !rc; level++) { stage = "predict"; rc = predict_some(&rs, level, &err); }
  if (rc && !err.msg[0]) abort();
  if (debug) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(stderr, "fuzz_design: %d rows, %ld random-effects terms, %.2f s: %s %s\n", rs.nrows, work,
            (double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec), stage, rc ? err.msg : "ok");
  }
  free(rs.colmap);
  free(rs.vals);
  free(rs.bufs);
done:
  if (debug && !m) fprintf(stderr, "fuzz_design: begin: %s\n", err.msg);
  lmm_model_free(m);
  free(d.formula);
  free(d.random);
  free(d.options);
  return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  fuzz_use_host_allocator();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_LEN) return 0;
  fuzz_on_small_stack(run, data, size);
  return 0;
}
