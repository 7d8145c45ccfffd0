/* theta.c — θ's map (see theta.h): the one place that lays θ out. */
#include "theta.h"
#include "alloc.h"
#include "design.h"

#include <math.h>
#include <string.h>

void lmm_theta_free(lmm_theta_map *map) {
  if (!map) return;
  lmm_free(map->off);
  lmm_free(map->q);
  lmm_free(map->pos);
  lmm_free(map->nlevels);
  lmm_free(map->e);
  lmm_free(map);
}

int lmm_theta_new(int nterm, const int *q, lmm_theta_map **out, lmm_error *err) {
  *out = NULL;
  size_t n = 0;   /* the design refused more than LMM_MAX_THETA; blocks made elsewhere are checked here */
  for (int t = 0; t < nterm; t++) n += lmm_theta_term_count(q[t]);
  if (n > LMM_MAX_THETA)
    return lmm_fail(err, LMM_ERR, "the random effects have more than %d covariance parameters (theta), "
                    "the most that can be estimated", LMM_MAX_THETA);
  lmm_theta_map *map = lmm_calloc(1, sizeof *map);
  if (!map) return lmm_nomem(err);
  size_t nt = (size_t)(nterm ? nterm : 1);
  map->off = lmm_calloc(nt + 1, sizeof *map->off);
  map->q = lmm_calloc(nt, sizeof *map->q);
  map->pos = lmm_calloc(nt, sizeof *map->pos);
  map->nlevels = lmm_calloc(nt, sizeof *map->nlevels);
  map->e = lmm_calloc(n ? n : 1, sizeof *map->e);
  if (!map->off || !map->q || !map->pos || !map->nlevels || !map->e) {
    lmm_theta_free(map);
    return lmm_nomem(err);
  }
  map->n = map->ncov = (int)n;
  map->nterm = nterm;
  int m = 0;
  for (int t = 0; t < nterm; t++) {
    map->off[t] = m;
    map->q[t] = q[t];
    map->pos[t] = t;
    for (int col = 0; col < q[t]; col++)   /* lme4's order: the lower triangle by columns */
      for (int row = col; row < q[t]; row++, m++)
        map->e[m] = (lmm_theta_entry){LMM_THETA_COV, t, row, col, row == col ? 0 : -HUGE_VAL, 1, 0, NULL, 0};
  }
  map->off[nterm] = m;
  *out = map;
  return LMM_OK;
}

void lmm_theta_set_term(lmm_theta_map *map, int t, int pos, int nlevels, const double *zscale, const int *zexp,
                        char *const *names) {
  map->pos[t] = pos;
  map->nlevels[t] = nlevels;
  for (int m = map->off[t]; m < map->off[t + 1]; m++) {
    lmm_theta_entry *e = &map->e[m];
    e->zscale = zscale[e->row];
    e->zexp = zexp[e->row];
    e->name = names[e->row];
  }
}

void lmm_theta_to_T(const lmm_theta_map *map, const double *theta, double *const *T) {
  for (int t = 0; t < map->nterm; t++) {
    int q = map->q[t];
    memset(T[map->pos[t]], 0, sizeof **T * (size_t)(q * q));
  }
  for (int m = 0; m < map->ncov; m++) {
    const lmm_theta_entry *e = &map->e[m];
    T[map->pos[e->term]][e->row + e->col * map->q[e->term]] = theta[m];
  }
}

void lmm_theta_term_T(const lmm_theta_map *map, const double *theta, int t, double *T) {
  int q = map->q[t];
  memset(T, 0, sizeof *T * (size_t)(q * q));
  for (int m = map->off[t]; m < map->off[t + 1]; m++) T[map->e[m].row + map->e[m].col * q] = theta[m];
}

void lmm_theta_from_term_T(const lmm_theta_map *map, const double *T, int t, double *theta) {
  int q = map->q[t];
  for (int m = map->off[t]; m < map->off[t + 1]; m++) theta[m] = T[map->e[m].row + map->e[m].col * q];
}

int lmm_theta_add_struct(lmm_theta_map *map, int nstruct, const double *start, lmm_error *err) {
  lmm_theta_entry *e = lmm_realloc(map->e, lmm_size_mul((size_t)(map->n + nstruct), sizeof *e));
  if (!e) return lmm_nomem(err);
  map->e = e;
  for (int k = 0; k < nstruct; k++)
    e[map->n + k] = (lmm_theta_entry){LMM_THETA_STRUCT, -1, 0, 0, -HUGE_VAL, 1, 0, NULL, start[k]};
  map->n += nstruct;
  return LMM_OK;
}

void lmm_theta_identity(const lmm_theta_map *map, double *theta) {
  for (int m = 0; m < map->n; m++) theta[m] = m < map->ncov ? map->e[m].row == map->e[m].col : map->e[m].start;
}

void lmm_theta_lower(const lmm_theta_map *map, double *lower) {
  for (int m = 0; m < map->n; m++) lower[m] = map->e[m].lower;
}

int lmm_theta_diag_of(const lmm_theta_map *map, int m) {
  const lmm_theta_entry *e = &map->e[m];
  int q = map->q[e->term], r = e->row;
  return map->off[e->term] + r * q - r * (r - 1) / 2;   /* the entries of columns 0 .. r-1 come first */
}
