/* stats_fit.c — A from the statistics (stats.h), as accumulate.c makes it from the rows.
 *
 * Each group of the statistics (a combination of the keys) becomes one row of the frame, its factors' and
 * groupings' levels read as a local fit reads them and its numeric variables 1: the design's value of column
 * j at that row is then the column's factor coding times its power of two (design.h), D_gj, and column j of
 * the rows in group g is D_gj times its atom.  With u the group's centered row vector (stats.h), [X y] over the
 * group's rows is U_g M_g and a random-effects column is U_g z_g, so every block is a sum over groups of
 * z' S_g M_g and the like, S_g = U_g'U_g the group's sums.  The fixed part's R comes from a QR, as the local
 * pass's does: the groups with the same D_g (a cell of the factors) share M, their S summed and factored
 * (pivoted Cholesky, F'F = S), and the QR of the stacked F M is the QR of [X y]'s rows' Gram without ever
 * forming X'X in the data's units. */
#include "stats_fit.h"
#include "accumulate.h"
#include "alloc.h"
#include "blas_threads.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PAD_ROWS = 4096 };   /* frame rows at least (or the data's rows): see lmm_model_fit_stats */

int lmm_stats_nsums(const lmm_stats_layout *l) {
  int U = l->natoms + 2;
  return U * (U + 1) / 2;
}

typedef struct stats_job {
  const lmm_design *d;
  const lmm_stats_layout *l;
  const lmm_stats_rows *r;
  size_t ntotal;
  int U;
  lmm_stop *stop;
} stats_job;

/* Group g's sums as a full U x U matrix. */
static void group_S(const stats_job *j, size_t g, double *S) {
  const double *s = j->r->sums + g * (size_t)lmm_stats_nsums(j->l);
  int U = j->U;
  for (int a = 0, k = 0; a < U; a++)
    for (int b = a; b < U; b++, k++) S[a + b * U] = S[b + a * U] = s[k];
}

/* The column of u that makes a column whose numeric variables are t, times D: u_a + c_a u_0 (u_0 for none). */
static void atom_vec(const stats_job *j, lmm_term t, double D, double *v) {
  int a = lmm_stats_atom(j->l, t);
  if (a) v[a] += D;
  v[0] += D * (a ? j->r->centers[a - 1] : 1);
}

/* M_g (U x p1, column-major): [X y] in terms of u, in the design's scales. */
static void group_M(const stats_job *j, size_t g, double *M) {
  const lmm_design *d = j->d;
  int U = j->U, p = d->p, m1 = U - 1;
  memset(M, 0, sizeof *M * (size_t)U * (size_t)(p + 1));
  for (int c = 0; c < p; c++) atom_vec(j, d->xspec[c].term, lmm_design_x(d, c, g), M + (size_t)c * U);
  double sy = ldexp(1.0, -d->yexp);
  M[m1 + (size_t)p * U] = sy;
  M[(size_t)p * U] = sy * j->r->centers[m1 - 1];
}

static void group_z(const stats_job *j, size_t g, int t, int a, double *v) {
  memset(v, 0, sizeof *v * (size_t)j->U);
  atom_vec(j, j->d->re[t].zspec[a].term, lmm_design_z(j->d, t, a, g), v);
}

/* A group and its row of X's column factors (D_g), which a cell of the factors shares. */
typedef struct cell_key { const double *d; int p; size_t g; } cell_key;
static int cell_cmp(const void *x, const void *y) {
  const cell_key *a = x, *b = y;
  for (int c = 0; c < a->p; c++)
    if (a->d[c] != b->d[c]) return a->d[c] < b->d[c] ? -1 : 1;
  return 0;
}

