/* expr.c — tokenizer, recursive-descent parser, deparser and evaluator for
 * formula trees.  Operator precedence follows R: ~ < | || < + - < * / < : <
 * unary minus < ^ (right associative). */
#include "expr.h"
#include "alloc.h"
#include "numfmt.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For the helpers of the recursive walks below, whose frames would otherwise be part of every level */
#define OUT_OF_LINE __attribute__((noinline))

typedef struct parser {
  const char *text;
  const char *what;
  int pos;
  lmm_error *err;
  int depth;   /* rules inside one another that have not returned: parentheses, calls, signs, powers */
  int nodes;   /* nodes made so far */
} parser;

static void skip_ws(parser *p) {
  while (p->text[p->pos] && isspace((unsigned char)p->text[p->pos])) p->pos++;
}

static int syntax_error(parser *p, int at, const char *why) {
  int len = (int)strlen(p->text);
  if (at > len) at = len;
  if (at >= len)
    return lmm_fail(p->err, LMM_ERR, "%s syntax error at character %d (end of text): %s in \"%s\"",
                    p->what, at + 1, why, p->text);
  return lmm_fail(p->err, LMM_ERR, "%s syntax error at character %d ('%.12s'): %s in \"%s\"", p->what,
                  at + 1, p->text + at, why, p->text);
}

/* The limits of expr.h.  Their messages leave out the text, which is long whenever they apply. */
static int too_deep(parser *p, int at) {
  return lmm_fail(p->err, LMM_ERR, "%s nests deeper than %d levels at character %d ('%.12s'): each parenthesis, "
                  "function call, sign and power inside another is a level; write it with fewer, or compute the value "
                  "in the data query and use its column", p->what, LMM_EXPR_MAX_NESTING, at + 1, p->text + at);
}

static int too_high(parser *p, int at) {
  return lmm_fail(p->err, LMM_ERR, "%s is more than %d operators deep at character %d ('%.12s'): each operator of a "
                  "chain such as a + b + c adds one; group a long chain in parentheses, as in (a + b) + (c + d), or "
                  "compute the value in the data query", p->what, LMM_EXPR_MAX_HEIGHT, at + 1, p->text + at);
}

static int too_many_nodes(parser *p, int at) {
  return lmm_fail(p->err, LMM_ERR, "%s has more than %d names, numbers and operators (the limit is reached at "
                  "character %d); a model needs far fewer: write interactions as (a + b + c)^2, and compute long "
                  "arithmetic in the data query", p->what, LMM_EXPR_MAX_NODES, at + 1);
}

/* Every rule that calls itself goes one level down through here, so that no mix of parentheses, calls,
 * signs and powers takes the parser deeper than LMM_EXPR_MAX_NESTING levels. */
static int descend(parser *p, int at) {
  if (++p->depth <= LMM_EXPR_MAX_NESTING) return 1;
  too_deep(p, at);
  return 0;
}

static lmm_expr *node(parser *p, lmm_expr_kind kind, int pos, int nargs) {
  if (++p->nodes > LMM_EXPR_MAX_NODES) { too_many_nodes(p, pos); return NULL; }
  lmm_expr *e = lmm_calloc(1, sizeof *e);
  if (!e) { lmm_nomem(p->err); return NULL; }
  e->kind = kind;
  e->pos = pos;
  e->column = -1;
  e->height = 1;
  if (nargs) {
    e->args = lmm_calloc((size_t)nargs, sizeof *e->args);
    if (!e->args) { lmm_free(e); lmm_nomem(p->err); return NULL; }
  }
  e->nargs = nargs;
  return e;
}

/* A node with its children in place: its height, which may not pass LMM_EXPR_MAX_HEIGHT (freed if it does). */
static lmm_expr *seal(parser *p, lmm_expr *e) {
  int below = 0;
  for (int i = 0; i < e->nargs; i++)
    if (e->args[i] && e->args[i]->height > below) below = e->args[i]->height;
  e->height = below + 1;
  if (e->height <= LMM_EXPR_MAX_HEIGHT) return e;
  too_high(p, e->pos);
  lmm_expr_free(e);
  return NULL;
}

void lmm_expr_columns(const lmm_expr *e, int *used) {
  if (e->kind == EX_NAME) used[e->column] = 1;
  for (int i = 0; i < e->nargs; i++) lmm_expr_columns(e->args[i], used);
}

void lmm_expr_free(lmm_expr *e) {
  if (!e) return;
  for (int i = 0; i < e->nargs; i++) lmm_expr_free(e->args[i]);
  lmm_free(e->args);
  lmm_free(e->name);
  lmm_free(e);
}

