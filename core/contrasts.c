/* contrasts.c — R's contrast matrices (see contrasts.h). */
#include "contrasts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct named { const char *name; int kind, base; } named;
/* C() reads the short names too (stats::C maps them to contr.*) */
static const named table[] = {
  {"contr.treatment", LMM_CONTR_TREATMENT, 0}, {"contr.sum", LMM_CONTR_SUM, 0},
  {"contr.helmert", LMM_CONTR_HELMERT, 0},     {"contr.poly", LMM_CONTR_POLY, 0},
  {"contr.SAS", LMM_CONTR_TREATMENT, LMM_CONTR_BASE_LAST},
  {"treatment", LMM_CONTR_TREATMENT, 0}, {"sum", LMM_CONTR_SUM, 0}, {"helmert", LMM_CONTR_HELMERT, 0},
  {"poly", LMM_CONTR_POLY, 0}, {"SAS", LMM_CONTR_TREATMENT, LMM_CONTR_BASE_LAST},
};

const char lmm_contrast_names[] = "contr.treatment, contr.sum, contr.helmert, contr.poly, contr.SAS "
                                  "(or treatment, sum, helmert, poly, SAS)";

int lmm_contrast_named(const char *name, int *kind, int *base) {
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)
    if (!strcmp(table[i].name, name)) {
      *kind = table[i].kind;
      *base = table[i].base;
      return 1;
    }
  return 0;
}

/* contr.poly: column j is the polynomial of degree j + 1 in the centred scores 1..n, orthogonal to those of
 * lower degree and of unit length, its leading coefficient positive -- R's make.poly, whose QR gives the
 * same columns.  Made by the three-term recurrence (y times the last column, less its projections), with the
 * projections taken again on every earlier column so that no digits are lost to cancellation. */
static void poly_matrix(int n, double *m) {
  double q0 = 1 / sqrt((double)n), cur[LMM_CONTR_POLY_MAX], next[LMM_CONTR_POLY_MAX];
  for (int i = 0; i < n; i++) cur[i] = q0;
  for (int j = 0; j < n - 1; j++) {
    for (int i = 0; i < n; i++) next[i] = (i + 1 - (n + 1) / 2.0) * cur[i];
    for (int pass = 0; pass < 2; pass++)
      for (int k = -1; k < j; k++) {   /* the constant, then the columns made so far */
        const double *col = k < 0 ? NULL : m + (size_t)k * (size_t)n;
        double dot = 0;
        for (int i = 0; i < n; i++) dot += next[i] * (col ? col[i] : q0);
        for (int i = 0; i < n; i++) next[i] -= dot * (col ? col[i] : q0);
      }
    double norm = 0;
    for (int i = 0; i < n; i++) norm += next[i] * next[i];
    norm = sqrt(norm);
    for (int i = 0; i < n; i++) m[(size_t)j * (size_t)n + (size_t)i] = next[i] / norm;
    memcpy(cur, m + (size_t)j * (size_t)n, sizeof *cur * (size_t)n);
  }
}

void lmm_contrast_matrix(int kind, int n, double *m) {
  for (int j = 0; j < n - 1; j++)
    for (int i = 0; i < n; i++) {
      double *v = &m[(size_t)j * (size_t)n + (size_t)i];
      if (kind == LMM_CONTR_SUM) *v = i == j ? 1 : i == n - 1 ? -1 : 0;
      else if (kind == LMM_CONTR_HELMERT) *v = i <= j ? -1 : i == j + 1 ? j + 1 : 0;
      else *v = 0;
    }
  if (kind == LMM_CONTR_POLY) poly_matrix(n, m);
}

const char *lmm_contrast_suffix(int kind, int j, char *buf) {
  static const char *const lqc[] = {".L", ".Q", ".C"};
  if (kind == LMM_CONTR_POLY && j < 3) return lqc[j];
  snprintf(buf, 16, kind == LMM_CONTR_POLY ? "^%d" : "%d", j + 1);
  return buf;
}
