/* helpers.h — feeding hand-written rows to core/ in tests.
 *
 * A test writes its data as a small table: column names and row-major
 * values.  The helpers hand each row to the model in the order the model
 * asks for its columns (lmm_model_col), with rowid = row number (1-based).
 */
#ifndef LMM_TEST_HELPERS_H
#define LMM_TEST_HELPERS_H

#include <stdint.h>
#include <string.h>
#include "model.h"

#define NUM(x) ((lmm_value){LMM_NUM, (double)(x), NULL, 0, 0})
#define TXT(s) ((lmm_value){LMM_TEXT, 0, "" s "", (int)sizeof("" s "") - 1, 0})  /* a string literal */
#define TXTP(p) ((lmm_value){LMM_TEXT, 0, (p), (int)strlen(p), 0})              /* any string */
#define NUL ((lmm_value){LMM_NULL, 0, NULL, 0, 0})

/* Steps a fixed pseudo-random sequence (a 64-bit LCG) and returns its new
 * state: the tests' data made in place, the same on every machine. */
static inline uint64_t lcg_next(uint64_t *state) {
  return *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
}

typedef struct test_table {
  int ncols;
  const char *const *names;
  int nrows;
  const lmm_value *v;     /* nrows x ncols, row-major */
  int no_rowid;           /* 1: has_rowid = 0 (messages say "row") */
} test_table;

#define TABLE(names_, values_)                                                  \
  ((test_table){(int)(sizeof(names_) / sizeof *(names_)), (names_),             \
                (int)(sizeof(values_) / sizeof *(values_) / (sizeof(names_) / sizeof *(names_))), \
                (values_), 0})

/* Where each of the model's columns is in t (map[i] for lmm_model_col(m, i),
 * at most TABLE_MAX_COLS); LMM_ERR, said in err, when t lacks one. */
enum { TABLE_MAX_COLS = 64 };
int table_columns(const lmm_model *m, const test_table *t, int *map, lmm_error *err);
/* Row r (0-based) of t in the model's column order (map from table_columns, nc of them). */
void table_row(const test_table *t, const int *map, int nc, int r, lmm_value *row);

/* begin + every row.  Returns the first failing status; *m is set (and must
 * be freed) whenever lmm_model_begin succeeded. */
int load_model(const char *formula, const char *random, const char *options, const test_table *t,
               lmm_model **m, lmm_error *err);
/* Every row of t into m, begun and told what it needs before its first row. */
int add_rows(lmm_model *m, const test_table *t, lmm_error *err);
/* load_model, then lmm_frame_finish and lmm_design_new into m->design (no fit). */
int load_design(const char *formula, const char *random, const test_table *t, lmm_model **m, lmm_error *err);
/* load_model, then lmm_model_fit. */
int fit_model(const char *formula, const char *random, const char *options, const test_table *t,
              lmm_model **m, lmm_error *err);

/* A parsed formula; NULL (and a FAIL line) when it does not parse. */
lmm_formula *parse_ok(const char *formula, const char *random);

/* Labels joined by ';' (static buffers, valid until the next call of the same helper). */
const char *term_label(const lmm_formula *f, lmm_term t);
const char *terms_str(const lmm_formula *f, const lmm_terms *t);
const char *xnames_str(const lmm_design *d);
const char *strs_join(char *const *s, int n);

/* Result rows. */
const lmm_row *find_row(const lmm_result *r, const char *effect, const char *grp, const char *term);
double row_est(const lmm_model *m, const char *effect, const char *grp, const char *term);

/* Index of a column of X or of a frame variable by label; -1 if absent. */
int xcol(const lmm_design *d, const char *name);
int var_index(const lmm_formula *f, const char *label);
/* Random-effects term by grp name; NULL if absent. */
const lmm_reterm *reterm(const lmm_design *d, const char *grp);

#endif