static lmm_expr *parse_level(parser *p, int level);

static lmm_expr *binop(parser *p, char op, int pos, lmm_expr *l, lmm_expr *r) {
  if (!l || !r) { lmm_expr_free(l); lmm_expr_free(r); return NULL; }
  lmm_expr *e = node(p, EX_BINOP, pos, 2);
  if (!e) { lmm_expr_free(l); lmm_expr_free(r); return NULL; }
  e->op = op;
  e->args[0] = l;
  e->args[1] = r;
  return seal(p, e);
}

/* R's names, letters taken as R takes them in a UTF-8 locale: a byte past ASCII is part of a letter (Dä, Größe,
 * 年齢), never an operator, so it continues or starts a name as an ASCII letter does. */
static int is_name_start(int c) { return isalpha(c) || c == '.' || c == '_' || c >= 0x80; }
static int is_name_char(int c) { return isalnum(c) || c == '.' || c == '_' || c >= 0x80; }

/* An argument: `name = value` (R's named argument; '==' is no name) or a value */
static lmm_expr *parse_arg(parser *p) {
  const char *s = p->text;
  int start = p->pos, end = start;
  while (is_name_char((unsigned char)s[end])) end++;
  int after = end;
  while (s[after] && isspace((unsigned char)s[after])) after++;
  if (end == start || !is_name_start((unsigned char)s[start]) || s[after] != '=' || s[after + 1] == '=')
    return parse_level(p, 1);  /* arguments: no top-level ~ */
  lmm_expr *e = node(p, EX_ARG, start, 1);
  if (!e) return NULL;
  if (!(e->name = lmm_strndup(s + start, (size_t)(end - start)))) { lmm_expr_free(e); lmm_nomem(p->err); return NULL; }
  p->pos = after + 1;
  if (!(e->args[0] = parse_level(p, 1))) { lmm_expr_free(e); return NULL; }
  return seal(p, e);
}

/* name(args), with the name read: the arguments up to the closing ')' */
static lmm_expr *parse_args(parser *p, lmm_expr *e) {
  const char *s = p->text;
  p->pos++;
  skip_ws(p);
  if (s[p->pos] == ')') { p->pos++; return seal(p, e); }
  for (;;) {
    skip_ws(p);
    lmm_expr *a = parse_arg(p);
    if (!a) { lmm_expr_free(e); return NULL; }
    lmm_expr **grown = lmm_realloc(e->args, sizeof *grown * ((size_t)e->nargs + 1));
    if (!grown) { lmm_expr_free(a); lmm_expr_free(e); lmm_nomem(p->err); return NULL; }
    e->args = grown;
    e->args[e->nargs++] = a;
    skip_ws(p);
    if (s[p->pos] == ',') { p->pos++; continue; }
    if (s[p->pos] == ')') { p->pos++; return seal(p, e); }
    lmm_expr_free(e);
    syntax_error(p, p->pos, "expected ',' or ')' in the arguments of a call");
    return NULL;
  }
}

/* ( expr ), the '(' read */
static lmm_expr *parse_paren(parser *p, int start) {
  p->pos++;
  lmm_expr *inner = parse_level(p, 0);
  if (!inner) return NULL;
  skip_ws(p);
  if (p->text[p->pos] != ')') { lmm_expr_free(inner); syntax_error(p, p->pos, "expected ')'"); return NULL; }
  p->pos++;
  lmm_expr *e = node(p, EX_PAREN, start, 1);
  if (!e) { lmm_expr_free(inner); return NULL; }
  e->args[0] = inner;
  return seal(p, e);
}

/* A text literal, 'a' or "a", the quote at p->pos: R's escapes \\ \' \" \n \t; no NUL byte (\0 is refused, as R
 * refuses it) */
