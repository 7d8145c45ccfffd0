/* test_formula_bars.c — random-effects terms: lme4 bars in the formula
 * ((x | g), (1 | a/b), (x || g)) and nlme's separate random part. */
#include "harness.h"
#include "helpers.h"

/* Index of the bar named grp (the n-th one with that name, from 0); -1 if none. */
static int bar_named(const lmm_formula *f, const char *grp, int nth) {
  for (int b = 0; b < f->nbars; b++)
    if (!strcmp(f->bars[b].grp_name, grp) && nth-- == 0) return b;
  return -1;
}

void test_bars_lme4(void) {
  lmm_formula *f = parse_ok("Reaction ~ Days + (Days | Subject)", NULL);
  if (f) {
    CHECK_STR(terms_str(f, &f->fixed), "Days");
    CHECK_INT(f->fixed.intercept, 1);
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) {
      const lmm_bar *b = &f->bars[0];
      CHECK_STR(b->grp_name, "Subject");
      CHECK_INT(b->model.intercept, 1);
      CHECK_STR(terms_str(f, &b->model), "Days");
      CHECK_INT(b->ngroup, 1);
      CHECK_STR(f->vars[b->group[0]].label, "Subject");
      CHECK(f->vars[b->group[0]].used_as_group);
    }
    CHECK_STR(strs_join(f->cols, f->ncols), "Reaction;Days;Subject");
    lmm_formula_free(f);
  }

  /* no intercept in the random part */
  f = parse_ok("y ~ x + (0 + x | g)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) {
      CHECK_INT(f->bars[0].model.intercept, 0);
      CHECK_STR(terms_str(f, &f->bars[0].model), "x");
    }
    lmm_formula_free(f);
  }

  /* crossed: (1|a) + (1|b) */
  f = parse_ok("diameter ~ 1 + (1 | plate) + (1 | sample)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 2);
    CHECK(bar_named(f, "plate", 0) >= 0);
    CHECK(bar_named(f, "sample", 0) >= 0);
    CHECK_INT(f->fixed.nterms, 0);
    CHECK_INT(f->fixed.intercept, 1);
    lmm_formula_free(f);
  }

  /* an explicit interaction grouping keeps its written order */
  f = parse_ok("y ~ 1 + (1 | a:b)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) {
      CHECK_STR(f->bars[0].grp_name, "a:b");
      CHECK_INT(f->bars[0].ngroup, 2);
    }
    lmm_formula_free(f);
  }

  /* a random term has no place in the fixed-effect terms */
  f = parse_ok("y ~ x + (1 | g)", NULL);
  if (f) {
    CHECK_STR(terms_str(f, &f->fixed), "x");
    lmm_formula_free(f);
  }
}

void test_bars_lme4_nested(void) {
  /* lme4: (1 | a/b) is (1 | a) + (1 | b:a) */
  lmm_formula *f = parse_ok("y ~ 1 + (1 | a/b)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 2);
    int ba = bar_named(f, "b:a", 0), a = bar_named(f, "a", 0);
    CHECK(a >= 0);
    CHECK(ba >= 0);
    if (ba >= 0) {
      CHECK_INT(f->bars[ba].ngroup, 2);
      CHECK_STR(f->vars[f->bars[ba].group[0]].label, "b");
      CHECK_STR(f->vars[f->bars[ba].group[1]].label, "a");
    }
    lmm_formula_free(f);
  }
  /* Pastes: (1 | batch/cask) gives "batch" and "cask:batch" */
  f = parse_ok("strength ~ 1 + (1 | batch/cask)", NULL);
  if (f) {
    CHECK(bar_named(f, "batch", 0) >= 0);
    CHECK(bar_named(f, "cask:batch", 0) >= 0);
    CHECK_INT(f->nbars, 2);
    lmm_formula_free(f);
  }
  /* deeper nesting: lme4 names a/b/c "a", "b:a" and "c:(b:a)" (and one level
   * more "d:(c:(b:a))"), with the levels of c first, so R's labels "x:1:e" */
  f = parse_ok("y ~ 1 + (1 | a/b/c/d)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 4);
    CHECK(bar_named(f, "a", 0) >= 0);
    CHECK(bar_named(f, "b:a", 0) >= 0);
    int cba = bar_named(f, "c:(b:a)", 0);
    CHECK(cba >= 0);
    if (cba >= 0) {
      CHECK_INT(f->bars[cba].ngroup, 3);
      CHECK_STR(f->vars[f->bars[cba].group[0]].label, "c");
      CHECK_STR(f->vars[f->bars[cba].group[2]].label, "a");
    }
    CHECK(bar_named(f, "d:(c:(b:a))", 0) >= 0);
    lmm_formula_free(f);
  }
  /* an interaction as the inner factor needs no parentheses: "e:g:d" */
  f = parse_ok("y ~ 1 + (1 | d/e:g)", NULL);
  if (f) {
    CHECK(bar_named(f, "e:g:d", 0) >= 0);
    CHECK(bar_named(f, "d", 0) >= 0);
    lmm_formula_free(f);
  }
  /* with slopes, each level gets the whole model */
  f = parse_ok("y ~ x + (x | a/b)", NULL);
  if (f) {
    CHECK_INT(f->nbars, 2);
    for (int b = 0; b < f->nbars; b++) {
      CHECK_INT(f->bars[b].model.intercept, 1);
      CHECK_STR(terms_str(f, &f->bars[b].model), "x");
    }
    lmm_formula_free(f);
  }
}

