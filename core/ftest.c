/* ftest.c — see ftest.h.
 *
 * Every contrast is made in the data's units (the fit's beta and vcov are), from cross-products of model
 * columns over the rows: lmerTest's zapsmall and its thresholds (Doolittle's 1e-6, the 1e-8 that drops a
 * row) are absolute there, so computing in the design's scaled units would give other hypotheses.
 */
#include "ftest.h"
#include "alloc.h"
#include "blas_threads.h"
#include "kenward_roger.h"
#include "options.h"
#include "satterthwaite.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <cblas.h>
#include <ctype.h>
#include <float.h>
#include <stdlib.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include <strings.h>

/* ---- options ---------------------------------------------------------------------------------------- */

static int parse_type(const char *s, const char *e, int *type) {
  static const struct { const char *w; int t; } names[] = {
    {"sequential", LMM_FTEST_SEQUENTIAL}, {"marginal", LMM_FTEST_MARGINAL}, {"I", LMM_FTEST_TYPE1},
    {"1", LMM_FTEST_TYPE1}, {"II", LMM_FTEST_TYPE2}, {"2", LMM_FTEST_TYPE2}, {"III", LMM_FTEST_TYPE3},
    {"3", LMM_FTEST_TYPE3}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (lmm_span_is(s, e, names[i].w)) { *type = names[i].t; return 1; }
  return 0;
}

int lmm_ftest_options_parse(const char *text, lmm_ftest_options *o, lmm_error *err) {
  *o = (lmm_ftest_options){LMM_FTEST_DEFAULT, LMM_FTEST_DF_DEFAULT, NULL, 0};
  int type_given = 0, df_given = 0;
  lmm_option op;
  for (const char *p = text;;) {
    if (lmm_option_next(&p, &op, "type=marginal", err)) return LMM_ERR;
    if (!op.key) break;
    const char *ks = op.key, *kend = op.key_end, *vs = op.val, *ve = op.val_end;
    if (lmm_span_is(ks, kend, "type")) {
      if (type_given++) return lmm_fail(err, LMM_ERR, "options: type is given twice; keep one");
      if (!parse_type(vs, ve, &o->type))
        return lmm_fail(err, LMM_ERR, "options: type must be sequential or marginal (nlme's anova of lme and gls "
                        "fits) or I, II, III (1, 2, 3: lmerTest's anova of lme4-style fits), not '%.*s'",
                        (int)(ve - vs), vs);
    } else if (lmm_span_is(ks, kend, "df")) {
      if (df_given++) return lmm_fail(err, LMM_ERR, "options: df is given twice; keep one");
      if (lmm_span_is(vs, ve, "satterthwaite")) o->df = LMM_FTEST_DF_SATTERTHWAITE;
      else if (lmm_span_is(vs, ve, "kenward-roger")) o->df = LMM_FTEST_DF_KENWARD_ROGER;
      else return lmm_fail(err, LMM_ERR, "options: df of an F test of terms must be satterthwaite or kenward-roger "
                           "(lmerTest's ddf), not '%.*s'", (int)(ve - vs), vs);
    } else if (kend - ks == 1 && *ks == 'L') {
      if (o->L) return lmm_fail(err, LMM_ERR, "options: L is given twice; write its rows in one L=, ';' between them");
      o->L = vs;
      o->Llen = (int)(ve - vs);
    } else
      return lmm_fail(err, LMM_ERR, "options: '%.*s' is not an option of the F tests of one model's terms; they take "
                      "type=, df= and L=", (int)(kend - ks), ks);
  }
  return LMM_OK;
}

/* ---- the table -------------------------------------------------------------------------------------- */

void lmm_ftest_table_free(lmm_ftest_table *t) {
  if (!t) return;
  for (int i = 0; i < t->n; i++) lmm_free(t->row[i].term);
  lmm_free(t->row);
  lmm_free(t);
}

static int table_new(int n, const char *type, lmm_ftest_table **out, lmm_error *err) {
  lmm_ftest_table *t = lmm_calloc(1, sizeof *t);
  if (!t || !(t->row = lmm_calloc((size_t)(n ? n : 1), sizeof *t->row))) { lmm_free(t); return lmm_nomem(err); }
  t->type = type;
  *out = t;
  return LMM_OK;
}

static int add_row(lmm_ftest_table *t, const char *term, int num_df, double den_df, double F, double p,
                   double ss, double ms, lmm_error *err) {
  lmm_ftest_row *r = &t->row[t->n];
  if (!(r->term = lmm_strdup(term))) return lmm_nomem(err);
  *r = (lmm_ftest_row){r->term, num_df, den_df, F, p, ss, ms};
  t->n++;
  return LMM_OK;
}

/* ---- small dense algebra (p x p, column-major) --------------------------------------------------------- */

/* B = A^-1 for A symmetric positive definite (both triangles written); LMM_NUMERIC when it is not. */
static int spd_inverse(int p, const double *A, double *B) {
  memcpy(B, A, sizeof *B * (size_t)p * (size_t)p);
  if (p && (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', p, B, p) || LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', p, B, p)))
    return LMM_NUMERIC;
  for (int j = 0; j < p; j++)
    for (int i = 0; i < j; i++) B[i + (size_t)j * p] = B[j + (size_t)i * p];
  return LMM_OK;
}

/* R's zapsmall(x, digits = 7) over n values: rounded to 7 digits of the largest. */
static void zapsmall(double *x, size_t n) {
  double mx = 0;
  for (size_t i = 0; i < n; i++) if (fabs(x[i]) > mx) mx = fabs(x[i]);
  if (!(mx > 0)) return;
  double digits = 7 - ceil(log10(mx));
  if (digits < 0) digits = 0;
  double s = pow(10, digits);
  for (size_t i = 0; i < n; i++) x[i] = nearbyint(x[i] * s) / s;
}

