/* options.h — the `key=value, key=value` options string of lmm_fit. */
#ifndef LMM_OPTIONS_H
#define LMM_OPTIONS_H

#include "lmm_error.h"

/* df=: the denominator df of the fixed effects' t tests (inference.h) */
enum { LMM_DF_DEFAULT, LMM_DF_CONTAINMENT, LMM_DF_SATTERTHWAITE, LMM_DF_RESIDUAL, LMM_DF_NONE };

typedef struct lmm_options {
  int reml;            /* default 1, as in R */
  int method_given;    /* method= was written (a gls fit when there is no random part) */
  char save[128];      /* save=name: keep the fit under this name ("" for none) */
  char na[128];        /* na=NA|-: the texts that are missing values, '|' between them (R's na.strings) */
  int na_given;        /* na= was written: its texts are missing values in typed data too */
  int contrasts;       /* contrasts=sum|helmert|treatment|...: how unordered factors are coded (LMM_CONTR_*,
                          default LMM_CONTR_TREATMENT), as R's options(contrasts =) */
  char offset[256];    /* offset=e: the fit is the formula's with + offset(e) ("" for none) */
  int df;              /* LMM_DF_*: LMM_DF_DEFAULT unless df= was written */
  char weights[512];   /* weights=varIdent(form = ~ 1 | g): nlme's variance function, verbatim ("" none; structure.h) */
  char correlation[512]; /* correlation=corAR1(form = ~ 1 | g): nlme's correlation structure ("" none) */
} lmm_options;

int lmm_options_parse(const char *text, lmm_options *o, lmm_error *err);

#endif