void test_bars_uncorrelated(void) {
  /* lme4: (x || g) is (1 | g) + (0 + x | g) */
  lmm_formula *f = parse_ok("Reaction ~ Days + (Days || Subject)", NULL);
  if (!f) return;
  CHECK_INT(f->nbars, 2);
  int b0 = bar_named(f, "Subject", 0), b1 = bar_named(f, "Subject", 1);
  CHECK(b0 >= 0);
  CHECK(b1 >= 0);
  if (b0 >= 0 && b1 >= 0) {
    const lmm_bar *one = f->bars[b0].model.intercept ? &f->bars[b0] : &f->bars[b1];
    const lmm_bar *slope = one == &f->bars[b0] ? &f->bars[b1] : &f->bars[b0];
    CHECK_INT(one->model.intercept, 1);
    CHECK_INT(one->model.nterms, 0);
    CHECK_INT(slope->model.intercept, 0);
    CHECK_STR(terms_str(f, &slope->model), "Days");
  }
  lmm_formula_free(f);
}

void test_bars_nlme(void) {
  /* random = ~ 1 | popu/gen: nlme nests gen in popu, named "popu:gen" */
  lmm_formula *f = parse_ok("total_fruits ~ nutrient", "1|popu/gen");
  if (f) {
    CHECK_INT(f->nbars, 2);
    CHECK(bar_named(f, "popu", 0) >= 0);
    int pg = bar_named(f, "popu:gen", 0);
    CHECK(pg >= 0);
    if (pg >= 0) {
      CHECK_STR(f->vars[f->bars[pg].group[0]].label, "popu");
      CHECK_STR(f->vars[f->bars[pg].group[1]].label, "gen");
    }
    CHECK_STR(strs_join(f->cols, f->ncols), "total_fruits;nutrient;popu;gen");
    lmm_formula_free(f);
  }
  /* "~ x | g" */
  f = parse_ok("distance ~ age", "~ age | Subject");
  if (f) {
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) {
      CHECK_STR(f->bars[0].grp_name, "Subject");
      CHECK_INT(f->bars[0].model.intercept, 1);
      CHECK_STR(terms_str(f, &f->bars[0].model), "age");
    }
    lmm_formula_free(f);
  }
  /* "g" alone is a random intercept */
  f = parse_ok("y ~ x", "g");
  if (f) {
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) {
      CHECK_STR(f->bars[0].grp_name, "g");
      CHECK_INT(f->bars[0].model.intercept, 1);
      CHECK_INT(f->bars[0].model.nterms, 0);
    }
    lmm_formula_free(f);
  }
  /* "~1|g" */
  f = parse_ok("y ~ x", "~1|g");
  if (f) {
    CHECK_INT(f->nbars, 1);
    if (f->nbars == 1) CHECK_STR(f->bars[0].grp_name, "g");
    lmm_formula_free(f);
  }
  /* an empty random part is no random part */
  f = parse_ok("y ~ x", "  ");
  if (f) {
    CHECK_INT(f->nbars, 0);
    lmm_formula_free(f);
  }
  /* three levels: a, a:b, a:b:c */
  f = parse_ok("y ~ 1", "~ 1 | a/b/c");
  if (f) {
    CHECK_INT(f->nbars, 3);
    CHECK(bar_named(f, "a", 0) >= 0);
    CHECK(bar_named(f, "a:b", 0) >= 0);
    CHECK(bar_named(f, "a:b:c", 0) >= 0);
    lmm_formula_free(f);
  }
}
