/* options.h — the `key=value, key=value` options string of lmm_fit. */
#ifndef LMM_OPTIONS_H
#define LMM_OPTIONS_H

#include "lmm_error.h"

/* df=: the denominator df of the fixed effects' t tests (inference.h) */
enum { LMM_DF_DEFAULT, LMM_DF_CONTAINMENT, LMM_DF_SATTERTHWAITE, LMM_DF_RESIDUAL, LMM_DF_NONE, LMM_DF_KENWARD_ROGER };

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

/* One option of a `key=value, key=value` text, both spans without the spaces around them. Every options
 * parser of core reads its text with lmm_option_next, so every value may hold commas inside parentheses
 * (weights=varIdent(form = ~ 1 | g), breaks=c(0, 5, 10)) or quotes (title='a, b'). */
typedef struct lmm_option { const char *key, *key_end, *val, *val_end; } lmm_option;

/* Reads the option at *p into opt and moves *p past it, skipping empty options; opt->key is NULL at the end of
 * the text. LMM_ERR for an option without '=' (the message quotes example, a valid option of the caller, as
 * "nsim=1000") or a quote that is not closed. */
int lmm_option_next(const char **p, lmm_option *opt, const char *example, lmm_error *err);

/* [s, e) is word, ignoring case */
int lmm_span_is(const char *s, const char *e, const char *word);

#endif
