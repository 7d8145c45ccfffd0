/* confint.c — Wald intervals, nlme's intervals() and bootstrap percentile intervals (see confint.h). */
#include "confint.h"

#include "bootstrap.h"
#include "alloc.h"
#include "options.h"
#include "lapack_steps.h"
#include "profile.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lmm_ci_method_names[4] = {"wald", "intervals", "profile", "boot"};

static int is_boot_option(const char *key, size_t len) {
  static const char *const keys[] = {"nsim", "seed", "threads"};
  for (int k = 0; k < 3; k++)
    if (len == strlen(keys[k]) && !strncmp(key, keys[k], len)) return 1;
  return 0;
}

int lmm_ci_request_parse(const char *method, const char *options, int style, lmm_ci_request *out, lmm_error *err) {
  out->level = 0.95;
  out->boot[0] = 0;
  out->method = style == LMM_STYLE_LME4 ? LMM_CI_PROFILE : style == LMM_STYLE_NLME ? LMM_CI_INTERVALS : LMM_CI_WALD;
  if (method) {
    int k = 0;
    while (k < 4 && strcmp(method, lmm_ci_method_names[k])) k++;
    if (k == 4)
      return lmm_fail(err, LMM_ERR, "unknown method '%.100s': the methods are 'wald', 'intervals', 'profile' and 'boot'",
                      method);
    out->method = k;
  }
  lmm_option op;
  for (const char *p = options;;) {
    if (lmm_option_next(&p, &op, "level=0.95", err)) return LMM_ERR;
    if (!op.key) break;
    size_t klen = (size_t)(op.key_end - op.key);
    int vlen = (int)(op.val_end - op.val);
    if (klen == 5 && !strncmp(op.key, "level", 5)) {
      char buf[64], *end;
      snprintf(buf, sizeof buf, "%.*s", vlen, op.val);
      double x = strtod(buf, &end);
      if (!vlen || vlen >= (int)sizeof buf || *end || !(x > 0 && x < 1))
        return lmm_fail(err, LMM_ERR, "level must be a number between 0 and 1 (exclusive), as 0.95: got '%.*s'",
                        vlen > 100 ? 100 : vlen, op.val);
      out->level = x;
    } else if (out->method == LMM_CI_BOOT && is_boot_option(op.key, klen)) {   /* the bootstrap's: passed on whole */
      size_t used = strlen(out->boot);
      if (used + klen + (size_t)vlen + 3 >= sizeof out->boot)
        return lmm_fail(err, LMM_ERR, "the bootstrap's options are too long (at most %d characters)",
                        (int)sizeof out->boot - 2);
      snprintf(out->boot + used, sizeof out->boot - used, "%s%.*s=%.*s", used ? "," : "", (int)klen, op.key, vlen,
               op.val);
    } else
      return lmm_fail(err, LMM_ERR, "unknown option '%.*s': lmm_confint takes level= (as 'level=0.9'), and with "
                      "method 'boot' nsim=, seed= and threads=", (int)(klen > 100 ? 100 : klen), op.key);
  }
  return LMM_OK;
}

int lmm_ci_add(lmm_ci_rows *r, const char *effect, const char *grp, const char *term, double lower, double estimate,
               double upper) {
  if (r->n == r->cap) {
    int cap = r->cap ? 2 * r->cap : 16;
    lmm_ci_row *rows = lmm_realloc(r->rows, sizeof *rows * (size_t)cap);
    if (!rows) return LMM_NOMEM;
    r->rows = rows;
    r->cap = cap;
  }
  lmm_ci_row *w = &r->rows[r->n];
  *w = (lmm_ci_row){effect, grp ? lmm_strdup(grp) : NULL, lmm_strdup(term), lower, estimate, upper};
  if ((grp && !w->grp) || !w->term) {
    lmm_free(w->grp);
    lmm_free(w->term);
    return LMM_NOMEM;
  }
  r->n++;
  return LMM_OK;
}

void lmm_ci_rows_clear(lmm_ci_rows *r) {
  for (int i = 0; i < r->n; i++) {
    lmm_free(r->rows[i].grp);
    lmm_free(r->rows[i].term);
  }
  lmm_free(r->rows);
  *r = (lmm_ci_rows){0};
}

void lmm_confint_wald(double estimate, double se, double df, double level, double *lower, double *upper) {
  double a = (1 - level) / 2, q = isfinite(df) ? -qt(a, df, 1, 0) : -qnorm(a, 0, 1, 1, 0);
  *lower = estimate - q * se;
  *upper = estimate + q * se;
}

/* The log-likelihood at nlme's natural parameters x (lmm_sdcor's layout: log sd, log((1+r)/(1-r)), last log
 * sigma); NAN where they make no covariance or the system is not positive definite there. */
