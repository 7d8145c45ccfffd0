/* structure_sums.c — a residual structure's cross-products as combinations of sums accumulated once (see
 * structure_sums.h). */
#include "structure_sums.h"
#include "accumulate.h"
#include "alloc.h"
#include "parallel.h"
#include "structure_parts.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { MAX_STRATA = 8, MAX_GAPS = 8, MAX_CLASSES = 16 };   /* at most 8 + 3 * 16 sums: a 64-bit mask holds them */
enum { LEVEL_VALUES_PARALLEL = 1 << 17 };
enum { SUM_FIRST, SUM_LATER, SUM_EARLIER, SUM_DIFF };   /* a sum's kind: first rows; a pair's x_j, x_i, x_j - x_i */

struct lmm_struct_sums {
  int nstrata, ngaps, nclasses, nsums;
  int vf_at, cor_at;      /* where varIdent's and the correlation's parameters are in u (-1: none) */
  lmm_varfunc by_stratum; /* varIdent with one row per stratum (ident): its SD factors are the strata's */
  int ident[MAX_STRATA];
  const lmm_structure *st;
  double gap[MAX_GAPS];
  int cls_gap[MAX_CLASSES], cls_from[MAX_CLASSES], cls_to[MAX_CLASSES];   /* a class: gap, strata of i and j */
  double nrow[MAX_STRATA], npair[MAX_GAPS];
  /* Sum k is SUM_FIRST of stratum k (k < nstrata), then each class's SUM_LATER, SUM_EARLIER and SUM_DIFF.  The
   * blocks whose columns are the first term's levels (most of A's values) keep, level by level, only the sums
   * that level's rows fall in (bit k of mask[l]; a subject lies in one stratum, so of the panel's 12 sums 4),
   * in lvals at lstart[b * (nlevels + 1) + l], read in order at each evaluation; the rest of A whole. */
  int nblocks, nlev;
  int nparts;             /* the levels' combination is cut into this many parts, run on threads */
  lmm_block **block;      /* A's blocks, the nlev with the first term's levels as columns first */
  int nlevels;
  uint64_t *mask;         /* nlevels */
  size_t *lstart;         /* nlev x (nlevels + 1) */
  double *lvals;
  size_t values;          /* the rest's values of one sum */
  double *sum;            /* nsums x values */
};

void lmm_struct_sums_free(lmm_struct_sums *ss) {
  if (!ss) return;
  lmm_free(ss->block);
  lmm_free(ss->sum);
  lmm_free(ss->mask);
  lmm_free(ss->lstart);
  lmm_free(ss->lvals);
  lmm_free(ss);
}

static int stratum_of(const lmm_structure *st, size_t r) { return st->nvf ? st->vf[0].stratum[r] : 0; }

/* Each row's place among the sums, from one walk along the correlation groups: first[r] the sum of a group's
 * first row (its stratum's), or of a later row the first of its class's three; prev[r] the row before it in its
 * group (SIZE_MAX for a first row).  The classes of adjacent pairs and the counts come with it; 0 when they are
 * too many. */
