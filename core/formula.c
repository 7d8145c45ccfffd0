/* formula.c — from a parsed formula to terms, variables, columns and bars.
 *
 * Term algebra follows R's terms(): a*b = a + b + a:b, a/b = a + a:b,
 * (a+b)^2 = a + b + a:b, a %in% b = a:b, -x removes a term, 0 or -1 removes the intercept.
 * Random terms follow lme4 ((x|g), (x||g), (1|a/b)) and nlme (x|a/b/c).
 */
#include "formula.h"
#include "alloc.h"
#include "contrasts.h"
#include "numfmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tlist {
  int n, cap;
  lmm_term *t;        /* in the order terms were added (R orders terms by it) */
  int *slot;          /* 2 * cap slots hashing t: an index + 1, or 0 for empty */
  int no_intercept;
} tlist;

typedef struct ctx {
  lmm_formula *f;
  const char *text;   /* the text being read, for messages */
  const char *what;   /* "formula" or "random" */
  lmm_error *err;
  int whole_bars;     /* lmm_formula_parse_terms: a random-effects term is a variable, nothing else is checked */
} ctx;

int lmm_term_order(lmm_term t) { return __builtin_popcountll(t); }

static void tl_free(tlist *l) {
  lmm_free(l->t);
  lmm_free(l->slot);
  l->t = NULL;
  l->slot = NULL;
  l->n = l->cap = 0;
}

static unsigned slot_of(lmm_term t, int nslot) {
  return (unsigned)((t * 0x9E3779B97F4A7C15ULL) >> 32) & (unsigned)(nslot - 1);
}

/* Hash every term again (after the list grew or lost a term). */
static void tl_rehash(tlist *l) {
  int nslot = 2 * l->cap;
  memset(l->slot, 0, sizeof *l->slot * (size_t)nslot);
  for (int i = 0; i < l->n; i++) {
    unsigned s = slot_of(l->t[i], nslot);
    while (l->slot[s]) s = (s + 1) & (unsigned)(nslot - 1);
    l->slot[s] = i + 1;
  }
}

/* Membership by hash: (a*b*...*j)^16 tests a million candidate terms
 * against a thousand, a billion comparisons for a linear search. */
static int tl_has(const tlist *l, lmm_term t) {
  if (!l->cap) return 0;
  int nslot = 2 * l->cap;
  for (unsigned s = slot_of(t, nslot); l->slot[s]; s = (s + 1) & (unsigned)(nslot - 1))
    if (l->t[l->slot[s] - 1] == t) return 1;
  return 0;
}

static int tl_add(ctx *c, tlist *l, lmm_term t) {
  if (tl_has(l, t)) return LMM_OK;
  if (l->n >= LMM_MAX_TERMS)
    return lmm_fail(c->err, LMM_ERR, "%s expands to more than %d terms (a*b*c is every interaction of a, b and c, "
                    "(a + b + c)^2 only the pairs): write only the interactions the model needs, in \"%s\"",
                    c->what, LMM_MAX_TERMS, c->text);
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 8;
    int *slot = lmm_malloc(sizeof *slot * 2 * (size_t)cap);
    lmm_term *g = slot ? lmm_realloc(l->t, sizeof *g * (size_t)cap) : NULL;
    if (!g) { lmm_free(slot); return lmm_nomem(c->err); }
    lmm_free(l->slot);
    l->t = g;
    l->slot = slot;
    l->cap = cap;
    tl_rehash(l);
  }
  l->t[l->n++] = t;
  unsigned s = slot_of(t, 2 * l->cap);
  while (l->slot[s]) s = (s + 1) & (unsigned)(2 * l->cap - 1);
  l->slot[s] = l->n;
  return LMM_OK;
}

static void tl_remove(tlist *l, lmm_term t) {
  for (int i = 0; i < l->n; i++)
    if (l->t[i] == t) {
      memmove(l->t + i, l->t + i + 1, sizeof *l->t * (size_t)(l->n - i - 1));
      l->n--;
      tl_rehash(l);
      return;
    }
}

/* "- r": every term of r leaves l in one pass and one rehash (a rehash per term would make x - (a*b*...*j)
 * cost a thousand of them), and a 1 in r takes the intercept away. */
static void tl_subtract(tlist *l, const tlist *r) {
  int kept = 0;
  for (int i = 0; i < l->n; i++)
    if (!tl_has(r, l->t[i])) l->t[kept++] = l->t[i];
  if (tl_has(r, 0)) l->no_intercept = 1;
  if (kept == l->n) return;
  l->n = kept;
  tl_rehash(l);
}

static int fail_at(ctx *c, const lmm_expr *e, const char *why) {
  return lmm_fail(c->err, LMM_ERR, "%s: %s at character %d of \"%s\"", c->what, why, e->pos + 1, c->text);
}

/* ---- factors: factor(), as.factor(), ordered(), relevel(), C() ------------ */

static int is_factor_call(const lmm_expr *e) {
  static const char *const names[] = {"factor", "as.factor", "ordered", "relevel", "C"};
  for (size_t i = 0; e->kind == EX_CALL && i < sizeof names / sizeof *names; i++)
    if (!strcmp(e->name, names[i])) return 1;
  return 0;
}

