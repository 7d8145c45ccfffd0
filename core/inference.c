/* inference.c — see inference.h. */
#include "inference.h"
#include "alloc.h"
#include "kenward_roger.h"
#include "r2.h"
#include "satterthwaite.h"

#define MATHLIB_STANDALONE 1
#include <Rmath.h>
#include <float.h>
#include <math.h>
#include <string.h>

typedef struct grouping { int t; int nlevels; } grouping;

/* Whether column values vary within any level of a grouping. */
static int varies_within(const double *x, const int *g, int nlevels, size_t n, double *first, char *seen) {
  memset(seen, 0, (size_t)nlevels);
  for (size_t r = 0; r < n; r++) {
    int l = g[r];
    if (!seen[l]) { seen[l] = 1; first[l] = x[r]; }
    else if (x[r] != first[l]) return 1;
  }
  return 0;
}

/* Whether each level of grouping a lies inside one level of grouping b. */
static int nested(const lmm_design *d, int a, int b, int *map) {
  const int *ga = d->re[a].g, *gb = d->re[b].g;
  for (int l = 0; l < d->re[a].nlevels; l++) map[l] = -1;
  for (size_t r = 0; r < d->n; r++) {
    if (map[ga[r]] < 0) map[ga[r]] = gb[r];
    else if (map[ga[r]] != gb[r]) return 0;
  }
  return 1;
}

int lmm_nlme_strata(const lmm_design *d, int *stratum, double *base, int *nstrata, lmm_error *err) {
  size_t n = d->n;
  int p = d->p;
  *nstrata = 0;
  base[0] = (double)n;
  if (d->nre == 0) {
    for (int j = 0; j < p; j++) stratum[j] = 0;
    return 1;
  }
  /* distinct groupings, outermost (fewest levels) first */
  grouping gs[LMM_NLME_MAX_STRATA];
  int Q = 0;
  for (int t = 0; t < d->nre && Q < LMM_NLME_MAX_STRATA; t++) {
    int dup = 0;
    for (int k = 0; k < Q; k++) if (d->re[gs[k].t].group_vars == d->re[t].group_vars) dup = 1;
    if (!dup) gs[Q++] = (grouping){t, d->re[t].nlevels};
  }
  for (int i = 1; i < Q; i++)
    for (int k = i; k > 0 && gs[k].nlevels < gs[k - 1].nlevels; k--) {
      grouping tmp = gs[k]; gs[k] = gs[k - 1]; gs[k - 1] = tmp;
    }
  int maxl = 1;
  for (int k = 0; k < Q; k++) if (gs[k].nlevels > maxl) maxl = gs[k].nlevels;
  int *map = lmm_malloc(sizeof *map * (size_t)maxl);
  double *first = lmm_malloc(sizeof *first * (size_t)maxl);
  char *seen = lmm_malloc((size_t)maxl);
  double *x = lmm_malloc(sizeof *x * (n ? n : 1));
  int ok = 1;
  if (!map || !first || !seen || !x) { lmm_nomem(err); ok = -1; goto done; }
  for (int k = 1; k < Q && ok; k++) ok = nested(d, gs[k].t, gs[k - 1].t, map);
  if (ok != 1) goto done;
  *nstrata = Q;
  for (int k = 0; k <= Q; k++)
    base[k] = (k < Q ? gs[k].nlevels : (double)n) - (k ? gs[k - 1].nlevels : 0);
  for (int j = 0; j < p; j++) {
    lmm_design_x_column(d, j, NULL, x);   /* never stopped without a stop */
    int constant = 1;
    for (size_t r = 1; r < n && constant; r++) constant = x[r] == x[0];
    if (constant) { stratum[j] = -1; continue; }
    int s = 0;
    for (int k = Q - 1; k >= 0; k--)
      if (varies_within(x, d->re[gs[k].t].g, gs[k].nlevels, n, first, seen)) { s = k + 1; break; }
    stratum[j] = s;
  }
done:
  lmm_free(map); lmm_free(first); lmm_free(seen); lmm_free(x);
  return ok;
}

