/* ftest.h — F tests of the terms of one fitted model, as R's anova(m) gives them:
 *
 *   nlme (lme, gls)   anova.lme / anova.gls: sequential (default) or marginal, an "(Intercept)" row first;
 *                     F from the fixed effects' covariance (ML lme's scaled by n / (n - p), nlme's
 *                     adjustSigma), denominator df nlme's containment per term (getFixDF), n - p for gls
 *   lme4              lmerTest's anova: type III (default), II or I; each term's contrast matrix L as lmerTest
 *                     makes it (get_contrasts_type1/2/3: Doolittle's LU of X'X, and type III's hypotheses from
 *                     the full dummy coding of each term, made with treatment contrasts and mapped back to the
 *                     fit's coding), tested as contestMD does with Satterthwaite's df (satterthwaite.h)
 *   lm                anova(lm): sequential, with the Residuals row
 *
 * With L= the table is one row, "L", the joint F test of L beta = 0: lmerTest's contest (contestMD) for lme4,
 * nlme's anova(m, L = L) for lme (its df: those of the columns L involves, which must agree) and gls, the same
 * Wald test on n - p for lm.
 *
 * A model with weights= or correlation= (structure.h) is tested as nlme tests it: its fit's beta and covariance (of
 * the whitened rows), nlme's df of the rows themselves; an lme4-style one is refused (lmerTest has no structures).
 *
 * Sum and mean squares where R gives them (lm, lmerTest: F sigma^2 times num_df, F sigma^2), else NAN.
 */
#ifndef LMM_FTEST_H
#define LMM_FTEST_H

#include "model.h"

enum { LMM_FTEST_DEFAULT, LMM_FTEST_SEQUENTIAL, LMM_FTEST_MARGINAL, LMM_FTEST_TYPE1, LMM_FTEST_TYPE2,
       LMM_FTEST_TYPE3 };
enum { LMM_FTEST_DF_DEFAULT, LMM_FTEST_DF_SATTERTHWAITE, LMM_FTEST_DF_KENWARD_ROGER };

/* What a single model's F tests are asked for: 'type=marginal', 'type=II, df=satterthwaite'. */
typedef struct lmm_ftest_options {
  int type;     /* LMM_FTEST_*, as written (DEFAULT when not) */
  int df;       /* LMM_FTEST_DF_* */
  const char *L;   /* L=1 0 0; 0 1 -1: a contrast matrix, rows by ';', to test L beta = 0 (lmerTest's contest,
                      nlme's anova(m, L = )); points into the options text (NULL: none), Llen bytes */
  int Llen;
} lmm_ftest_options;

/* Parse the options text (NULL: none); unknown keys or values are refused with what is allowed. */
int lmm_ftest_options_parse(const char *text, lmm_ftest_options *o, lmm_error *err);

typedef struct lmm_ftest_row {
  char *term;       /* "(Intercept)", "age:Sex", "Residuals" */
  int num_df;       /* -1 where R gives NA (a term lmerTest finds no hypothesis for) */
  double den_df, F, p_value, sum_sq, mean_sq;   /* NAN where R gives none */
} lmm_ftest_row;

typedef struct lmm_ftest_table {
  const char *type;   /* "sequential", "marginal", "I", "II", "III": the type the rows are */
  int n;
  lmm_ftest_row *row;
} lmm_ftest_table;

/* The table of F tests of m's terms (m fitted on its rows, as lmm_store_open leaves it).  A type or df the
 * model's style does not take is refused (LMM_ERR), naming what it takes. */
int lmm_ftest_terms(lmm_model *m, const lmm_ftest_options *o, lmm_stop *stop, lmm_ftest_table **out,
                    lmm_error *err);
void lmm_ftest_table_free(lmm_ftest_table *t);

#endif