/* lmerTest's doolittle(): X'X = L U without pivoting, entries of L below eps zeroed; L (n x n) written. */
static void doolittle(int n, const double *x, double *L, double *U) {
  const double eps = 1e-6;
  memset(L, 0, sizeof *L * (size_t)n * (size_t)n);
  memset(U, 0, sizeof *U * (size_t)n * (size_t)n);
  for (int i = 0; i < n; i++) L[i + (size_t)i * n] = 1;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      double u = x[i + (size_t)j * n];
      for (int k = 0; k < i; k++) u -= L[i + (size_t)k * n] * U[k + (size_t)j * n];
      U[i + (size_t)j * n] = u;
    }
    for (int j = i + 1; j < n; j++) {
      double l = x[j + (size_t)i * n];
      for (int k = 0; k < i; k++) l -= L[j + (size_t)k * n] * U[k + (size_t)i * n];
      L[j + (size_t)i * n] = fabs(U[i + (size_t)i * n]) < eps ? 0 : l / U[i + (size_t)i * n];
    }
  }
  for (size_t e = 0; e < (size_t)n * (size_t)n; e++) if (fabs(L[e]) < eps) L[e] = 0;
}

/* ---- nlme and lm: F from the covariance of beta ------------------------------------------------------- */

/* nlme's denominator df per term (getFixDF's terms; index as the design's xterm): the innermost stratum of
 * any of a term's columns loses the term's columns, a term of constant columns gets the largest df left. */
static int nlme_term_df(const lmm_design *d, double *tdf, lmm_error *err) {
  int p = d->p, T = d->nxterms, Q = 0, rc = LMM_OK;
  double base[LMM_NLME_MAX_STRATA + 1];
  int *stratum = lmm_malloc_array((size_t)(p + 2 * T + 1), sizeof *stratum);
  if (!stratum) return lmm_nomem(err);
  int *tstrat = stratum + p, *tcols = tstrat + T;
  int ok = lmm_nlme_strata(d, stratum, base, &Q, err);
  if (ok < 0) { rc = err->code; goto done; }
  if (!ok) {
    rc = lmm_fail(err, LMM_ERR, "nlme's anova takes its denominator df from grouping factors nested in one another, "
                  "and this model's cross: fit it in lme4's notation for lmerTest's F tests with Satterthwaite's df");
    goto done;
  }
  for (int t = 0; t < T; t++) { tstrat[t] = -1; tcols[t] = 0; }
  int any_varying = 0;
  for (int j = 0; j < p; j++) {
    int t = d->xterm[j];
    tcols[t]++;
    if (stratum[j] > tstrat[t]) tstrat[t] = stratum[j];
    if (stratum[j] >= 0) any_varying = 1;
  }
  if (any_varying) {
    int any_constant_term = 0;
    for (int t = 0; t < T; t++)
      if (tcols[t] && tstrat[t] >= 0) base[tstrat[t]] -= tcols[t];
      else if (tcols[t]) any_constant_term = 1;
    if (any_constant_term) base[0] -= 1;
    else for (int k = 1; k <= Q; k++) base[k] += 1;
  }
  double mx = base[0];
  for (int k = 1; k <= Q; k++) if (base[k] > mx) mx = base[k];
  for (int t = 0; t < T; t++) tdf[t] = tstrat[t] >= 0 ? base[tstrat[t]] : mx;
done:
  lmm_free(stratum);
  return rc;
}

/* The columns of term t (design's xterm index) into cols; their count. */
static int term_cols(const lmm_design *d, int t, int *cols) {
  int n = 0;
  for (int j = 0; j < d->p; j++) if (d->xterm[j] == t) cols[n++] = j;
  return n;
}

/* anova.lme / anova.gls / anova(lm): sequential F_t = |U beta|^2 over term t's rows / their count, U the upper
 * Cholesky factor of V^-1; marginal F_t = beta_t' V_tt^-1 beta_t / count. */
/* The covariance nlme's anova tests with: R's vcov, an ML lme's scaled by n / (n - p) (adjustSigma). */
static void nlme_vcov(const lmm_model *m, double *V) {
  const lmm_design *d = m->design;
  int p = d->p;
  double n = (double)d->n, scale = d->nre && !m->fit->reml ? n / (n - p) : 1;
  for (int j = 0; j < p; j++)
    for (int i = 0; i < p; i++) V[i + (size_t)j * p] = lmm_model_vcov(m, i, j) * scale;
}

