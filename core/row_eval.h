/* row_eval.h — the row evaluator: one row's column values in, the model's variables out.
 *
 * Fitting (frame.c, as the rows are read) and prediction (predict.c, on new rows) evaluate a row here,
 * so that the two cannot disagree on a transform, on what they refuse, or on which level a value is:
 *
 *   lmm_row_eval_run     the row's columns (a NULL in one drops the row, as R's na.omit does), then the
 *                        response, the offset and each variable: a variable's value is the text of a level (a text
 *                        column read by a factor or a plain column), else a number, which must be made of
 *                        numbers only (the message names the column and the row) and finite (it names the
 *                        variable and the row); a value that factor(x, levels = ) does not list drops
 *                        the row too, as R's NA
 *   lmm_row_eval_level   a variable's level among the fitted ones, found by its label: its text, or the
 *                        number as R prints it (frame.c settles the fitted levels by the same labels)
 *
 * design.h's lmm_design_row_x, _z and _group make the row's X and Z values from the variables.
 *
 * What a variable keeps of the fitted data is its basis (lmm_var_basis): the frame settles it when the
 * rows are in (lmm_frame_finish: the levels and their labels), prediction makes it from the frame
 * (lmm_var_basis_init) and reads it for each new row.  Levels given by factor(x, levels =) or relevel join
 * it here.  A numeric basis (bases.h: scale's centre and scale, poly's coefficients, spline knots) is the
 * frame variable's coef, settled at finish from the values the row evaluator gives, dropped rows' included
 * (dropped_vars); the evaluator gives the variable's value x and the design applies the basis to it, for a
 * fitted row (the frame keeps the basis columns) and a new row alike (design.h's lmm_design_row_x).
 */
#ifndef LMM_ROW_EVAL_H
#define LMM_ROW_EVAL_H

#include <stdint.h>
#include "formula.h"

enum { LMM_NULL = 0, LMM_NUM = 1, LMM_TEXT = 2 };

typedef struct lmm_value {
  int type;
  double num;
  const char *text;   /* not NUL-terminated: len bytes */
  int len;
  int inexact;        /* LMM_NUM read from an integer a double cannot hold exactly (beyond 2^53): a number, no level */
} lmm_value;

typedef struct lmm_row_eval {
  const lmm_formula *f;
  int with_response;
  lmm_term vars;         /* the variables evaluated (bit i: variable i); the others are NAN and no text */
  int ncols;             /* values a row holds: every formula column when fitting, the variables' when predicting */
  int *col;              /* formula column of value k of a row */
  int *pos;              /* formula column -> k; -1 when a row does not hold it */
  int *reads, *reads_at; /* reads[reads_at[i] .. reads_at[i + 1]]: the columns variable i reads (i = nvars: the
                            response's), where a text value is looked for before its tree is walked */
  /* the row last run, by formula column */
  const lmm_value *vals; /* borrowed from the caller until the next run */
  double *colvals;       /* a number, NAN for text */
  unsigned char *coltext;
  int64_t rowid;
  int has_rowid;         /* messages name a rowid, else a row number */
  /* how text is read (lmm_row_eval_read_text) */
  int untyped;           /* the data carry no types: a text that reads as a number is that number */
  const char *na;        /* texts that are missing values, '|' between them; NULL none */
  lmm_term as_number;    /* variables whose text is a number when it reads as one (those fitted as numbers) */
  lmm_term dropped_vars; /* variables a row dropped for a NULL elsewhere still gives (bases learn from them) */
  lmm_term dropped_has;  /* of those, the ones the row last run, dropped, gave a number in x (see _run) */
  unsigned char *colbad; /* by formula column: text that does not read as a number */
  unsigned char *colnull; /* by formula column: NULL, or text that is a missing value */
  /* its values */
  double y;              /* the response (with_response) */
  double offset;         /* the formula's offset(e), 0 without one */
  double *x;             /* per variable: its number, NAN when its value is text */
  const char **text;     /* per variable: its level's text (len[i] bytes, in vals), NULL when it is a number */
  int *len;
} lmm_row_eval;

/* The variables' columns, or with_response every column of f, as the rows will hold them. */
int lmm_row_eval_new(const lmm_formula *f, int with_response, lmm_row_eval **out, lmm_error *err);
/* Only the columns of the variables in vars, without the response: a prediction that leaves terms out
 * needs no column only they read. */
int lmm_row_eval_new_vars(const lmm_formula *f, lmm_term vars, lmm_row_eval **out, lmm_error *err);
void lmm_row_eval_free(lmm_row_eval *ev);

/* How text is read, R's read.csv's rule.  untyped (no column the model reads has a declared type, as
 * `.import --csv` makes them): a text that reads as a number is that number (type.convert), and an empty text
 * and the na texts are missing; typed: a text is a level, the na texts missing only when na_given.  In both, a
 * text where a number is needed (the response, arithmetic, the variables in as_number) is read as a number,
 * strtod over the whole text with blanks around allowed, and refused when it is none.  na ('|' between the
 * texts) is borrowed. */
void lmm_row_eval_read_text(lmm_row_eval *ev, int untyped, const char *na, int na_given);
/* Whether text[0..len) reads as a number, into *x. */
int lmm_text_number(const char *text, int len, double *x);
/* Whether the integer i is a double exactly: every integer to 2^53 is, and beyond only some (2^53 + 1 is not,
 * and would read as 2^53, one id as another's). */
static inline int lmm_int_is_exact(int64_t i) {
  double d = (double)i;
  return d < 9223372036854775808.0 && (int64_t)d == i;
}

/* lmm_row_eval_run's answer for a row with a NULL in a column it holds: nothing evaluated but the variables of
 * dropped_vars whose own columns hold no NULL, each a finite number in x, bit i set in dropped_has: R evaluates
 * the variables on every row before na.omit drops any, so scale(x) and poly(x, 2) learn from every x. */
enum { LMM_ROW_HAS_NULL = 101 };
int lmm_row_eval_run(lmm_row_eval *ev, const lmm_value *vals, int64_t rowid, int has_rowid, lmm_error *err);

/* A variable's basis (see above): its fitted levels, with an index that finds one by label. */
typedef struct lmm_var_basis {
  int nlevels;
  const char **label;    /* the levels' labels sorted by their bytes, borrowed from the frame */
  int *len;              /* bytes of each: a text level may hold NUL bytes */
  int *code;             /* label[k] is level code[k] */
} lmm_var_basis;

/* The basis of levels[0..n-1] (labels as the frame keeps them, len[l] bytes each), which it borrows. */
int lmm_var_basis_init(lmm_var_basis *b, char *const *levels, const int *len, int n, lmm_error *err);
void lmm_var_basis_clear(lmm_var_basis *b);

/* Variable i's level in the row last run among b's, -1 when it is none of them. */
int lmm_row_eval_level(const lmm_row_eval *ev, int i, const lmm_var_basis *b);

/* Two labels in the order the fitted levels of text take: by their bytes, a prefix first. */
int lmm_label_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Variable i's value in the row last run as a message shows it: at most 40 bytes of its text, a NUL byte
 * as \0, or the number.  buf needs 96 bytes. */
const char *lmm_row_eval_shown(const lmm_row_eval *ev, int i, char *buf);

#endif
