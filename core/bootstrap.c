/* bootstrap.c — refits to simulated responses (see bootstrap.h). */
#include "bootstrap.h"
#include "alloc.h"
#include "blas_threads.h"
#include "options.h"
#include "parallel.h"
#include "simulate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- options ------------------------------------------------------------------------------------------ */

/* A whole number of decimal digits, at most max. */
static int whole(const char *s, const char *e, uint64_t max, uint64_t *v) {
  if (s == e) return 0;
  uint64_t x = 0;
  for (; s < e; s++) {
    uint64_t digit = (uint64_t)(*s - '0');
    if (!isdigit((unsigned char)*s) || digit > max || x > (max - digit) / 10) return 0;
    x = x * 10 + digit;
  }
  *v = x;
  return 1;
}

int lmm_boot_options_parse(const char *text, int with_test, lmm_boot_options *o, lmm_error *err) {
  *o = (lmm_boot_options){1000, 1, lmm_parallel_parts(), 0};
  int given[4] = {0};
  static const char *const keys[] = {"nsim", "seed", "threads", "test"};
  lmm_option op;
  for (const char *p = text;;) {
    if (lmm_option_next(&p, &op, "nsim=1000", err)) return LMM_ERR;
    if (!op.key) break;
    const char *ks = op.key, *kend = op.key_end, *vs = op.val, *ve = op.val_end;
    int k = 0, nk = with_test ? 4 : 3;
    while (k < nk && !lmm_span_is(ks, kend, keys[k])) k++;
    if (k == nk)
      return lmm_fail(err, LMM_ERR, "options: unknown option '%.*s' (known: nsim, seed, threads%s)", (int)(kend - ks),
                      ks, with_test ? ", test" : "");
    if (given[k]++) return lmm_fail(err, LMM_ERR, "options: %s is given twice; keep one", keys[k]);
    uint64_t v = 0;
    if (k == 0 && (!whole(vs, ve, LMM_BOOT_MAX_NSIM, &v) || v < 1))
      return lmm_fail(err, LMM_ERR, "options: nsim must be a whole number of simulations from 1 to %d, not '%.*s'",
                      LMM_BOOT_MAX_NSIM, (int)(ve - vs), vs);
    if (k == 1 && !whole(vs, ve, INT64_MAX, &v))
      return lmm_fail(err, LMM_ERR, "options: seed must be a whole number from 0 to %lld, not '%.*s'",
                      (long long)INT64_MAX, (int)(ve - vs), vs);
    if (k == 2 && (!whole(vs, ve, LMM_BOOT_MAX_THREADS, &v) || v < 1))
      return lmm_fail(err, LMM_ERR, "options: threads must be a whole number from 1 to %d, not '%.*s'",
                      LMM_BOOT_MAX_THREADS, (int)(ve - vs), vs);
    if (k == 3 && !lmm_span_is(vs, ve, "bootstrap"))
      return lmm_fail(err, LMM_ERR, "options: test must be bootstrap (pbkrtest's PBmodcomp), not '%.*s'",
                      (int)(ve - vs), vs);
    if (k == 0) o->nsim = (int)v;
    else if (k == 1) o->seed = v;
    else if (k == 2) o->threads = (int)v;
    else o->test = 1;
  }
  return LMM_OK;
}

/* ---- one fit's estimates ------------------------------------------------------------------------------ */

int lmm_boot_npar(const lmm_design *d) {
  int n = d->p + 1;
  for (int t = 0; t < d->nre; t++) n += (int)lmm_theta_term_count(d->re[t].q);
  return n;
}

/* The order of lmm_tidy_rows (inference.c): beta, each term's sds then its correlations (a < b), sigma, a
 * residual structure's parameters. */
void lmm_boot_estimates(const lmm_design *d, const lmm_fit *f, int style, double *est) {
  int k = 0;
  for (int j = 0; j < d->p; j++) est[k++] = f->beta[j];
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q;
    double sd[LMM_MAX_Q], cor[LMM_MAX_Q * LMM_MAX_Q];
    lmm_fit_term_sd(f, t, sd, cor);
    for (int a = 0; a < q; a++) est[k++] = sd[a];
    for (int a = 0; a < q; a++)
      for (int b = a + 1; b < q; b++) est[k++] = cor[a + b * q];
  }
  est[k++] = lmm_reported_sigma(d, f, style);
  for (int j = 0; j < f->nstruct; j++) est[k++] = f->struct_est[j];
}

/* ---- refits on threads -------------------------------------------------------------------------------- */

/* What one thread keeps: its scratch and its own view of the interrupt. */
typedef struct part_state {
  lmm_sim_work w;
  lmm_structure *st[2];  /* the residual structures refitted (of the model simulated from, of the other): the
                            thread's own, as a fit binds its structure to the rows */
  double *y, *ydesign;   /* n: the simulated response, and the response a design fits (less its offset) */
  lmm_stop own, *stop;    /* the caller's on the calling thread; elsewhere one that reads its answer */
  lmm_error err;
  int failed;
} part_state;

