/* varfunc.h — nlme's variance functions (weights=): each row's standard-deviation factor s_r, the residual's
 * SD being sigma s_r, and their parameters as nlme names and constrains them.
 *
 *   varIdent(form = ~ 1 | g)      s_r = delta_g, delta of the first stratum (nlme's order) 1; parameter log delta;
 *                                 fixed = c(g1 = 0.5): those strata held at their ratios, no parameters (as
 *                                 varPower's and varExp's fixed = c(g1 = 0.5) with strata)
 *   varPower(form = ~ x)          s_r = |x|^power
 *   varExp(form = ~ x)            s_r = exp(expon x)
 *   varConstPower(form = ~ x)     s_r = const + |x|^power; parameter log const
 *   varFixed(~ x)                 s_r = sqrt(|x|), no parameter
 * varPower, varExp and varConstPower with strata (form = ~ x | g) have one power, expon (and const) per stratum,
 * named by the stratum as nlme does (varPower__Male; varConstPower__const.Male, ..., varConstPower__power.Male, ...).
 *
 * The optimizer's parameters are unconstrained (nlme's coef(unconstrained = TRUE)); the reported ones are
 * nlme's coef(unconstrained = FALSE).
 */
#ifndef LMM_VARFUNC_H
#define LMM_VARFUNC_H

#include "design.h"

enum { LMM_VF_IDENT = 1, LMM_VF_POWER, LMM_VF_EXP, LMM_VF_CONSTPOWER, LMM_VF_FIXED };
enum { LMM_VF_FITTED = -2 };
enum { LMM_VF_MAX_FIXED = 16 };   /* lmm_varfunc.cov: the fitted values (nlme's default covariate, fitted(.)) */

typedef struct lmm_varfunc {
  int kind;           /* LMM_VF_* */
  int cov;            /* formula variable of the covariate; -1 none, LMM_VF_FITTED the fitted values */
  int strata;         /* formula variable of the form's `| g`; -1 none */
  int nvalue;         /* value= (const= and power= for varConstPower), constrained, in parameter order */
  double value[2];
  int fixed;          /* fixed = value: the parameters stay at their values */
  int nfixed;         /* fixed = c(name = value, ...) of varIdent (ratios), varPower, varExp: the strata held
                         (names owned), placed after the free strata */
  char *fixed_name[LMM_VF_MAX_FIXED];
  double fixed_ratio[LMM_VF_MAX_FIXED];
  int nstart;         /* varIdent's value = c(name = ratio, ...) of two or more (nlme: every free stratum but one,
                         which is the reference; the parameters in value='s order), names owned */
  char *start_name[LMM_VF_MAX_FIXED];
  double start_ratio[LMM_VF_MAX_FIXED];
  /* bound to the rows (lmm_varfunc_bind) */
  int npar;
  char **names;       /* npar: "varIdent__Male", "varPower__power", "varPower__Male" */
  int nstrata;        /* strata in nlme's order (1 without strata); varIdent's stratum 0 the reference */
  int *stratum;       /* per row (NULL without strata) */
  int *par;           /* varIdent, per stratum: its parameter, -1 for the reference and the fixed strata */
  double *held;       /* varIdent, per stratum: the ratio where par is -1 */
  const double *x;    /* the covariate per row (the frame's) */
} lmm_varfunc;

/* The parameters' names, the strata in the order of first appearance along the rows order[0..n-1] (nlme's;
 * varIdent's fixed strata after the others, and with named values the one stratum they do not name first, then
 * theirs in their order), the covariate (fitted: the fitted values, which the caller keeps up
 * to date); errors name a stratum with one row, a fixed= name that is no stratum, a covariate that is not numeric. */
int lmm_varfunc_bind(lmm_varfunc *v, const lmm_design *d, const size_t *order, const double *fitted, lmm_error *err);
/* The optimizer's start (value=, one number for every stratum, or nlme's: ratios 1, power and expon 0, const 1). */
void lmm_varfunc_start(const lmm_varfunc *v, double *u);
/* The reported parameters from the optimizer's. */
void lmm_varfunc_constrained(const lmm_varfunc *v, const double *u, double *out);
/* sd[r] *= s_r for every row. */
void lmm_varfunc_sd(const lmm_varfunc *v, const double *u, size_t n, double *sd);
/* Forget the binding to rows (strata, their names and parameters), keeping what the call said (fixed=): a
 * structure fitted again is bound again. */
void lmm_varfunc_unbind(lmm_varfunc *v);
void lmm_varfunc_clear(lmm_varfunc *v);

#endif