/* R of [X y] (p1 x p1 upper, into R) by the QR of the cells' stacked F M. */
static int fixed_R(const stats_job *j, double *R, lmm_error *err) {
  const lmm_design *d = j->d;
  size_t G = j->r->ngroups;
  int U = j->U, p1 = d->p + 1, rc = LMM_OK;
  cell_key *ord = lmm_malloc(sizeof *ord * (G ? G : 1));
  double *D = lmm_malloc_array(lmm_size_mul(G ? G : 1, (size_t)(p1 - 1 ? p1 - 1 : 1)), sizeof *D);
  size_t ncell = 0;
  double *S = lmm_malloc(sizeof *S * (size_t)U * U * 2), *M = lmm_malloc(sizeof *M * (size_t)U * p1);
  double *stack = NULL;
  int *piv = lmm_malloc(sizeof *piv * (size_t)U);
  if (!ord || !D || !S || !M || !piv) { rc = lmm_nomem(err); goto done; }
  size_t nfixed = 0;   /* the fixed part's groups (part 0, stats.h) */
  for (size_t g = 0; g < G; g++) {
    if (j->r->part[g]) continue;
    double *row = D + nfixed * (size_t)(p1 - 1);
    for (int c = 0; c < p1 - 1; c++) row[c] = lmm_design_x(d, c, g);
    ord[nfixed++] = (cell_key){row, p1 - 1, g};
  }
  G = nfixed;
  qsort(ord, G, sizeof *ord, cell_cmp);
  for (size_t g = 0; g < G; g++) ncell += g == 0 || cell_cmp(&ord[g - 1], &ord[g]) != 0;
  size_t rows = ncell * (size_t)U;
  if (!(stack = lmm_calloc(lmm_size_mul(rows, (size_t)p1), sizeof *stack))) { rc = lmm_nomem(err); goto done; }
  size_t at = 0;
  for (size_t g0 = 0, g1; g0 < G; g0 = g1) {
    double *Sc = S + (size_t)U * U;
    memset(Sc, 0, sizeof *Sc * (size_t)U * U);
    for (g1 = g0; g1 < G && (g1 == g0 || cell_cmp(&ord[g0], &ord[g1]) == 0); g1++) {
      group_S(j, ord[g1].g, S);
      for (int k = 0; k < U * U; k++) Sc[k] += S[k];
    }
    /* equilibrated first (E S E, E = diag(S)^-1/2), so that the factor's rank tolerance is relative to each
     * column's own scale: a column of 1e9s beside the constant keeps the constant */
    double *e = S;
    for (int a = 0; a < U; a++) e[a] = Sc[a + a * U] > 0 ? 1 / sqrt(Sc[a + a * U]) : 0;
    for (int b = 0; b < U; b++)
      for (int a = 0; a < U; a++) Sc[a + b * U] *= e[a] * e[b];
    for (int a = 0; a < U; a++) if (e[a] == 0) Sc[a + a * U] = 0;
    int rank = 0;
    if (LAPACKE_dpstrf(LAPACK_COL_MAJOR, 'U', U, Sc, U, piv, &rank, -1.0) < 0) { rc = lmm_nomem(err); goto done; }
    group_M(j, ord[g0].g, M);
    /* E S E = R' R with R = Sc's rows (pivoted: P' ... P), so S = (R P' E^-1)' (R P' E^-1): row i of F M is
     * the sum over k >= i of R[i][k] M[piv[k]] / e[piv[k]] */
    for (int i = 0; i < rank; i++)
      for (int c = 0; c < p1; c++) {
        double acc = 0;
        for (int k = i; k < U; k++) {
          int a = piv[k] - 1;
          if (e[a] > 0) acc += Sc[i + k * U] * M[a + (size_t)c * U] / e[a];
        }
        stack[at + (size_t)i + (size_t)c * rows] = acc;
      }
    at += (size_t)U;
  }
  double *tau = lmm_malloc(sizeof *tau * (size_t)p1);
  if (!tau) { rc = lmm_nomem(err); goto done; }
  if (rows < (size_t)p1) {   /* fewer stacked rows than columns: R is zero below them */
    rc = lmm_fail(err, LMM_ERR, "the statistics hold %zu cells for %d fixed-effect columns: too few", ncell, p1 - 1);
    lmm_free(tau);
    goto done;
  }
  LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (int)rows, p1, stack, (int)rows, tau);
  lmm_free(tau);
  memset(R, 0, sizeof *R * (size_t)p1 * p1);
  for (int c = 0; c < p1; c++)
    for (int i = 0; i <= c; i++) R[i + c * p1] = stack[i + (size_t)c * rows];
done:
  lmm_free(ord); lmm_free(D); lmm_free(S); lmm_free(M); lmm_free(stack); lmm_free(piv);
  return rc;
}

/* x' S y for U-vectors. */
static double quad(const double *x, const double *S, const double *y, int U) {
  double acc = 0;
  for (int b = 0; b < U; b++) {
    double sy = 0;
    for (int a = 0; a < U; a++) sy += S[a + b * U] * x[a];
    acc += sy * y[b];
  }
  return acc;
}