int lmm_nlme_df(const lmm_design *d, double *df, lmm_error *err) {
  int p = d->p, Q = 0;
  if (d->nre == 0) {
    for (int j = 0; j < p; j++) df[j] = (double)d->n - p;
    return 1;
  }
  double dfX[LMM_NLME_MAX_STRATA + 1];
  int *stratum = lmm_malloc(sizeof *stratum * (size_t)(p ? p : 1));
  if (!stratum) { lmm_nomem(err); return -1; }
  int ok = lmm_nlme_strata(d, stratum, dfX, &Q, err);
  if (ok == 1) {
    int any_intercept = 0;
    for (int j = 0; j < p; j++)
      if (stratum[j] < 0) any_intercept = 1;
      else dfX[stratum[j]] -= 1;
    if (any_intercept) dfX[0] -= 1;
    else for (int k = 1; k <= Q; k++) dfX[k] += 1;
    double mx = dfX[0];
    for (int k = 1; k <= Q; k++) if (dfX[k] > mx) mx = dfX[k];
    for (int j = 0; j < p; j++) df[j] = stratum[j] < 0 ? mx : dfX[stratum[j]];
  }
  lmm_free(stratum);
  return ok;
}

double lmm_vcov_scale(const lmm_design *d, const lmm_fit *f, int style) {
  if (f->reml || d->nre || style == LMM_STYLE_LME4) return 1;
  return (double)d->n / ((double)d->n - d->p);
}

double lmm_reported_sigma(const lmm_design *d, const lmm_fit *f, int style) {
  /* lm's sigma is sqrt(rss / (n - p)), from the ML sigma, as rss may exceed the range of a double */
  return style == LMM_STYLE_LM ? f->sigma * sqrt((double)d->n / ((double)d->n - d->p)) : f->sigma;
}

double lmm_correlation(double cov, double var1, double var2) {
  return var1 > 0 && var2 > 0 ? cov / (sqrt(var1) * sqrt(var2)) : NAN;
}

#define ADD(...) do { if (lmm_result_add(out, __VA_ARGS__)) return lmm_nomem(err); } while (0)
#define ADD_COUNT(...) do { if (lmm_result_add_count(out, __VA_ARGS__)) return lmm_nomem(err); } while (0)

/* containment's refusal, naming two groupings neither of which lies within the other */
static int crossed_fail(const lmm_design *d, lmm_error *err) {
  int a = 0, b = 0, maxl = 1;
  for (int t = 0; t < d->nre; t++) if (d->re[t].nlevels > maxl) maxl = d->re[t].nlevels;
  int *map = lmm_malloc(sizeof *map * (size_t)maxl);
  if (!map) return lmm_nomem(err);
  for (int s = 0; s < d->nre && a == b; s++)
    for (int t = 0; t < d->nre && a == b; t++)
      if (d->re[s].nlevels >= d->re[t].nlevels && d->re[s].group_vars != d->re[t].group_vars && !nested(d, s, t, map)) {
        a = s;
        b = t;
      }
  lmm_free(map);
  return lmm_fail(err, LMM_ERR, "df=containment is nlme's rule for grouping factors nested in one another, and '%s' is "
                  "not nested in '%s'; use df=satterthwaite (lmerTest's), df=residual or df=none", d->re[a].grp, d->re[b].grp);
}

int lmm_df_method(const lmm_design *d, int style, int asked) {
  if (asked == LMM_DF_NONE) return LMM_DF_NONE;
  if (d->nre == 0) return LMM_DF_RESIDUAL;   /* lm and gls: R's n - p, whatever was asked */
  if (asked != LMM_DF_DEFAULT) return asked;
  return style == LMM_STYLE_LME4 ? LMM_DF_SATTERTHWAITE : LMM_DF_CONTAINMENT;
}

/* KR's df of each fixed effect, and where se is not NULL their standard errors from Phi_A and Phi_A itself
 * (p x p, lmm_malloc'd) into *vcov. */
static int kr_fixed(const lmm_design *d, const lmm_fit *f, lmm_stop *stop, double *df, double *se, double **vcov,
                    lmm_error *err) {
  int p = d->p;
  lmm_kr *k = NULL;
  double *l = lmm_calloc((size_t)p, sizeof *l);
  if (!l) return lmm_nomem(err);
  int rc = lmm_kr_new(d, f, stop, &k, err);
  for (int j = 0; j < p && !rc; j++) {
    l[j] = 1;
    df[j] = lmm_kr_df(k, l);
    l[j] = 0;
    if (se) se[j] = sqrt(lmm_kr_vcov(k)[j + (size_t)j * p]);
  }
  if (!rc && vcov) {
    if (!(*vcov = lmm_malloc_array((size_t)p * p, sizeof **vcov))) rc = lmm_nomem(err);
    else memcpy(*vcov, lmm_kr_vcov(k), sizeof **vcov * (size_t)p * p);
  }
  lmm_kr_free(k);
  lmm_free(l);
  return rc;
}