static lmm_expr *parse_string(parser *p) {
  const char *s = p->text;
  int start = p->pos;
  char quote = s[start];
  size_t n = 0;
  for (int i = start + 1;; i++, n++) {   /* validated and measured first */
    if (!s[i]) { syntax_error(p, start, "unterminated text (a quote that is not closed)"); return NULL; }
    if (s[i] == quote) break;
    if (s[i] == '\\' && (!s[++i] || !strchr("\\'\"nt", s[i]))) {
      if (!s[i]) { syntax_error(p, start, "unterminated text (a quote that is not closed)"); return NULL; }
      syntax_error(p, i - 1, "unknown escape in text (known: \\\\ \\' \\\" \\n \\t)");
      return NULL;
    }
  }
  lmm_expr *e = node(p, EX_STR, start, 0);
  if (!e) return NULL;
  if (!(e->name = lmm_malloc(n + 1))) { lmm_expr_free(e); lmm_nomem(p->err); return NULL; }
  int i = start + 1;
  for (size_t k = 0; k < n; k++, i++) {
    char c = s[i];
    if (c == '\\') { c = s[++i]; c = c == 'n' ? '\n' : c == 't' ? '\t' : c; }
    e->name[k] = c;
  }
  e->name[n] = 0;
  p->pos = i + 1;
  return e;
}

/* primary := number | name | `name` | 'text' | "text" | name(args) | ( expr ) */
static lmm_expr *parse_primary(parser *p) {
  skip_ws(p);
  const char *s = p->text;
  int start = p->pos;
  int c = (unsigned char)s[start];
  lmm_expr *e = NULL;
  if (c == '(') {
    if (!descend(p, start)) return NULL;
    e = parse_paren(p, start);
    p->depth--;
  } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[start + 1]))) {
    char *end;
    double v = strtod(s + start, &end);
    if (end == s + start) { syntax_error(p, start, "bad number"); return NULL; }
    p->pos = (int)(end - s);
    if (is_name_char((unsigned char)s[p->pos])) { syntax_error(p, p->pos, "unexpected character after number"); return NULL; }
    e = node(p, EX_NUM, start, 0);
    if (e) e->num = v;
  } else if (c == '\'' || c == '"') {
    e = parse_string(p);
  } else if (c == '`') {
    const char *close = strchr(s + start + 1, '`');
    if (!close) { syntax_error(p, start, "unterminated back-quoted name"); return NULL; }
    if (close == s + start + 1) { syntax_error(p, start, "empty back-quoted name"); return NULL; }
    e = node(p, EX_NAME, start, 0);
    if (!e) return NULL;
    e->name = lmm_strndup(s + start + 1, (size_t)(close - s - start - 1));
    if (!e->name) { lmm_expr_free(e); lmm_nomem(p->err); return NULL; }
    p->pos = (int)(close - s) + 1;
  } else if (is_name_start(c)) {
    int end = start;
    while (is_name_char((unsigned char)s[end])) end++;
    p->pos = end;
    skip_ws(p);
    int is_call = s[p->pos] == '(';
    /* R finds pi in its base environment, and formulas such as Ovary's
     * sin(2*pi*Time) use it; a column named pi is read as `pi` */
    int is_pi = !is_call && end - start == 2 && !strncmp(s + start, "pi", 2);
    e = node(p, is_call ? EX_CALL : is_pi ? EX_CONST : EX_NAME, start, 0);
    if (!e) return NULL;
    e->name = lmm_strndup(s + start, (size_t)(end - start));
    if (!e->name) { lmm_expr_free(e); lmm_nomem(p->err); return NULL; }
    if (is_pi) e->num = M_PI;
    if (is_call) {
      if (!descend(p, start)) { lmm_expr_free(e); return NULL; }
      e = parse_args(p, e);
      p->depth--;
    }
  } else if (c == 0) {
    syntax_error(p, start, "the text ends where a term was expected");
  } else {
    syntax_error(p, start, "unexpected character");
  }
  return e;
}

/* power := primary ('^' unary)?   right associative, binds tighter than unary minus */
static lmm_expr *parse_unary(parser *p);
static lmm_expr *parse_power(parser *p) {
  lmm_expr *base = parse_primary(p);
  if (!base) return NULL;
  skip_ws(p);
  if (p->text[p->pos] != '^') return base;
  int at = p->pos++;
  if (!descend(p, at)) { lmm_expr_free(base); return NULL; }
  lmm_expr *exponent = parse_unary(p);
  p->depth--;
  return binop(p, '^', at, base, exponent);
}

static lmm_expr *parse_unary(parser *p) {
  skip_ws(p);
  char c = p->text[p->pos];
  if (c != '-' && c != '+') return parse_power(p);
  int at = p->pos++;
  if (!descend(p, at)) return NULL;
  lmm_expr *inner = parse_unary(p);
  p->depth--;
  if (!inner) return NULL;
  lmm_expr *e = node(p, c == '-' ? EX_NEG : EX_POS, at, 1);
  if (!e) { lmm_expr_free(inner); return NULL; }
  e->args[0] = inner;
  return seal(p, e);
}

