/* simulate.h — responses simulated from a fitted model, as lme4's simulate():
 *
 *   y* = X beta + offset + Z b* + e*,  b* ~ N(0, sigma^2 T T') per level of each term,  e* ~ N(0, sigma^2)
 *
 * and under a residual structure (structure.h) e* = sigma S L z, z ~ N(0, I): the variance function's SD factors
 * and the correlation's factor group by group, at the structure's parameters (lmm_structure_color).
 *
 * at the fit's beta, theta (T for Z in the data's units) and sigma (the one R reports).  Replicate r draws
 * from a stream of its own, made from (seed, r) alone -- SplitMix64 seeds a xoshiro256** generator -- and
 * its normals by inversion (Rmath's qnorm, as R's default normal.kind), first b* (term by term, level by
 * level) then e* (row by row).  So a replicate's numbers do not depend on which thread makes it, nor on how
 * many replicates come before: there is no global state.
 */
#ifndef LMM_SIMULATE_H
#define LMM_SIMULATE_H

#include <stdint.h>

#include "ranef.h"
#include "structure.h"

typedef struct lmm_rng { uint64_t s[4]; } lmm_rng;

/* The generator of replicate r of seed. */
void lmm_rng_stream(lmm_rng *g, uint64_t seed, uint64_t r);
uint64_t lmm_rng_next(lmm_rng *g);
/* Uniform on (0, 1): 53 random bits, never 0 or 1. */
double lmm_rng_uniform(lmm_rng *g);
/* Standard normal, by inversion. */
double lmm_rng_normal(lmm_rng *g);

/* What one replicate needs from a fit; d and f borrowed (they must outlive it). */
typedef struct lmm_sim {
  const lmm_design *d;
  const lmm_fit *f;
  double sigma;
  double **T;          /* per design term: sigma T (q x q, lower), the factor of Var(b) */
  size_t nb;           /* random effects of all terms */
  const lmm_structure *structure;   /* the residuals' (NULL: independent, sigma^2); borrowed, read only */
} lmm_sim;

/* Scratch for one replicate at a time (each thread its own): made where allocating is allowed. */
typedef struct lmm_sim_work {
  double *fixed, *full, *z, *e;    /* n */
  double *b;               /* nb */
  lmm_ranef ranef;         /* b* as lmm_fitted reads it */
} lmm_sim_work;

/* structure: the fit's residual structure, or NULL. */
int lmm_sim_init(lmm_sim *s, const lmm_design *d, const lmm_fit *f, double sigma, const lmm_structure *structure,
                 lmm_error *err);
void lmm_sim_clear(lmm_sim *s);
int lmm_sim_work_init(const lmm_sim *s, lmm_sim_work *w, lmm_error *err);
void lmm_sim_work_clear(lmm_sim_work *w);
/* Replicate r's response into y (n values, in the data's units, the offset included).  Allocates nothing
 * without a structure; with one, its coloring does (LMM_NOMEM, LMM_NUMERIC in err). */
int lmm_sim_response(const lmm_sim *s, lmm_sim_work *w, uint64_t seed, uint64_t r, double *y, lmm_error *err);

#endif
