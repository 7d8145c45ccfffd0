/* r2.c — Nakagawa & Schielzeth's R² of a linear mixed model; see r2.h. */
#include "r2.h"
#include "alloc.h"

#include <math.h>
#include <string.h>

enum { R2_CHUNK = 256 };   /* rows made at a time, between which the stop is asked */

/* Term t's standard deviations times 2^(zexp - yexp), so that with Z's scaled columns (design.h) they give
 * z_a sd_a relative to the response's scale without a square of either (a slope's sd times its
 * column's 2^zexp is of the response's size where sd^2 alone may leave the range), and its correlations
 * (1 on the diagonal, 0 where a standard deviation is 0). */
static void term_scales(const lmm_design *d, const lmm_fit *f, int t, double *sd, double *cor) {
  int q = d->re[t].q;
  lmm_fit_term_sd(f, t, sd, cor);
  for (int a = 0; a < q; a++) {
    sd[a] = ldexp(sd[a], d->re[t].zexp[a] - d->yexp);
    for (int b = 0; b < q; b++) {
      double c = a == b ? 1 : cor[a + b * q];
      cor[a + b * q] = isnan(c) ? 0 : c;
    }
  }
}

int lmm_r2_nakagawa(const lmm_design *d, const lmm_fit *f, double sigma, lmm_stop *stop, double *marginal,
                    double *conditional, lmm_error *err) {
  size_t n = d->n;
  int p = d->p, qmax = 0;
  for (int t = 0; t < d->nre; t++) qmax = d->re[t].q > qmax ? d->re[t].q : qmax;
  double *X = lmm_malloc_array(lmm_size_mul(R2_CHUNK, (size_t)(p ? p : 1)), sizeof *X);
  double *Z = lmm_malloc_array(lmm_size_mul(R2_CHUNK, (size_t)(qmax ? qmax : 1)), sizeof *Z);
  double *C = lmm_malloc_array((size_t)(qmax ? qmax * qmax : 1), sizeof *C), sd[LMM_MAX_Q];
  double *b = lmm_malloc_array((size_t)(p ? p : 1), sizeof *b);
  long double *eta = lmm_malloc_array(R2_CHUNK, sizeof *eta);
  int rc = LMM_OK;
  if (!X || !Z || !C || !b || !eta) { rc = lmm_nomem(err); goto done; }
  for (int j = 0; j < p; j++) b[j] = ldexp(f->beta[j], d->xexp[j] - d->yexp);   /* X's scaled columns to y's scale */
  /* v_f: the mean and the sum of squares about it, updated chunk by chunk (Chan et al.) */
  long double mean = 0, m2 = 0, vr = 0;
  for (size_t r0 = 0; r0 < n && !rc; r0 += R2_CHUNK) {
    if (lmm_stop_asked(stop)) { rc = lmm_fail(err, LMM_INTERRUPTED, "interrupted"); break; }
    int m = n - r0 < R2_CHUNK ? (int)(n - r0) : R2_CHUNK;
    lmm_design_x_rows(d, NULL, r0, m, X, m);
    long double cm = 0, c2 = 0;
    for (int i = 0; i < m; i++) {
      eta[i] = 0;
      for (int j = 0; j < p; j++) eta[i] += (long double)X[i + (size_t)j * m] * b[j];
      cm += eta[i];
    }
    cm /= m;
    for (int i = 0; i < m; i++) c2 += (eta[i] - cm) * (eta[i] - cm);
    long double na = (long double)r0, nb = m, delta = cm - mean;
    mean += delta * nb / (na + nb);
    m2 += c2 + delta * delta * na * nb / (na + nb);
    for (int t = 0; t < d->nre; t++) {
      int q = d->re[t].q;
      term_scales(d, f, t, sd, C);
      for (int a = 0; a < q; a++) {   /* Z's column a times sd_a */
        lmm_design_z_rows(d, t, a, NULL, r0, m, Z + (size_t)a * m);
        for (int i = 0; i < m; i++) Z[i + (size_t)a * m] *= sd[a];
      }
      for (int i = 0; i < m; i++)
        for (int a = 0; a < q; a++)
          for (int c = 0; c < q; c++) vr += (long double)Z[i + (size_t)a * m] * C[a + c * q] * Z[i + (size_t)c * m];
    }
  }
  if (!rc) {
    double vf = n > 1 ? (double)(m2 / (long double)(n - 1)) : 0, vran = (double)(vr / (long double)n);
    double s2 = ldexp(sigma, -d->yexp), total = vf + vran + s2 * s2;
    *marginal = total > 0 ? vf / total : NAN;
    *conditional = total > 0 ? (vf + vran) / total : NAN;
  }
done:
  lmm_free(X);
  lmm_free(Z);
  lmm_free(C);
  lmm_free(b);
  lmm_free(eta);
  return rc;
}