typedef struct run {
  const lmm_model *from;       /* the model simulated from */
  const lmm_model *other;      /* the larger model of a test (NULL for bootMer's refits) */
  lmm_sim sim;
  uint64_t seed;
  int nsim, next, abort;       /* next and abort: read and written atomically */
  lmm_stop *stop;
  part_state part[LMM_BOOT_MAX_THREADS];
  int npar;
  double *out;                 /* bootMer: nsim x npar; the test: nsim */
} run;

static int stop_seen(void *ctx) { return lmm_stop_seen(ctx); }

/* m refitted to y (the data's units): fit and system (NULL without random effects) for the caller to free; with
 * a residual structure st (m's, parsed again) its parameters are fitted again too, from their start. */
static int refit(const lmm_model *m, lmm_structure *st, part_state *ps, lmm_fit **fit, lmm_system **sys) {
  const lmm_design *d = m->design;
  const double *off = d->frame->offset;
  for (size_t i = 0; i < d->n; i++) ps->ydesign[i] = off ? ps->y[i] - off[i] : ps->y[i];
  lmm_design dy = *d;
  dy.y = ps->ydesign;
  dy.y_own = NULL;
  *fit = NULL;
  *sys = NULL;
  if (st) {
    lmm_fit_options fo = {.reml = m->fit->reml, .stop = ps->stop};
    return lmm_structure_fit(st, &dy, lmm_df_method(d, m->style, m->options.df), &fo, sys, fit, &ps->err);
  }
  if (!d->nre) return lmm_fit_ols(&dy, m->fit->reml, ps->stop, fit, &ps->err);
  int rc = lmm_system_new(&dy, ps->stop, sys, &ps->err);
  if (!rc && lmm_system_set_parts(*sys, 1) < 0) rc = lmm_nomem(&ps->err);
  lmm_fit_options fo = {.reml = m->fit->reml, .stop = ps->stop, .start = m->fit->theta};
  if (!rc) rc = lmm_fit_run(*sys, &fo, fit, &ps->err);
  return rc;
}

/* Replicate r's numbers into the run's out; a refit's own failure (not memory, not an interrupt) is NaN. */
static int replicate(run *R, part_state *ps, int r) {
  int rc = lmm_sim_response(&R->sim, &ps->w, R->seed, (uint64_t)r, ps->y, &ps->err);
  if (rc) return rc;
  lmm_fit *f = NULL, *g = NULL;
  lmm_system *s = NULL, *t = NULL;
  rc = refit(R->from, ps->st[0], ps, &f, &s);
  if (!rc && R->other) rc = refit(R->other, ps->st[1], ps, &g, &t);
  if (!rc && !R->other) lmm_boot_estimates(R->from->design, f, R->from->style, R->out + (size_t)r * (size_t)R->npar);
  if (!rc && R->other) R->out[r] = 2 * (g->logLik - f->logLik);
  if (rc == LMM_ERR || rc == LMM_NUMERIC) {
    for (int k = 0; k < R->npar; k++) R->out[(size_t)r * (size_t)R->npar + (size_t)k] = NAN;
    ps->failed++;
    ps->err = (lmm_error){0};
    rc = LMM_OK;
  }
  lmm_fit_free(f);
  lmm_fit_free(g);
  lmm_system_free(s);
  lmm_system_free(t);
  return rc;
}

static int run_part(void *arg, int part) {
  run *R = arg;
  part_state *ps = &R->part[part];
  for (;;) {
    if (__atomic_load_n(&R->abort, __ATOMIC_RELAXED)) return LMM_OK;
    if (lmm_stop_part(R->stop, part)) {
      ps->err.code = LMM_INTERRUPTED;
      return LMM_INTERRUPTED;
    }
    int r = __atomic_fetch_add(&R->next, 1, __ATOMIC_RELAXED);
    if (r >= R->nsim) return LMM_OK;
    int rc = replicate(R, ps, r);
    if (rc) {
      __atomic_store_n(&R->abort, 1, __ATOMIC_RELAXED);
      return rc;
    }
  }
}

