/* bootstrap.h — the parametric bootstrap: refits of a fitted model to responses simulated from it
 * (lme4's bootMer), and the bootstrap likelihood-ratio test of two nested models (pbkrtest's PBmodcomp).
 *
 * A model with a residual structure (structure.h) is simulated with its residuals' covariance (simulate.h) and
 * refitted with its structure's parameters, from their start (each thread refits a structure of its own, parsed
 * from the model's calls before the threads start).
 *
 * Replicate r simulates its response from (seed, r) alone (simulate.h) and refits the model's design with
 * that response, the optimizer starting at the fitted theta (and not restarted from lme4's start where the
 * refit is singular, fit.h), by the fit's method (REML or ML).  Each refit
 * builds the blocks again from the design's rows: one pass over them, cheap beside the optimizer on the
 * models a bootstrap is run on.  The replicates are shared among threads (lmm_parallel) as each thread
 * becomes free; a replicate's numbers depend on nothing else, so they are the same bit for bit on any
 * number of threads.  Those threads allocate (every refit does), so a caller gives threads > 1 only where
 * the allocator is thread-safe (the extension: SQLite built thread-safe).  Interrupts are asked on the
 * calling thread between and within its refits; the other threads read the answer (stop.h).
 */
#ifndef LMM_BOOTSTRAP_H
#define LMM_BOOTSTRAP_H

#include <stdint.h>

#include "model.h"

enum { LMM_BOOT_MAX_NSIM = 100000, LMM_BOOT_MAX_THREADS = 4 };

/* The options of a bootstrap: 'nsim=1000, seed=1, threads=2' (and test=bootstrap where with_test). */
typedef struct lmm_boot_options {
  int nsim;            /* nsim=: 1 .. LMM_BOOT_MAX_NSIM; default 1000 */
  uint64_t seed;       /* seed=: 0 .. 2^63 - 1; default 1 */
  int threads;         /* threads=: 1 .. LMM_BOOT_MAX_THREADS; default lmm_parallel_parts() */
  int test;            /* test=bootstrap was given */
} lmm_boot_options;

int lmm_boot_options_parse(const char *text, int with_test, lmm_boot_options *o, lmm_error *err);

/* bootMer's t: replicate r's estimates at t[r * npar .. r * npar + npar - 1], in the order of the model's
 * tidy rows of effect "fixed" and "ran_pars" (the fixed effects, each term's sds and correlations, the
 * residual sd), label[k] being that row of the model's result (borrowed: the model must outlive it).  A
 * refit that failed (not interrupted, not out of memory) leaves its row NaN and counts in nfailed. */
typedef struct lmm_boot {
  int nsim, npar;
  const lmm_row **label;
  double *t;           /* nsim x npar, row by row */
  int nfailed;
} lmm_boot;

int lmm_bootstrap(const lmm_model *m, const lmm_boot_options *o, int (*interrupted)(void *), void *ctx,
                  lmm_boot **out, lmm_error *err);
void lmm_boot_free(lmm_boot *b);

/* A fit's estimates in that order (npar of them: lmm_boot_npar's p + each term's q(q+1)/2 + 1, then the fit's
 * nstruct residual-structure parameters); the fit's system must be alive (its map). */
int lmm_boot_npar(const lmm_design *d);
void lmm_boot_estimates(const lmm_design *d, const lmm_fit *f, int style, double *est);

/* PBmodcomp's reference distribution: nsim responses simulated from the small model, both models refitted
 * to each; lrt[r] = 2 (logLik_large - logLik_small) of replicate r (NaN where a refit failed).  The models
 * must be fits of one response to the same rows. */
int lmm_boot_lrt(const lmm_model *small, const lmm_model *large, const lmm_boot_options *o,
                 int (*interrupted)(void *), void *ctx, double *lrt, lmm_error *err);
/* pbkrtest's p-value: (1 + #{lrt[r] > stat}) / (1 + #{lrt[r] > 0}), over the replicates with lrt[r] > 0
 * (its .finalizePB); *used gets that count. */
double lmm_boot_lrt_p(double stat, const double *lrt, int nsim, int *used);

#endif