static int classify(lmm_struct_sums *ss, const lmm_structure *st, size_t n, int *first, size_t *prev) {
  size_t ngroups = st->has_cor ? st->cor.ngroups : n;
  for (size_t g = 0; g < ngroups; g++) {
    size_t k0 = st->has_cor ? st->cor.start[g] : g, k1 = st->has_cor ? st->cor.start[g + 1] : g + 1;
    for (size_t k = k0; k < k1; k++) {
      size_t r = st->has_cor ? st->cor.rows[k] : k, i = k == k0 ? SIZE_MAX : st->cor.rows[k - 1];
      int h = stratum_of(st, r);
      ss->nrow[h]++;
      prev[r] = i;
      first[r] = h;
      if (i == SIZE_MAX) continue;
      double d = st->cor.pos[k] - st->cor.pos[k - 1];
      int a = 0, c = 0;
      while (a < ss->ngaps && ss->gap[a] != d) a++;
      if (a == ss->ngaps) {
        if (a == MAX_GAPS) return 0;
        ss->gap[ss->ngaps++] = d;
      }
      ss->npair[a]++;
      int from = stratum_of(st, i);
      while (c < ss->nclasses && !(ss->cls_gap[c] == a && ss->cls_from[c] == from && ss->cls_to[c] == h)) c++;
      if (c == ss->nclasses) {
        if (c == MAX_CLASSES) return 0;
        ss->cls_gap[c] = a;
        ss->cls_from[c] = from;
        ss->cls_to[c] = h;
        ss->nclasses++;
      }
      first[r] = -1 - c;   /* the class, made a sum's number once the strata are all known */
    }
  }
  for (size_t r = 0; r < n; r++)
    if (first[r] < 0) first[r] = ss->nstrata + 3 * (-1 - first[r]);
  return 1;
}

/* The design that reads sum number k's rows alone, compacted in the rows' order into white (ld its nk rows),
 * sub's levels into g (n per term) and zcol (a pointer per term): each row's x_j, x_i or x_j - x_i.  Rows of
 * other sums would add only zeros to A. */
static void sum_rows(const lmm_struct_sums *ss, int k, const int *first, const size_t *prev, const double *raw,
                     double *white, size_t n, int m, const lmm_design *wd, lmm_design *sub, int *g, double **zcol) {
  int kind = k < ss->nstrata ? SUM_FIRST : SUM_LATER + (k - ss->nstrata) % 3;
  int base = kind == SUM_FIRST ? k : k - (kind - SUM_LATER);
  size_t nk = 0;
  for (size_t r = 0; r < n; r++) nk += first[r] == base;
  for (size_t r = 0, j = 0; r < n; r++) {
    if (first[r] != base) continue;
    size_t i = prev[r];
    for (int a = 0; a < m; a++) {
      const double *x = raw + (size_t)a * n;
      white[j + (size_t)a * nk] = kind == SUM_EARLIER ? x[i] : kind == SUM_DIFF ? x[r] - x[i] : x[r];
    }
    for (int t = 0; t < wd->nre; t++) g[j + (size_t)t * n] = wd->re[t].g[r];
    j++;
  }
  size_t col = (size_t)wd->p;
  for (int t = 0; t < wd->nre; t++) {
    sub->re[t].g = g + (size_t)t * n;
    zcol[t] = white + col * nk;
    col += (size_t)wd->re[t].q;
  }
  sub->n = nk;
  sub->white_x = white;
  sub->white_z = zcol;
  sub->y = white + col * nk;
}

/* A's blocks in order, column by column: the first nlev (K + 1, or none without random effects) have the first
 * term's levels as columns; the others' values (the rest) are kept whole, nsums times. */
static int blocks_list(lmm_struct_sums *ss, lmm_system *s) {
  int K1 = s->K + 1;
  if (!(ss->block = lmm_malloc_array((size_t)(K1 * K1), sizeof *ss->block))) return -1;
  ss->nlev = s->K ? K1 : 0;
  for (int j = 0; j < K1; j++)
    for (int i = j; i < K1; i++) {
      ss->block[ss->nblocks] = lmm_sys_A(s, i, j);
      if (ss->nblocks++ >= ss->nlev) ss->values += lmm_block_values(lmm_sys_A(s, i, j));
    }
  return 0;
}

/* Level l's run of values in block B (column term the first): q x q (diagonal), its stored sub-blocks (sparse)
 * or its q columns (dense, ld = rows); its offset, *len its length. */
static size_t level_run(const lmm_block *B, int l, size_t *len) {
  size_t sub = (size_t)B->rq * (size_t)B->cq;
  if (B->kind != BLK_SPARSE) {
    *len = sub;
    return (size_t)l * sub;
  }
  *len = (size_t)(B->colptr[l + 1] - B->colptr[l]) * sub;
  return (size_t)B->colptr[l] * sub;
}