/* R's matching of a call's arguments: named ones to the formal of that name, the others to the formals left,
 * in order.  arg[k] is formal k's argument or NULL. */
static int match_args(ctx *c, const lmm_expr *e, const char *const *formals, int nformal, const lmm_expr **arg) {
  char list[160] = "";
  for (int k = 0; k < nformal; k++) {
    arg[k] = NULL;
    if (strlen(list) + strlen(formals[k]) + 3 < sizeof list) strcat(strcat(list, k ? ", " : ""), formals[k]);
  }
  for (int i = 0; i < e->nargs; i++) {
    const lmm_expr *a = e->args[i];
    if (a->kind != EX_ARG) continue;
    int k = 0;
    while (k < nformal && strcmp(formals[k], a->name)) k++;
    if (k == nformal || arg[k])
      return lmm_fail(c->err, LMM_ERR, "%s: %s() %s argument '%s' at character %d of \"%s\" (its arguments: %s)",
                      c->what, e->name, k == nformal ? "has no" : "is given twice the", a->name, a->pos + 1, c->text, list);
    arg[k] = a->args[0];
  }
  for (int i = 0, k = 0; i < e->nargs; i++) {
    if (e->args[i]->kind == EX_ARG) continue;
    while (k < nformal && arg[k]) k++;
    if (k == nformal)
      return lmm_fail(c->err, LMM_ERR, "%s: %s() takes at most %d arguments (%s); the one at character %d of \"%s\" is "
                      "one too many", c->what, e->name, nformal, list, e->args[i]->pos + 1, c->text);
    arg[k++] = e->args[i];
  }
  if (!arg[0]) return fail_at(c, e, "the factor is missing: write the column first, as in factor(x)");
  return LMM_OK;
}

static int refuse_arg(ctx *c, const lmm_expr *e, const lmm_expr *a, const char *name) {
  return lmm_fail(c->err, LMM_ERR, "%s: %s() with %s is not supported (character %d of \"%s\"); write the levels in the "
                  "data or the query", c->what, e->name, name, a->pos + 1, c->text);
}

/* A level written in the formula, as a label: a text, or a number as R prints it (frame.c's labels) */
static char *level_label(const lmm_expr *a) {
  if (a->kind == EX_STR) return lmm_strdup(a->name);
  char buf[32];
  lmm_format_number(a->kind == EX_NEG ? -a->args[0]->num : a->num, buf);
  return lmm_strdup(buf);
}

static int is_literal(const lmm_expr *a) {
  return a->kind == EX_STR || a->kind == EX_NUM || (a->kind == EX_NEG && a->args[0]->kind == EX_NUM);
}

/* levels = c("b", "a") (or one literal): the given levels of cd, replacing any before */
static int given_levels(ctx *c, const lmm_expr *a, lmm_coding *cd) {
  int one = is_literal(a);
  if (!one && (a->kind != EX_CALL || strcmp(a->name, "c") || !a->nargs))
    return fail_at(c, a, "levels must be texts or numbers, as in levels = c(\"b\", \"a\")");
  const lmm_expr *const *items = one ? &a : (const lmm_expr *const *)a->args;
  int n = one ? 1 : a->nargs;
  for (int i = 0; i < cd->ngiven; i++) lmm_free(cd->given[i]);
  lmm_free(cd->given);
  cd->ngiven = 0;
  if (!(cd->given = lmm_calloc((size_t)n, sizeof *cd->given))) return lmm_nomem(c->err);
  for (int i = 0; i < n; i++) {
    if (!is_literal(items[i]))
      return fail_at(c, items[i], "levels must be texts or numbers, as in levels = c(\"b\", \"a\")");
    if (!(cd->given[i] = level_label(items[i]))) return lmm_nomem(c->err);
    cd->ngiven++;
    for (int k = 0; k < i; k++)
      if (!strcmp(cd->given[k], cd->given[i]))
        return lmm_fail(c->err, LMM_ERR, "%s: level '%s' is listed twice in levels = at character %d of \"%s\" (R: factor "
                        "level [%d] is duplicated); list each level once", c->what, cd->given[i], items[i]->pos + 1, c->text,
                        i + 1);
  }
  return LMM_OK;
}

static int logical_arg(ctx *c, const lmm_expr *a, int *out) {
  if (a->kind == EX_NAME && (!strcmp(a->name, "TRUE") || !strcmp(a->name, "T"))) { *out = 1; return LMM_OK; }
  if (a->kind == EX_NAME && (!strcmp(a->name, "FALSE") || !strcmp(a->name, "F"))) { *out = 0; return LMM_OK; }
  return fail_at(c, a, "ordered must be TRUE or FALSE");
}

static int whole_arg(ctx *c, const lmm_expr *a, const char *what, int *out) {
  if (a->kind != EX_NUM || a->num < 1 || a->num > 1e6 || a->num != floor(a->num)) return fail_at(c, a, what);
  *out = (int)a->num;
  return LMM_OK;
}

