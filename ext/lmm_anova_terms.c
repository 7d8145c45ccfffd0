/* lmm_anova_terms.c — see lmm_anova_terms.h.  The model is opened on its rows (lmm_store_open_structured: nlme's
 * tests of a model with weights= or correlation= are those of its fit, core/ftest.h), since the contrasts of
 * lmerTest's types and Satterthwaite's df need them; core computes the table, this copies it. */
#include "lmm_anova_terms.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include "../core/ftest.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"

int lmm_anova_single(const char *models) { return !strchr(models, ','); }

int lmm_anova_comparison_options(const char *options, char **errmsg) {
  lmm_ftest_options o;
  lmm_error err = {0};
  if (!options) return SQLITE_OK;
  if (lmm_ftest_options_parse(options, &o, &err) == LMM_OK) {
    if (o.type == LMM_FTEST_DEFAULT && o.df == LMM_FTEST_DF_DEFAULT && !o.L) return SQLITE_OK;   /* blank */
    *errmsg = sqlite3_mprintf("lmm_anova: %s= is an option of the F tests of one model's terms (lmm_anova('m', "
                              "'type=...')); a comparison of models takes none of type=, df= and L=",
                              o.type != LMM_FTEST_DEFAULT ? "type" : o.L ? "L" : "df");
  } else
    *errmsg = sqlite3_mprintf("lmm_anova: a comparison of models takes no options, and '%s' was given", options);
  return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

int lmm_anova_terms_fill(sqlite3 *db, const char *name, const char *options, lmm_rowset *rows, char **errmsg) {
  lmm_ftest_options o;
  lmm_error err = {0};
  while (*name == ' ' || *name == '\t' || *name == '\n') name++;
  size_t len = strlen(name);
  while (len && (name[len - 1] == ' ' || name[len - 1] == '\t' || name[len - 1] == '\n')) len--;
  char *trimmed = sqlite3_mprintf("%.*s", (int)len, name);
  if (!trimmed) return SQLITE_NOMEM;
  if (!len) {
    sqlite3_free(trimmed);
    *errmsg = sqlite3_mprintf("lmm_anova needs model names: lmm_anova('m1, m2')");
    return SQLITE_ERROR;
  }
  if (lmm_ftest_options_parse(options, &o, &err)) { sqlite3_free(trimmed); return lmm_sql_error(errmsg, "lmm_anova", &err); }
  lmm_model *m = NULL;
  int rc = lmm_store_open_structured(db, trimmed, &m, errmsg);
  if (rc != SQLITE_OK) {
    sqlite3_free(trimmed);
    lmm_source_error_in("lmm_anova", errmsg);
    return rc;
  }
  lmm_ftest_table *t = NULL;
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  lmm_stop stop = {lmm_interrupt_probe_check, &probe, 0};
  if (lmm_ftest_terms(m, &o, &stop, &t, &err)) rc = lmm_sql_error(errmsg, "lmm_anova", &err);
  lmm_interrupt_probe_end(&probe);
  for (int i = 0; rc == SQLITE_OK && i < t->n; i++) {
    const lmm_ftest_row *r = &t->row[i];
    lmm_cell *c = lmm_rowset_add(rows);
    if (!c) break;
    lmm_cell_text(rows, &c[0], trimmed);
    lmm_cell_real(&c[LMM_ANOVA_P_VALUE], r->p_value);
    lmm_cell_text(rows, &c[LMM_ANOVA_TERM], r->term);
    lmm_cell_text(rows, &c[LMM_ANOVA_TERM + 1], t->type);
    if (r->num_df >= 0) lmm_cell_int(&c[LMM_ANOVA_TERM + 2], r->num_df);
    lmm_cell_real(&c[LMM_ANOVA_TERM + 3], r->den_df);
    lmm_cell_real(&c[LMM_ANOVA_TERM + 4], r->F);
    lmm_cell_real(&c[LMM_ANOVA_TERM + 5], r->sum_sq);
    lmm_cell_real(&c[LMM_ANOVA_TERM + 6], r->mean_sq);
  }
  lmm_ftest_table_free(t);
  lmm_model_free(m);
  sqlite3_free(trimmed);
  return rc;
}