static int stats_values(void *arg, lmm_system *s, lmm_error *err) {
  stats_job *j = arg;
  const lmm_design *d = j->d;
  int K = s->K, K1 = K + 1, U = j->U, p = d->p, p1 = p + 1, qsum = 0, rc;
  for (int k = 0; k < K; k++) qsum += s->q[k];
  s->n = j->ntotal;
  double *R = lmm_malloc(sizeof *R * (size_t)p1 * p1), *B = lmm_calloc((size_t)p1 * p1, sizeof *B);
  double *S = lmm_malloc(sizeof *S * (size_t)U * U), *M = lmm_malloc(sizeof *M * (size_t)U * p1);
  double *W = lmm_malloc(sizeof *W * (size_t)U * p1), *SW = lmm_malloc(sizeof *SW * (size_t)U * p1);
  double *z = lmm_malloc(sizeof *z * (size_t)U * (qsum ? qsum : 1));
  int *zoff = lmm_malloc(sizeof *zoff * (size_t)K1), *lpart = lmm_malloc(sizeof *lpart * (size_t)K1 * K1);
  if (!R || !B || !S || !M || !W || !SW || !z || !zoff || !lpart) { rc = lmm_nomem(err); goto done; }
  for (int k = 0, o = 0; k < K; k++) { zoff[k] = o; o += s->q[k]; }
  /* the part whose groups give each block: a term's own grouping's (lpart[k + k K]), a pair's (stats.h) */
  for (int k = 0; k < K; k++)
    for (int jj = 0; jj < K; jj++)
      if ((lpart[k + jj * K] = lmm_stats_part(j->l, d->re[s->term[k]].group_vars | d->re[s->term[jj]].group_vars)) < 0) {
        rc = lmm_fail(err, LMM_ERR, "no part of the statistics groups by '%s' and '%s' together", d->re[s->term[k]].grp,
                      d->re[s->term[jj]].grp);
        goto done;
      }
  if ((rc = fixed_R(j, R, err)) || (rc = lmm_system_basis(s, d, R, j->stop, err))) goto done;
  /* B = [Rinv -b0; 0 1]: [X~ y~] = [X y] B */
  for (int c = 0; c < p; c++)
    for (int i = 0; i <= c; i++) B[i + c * p1] = s->Rinv[i + c * p];
  for (int i = 0; i < p; i++) B[i + p * p1] = -s->b0[i];
  B[p + p * p1] = 1;
  double *FF = lmm_sys_A(s, K, K)->v;
  for (size_t g = 0; g < j->r->ngroups; g++) {
    if ((g & 1023) == 0 && lmm_stop_asked(j->stop)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); goto done; }
    int part = j->r->part[g];
    group_S(j, g, S);
    group_M(j, g, M);
    for (int c = 0; c < p1; c++)   /* W = M B */
      for (int a = 0; a < U; a++) {
        double acc = 0;
        for (int k = 0; k <= c; k++) acc += M[a + (size_t)k * U] * B[k + c * p1];
        W[a + (size_t)c * U] = acc;
      }
    for (int c = 0; c < p1; c++)   /* SW = S W */
      for (int a = 0; a < U; a++) {
        double acc = 0;
        for (int b = 0; b < U; b++) acc += S[a + b * U] * W[b + (size_t)c * U];
        SW[a + (size_t)c * U] = acc;
      }
    for (int c = 0; c < p1 && part == 0; c++)
      for (int r = c; r < p1; r++) {
        double acc = 0;
        for (int a = 0; a < U; a++) acc += W[a + (size_t)r * U] * SW[a + (size_t)c * U];
        FF[r + c * p1] += acc;
      }
    for (int k = 0; k < K; k++)
      for (int a = 0; a < s->q[k]; a++) group_z(j, g, s->term[k], a, z + (size_t)(zoff[k] + a) * U);
    for (int jj = 0; jj < K; jj++) {
      int qj = s->q[jj], lj = d->re[s->term[jj]].g[g];
      const double *zj = z + (size_t)zoff[jj] * U;
      int own = lpart[jj + jj * K] == part;
      double *D = lmm_sys_A(s, jj, jj)->v + (size_t)lj * (size_t)(qj * qj);
      for (int b = 0; b < qj && own; b++)
        for (int a = 0; a < qj; a++) D[a + b * qj] += quad(zj + (size_t)a * U, S, zj + (size_t)b * U, U);
      for (int k = jj + 1; k < K; k++) {
        if (lpart[k + jj * K] != part) continue;
        int qk = s->q[k], lk = d->re[s->term[k]].g[g];
        const double *zk = z + (size_t)zoff[k] * U;
        double *P = lmm_block_at(lmm_sys_A(s, k, jj), lk, lj);
        for (int b = 0; b < qj; b++)
          for (int a = 0; a < qk; a++) P[a + b * qk] += quad(zk + (size_t)a * U, S, zj + (size_t)b * U, U);
      }
      double *F = lmm_sys_A(s, K, jj)->v;
      for (int b = 0; b < qj && own; b++) {
        double *col = F + (size_t)(lj * qj + b) * (size_t)p1;
        for (int c = 0; c < p1; c++) {
          double acc = 0;
          for (int a = 0; a < U; a++) acc += zj[(size_t)b * U + a] * SW[a + (size_t)c * U];
          col[c] += acc;
        }
      }
    }
  }
  for (int c = 0; c < p1; c++)   /* the upper triangle too, as a dense block may be read whole */
    for (int r = c + 1; r < p1; r++) FF[c + r * p1] = FF[r + c * p1];
  if (lmm_system_unit_columns(s)) rc = lmm_nomem(err);
