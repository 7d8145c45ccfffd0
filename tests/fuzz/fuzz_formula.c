/* fuzz_formula.c — libFuzzer target for lmm_formula_parse, and for the rewrites of formula_dot.h.
 *
 * Input: formula text, then (after the first NUL or newline) an optional
 * nlme-style random part, which is also the new formula of an update of the first.  A parsed formula has every variable, the
 * response, and each random-part tree deparsed, which walks every node.
 * Both may hold repeats, and each input runs on a 512 KB stack
 * (fuzz_common.h): "y ~ \x01" "100000:-\x02" "x" is 100,000 minus signs. */
#include "fuzz_common.h"
#include "formula.h"
#include "formula_dot.h"
#include "alloc.h"

static void deparse_check(const lmm_expr *e) {
  if (!e) return;
  char *s = lmm_expr_deparse(e);
  if (!s) abort();            /* only out of memory may give NULL */
  (void)strlen(s);
  lmm_free(s);
}

/* A rewrite either gives a text or says why it cannot. */
static char *rewritten(int rc, char *out, const lmm_error *err) {
  if (rc ? out || !err->msg[0] || err->code != rc : !out) abort();
  if (out) (void)strlen(out);
  return out;
}

/* The terms of a formula (lmm_formula_parse_terms): how many, of how many variables, with an intercept or not;
 * -1 when it does not parse. */
static long shape(const char *formula) {
  lmm_formula *f = NULL;
  lmm_error err = {0};
  if (lmm_formula_parse_terms(formula, &f, &err)) return -1;
  long s = ((long)f->fixed.nterms * 128 + f->nvars) * 2 + f->fixed.intercept;
  lmm_formula_free(f);
  return s;
}

/* '.' spelled out as made-up columns; the formula updated by the second field, and that result updated by
 * '. ~ .' again, which must keep its terms: R's simplified formula simplifies to the same model (its text may
 * differ, as in R: a variable that first appears later in the written-out terms names interactions later;
 * and a thousand terms written out may pass the parser's limits, which their algebra did not). */
static void rewrites(const char *formula, const char *second) {
  static const char *const cols[] = {"y", "x", "g", "a b", "offset"};
  lmm_error err = {0};
  char *out = NULL;
  lmm_free(rewritten(lmm_formula_expand_dot(formula, second, 5, cols, &out, &err), out, &err));
  err = (lmm_error){0};
  out = NULL;
  char *once = rewritten(lmm_formula_update(formula, second ? second : ". ~ .", &out, &err), out, &err);
  if (once) {
    err = (lmm_error){0};
    out = NULL;
    char *twice = rewritten(lmm_formula_update(once, ". ~ .", &out, &err), out, &err);
    if (twice && shape(once) != shape(twice)) abort();
    lmm_free(twice);
  }
  lmm_free(once);
  int has;
  err = (lmm_error){0};
  if (lmm_formula_has_dot(formula, &has, &err)) abort();   /* not out of memory here */
}

static void *run(void *arg) {
  const uint8_t *data = ((fuzz_input *)arg)->data;
  size_t size = ((fuzz_input *)arg)->size;
  size_t pos = 0;
  int more;
  char *formula = fuzz_expand(fuzz_field(data, size, &pos, &more));
  char *random = more ? fuzz_expand(fuzz_field(data, size, &pos, &more)) : NULL;

  lmm_formula *f = NULL;
  lmm_error err = {0};
  int rc = lmm_formula_parse(formula, random, &f, &err);
  if (rc) {
    if (f) abort();                        /* no formula on failure */
    if (!err.msg[0] || err.code != rc) abort();  /* every failure says why */
    (void)memchr(err.msg, 0, sizeof err.msg);
  } else {
    if (!f) abort();
    for (int i = 0; i < f->nvars; i++) {
      if (!f->vars[i].label) abort();
      (void)strlen(f->vars[i].label);
      deparse_check(f->vars[i].ex);
    }
    deparse_check(f->response);
    deparse_check(f->tree);
    deparse_check(f->random_tree);
    (void)strlen(f->response_label);
    for (int i = 0; i < f->ncols; i++) (void)strlen(f->cols[i]);
    for (int b = 0; b < f->nbars; b++) {
      (void)strlen(f->bars[b].grp_name);
      for (int g = 0; g < f->bars[b].ngroup; g++)
        if (f->bars[b].group[g] < 0 || f->bars[b].group[g] >= f->nvars) abort();
    }
  }
  lmm_formula_free(f);
  rewrites(formula, random);
  free(formula);
  free(random);
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_LEN) return 0;
  fuzz_on_small_stack(run, data, size);
  return 0;
}
