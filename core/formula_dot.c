/* formula_dot.c — '.' in a formula: the data's other columns, or an old formula's sides (formula_dot.h).
 *
 * Both work on the text: the parse tree says where each '.' is (a bare '.' or `.`), and the text is
 * copied with those spans replaced, so that everything else stays as the user wrote it. */
#include "formula_dot.h"
#include "alloc.h"
#include "expr.h"
#include "formula.h"

#include <string.h>
#include <strings.h>

/* Every '.' of a tree, in the order of the text: where, and how (DOT_RIGHT | DOT_OPERAND). */
typedef struct dots { int n, cap; int *pos, *how; } dots;
enum { DOT_RIGHT = 1,    /* on the right of '~' */
       DOT_OPERAND = 2   /* an operand of + - * / ^ (not of '~' or a call): a side that lands there needs parentheses */
};

static int is_dot(const lmm_expr *e) { return e->kind == EX_NAME && !strcmp(e->name, "."); }
static int is_bar(const lmm_expr *e) { return e->kind == EX_BINOP && (e->op == '|' || e->op == 'B'); }

static int collect_dots(const lmm_expr *e, int how, dots *d) {
  if (is_dot(e)) {
    if (d->n == d->cap) {
      int cap = d->cap ? 2 * d->cap : 8;
      int *pos = lmm_realloc(d->pos, sizeof *pos * (size_t)cap);
      if (pos) d->pos = pos;
      int *kind = pos ? lmm_realloc(d->how, sizeof *kind * (size_t)cap) : NULL;
      if (!kind) return LMM_NOMEM;
      d->how = kind;
      d->cap = cap;
    }
    d->pos[d->n] = e->pos;
    d->how[d->n++] = how;
  }
  int tilde = e->kind == EX_BINOP && e->op == '~';
  int operand = (e->kind == EX_BINOP && !tilde) || e->kind == EX_NEG || e->kind == EX_POS ? DOT_OPERAND : 0;
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i]) {
      int rc = collect_dots(e->args[i], (how & DOT_RIGHT) | (tilde && i == 1 ? DOT_RIGHT : 0) | operand, d);
      if (rc) return rc;
    }
  return LMM_OK;
}

static void dots_free(dots *d) {
  lmm_free(d->pos);
  lmm_free(d->how);
}

/* text with each '.' replaced by with[how]; NULL when out of memory. */
static char *splice(const char *text, const dots *d, const char *const with_how[4]) {
  size_t n = strlen(text) + 1;
  for (int i = 0; i < d->n; i++) n += strlen(with_how[d->how[i]]);
  char *out = lmm_malloc(n), *o = out;
  if (!out) return NULL;
  size_t from = 0;
  for (int i = 0; i < d->n; i++) {
    size_t at = (size_t)d->pos[i], len = text[at] == '`' ? 3 : 1;
    const char *with = with_how[d->how[i]];
    memcpy(o, text + from, at - from);
    o += at - from;
    memcpy(o, with, strlen(with));
    o += strlen(with);
    from = at + len;
  }
  strcpy(o, text + from);
  return out;
}

/* Parse text, a syntax error left to the caller's later parse (*t NULL): only want of memory fails. */
static int parse_quietly(const char *text, lmm_expr **t, lmm_error *err) {
  lmm_error why = {0};
  if (!lmm_expr_parse(text, "formula", t, &why)) return LMM_OK;
  return why.code == LMM_NOMEM ? lmm_nomem(err) : LMM_OK;
}

int lmm_formula_has_dot(const char *formula, int *has, lmm_error *err) {
  lmm_expr *t = NULL;
  dots d = {0};
  *has = 0;
  int rc = parse_quietly(formula, &t, err);
  if (!rc && t && collect_dots(t, 0, &d)) rc = lmm_nomem(err);
  *has = !rc && d.n > 0;
  dots_free(&d);
  lmm_expr_free(t);
  return rc;
}

/* ---- the data's other columns ------------------------------------------- */

/* Names a formula uses otherwise, which '.' leaves out. */
typedef struct names { int n, cap; const char **name; } names;

static int add_names(const lmm_expr *e, names *u) {
  if (e->kind == EX_NAME) {
    if (u->n == u->cap) {
      int cap = u->cap ? 2 * u->cap : 16;
      const char **g = lmm_realloc(u->name, sizeof *g * (size_t)cap);
      if (!g) return LMM_NOMEM;
      u->name = g;
      u->cap = cap;
    }
    u->name[u->n++] = e->name;
  }
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i] && add_names(e->args[i], u)) return LMM_NOMEM;
  return LMM_OK;
}

