/* test_row_eval.c — the row evaluator that fitting and prediction share: which columns a row holds, what it
 * refuses and how the message names it, and a value's level among fitted ones found by its bytes. */
#include "harness.h"
#include "helpers.h"
#include "row_eval.h"

#include <math.h>

void test_row_eval_columns(void) {
  lmm_formula *f = parse_ok("log(w) ~ I(x^2) + f + (1 | g)", NULL);
  lmm_row_eval *fit = NULL, *pred = NULL;
  lmm_error err;
  if (!f) return;
  CHECK_INT(lmm_row_eval_new(f, 1, &fit, &err), LMM_OK);
  CHECK_INT(lmm_row_eval_new(f, 0, &pred, &err), LMM_OK);
  if (fit && pred) {
    CHECK_INT(fit->ncols, f->ncols);   /* fitting: every column, in the formula's order */
    for (int k = 0; k < fit->ncols; k++) CHECK_INT(fit->col[k], k);
    CHECK_INT(pred->ncols, 3);         /* predicting: x, f, g, not the response's w */
    for (int k = 0; k < pred->ncols; k++) CHECK(strcmp(f->cols[pred->col[k]], "w") != 0);
    /* x f g in prediction's order; a row with a NULL is dropped, nothing evaluated */
    lmm_value row[] = {NUM(2), TXT("b"), NUM(7)};
    CHECK_INT(lmm_row_eval_run(pred, row, 1, 0, &err), LMM_OK);
    int x = var_index(f, "I(x^2)"), fv = var_index(f, "f"), g = var_index(f, "g");
    if (x >= 0 && fv >= 0 && g >= 0) {
      CHECK_NEAR(pred->x[x], 4, 0);
      CHECK(pred->text[fv] && pred->len[fv] == 1 && pred->text[fv][0] == 'b');
      CHECK(!pred->text[g] && pred->x[g] == 7);
    }
    row[1] = NUL;
    CHECK_INT(lmm_row_eval_run(pred, row, 2, 0, &err), LMM_ROW_HAS_NULL);
  }
  lmm_row_eval_free(fit);
  lmm_row_eval_free(pred);
  lmm_formula_free(f);
}