static int wald_table(lmm_model *m, int marginal, lmm_ftest_table *out, lmm_error *err) {
  const lmm_design *d = m->design;
  const lmm_fit *f = m->fit;
  int p = d->p, T = d->nxterms, lm = m->style == LMM_STYLE_LM, rc = LMM_OK;
  double n = (double)d->n;
  size_t pp = (size_t)p * (size_t)p;
  double *V = lmm_malloc_array(lmm_size_add(lmm_size_mul(3, pp), (size_t)(2 * p + T + 1)), sizeof *V);
  int *cols = lmm_malloc_array((size_t)(p ? p : 1), sizeof *cols);
  if (!V || !cols) { lmm_free(V); lmm_free(cols); return lmm_nomem(err); }
  double *W = V + pp, *S = W + pp, *c0 = S + pp, *bt = c0 + p, *tdf = bt + p;
  nlme_vcov(m, V);
  if (d->nre) rc = nlme_term_df(d, tdf, err);
  else for (int t = 0; t < T; t++) tdf[t] = n - p;
  if (rc) goto done;
  if (!marginal) {   /* c0 = U beta, U'U = V^-1 */
    if (spd_inverse(p, V, W) || (p && LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', p, W, p))) {
      rc = lmm_fail(err, LMM_NUMERIC, "the fixed effects' covariance is not positive definite: no F tests");
      goto done;
    }
    for (int i = 0; i < p; i++) {
      c0[i] = 0;
      for (int j = i; j < p; j++) c0[i] += W[i + (size_t)j * p] * f->beta[j];
    }
  }
  double s2 = lm ? pow(lmm_model_sigma(m), 2) : NAN;
  for (int t = lm ? 1 : 0; t < T; t++) {
    int q = term_cols(d, t, cols);
    if (!q) continue;
    double F = 0;
    if (!marginal) for (int a = 0; a < q; a++) F += c0[cols[a]] * c0[cols[a]];
    else {
      for (int b = 0; b < q; b++)
        for (int a = 0; a < q; a++) S[a + (size_t)b * q] = V[cols[a] + (size_t)cols[b] * p];
      if (spd_inverse(q, S, W)) {
        rc = lmm_fail(err, LMM_NUMERIC, "the covariance of the coefficients of '%s' is not positive definite: no F test",
                      d->term_labels[t]);
        goto done;
      }
      for (int a = 0; a < q; a++) bt[a] = f->beta[cols[a]];
      for (int b = 0; b < q; b++)
        for (int a = 0; a < q; a++) F += bt[a] * W[a + (size_t)b * q] * bt[b];
    }
    F /= q;
    double pv = pf(F, q, tdf[t], 0, 0);
    if ((rc = add_row(out, d->term_labels[t], q, tdf[t], F, pv, lm ? F * q * s2 : NAN, lm ? F * s2 : NAN, err)))
      goto done;
  }
  if (lm) rc = add_row(out, "Residuals", (int)(n - p), NAN, NAN, NAN, s2 * (n - p), s2, err);
done:
  lmm_free(V);
  lmm_free(cols);
  return rc;
}

/* ---- lmerTest's contrasts ----------------------------------------------------------------------------- */

/* 2^e of a column: the design gives numeric variables scaled by 2^-vexp (design.h) */
static int spec_exp(const lmm_design *d, const lmm_colspec *c) {
  int e = 0;
  for (lmm_term t = c->term; t; t &= t - 1) {
    int k = __builtin_ctzll(t);
    if (!d->frame->vars[k].is_factor) e += d->vexp[k];
  }
  return e;
}

/* G = A'B (na x nb) over all rows, in the data's units. */
static int cross(const lmm_design *d, const lmm_colspec *A, int na, const lmm_colspec *B, int nb, double *G,
                 lmm_stop *stop, lmm_error *err) {
  enum { CHUNK = 2048 };
  double *ca = lmm_malloc_array(lmm_size_mul((size_t)(na + nb), CHUNK), sizeof *ca), *cb = ca ? ca + (size_t)na * CHUNK : NULL;
  if (!ca) return lmm_nomem(err);
  memset(G, 0, sizeof *G * (size_t)na * (size_t)nb);
  for (size_t r0 = 0; r0 < d->n; r0 += CHUNK) {
    if (lmm_stop_asked(stop)) { lmm_free(ca); return lmm_fail(err, LMM_INTERRUPTED, "interrupted"); }
    int m = d->n - r0 < CHUNK ? (int)(d->n - r0) : CHUNK;
    for (int a = 0; a < na; a++) lmm_design_spec_rows(d, &A[a], r0, m, ca + (size_t)a * CHUNK);
    for (int b = 0; b < nb; b++) lmm_design_spec_rows(d, &B[b], r0, m, cb + (size_t)b * CHUNK);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, na, nb, m, 1.0, ca, CHUNK, cb, CHUNK, 1.0, G, na);
  }
  for (int b = 0; b < nb; b++)
    for (int a = 0; a < na; a++)
      G[a + (size_t)b * na] = ldexp(G[a + (size_t)b * na], spec_exp(d, &A[a]) + spec_exp(d, &B[b]));
  lmm_free(ca);
  return LMM_OK;
}

/* The hypotheses of one term: rows of q x p (row-major here: row a at L + a p). */
typedef struct hyp { int q; double *L; } hyp;

/* Whether fixed term a lies in term b (lmerTest's term_contain): b has every variable of a and more, and
 * the same numeric variables (a basis of several columns counts as a matrix, not numeric, as R's dataClasses) */
static int contained(const lmm_design *d, lmm_term a, lmm_term b) {
  lmm_term num = 0;
  for (int k = 0; k < d->frame->f->nvars; k++)
    if (!d->frame->vars[k].is_factor && d->frame->f->vars[k].basis.kind == LMM_NUMBASIS_NONE) num |= (lmm_term)1 << k;
  return (a & ~b) == 0 && a != b && (a & num) == (b & num);
}

/* Type I (get_contrasts_type1): for each column c of a term, column c of Doolittle's L of X'X. */
static void type1_rows(int p, const double *Ldoo, const int *perm, const int *cols, int q, double *out) {
  for (int a = 0; a < q; a++)
    for (int i = 0; i < p; i++) out[(size_t)a * p + (size_t)perm[i]] = Ldoo[i + (size_t)cols[a] * p];
}

static int lme4_type1(const lmm_design *d, const double *G, hyp *h, double *Lw, double *Uw, int *perm, int *cols) {
  int p = d->p;
  for (int i = 0; i < p; i++) perm[i] = i;
  if (p == 1) Lw[0] = 1;
  else doolittle(p, G, Lw, Uw);
  for (int t = 1; t < d->nxterms; t++) {
    int q = term_cols(d, t, cols);
    h[t].q = q;
    type1_rows(p, Lw, perm, cols, q, h[t].L);
  }
  return LMM_OK;
}

/* Type II (get_contrasts_type2_unfolded): a term no other contains is tested alone (rows of I); another is
 * Doolittle's rows for it with X's columns reordered: the others, the term's, those of the terms containing it. */