/* Binary levels from loosest to tightest; level 0 adds '~'.  Each level reads its chain in a loop: the
 * parser's depth is bounded by nesting, the tree's height by seal().  R's %in% sits between * / and :,
 * as R's special operators do; 'I' stands for it in the tree. */
static const char *level_ops[] = {"~", "|B", "+-", "*/", "I", ":"};
enum { NLEVELS = 6, LEVEL_IN = 4 };

static char peek_op(parser *p, int level) {
  skip_ws(p);
  const char *s = p->text + p->pos;
  const char *ops = level_ops[level];
  if (level == 1) return s[0] == '|' ? (s[1] == '|' ? 'B' : '|') : 0;  /* 'B' is internal, never in text */
  if (level == LEVEL_IN) return strncmp(s, "%in%", 4) ? 0 : 'I';
  if (s[0] && strchr(ops, s[0])) return s[0];
  return 0;
}

static lmm_expr *parse_level(parser *p, int level) {
  if (level >= NLEVELS) return parse_unary(p);
  skip_ws(p);
  lmm_expr *left;
  if (level == 0 && p->text[p->pos] == '~') left = NULL; /* one-sided formula */
  else if (!(left = parse_level(p, level + 1))) return NULL;
  for (;;) {
    char op = peek_op(p, level);
    if (!op) break;
    int at = p->pos;
    p->pos += op == 'B' ? 2 : op == 'I' ? 4 : 1;
    lmm_expr *right = parse_level(p, level + 1);
    if (!right) { lmm_expr_free(left); return NULL; }
    if (!left) {           /* "~ rhs" */
      lmm_expr *e = node(p, EX_BINOP, at, 2);
      if (!e) { lmm_expr_free(right); return NULL; }
      e->op = '~';
      e->args[1] = right;
      if (!(left = seal(p, e))) return NULL;
      continue;
    }
    left = binop(p, op, at, left, right);
    if (!left) return NULL;
    if (level == 0) break; /* a single ~ */
  }
  return left;
}

int lmm_expr_parse(const char *text, const char *what, lmm_expr **out, lmm_error *err) {
  parser p = {text, what, 0, err, 0, 0};
  *out = NULL;
  /* positions are ints */
  if (strlen(text) >= INT_MAX) return lmm_fail(err, LMM_ERR, "%s is longer than %d characters", what, INT_MAX - 1);
  skip_ws(&p);
  if (!text[p.pos]) return lmm_fail(err, LMM_ERR, "%s is empty", what);
  lmm_expr *e = parse_level(&p, 0);
  if (!e) return err->code ? err->code : lmm_nomem(err);
  skip_ws(&p);
  if (text[p.pos]) {
    lmm_expr_free(e);
    return syntax_error(&p, p.pos, text[p.pos] == ')' ? "unbalanced ')'" : "unexpected text");
  }
  *out = e;
  return LMM_OK;
}

/* ---- deparse ---------------------------------------------------------- */

typedef struct sbuf { char *s; size_t n, cap; int oom; } sbuf;

static void sb_add(sbuf *b, const char *t, size_t n) {
  if (b->oom) return;
  if (n >= SIZE_MAX / 4 - b->n) { b->oom = 1; return; }  /* so that cap below cannot wrap */
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->n + n + 1) cap *= 2;
    char *g = lmm_realloc(b->s, cap);
    if (!g) { b->oom = 1; return; }
    b->s = g;
    b->cap = cap;
  }
  memcpy(b->s + b->n, t, n);
  b->n += n;
  b->s[b->n] = 0;
}
static void sb_str(sbuf *b, const char *t) { sb_add(b, t, strlen(t)); }

static int needs_backquote(const char *name) {
  if (!is_name_start((unsigned char)name[0])) return 1;
  for (const char *c = name; *c; c++)
    if (!is_name_char((unsigned char)*c)) return 1;
  return 0;
}

/* Out of line, as are the messages of lmm_expr_check_arith: the walks recurse as high as a tree is, and
 * a buffer or a call with many arguments would weigh on every level. */
static OUT_OF_LINE void deparse_number(sbuf *b, double v) {
  char num[64];
  lmm_format_number(v, num);
  sb_str(b, num);
}

/* As R's deparse() prints a string: in double quotes, with \\ \" \n \t escaped */
static OUT_OF_LINE void deparse_string(sbuf *b, const char *t) {
  sb_str(b, "\"");
  for (; *t; t++) {
    const char *esc = *t == '"' ? "\\\"" : *t == '\\' ? "\\\\" : *t == '\n' ? "\\n" : *t == '\t' ? "\\t" : NULL;
    if (esc) sb_str(b, esc);
    else sb_add(b, t, 1);
  }
  sb_str(b, "\"");
}

