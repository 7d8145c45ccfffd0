/* frame.h — the model frame: the formula's variables evaluated over the rows.
 *
 * Rows arrive one at a time from whatever reads the data (ext/ scans SQLite);
 * each row is a vector of column values in the order of formula->cols, which
 * the row evaluator (row_eval.h) turns into the variables' values, as it does
 * for the new rows of a prediction.  A row with NULL in any column the model
 * uses is dropped, as R's na.omit does.
 * Factor levels are sorted once all rows are in: numbers in numeric order,
 * text in byte order, as R's factor() sorts them in the C locale; then put
 * in the order the formula gives (factor(x, levels = ), relevel: lmm_coding),
 * which with the formula's text is all a factor's coding needs.
 */
#ifndef LMM_FRAME_H
#define LMM_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "row_eval.h"

typedef struct lmm_frame_var {
  int is_factor;      /* how the variable enters the fixed or random model */
  int in_model;       /* makes columns of X or Z (not only a grouping) */
  double *x;          /* numeric value per row, kept only for a variable that
                         may enter the model as a number (NULL until one comes) */
  int *code;          /* level per row, 0-based, for a factor or a grouping
                         (NULL until a plain column shows text) */
  int nlevels;
  char **levels;      /* labels as R prints them; with level_len, the variable's basis (row_eval.h) */
  int *level_len;     /* bytes of each label: a text level may hold NUL bytes */
  struct level_table *table; /* build state, freed by finish */
  int has_text, has_num;
  /* A basis variable (its lmm_var's basis, bases.h): what it learned from the data, settled by finish from
   * the values of every row read that has them (R evaluates before na.omit drops rows), in the layout
   * bases.h gives for its kind; NULL and 0 when it learns nothing.  The design rebuilds from the formula,
   * the levels and these.  After finish x holds its basis's columns, n rows each (column j at x + j * n). */
  double *coef;
  int ncoef;
  double *dropped_x;  /* build state, freed by finish: the values of rows dropped for a NULL elsewhere */
  size_t ndropped_x, cap_dropped_x;
} lmm_frame_var;

typedef struct lmm_frame {
  const lmm_formula *f;
  size_t n, cap;
  size_t expect;      /* the rows the source expects at most (0: unknown), the first storage's size */
  size_t nread, ndropped;
  int has_rowid;      /* rowid holds real rowids (else 1-based row numbers) */
  int64_t *rowid;
  int64_t *row;       /* 1-based position among the rows read, dropped rows counted */
  double *y;
  double *offset;     /* the formula's offset(e) per row; NULL without one */
  lmm_frame_var *vars;
  lmm_row_eval *ev;   /* evaluates each row added */
} lmm_frame;

int lmm_frame_new(const lmm_formula *f, int has_rowid, lmm_frame **out, lmm_error *err);
/* The source has at most bound rows (an ordinary table's rowids span them): each column's storage is made that
 * size at the first row instead of growing by copies.  A bound that would hold more than an eighth of the memory
 * lmm may use is ignored, and one whose memory is refused falls back to growth.  Before the first row. */
void lmm_frame_expect_rows(lmm_frame *fr, uint64_t bound);
/* cols has formula->ncols values; rowid names the row in messages. */
int lmm_frame_add_row(lmm_frame *fr, const lmm_value *cols, int64_t rowid, lmm_error *err);
/* The same without allocating: a row that needs memory (a column's first
 * or next storage, a level that does not fit the tables or its text the
 * room made for texts) returns LMM_FRAME_NEEDS_MEMORY and is to be added again by
 * lmm_frame_add_row; for a second thread beside an allocator that may not
 * be thread-safe (see feed.h). */
enum { LMM_FRAME_NEEDS_MEMORY = 100 };
int lmm_frame_try_add_row(lmm_frame *fr, const lmm_value *cols, int64_t rowid, lmm_error *err);
/* Room made, where memory allows, for a batch of `rows` rows holding `text` bytes of text and the levels it may
 * add (a table's room for new levels grows with the levels it has), so that lmm_frame_try_add_row seldom needs
 * memory for them; a hint, whose failure only leaves that to lmm_frame_add_row. */
void lmm_frame_reserve(lmm_frame *fr, int rows, size_t text);
/* Bytes the text store of variable var's levels holds, and in *used the bytes its texts take (with a NUL each). */
size_t lmm_frame_text_held(const lmm_frame *fr, int var, size_t *used);
/* Sort levels and settle which plain columns are factors. */
int lmm_frame_finish(lmm_frame *fr, lmm_error *err);
void lmm_frame_free(lmm_frame *fr);

#endif