static void lme4_type2(const lmm_design *d, const double *G, hyp *h, double *Gn, double *Lw, double *Uw, int *perm,
                       int *cols, char *in) {
  int p = d->p, T = d->nxterms;
  const lmm_term *terms = d->frame->f->fixed.terms;
  for (int t = 1; t < T; t++) {
    int q = term_cols(d, t, cols), any = 0;
    h[t].q = q;
    memset(h[t].L, 0, sizeof *h[t].L * (size_t)q * (size_t)p);
    for (int s = 1; s < T; s++) if (contained(d, terms[t - 1], terms[s - 1])) any = 1;
    if (!any) {
      for (int a = 0; a < q; a++) h[t].L[(size_t)a * p + (size_t)cols[a]] = 1;
      continue;
    }
    memset(in, 0, (size_t)p);
    for (int j = 0; j < p; j++)
      if (d->xterm[j] == t || (d->xterm[j] && contained(d, terms[t - 1], terms[d->xterm[j] - 1]))) in[j] = 1;
    int np = 0;
    for (int j = 0; j < p; j++) if (!in[j]) perm[np++] = j;
    int first = np;   /* the term's columns follow the others */
    for (int j = 0; j < p; j++) if (d->xterm[j] == t) perm[np++] = j;
    for (int s = 1; s < T; s++)
      if (s != t && contained(d, terms[t - 1], terms[s - 1]))
        for (int j = 0; j < p; j++) if (d->xterm[j] == s) perm[np++] = j;
    for (int b = 0; b < p; b++)
      for (int a = 0; a < p; a++) Gn[a + (size_t)b * p] = G[perm[a] + (size_t)perm[b] * p];
    doolittle(p, Gn, Lw, Uw);
    for (int a = 0; a < q; a++) cols[a] = first + a;
    type1_rows(p, Lw, perm, cols, q, h[t].L);
  }
}

/* Y (R x nt, leading dimension R) less its projection on the span of C (R x nc): Gram-Schmidt twice, a column of
 * C whose norm falls below 1e-7 of its own dropped (lm.fit's rank rule). */
static void residualize(int R, double *C, int nc, double *Y, int nt) {
  int kept = 0;
  for (int c = 0; c < nc; c++) {
    double *v = C + (size_t)c * R, n0 = cblas_dnrm2(R, v, 1);
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; k < kept; k++) cblas_daxpy(R, -cblas_ddot(R, C + (size_t)k * R, 1, v, 1), C + (size_t)k * R, 1, v, 1);
    double n1 = cblas_dnrm2(R, v, 1);
    if (!(n0 > 0) || n1 < 1e-7 * n0) continue;
    cblas_dscal(R, 1 / n1, v, 1);
    if (kept != c) memcpy(C + (size_t)kept * R, v, sizeof *v * (size_t)R);
    kept++;
  }
  for (int y = 0; y < nt; y++)
    for (int pass = 0; pass < 2; pass++)
      for (int k = 0; k < kept; k++)
        cblas_daxpy(R, -cblas_ddot(R, C + (size_t)k * R, 1, Y + (size_t)y * R, 1), C + (size_t)k * R, 1, Y + (size_t)y * R, 1);
}

/* X's columns under treatment contrasts with the first level as base (lmerTest remakes X so for type III):
 * a factor coded by a contrast matrix, or by treatment against another base, takes its levels 1 .. n-1 in
 * order; one coded by indicators of all its levels keeps them.  Whether any column changed. */
static int treatment_specs(const lmm_design *d, lmm_colspec *out, lmm_error *err) {
  int p = d->p, changed = 0, nv = d->frame->f->nvars;
  int *base = lmm_malloc_array((size_t)(nv ? nv : 1), sizeof *base);
  char *seen = NULL;
  if (!base) { lmm_nomem(err); return -1; }
  memcpy(out, d->xspec, sizeof *out * (size_t)p);
  for (int t = 1; t < d->nxterms; t++)
    for (int k = 0; k < nv; k++) {
      const lmm_frame_var *fv = &d->frame->vars[k];
      base[k] = -1;
      if (!fv->is_factor || !(d->frame->f->fixed.terms[t - 1] >> k & 1)) continue;
      lmm_free(seen);
      if (!(seen = lmm_calloc((size_t)fv->nlevels, 1))) { lmm_free(base); lmm_nomem(err); return -1; }
      int distinct = 0, coded = 0;
      for (int j = 0; j < p; j++)
        if (d->xterm[j] == t) {
          if (d->xspec[j].coded >> k & 1) coded = 1;
          else if (!seen[d->xspec[j].level[k]]++) distinct++;
        }
      if (!coded && distinct == fv->nlevels - 1)
        for (int l = 0; l < fv->nlevels; l++) if (!seen[l]) base[k] = l;
      for (int j = 0; j < p; j++) {
        if (d->xterm[j] != t) continue;
        lmm_colspec *c = &out[j];
        if (coded) { c->level[k] += 1; c->coded &= ~((lmm_term)1 << k); changed = 1; }
        else if (base[k] > 0) { if (c->level[k] < base[k]) { c->level[k] += 1; changed = 1; } }
      }
    }
  lmm_free(seen);
  lmm_free(base);
  return changed;
}