int lmm_fixed_df(const lmm_design *d, lmm_system *sys, const lmm_fit *f, int method, lmm_stop *stop, double *df,
                 lmm_error *err) {
  int p = d->p, rc = LMM_OK;
  for (int j = 0; j < p; j++) df[j] = method == LMM_DF_RESIDUAL ? (double)d->n - p : NAN;
  if (method == LMM_DF_CONTAINMENT) {
    int nested = lmm_nlme_df(d, df, err);
    if (nested < 0) return err->code;
    if (!nested) return crossed_fail(d, err);
  } else if (method == LMM_DF_KENWARD_ROGER && p) {
    rc = kr_fixed(d, f, stop, df, NULL, NULL, err);
  } else if (method == LMM_DF_SATTERTHWAITE && p) {
    lmm_satterthwaite *s = NULL;
    double *l = lmm_calloc((size_t)p, sizeof *l);
    if (!l) return lmm_nomem(err);
    if (!(rc = lmm_satterthwaite_new(sys, f, stop, &s, err)))
      for (int j = 0; j < p; j++) {
        l[j] = 1;
        df[j] = lmm_satterthwaite_df(s, l);
        l[j] = 0;
      }
    lmm_satterthwaite_free(s);
    lmm_free(l);
    if (rc == LMM_NUMERIC) {   /* no df rather than no fit: the fit itself stands */
      *err = (lmm_error){0};
      rc = LMM_OK;
    }
  }
  return rc;
}

/* lm's R^2 (summary.lm's r.squared): 1 - rss / tss, tss about the mean where the model has an intercept and
 * about 0 where it has none, of y less any offset; in y's scaled units (design.h), so no square overflows.
 * NaN where y does not vary. */
static double r_squared(const lmm_design *d, const lmm_fit *f) {
  size_t n = d->n;
  long double mean = 0, tss = 0;
  for (size_t i = 0; i < n && d->frame->f->fixed.intercept; i++) mean += ldexp(d->y[i], -d->yexp);
  mean /= (long double)n;
  for (size_t i = 0; i < n; i++) {
    long double e = ldexp(d->y[i], -d->yexp) - mean;
    tss += e * e;
  }
  double rss = ldexp(f->pwrss, -2 * d->yexp);
  return tss > 0 ? (double)(1 - rss / tss) : NAN;
}