/* C(f, contr) and C(f, contr.treatment, base = k) (R passes base to the contrast function) */
static int contrast_call(ctx *c, const lmm_expr *e, const lmm_expr *const *arg, lmm_coding *cd) {
  const lmm_expr *contr = arg[1], *base = arg[3];
  if (arg[2]) return refuse_arg(c, e, arg[2], "how.many");
  int kind = LMM_CONTR_TREATMENT, b = 0;
  if (contr && contr->kind == EX_CALL && !strcmp(contr->name, "contr.treatment"))
    return fail_at(c, contr, "R does not accept contr.treatment(...) in C(): it is called without its number of levels; "
                   "write C(f, contr.treatment, base = 2)");
  if (contr && ((contr->kind != EX_NAME && contr->kind != EX_STR) || !lmm_contrast_named(contr->name, &kind, &b)))
    return lmm_fail(c->err, LMM_ERR, "%s: unknown contrasts at character %d of \"%s\"; the contrasts are %s",
                    c->what, contr->pos + 1, c->text, lmm_contrast_names);
  if (!contr && cd->ordered && base)
    return fail_at(c, e, "an ordered factor's default contrasts (contr.poly) take no base; write C(f, contr.treatment, base = 2)");
  if (base) {
    if (kind != LMM_CONTR_TREATMENT || b) return fail_at(c, base, "base = is an argument of contr.treatment only");
    if (whole_arg(c, base, "base must be a level's number, 1 or more", &b)) return c->err->code;
    cd->numbered = 1;
  } else cd->numbered = 0;
  cd->contrast = contr || base ? kind : LMM_CONTR_DEFAULT;
  cd->base = b;
  return LMM_OK;
}

/* A factor call into cd, its innermost value into *value: the calls apply from the inside out, each to the
 * factor the one inside it makes. */
static int factor_call(ctx *c, const lmm_expr *e, lmm_coding *cd, const lmm_expr **value) {
  static const char *const f_factor[] = {"x", "levels", "labels", "exclude", "ordered"};
  static const char *const f_relevel[] = {"x", "ref"};
  static const char *const f_c[] = {"object", "contr", "how.many", "base"};
  const lmm_expr *arg[5];
  int is_c = !strcmp(e->name, "C"), is_relevel = !strcmp(e->name, "relevel"), is_as = !strcmp(e->name, "as.factor");
  int is_ordered = !strcmp(e->name, "ordered");
  int rc = is_c ? match_args(c, e, f_c, 4, arg) : is_relevel ? match_args(c, e, f_relevel, 2, arg)
           : match_args(c, e, f_factor, is_as ? 1 : is_ordered ? 4 : 5, arg);
  if (rc) return rc;
  if (is_factor_call(arg[0])) rc = factor_call(c, arg[0], cd, value);
  else if (!(rc = lmm_expr_check_arith(arg[0], c->what, c->text, c->err))) *value = arg[0];
  if (rc) return rc;
  if (is_c) return contrast_call(c, e, arg, cd);
  if (is_relevel) {
    if (cd->ordered) return fail_at(c, e, "relevel() applies to unordered factors only (as in R)");
    if (cd->ref || cd->ref_index) return fail_at(c, e, "relevel() of relevel(): put the level first in one relevel()");
    if (!arg[1]) return fail_at(c, e, "relevel() needs the reference level, as in relevel(f, ref = \"b\")");
    if (arg[1]->kind == EX_STR) cd->ref = arg[1]->name;
    else if (whole_arg(c, arg[1], "ref must be a level, as in relevel(f, ref = \"b\"), or its number", &cd->ref_index))
      return c->err->code;
    return LMM_OK;
  }
  if (!is_as && arg[2]) return refuse_arg(c, e, arg[2], "labels");
  if (!is_as && arg[3]) return refuse_arg(c, e, arg[3], "exclude");
  if (!is_as && arg[1]) {   /* the listed levels replace any order before */
    if ((rc = given_levels(c, arg[1], cd))) return rc;
    cd->ref = NULL;
    cd->ref_index = 0;
  }
  if (is_ordered) cd->ordered = 1;
  else if (!is_as && arg[4] && (rc = logical_arg(c, arg[4], &cd->ordered))) return rc;
  if (!is_as) cd->contrast = LMM_CONTR_DEFAULT, cd->base = 0, cd->numbered = 0;   /* factor() drops C()'s contrasts */
  return LMM_OK;
}

static void coding_free(lmm_coding *cd) {
  for (int i = 0; i < cd->ngiven; i++) lmm_free(cd->given[i]);
  lmm_free(cd->given);
  memset(cd, 0, sizeof *cd);
}