/* Type III (get_contrasts_type3 and extract_contrasts_type3). */
static int lme4_type3(const lmm_design *d, hyp *h, lmm_stop *stop, lmm_error *err) {
  int p = d->p, T = d->nxterms, nv = d->frame->f->nvars, rc = LMM_OK;
  const lmm_term *terms = d->frame->f->fixed.terms;
  size_t pp = (size_t)p * (size_t)p;
  /* rdX: the intercept, then each term coded by indicators of all its factors' levels */
  int R = d->frame->f->fixed.intercept ? 1 : 0;
  size_t Rcap = (size_t)R;
  for (int t = 1; t < T; t++) {
    size_t c = 1;
    for (int k = 0; k < nv; k++) {
      if (!(terms[t - 1] >> k & 1)) continue;
      int nk = 0;
      if (d->frame->vars[k].is_factor) nk = d->frame->vars[k].nlevels;
      else for (int j = 0; j < p; j++) if (d->xterm[j] == t && d->xspec[j].level[k] + 1 > nk) nk = d->xspec[j].level[k] + 1;
      c = lmm_size_mul(c, (size_t)nk);
    }
    Rcap = lmm_size_add(Rcap, c);
  }
  int has_intercept = R;
  lmm_colspec *spec = lmm_malloc_array(lmm_size_add(Rcap, (size_t)p), sizeof *spec), *trt = spec ? spec + Rcap : NULL;
  int *rterm = lmm_malloc_array(Rcap ? Rcap : 1, sizeof *rterm), *match = lmm_malloc_array((size_t)p + 1, sizeof *match);
  double *G = lmm_malloc_array(lmm_size_add(lmm_size_mul(3, pp), lmm_size_mul(3, lmm_size_mul((size_t)p + 1, Rcap))),
                               sizeof *G);
  int *cols = lmm_malloc_array((size_t)p + 1, sizeof *cols);
  if (Rcap > (size_t)1 << 24 || !spec || !rterm || !match || !G || !cols) {
    rc = Rcap > (size_t)1 << 24 ? lmm_fail(err, LMM_ERR, "type III contrasts: the terms' full codings have too many "
                                           "columns; use type=I or type=II") : lmm_nomem(err);
    goto done;
  }
  double *Gtt = G, *Gi = Gtt + pp, *Gto = Gi + pp, *M = Gto + pp, *Lf = M + (size_t)p * Rcap, *Cw = Lf + (size_t)p * Rcap;
  if (has_intercept) { memset(&spec[0], 0, sizeof spec[0]); rterm[0] = 0; }
  for (int t = 1; t < T; t++) {
    int vars[LMM_MAX_VARS], nk[LMM_MAX_VARS], idx[LMM_MAX_VARS], nvt = 0;
    for (int k = 0; k < nv; k++) {
      if (!(terms[t - 1] >> k & 1)) continue;
      vars[nvt] = k;
      nk[nvt] = 0;
      if (d->frame->vars[k].is_factor) nk[nvt] = d->frame->vars[k].nlevels;
      else for (int j = 0; j < p; j++) if (d->xterm[j] == t && d->xspec[j].level[k] + 1 > nk[nvt]) nk[nvt] = d->xspec[j].level[k] + 1;
      idx[nvt++] = 0;
    }
    for (;;) {
      lmm_colspec *c = &spec[R];
      memset(c, 0, sizeof *c);
      c->term = terms[t - 1];
      for (int v = 0; v < nvt; v++) c->level[vars[v]] = idx[v];
      rterm[R++] = t;
      int v = 0;
      for (; v < nvt; v++) { if (++idx[v] < nk[v]) break; idx[v] = 0; }
      if (v == nvt) break;
    }
  }
  int remake = treatment_specs(d, trt, err);
  if (remake < 0) { rc = err->code; goto done; }
  /* each column of X (treatment) is the full coding's column of the same term and levels */
  for (int j = 0; j < p; j++) {
    match[j] = -1;
    for (int r = 0; r < R && match[j] < 0; r++) {
      if (rterm[r] != d->xterm[j] || spec[r].term != trt[j].term) continue;
      int same = 1;
      for (lmm_term tt = trt[j].term; tt && same; tt &= tt - 1) same = spec[r].level[__builtin_ctzll(tt)] == trt[j].level[__builtin_ctzll(tt)];
      if (same) match[j] = r;
    }
    if (match[j] < 0) { rc = lmm_fail(err, LMM_ERR, "type III contrasts: column '%s' has no cell of its term", d->xnames[j]); goto done; }
  }
  /* Lf (R x p) = t(ginv(X) rdX), zapped */
  if ((rc = cross(d, trt, p, trt, p, Gtt, stop, err)) || (rc = cross(d, trt, p, spec, R, M, stop, err))) goto done;
  if (spd_inverse(p, Gtt, Gi)) { rc = lmm_fail(err, LMM_NUMERIC, "type III contrasts: X'X is singular"); goto done; }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < p; j++) {
      double acc = 0;
      for (int i = 0; i < p; i++) acc += Gi[j + (size_t)i * p] * M[i + (size_t)r * p];
      Lf[r + (size_t)j * R] = acc;
    }
  zapsmall(Lf, (size_t)R * (size_t)p);
  /* each term with terms containing it, highest order first, made orthogonal to their columns */
  for (int order = LMM_MAX_VARS; order >= 1; order--)
    for (int t = 1; t < T; t++) {
      if (lmm_term_order(terms[t - 1]) != order) continue;
      int nc = 0, q = term_cols(d, t, cols);
      for (int s = 1; s < T; s++)
        if (contained(d, terms[t - 1], terms[s - 1]))
          for (int j = 0; j < p; j++)
            if (d->xterm[j] == s) memcpy(Cw + (size_t)nc++ * R, Lf + (size_t)j * R, sizeof *Cw * (size_t)R);
      if (!nc) continue;
      for (int a = 0; a < q; a++) memcpy(M + (size_t)a * R, Lf + (size_t)cols[a] * R, sizeof *M * (size_t)R);
      residualize(R, Cw, nc, M, q);
      zapsmall(M, (size_t)R * (size_t)q);
      for (int a = 0; a < q; a++) memcpy(Lf + (size_t)cols[a] * R, M + (size_t)a * R, sizeof *M * (size_t)R);
    }
  if (remake) {   /* map = zapsmall(ginv(X_trt) X) */
    if ((rc = cross(d, trt, p, d->xspec, p, M, stop, err))) goto done;
    for (int b = 0; b < p; b++)
      for (int a = 0; a < p; a++) {
        double acc = 0;
        for (int i = 0; i < p; i++) acc += Gi[a + (size_t)i * p] * M[i + (size_t)b * p];
        Gto[a + (size_t)b * p] = acc;
      }
    zapsmall(Gto, pp);
  }
  for (int t = 1; t < T; t++) {
    int q = term_cols(d, t, cols), kept = 0;
    for (int a = 0; a < q; a++) {
      double *row = h[t].L + (size_t)kept * p, sum = 0;
      for (int i = 0; i < p; i++) { row[i] = Lf[match[i] + (size_t)cols[a] * R]; sum += fabs(row[i]); }
      if (!(sum > 1e-8)) continue;
      if (remake) {
        for (int b = 0; b < p; b++) {
          double acc = 0;
          for (int i = 0; i < p; i++) acc += row[i] * Gto[i + (size_t)b * p];
          Cw[b] = acc;
        }
        memcpy(row, Cw, sizeof *row * (size_t)p);
      }
      kept++;
    }
    h[t].q = kept;
  }
