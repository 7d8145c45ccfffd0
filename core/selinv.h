/* selinv.h — Σ = (L_Z L_Z')^-1 on the pattern of the random-effects factor
 * (selected inversion), for the conditional covariances of the random
 * effects: the blocks laid out as L's, values of their own. */
#ifndef LMM_SELINV_H
#define LMM_SELINV_H

#include "blocks.h"
#include "stop.h"

enum { LMM_SELINV_MAX_TERMS = 64 };

typedef struct lmm_selinv {
  int K;
  lmm_block *blk;     /* K x K, lower triangle, (i, j) at i*K + j */
} lmm_selinv;

/* The system must hold the factor at the fit's theta. */
int lmm_selinv_new(const lmm_system *s, lmm_stop *stop, lmm_selinv **out, lmm_error *err);
void lmm_selinv_free(lmm_selinv *Sigma);

static inline const lmm_block *lmm_selinv_block(const lmm_selinv *Sigma, int i, int j) { return &Sigma->blk[i * Sigma->K + j]; }

/* The q x q block of level l of term k (fit position): *ld its leading dimension. */
const double *lmm_selinv_level(const lmm_selinv *Sigma, int k, int l, int *ld);

#endif