/* The grouping factors of the right-hand side's bars and what its offset() calls read. */
static int add_used(const lmm_expr *e, names *u) {
  if (e->kind == EX_PAREN && is_bar(e->args[0])) return add_names(e->args[0]->args[1], u);
  if (e->kind == EX_CALL && !strcmp(e->name, "offset")) return add_names(e, u);
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i] && add_used(e->args[i], u)) return LMM_NOMEM;
  return LMM_OK;
}

/* The grouping factors of an nlme random part ("x | a/b", "~ 1 | g", "g"); one that does not parse
 * adds none, and lmm_formula_parse says why. */
static int add_random(const char *random, names *u, lmm_expr **tree, lmm_error *err) {
  if (!random || !random[strspn(random, " \t\r\n")]) return LMM_OK;
  int rc = parse_quietly(random, tree, err);
  if (rc || !*tree) return rc;
  const lmm_expr *r = *tree;
  if (r->kind == EX_BINOP && r->op == '~') r = r->args[1];
  return add_names(is_bar(r) ? r->args[1] : r, u) ? lmm_nomem(err) : LMM_OK;
}

static int used(const names *u, const char *col) {
  for (int i = 0; i < u->n; i++)
    if (!strcasecmp(u->name[i], col)) return 1;   /* as SQLite matches column names */
  return 0;
}

/* "(a + b + `c d`)": the columns not used, as a formula writes them. */
static int other_columns(const names *u, int ncols, const char *const *cols, char **out, lmm_error *err) {
  size_t n = 3;
  char **names = lmm_calloc((size_t)(ncols ? ncols : 1), sizeof *names);
  int rc = names ? LMM_OK : lmm_nomem(err), k = 0;
  for (int i = 0; i < ncols && !rc; i++) {
    if (used(u, cols[i])) continue;
    if (strchr(cols[i], '`')) {
      rc = lmm_fail(err, LMM_ERR, "formula: '.' cannot stand for the column '%.100s', whose name has a '`' that no "
                    "formula can write: list the columns instead of '.', or rename that one", cols[i]);
      break;
    }
    lmm_expr name = {.kind = EX_NAME, .name = (char *)cols[i], .column = -1};
    if (!(names[k] = lmm_expr_deparse(&name))) rc = lmm_nomem(err);
    else n += strlen(names[k++]) + 3;
  }
  char *s = rc || !k ? NULL : lmm_malloc(n);
  if (!rc && k && !s) rc = lmm_nomem(err);
  if (s) {
    strcpy(s, "(");
    for (int i = 0; i < k; i++) {
      if (i) strcat(s, " + ");
      strcat(s, names[i]);
    }
    strcat(s, ")");
  }
  for (int i = 0; i < k; i++) lmm_free(names[i]);
  lmm_free(names);
  *out = s;
  return rc;
}

int lmm_formula_expand_dot(const char *formula, const char *random, int ncols, const char *const *cols, char **out,
                           lmm_error *err) {
  *out = NULL;
  lmm_expr *t = NULL, *r = NULL;
  names u = {0};
  dots d = {0};
  char *columns = NULL;
  int rc = lmm_expr_parse(formula, "formula", &t, err);
  if (rc) return rc;
  /* without a response the parse of the formula says so; a '.' in the response too */
  if (t->kind != EX_BINOP || t->op != '~' || !t->args[0]) {
    if (!(*out = lmm_strdup(formula))) rc = lmm_nomem(err);
    goto done;
  }
  if (collect_dots(t, 0, &d) || add_names(t->args[0], &u) || add_used(t->args[1], &u)) {
    rc = lmm_nomem(err);
    goto done;
  }
  if ((rc = add_random(random, &u, &r, err))) goto done;
  if ((rc = other_columns(&u, ncols, cols, &columns, err))) goto done;
  int first = 0;
  while (first < d.n && !(d.how[first] & DOT_RIGHT)) first++;
  if (!columns && first < d.n) {
    rc = lmm_fail(err, LMM_ERR, "formula: '.' at character %d stands for the columns of the data that the formula does "
                  "not otherwise use, and there are none: each of the data's %d columns is the response, a grouping "
                  "factor or an offset", d.pos[first] + 1, ncols);
    goto done;
  }
  const char *with = columns ? columns : ".";
  if (!(*out = splice(formula, &d, (const char *const[4]){".", with, ".", with}))) rc = lmm_nomem(err);
done:
  lmm_free(columns);
  lmm_free(u.name);
  dots_free(&d);
  lmm_expr_free(t);
  lmm_expr_free(r);
  return rc;
}

/* ---- update ------------------------------------------------------------- */

/* A term's label: its variables' labels joined by ':', in the order they first appear, as R writes it. */
static size_t term_label(const lmm_formula *f, lmm_term t, char *out) {
  size_t n = 0;
  for (int v = 0; v < f->nvars; v++)
    if (t >> v & 1) {
      size_t len = strlen(f->vars[v].label);
      if (n) {
        if (out) out[n] = ':';
        n++;
      }
      if (out) memcpy(out + n, f->vars[v].label, len);
      n += len;
    }
  return n;
}