/* The variable a name or call stands for, added on first sight. */
static int variable(ctx *c, const lmm_expr *e, int *idx) {
  lmm_formula *f = c->f;
  int kind;
  const lmm_expr *value = e;
  lmm_coding coding = {0};
  lmm_numbasis basis = {0};
  if (e->kind == EX_NAME && !strcmp(e->name, "."))
    return fail_at(c, e, "'.' stands for the columns of the data that the formula does not otherwise use, which "
                         "lmm_fit and lmm_update know from their table, view or query (a random part or lmm_agg "
                         "takes no '.'): write the columns out");
  /* refused whatever the mode: expand() gives these with no idx */
  if (e->kind == EX_STR) return fail_at(c, e, "a text is not a term; texts are levels, as in relevel(f, ref = \"b\")");
  if (e->kind == EX_ARG) return lmm_expr_check_arith(e, c->what, c->text, c->err);
  if (c->whole_bars) kind = LMM_VAR_NUMERIC;
  else if (e->kind == EX_NAME) kind = LMM_VAR_PLAIN;
  else if (e->kind == EX_CALL && lmm_numbasis_is_call(e->name)) {
    kind = LMM_VAR_NUMERIC;
    int rc = lmm_numbasis_parse(e, c->what, c->text, &basis, &value, c->err);
    if (!rc) rc = lmm_expr_check_arith(value, c->what, c->text, c->err);
    if (rc) return rc;
  }
  else if (is_factor_call(e)) {
    kind = LMM_VAR_FACTOR;
    int rc = factor_call(c, e, &coding, &value);
    if (rc) { coding_free(&coding); return rc; }
  } else {
    kind = LMM_VAR_NUMERIC;
    int rc = lmm_expr_check_arith(e, c->what, c->text, c->err);
    if (rc) return rc;
  }
  char *label = lmm_expr_deparse(e);
  if (!label) { coding_free(&coding); return lmm_nomem(c->err); }
  for (int i = 0; i < f->nvars; i++)
    if (!strcmp(f->vars[i].label, label)) { lmm_free(label); coding_free(&coding); *idx = i; return LMM_OK; }
  if (f->nvars == LMM_MAX_VARS) {
    lmm_free(label);
    coding_free(&coding);
    return fail_at(c, e, "too many distinct variables (at most 64)");
  }
  f->vars[f->nvars] = (lmm_var){.label = label, .kind = kind, .ex = value, .coding = coding, .basis = basis};
  *idx = f->nvars++;
  return LMM_OK;
}

static int is_bar(const lmm_expr *e) { return e->kind == EX_BINOP && (e->op == '|' || e->op == 'B'); }

static int add_bars(ctx *c, const lmm_expr *lhs, const lmm_expr *group, int uncorrelated, int nlme_names);

static int expand(ctx *c, const lmm_expr *e, tlist *out, int allow_bars);

/* The cases of expand() that hold lists of their own are functions of their own, kept out of line, so
 * that a chain such as a + b + c, whose height the parser bounds, recurses through expand()'s small frame
 * only (LMM_EXPR_MAX_HEIGHT levels of it fit a 512 KB thread stack, even under the sanitizers). */
#define OUT_OF_LINE __attribute__((noinline))

static OUT_OF_LINE int expand_variable(ctx *c, const lmm_expr *e, tlist *out) {
  int v, rc = variable(c, e, &v);
  return rc ? rc : tl_add(c, out, (lmm_term)1 << v);
}

/* - e: the terms of e leave out; after a '-' (not a sign), "- 0" puts the intercept back, as in R */
static OUT_OF_LINE int expand_minus(ctx *c, const lmm_expr *e, tlist *out, int binary) {
  tlist r = {0};
  int rc = expand(c, e, &r, 0);
  if (!rc) {
    tl_subtract(out, &r);
    if (binary && r.no_intercept) out->no_intercept = 0;
  }
  tl_free(&r);
  return rc;
}

/* a:b, a %in% b = a:b, a*b = a + b + a:b, a/b = a + a:b.  The two lists live on the heap: a chain a:b:c:... recurses
 * through here once per operator. */
static OUT_OF_LINE int expand_product(ctx *c, const lmm_expr *e, tlist *out) {
  tlist *lr = lmm_calloc(2, sizeof *lr);
  if (!lr) return lmm_nomem(c->err);
  const tlist *l = &lr[0], *r = &lr[1];
  char op = e->op == 'I' ? ':' : e->op;   /* a %in% b is a:b, as in R */
  int rc = expand(c, e->args[0], &lr[0], 0);
  if (!rc) rc = expand(c, e->args[1], &lr[1], 0);
  if (!rc && op != ':')
    for (int i = 0; i < l->n && !rc; i++) rc = tl_add(c, out, l->t[i]);
  if (!rc && op == '*')
    for (int j = 0; j < r->n && !rc; j++) rc = tl_add(c, out, r->t[j]);
  if (!rc && op == '/') {
    lmm_term all = 0;
    for (int i = 0; i < l->n; i++) all |= l->t[i];
    for (int j = 0; j < r->n && !rc; j++) rc = tl_add(c, out, all | r->t[j]);
  } else if (!rc) {
    for (int j = 0; j < r->n && !rc; j++)
      for (int i = 0; i < l->n && !rc; i++) rc = tl_add(c, out, l->t[i] | r->t[j]);
  }
  tl_free(&lr[0]);
  tl_free(&lr[1]);
  lmm_free(lr);
  return rc;
}