done:
  lmm_free(spec);
  lmm_free(rterm);
  lmm_free(match);
  lmm_free(G);
  lmm_free(cols);
  return rc;
}

/* The F test of L beta = 0 with Kenward-Roger's df and adjusted covariance (pbkrtest's KRmodcomp, as
 * lmerTest's contestMD calls it).  *k is made on the first call, as its dense work is the table's, not a
 * term's; *scale is KR's scaling of F. */
static int kenward_roger_ftest(lmm_model *m, lmm_kr **k, lmm_stop *stop, const double *L, int q, lmm_ftest *out,
                               double *scale, lmm_error *err) {
  int rc = *k ? LMM_OK : lmm_kr_new(m->design, m->fit, stop, k, err);
  return rc ? rc : lmm_kr_ftest(*k, m->fit->beta, L, q, out, scale, err);
}

static int lme4_table(lmm_model *m, int type, int df, lmm_stop *stop, lmm_ftest_table *out, lmm_error *err) {
  const lmm_design *d = m->design;
  int p = d->p, T = d->nxterms, rc = LMM_OK;
  size_t pp = (size_t)p * (size_t)p;
  hyp *h = lmm_calloc((size_t)T, sizeof *h);
  double *w = lmm_malloc_array(lmm_size_add(lmm_size_mul(5, pp), 1), sizeof *w);
  int *iw = lmm_malloc_array((size_t)(2 * p + 1), sizeof *iw);
  char *in = lmm_malloc((size_t)p + 1);
  lmm_satterthwaite *s = NULL;
  lmm_kr *kr = NULL;
  if (!h || !w || !iw || !in) { rc = lmm_nomem(err); goto done; }
  for (int t = 0; t < T; t++)
    if (!(h[t].L = lmm_malloc_array(pp + 1, sizeof *h[t].L))) { rc = lmm_nomem(err); goto done; }
  double *G = w, *Lw = G + pp, *Uw = Lw + pp, *Gn = Uw + pp, *Lt = Gn + pp;
  int *perm = iw, *cols = iw + p;
  /* lmerTest tests one term, or a model of one column, by type I whatever the type asked */
  int eff = p <= 1 || T <= 2 ? LMM_FTEST_TYPE1 : type;
  if (eff != LMM_FTEST_TYPE3) {
    if ((rc = cross(d, d->xspec, p, d->xspec, p, G, stop, err))) goto done;
    if (eff == LMM_FTEST_TYPE1) lme4_type1(d, G, h, Lw, Uw, perm, cols);
    else lme4_type2(d, G, h, Gn, Lw, Uw, perm, cols, in);
  } else if ((rc = lme4_type3(d, h, stop, err))) goto done;
  if (df != LMM_FTEST_DF_KENWARD_ROGER && (rc = lmm_satterthwaite_new(m->system, m->fit, stop, &s, err))) goto done;
  double s2 = m->fit->sigma * m->fit->sigma;
  for (int t = 1; t < T; t++) {
    int q = h[t].q;
    lmm_ftest ft = {NAN, 0, NAN, NAN};
    double scale = 1;   /* lmerTest's Sum Sq and Mean Sq are of the F before KR's scaling */
    if (q) {
      for (int a = 0; a < q; a++)   /* q x p column-major */
        for (int j = 0; j < p; j++) Lt[a + (size_t)j * q] = h[t].L[(size_t)a * p + (size_t)j];
      rc = df == LMM_FTEST_DF_KENWARD_ROGER ? kenward_roger_ftest(m, &kr, stop, Lt, q, &ft, &scale, err)
                                            : lmm_satterthwaite_ftest(s, m->fit->beta, Lt, q, &ft, err);
      if (rc) goto done;
    }
    double ms = ft.F / scale * s2;
    if (ft.ndf) rc = add_row(out, d->term_labels[t], ft.ndf, ft.ddf, ft.F, ft.p_value, ms * ft.ndf, ms, err);
    else rc = add_row(out, d->term_labels[t], -1, NAN, NAN, NAN, NAN, NAN, err);   /* R's row of NA */
    if (rc) goto done;
  }
done:
  lmm_satterthwaite_free(s);
  lmm_kr_free(kr);
  for (int t = 0; h && t < T; t++) lmm_free(h[t].L);
  lmm_free(h);
  lmm_free(w);
  lmm_free(iw);
  lmm_free(in);
  return rc;
}