/* Each level's mask: the sums its rows fall in (a first row in its stratum's, a pair in its class's three). */
static void mark_levels(lmm_struct_sums *ss, const int *level0, const int *first, const size_t *prev, size_t n) {
  for (size_t r = 0; r < n; r++)
    ss->mask[level0[r]] |= (uint64_t)(prev[r] == SIZE_MAX ? 1 : 7) << first[r];
}

/* Where each level's runs go in lvals: block by block, level by level, its sums in order. */
static size_t level_layout(lmm_struct_sums *ss) {
  size_t total = 0, nl1 = (size_t)ss->nlevels + 1;
  for (int b = 0; b < ss->nlev; b++) {
    for (int l = 0; l < ss->nlevels; l++) {
      size_t len;
      level_run(ss->block[b], l, &len);
      ss->lstart[(size_t)b * nl1 + (size_t)l] = total;
      total += (size_t)__builtin_popcountll(ss->mask[l]) * len;
    }
    ss->lstart[(size_t)b * nl1 + (size_t)ss->nlevels] = total;
  }
  return total;
}

/* Sum k, now in A, into the sums: each level's runs where level_layout put them, the rest whole. */
static void keep_sum(lmm_struct_sums *ss, int k) {
  size_t nl1 = (size_t)ss->nlevels + 1;
  for (int b = 0; b < ss->nlev; b++)
    for (int l = 0; l < ss->nlevels; l++) {
      if (!(ss->mask[l] >> k & 1)) continue;
      size_t len, off = level_run(ss->block[b], l, &len);
      size_t rank = (size_t)__builtin_popcountll(ss->mask[l] & (((uint64_t)1 << k) - 1));
      memcpy(ss->lvals + ss->lstart[(size_t)b * nl1 + (size_t)l] + rank * len, ss->block[b]->v + off, sizeof *ss->lvals * len);
    }
  double *v = ss->sum + (size_t)k * ss->values;
  for (int b = ss->nlev; b < ss->nblocks; b++) {
    size_t nv = lmm_block_values(ss->block[b]);
    memcpy(v, ss->block[b]->v, sizeof *v * nv);
    v += nv;
  }
}

/* Whether the structure is of this kind: varIdent or no variance function, corAR1, corCAR1 or none. */
static int one_pass_kind(const lmm_structure *st) {
  if (st->nvf > 1 || (st->nvf == 1 && st->vf[0].kind != LMM_VF_IDENT)) return 0;
  if (st->nvf == 1 && st->vf[0].nstrata > MAX_STRATA) return 0;
  return !st->has_cor || st->cor.kind == LMM_COR_AR1 || st->cor.kind == LMM_COR_CAR1;
}

/* The rows' places among the sums and the compacted design's levels (sum_rows), held while the sums build. */
typedef struct rows_of_sums {
  int *first, *g;
  size_t *prev;
  lmm_reterm *re;
  double **zcol;
} rows_of_sums;

static void rows_of_sums_free(rows_of_sums *w) {
  lmm_free(w->first);
  lmm_free(w->g);
  lmm_free(w->prev);
  lmm_free(w->re);
  lmm_free(w->zcol);
}