static int is_offset(const lmm_formula *f, lmm_term t) {
  return lmm_term_order(t) == 1 && !strncmp(f->vars[__builtin_ctzll(t)].label, "offset(", 7);
}

/* "response ~ a + b + a:b + offset(o) - 1": R's formula(terms(x, simplify = TRUE)), offsets after the terms;
 * out NULL: only the length. */
static size_t write_terms(const lmm_formula *f, char *out) {
  size_t n = strlen(f->response_label) + 3;
  if (out) {
    strcpy(out, f->response_label);
    strcat(out, " ~ ");
  }
  int parts = 0;
  for (int offsets = 0; offsets < 2; offsets++)
    for (int i = 0; i < f->fixed.nterms; i++) {
      if (is_offset(f, f->fixed.terms[i]) != offsets) continue;
      if (parts++) {
        if (out) memcpy(out + n, " + ", 3);
        n += 3;
      }
      n += term_label(f, f->fixed.terms[i], out ? out + n : NULL);
    }
  const char *tail = parts ? "" : "1";
  if (!f->fixed.intercept) tail = parts ? " - 1" : "1 - 1";
  if (out) strcpy(out + n, tail);
  return n + strlen(tail);
}

/* An old side as it goes in for a '.': the response as R deparses it, in parentheses (operand) when it is an
 * operation that would bind differently as an operand; the right-hand side as written, in parentheses. */
static char *old_side(const char *old, const lmm_expr *t, int right, int operand) {
  const lmm_expr *lhs = t->args[0];
  char *text = right ? lmm_strdup(old + t->pos + 1) : lmm_expr_deparse(lhs);
  int wrap = right || (operand && (lhs->kind == EX_BINOP || lhs->kind == EX_NEG || lhs->kind == EX_POS));
  if (!text || !wrap) return text;
  char *s = lmm_malloc(strlen(text) + 3);
  if (s) {
    strcpy(s, "(");
    strcat(s, text);
    strcat(s, ")");
  }
  lmm_free(text);
  return s;
}

int lmm_formula_update(const char *old, const char *new_formula, char **out, lmm_error *err) {
  *out = NULL;
  lmm_expr *ot = NULL, *nt = NULL;
  lmm_formula *f = NULL;
  dots d = {0};
  char *left = NULL, *operand = NULL, *right = NULL, *with_lhs = NULL, *spliced = NULL;
  int rc = lmm_expr_parse(old, "the saved formula", &ot, err);
  if (!rc && (ot->kind != EX_BINOP || ot->op != '~' || !ot->args[0]))
    rc = lmm_fail(err, LMM_ERR, "the saved formula \"%.200s\" has no response and '~'", old);
  if (!rc) rc = lmm_expr_parse(new_formula, "formula", &nt, err);
  if (!rc && (nt->kind != EX_BINOP || nt->op != '~'))
    rc = lmm_fail(err, LMM_ERR, "formula \"%.200s\" needs a '~': '.' on either side stands for the old one, as in "
                  "'. ~ . + x' or 'log(.) ~ .'", new_formula);
  if (rc) goto done;
  if (!(left = old_side(old, ot, 0, 0)) || !(operand = old_side(old, ot, 0, 1)) || !(right = old_side(old, ot, 1, 0))) {
    rc = lmm_nomem(err);
    goto done;
  }
  const char *text = new_formula;
  if (!nt->args[0]) {   /* "~ . + x" keeps the old response */
    lmm_expr_free(nt);
    nt = NULL;
    if (!(with_lhs = lmm_malloc(strlen(left) + strlen(new_formula) + 2))) { rc = lmm_nomem(err); goto done; }
    strcpy(with_lhs, left);
    strcat(with_lhs, " ");
    strcat(with_lhs, new_formula);
    text = with_lhs;
    if ((rc = lmm_expr_parse(text, "formula", &nt, err))) goto done;
  }
  if (collect_dots(nt, 0, &d) || !(spliced = splice(text, &d, (const char *const[4]){left, right, operand, right}))) {
    rc = lmm_nomem(err);
    goto done;
  }
  if ((rc = lmm_formula_parse_terms(spliced, &f, err))) goto done;
  if (!(*out = lmm_malloc(write_terms(f, NULL) + 1))) { rc = lmm_nomem(err); goto done; }
  write_terms(f, *out);
done:
  lmm_formula_free(f);
  lmm_free(spliced);
  lmm_free(with_lhs);
  lmm_free(left);
  lmm_free(operand);
  lmm_free(right);
  dots_free(&d);
  lmm_expr_free(ot);
  lmm_expr_free(nt);
  return rc;
}