/* ---- a contrast L beta = 0 ------------------------------------------------------------------------- */

/* L= into q rows of p numbers (q x p column-major, *L lmm_malloc'd). */
static int parse_L(const lmm_design *d, const char *text, int len, double **L, int *q, lmm_error *err) {
  int p = d->p, rows = 1;
  for (int i = 0; i < len; i++) rows += text[i] == ';';
  /* rows past the coefficients are dependent, and lmerTest's contest takes them (the test is on L's rank): all the
     pairwise differences of a factor's levels are such rows.  But L V L' and its eigen decomposition grow as their
     square and cube: 5,000 rows of "1 0" (25 KB) took 31 s and 200 MB where no interrupt was seen */
  enum { L_MAX_ROWS = 1024 };   /* its eigen decomposition in well under a second */
  if (rows > p && rows > L_MAX_ROWS)
    return lmm_fail(err, LMM_ERR, "options: L= has %d rows, more than the model's %d coefficient%s and more than %d: "
                    "keep independent rows (at most one per coefficient)", rows, p, p == 1 ? "" : "s", L_MAX_ROWS);
  double *M = lmm_malloc_array(lmm_size_mul((size_t)rows, (size_t)(p ? p : 1)), sizeof *M);
  char *buf = lmm_malloc((size_t)len + 1);
  if (!M || !buf) { lmm_free(M); lmm_free(buf); return lmm_nomem(err); }
  memcpy(buf, text, (size_t)len);
  buf[len] = 0;
  int r = 0, rc = LMM_OK;
  for (char *row = buf; row && !rc; r++) {
    char *next = strchr(row, ';');
    if (next) *next++ = 0;
    int k = 0;
    for (char *c = row;;) {
      while (isspace((unsigned char)*c)) c++;
      if (!*c) break;
      char *e;
      double v = strtod(c, &e);
      if (e == c || !isfinite(v) || (*e && !isspace((unsigned char)*e))) {
        rc = lmm_fail(err, LMM_ERR, "options: L= row %d holds '%.*s', not a number; write L's rows as numbers "
                      "between blanks, ';' between rows (L=0 1 0; 0 0 1)", r + 1, (int)strcspn(c, " \t\n"), c);
        break;
      }
      if (k < p) M[r + (size_t)k * rows] = v;
      k++;
      c = e;
    }
    if (!rc && k != p)
      rc = lmm_fail(err, LMM_ERR, "options: L= row %d has %d numbers and the model %d coefficients (%s%s): one "
                    "number per coefficient, in their order", r + 1, k, p, p ? d->xnames[0] : "", p > 1 ? ", ..." : "");
    row = next;
  }
  lmm_free(buf);
  if (rc) { lmm_free(M); return rc; }
  *L = M;
  *q = rows;
  return LMM_OK;
}

/* Wald's F of L beta = 0 over the directions of L V L' whose eigenvalues exceed sqrt(eps) of the largest
 * (rank of them); rank 0 when L V L' is 0. */
