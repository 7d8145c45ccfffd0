/* lmm_anova.c — lmm_anova('GLM, lmm1, lmm2'): nlme's anova() table for saved
 * models: df, AIC, BIC, logLik, and a likelihood-ratio test of each model
 * against the one before it where their parameter counts differ.  REML fits
 * with different fixed effects are refused, as nlme warns that comparing them
 * is not meaningful.  One model, lmm_anova('m' [, options]), gives the F tests
 * of its terms instead (lmm_anova_terms.c), in the columns from term on; each
 * kind of row leaves the other's columns NULL, p_value is both's. */
#include "lmm_anova.h"
SQLITE_EXTENSION_INIT3

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/anova.h"
#include "../core/ftest.h"
#include "lmm_anova_terms.h"
#include "lmm_bootstrap.h"
#include "source.h"
#include "store.h"

enum { MAX_MODELS = 64 };
enum { LMM_ANOVA_P_BOOT = LMM_ANOVA_TERM + 7 };   /* the bootstrap test's p, after the F tests' columns */

typedef struct model_stats {
  char name[128];
  double logLik, AIC, BIC, df, nobs;
  char method[8];
  char *fixed;           /* the coefficients' names, quoted, comma after each */
} model_stats;

/* The statistics of a checked fit; SQLITE_ERROR when they are not there
 * or are not counts where counts are wanted. */
static int read_stats(const lmm_saved_fit *f, model_stats *s) {
  s->logLik = lmm_saved_fit_stat(f, "logLik");
  s->AIC = lmm_saved_fit_stat(f, "AIC");
  s->BIC = lmm_saved_fit_stat(f, "BIC");
  s->df = lmm_saved_fit_stat(f, "df");
  s->nobs = (double)f->nobs;
  snprintf(s->method, sizeof s->method, "%s", f->reml ? "REML" : "ML");
  /* the fixed effects' names, to compare fits by */
  sqlite3_str *names = sqlite3_str_new(NULL);
  for (int j = 0; j < f->p; j++) sqlite3_str_appendf(names, "%Q,", f->fixed[j]);
  s->fixed = sqlite3_str_finish(names);
  if (!s->fixed) return SQLITE_NOMEM;
  return isfinite(s->logLik) && s->df >= 0 && s->df <= 1e9 ? SQLITE_OK : SQLITE_ERROR;
}

/* A comparison's options: test=bootstrap (with nsim, seed, threads) or none; the F tests' options (type=, df=,
 * L=) are refused with lmm_anova_comparison_options's message, which names them. */
static int anova_boot_options(sqlite3_value *arg, const char *options, lmm_boot_options *o, char **errmsg) {
  int rc = lmm_bootstrap_options(arg, 1, "lmm_anova", o, errmsg);
  lmm_ftest_options fo;
  lmm_error ferr = {0};
  if (rc == SQLITE_ERROR && options && lmm_ftest_options_parse(options, &fo, &ferr) == LMM_OK) {
    sqlite3_free(*errmsg);
    *errmsg = NULL;
    return lmm_anova_comparison_options(options, errmsg);
  }
  if (rc == SQLITE_OK && !o->test && arg && sqlite3_value_bytes(arg) > 0) {
    *errmsg = sqlite3_mprintf("lmm_anova: nsim, seed and threads are the bootstrap test's: add test=bootstrap");
    rc = SQLITE_ERROR;
  }
  return rc;
}