void test_row_eval_refusals(void) {
  lmm_formula *f = parse_ok("y ~ log(x + z) + f", NULL);
  lmm_row_eval *ev = NULL;
  lmm_error err;
  if (!f || lmm_row_eval_new(f, 1, &ev, &err)) { lmm_formula_free(f); return; }
  int y = 0, x = 1, z = 2, fc = 3;   /* columns in order of appearance */
  CHECK_STR(f->cols[z], "z");
  lmm_value row[4];
  err = (lmm_error){0};
  row[y] = NUM(1); row[x] = NUM(1); row[fc] = TXT("a");
  /* text inside arithmetic: the column, the row and the text, its NUL byte shown */
  row[z] = (lmm_value){LMM_TEXT, 0, "t\0u", 3, 0};
  CHECK_INT(lmm_row_eval_run(ev, row, 12, 1, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "column 'z' must be numeric in log(x + z), but rowid 12 holds the text 't\\0u'");
  /* a value that is not finite: the variable and the row */
  row[z] = NUM(-1);
  err = (lmm_error){0};
  CHECK_INT(lmm_row_eval_run(ev, row, 5, 0, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "log(x + z) is -Inf at row 5");
  /* the response too */
  row[z] = NUM(1); row[y] = TXT("one");
  err = (lmm_error){0};
  CHECK_INT(lmm_row_eval_run(ev, row, 6, 0, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "column 'y' must be numeric in the response, but row 6 holds the text 'one'");
  row[y] = NUM(3);
  CHECK_INT(lmm_row_eval_run(ev, row, 7, 0, &err), LMM_OK);
  CHECK_NEAR(ev->y, 3, 0);
  lmm_row_eval_free(ev);
  lmm_formula_free(f);
}

void test_row_eval_text(void) {
  double v = 0;
  CHECK_INT(lmm_text_number(" 249.56 ", 8, &v), 1);
  CHECK_NEAR(v, 249.56, 0);
  CHECK_INT(lmm_text_number("1e3", 3, &v), 1);
  CHECK_NEAR(v, 1000, 0);
  CHECK_INT(lmm_text_number("1 2", 3, &v), 0);
  CHECK_INT(lmm_text_number("12abc", 2, &v), 1);   /* only len bytes are read */
  CHECK_INT(lmm_text_number("", 0, &v), 0);
  CHECK_INT(lmm_text_number("  ", 2, &v), 0);
  /* a NUL inside is a character of the text: no number ends there (SQLite's text may hold one) */
  CHECK_INT(lmm_text_number("3\0abc", 5, &v), 0);
  CHECK_INT(lmm_text_number("\0abc", 4, &v), 0);
  CHECK_INT(lmm_text_number("3\0", 2, &v), 0);
  /* texts that no number starts: told before strtod, with strtod's answers kept for those it reads */
  CHECK_INT(lmm_text_number("s00012", 6, &v), 0);
  CHECK_INT(lmm_text_number("-x", 2, &v), 0);
  CHECK_INT(lmm_text_number("+", 1, &v), 0);
  CHECK_INT(lmm_text_number("-.5", 3, &v), 1);
  CHECK_NEAR(v, -0.5, 0);
  CHECK_INT(lmm_text_number("Inf", 3, &v), 1);
  CHECK(isinf(v) && v > 0);
  CHECK_INT(lmm_text_number(" -nan", 5, &v), 1);
  CHECK(isnan(v));
  lmm_formula *f = parse_ok("y ~ x + g", NULL);
  lmm_row_eval *ev = NULL;
  lmm_error err = {0};
  if (!f || lmm_row_eval_new(f, 1, &ev, &err)) { lmm_formula_free(f); return; }
  lmm_value row[3] = {TXT(" 2.5"), TXT("3"), TXT("NA")};
  /* typed: the response's text reads as a number, a plain column's text is a level, NA a level */
  lmm_row_eval_read_text(ev, 0, "NA", 0);
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_OK);
  CHECK_NEAR(ev->y, 2.5, 0);
  CHECK(ev->text[0] && ev->len[0] == 1 && ev->text[1] && ev->len[1] == 2);
  /* untyped: text that reads as a number is one; NA and empty texts are missing */
  lmm_row_eval_read_text(ev, 1, "NA", 0);
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_ROW_HAS_NULL);
  row[2] = TXT("");
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_ROW_HAS_NULL);
  row[2] = TXT("b");
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_OK);
  CHECK(!ev->text[0] && ev->text[1]);
  CHECK_NEAR(ev->x[0], 3, 0);
  /* na= in typed data: its texts are missing, others not */
  lmm_row_eval_read_text(ev, 0, "-|.", 1);
  row[2] = TXT(".");
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_ROW_HAS_NULL);
  row[2] = TXT("NA");
  CHECK_INT(lmm_row_eval_run(ev, row, 1, 0, &err), LMM_OK);
  lmm_row_eval_free(ev);
  lmm_formula_free(f);
}

void test_row_eval_levels(void) {
  /* fitted levels in the frame's order: "0.3" (numbers print with 15 digits), "a", "a\0x" (its bytes) */
  char l0[] = "0.3", l1[] = "a", l2[] = "a\0x";
  char *levels[] = {l0, l1, l2};
  int len[] = {3, 1, 3};
  lmm_var_basis b;
  lmm_error err;
  CHECK_INT(lmm_var_basis_init(&b, levels, len, 3, &err), LMM_OK);
  lmm_formula *f = parse_ok("y ~ f", NULL);
  lmm_row_eval *ev = NULL;
  if (f && !lmm_row_eval_new(f, 0, &ev, &err)) {
    struct { lmm_value v; int want; } cases[] = {
      {NUM(0.1 + 0.2), 0}, {TXT("0.3"), 0}, {TXT("a"), 1}, {{LMM_TEXT, 0, "a\0x", 3, 0}, 2},
      {{LMM_TEXT, 0, "a\0", 2, 0}, -1}, {TXT("b"), -1}, {NUM(0.31), -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
      CHECK_INT(lmm_row_eval_run(ev, &cases[k].v, 1, 0, &err), LMM_OK);
      CHECK_INT(lmm_row_eval_level(ev, 0, &b), cases[k].want);
    }
  }
  lmm_row_eval_free(ev);
  lmm_formula_free(f);
  lmm_var_basis_clear(&b);
}
