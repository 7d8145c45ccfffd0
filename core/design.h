/* design.h — model matrices from a model frame.
 *
 * X (fixed effects) with R's contrasts (contrasts.h) and R's column names, the
 * response y, and for each random-effects term its grouping factor (a level
 * per row) and the columns of its model (q values per row).  Random terms are
 * kept in the order the formula gives them; the fitter chooses its own order.
 *
 * The matrices are not stored: a column is a recipe (lmm_colspec) over the
 * frame's variables, evaluated where it is needed, so a fit holds the frame
 * and the cross-product blocks, never n x p numbers.  The design borrows the
 * frame, which must outlive it.
 */
#ifndef LMM_DESIGN_H
#define LMM_DESIGN_H

#include "frame.h"
#include "stop.h"

enum { LMM_MAX_Q = 64 };   /* columns of one random-effects term */
/* Covariance parameters (theta) of one model together: the optimizer's work
 * and memory grow with the square of theta.  2,080 is one term of LMM_MAX_Q
 * columns.  (The random-effects terms are bounded where the formula makes
 * them: LMM_MAX_BARS.) */
enum { LMM_MAX_THETA = LMM_MAX_Q * (LMM_MAX_Q + 1) / 2 };

/* How one model column is made: for each factor variable in its term, the
 * level it indicates, or for those in coded, the column of the factor's
 * contrast matrix (lmm_design.contr) whose value it takes; numeric variables
 * multiply. */
typedef struct lmm_colspec {
  lmm_term term;
  lmm_term coded;
  int level[LMM_MAX_VARS];
} lmm_colspec;

typedef struct lmm_reterm {
  char *grp;          /* "popu", "popu:gen", "Subject.1" */
  int nlevels;
  char **levels;
  const int *g;       /* level per row: the frame's codes, or g_own */
  int *g_own;         /* the levels of an interaction of grouping variables */
  uint64_t *keys;     /* an interaction's levels as their variables' codes, mixed-radix, sorted (level l is keys[l]) */
  int q;
  char **cnames;      /* "(Intercept)", "factor(nutrient)8" */
  lmm_colspec *zspec; /* q: the columns of Z */
  int *zexp;          /* q: column a is given scaled by 2^-zexp[a] (see lmm_design) */
  int nvars;          /* grouping variables, in naming order */
  int vars[LMM_MAX_VARS];
  uint64_t group_vars; /* bitset of formula variables making the grouping */
} lmm_reterm;

typedef struct lmm_design {
  const lmm_frame *frame;
  size_t n;
  int from_sums;      /* the frame's rows are the statistics' groups (stats_fit.h), not the data's rows */
  int p;
  char **xnames;
  lmm_colspec *xspec; /* p */
  int *xterm;         /* per column: 0 intercept, t+1 for fixed term t (R's "assign") */
  int nxterms;        /* number of terms incl. intercept */
  char **term_labels; /* per term (index as xterm) */
  const double *y;    /* the frame's response, less the offset where the formula has one (y_own) */
  double *y_own;
  int nre;
  lmm_reterm *re;
  /* Scaled before squaring: every accessor below gives X and Z made of the
   * frame's numeric variables each multiplied by 2^-vexp[v], and the fits
   * take y times 2^-yexp, the exponents chosen so that each one's largest
   * magnitude lies in [0.5, 1).  Powers of two scale exactly, so data in
   * any units give the same digits, and no cross-product overflows or
   * underflows where the data themselves are representable.  Column j of X
   * is X_j 2^-xexp[j] (the sum of its variables' exponents); the fits
   * report in the data's units (fit.c). */
  int yexp;
  int *vexp;          /* per formula variable; 0 for factors */
  double *vscale;     /* 2^-vexp[v] */
  int *xexp;          /* p */
  /* A residual structure's prewhitened rows (structure.h) in place of the recipes: X (n x p, column-major,
   * scaled as above), each term's Z (n x q, scaled) and y (through y, unscaled); NULL for the rows themselves.
   * Only a copy of the design that a structured fit reads has them. */
  const double *white_x;
  double *const *white_z;
  double **contr;     /* per formula variable: its contrast matrix (contrasts.h; nlevels x (nlevels - 1), column-
                         major) where a term codes it by sum, helmert or poly contrasts, else NULL */
} lmm_design;

int lmm_design_new(const lmm_frame *fr, lmm_design **out, lmm_error *err);
/* X[r][j], and column a of random-effects term t at row r, scaled (see above). */
double lmm_design_x(const lmm_design *d, int j, size_t r);
double lmm_design_z(const lmm_design *d, int t, int a, size_t r);
/* m rows of X into B (m x p, column-major, leading dimension ldb): rows
 * idx[0..m-1], or r0 .. r0+m-1 when idx is NULL. */
void lmm_design_x_rows(const lmm_design *d, const uint32_t *idx, size_t r0, int m, double *B, int ldb);
/* A column of the frame's variables that need not be one of X's (another coding of a term: the F tests'
 * contrasts, ftest.h), over rows r0 .. r0+m-1, scaled as X is. */
void lmm_design_spec_rows(const lmm_design *d, const lmm_colspec *c, size_t r0, int m, double *out);
/* Column a of term t's Z over the same rows, into out[0..m-1]. */
void lmm_design_z_rows(const lmm_design *d, int t, int a, const uint32_t *idx, size_t r0, int m, double *out);
/* X as an n x p column-major matrix, for the fits that factor X itself (lm,
 * gls) and their leverages; *X is lmm_malloc'd.  LMM_INTERRUPTED when stop
 * (may be NULL), asked as the columns are made, says stop. */
int lmm_design_dense_x(const lmm_design *d, lmm_stop *stop, double **X, lmm_error *err);
/* The same into X, n x p, the caller's. */
int lmm_design_dense_x_into(const lmm_design *d, lmm_stop *stop, double *X, lmm_error *err);
/* Column j of X over every row into out (n), as lmm_design_dense_x makes it; LMM_INTERRUPTED when stop (may be
 * NULL), asked between blocks of rows, says stop. */
int lmm_design_x_column(const lmm_design *d, int j, lmm_stop *stop, double *out);
/* Column j of X, and column a of term t's Z, for one row that is not the frame's (a new row of a
 * prediction): its variables' numbers x and level codes (-1 none), as row_eval.h gives them; scaled as the
 * accessors above. */
double lmm_design_row_x(const lmm_design *d, int j, const double *x, const int *code);
double lmm_design_row_z(const lmm_design *d, int t, int a, const double *x, const int *code);
/* The level of term t's grouping factor for such a row; -1 for a group the fit did not see. */
int lmm_design_row_group(const lmm_design *d, int t, const int *code);
void lmm_design_free(lmm_design *d);

/* A grouping's levels as a saved fit keeps them: for an interaction of grouping variables, each level's codes of
 * its variables (nlevels x nvars, level by level, in the order lmm_design_group_codes gives them). */
typedef struct lmm_saved_group {
  int nlevels;
  const int *codes;
} lmm_saved_group;
/* The design of a frame that holds no rows but its variables' levels (a saved model restored, restore.h):
 * the same columns, with every scale 1; groups (one per random-effects term, NULL when there is none) gives
 * the levels of interactions, a one-variable grouping's are its variable's.  Codes out of range or levels out
 * of order are an error. */
int lmm_design_restore(const lmm_frame *fr, const lmm_saved_group *groups, lmm_design **out, lmm_error *err);
/* Level l of term t's grouping as its variables' codes (nvars of them). */
void lmm_design_group_codes(const lmm_design *d, int t, int l, int *codes);

#endif