done:
  lmm_free(R); lmm_free(B); lmm_free(S); lmm_free(M); lmm_free(W); lmm_free(SW); lmm_free(z); lmm_free(zoff);
  lmm_free(lpart);
  return rc;
}

/* The scales a local fit would choose (design.h) from the statistics' largest magnitudes. */
static void stats_scales(lmm_design *d, const lmm_stats_layout *l, const lmm_stats_rows *r) {
  const lmm_formula *f = l->f;
  d->yexp = 0;
  if (r->mx[f->nvars] > 0) frexp(r->mx[f->nvars], &d->yexp);
  for (int v = 0; v < f->nvars; v++) {
    d->vexp[v] = 0;
    if (l->numeric_vars >> v & 1 && r->mx[v] > 0) frexp(r->mx[v], &d->vexp[v]);
    d->vscale[v] = ldexp(1.0, -d->vexp[v]);
  }
  for (int c = 0; c < d->p; c++) {
    d->xexp[c] = 0;
    for (lmm_term t = d->xspec[c].term; t; t &= t - 1) d->xexp[c] += d->vexp[__builtin_ctzll(t)];
  }
  for (int t = 0; t < d->nre; t++)
    for (int a = 0; a < d->re[t].q; a++) {
      d->re[t].zexp[a] = 0;
      for (lmm_term u = d->re[t].zspec[a].term; u; u &= u - 1) d->re[t].zexp[a] += d->vexp[__builtin_ctzll(u)];
    }
}

static int check_stats_groups(const lmm_design *d, size_t n, lmm_error *err) {
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    if (re->nlevels < 2 || re->q > re->nlevels || (size_t)re->nlevels * (size_t)re->q >= n)
      return lmm_fail(err, LMM_ERR, "grouping factor '%s' has %d levels for %d random effects each and %zu rows: too few "
                      "to fit", re->grp, re->nlevels, re->q, n);
  }
  return LMM_OK;
}