static int wald_F(int p, const double *V, const double *beta, const double *L, int q, double *F, int *rank,
                  lmm_error *err) {
  double *W = lmm_malloc_array(lmm_size_add(lmm_size_mul((size_t)q, (size_t)q), (size_t)q), sizeof *W), *ev = W ? W + (size_t)q * q : NULL;
  if (!W) return lmm_nomem(err);
  if (lmm_contrast_cov(p, V, L, q, W)) { lmm_free(W); return lmm_nomem(err); }
  if (LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', q, W, q, ev)) { lmm_free(W); return lmm_fail(err, LMM_NUMERIC, "L V L' has no eigen decomposition"); }
  double tol = ev[q - 1] > 0 ? sqrt(DBL_EPSILON) * ev[q - 1] : 0, sum = 0;
  int r = 0;
  for (int m = q - 1; m >= 0 && ev[m] > tol; m--, r++) {
    double est = 0;
    for (int j = 0; j < p; j++)
      for (int a = 0; a < q; a++) est += W[a + (size_t)m * q] * L[a + (size_t)j * q] * beta[j];
    sum += est * est / ev[m];
  }
  *F = r ? sum / r : NAN;
  *rank = r;
  lmm_free(W);
  return LMM_OK;
}

static int contrast_row(lmm_model *m, const lmm_ftest_options *o, lmm_stop *stop, lmm_ftest_table *out, lmm_error *err) {
  const lmm_design *d = m->design;
  int p = d->p, q = 0, rank = 0, rc;
  double *L = NULL, F = NAN, ddf = NAN, s2 = NAN;
  if ((rc = parse_L(d, o->L, o->Llen, &L, &q, err))) return rc;
  if (m->style == LMM_STYLE_LME4) {
    lmm_ftest ft = {NAN, 0, NAN, NAN};
    lmm_satterthwaite *s = NULL;
    lmm_kr *kr = NULL;
    double scale = 1;
    if (o->df == LMM_FTEST_DF_KENWARD_ROGER) rc = kenward_roger_ftest(m, &kr, stop, L, q, &ft, &scale, err);
    else if (!(rc = lmm_satterthwaite_new(m->system, m->fit, stop, &s, err)))
      rc = lmm_satterthwaite_ftest(s, m->fit->beta, L, q, &ft, err);
    lmm_satterthwaite_free(s);
    lmm_kr_free(kr);
    F = ft.F, rank = ft.ndf, ddf = ft.ddf, s2 = m->fit->sigma * m->fit->sigma;
  } else {
    double *V = lmm_malloc_array((size_t)p * (size_t)p + 1, sizeof *V), *cdf = lmm_malloc_array((size_t)p + 1, sizeof *cdf);
    if (!V || !cdf) rc = lmm_nomem(err);
    else {
      nlme_vcov(m, V);
      rc = wald_F(p, V, m->fit->beta, L, q, &F, &rank, err);
      if (!rc && d->nre) {   /* nlme: the df of the columns L involves, which must agree */
        int nested = lmm_nlme_df(d, cdf, err);
        if (nested < 0) rc = err->code;
        else if (!nested) rc = lmm_fail(err, LMM_ERR, "nlme's anova takes its denominator df from grouping factors nested "
                                        "in one another, and this model's cross");
        for (int j = 0; j < p && !rc; j++) {
          int used = 0;
          for (int a = 0; a < q; a++) used |= L[a + (size_t)j * q] != 0;
          if (!used) continue;
          if (isnan(ddf)) ddf = cdf[j];
          else if (cdf[j] != ddf)
            rc = lmm_fail(err, LMM_ERR, "options: L= involves '%s' (%g denominator df) and coefficients with %g; nlme "
                          "tests L only on fixed effects with the same denominator df", d->xnames[j], cdf[j], ddf);
        }
      } else ddf = (double)d->n - p;
      if (m->style == LMM_STYLE_LM) s2 = pow(lmm_model_sigma(m), 2);
    }
    lmm_free(V);
    lmm_free(cdf);
  }
  lmm_free(L);
  if (rc) return rc;
  if (!rank) return add_row(out, "L", -1, NAN, NAN, NAN, NAN, NAN, err);
  return add_row(out, "L", rank, ddf, F, pf(F, rank, ddf, 0, 0), F * s2 * rank, F * s2, err);
}

/* ---- dispatch --------------------------------------------------------------------------------------- */

static const char *const type_names[] = {"", "sequential", "marginal", "I", "II", "III", "contrast"};
enum { CONTRAST_TYPE = 6 };

int lmm_ftest_terms(lmm_model *m, const lmm_ftest_options *given, lmm_stop *stop, lmm_ftest_table **out,
                    lmm_error *err) {
  *out = NULL;
  int style = m->style, type = given->type, rc;
  /* without df=, a model fitted with df=kenward-roger is tested with Kenward-Roger's df, as its own rows are:
   * Satterthwaite's (lmerTest's default) beside them would give the same term two p-values */
  lmm_ftest_options own = *given;
  if (style == LMM_STYLE_LME4 && own.df == LMM_FTEST_DF_DEFAULT && m->options.df == LMM_DF_KENWARD_ROGER)
    own.df = LMM_FTEST_DF_KENWARD_ROGER;
  const lmm_ftest_options *o = &own;
  if (m->structure && style == LMM_STYLE_LME4)
    return lmm_fail(err, LMM_ERR, "lmerTest's F tests take Satterthwaite's or Kenward-Roger's df, which do not account "
                    "for weights= or correlation= (lmerTest has no residual structures); fit the model in nlme's notation "
                    "(its random part in random=) for nlme's anova(m) with its containment df");
  if (o->L && type != LMM_FTEST_DEFAULT)
    return lmm_fail(err, LMM_ERR, "options: L= tests one contrast, type= chooses the terms' tests; give one of them");
  if (o->L && style != LMM_STYLE_LME4 && o->df != LMM_FTEST_DF_DEFAULT)
    return lmm_fail(err, LMM_ERR, "options: df= chooses lmerTest's denominator df, for lme4-style fits");
  if (o->L) {
    lmm_ftest_table *t = NULL;
    if ((rc = table_new(1, type_names[CONTRAST_TYPE], &t, err))) return rc;
    lmm_blas_serial_begin();
    rc = contrast_row(m, o, stop, t, err);
    lmm_blas_serial_end();
    if (rc) { lmm_ftest_table_free(t); return rc; }
    *out = t;
    return LMM_OK;
  }
  if (style == LMM_STYLE_LME4) {
    if (type == LMM_FTEST_DEFAULT) type = LMM_FTEST_TYPE3;
    if (type == LMM_FTEST_SEQUENTIAL || type == LMM_FTEST_MARGINAL)
      return lmm_fail(err, LMM_ERR, "options: type=%s is nlme's; an lme4-style fit takes lmerTest's type=I, II or III "
                      "(1, 2, 3)", type_names[type]);
  } else {
    if (o->df != LMM_FTEST_DF_DEFAULT)
      return lmm_fail(err, LMM_ERR, "options: df= chooses lmerTest's denominator df, for lme4-style fits; %s",
                      style == LMM_STYLE_LM ? "anova(lm) uses n - p" : m->design->nre == 0 ? "anova(gls) uses n - p"
                      : "nlme's anova uses its containment df");
    if (type == LMM_FTEST_DEFAULT || type == LMM_FTEST_TYPE1) type = LMM_FTEST_SEQUENTIAL;
    if (style == LMM_STYLE_LM && type != LMM_FTEST_SEQUENTIAL)
      return lmm_fail(err, LMM_ERR, "options: anova(lm) is sequential only; type=%s is for nlme (marginal) or lme4-style "
                      "fits (II, III)", type_names[type]);
    if (type == LMM_FTEST_TYPE2 || type == LMM_FTEST_TYPE3)
      return lmm_fail(err, LMM_ERR, "options: type=%s is lmerTest's, for lme4-style fits; nlme's anova takes "
                      "type=sequential or type=marginal", type_names[type]);
  }
  lmm_ftest_table *t = NULL;
  if ((rc = table_new(m->design->nxterms + 1, type_names[type], &t, err))) return rc;
  lmm_blas_serial_begin();
  rc = style == LMM_STYLE_LME4 ? lme4_table(m, type, o->df, stop, t, err)
                               : wald_table(m, type == LMM_FTEST_MARGINAL, t, err);
  lmm_blas_serial_end();
  if (rc) { lmm_ftest_table_free(t); return rc; }
  *out = t;
  return LMM_OK;
}
