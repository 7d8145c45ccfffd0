/* test_frame.c — the model frame: factor levels as R's factor() makes them
 * (C locale), rows with NULL dropped as na.omit does, and errors that name
 * the column and the row. */
#include "harness.h"
#include <stdio.h>
#include <stdlib.h>
#include "helpers.h"

static const lmm_frame_var *fvar(const lmm_model *m, const char *label) {
  int v = var_index(m->formula, label);
  return v < 0 ? NULL : &m->frame->vars[v];
}

static const char *levels_str(const lmm_frame_var *v) { return v ? strs_join(v->levels, v->nlevels) : "(no variable)"; }

void test_frame_text_levels(void) {
  /* levels in byte order: sort(c("b","B","a","_x")) in the C locale is
   * "B" "_x" "a" "b" */
  static const char *names[] = {"y", "f"};
  lmm_value rows[] = {
    NUM(1), TXT("b"),
    NUM(2), TXT("B"),
    NUM(3), TXT("a"),
    NUM(4), TXT("_x"),
    NUM(5), TXT("a"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ f", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_frame_var *f = fvar(m, "f");
    CHECK(f && f->is_factor);
    CHECK_STR(levels_str(f), "B;_x;a;b");
    if (f) {
      CHECK_INT(f->code[0], 3);
      CHECK_INT(f->code[1], 0);
      CHECK_INT(f->code[2], 2);
      CHECK_INT(f->code[3], 1);
      CHECK_INT(f->code[4], 2);
    }
    /* the first level is the reference */
    CHECK_STR(xnames_str(m->design), "(Intercept);f_x;fa;fb");
  }
  lmm_model_free(m);

  /* bytes, not letters: "\xc3\xa9" (UTF-8 e-acute) sorts after "z" */
  static const char *names4[] = {"y", "w"};
  lmm_value rows4[] = {NUM(1), TXT("z"), NUM(2), TXT("\xc3\xa9"), NUM(3), TXT("A"), NUM(4), TXT("z")};
  test_table t4 = TABLE(names4, rows4);
  m = NULL;
  CHECK_INT(load_design("y ~ w", NULL, &t4, &m, &err), LMM_OK);
  if (m && m->design) CHECK_STR(levels_str(fvar(m, "w")), "A;z;\xc3\xa9");
  lmm_model_free(m);

  /* numbers that look like text are sorted as text: "10" < "2" */
  static const char *names2[] = {"y", "code"};
  lmm_value rows2[] = {NUM(1), TXT("2"), NUM(2), TXT("10"), NUM(3), TXT("9"), NUM(4), TXT("2")};
  test_table t2 = TABLE(names2, rows2);
  m = NULL;
  CHECK_INT(load_design("y ~ code", NULL, &t2, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "code")), "10;2;9");
    CHECK_STR(xnames_str(m->design), "(Intercept);code2;code9");
  }
  lmm_model_free(m);

  /* a column of numbers and text is a factor of text (as R reads a mixed
   * column: as character) */
  static const char *names3[] = {"y", "z"};
  lmm_value rows3[] = {NUM(1), NUM(1), NUM(2), TXT("a"), NUM(3), NUM(2.5), NUM(4), NUM(1)};
  test_table t3 = TABLE(names3, rows3);
  m = NULL;
  CHECK_INT(load_design("y ~ z", NULL, &t3, &m, &err), LMM_OK);
  if (m && m->design) {
    const lmm_frame_var *z = fvar(m, "z");
    CHECK(z && z->is_factor);
    CHECK_STR(levels_str(z), "1;2.5;a");
    if (z) {
      CHECK_INT(z->code[0], 0);
      CHECK_INT(z->code[1], 2);
      CHECK_INT(z->code[2], 1);
      CHECK_INT(z->code[3], 0);
    }
  }
  lmm_model_free(m);

  /* a mixed column read and then taken out of the formula keeps nothing and
   * needs no levels (the fuzzer found y ~ a - (a + 1) settling levels of
   * numbers it had not kept) */
  {
    static const char *names4[] = {"y", "x", "z"};
    lmm_value rows4[] = {NUM(1), NUM(1), NUM(1), NUM(2), NUM(3), TXT("a"), NUM(3), NUM(2), NUM(2.5), NUM(5), NUM(4), NUM(1)};
    test_table t4 = TABLE(names4, rows4);
    m = NULL;
    CHECK_INT(load_design("y ~ x + z - z", NULL, &t4, &m, &err), LMM_OK);
    if (m && m->design) CHECK_STR(xnames_str(m->design), "(Intercept);x");
    lmm_model_free(m);
  }

  /* the same column as a grouping or inside factor(): numbers that came
   * before the text become text levels all the same, and a variable used
   * only to group keeps no numbers */
  const char *as_factor[] = {"y ~ 1 + (1 | z)", "y ~ factor(z)"};
  const char *var_name[] = {"z", "factor(z)"};
  for (int k = 0; k < 2; k++) {
    m = NULL;
    if (load_design(as_factor[k], NULL, &t3, &m, &err) != LMM_OK) { CHECK_STR(err.msg, ""); lmm_model_free(m); continue; }
    const lmm_frame_var *z = fvar(m, var_name[k]);
    CHECK(z != NULL);
    if (z) {
      CHECK_STR(strs_join(z->levels, z->nlevels), "1;2.5;a");
      CHECK_INT(z->code[0], 0);
      CHECK_INT(z->code[1], 2);
      CHECK_INT(z->code[2], 1);
      CHECK_INT(z->code[3], 0);
      CHECK(z->x == NULL);
    }
    lmm_model_free(m);
  }
}