int lmm_model_fit_stats(lmm_model *m, const lmm_stats_layout *l, const lmm_stats_rows *r, int (*interrupted)(void *),
                        void *ctx, lmm_error *err) {
  const lmm_formula *f = m->formula;
  lmm_stop stop = {interrupted, ctx, 0};
  int nk = l->nkeys, rc = LMM_OK;
  lmm_value *cols = lmm_calloc((size_t)(f->ncols ? f->ncols : 1) * 2, sizeof *cols), *first = cols + f->ncols;
  if (!cols) return lmm_nomem(err);
  size_t ntotal = 0;
  for (size_t g = 0; g < r->ngroups && !rc; g++) {
    for (int c = 0; c < f->ncols; c++) cols[c] = (lmm_value){LMM_NUM, 1.0, NULL, 0, 0};
    for (int k = 0; k < nk; k++) cols[l->key_col[k]] = r->keys[g * (size_t)nk + (size_t)k];
    if (g == 0) memcpy(first, cols, sizeof *cols * (size_t)f->ncols);
    double n = r->sums[g * (size_t)lmm_stats_nsums(l)];
    if (!(n >= 1) || n != floor(n)) rc = lmm_fail(err, LMM_ERR, "statistics group %zu has a count n of %g", g + 1, n);
    else if (r->part[g] == 0) ntotal += (size_t)n;   /* every part holds every row: the fixed part's are counted */
    for (int k = 0; k < lmm_stats_nsums(l) && !rc; k++)
      if (!isfinite(r->sums[g * (size_t)lmm_stats_nsums(l) + (size_t)k]))
        rc = lmm_fail(err, LMM_ERR, "statistics group %zu has a sum that is not a finite number: the engine's products "
                      "overflowed or a transform had no value (log of 0, ...); rescale the columns", g + 1);
    if (!rc) rc = lmm_model_add_row(m, cols, (int64_t)g + 1, err);
  }
  /* a few groups (one, without factors) are fewer frame rows than the design allows columns: copies of the
   * first group's keys stand in (they add no level, and the sums read are the groups' own) */
  size_t pad = r->ngroups < PAD_ROWS ? (PAD_ROWS < ntotal ? PAD_ROWS : ntotal) : r->ngroups;
  if (pad < r->ngroups) pad = r->ngroups;   /* the parts together may hold more groups than the data rows */
  for (size_t g = r->ngroups; g < pad && !rc; g++) rc = lmm_model_add_row(m, first, (int64_t)g + 1, err);
  lmm_free(cols);
  if (rc) return rc;
  if ((double)ntotal != r->nall)
    return lmm_fail(err, LMM_ERR, "the statistics' groups hold %zu rows but the data had %.0f (n_all): groups are "
                    "missing or repeated; store the whole result of the query", ntotal, r->nall);
  lmm_frame *fr = m->frame;
  if (fr->n != pad)
    return lmm_fail(err, LMM_ERR, "%zu of the statistics' groups have a NULL key: every key of a group must be a value",
                    pad - fr->n);
  if ((rc = lmm_frame_finish(fr, err))) return rc;
  for (int v = 0; v < f->nvars; v++) {
    lmm_frame_var *fv = &fr->vars[v];
    if (fv->is_factor != (int)(l->factor_vars >> v & 1) && fv->in_model)
      return lmm_fail(err, LMM_ERR, "'%s' is %s in the statistics but %s in the model: the statistics were made for "
                      "another reading of the data; make them again with lmm_stats_sql", f->vars[v].label,
                      l->factor_vars >> v & 1 ? "a factor" : "a number", fv->is_factor ? "a factor" : "a number");
    if (!fv->is_factor && fv->x)
      for (size_t g = 0; g < fr->n; g++) fv->x[g] = 1;
  }
  if ((rc = lmm_design_new(fr, &m->design, err))) return rc;
  lmm_design *d = m->design;
  stats_scales(d, l, r);
  if ((rc = check_stats_groups(d, ntotal, err))) return rc;
  if ((size_t)d->p >= ntotal) return lmm_fail(err, LMM_ERR, "%zu rows are too few for %d fixed-effect coefficients", ntotal, d->p);
  int method = lmm_df_method(d, m->style, m->options.df);
  if (method == LMM_DF_CONTAINMENT || method == LMM_DF_KENWARD_ROGER)
    return lmm_fail(err, LMM_ERR, "df=%s needs the rows; from statistics use df=satterthwaite, df=residual or df=none",
                    method == LMM_DF_CONTAINMENT ? "containment (nlme's default)" : "kenward-roger");
  stats_job job = {d, l, r, ntotal, l->natoms + 2, &stop};
  lmm_fit_options opt = {.reml = m->options.reml, .stop = &stop};
  lmm_blas_serial_begin();
  rc = lmm_system_new_from(d, stats_values, &job, &stop, &m->system, err);
  d->n = ntotal;   /* the rows the statistics sum, as the fit reports them (the frame keeps its groups) */
  d->from_sums = 1;
  if (!rc) rc = lmm_fit_run(m->system, &opt, &m->fit, err);
  /* without random effects the local fit's standard errors are least squares' (ols.h: on n - p), whatever
   * the method; the fitter's are on the method's sigma */
  for (int c = 0; !rc && d->nre == 0 && !m->fit->reml && c < d->p; c++)
    m->fit->se[c] *= sqrt((double)ntotal / ((double)ntotal - d->p));
  if (!rc && !(m->result = lmm_result_new())) rc = lmm_nomem(err);
  if (!rc) rc = lmm_tidy_rows(d, m->system, m->fit, m->style, m->options.df, &stop, m->result, &m->vcov_kr, err);
  lmm_blas_serial_end();
  return rc;
}