/* (a + b + c)^k: every interaction of up to k of the terms */
static OUT_OF_LINE int expand_power(ctx *c, const lmm_expr *e, tlist *out) {
  const lmm_expr *k = e->args[1];
  if (k->kind != EX_NUM || k->num < 1 || k->num != floor(k->num) || k->num > 16)
    return fail_at(c, k, "the power of a term must be a whole number from 1 to 16 (use I() for arithmetic)");
  tlist l = {0}, acc = {0};
  int rc = expand(c, e->args[0], &l, 0);
  for (int i = 0; i < l.n && !rc; i++) rc = tl_add(c, &acc, l.t[i]);
  for (int p = 1; p < (int)k->num && !rc; p++) {
    int n = acc.n, before = acc.n;
    for (int i = 0; i < n && !rc; i++)
      for (int j = 0; j < l.n && !rc; j++) rc = tl_add(c, &acc, acc.t[i] | l.t[j]);
    if (acc.n == before) break;  /* every interaction is there already */
  }
  for (int i = 0; i < acc.n && !rc; i++) rc = tl_add(c, out, acc.t[i]);
  tl_free(&l);
  tl_free(&acc);
  return rc;
}

/* offset(e): e enters the fixed part with coefficient 1, a term of the top-level sum only (as in R, not of an
 * interaction or a random part) */
static OUT_OF_LINE int add_offset(ctx *c, const lmm_expr *e, int top) {
  if (!top || c->f->offset)
    return fail_at(c, e, c->f->offset ? "a second offset(): give one, of their sum, as in offset(a + b)"
                                      : "offset() is a term of the fixed part's sum, not of an interaction or a random part");
  if (e->nargs != 1 || e->args[0]->kind == EX_ARG) return fail_at(c, e, "offset() takes one argument");
  int rc = lmm_expr_check_arith(e->args[0], c->what, c->text, c->err);
  if (rc) return rc;
  if (!(c->f->offset_label = lmm_expr_deparse(e))) return lmm_nomem(c->err);
  c->f->offset = e->args[0];
  return LMM_OK;
}

/* Expand a model expression into terms (R's terms algebra). */
static int expand(ctx *c, const lmm_expr *e, tlist *out, int allow_bars) {
  int rc;
  switch (e->kind) {
  case EX_NUM:
    if (e->num == 1) { out->no_intercept = 0; return tl_add(c, out, 0); }
    if (e->num == 0) { out->no_intercept = 1; return LMM_OK; }
    return fail_at(c, e, "a number in a model formula must be 0 or 1 (use I() for arithmetic)");
  case EX_STR: case EX_ARG: return variable(c, e, NULL);   /* refused there */
  case EX_CONST:
    return fail_at(c, e, "pi is a constant, not a column: it can only be part of arithmetic such as sin(2*pi*x) (write `pi` for a column of that name)");
  case EX_NAME: return expand_variable(c, e, out);
  case EX_CALL:   /* update's rewrite (whole_bars) keeps an offset as a term of the text */
    return !strcmp(e->name, "offset") && !c->whole_bars ? add_offset(c, e, allow_bars) : expand_variable(c, e, out);
  case EX_POS: return expand(c, e->args[0], out, allow_bars);
  case EX_PAREN:
    if (is_bar(e->args[0]) && c->whole_bars) return expand_variable(c, e, out);
    if (is_bar(e->args[0])) {
      if (!allow_bars) return fail_at(c, e, "a random-effects term (x | g) cannot be part of an interaction");
      return add_bars(c, e->args[0]->args[0], e->args[0]->args[1], e->args[0]->op == 'B', 0);
    }
    return expand(c, e->args[0], out, 0);
  case EX_NEG: return expand_minus(c, e->args[0], out, 0);
  case EX_BINOP:
    switch (e->op) {
    case '+':
      if ((rc = expand(c, e->args[0], out, allow_bars))) return rc;
      return expand(c, e->args[1], out, allow_bars);
    case '-':
      if ((rc = expand(c, e->args[0], out, allow_bars))) return rc;
      return expand_minus(c, e->args[1], out, 1);
    case ':': case 'I': case '*': case '/': return expand_product(c, e, out);
    case '^': return expand_power(c, e, out);
    case '|': case 'B': return fail_at(c, e, "a random-effects term must be in parentheses, as in (1 | g)");
    default: return fail_at(c, e, "'~' may appear only once");
    }
  }
  return LMM_OK;
}