static int anova_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *list = (const char *)sqlite3_value_text(argv[0]);
  const char *options = argv[1] ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  if (lmm_anova_single(list)) return lmm_anova_terms_fill(db, list, options, rows, errmsg);
  lmm_boot_options bo = {0};
  int orc = anova_boot_options(argv[1], options, &bo, errmsg);
  if (orc != SQLITE_OK) return orc;
  model_stats *m = sqlite3_malloc64(sizeof *m * MAX_MODELS);
  if (!m) return SQLITE_NOMEM;
  memset(m, 0, sizeof *m * MAX_MODELS);
  int n = 0, rc = SQLITE_OK;
  for (const char *p = list; *p && rc == SQLITE_OK;) {
    const char *e = strchr(p, ',');
    if (!e) e = p + strlen(p);
    const char *s = p, *t = e;
    while (s < t && (*s == ' ' || *s == '\t' || *s == '\n')) s++;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\n')) t--;
    if (t > s) {
      if (n == MAX_MODELS || t - s >= (long)sizeof m[n].name) {
        *errmsg = sqlite3_mprintf("lmm_anova: at most %d models, with names under 128 characters", MAX_MODELS);
        rc = SQLITE_ERROR;
        break;
      }
      memcpy(m[n].name, s, (size_t)(t - s));
      lmm_saved_fit *f = NULL;
      rc = lmm_store_read(db, m[n].name, &f, errmsg);
      if (rc == SQLITE_OK && (rc = read_stats(f, &m[n])) == SQLITE_ERROR)
        *errmsg = sqlite3_mprintf("saved model '%s' has no fit statistics (logLik, df and nobs)", m[n].name);
      if (rc != SQLITE_OK) lmm_source_error_in("lmm_anova", errmsg);
      lmm_saved_fit_free(f);
      n++;
    }
    p = *e ? e + 1 : e;
  }
  if (rc == SQLITE_OK && n == 0) { *errmsg = sqlite3_mprintf("lmm_anova needs model names: lmm_anova('m1, m2')"); rc = SQLITE_ERROR; }
  for (int i = 1; i < n && rc == SQLITE_OK; i++) {
    if (m[i].nobs != m[0].nobs) {
      *errmsg = sqlite3_mprintf("lmm_anova: '%s' and '%s' were fitted to different rows (%.0f and %.0f)", m[0].name,
                                m[i].name, m[0].nobs, m[i].nobs);
      rc = SQLITE_ERROR;
    } else if (strcmp(m[i].method, m[0].method)) {
      *errmsg = sqlite3_mprintf("lmm_anova: '%s' was fitted by %s and '%s' by %s; compare fits of one method",
                                m[0].name, m[0].method, m[i].name, m[i].method);
      rc = SQLITE_ERROR;
    } else if (!strcmp(m[0].method, "REML") && strcmp(m[i].fixed, m[0].fixed)) {
      *errmsg = sqlite3_mprintf("lmm_anova: '%s' and '%s' are REML fits with different fixed effects; REML likelihoods of "
                                "such models are not comparable (as nlme warns): fit them with method=ML",
                                m[0].name, m[i].name);
      rc = SQLITE_ERROR;
    }
  }
  if (rc == SQLITE_OK) {
    double ll[MAX_MODELS], df[MAX_MODELS], L[MAX_MODELS], pv[MAX_MODELS], pb[MAX_MODELS];
    for (int i = 0; i < n; i++) { ll[i] = m[i].logLik; df[i] = m[i].df; pb[i] = NAN; }
    lmm_anova_tests(n, ll, df, L, pv);
    for (int i = 1; bo.test && i < n && rc == SQLITE_OK; i++)   /* pbkrtest's PBmodcomp: simulate from the smaller */
      if (!isnan(L[i])) {
        int big = df[i] > df[i - 1] ? i : i - 1, small = 2 * i - 1 - big;
        rc = lmm_bootstrap_test(db, m[small].name, m[big].name, 2 * (ll[big] - ll[small]), &bo, "lmm_anova", &pb[i], errmsg);
      }
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
      lmm_cell *c = lmm_rowset_add(rows);
      if (!c) break;
      lmm_cell_text(rows, &c[0], m[i].name);
      lmm_cell_int(&c[1], (sqlite3_int64)m[i].df);
      lmm_cell_real(&c[2], m[i].AIC);
      lmm_cell_real(&c[3], m[i].BIC);
      lmm_cell_real(&c[4], m[i].logLik);
      if (!isnan(L[i])) {
        char test[32];
        snprintf(test, sizeof test, "%d vs %d", i, i + 1);
        lmm_cell_text(rows, &c[5], test);
      }
      lmm_cell_real(&c[6], L[i]);
      lmm_cell_real(&c[7], pv[i]);
      lmm_cell_real(&c[LMM_ANOVA_P_BOOT], pb[i]);
    }
  }
  for (int i = 0; i < MAX_MODELS; i++) sqlite3_free(m[i].fixed);
  sqlite3_free(m);
  return rc;
}

const lmm_tvf lmm_anova_tvf = {
  .name = "lmm_anova",
  .columns = "model TEXT, df INTEGER, AIC REAL, BIC REAL, logLik REAL, test TEXT, L_ratio REAL, p_value REAL, "
             "term TEXT, type TEXT, num_df INTEGER, den_df REAL, statistic REAL, sum_sq REAL, mean_sq REAL, p_boot REAL",
  .args = "models HIDDEN, options HIDDEN",
  .ncols = 16, .nargs = 2, .nrequired = 1,
  .usage = "lmm_anova needs saved model names: lmm_anova('m1, m2, m3'), or one model and options: lmm_anova('m', 'type=III')",
  .fill = anova_fill,
  .text_args = 3,
};