/* The sums, each accumulated over its own rows; *out NULL (LMM_OK) where they do not pay.  An LMM_* code. */
static int build(lmm_struct_sums *ss, const lmm_structure *st, lmm_system *s, const lmm_design *wd, const double *raw,
                 double *white, size_t n, int m, lmm_stop *stop, rows_of_sums *w) {
  size_t n1 = n ? n : 1, nre = (size_t)(wd->nre ? wd->nre : 1);
  w->first = lmm_malloc_array(n1, sizeof *w->first);
  w->prev = lmm_malloc_array(n1, sizeof *w->prev);
  w->g = lmm_malloc_array(lmm_size_mul(n1, nre), sizeof *w->g);
  w->re = lmm_malloc_array(nre, sizeof *w->re);
  w->zcol = lmm_malloc_array(nre, sizeof *w->zcol);
  if (!w->first || !w->prev || !w->g || !w->re || !w->zcol) return LMM_NOMEM;
  if (!classify(ss, st, n, w->first, w->prev)) return LMM_NUMERIC;
  ss->nsums = ss->nstrata + 3 * ss->nclasses;
  ss->nlevels = s->K ? s->nl[0] : 0;
  ss->mask = lmm_calloc((size_t)(ss->nlevels ? ss->nlevels : 1), sizeof *ss->mask);
  if (!ss->mask || blocks_list(ss, s) ||
      !(ss->lstart = lmm_malloc_array(lmm_size_mul((size_t)ss->nlev, (size_t)ss->nlevels + 1) + 1, sizeof *ss->lstart)))
    return LMM_NOMEM;
  if (s->K) mark_levels(ss, wd->re[s->term[0]].g, w->first, w->prev, n);
  size_t nlvals = level_layout(ss), total = lmm_size_add(nlvals, lmm_size_mul((size_t)ss->nsums, ss->values));
  /* the sums pay where combining them costs less than accumulating the rows (m^2 a row) */
  if (total > lmm_size_mul(n, (size_t)(m * m))) return LMM_NUMERIC;
  ss->lvals = lmm_malloc_array(nlvals ? nlvals : 1, sizeof *ss->lvals);
  ss->sum = lmm_malloc_array(lmm_size_mul((size_t)ss->nsums, ss->values) + 1, sizeof *ss->sum);
  if (!ss->lvals || !ss->sum) return LMM_NOMEM;
  lmm_design sub = *wd;
  if (wd->nre) memcpy(w->re, wd->re, sizeof *w->re * (size_t)wd->nre);
  sub.re = w->re;
  for (int k = 0; k < ss->nsums; k++) {
    sum_rows(ss, k, w->first, w->prev, raw, white, n, m, wd, &sub, w->g, w->zcol);
    int rc = lmm_system_refill(s, &sub, stop);
    if (rc) return rc;
    keep_sum(ss, k);
  }
  /* a level's combination is a few multiply-adds a value: threads pay from about a hundred thousand values */
  int parts = lmm_parallel_parts();
  ss->nparts = nlvals >= LEVEL_VALUES_PARALLEL && ss->nlevels >= parts ? parts : 1;
  return LMM_OK;
}

int lmm_struct_sums_new(const lmm_structure *st, lmm_system *s, const lmm_design *wd, const double *raw,
                        double *white, size_t n, int m, lmm_stop *stop, lmm_struct_sums **out, lmm_error *err) {
  *out = NULL;
  if (!one_pass_kind(st) || (!st->nvf && !st->has_cor)) return LMM_OK;
  lmm_struct_sums *ss = lmm_calloc(1, sizeof *ss);
  if (!ss) return lmm_nomem(err);
  ss->st = st;
  ss->nstrata = st->nvf ? st->vf[0].nstrata : 1;
  ss->vf_at = st->nvf ? 0 : -1;
  if (st->nvf) {
    ss->by_stratum = st->vf[0];
    for (int h = 0; h < ss->nstrata; h++) ss->ident[h] = h;
    ss->by_stratum.stratum = ss->ident;
  }
  ss->cor_at = st->has_cor ? (st->nvf ? st->vf[0].npar : 0) : -1;
  rows_of_sums w = {0};
  int rc = build(ss, st, s, wd, raw, white, n, m, stop, &w);
  rows_of_sums_free(&w);
  if (rc) lmm_struct_sums_free(ss);
  else *out = ss;
  if (rc == LMM_NUMERIC) return LMM_OK;   /* not of the kind that pays */
  if (rc == LMM_INTERRUPTED) return lmm_fail(err, rc, "interrupted");
  return rc ? lmm_nomem(err) : LMM_OK;
}