static void deparse(sbuf *b, const lmm_expr *e) {
  switch (e->kind) {
  case EX_NUM: deparse_number(b, e->num); break;
  case EX_CONST: sb_str(b, e->name); break;
  case EX_NAME:
    if (needs_backquote(e->name)) { sb_str(b, "`"); sb_str(b, e->name); sb_str(b, "`"); }
    else sb_str(b, e->name);
    break;
  case EX_CALL:
    sb_str(b, e->name);
    sb_str(b, "(");
    for (int i = 0; i < e->nargs; i++) {
      if (i) sb_str(b, ", ");
      deparse(b, e->args[i]);
    }
    sb_str(b, ")");
    break;
  case EX_NEG: sb_str(b, "-"); deparse(b, e->args[0]); break;
  case EX_POS: sb_str(b, "+"); deparse(b, e->args[0]); break;
  case EX_PAREN: sb_str(b, "("); deparse(b, e->args[0]); sb_str(b, ")"); break;
  case EX_STR: deparse_string(b, e->name); break;
  case EX_ARG: sb_str(b, e->name); sb_str(b, " = "); deparse(b, e->args[0]); break;
  case EX_BINOP: {
    /* R prints ^ : / without spaces and the others with */
    const char *op = e->op == '^' ? "^" : e->op == ':' ? ":" : e->op == '/' ? "/" :
                     e->op == '+' ? " + " : e->op == '-' ? " - " : e->op == '*' ? " * " :
                     e->op == '|' ? " | " : e->op == 'B' ? " || " : e->op == 'I' ? " %in% " : " ~ ";
    if (e->args[0]) deparse(b, e->args[0]);
    else if (e->op == '~') op = "~";
    sb_str(b, op);
    deparse(b, e->args[1]);
    break;
  }
  }
}

char *lmm_expr_deparse(const lmm_expr *e) {
  sbuf b = {0};
  deparse(&b, e);
  if (b.oom) { lmm_free(b.s); return NULL; }
  return b.s;
}

/* ---- arithmetic ------------------------------------------------------- */

/* second: the name R's second argument may be given by (log(x, base = 2)) */
typedef struct arith_fn { const char *name; int minargs, maxargs; const char *second; } arith_fn;
static const arith_fn arith_fns[] = {
  {"I", 1, 1, NULL}, {"log", 1, 2, "base"}, {"log1p", 1, 1, NULL}, {"log2", 1, 1, NULL}, {"log10", 1, 1, NULL},
  {"exp", 1, 1, NULL}, {"expm1", 1, 1, NULL}, {"sqrt", 1, 1, NULL}, {"abs", 1, 1, NULL},
  {"sin", 1, 1, NULL}, {"cos", 1, 1, NULL}, {"tan", 1, 1, NULL}, {"as.numeric", 1, 1, NULL}, {"pmin", 2, 2, NULL},
  {"pmax", 2, 2, NULL},
};

/* What a formula may call besides arithmetic, for the message about a function it may not (formula.c and
 * bases.c know them). */
#define MODEL_CALLS "factor, as.factor, ordered, relevel and C for factors; scale, poly, ns and bs for bases; offset"

static const arith_fn *arith_fn_of(const lmm_expr *e) {
  for (size_t i = 0; e->kind == EX_CALL && i < sizeof arith_fns / sizeof *arith_fns; i++)
    if (!strcmp(arith_fns[i].name, e->name)) return &arith_fns[i];
  return NULL;
}

/* Argument i of call e, past its name where the function takes it by that name. */
static const lmm_expr *call_arg(const lmm_expr *e, int i) {
  const arith_fn *f = arith_fn_of(e);
  const lmm_expr *a = e->args[i];
  return a->kind == EX_ARG && i == 1 && f && f->second && !strcmp(a->name, f->second) ? a->args[0] : a;
}