/* nsim replicates of R on o's threads; the first part's error that is not another's echo is err's. */
static int run_all(run *R, const lmm_boot_options *o, lmm_error *err) {
  int nparts = o->threads < R->nsim ? o->threads : R->nsim, rc = LMM_OK;
  const lmm_model *from = R->from;
  size_t n = from->design->n ? from->design->n : 1;
  if ((rc = lmm_sim_init(&R->sim, from->design, from->fit, lmm_model_sigma(from), from->structure, err))) return rc;
  for (int k = 0; k < nparts && !rc; k++) {
    part_state *ps = &R->part[k];
    const lmm_model *ms[2] = {from, R->other};
    for (int i = 0; i < 2 && !rc; i++)   /* parsed here: parsing carries variables into the model's formula */
      if (ms[i] && ms[i]->structure)
        rc = lmm_structure_parse(ms[i]->options.weights, ms[i]->options.correlation, ms[i]->formula, &ps->st[i], err);
    if (rc) break;
    ps->own = (lmm_stop){stop_seen, R->stop, 0};
    ps->stop = k ? &ps->own : R->stop;
    ps->y = lmm_malloc_array(n, sizeof *ps->y);
    ps->ydesign = lmm_malloc_array(n, sizeof *ps->ydesign);
    if (!ps->y || !ps->ydesign) rc = lmm_nomem(err);
    else rc = lmm_sim_work_init(&R->sim, &ps->w, err);
  }
  if (!rc) {
    lmm_blas_serial_begin();
    rc = lmm_parallel(nparts, run_part, R);
    lmm_blas_serial_end();
    for (int k = 0; rc && k < nparts; k++)   /* an interrupt's or memory's own message before another's */
      if (R->part[k].err.code && R->part[k].err.code != LMM_INTERRUPTED) { *err = R->part[k].err; rc = err->code; break; }
    if (rc && !err->code) rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted");
  }
  for (int k = 0; k < nparts; k++) {
    lmm_structure_free(R->part[k].st[0]);
    lmm_structure_free(R->part[k].st[1]);
    lmm_sim_work_clear(&R->part[k].w);
    lmm_free(R->part[k].y);
    lmm_free(R->part[k].ydesign);
  }
  lmm_sim_clear(&R->sim);
  return rc;
}

static int nfailed(const run *R) {
  int n = 0;
  for (int k = 0; k < LMM_BOOT_MAX_THREADS; k++) n += R->part[k].failed;
  return n;
}

int lmm_bootstrap(const lmm_model *m, const lmm_boot_options *o, int (*interrupted)(void *), void *ctx,
                  lmm_boot **out, lmm_error *err) {
  *out = NULL;
  const lmm_design *d = m->design;
  int npar = lmm_boot_npar(d) + m->fit->nstruct, nlab = 0;
  lmm_boot *b = lmm_calloc(1, sizeof *b);
  if (!b) return lmm_nomem(err);
  b->nsim = o->nsim;
  b->npar = npar;
  b->label = lmm_calloc((size_t)npar, sizeof *b->label);
  b->t = lmm_malloc_array(lmm_size_mul((size_t)o->nsim, (size_t)npar), sizeof *b->t);
  if (!b->label || !b->t) { lmm_boot_free(b); return lmm_nomem(err); }
  for (int i = 0; i < m->result->nrows; i++) {
    const lmm_row *row = &m->result->rows[i];
    if ((!strcmp(row->effect, "fixed") || !strcmp(row->effect, "ran_pars")) && nlab < npar) b->label[nlab++] = row;
  }
  lmm_stop stop = {interrupted, ctx, 0};
  run R = {.from = m, .seed = o->seed, .nsim = o->nsim, .stop = &stop, .npar = npar, .out = b->t};
  int rc = nlab == npar ? run_all(&R, o, err)
                        : lmm_fail(err, LMM_ERR, "the model's tidy rows do not list its %d parameters", npar);
  if (rc) { lmm_boot_free(b); return rc; }
  b->nfailed = nfailed(&R);
  *out = b;
  return LMM_OK;
}

void lmm_boot_free(lmm_boot *b) {
  if (!b) return;
  lmm_free(b->label);
  lmm_free(b->t);
  lmm_free(b);
}

int lmm_boot_lrt(const lmm_model *small, const lmm_model *large, const lmm_boot_options *o,
                 int (*interrupted)(void *), void *ctx, double *lrt, lmm_error *err) {
  const lmm_frame *a = small->design->frame, *b = large->design->frame;
  if (a->n != b->n) return lmm_fail(err, LMM_ERR, "the models were fitted to %zu and %zu rows", a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    if (a->y[i] != b->y[i])
      return lmm_fail(err, LMM_ERR, "the models' responses differ at row %zu (%.17g and %.17g): a bootstrap test "
                      "compares two fits of one response to the same rows", i + 1, a->y[i], b->y[i]);
  lmm_stop stop = {interrupted, ctx, 0};
  run R = {.from = small, .other = large, .seed = o->seed, .nsim = o->nsim, .stop = &stop, .npar = 1, .out = lrt};
  return run_all(&R, o, err);
}

double lmm_boot_lrt_p(double stat, const double *lrt, int nsim, int *used) {
  int pos = 0, extreme = 0;
  for (int r = 0; r < nsim; r++)
    if (lrt[r] > 0) {
      pos++;
      if (lrt[r] > stat) extreme++;
    }
  *used = pos;
  return (1.0 + extreme) / (1.0 + pos);
}