static double natural_loglik(lmm_model *m, const double *x, double *sc, double *theta, lmm_stop *stop,
                             lmm_error *err) {
  int n = lmm_sdcor_count(m->design);
  for (int k = 0; k < n; k++) {
    double e = exp(x[k]);
    sc[k] = lmm_sdcor_is_cor(m->design, k) ? (e - 1) / (e + 1) : e;
  }
  if (lmm_sdcor_to_theta(m->design, m->fit->map, sc, theta)) return NAN;
  lmm_fit_parts parts = {0};
  if (lmm_fit_parts_at(m->system, theta, m->fit->reml, stop, &parts, err)) return NAN;
  double nr = m->fit->reml ? (double)m->design->n - m->design->p : (double)m->design->n, s2 = sc[n - 1] * sc[n - 1];
  return -(parts.ldet + nr * log(2 * M_PI * s2) + parts.pwrss / s2) / 2;
}

/* The Hessian of the log-likelihood at x by central differences of step h = 1e-3 on every (logarithmic)
 * parameter: second differences on the diagonal, four-point ones off it.  nlme's fdHess steps 6e-6 relative,
 * where rounding in the log-likelihood moves its Hessian by 0.1 % to 1 % (its relStep 1e-4 gives another
 * answer); at 1e-3 rounding and the truncation error are both below 1e-6 relative. */
static int fd_hessian(lmm_model *m, const double *x0, int n, double *H, lmm_stop *stop, lmm_error *err) {
  double *x = lmm_malloc_array((size_t)n * 4, sizeof *x), *fp = x + n, *fm = fp + n, *sc = fm + n;
  double *theta = lmm_malloc_array((size_t)(m->fit->ntheta ? m->fit->ntheta : 1), sizeof *theta);
  int rc = LMM_OK;
  const double h = 1e-3;
  if (!x || !theta) { lmm_free(x); lmm_free(theta); return lmm_nomem(err); }
  memcpy(x, x0, sizeof *x * (size_t)n);
#define EVAL(out) do { double v_ = natural_loglik(m, x, sc, theta, stop, err); \
    if (!isfinite(v_)) { rc = err->code ? err->code : LMM_NUMERIC; goto done; } (out) = v_; } while (0)
  double f0;
  EVAL(f0);
  for (int i = 0; i < n; i++) {
    x[i] = x0[i] + h;
    EVAL(fp[i]);
    x[i] = x0[i] - h;
    EVAL(fm[i]);
    x[i] = x0[i];
    H[i + i * n] = (fp[i] + fm[i] - 2 * f0) / (h * h);
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double f4[4];
      for (int c = 0; c < 4; c++) {
        x[i] = x0[i] + (c & 1 ? -h : h);
        x[j] = x0[j] + (c & 2 ? -h : h);
        EVAL(f4[c]);
      }
      x[i] = x0[i];
      x[j] = x0[j];
      H[i + j * n] = H[j + i * n] = (f4[0] - f4[1] - f4[2] + f4[3]) / (4 * h * h);
    }
#undef EVAL
done:
  lmm_free(x);
  lmm_free(theta);
  return rc;
}

/* The residual sd's interval without random effects (nlme's intervals.gls): chi-square on n - p (REML, lm)
 * or n (ML). */
static void sigma_chisq(const lmm_model *m, double level, double *lower, double *upper) {
  double nr = (double)m->design->n - (m->fit->reml || m->style == LMM_STYLE_LM ? m->design->p : 0);
  double est = lmm_model_sigma(m) * sqrt(nr);
  *lower = est / sqrt(qchisq((1 + level) / 2, nr, 1, 0));
  *upper = est / sqrt(qchisq((1 - level) / 2, nr, 1, 0));
}

static int fixed_rows(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err) {
  const lmm_design *d = m->design;
  int p = d->p;
  double *df = lmm_malloc_array((size_t)(p ? p : 1), sizeof *df);
  if (!df) return lmm_nomem(err);
  int method = lmm_df_method(d, m->style, m->options.df);
  int rc = lmm_fixed_df(d, m->system, m->fit, method, stop, df, err);
  for (int j = 0; j < p && !rc; j++) {
    double lo, hi, est = m->fit->beta[j];
    lmm_confint_wald(est, sqrt(lmm_model_vcov(m, j, j)), df[j], level, &lo, &hi);
    if (lmm_ci_add(out, "fixed", NULL, d->xnames[j], lo, est, hi)) rc = lmm_nomem(err);
  }
  lmm_free(df);
  return rc;
}

