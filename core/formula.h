/* formula.h — what a model formula says, as R's terms() would read it.
 *
 *   y ~ a*b + factor(c) + (x | g) + (1 | h/k)       lme4 style, random terms in the formula
 *   random = "x | a/b"                               nlme style, nested groupings
 *
 * A formula becomes: the response expression; the fixed-effect terms (each a
 * set of variables, ordered by degree as R orders them); and one random-effect
 * term ("bar") per grouping factor, each with its own model for the columns of
 * Z.  Variables are the distinct things a term is made of (a column, factor(x),
 * I(x^2)), named as R deparses them; columns are the table columns they read.
 */
#ifndef LMM_FORMULA_H
#define LMM_FORMULA_H

#include <stdint.h>
#include "bases.h"
#include "expr.h"

enum {
  LMM_VAR_PLAIN,   /* a bare column: a factor if its values are text, else numeric */
  LMM_VAR_FACTOR,  /* factor(e), as.factor(e), ordered(e), relevel(e, ref), C(e, contr): always a factor */
  LMM_VAR_NUMERIC  /* an arithmetic expression, or a basis (bases.h) of one: always numeric */
};

/* How a factor's levels are ordered and coded, as its calls say: factor(x, levels = c("b", "a")),
 * relevel(f, ref = "b"), ordered(x), C(f, contr.sum) and their nestings.  With the levels' order (frame.c)
 * this is all a factor's coding needs; nothing of it is learned from the data. */
typedef struct lmm_coding {
  int ngiven;             /* levels = : the levels in their order (labels, numbers as R prints them); a row */
  char **given;           /* of any other value is dropped, as R's NA */
  const char *ref;        /* relevel: the level put first (points into the parse tree), or */
  int ref_index;          /* relevel(f, k): level k (1-based) put first; 0 none */
  int ordered;            /* an ordered factor: poly contrasts by default */
  int contrast;           /* LMM_CONTR_* (contrasts.h); DEFAULT is the options' (treatment), poly if ordered */
  int base;               /* treatment's base level, 1-based; 0 the first, LMM_CONTR_BASE_LAST the last */
  int numbered;           /* treatment columns named by the level's number, as R names C(f, base = 2)'s */
} lmm_coding;

typedef struct lmm_var {
  char *label;            /* as R prints it: "amd", "factor(nutrient)", "I(age^2)" */
  int kind;
  const lmm_expr *ex;     /* the value: for factor(e) this is e; points into the parse tree */
  int used_as_group;      /* appears in a grouping factor */
  int carried;            /* a residual structure's covariate (lmm_formula_carry): its numbers are kept */
  lmm_coding coding;      /* LMM_VAR_FACTOR */
  lmm_numbasis basis;     /* poly(e, 2), scale(e), ns(e, df = 3), bs(e): ex is e; else kind LMM_NUMBASIS_NONE */
} lmm_var;

/* A term is a set of variables: bit i set means formula->vars[i]. 0 is the intercept. */
typedef uint64_t lmm_term;
enum {
  LMM_MAX_VARS = 64,
  /* Far more than any model matrix could hold, and checked before the expansion stores a term:
   * a*b*c*...*t would expand to 2^20 terms. */
  LMM_MAX_TERMS = 1024,
  /* Random-effect terms (bars) a formula may make: each pair of them is a block of the fit, and
   * (a*b*...*j || u/v/w) would otherwise make 1023 terms per grouping factor. */
  LMM_MAX_BARS = 256
};

typedef struct lmm_terms {
  int intercept;
  int nterms;
  lmm_term *terms;        /* ordered by degree, then by appearance */
} lmm_terms;

typedef struct lmm_bar {
  lmm_terms model;        /* columns of Z for this grouping factor */
  int ngroup;             /* variables whose interaction is the grouping factor */
  int *group;             /* indices into vars, in naming order */
  char *grp_name;         /* "popu", "popu:gen", lme4's "cask:batch" */
} lmm_bar;

typedef struct lmm_formula {
  lmm_expr *response;     /* points into tree */
  char *response_label;
  const lmm_expr *offset; /* offset(e)'s e, added to the fitted values with coefficient 1; NULL none (into tree) */
  char *offset_label;     /* "offset(log(n))" */
  lmm_terms fixed;
  int nbars;
  lmm_bar *bars;
  int nvars;
  lmm_var vars[LMM_MAX_VARS];
  int ncols;
  char **cols;            /* distinct column names, in order of appearance */
  int contrasts;          /* what DEFAULT coding is for an unordered factor (options' contrasts=; 0 treatment) */
  lmm_expr *tree, *random_tree;
  int ncarry;
  lmm_expr **carry_trees; /* lmm_formula_carry's texts */
} lmm_formula;

/* Parse `formula` and the optional nlme-style `random` part (NULL or ""). */
int lmm_formula_parse(const char *formula, const char *random, lmm_formula **out, lmm_error *err);
/* The formula's terms as R's terms() reads them to write a formula back (formula_dot.c): a random-effects
 * term (x | g) is a variable of its own, labelled with its parentheses, and the variables are not checked
 * (the formula written back is parsed again to be fitted), nor their columns listed. */
int lmm_formula_parse_terms(const char *formula, lmm_formula **out, lmm_error *err);
/* A variable read for a residual structure (structure.h) and in no term: text is one variable ("Subject",
 * "factor(nutrient)", "age"), a grouping (codes kept) when as_group, else a number; *var its index (the
 * formula's own variable where it has one of that name).  what names the text in messages. */
int lmm_formula_carry(lmm_formula *f, const char *text, const char *what, int as_group, int *var, lmm_error *err);
void lmm_formula_free(lmm_formula *f);

/* Number of variables in a term. */
int lmm_term_order(lmm_term t);

#endif
