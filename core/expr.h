/* expr.h — the syntax tree of an R formula and of the arithmetic inside it.
 *
 * One tree type serves both levels of a formula: the model algebra
 * (`+ : * / ^ - |`) read by formula.c, and the arithmetic of transforms
 * (`log(1 + y)`, `I(age^2)`) that row_eval.c evaluates row by row.  deparse
 * prints a tree the way R's deparse() does, which is how R names terms.
 */
#ifndef LMM_EXPR_H
#define LMM_EXPR_H

#include "lmm_error.h"

typedef enum {
  EX_NUM,    /* number literal */
  EX_NAME,   /* column name (bare or `back-quoted`) */
  EX_CONST,  /* a named constant of R's base environment: bare pi; num holds its value */
  EX_CALL,   /* f(args) */
  EX_BINOP,  /* args[0] op args[1]; op is one of + - * / ^ : | ~, 'B' for || and 'I' for %in% */
  EX_NEG,    /* -args[0] */
  EX_POS,    /* +args[0] */
  EX_PAREN,  /* (args[0]) */
  EX_STR,    /* text literal 'a' or "a"; name holds the text (no NUL inside) */
  EX_ARG     /* a named argument of a call, name = args[0]; name holds the argument's name */
} lmm_expr_kind;

/* Every walk of a tree (parsing, term expansion, deparse, evaluation row by row) recurses, so the size
 * of a tree is bounded where it is made: whatever the text, the deepest walk stays well inside a
 * 512 KB thread stack and a formula's time and memory stay in proportion to a sensible formula's. */
enum {
  LMM_EXPR_MAX_NESTING = 100,  /* parentheses, calls, signs and powers inside one another */
  LMM_EXPR_MAX_HEIGHT = 1000,  /* nodes on a path from the root: a + b + c has one per operator */
  LMM_EXPR_MAX_NODES = 10000   /* names, numbers, operators and calls in one text */
};

typedef struct lmm_expr {
  lmm_expr_kind kind;
  char op;
  double num;
  char *name;              /* EX_NAME, EX_CONST, EX_CALL, EX_STR, EX_ARG */
  int nargs;
  struct lmm_expr **args;
  int pos;                 /* 0-based offset in the source text */
  int column;              /* EX_NAME: index into the caller's column list, -1 unbound */
  int height;              /* nodes on the longest path down from here, this one included */
} lmm_expr;

/* Parse a whole formula (or random-part) text; errors name the character.  A tree is at most
 * LMM_EXPR_MAX_HEIGHT high and LMM_EXPR_MAX_NODES large, and its text nests at most
 * LMM_EXPR_MAX_NESTING levels: a text beyond them is refused with the limit in the message. */
int lmm_expr_parse(const char *text, const char *what, lmm_expr **out, lmm_error *err);
void lmm_expr_free(lmm_expr *e);
/* used[c] = 1 for each column c that e reads (its EX_NAME nodes; the parser bounds the depth). */
void lmm_expr_columns(const lmm_expr *e, int *used);

/* R-style text of a tree ("log(1 + y)", "I(age^2)", "a/b"); NULL on no memory. */
char *lmm_expr_deparse(const lmm_expr *e);

/* Check that every call is a known arithmetic function with the right arity. */
int lmm_expr_check_arith(const lmm_expr *e, const char *what, const char *text, lmm_error *err);

/* Value of an arithmetic tree, with column values indexed by e->column. */
double lmm_expr_eval(const lmm_expr *e, const double *colvals);

#endif
