/* corstruct.h — nlme's correlation structures (correlation=): the groups and positions of the rows, each
 * group's correlation matrix, and the whitening of a group's rows by it (structure.h).
 *
 *   corAR1(form = ~ t | g)      phi^|t_j - t_k|, t integer (the rows' order without t); parameter log((1+phi)/(1-phi))
 *   corCAR1(form = ~ t | g)     phi^|t_j - t_k|, t any number; parameter log(phi/(1-phi))
 *   corCompSymm(form = ~ 1 | g) rho off the diagonal; parameter log((rho + 1/(M-1))/(1-rho)), M the largest group
 *   corARMA(p =, q =)           ARMA(p, q)'s autocorrelation at lag |t_j - t_k|; parameters as nlme's, partial
 *                               autocorrelations each by log((1+r)/(1-r))
 *   corSymm(form = ~ t | g)     a free correlation per pair of positions, by the normalized rows of its
 *                               Cholesky factor (reported as nlme's Rho(i,j))
 *   corExp, corGaus, corLin, corRatio, corSpher (form = ~ x + y | g, nugget =, metric =): (1 - nugget) f(d / range)
 *                               at distance d > 0, f nlme's exp(-s), exp(-s^2), 1 - s, 1/(1 + s^2) and
 *                               1 - 1.5 s + 0.5 s^3 (the last two 0 beyond s = 1); parameters log range, logit nugget
 *
 * AR1 and CAR1 whiten in one pass along each group (their precision is tridiagonal); the others by a dense
 * Cholesky per group (groups are small; never an n x n matrix).
 */
#ifndef LMM_CORSTRUCT_H
#define LMM_CORSTRUCT_H

#include "design.h"

enum { LMM_COR_AR1 = 1, LMM_COR_CAR1, LMM_COR_COMPSYMM, LMM_COR_ARMA, LMM_COR_SYMM,
       LMM_COR_EXP, LMM_COR_GAUS, LMM_COR_LIN, LMM_COR_RATIO, LMM_COR_SPHER };   /* the last five spatial */
enum { LMM_COR_MAX_ORDER = 16, LMM_COR_MAX_GROUP = 4096, LMM_COR_MAX_DIM = 4 };
enum { LMM_METRIC_EUCLIDEAN, LMM_METRIC_MAXIMUM, LMM_METRIC_MANHATTAN };

typedef struct lmm_corstruct {
  int kind;           /* LMM_COR_* */
  int p, q;           /* corARMA's orders */
  int cov;            /* formula variable of the form's covariate; -1: the rows' order within the group */
  int group;          /* formula variable of the form's `| g`; -1: lme's innermost grouping, gls's one group */
  int group_inner;    /* form = ~ t | a/b: b (group is a); nlme's groups are a's levels crossed with b's; -1 none */
  int nvalue;         /* value=, constrained */
  double value[2 * LMM_COR_MAX_ORDER];
  int fixed;
  int ncoord;         /* spatial: the form's covariates (formula variables), the distance's metric, a nugget */
  int coord_var[LMM_COR_MAX_DIM];
  int metric, nugget;
  /* bound to the rows (lmm_corstruct_bind) */
  int npar;
  char **names;       /* npar */
  size_t ngroups;
  size_t *start;      /* ngroups + 1: group i's rows are rows[start[i] .. start[i+1]-1] */
  size_t *rows;       /* group by group, each in order of position */
  double *pos;        /* per entry of rows: its position */
  int maxsize;        /* rows of the largest group */
  int npos;           /* corSymm: positions 1 .. npos */
  double *coord;      /* spatial: per entry of rows, its ncoord covariates */
  double min_dist;    /* spatial: the smallest distance within a group */
} lmm_corstruct;

/* The groups (gcode: each row's group, 0 .. ngcode-1, NULL: one group; with group_inner, split by its levels)
 * and positions, the parameters' names; errors name a position repeated within a group, non-integer positions where they must be integers,
 * a group too large for a dense factor.  gname names the groups in messages. */
int lmm_corstruct_bind(lmm_corstruct *c, const lmm_design *d, const int *gcode, int ngcode, const char *gname,
                       lmm_error *err);
void lmm_corstruct_start(const lmm_corstruct *c, double *u);
void lmm_corstruct_constrained(const lmm_corstruct *c, const double *u, double *out);
/* white = C^-1 raw group by group, C C' = S R S with S = diag(sd), for the m columns of raw and white
 * (n x m, column-major); *logdet = sum log|S R S|.  work holds maxsize * (maxsize + m) doubles.  LMM_NUMERIC
 * where a group's matrix is not positive definite. */
int lmm_corstruct_whiten(const lmm_corstruct *c, const double *u, const double *sd, const double *raw, double *white,
                         size_t n, int m, double *logdet, double *work);
/* nlme's normalized residuals from the Pearson ones e: L^-1 e group by group, R = L L' (corCompSymm: nlme's
 * Helmert factor instead).  work as lmm_corstruct_whiten's with m = 1.  LMM_NOMEM, LMM_NUMERIC. */
int lmm_corstruct_normalize(const lmm_corstruct *c, const double *u, const double *e, double *out, size_t n,
                            double *work);
/* Whether whitening at u leaves every row as it is (AR1 or CAR1 at phi = 0: its rows uncorrelated). */
int lmm_corstruct_uncorrelated(const lmm_corstruct *c, const double *u);
void lmm_corstruct_clear(lmm_corstruct *c);
/* The groups of a/b: each row's pair of levels (outer[r], inner[r]) numbered 0 .. *ncode-1, outer first (lmm_free
 * it); NULL when out of memory. */
int *lmm_nested_codes(const int *outer, const int *inner, size_t n, int *ncode);

#endif