static int term_cmp(const void *a, const void *b) {
  /* stable sort by order: ties broken by the index stored in the upper bits */
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Turn an expanded list into ordered terms, as R's terms() orders them. */
static int finish_terms(ctx *c, tlist *l, lmm_terms *out) {
  int explicit_one = tl_has(l, 0);
  tl_remove(l, 0);
  out->intercept = l->no_intercept ? 0 : 1;
  (void)explicit_one;
  out->nterms = l->n;
  out->terms = NULL;
  if (!l->n) return LMM_OK;
  uint64_t *keys = lmm_malloc(sizeof *keys * 2 * (size_t)l->n);
  out->terms = lmm_malloc(sizeof *out->terms * (size_t)l->n);
  if (!keys || !out->terms) { lmm_free(keys); return lmm_nomem(c->err); }
  for (int i = 0; i < l->n; i++) { keys[2 * i] = (uint64_t)lmm_term_order(l->t[i]); keys[2 * i + 1] = (uint64_t)i; }
  qsort(keys, (size_t)l->n, 2 * sizeof *keys, term_cmp);
  for (int i = 0; i < l->n; i++) out->terms[i] = l->t[keys[2 * i + 1]];
  lmm_free(keys);
  return LMM_OK;
}

/* ---- grouping factors --------------------------------------------------- */

/* A grouping factor: the variables whose interaction it is, in naming order,
 * and where lme4's name opens a parenthesis before one of them (all close at
 * the end): a/b/c is named "c:(b:a)", as lme4 deparses c:(b:a). */
typedef struct group { int n; int v[LMM_MAX_VARS]; unsigned char open[LMM_MAX_VARS]; } group;
typedef struct glist { int n; group g[LMM_MAX_VARS]; } glist;

static int group_has(const group *g, int v) {
  for (int i = 0; i < g->n; i++) if (g->v[i] == v) return 1;
  return 0;
}

/* Expand a grouping expression: g, a:b, a/b/c.  nlme names inner levels
 * "a:b" and "a:b:c", lme4 "b:a" and "c:(b:a)". */
static int expand_group(ctx *c, const lmm_expr *e, glist *out, int nlme_names, int depth) {
  int rc;
  /* each level below holds two lists of up to 64 groups */
  if (depth > LMM_MAX_VARS) return fail_at(c, e, "a grouping factor may nest at most 64 levels of ':', '/' and parentheses");
  if (e->kind == EX_PAREN) return expand_group(c, e->args[0], out, nlme_names, depth + 1);
  if (e->kind == EX_NAME || (e->kind == EX_CALL && (!strcmp(e->name, "factor") || !strcmp(e->name, "as.factor")))) {
    int v;
    if ((rc = variable(c, e, &v))) return rc;
    c->f->vars[v].used_as_group = 1;
    out->g[0] = (group){.n = 1, .v = {v}};
    out->n = 1;
    return LMM_OK;
  }
  if (e->kind != EX_BINOP || (e->op != ':' && e->op != '/'))
    return fail_at(c, e, "a grouping factor must be a column or columns joined by ':' or '/'");
  glist *l = lmm_malloc(sizeof *l), *r = lmm_malloc(sizeof *r);
  if (!l || !r) { lmm_free(l); lmm_free(r); return lmm_nomem(c->err); }
  if ((rc = expand_group(c, e->args[0], l, nlme_names, depth + 1)) ||
      (rc = expand_group(c, e->args[1], r, nlme_names, depth + 1)))
    goto done;
  out->n = 0;
  if (e->op == '/')
    for (int i = 0; i < l->n; i++) out->g[out->n++] = l->g[i];
  const group *outer = &l->g[l->n - 1];
  for (int j = 0; j < r->n; j++) {
    const group *left = e->op == '/' ? outer : &l->g[0];
    if (e->op == ':' && (l->n > 1 || r->n > 1)) { rc = fail_at(c, e, "nested groupings cannot be crossed with ':'"); goto done; }
    group g = {0};
    int lme4_nested = e->op == '/' && !nlme_names;
    const group *first = lme4_nested ? &r->g[j] : left;
    const group *second = first == left ? &r->g[j] : left;
    for (int i = 0; i < first->n; i++) { g.open[g.n] = first->open[i]; g.v[g.n++] = first->v[i]; }
    int outer_at = g.n;
    for (int i = 0; i < second->n; i++)
      if (!group_has(&g, second->v[i])) { g.open[g.n] = second->open[i]; g.v[g.n++] = second->v[i]; }
    /* lme4 writes the inner factor before the outer interaction, in parentheses */
    if (lme4_nested && g.n - outer_at > 1) g.open[outer_at] = 1;
    if (out->n == LMM_MAX_VARS) { rc = fail_at(c, e, "too many nested levels"); goto done; }
    out->g[out->n++] = g;
  }
done:
  lmm_free(l);
  lmm_free(r);
  return rc;
}

static int push_bar(ctx *c, const lmm_terms *model, const group *g) {
  lmm_formula *f = c->f;
  lmm_bar *bars = lmm_realloc(f->bars, sizeof *bars * (size_t)(f->nbars + 1));
  if (!bars) return lmm_nomem(c->err);
  f->bars = bars;
  lmm_bar *b = &bars[f->nbars];
  memset(b, 0, sizeof *b);
  b->model.intercept = model->intercept;
  b->model.nterms = model->nterms;
  b->group = lmm_malloc(sizeof *b->group * (size_t)g->n);
  b->model.terms = lmm_malloc(sizeof(lmm_term) * (size_t)(model->nterms ? model->nterms : 1));
  size_t len = 1;
  for (int i = 0; i < g->n; i++) len += strlen(f->vars[g->v[i]].label) + 1 + 2 * (size_t)g->open[i];
  b->grp_name = lmm_malloc(len);
  f->nbars++;  /* counted now so that lmm_formula_free releases partial bars */
  if (!b->group || !b->model.terms || !b->grp_name) return lmm_nomem(c->err);
  if (model->nterms) memcpy(b->model.terms, model->terms, sizeof(lmm_term) * (size_t)model->nterms);
  b->ngroup = g->n;
  b->grp_name[0] = 0;
  int open = 0;
  for (int i = 0; i < g->n; i++) {
    b->group[i] = g->v[i];
    if (i) strcat(b->grp_name, ":");
    if (g->open[i]) { strcat(b->grp_name, "("); open++; }
    strcat(b->grp_name, f->vars[g->v[i]].label);
  }
  while (open--) strcat(b->grp_name, ")");
  return LMM_OK;
}

static int add_bars(ctx *c, const lmm_expr *lhs, const lmm_expr *grp, int uncorrelated, int nlme_names) {
  tlist l = {0};
  lmm_terms model = {0};
  glist *groups = lmm_malloc(sizeof *groups);
  int rc;
  if (!groups) return lmm_nomem(c->err);
  if ((rc = expand(c, lhs, &l, 0)) || (rc = finish_terms(c, &l, &model)) ||
      (rc = expand_group(c, grp, groups, nlme_names, 0)))
    goto done;
  if (!model.intercept && !model.nterms) { rc = fail_at(c, lhs, "a random-effects term needs at least one column"); goto done; }
  /* counted before any is made: (x || g) is one term per term of x, for every grouping factor of g */
  size_t each = uncorrelated ? (size_t)model.intercept + (size_t)model.nterms : 1;
  size_t nbars = (size_t)c->f->nbars + each * (size_t)groups->n;
  if (nbars > LMM_MAX_BARS) {
    const lmm_expr *start = grp;  /* where the grouping factor's text starts */
    while (start->nargs && start->args[0]) start = start->args[0];
    rc = lmm_fail(c->err, LMM_ERR, "%s: the random-effects term with the grouping factor at character %d makes %zu "
                  "random-effect terms in all, more than the %d a model may have ((x || g) makes one per term of x, "
                  "for each grouping factor of g): use fewer terms, or (x | g), in \"%s\"", c->what, start->pos + 1,
                  nbars, LMM_MAX_BARS, c->text);
    goto done;
  }
  for (int g = 0; g < groups->n && !rc; g++) {
    if (!uncorrelated) { rc = push_bar(c, &model, &groups->g[g]); continue; }
    /* (x || g): one independent term per model term, as lme4 splits it */
    if (model.intercept) {
      lmm_terms one = {1, 0, NULL};
      rc = push_bar(c, &one, &groups->g[g]);
    }
    for (int t = 0; t < model.nterms && !rc; t++) {
      lmm_terms single = {0, 1, &model.terms[t]};
      rc = push_bar(c, &single, &groups->g[g]);
    }
  }
done:
  tl_free(&l);
  lmm_free(model.terms);
  lmm_free(groups);
  return rc;
}

/* ---- columns ------------------------------------------------------------ */

static int bind_columns(ctx *c, lmm_expr *e) {
  if (e->kind == EX_NAME) {
    lmm_formula *f = c->f;
    for (int i = 0; i < f->ncols; i++)
      if (!strcmp(f->cols[i], e->name)) { e->column = i; return LMM_OK; }
    char **cols = lmm_realloc(f->cols, sizeof *cols * (size_t)(f->ncols + 1));
    if (!cols) return lmm_nomem(c->err);
    f->cols = cols;
    if (!(cols[f->ncols] = lmm_strdup(e->name))) return lmm_nomem(c->err);
    e->column = f->ncols++;
    return LMM_OK;
  }
  for (int i = 0; i < e->nargs; i++) {
    int rc = bind_columns(c, e->args[i]);
    if (rc) return rc;
  }
  return LMM_OK;
}

/* Whether text has an '=' outside backquotes: no formula has one, options do. */
static int has_equals(const char *text) {
  for (int quoted = 0; *text; text++) {
    if (*text == '`') quoted = !quoted;
    else if (*text == '=' && !quoted) return 1;
  }
  return 0;
}

/* The two slips of a random argument: options one place early (lmer takes
 * no random argument, so lme4's users pass options third), and random
 * effects given twice, lme4's way in the formula and nlme's in random. */
static int check_random_arg(const lmm_formula *f, const char *random, lmm_error *err) {
  if (has_equals(random))
    return lmm_fail(err, LMM_ERR, "random: '%.60s' looks like options; options are the argument after random: "
                    "lmm_fit(data, formula, NULL, '%.60s') (lmm_agg(formula, NULL, '%.60s', ...))", random, random, random);
  if (f->nbars)
    return lmm_fail(err, LMM_ERR, "random effects are given twice: the formula has (... | %.60s) and random is '%.60s'; "
                    "use one: lme4's (1 | g) in the formula, or nlme's formula without bars and random '1 | g'",
                    f->bars[0].grp_name, random);
  return LMM_OK;
}

/* The first '.' in a tree, or NULL. */
static const lmm_expr *find_dot(const lmm_expr *e) {
  if (e->kind == EX_NAME) return strcmp(e->name, ".") ? NULL : e;
  for (int i = 0; i < e->nargs; i++) {
    const lmm_expr *d = e->args[i] ? find_dot(e->args[i]) : NULL;
    if (d) return d;
  }
  return NULL;
}

static int parse(const char *formula, const char *random, int whole_bars, lmm_formula **out, lmm_error *err) {
  *out = NULL;
  lmm_formula *f = lmm_calloc(1, sizeof *f);
  if (!f) return lmm_nomem(err);
  ctx c = {f, formula, "formula", err, whole_bars};
  const lmm_expr *dot;
  tlist l = {0};
  int rc = lmm_expr_parse(formula, "formula", &f->tree, err);
  if (rc) goto fail;
  lmm_expr *t = f->tree;
  if (t->kind != EX_BINOP || t->op != '~' || !t->args[0]) {
    rc = lmm_fail(err, LMM_ERR, "formula \"%s\" needs a response and a '~', as in \"y ~ x\"", formula);
    goto fail;
  }
  f->response = t->args[0];
  if ((dot = find_dot(f->response))) {
    rc = fail_at(&c, dot, "'.' on the left of '~' stands for the old response, in lmm_update's formula only");
    goto fail;
  }
  if ((rc = lmm_expr_check_arith(f->response, "formula", formula, err))) goto fail;
  if (!(f->response_label = lmm_expr_deparse(f->response))) { rc = lmm_nomem(err); goto fail; }
  if ((rc = expand(&c, t->args[1], &l, 1)) || (rc = finish_terms(&c, &l, &f->fixed))) goto fail;

  if (random && random[strspn(random, " \t\r\n")]) {
    if ((rc = check_random_arg(f, random, err))) goto fail;
    c.text = random;
    c.what = "random";
    if ((rc = lmm_expr_parse(random, "random", &f->random_tree, err))) goto fail;
    lmm_expr *r = f->random_tree;
    if (r->kind == EX_BINOP && r->op == '~') {
      if (r->args[0]) { rc = fail_at(&c, r, "the random part takes no response"); goto fail; }
      r = r->args[1];
    }
    if (is_bar(r)) rc = add_bars(&c, r->args[0], r->args[1], r->op == 'B', 1);
    else {
      lmm_expr one = {.kind = EX_NUM, .num = 1, .column = -1};
      rc = add_bars(&c, &one, r, 0, 1);
    }
    if (rc) goto fail;
  }

  if ((rc = bind_columns(&c, f->response))) goto fail;
  if (f->offset && !whole_bars && (rc = bind_columns(&c, (lmm_expr *)f->offset))) goto fail;
  for (int i = 0; i < f->nvars && !whole_bars; i++)   /* whole_bars: variables unchecked, and no columns read */
    if ((rc = bind_columns(&c, (lmm_expr *)f->vars[i].ex))) goto fail;
  tl_free(&l);
  *out = f;
  return LMM_OK;
fail:
  tl_free(&l);
  lmm_formula_free(f);
  return rc ? rc : lmm_nomem(err);
}

int lmm_formula_parse(const char *formula, const char *random, lmm_formula **out, lmm_error *err) {
  return parse(formula, random, 0, out, err);
}

int lmm_formula_parse_terms(const char *formula, lmm_formula **out, lmm_error *err) {
  return parse(formula, NULL, 1, out, err);
}

int lmm_formula_carry(lmm_formula *f, const char *text, const char *what, int as_group, int *var, lmm_error *err) {
  lmm_expr **trees = lmm_realloc(f->carry_trees, sizeof *trees * (size_t)(f->ncarry + 1));
  if (!trees) return lmm_nomem(err);
  f->carry_trees = trees;
  int rc = lmm_expr_parse(text, what, &trees[f->ncarry], err);
  if (rc) return rc;
  ctx c = {f, text, what, err, 0};
  lmm_expr *e = trees[f->ncarry++];
  if (e->kind != EX_NAME && !(e->kind == EX_CALL && as_group && is_factor_call(e)) && (as_group || e->kind == EX_CALL))
    return lmm_fail(err, LMM_ERR, "%s: '%s' must be a column%s", what, text, as_group ? " (or factor(column))" : "");
  if ((rc = variable(&c, e, var))) return rc;
  if (as_group) f->vars[*var].used_as_group = 1;
  else f->vars[*var].carried = 1;
  return bind_columns(&c, (lmm_expr *)f->vars[*var].ex);
}

void lmm_formula_free(lmm_formula *f) {
  if (!f) return;
  for (int i = 0; i < f->ncarry; i++) lmm_expr_free(f->carry_trees[i]);
  lmm_free(f->carry_trees);
  lmm_free(f->response_label);
  lmm_free(f->offset_label);
  lmm_free(f->fixed.terms);
  for (int i = 0; i < f->nbars; i++) {
    lmm_free(f->bars[i].model.terms);
    lmm_free(f->bars[i].group);
    lmm_free(f->bars[i].grp_name);
  }
  lmm_free(f->bars);
  for (int i = 0; i < f->nvars; i++) {
    lmm_free(f->vars[i].label);
    coding_free(&f->vars[i].coding);
  }
  for (int i = 0; i < f->ncols; i++) lmm_free(f->cols[i]);
  lmm_free(f->cols);
  lmm_expr_free(f->tree);
  lmm_expr_free(f->random_tree);
  lmm_free(f);
}