int lmm_confint_intervals(lmm_model *m, double level, lmm_stop *stop, lmm_ci_rows *out, lmm_error *err) {
  int rc = fixed_rows(m, level, stop, out, err);
  if (rc) return rc;
  if (!m->design->nre) {
    double lo, hi;
    sigma_chisq(m, level, &lo, &hi);
    return lmm_ci_add(out, "ran_pars", "Residual", "sd__Observation", lo, lmm_model_sigma(m), hi) ? lmm_nomem(err) : 0;
  }
  int n = lmm_sdcor_count(m->design);
  double *sc = lmm_malloc_array((size_t)n * 2, sizeof *sc), *x = sc + n;
  double *H = lmm_malloc_array((size_t)n * (size_t)n, sizeof *H);
  if (!sc || !H) { rc = lmm_nomem(err); goto done; }
  lmm_sdcor_from_fit(m->design, m->fit, lmm_model_sigma(m), sc);
  for (int k = 0; k < n; k++) {
    double v = sc[k];
    x[k] = lmm_sdcor_is_cor(m->design, k) ? log((1 + v) / (1 - v)) : log(v);
    if (!isfinite(x[k])) {
      char *name = lmm_sdcor_name(m->design, k);
      rc = lmm_fail(err, LMM_ERR, "intervals: %s is on its boundary (%s %.6g), where nlme's approximate covariance "
                    "of the variance parameters does not exist; use method 'profile' or 'wald'",
                    name ? name : "a variance parameter", lmm_sdcor_is_cor(m->design, k) ? "correlation" : "sd", v);
      lmm_free(name);
      goto done;
    }
  }
  if ((rc = fd_hessian(m, x, n, H, stop, err))) {
    if (rc == LMM_NUMERIC) {
      *err = (lmm_error){0};
      rc = lmm_fail(err, LMM_ERR, "intervals: the log-likelihood cannot be evaluated next to the estimates; "
                    "use method 'profile' or 'wald'");
    }
    goto done;
  }
  for (int i = 0; i < n * n; i++) H[i] = -H[i];
  int frc = LMM_NUMERIC;
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, H, n) || (frc = lmm_steps_potri('L', n, H, n, stop))) {
    if (frc == LMM_INTERRUPTED) { rc = lmm_fail(err, frc, "interrupted"); goto done; }
    if (frc == LMM_NOMEM) { rc = lmm_nomem(err); goto done; }
    rc = lmm_fail(err, LMM_ERR, "intervals: the approximate covariance of the variance parameters is not positive "
                  "definite (as nlme says: 'Non-positive definite approximate variance-covariance'); use method "
                  "'profile' or 'wald'");
    goto done;
  }
  double z = -qnorm((1 - level) / 2, 0, 1, 1, 0);
  for (int k = 0; k < n && !rc; k++) {
    double half = z * sqrt(H[k + k * n]), lo = x[k] - half, hi = x[k] + half;
    int cor = lmm_sdcor_is_cor(m->design, k);
    lo = cor ? (exp(lo) - 1) / (exp(lo) + 1) : exp(lo);
    hi = cor ? (exp(hi) - 1) / (exp(hi) + 1) : exp(hi);
    rc = lmm_sdcor_add_row(m->design, k, lo, sc[k], hi, out) ? lmm_nomem(err) : 0;
  }
done:
  lmm_free(sc);
  lmm_free(H);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int lmm_confint_percentile(const double *t, int nsim, int npar, int j, double level, double *lower, double *upper,
                           lmm_error *err) {
  (void)npar;
  double *s = lmm_malloc_array((size_t)(nsim ? nsim : 1), sizeof *s);
  int R = 0;
  *lower = *upper = NAN;
  if (!s) return lmm_nomem(err);
  for (int i = 0; i < nsim; i++)
    if (isfinite(t[i + (size_t)j * (size_t)nsim])) s[R++] = t[i + (size_t)j * (size_t)nsim];
  if (R) {
    qsort(s, (size_t)R, sizeof *s, cmp_double);
    double alpha[2] = {(1 - level) / 2, (1 + level) / 2}, out[2];
    for (int e = 0; e < 2; e++) {
      double rk = (R + 1) * alpha[e], k = trunc(rk);
      if (k <= 0) out[e] = s[0];
      else if (k >= R) out[e] = s[R - 1];
      else if (k == rk) out[e] = s[(int)k - 1];
      else {
        double q = qnorm(alpha[e], 0, 1, 1, 0), qk = qnorm(k / (R + 1), 0, 1, 1, 0), qk1 = qnorm((k + 1) / (R + 1), 0, 1, 1, 0);
        double tk = s[(int)k - 1], tk1 = s[(int)k];
        out[e] = tk + (q - qk) / (qk1 - qk) * (tk1 - tk);
      }
    }
    *lower = out[0];
    *upper = out[1];
  }
  lmm_free(s);
  return LMM_OK;
}

int lmm_confint_boot(const lmm_boot *b, double level, lmm_ci_rows *out, lmm_error *err) {
  size_t n = (size_t)b->nsim;
  double *col = lmm_malloc_array(n ? n : 1, sizeof *col);   /* one parameter's replicates: t is row by row */
  if (!col) return lmm_nomem(err);
  int rc = LMM_OK;
  for (int k = 0; k < b->npar && !rc; k++) {
    for (size_t r = 0; r < n; r++) col[r] = b->t[r * (size_t)b->npar + (size_t)k];
    const lmm_row *l = b->label[k];
    double lo, hi;
    if (!(rc = lmm_confint_percentile(col, b->nsim, 1, 0, level, &lo, &hi, err)) &&
        lmm_ci_add(out, l->effect, l->grp, l->term, lo, l->estimate, hi))
      rc = lmm_nomem(err);
  }
  lmm_free(col);
  return rc;
}