int lmm_tidy_rows(const lmm_design *d, lmm_system *sys, const lmm_fit *f, int style, int df_asked, lmm_stop *stop,
                  lmm_result *out, double **vcov_kr, lmm_error *err) {
  int p = d->p, method = lmm_df_method(d, style, df_asked);
  size_t n = d->n;
  double *df = lmm_malloc(sizeof *df * (size_t)(p ? p : 1) * 2), *se_kr = df ? df + p : NULL;
  if (!df) return lmm_nomem(err);
  int rc = method == LMM_DF_KENWARD_ROGER && p ? kr_fixed(d, f, stop, df, se_kr, vcov_kr, err)
                                              : lmm_fixed_df(d, sys, f, method, stop, df, err);
  if (rc) { lmm_free(df); return rc; }
  /* nlme's summary() (lme and gls) and lm rescale ML standard errors to the
   REML-like sigma, sqrt(n / (n - p)); lme4 does not */
  double se_scale = (style != LMM_STYLE_LME4 && !f->reml) ? sqrt((double)n / ((double)n - p)) : 1;
  for (int j = 0; j < p; j++) {
    double est = f->beta[j], se = d->nre ? f->se[j] * se_scale : f->se[j];
    if (method == LMM_DF_KENWARD_ROGER) se = se_kr[j];   /* lmerTest's: from the adjusted covariance */
    double t = est / se;
    double pv = isnan(df[j]) ? NAN : 2 * pt(-fabs(t), df[j], 1, 0);
    if (lmm_result_add(out, "fixed", NULL, d->xnames[j], est, se, t, df[j], pv)) { lmm_free(df); return lmm_nomem(err); }
  }
  lmm_free(df);
  for (int t = 0; t < d->nre; t++) {
    const lmm_reterm *re = &d->re[t];
    int q = re->q;
    double sd[LMM_MAX_Q], cor[LMM_MAX_Q * LMM_MAX_Q];
    lmm_fit_term_sd(f, t, sd, cor);
    for (int a = 0; a < q; a++) {
      char *term = lmm_mprintf("sd__%s", re->cnames[a]);
      if (!term) return lmm_nomem(err);
      int rc = lmm_result_add(out, "ran_pars", re->grp, term, sd[a], NAN, NAN, NAN, NAN);
      lmm_free(term);
      if (rc) return lmm_nomem(err);
    }
    for (int a = 0; a < q; a++)
      for (int b = a + 1; b < q; b++) {
        char *term = lmm_mprintf("cor__%s.%s", re->cnames[a], re->cnames[b]);
        if (!term) return lmm_nomem(err);
        int rc = lmm_result_add(out, "ran_pars", re->grp, term, cor[a + b * q], NAN, NAN, NAN, NAN);
        lmm_free(term);
        if (rc) return lmm_nomem(err);
      }
  }
  if (style == LMM_STYLE_LM && !(isfinite(f->pwrss) && (f->pwrss >= DBL_MIN || f->sigma == 0)))   /* sigma 0: an exact fit */
    return lmm_fail(err, LMM_ERR, "the residual sum of squares of '%s' (lm's deviance) is beyond the range of double "
                    "precision (about 1e-308 to 1e+308); multiply the response by a power of ten that brings it nearer 1",
                    d->frame->f->response_label);
  double sigma = lmm_reported_sigma(d, f, style);
  ADD("ran_pars", "Residual", "sd__Observation", sigma, NAN, NAN, NAN, NAN);
  for (int k = 0; k < f->nstruct; k++) ADD("ran_pars", "Residual", f->struct_names[k], f->struct_est[k], NAN, NAN, NAN, NAN);
  /* lm and ML report the ML log-likelihood; REML fits the REML criterion */
  double npar = p + f->ntheta + 1 + f->nstruct_free;
  double logLik = f->logLik;
  double bic_n = (f->reml && style != LMM_STYLE_LME4) ? (double)n - p : (double)n;
  ADD("fit", NULL, "logLik", logLik, NAN, NAN, NAN, NAN);
  ADD("fit", NULL, "AIC", -2 * logLik + 2 * npar, NAN, NAN, NAN, NAN);
  ADD("fit", NULL, "BIC", -2 * logLik + log(bic_n) * npar, NAN, NAN, NAN, NAN);
  /* lm's deviance() is the residual sum of squares; lmer's is -2 logLik */
  ADD("fit", NULL, f->reml ? "REMLcrit" : "deviance", style == LMM_STYLE_LM ? f->pwrss : f->objective, NAN, NAN, NAN, NAN);
  ADD("fit", NULL, "sigma", sigma, NAN, NAN, NAN, NAN);
  if (style == LMM_STYLE_LM) ADD("fit", NULL, "r_squared", !d->from_sums ? r_squared(d, f) : NAN, NAN, NAN, NAN, NAN);
  if (d->nre) {
    double r2m = NAN, r2c = NAN;   /* a fit from statistics (stats_fit.h) has no rows to take the variances over */
    int rc = !d->from_sums ? lmm_r2_nakagawa(d, f, sigma, stop, &r2m, &r2c, err) : LMM_OK;
    if (rc) return rc;
    ADD("fit", NULL, "r2_marginal", r2m, NAN, NAN, NAN, NAN);
    ADD("fit", NULL, "r2_conditional", r2c, NAN, NAN, NAN, NAN);
  }
  ADD_COUNT(NULL, "nobs", (double)n);
  ADD_COUNT(NULL, "df", npar);
  for (int t = 0; t < d->nre; t++) {
    int dup = 0;
    for (int s = 0; s < t; s++) if (d->re[s].group_vars == d->re[t].group_vars) dup = 1;
    if (!dup) ADD_COUNT(d->re[t].grp, "ngroups", d->re[t].nlevels);
  }
  ADD_COUNT(NULL, "converged", f->converged);
  ADD_COUNT(NULL, "singular", f->singular);
  ADD_COUNT(NULL, "evaluations", f->evaluations);
  return LMM_OK;
}
