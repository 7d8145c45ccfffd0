/* structure_parts.h — what core/structure_parse.c reads from nlme's calls and core/structure.c fits: the
 * variance functions (varComb's components, or one) and the correlation structure of a model (structure.h).
 * Private to those two files. */
#ifndef LMM_STRUCTURE_PARTS_H
#define LMM_STRUCTURE_PARTS_H

#include "corstruct.h"
#include "structure.h"
#include "varfunc.h"

enum { LMM_MAX_VARFUNCS = 8 };

struct lmm_structure {
  int nvf;
  lmm_varfunc vf[LMM_MAX_VARFUNCS];   /* varComb's components, or the one variance function */
  int has_cor;
  lmm_corstruct cor;
  int uses_fitted;        /* a variance function of the fitted values (kept in fitted, n, between fits) */
  double *fitted;
  int npar;               /* the fitted parameters, unconstrained (lmm_structure_params), or those to */
  double *u;              /* evaluate at (lmm_structure_hold) */
};

#endif
