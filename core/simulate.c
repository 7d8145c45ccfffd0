/* simulate.c — responses simulated from a fit (see simulate.h). */
#include "simulate.h"
#include "alloc.h"
#include "residuals.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <math.h>
#include <string.h>

/* SplitMix64's step and its output mix (Steele, Lea and Flood 2014). */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static uint64_t splitmix64(uint64_t *x) { return mix64(*x += 0x9E3779B97F4A7C15u); }

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The replicate's SplitMix64 state is a mix of seed and r (a bijection of r for a given seed), so two
 * replicates start far apart in SplitMix64's sequence; its next four outputs are xoshiro's state, never
 * all zero in practice (and made nonzero if so). */
void lmm_rng_stream(lmm_rng *g, uint64_t seed, uint64_t r) {
  uint64_t x = mix64(mix64(seed) ^ r);
  for (int k = 0; k < 4; k++) g->s[k] = splitmix64(&x);
  if (!(g->s[0] | g->s[1] | g->s[2] | g->s[3])) g->s[0] = 1;
}

/* xoshiro256** (Blackman and Vigna 2018). */
uint64_t lmm_rng_next(lmm_rng *g) {
  uint64_t *s = g->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double lmm_rng_uniform(lmm_rng *g) { return ((double)(lmm_rng_next(g) >> 11) + 0.5) * 0x1p-53; }

double lmm_rng_normal(lmm_rng *g) { return qnorm(lmm_rng_uniform(g), 0, 1, 1, 0); }

int lmm_sim_init(lmm_sim *s, const lmm_design *d, const lmm_fit *f, double sigma, const lmm_structure *structure,
                 lmm_error *err) {
  memset(s, 0, sizeof *s);
  s->d = d;
  s->f = f;
  s->sigma = sigma;
  s->structure = structure;
  if (!d->nre) return LMM_OK;
  if (!(s->T = lmm_calloc((size_t)d->nre, sizeof *s->T))) return lmm_nomem(err);
  for (int t = 0; t < d->nre; t++) {
    int q = d->re[t].q;
    if (!(s->T[t] = lmm_calloc((size_t)(q * q), sizeof *s->T[t]))) { lmm_sim_clear(s); return lmm_nomem(err); }
    lmm_theta_term_T(f->map, f->theta, t, s->T[t]);
    for (int k = 0; k < q * q; k++) s->T[t][k] *= f->sigma;   /* Var(b) = sigma^2 T T', sigma the fit's */
    s->nb += (size_t)d->re[t].nlevels * (size_t)q;
  }
  return LMM_OK;
}

void lmm_sim_clear(lmm_sim *s) {
  for (int t = 0; s->T && t < s->d->nre; t++) lmm_free(s->T[t]);
  lmm_free(s->T);
  s->T = NULL;
}

int lmm_sim_work_init(const lmm_sim *s, lmm_sim_work *w, lmm_error *err) {
  memset(w, 0, sizeof *w);
  size_t n = s->d->n ? s->d->n : 1;
  w->fixed = lmm_malloc_array(n, sizeof *w->fixed);
  w->full = lmm_malloc_array(n, sizeof *w->full);
  w->z = lmm_malloc_array(n, sizeof *w->z);
  w->e = lmm_malloc_array(n, sizeof *w->e);
  w->b = lmm_malloc_array(s->nb ? s->nb : 1, sizeof *w->b);
  w->ranef.nre = s->d->nre;
  w->ranef.term = lmm_calloc((size_t)(s->d->nre ? s->d->nre : 1), sizeof *w->ranef.term);
  if (!w->fixed || !w->full || !w->z || !w->e || !w->b || !w->ranef.term) { lmm_sim_work_clear(w); return lmm_nomem(err); }
  size_t at = 0;
  for (int t = 0; t < s->d->nre; t++) {
    const lmm_reterm *re = &s->d->re[t];
    w->ranef.term[t] = (lmm_ranef_term){re->grp, re->nlevels, re->q, w->b + at, NULL};
    at += (size_t)re->nlevels * (size_t)re->q;
  }
  return LMM_OK;
}

void lmm_sim_work_clear(lmm_sim_work *w) {
  lmm_free(w->fixed);
  lmm_free(w->full);
  lmm_free(w->z);
  lmm_free(w->e);
  lmm_free(w->b);
  lmm_free(w->ranef.term);
  memset(w, 0, sizeof *w);
}

int lmm_sim_response(const lmm_sim *s, lmm_sim_work *w, uint64_t seed, uint64_t r, double *y, lmm_error *err) {
  const lmm_design *d = s->d;
  lmm_rng g;
  lmm_rng_stream(&g, seed, r);
  for (int t = 0; t < d->nre; t++) {   /* b* = sigma T u*, level by level */
    int q = d->re[t].q;
    const double *T = s->T[t];
    for (int l = 0; l < d->re[t].nlevels; l++) {
      double u[LMM_MAX_Q], *b = w->ranef.term[t].b + (size_t)l * (size_t)q;
      for (int a = 0; a < q; a++) u[a] = lmm_rng_normal(&g);
      for (int a = 0; a < q; a++) {
        double acc = 0;
        for (int k = 0; k <= a; k++) acc += T[a + k * q] * u[k];
        b[a] = acc;
      }
    }
  }
  lmm_fitted(d, s->f, d->nre ? &w->ranef : NULL, w->fixed, w->full, NULL);
  for (size_t i = 0; i < d->n; i++) w->z[i] = lmm_rng_normal(&g);
  const double *e = w->z;
  if (s->structure) {
    int rc = lmm_structure_color(s->structure, d->n, w->z, w->e, err);
    if (rc) return rc;
    e = w->e;
  }
  for (size_t i = 0; i < d->n; i++) y[i] = w->full[i] + s->sigma * e[i];
  return LMM_OK;
}
