/* result.c — the growable table of result rows. */
#include "result.h"
#include "alloc.h"

#include <math.h>

lmm_result *lmm_result_new(void) { return lmm_calloc(1, sizeof(lmm_result)); }

void lmm_result_free(lmm_result *r) {
  if (!r) return;
  for (int i = 0; i < r->nrows; i++) {
    lmm_free(r->rows[i].grp);
    lmm_free(r->rows[i].term);
  }
  lmm_free(r->rows);
  lmm_free(r);
}

int lmm_result_add(lmm_result *r, const char *effect, const char *grp, const char *term, double estimate,
                   double std_error, double statistic, double df, double p_value) {
  if (r->nrows == r->cap) {
    int cap = r->cap ? 2 * r->cap : 32;
    lmm_row *g = lmm_realloc(r->rows, sizeof *g * (size_t)cap);
    if (!g) return LMM_NOMEM;
    r->rows = g;
    r->cap = cap;
  }
  lmm_row row = {effect, grp ? lmm_strdup(grp) : NULL, lmm_strdup(term), estimate, std_error, statistic, df, p_value, 0};
  if ((grp && !row.grp) || !row.term) {
    lmm_free(row.grp);
    lmm_free(row.term);
    return LMM_NOMEM;
  }
  r->rows[r->nrows++] = row;
  return LMM_OK;
}

int lmm_result_add_count(lmm_result *r, const char *grp, const char *term, double count) {
  int rc = lmm_result_add(r, "fit", grp, term, count, NAN, NAN, NAN, NAN);
  if (!rc) r->rows[r->nrows - 1].count = 1;
  return rc;
}