void test_frame_numeric_levels(void) {
  /* factor(n): levels sorted as numbers, named as R prints them */
  static const char *names[] = {"y", "n"};
  lmm_value rows[] = {NUM(1), NUM(8), NUM(2), NUM(1), NUM(3), NUM(8), NUM(4), NUM(1)};
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ factor(n)", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "factor(n)")), "1;8");
    CHECK_STR(xnames_str(m->design), "(Intercept);factor(n)8");
  }
  lmm_model_free(m);

  /* 2 and 10 sort as numbers, not as text */
  lmm_value rows2[] = {NUM(1), NUM(10), NUM(2), NUM(2), NUM(3), NUM(10), NUM(4), NUM(2)};
  test_table t2 = TABLE(names, rows2);
  m = NULL;
  CHECK_INT(load_design("y ~ factor(n)", NULL, &t2, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "factor(n)")), "2;10");
    CHECK_STR(xnames_str(m->design), "(Intercept);factor(n)10");
  }
  lmm_model_free(m);

  /* negative and fractional levels; as.factor is factor */
  lmm_value rows3[] = {NUM(1), NUM(0.5), NUM(2), NUM(-1), NUM(3), NUM(1.25), NUM(4), NUM(0.5)};
  test_table t3 = TABLE(names, rows3);
  m = NULL;
  CHECK_INT(load_design("y ~ as.factor(n)", NULL, &t3, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "as.factor(n)")), "-1;0.5;1.25");
    CHECK_STR(xnames_str(m->design), "(Intercept);as.factor(n)0.5;as.factor(n)1.25");
  }
  lmm_model_free(m);

  /* level labels are as.character() of the numbers: R writes 100000 as
   * "1e+05" (levels(factor(c(100000, 123456))) is "1e+05" "123456") */
  lmm_value rows5[] = {NUM(1), NUM(100000), NUM(2), NUM(123456), NUM(3), NUM(100000)};
  test_table t5 = TABLE(names, rows5);
  m = NULL;
  CHECK_INT(load_design("y ~ factor(n)", NULL, &t5, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "factor(n)")), "1e+05;123456");
    CHECK_STR(xnames_str(m->design), "(Intercept);factor(n)123456");
  }
  lmm_model_free(m);

  /* numbers that R prints alike are one level, as factor() matches by label:
   * levels(factor(c(0.1 + 0.2, 0.3, 1))) is "0.3" "1" */
  lmm_value rows6[] = {NUM(1), NUM(0.1 + 0.2), NUM(2), NUM(0.3), NUM(3), NUM(1), NUM(4), NUM(0.3), NUM(5), NUM(0.1 + 0.2)};
  test_table t6 = TABLE(names, rows6);
  m = NULL;
  CHECK_INT(load_design("y ~ factor(n)", NULL, &t6, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_STR(levels_str(fvar(m, "factor(n)")), "0.3;1");
    CHECK_STR(xnames_str(m->design), "(Intercept);factor(n)1");
    CHECK_INT(fvar(m, "factor(n)")->code[0], fvar(m, "factor(n)")->code[1]);
  }
  lmm_model_free(m);

  /* factor() of an expression: levels of its values */
  lmm_value rows4[] = {NUM(1), NUM(3), NUM(2), NUM(4), NUM(3), NUM(5), NUM(4), NUM(3)};
  test_table t4 = TABLE(names, rows4);
  m = NULL;
  CHECK_INT(load_design("y ~ factor(n * 2)", NULL, &t4, &m, &err), LMM_OK);
  if (m && m->design) CHECK_STR(xnames_str(m->design), "(Intercept);factor(n * 2)8;factor(n * 2)10");
  lmm_model_free(m);

  /* a plain numeric column is numeric */
  m = NULL;
  CHECK_INT(load_design("y ~ n", NULL, &t4, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK(!fvar(m, "n")->is_factor);
    CHECK_STR(xnames_str(m->design), "(Intercept);n");
    CHECK_NEAR(ldexp(lmm_design_x(m->design, 1, 2), m->design->xexp[1]), 5, 0);   /* column n, row 3 */
  }
  lmm_model_free(m);
}

void test_frame_null_rows(void) {
  static const char *names[] = {"y", "x", "f"};
  lmm_value rows[] = {
    NUM(1), NUM(10), TXT("a"),
    NUL,    NUM(11), TXT("b"),
    NUM(3), NUL,     TXT("c"),   /* the only "c": the level goes with the row */
    NUM(4), NUM(13), TXT("b"),
    NUM(5), NUM(14), NUL,
    NUM(6), NUM(15), TXT("a"),
    NUM(7), NUM(16), TXT("b"),
  };
  test_table t = TABLE(names, rows);
  lmm_model *m = NULL;
  lmm_error err;
  CHECK_INT(load_design("y ~ x + f", NULL, &t, &m, &err), LMM_OK);
  if (m && m->design) {
    CHECK_INT(m->frame->nread, 7);
    CHECK_INT(m->frame->ndropped, 3);
    CHECK_INT(m->frame->n, 4);
    CHECK_INT(m->design->n, 4);
    CHECK_STR(levels_str(fvar(m, "f")), "a;b");
    /* rows kept, with their rowids */
    CHECK_INT(m->frame->rowid[0], 1);
    CHECK_INT(m->frame->rowid[1], 4);
    CHECK_INT(m->frame->rowid[2], 6);
    CHECK_INT(m->frame->rowid[3], 7);
    CHECK_NEAR(m->design->y[1], 4, 0);
    CHECK_NEAR(ldexp(lmm_design_x(m->design, 1, 1), m->design->xexp[1]), 13, 0);  /* x of rowid 4 */
    CHECK_STR(xnames_str(m->design), "(Intercept);x;fb");
  }
  lmm_model_free(m);

  /* every row dropped: an error that says so */
  lmm_value none[] = {NUL, NUM(1), TXT("a"), NUM(2), NUL, TXT("b")};
  test_table t2 = TABLE(names, none);
  m = NULL;
  CHECK_INT(load_model("y ~ x + f", NULL, NULL, &t2, &m, &err), LMM_OK);
  if (m) {
    CHECK_INT(lmm_model_fit(m, NULL, NULL, &err), LMM_ERR);
    CHECK_CONTAINS(err.msg, "no rows");
  }
  lmm_model_free(m);
}

void test_frame_errors(void) {
  static const char *names[] = {"y", "x"};
  lmm_error err;
  lmm_model *m = NULL;

  /* text in the response: the column and the rowid */
  lmm_value rows[] = {NUM(1), NUM(1), NUM(2), NUM(2), TXT("abc"), NUM(3), NUM(4), NUM(4)};
  test_table t = TABLE(names, rows);
  CHECK_INT(load_model("y ~ x", NULL, NULL, &t, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'y'");
  CHECK_CONTAINS(err.msg, "rowid 3");
  CHECK_CONTAINS(err.msg, "abc");
  lmm_model_free(m);

  /* without rowids the message counts rows */
  t.no_rowid = 1;
  m = NULL;
  CHECK_INT(load_model("y ~ x", NULL, NULL, &t, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "row 3");
  lmm_model_free(m);

  /* text inside a transform of a predictor */
  lmm_value rows2[] = {NUM(1), NUM(1), NUM(2), NUM(2), NUM(3), NUM(3), NUM(4), TXT("n/a")};
  test_table t2 = TABLE(names, rows2);
  m = NULL;
  CHECK_INT(load_model("y ~ log(x)", NULL, NULL, &t2, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'x'");
  CHECK_CONTAINS(err.msg, "rowid 4");
  lmm_model_free(m);

  /* log(0) in the response: -Inf, named with the row */
  lmm_value rows3[] = {NUM(1), NUM(1), NUM(2), NUM(2), NUM(3), NUM(3), NUM(0), NUM(4), NUM(5), NUM(5)};
  test_table t3 = TABLE(names, rows3);
  m = NULL;
  CHECK_INT(load_model("log(y) ~ x", NULL, NULL, &t3, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "log(y)");
  CHECK_CONTAINS(err.msg, "rowid 4");
  lmm_model_free(m);

  /* log(0) in a predictor: R's lm stops with "NA/NaN/Inf in 'x'" */
  lmm_value rows4[] = {NUM(1), NUM(1), NUM(2), NUM(0), NUM(3), NUM(3)};
  test_table t4 = TABLE(names, rows4);
  m = NULL;
  CHECK_INT(load_model("y ~ log(x)", NULL, NULL, &t4, &m, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "log(x)");
  CHECK_CONTAINS(err.msg, "rowid 2");
  lmm_model_free(m);

  /* a grouping factor must be a column, not arithmetic */
  static const char *names5[] = {"y", "g"};
  lmm_value rows5[] = {NUM(1), NUM(1), NUM(2), NUM(1), NUM(3), NUM(2), NUM(4), NUM(2), NUM(5), NUM(3), NUM(6), NUM(3)};
  test_table t5 = TABLE(names5, rows5);
  m = NULL;
  int rc = load_model("y ~ 1 + (1 | log(g))", NULL, NULL, &t5, &m, &err);
  if (!rc) rc = lmm_model_fit(m, NULL, NULL, &err);
  CHECK_INT(rc, LMM_ERR);
  CHECK_CONTAINS(err.msg, "log(g)");
  lmm_model_free(m);
}

/* The grouping g of y ~ 1 + (1|g) over t's rows (NULL, checked, if the design fails). */
static const lmm_frame_var *grouping_g(test_table *t, lmm_model **m) {
  lmm_error err;
  CHECK_INT(load_design("y ~ 1 + (1|g)", NULL, t, m, &err), LMM_OK);
  const lmm_frame_var *g = *m ? fvar(*m, "g") : NULL;
  CHECK(g != NULL);
  return g;
}

void test_frame_text_keys(void) {
  /* text of up to 7 bytes is found by its packed bytes and length, longer text by hash and compare:
   * texts at the border (7 and 8 bytes, one prefix of the other), a NUL inside ("a" and "a\0" and
   * "a\0\0" apart), the empty text, and 3000 ids "s00012" scrambled over 9000 rows (the table
   * grows from 64 slots to 8192) must each keep their own level */
  enum { NID = 3000, NROW = 3 * NID + 9 };
  static const char *names[] = {"y", "g"};
  static lmm_value rows[2 * NROW];
  static char ids[NID][8];
  for (int i = 0; i < NID; i++) snprintf(ids[i], sizeof ids[i], "s%05d", i);
  for (int r = 0; r < 3 * NID; r++) {
    rows[2 * r] = NUM(r % 5);
    rows[2 * r + 1] = TXTP(ids[(r * 7919L) % NID]);
  }
  static const lmm_value odd[] = {TXT("abcdefg"), TXT("abcdefgh"), TXT("abcdefgi"), TXT("abcdefh"), TXT("a"),
                                  TXT("a\0"), TXT("a\0\0"), TXT(""), TXT("abcdefg")};
  for (int i = 0; i < 9; i++) {
    rows[2 * (3 * NID + i)] = NUM(i);
    rows[2 * (3 * NID + i) + 1] = odd[i];
  }
  test_table t = {2, names, NROW, rows, 0};
  lmm_model *m = NULL;
  const lmm_frame_var *g = grouping_g(&t, &m);
  if (g) {
    /* in byte order: "", "a", "a\0", "a\0\0", "abcdefg", "abcdefgh", "abcdefgi", "abcdefh", the ids */
    CHECK_INT(g->nlevels, NID + 8);
    static const int len[] = {0, 1, 2, 3, 7, 8, 8, 7};
    for (int i = 0; i < 8; i++) CHECK_INT(g->level_len[i], len[i]);
    CHECK_STR(g->levels[4], "abcdefg");
    CHECK_STR(g->levels[5], "abcdefgh");
    CHECK_STR(g->levels[7], "abcdefh");
    CHECK_STR(g->levels[8], "s00000");
    CHECK_STR(g->levels[NID + 7], "s02999");
    int wrong = 0;
    for (int r = 0; r < 3 * NID; r++)
      if (g->code[r] != 8 + (int)((r * 7919L) % NID)) wrong++;
    CHECK_INT(wrong, 0);
    static const int want[] = {4, 5, 6, 7, 1, 2, 3, 0, 4};
    for (int i = 0; i < 9; i++) CHECK_INT(g->code[3 * NID + i], want[i]);
  }
  lmm_model_free(m);
}

void test_frame_many_levels(void) {
  /* a grouping of 3000 numbers met in scrambled order, each three times,
   * grows the level table from 64 slots to 8192: every row must still find
   * its own level, and -0 and +0 are one level (R's factor(c(-0, 0))) */
  enum { NLEV = 3000, NROW = 3 * NLEV + 2 };
  static const char *names[] = {"y", "g"};
  static lmm_value rows[2 * NROW];
  for (int r = 0; r < 3 * NLEV; r++) {
    int g = (int)((r * 7919L) % NLEV);   /* 7919 is prime to 3000: every level, scrambled */
    rows[2 * r] = NUM(r % 5);
    rows[2 * r + 1] = NUM(g == 0 ? 0.0 : 1000.0 + g);
  }
  rows[2 * (NROW - 2)] = NUM(1);
  rows[2 * (NROW - 2) + 1] = NUM(-0.0);
  rows[2 * (NROW - 1)] = NUM(2);
  rows[2 * (NROW - 1) + 1] = NUM(1001);
  test_table t = {2, names, NROW, rows, 0};
  lmm_model *m = NULL;
  const lmm_frame_var *g = grouping_g(&t, &m);
  if (g) {
    CHECK_INT(g->nlevels, NLEV);
    CHECK_STR(g->levels[0], "0");
    CHECK_STR(g->levels[1], "1001");
    CHECK_STR(g->levels[NLEV - 1], "3999");
    int wrong = 0;
    for (int r = 0; r < NROW; r++) {
      double v = rows[2 * r + 1].num;
      int want = v == 0 ? 0 : (int)v - 1000;   /* levels sort as numbers: 0, 1001, ..., 3999 */
      if (g->code[r] != want) wrong++;
    }
    CHECK_INT(wrong, 0);
  }
  lmm_model_free(m);

  lmm_error err;
  /* whole numbers are found through a direct map that covers 2 values per
   * level: 30000 comes first, beyond it, and stays in the hashed slots;
   * 13000 levels later 20000 widens the map over 30000, whose next rows
   * must still find the level they had (not start a new one); a fraction
   * and a negative number never enter the map */
  enum { NWIDE = 13000, NROW3 = NWIDE + 7 };
  static const char *names3[] = {"y", "k"};
  static lmm_value rows3[2 * NROW3];
  static const double tail[] = {30000, 20000, 30000, 2.5, -3, 2.5, -3};
  rows3[1] = NUM(30000);
  for (int r = 1; r <= NWIDE; r++) rows3[2 * r + 1] = NUM((double)((r * 7919L) % NWIDE));
  for (int i = 1; i < 7; i++) rows3[2 * (NWIDE + i) + 1] = NUM(tail[i]);
  for (int r = 0; r < NROW3; r++) rows3[2 * r] = NUM(r % 7);
  test_table t3 = {2, names3, NROW3, rows3, 0};
  m = NULL;
  CHECK_INT(load_design("y ~ 1 + (1|k)", NULL, &t3, &m, &err), LMM_OK);
  const lmm_frame_var *k = m ? fvar(m, "k") : NULL;
  CHECK(k != NULL);
  if (k) {
    CHECK_INT(k->nlevels, NWIDE + 4);   /* -3, 0..12999, 2.5, 20000, 30000 */
    CHECK_STR(k->levels[0], "-3");
    CHECK_STR(k->levels[3], "2");
    CHECK_STR(k->levels[4], "2.5");
    CHECK_STR(k->levels[NWIDE + 2], "20000");   /* as R labels factor(20000) */
    CHECK_STR(k->levels[NWIDE + 3], "30000");
    CHECK_INT(k->code[0], NWIDE + 3);
    CHECK_INT(k->code[NWIDE + 2], NWIDE + 3);
    CHECK_INT(k->code[NWIDE + 1], NWIDE + 2);
    CHECK_INT(k->code[NWIDE + 5], 4);
    CHECK_INT(k->code[NWIDE + 6], 0);
    int wrong = 0;   /* level v follows -3 and 0..v-1, and 2.5 too when v > 2 */
    for (int r = 1; r <= NWIDE; r++) {
      int v = (int)rows3[2 * r + 1].num;
      if (k->code[r] != v + (v > 2 ? 2 : 1)) wrong++;
    }
    CHECK_INT(wrong, 0);
  }
  lmm_model_free(m);

  /* text and numbers in one column: "1" (text) and 1 (a number) stay apart
   * in the table, then meet as one label, as R's factor() makes them */
  static const char *names2[] = {"y", "h"};
  lmm_value rows2[] = {NUM(1), TXT("1"), NUM(2), NUM(1), NUM(3), TXT("b"), NUM(4), NUM(2), NUM(5), TXT("b")};
  test_table t2 = TABLE(names2, rows2);
  m = NULL;
  CHECK_INT(load_design("y ~ h", NULL, &t2, &m, &err), LMM_OK);
  const lmm_frame_var *h = m ? fvar(m, "h") : NULL;
  CHECK(h != NULL);
  if (h) {
    CHECK_STR(levels_str(h), "1;2;b");
    CHECK_INT(h->code[0], 0);
    CHECK_INT(h->code[1], 0);
    CHECK_INT(h->code[2], 2);
    CHECK_INT(h->code[3], 1);
    CHECK_INT(h->code[4], 2);
  }
  lmm_model_free(m);
}

/* Rows added one by one into a model told at most `bound` rows come; the frame's capacity after them. */
static size_t cap_after(const test_table *t, uint64_t bound, lmm_model **m) {
  lmm_error err = {0};
  *m = NULL;
  CHECK_INT(lmm_model_begin("y ~ x + (1|g)", NULL, NULL, m, &err), LMM_OK);
  if (!*m) return 0;
  lmm_model_rows_bound(*m, bound);
  CHECK_INT(add_rows(*m, t, &err), LMM_OK);
  return (*m)->frame->cap;
}

void test_frame_rows_bound(void) {
  /* the storage is made once for the rows an ordinary table's rowids span: a bound above the rows (deleted
   * rows) holds them without growing; one beyond what memory can hold is no guide (doubling from 1024); one
   * below them (a source that counts otherwise) grows by doubling from it; every row kept either way */
  enum { NROW = 5000 };
  static const char *names[] = {"y", "x", "g"};
  static lmm_value rows[3 * NROW];
  for (int r = 0; r < NROW; r++) {
    rows[3 * r] = NUM((r * 37) % 101);
    rows[3 * r + 1] = NUM(r % 13);
    rows[3 * r + 2] = NUM(r % 50);
  }
  test_table t = {3, names, NROW, rows, 0};
  static const struct { uint64_t bound; size_t cap; } cases[] = {
    {7000, 7000}, {NROW, NROW}, {UINT64_MAX, 8192}, {(uint64_t)1 << 62, 8192}, {0, 8192}, {3000, 6000},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    lmm_model *m = NULL;
    CHECK_INT((int)cap_after(&t, cases[c].bound, &m), (int)cases[c].cap);
    if (m) {
      CHECK_INT((int)m->frame->n, NROW);
      int wrong = 0;
      for (int r = 0; r < NROW; r++)
        wrong += m->frame->y[r] != rows[3 * r].num || m->frame->vars[var_index(m->formula, "x")].x[r] != r % 13;
      CHECK_INT(wrong, 0);
    }
    lmm_model_free(m);
  }
}

void test_frame_reserve(void) {
  /* After lmm_frame_reserve, a batch's new text levels go in without memory (the feed's thread adds them):
   * without it the first new level needs memory; a table of n levels has room for n + 16 more, so batches
   * of that size never need memory while the table grows from 1 level to 5,000; many batches of known
   * levels leave the text store near the size of its texts; a level longer than any before needs memory,
   * and longer than a chunk of the store gets one of its own; every row keeps its level. */
  enum { NID = 5000 };
  static char ids[NID][12];
  lmm_model *m = NULL;
  lmm_error err = {0};
  CHECK_INT(lmm_model_begin("y ~ 1 + (1|g)", NULL, NULL, &m, &err), LMM_OK);
  if (!m) return;
  int yc = strcmp(lmm_model_col(m, 0), "y") ? 1 : 0, bad = 0, refused = 0, batches = 0;
  lmm_frame *fr = m->frame;
  lmm_value row[2];
  row[yc] = NUM(1);
  for (int i = 0; i < NID; i++) snprintf(ids[i], sizeof ids[i], "id%06d", (i * 7919) % NID);
  row[1 - yc] = TXTP(ids[0]);
  CHECK_INT(lmm_frame_try_add_row(fr, row, 1, &err), LMM_FRAME_NEEDS_MEMORY);   /* no room made */
  CHECK_INT(lmm_frame_add_row(fr, row, 1, &err), LMM_OK);
  for (int r = 1; r < NID; batches++) {
    int batch = (int)fr->n + 16;
    lmm_frame_reserve(fr, batch, (size_t)batch * 9);
    for (int k = r; k < r + batch && k < NID; k++) {
      row[1 - yc] = TXTP(ids[k]);
      int rc = lmm_frame_try_add_row(fr, row, k + 1, &err);
      if (rc == LMM_FRAME_NEEDS_MEMORY) {
        refused++;
        rc = lmm_frame_add_row(fr, row, k + 1, &err);
      }
      bad += rc != LMM_OK;
    }
    r += batch;
  }
  CHECK_INT(bad, 0);
  CHECK_INT(refused, 0);
  CHECK(batches >= 8);
  /* a thousand batches of 3,000 rows with few new levels each (ids in order): the store stays near its texts */
  for (int b = 0; b < 1000; b++) {
    lmm_frame_reserve(fr, 3000, 3000 * 9);
    for (int k = 0; k < 3000; k++) {
      row[1 - yc] = TXTP(ids[(b * 5 + k / 600) % NID]);
      bad += lmm_frame_try_add_row(fr, row, (int64_t)fr->n + 1, &err) != LMM_OK;
    }
  }
  CHECK_INT(bad, 0);
  size_t used, held = lmm_frame_text_held(fr, var_index(m->formula, "g"), &used);
  CHECK_INT((long)used, NID * 9L);
  CHECK(held < 4 * used);
  char *big = malloc(100001);
  CHECK(big != NULL);
  if (!big) { lmm_model_free(m); return; }
  memset(big, 'z', 100000);
  big[100000] = 0;
  lmm_frame_reserve(fr, 1, 100000);   /* room for a level as long as the longest so far, not for this one */
  row[1 - yc] = TXTP(big);
  CHECK_INT(lmm_frame_try_add_row(fr, row, (int64_t)fr->n + 1, &err), LMM_FRAME_NEEDS_MEMORY);
  CHECK_INT(lmm_frame_add_row(fr, row, (int64_t)fr->n + 1, &err), LMM_OK);
  size_t rows = fr->n;
  CHECK_INT(lmm_frame_finish(fr, &err), LMM_OK);
  const lmm_frame_var *g = fvar(m, "g");
  CHECK(g != NULL);
  if (g) {
    CHECK_INT(g->nlevels, NID + 1);
    for (int k = 0; k < NID; k++) bad += strcmp(g->levels[g->code[k]], ids[k]) != 0;
    CHECK_INT(bad, 0);
    CHECK_INT(g->level_len[NID], 100000);
    CHECK_INT(g->code[rows - 1], NID);
  }
  free(big);
  lmm_model_free(m);
}