/* The first nlev blocks over the levels of one part (of nparts, cut evenly): each level from its own
 * sums, its runs read in order; the parts write disjoint runs. */
typedef struct level_job { const lmm_struct_sums *ss; const double *coef; } level_job;
static int levels_part(void *arg, int part) {
  const level_job *job = arg;
  const lmm_struct_sums *ss = job->ss;
  size_t nl1 = (size_t)ss->nlevels + 1;
  int l0 = (int)((long long)ss->nlevels * part / ss->nparts), l1 = (int)((long long)ss->nlevels * (part + 1) / ss->nparts);
  for (int b = 0; b < ss->nlev && l0 < l1; b++) {
    lmm_block *B = ss->block[b];
    size_t len, off0 = level_run(B, l0, &len), end = l1 < ss->nlevels ? level_run(B, l1, &len) : lmm_block_values(B);
    const double *w = ss->lvals + ss->lstart[(size_t)b * nl1 + (size_t)l0];
    memset(B->v + off0, 0, sizeof *B->v * (end - off0));
    for (int l = l0; l < l1; l++) {
      size_t off = level_run(B, l, &len);
      double *v = B->v + off;
      for (uint64_t mk = ss->mask[l]; mk; mk &= mk - 1, w += len) {
        double ck = job->coef[__builtin_ctzll(mk)];
        for (size_t t = 0; t < len; t++) v[t] += ck * w[t];
      }
    }
  }
  return 0;
}

int lmm_struct_sums_fill(const lmm_struct_sums *ss, lmm_system *s, const double *u, double *logdet) {
  (void)s;
  const lmm_structure *st = ss->st;
  double sd[MAX_STRATA], coef[MAX_STRATA + 3 * MAX_CLASSES], f[MAX_GAPS], rho[MAX_GAPS], phi = 0, ld = 0;
  for (int h = 0; h < ss->nstrata; h++) sd[h] = 1;
  if (ss->vf_at >= 0) lmm_varfunc_sd(&ss->by_stratum, u + ss->vf_at, (size_t)ss->nstrata, sd);
  for (int h = 0; h < ss->nstrata; h++) {
    if (!(sd[h] > 0 && isfinite(sd[h]))) return LMM_NUMERIC;
    coef[h] = 1 / (sd[h] * sd[h]);
    ld += 2 * ss->nrow[h] * log(sd[h]);
  }
  if (ss->cor_at >= 0) lmm_corstruct_constrained(&st->cor, u + ss->cor_at, &phi);
  for (int a = 0; a < ss->ngaps; a++) {
    rho[a] = pow(phi, ss->gap[a]);
    f[a] = 1 - rho[a] * rho[a];
    if (!(f[a] > 0)) return LMM_NUMERIC;
    ld += ss->npair[a] * log(f[a]);
  }
  for (int c = 0; c < ss->nclasses; c++) {
    int a = ss->cls_gap[c];
    double sf = sqrt(f[a]), x = 1 / (sd[ss->cls_to[c]] * sf), y = rho[a] / (sd[ss->cls_from[c]] * sf);
    double *k = coef + ss->nstrata + 3 * c;
    k[0] = x * x - x * y;
    k[1] = y * y - x * y;
    k[2] = x * y;
  }
  level_job job = {ss, coef};
  if (lmm_parallel(ss->nparts, levels_part, &job)) return LMM_NUMERIC;   /* parts never fail */
  size_t at = 0;
  for (int b = ss->nlev; b < ss->nblocks; b++) {
    lmm_block *B = ss->block[b];
    int nv = (int)lmm_block_values(B);
    memset(B->v, 0, sizeof *B->v * (size_t)nv);
    for (int k = 0; k < ss->nsums; k++) cblas_daxpy(nv, coef[k], ss->sum + (size_t)k * ss->values + at, 1, B->v, 1);
    at += (size_t)nv;
  }
  *logdet = ld;
  return LMM_OK;
}