/* A call of a known arithmetic function with the right number of arguments; else the message */
static OUT_OF_LINE int check_call(const lmm_expr *e, const char *what, const char *text, lmm_error *err) {
  const arith_fn *f = arith_fn_of(e);
  if (!f) {
    char names[256] = "";
    for (size_t i = 0; i < sizeof arith_fns / sizeof *arith_fns; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", arith_fns[i].name);
    return lmm_fail(err, LMM_ERR, "%s: unknown function '%s' at character %d of \"%s\"; a formula calls %s in "
                    "arithmetic, and " MODEL_CALLS, what, e->name, e->pos + 1, text, names);
  }
  if (e->nargs < f->minargs || e->nargs > f->maxargs)
    return lmm_fail(err, LMM_ERR, "%s: %s() takes %d argument%s, not %d (character %d of \"%s\")",
                    what, e->name, f->maxargs, f->maxargs > 1 ? "s" : "", e->nargs, e->pos + 1, text);
  return LMM_OK;
}

static OUT_OF_LINE int not_arithmetic(const lmm_expr *e, const char *what, const char *text, lmm_error *err) {
  return lmm_fail(err, LMM_ERR, "%s: operator '%s' at character %d of \"%s\" is not arithmetic here; wrap arithmetic in I()",
                  what, e->op == 'B' ? "||" : e->op == 'I' ? "%in%" : (char[]){e->op, 0}, e->pos + 1, text);
}

static OUT_OF_LINE int not_number(const lmm_expr *e, const char *what, const char *text, lmm_error *err) {
  if (e->kind == EX_STR)
    return lmm_fail(err, LMM_ERR, "%s: the text '%s' at character %d of \"%s\" is not a number; texts are levels, as in "
                    "relevel(f, ref = \"b\") or factor(x, levels = c(\"b\", \"a\"))", what, e->name, e->pos + 1, text);
  return lmm_fail(err, LMM_ERR, "%s: the named argument '%s =' at character %d of \"%s\" is not taken by arithmetic",
                  what, e->name, e->pos + 1, text);
}

int lmm_expr_check_arith(const lmm_expr *e, const char *what, const char *text, lmm_error *err) {
  switch (e->kind) {
  case EX_NUM: case EX_CONST: case EX_NAME: return LMM_OK;
  case EX_STR: case EX_ARG: return not_number(e, what, text, err);
  case EX_CALL: {
    int rc = check_call(e, what, text, err);
    if (rc) return rc;
    break;
  }
  case EX_BINOP:
    if (!strchr("+-*/^", e->op)) return not_arithmetic(e, what, text, err);
    break;
  default: break;
  }
  for (int i = 0; i < e->nargs; i++) {
    int rc = lmm_expr_check_arith(e->kind == EX_CALL ? call_arg(e, i) : e->args[i], what, text, err);
    if (rc) return rc;
  }
  return LMM_OK;
}

double lmm_expr_eval(const lmm_expr *e, const double *v) {
  switch (e->kind) {
  case EX_NUM: case EX_CONST: return e->num;
  case EX_NAME: return v[e->column];
  case EX_NEG: return -lmm_expr_eval(e->args[0], v);
  case EX_POS: case EX_PAREN: return lmm_expr_eval(e->args[0], v);
  case EX_STR: case EX_ARG: return NAN;   /* refused by lmm_expr_check_arith */
  case EX_BINOP: {
    double a = lmm_expr_eval(e->args[0], v), b = lmm_expr_eval(e->args[1], v);
    switch (e->op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '^': return pow(a, b);
    default: return NAN;
    }
  }
  case EX_CALL: {
    double a = lmm_expr_eval(e->args[0], v);
    const char *f = e->name;
    if (!strcmp(f, "I") || !strcmp(f, "as.numeric")) return a;   /* as.numeric: text is read as a number (row_eval.c) */
    if (!strcmp(f, "log")) return e->nargs == 2 ? log(a) / log(lmm_expr_eval(call_arg(e, 1), v)) : log(a);
    if (!strcmp(f, "log1p")) return log1p(a);
    if (!strcmp(f, "log2")) return log2(a);
    if (!strcmp(f, "log10")) return log10(a);
    if (!strcmp(f, "exp")) return exp(a);
    if (!strcmp(f, "expm1")) return expm1(a);
    if (!strcmp(f, "sqrt")) return sqrt(a);
    if (!strcmp(f, "abs")) return fabs(a);
    if (!strcmp(f, "sin")) return sin(a);
    if (!strcmp(f, "cos")) return cos(a);
    if (!strcmp(f, "tan")) return tan(a);
    if (!strcmp(f, "pmin") || !strcmp(f, "pmax")) {   /* R's: NaN when either is */
      double b = lmm_expr_eval(e->args[1], v);
      if (isnan(a) || isnan(b)) return NAN;
      return (f[2] == 'i') == (a < b) ? a : b;
    }
    return NAN;
  }
  }
  return NAN;
}
