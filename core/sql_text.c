/* sql_text.c — SQL text for other engines (sql_text.h): quoting, casts, a formula's arithmetic, the rows a
 * local fit keeps. */
#include "sql_text.h"
#include "alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lmm_sql_put(lmm_sql_buf *b, const char *fmt, ...) {
  if (b->oom) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (b->len + (size_t)n + 1 > b->cap) {
    size_t cap = (b->len + (size_t)n + 1) * 2;
    char *s = lmm_realloc(b->s, cap);
    if (!s) { b->oom = 1; return; }
    b->s = s;
    b->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* A name quoted: a doubled quote stands for one; ClickHouse also reads backslash escapes in a quoted name (as in its
 * text literals), so there a backslash is doubled too, else a name ending in one would close no quote. */
void lmm_sql_quote(lmm_sql_buf *b, int dialect, const char *name) {
  char q = dialect == LMM_SQL_CLICKHOUSE || dialect == LMM_SQL_SPARK ? '`' : '"';
  int bs = dialect == LMM_SQL_CLICKHOUSE;
  lmm_sql_put(b, "%c", q);
  for (const char *p = name; *p; p++) lmm_sql_put(b, *p == q || (bs && *p == '\\') ? "%c%c" : "%c", *p, *p);
  lmm_sql_put(b, "%c", q);
}

void lmm_sql_key(lmm_sql_buf *b, int dialect, const char *name) {
  lmm_sql_quote(b, dialect, name);
  if (dialect == LMM_SQL_SQLITE) lmm_sql_put(b, " COLLATE BINARY");
}

/* One name at p written quoted as SQLite reads it ("a""b", `a`, [a]) into *out, unquoted (lmm_free it); the text
 * after it, or NULL when p holds no quoted name or its quote is not closed. */
static const char *quoted_part(const char *p, char **out) {
  char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
  *out = NULL;
  if (!close) return NULL;
  size_t n = 0;
  const char *q = p + 1;
  for (; *q && !(*q == close && (close == ']' || q[1] != close)); q++, n++)
    if (*q == close) q++;   /* a doubled quote stands for one */
  if (*q != close || !(*out = lmm_malloc(n + 1))) return NULL;
  n = 0;
  for (q = p + 1; !(*q == close && (close == ']' || q[1] != close)); q++) {
    if (*q == close) q++;
    (*out)[n++] = *q;
  }
  (*out)[n] = 0;
  return q + 1;
}

/* The data's name, a table or db.table: each part quoted.  A part already quoted as lmm_fit reads it
 * ("main"."t", [main].t, "a.b".t) is unquoted first: quoted again whole it named no table. */
void lmm_sql_quote_table(lmm_sql_buf *b, int dialect, const char *name) {
  if (*name == '"' || *name == '`' || *name == '[' || strstr(name, ".\"") || strstr(name, ".`") || strstr(name, ".[")) {
    char *first = NULL, *second = NULL;
    const char *p = quoted_part(name, &first);
    if (!p && !first && !strchr("\"`[", *name)) {   /* a bare first part: up to the dot */
      const char *dot = strchr(name, '.');
      if (dot && dot > name && (first = lmm_strndup(name, (size_t)(dot - name)))) p = dot;
    }
    if (p && *p == '.' && strchr("\"`[", p[1])) p = quoted_part(p + 1, &second);
    else if (p && *p == '.' && p[1] && !strpbrk(p + 1, ".\"`[]")) {   /* a bare second part: the rest */
      second = lmm_strndup(p + 1, strlen(p + 1));
      p = second ? p + strlen(p) : NULL;
    }
    if (p && !*p && first) {
      lmm_sql_quote(b, dialect, first);
      if (second) {
        lmm_sql_put(b, ".");
        lmm_sql_quote(b, dialect, second);
      }
      lmm_free(first);
      lmm_free(second);
      return;
    }
    lmm_free(first);
    lmm_free(second);
  }
  const char *dot = strchr(name, '.');
  if (!dot || dot == name || !dot[1]) { lmm_sql_quote(b, dialect, name); return; }
  char *db = lmm_strndup(name, (size_t)(dot - name));
  if (!db) { b->oom = 1; return; }
  lmm_sql_quote(b, dialect, db);
  lmm_free(db);
  lmm_sql_put(b, ".");
  lmm_sql_quote(b, dialect, dot + 1);
}

void lmm_sql_double(lmm_sql_buf *b, int dialect, const char *col) {
  static const char *const close[] = {" AS REAL)", ")", " AS DOUBLE PRECISION)", " AS DOUBLE)", " AS DOUBLE)"};
  lmm_sql_put(b, dialect == LMM_SQL_CLICKHOUSE ? "toFloat64(" : "CAST(");
  lmm_sql_quote(b, dialect, col);
  lmm_sql_put(b, "%s", close[dialect]);
}

void lmm_sql_number(lmm_sql_buf *b, double x) {
  char num[40];
  snprintf(num, sizeof num, "%.17g", x);
  lmm_sql_put(b, "%s%s", num, strpbrk(num, ".eni") ? "" : ".0");
}

static const lmm_expr *arg_of(const lmm_expr *e, int k) {
  const lmm_expr *a = e->args[k];
  return a->kind == EX_ARG ? a->args[0] : a;
}

/* An arithmetic tree as a SQL expression of doubles: every column cast, so that no engine divides integers. */
int lmm_sql_expr(lmm_sql_buf *b, int dialect, const lmm_expr *e, const lmm_formula *f, lmm_error *err) {
  switch (e->kind) {
    case EX_NUM: case EX_CONST:
      if (!isfinite(e->num))   /* printed as inf it would name a column */
        return lmm_fail(err, LMM_ERR, "the number at character %d is beyond a double's range", e->pos + 1);
      lmm_sql_number(b, e->num);
      return LMM_OK;
    case EX_NAME:
      lmm_sql_double(b, dialect, f->cols[e->column]);
      return LMM_OK;
    case EX_NEG: lmm_sql_put(b, "(-"); break;
    case EX_POS: case EX_PAREN: lmm_sql_put(b, "("); break;
    case EX_BINOP:
      if (e->op == '^' && e->args[1]->kind == EX_NUM && (e->args[1]->num == 2 || e->args[1]->num == 3)) {
        lmm_sql_put(b, "(");   /* small integer powers as products: exact, and every engine has them */
        for (int k = 0; k < (int)e->args[1]->num; k++) {
          if (k) lmm_sql_put(b, " * ");
          if (lmm_sql_expr(b, dialect, e->args[0], f, err)) return err->code;
        }
        lmm_sql_put(b, ")");
        return LMM_OK;
      }
      if (e->op == '^') {
        lmm_sql_put(b, dialect == LMM_SQL_CLICKHOUSE ? "pow(" : "power(");
        if (lmm_sql_expr(b, dialect, e->args[0], f, err)) return err->code;
        lmm_sql_put(b, ", ");
        if (lmm_sql_expr(b, dialect, e->args[1], f, err)) return err->code;
        lmm_sql_put(b, ")");
        return LMM_OK;
      }
      if (!strchr("+-*/", e->op))
        return lmm_fail(err, LMM_ERR, "operator '%c' at character %d has no SQL form here", e->op, e->pos + 1);
      lmm_sql_put(b, "(");
      if (lmm_sql_expr(b, dialect, e->args[0], f, err)) return err->code;
      lmm_sql_put(b, " %c ", e->op);
      if (lmm_sql_expr(b, dialect, e->args[1], f, err)) return err->code;
      lmm_sql_put(b, ")");
      return LMM_OK;
    case EX_CALL: {
      const char *fn = e->name, *sql = NULL;
      if (!strcmp(fn, "I") || !strcmp(fn, "as.numeric")) sql = "";
      else if (!strcmp(fn, "log") && e->nargs == 1) sql = dialect == LMM_SQL_CLICKHOUSE ? "log" : "ln";
      else if (!strcmp(fn, "log10")) sql = dialect == LMM_SQL_POSTGRESQL ? "log" : "log10";
      else if (!strcmp(fn, "log2")) sql = "log2";
      else if (!strcmp(fn, "exp")) sql = "exp";
      else if (!strcmp(fn, "sqrt")) sql = "sqrt";
      else if (!strcmp(fn, "abs")) sql = "abs";
      else if (!strcmp(fn, "sin") || !strcmp(fn, "cos") || !strcmp(fn, "tan")) sql = fn;
      if (!sql || (dialect == LMM_SQL_POSTGRESQL && !strcmp(fn, "log2")))
        return lmm_fail(err, LMM_ERR, "'%s()' at character %d has no SQL form in this dialect here; compute it as a column "
                        "of the data first", fn, e->pos + 1);
      lmm_sql_put(b, "%s(", sql);
      if (lmm_sql_expr(b, dialect, arg_of(e, 0), f, err)) return err->code;
      lmm_sql_put(b, ")");
      return LMM_OK;
    }
    default:
      return lmm_fail(err, LMM_ERR, "the expression at character %d has no SQL form", e->pos + 1);
  }
  if (lmm_sql_expr(b, dialect, e->args[0], f, err)) return err->code;
  lmm_sql_put(b, ")");
  return LMM_OK;
}

/* A text literal: '' doubles a quote; ClickHouse and Spark read backslash escapes, so they double a backslash too.
 * Spark has no '' (it reads 'it''s' as 'it' 's', joined: its), so there a quote is \'. */
void lmm_sql_literal(lmm_sql_buf *b, int dialect, const char *s) {
  int bs = dialect == LMM_SQL_CLICKHOUSE || dialect == LMM_SQL_SPARK;
  lmm_sql_put(b, "'");
  for (const char *p = s; *p; p++)
    if (*p == '\'' && dialect == LMM_SQL_SPARK) lmm_sql_put(b, "\\'");
    else lmm_sql_put(b, *p == '\'' || (bs && *p == '\\') ? "%c%c" : "%c", *p, *p);
  lmm_sql_put(b, "'");
}

int lmm_sql_number_label(const char *label, double *v) {
  char *end;
  *v = strtod(label, &end);
  return end != label && !*end && strspn(label, "0123456789.eE+-") == strlen(label) && isfinite(*v);
}

/* The doubles that print as v's label at R's 15 significant digits: [lo, hi).  Below a power of ten the digits
 * are a decade finer (99999.9999999999 is not 1e+05). */
static void label_bounds(double v, double *lo, double *hi) {
  char e[40];
  snprintf(e, sizeof e, "%.14e", fabs(v));
  int x = atoi(strchr(e, 'e') + 1);
  double up = 0.5 * pow(10, x - 14), down = strncmp(e, "1.00000000000000e", 17) ? up : up / 10;
  *lo = v > 0 ? v - down : v - up;
  *hi = v > 0 ? v + up : v + down;
}

/* col as text, in the dialect. */
static void text_of(lmm_sql_buf *b, int dialect, const char *col) {
  static const char *const open[] = {"CAST(", "toString(", "CAST(", "CAST(", "CAST("};
  static const char *const close[] = {" AS TEXT)", ")", " AS TEXT)", " AS VARCHAR)", " AS STRING)"};
  lmm_sql_put(b, "%s", open[dialect]);
  lmm_sql_quote(b, dialect, col);
  lmm_sql_put(b, "%s", close[dialect]);
}

static void number_in(lmm_sql_buf *b, int dialect, const char *col, double v) {
  double lo = 0, hi = 0;
  if (v != 0) label_bounds(v, &lo, &hi);   /* 0 alone prints as 0 (and -0): the least subnormal is a level */
  for (int side = 0; side < (v != 0 ? 2 : 1); side++) {
    if (side) lmm_sql_put(b, " AND ");
    if (dialect == LMM_SQL_SQLITE) lmm_sql_quote(b, dialect, col);   /* typeof() has said it is a number */
    else lmm_sql_double(b, dialect, col);
    lmm_sql_put(b, v == 0 ? " = " : side ? " < " : " >= ");
    lmm_sql_number(b, side ? hi : lo);
  }
}

void lmm_sql_level(lmm_sql_buf *b, int dialect, const char *col, const char *label, int kind) {
  double v;
  int number = lmm_sql_number_label(label, &v);
  lmm_sql_put(b, "(");
  if (dialect == LMM_SQL_SQLITE) {   /* each value's own type: a column may hold both */
    if (number) {
      lmm_sql_put(b, "typeof(");
      lmm_sql_quote(b, dialect, col);
      lmm_sql_put(b, ") = 'text' AND ");
    }
    lmm_sql_key(b, dialect, col);
    lmm_sql_put(b, " = ");
    lmm_sql_literal(b, dialect, label);
    if (number) {
      lmm_sql_put(b, " OR typeof(");
      lmm_sql_quote(b, dialect, col);
      lmm_sql_put(b, ") IN ('integer', 'real') AND ");
      number_in(b, dialect, col, v);
    }
  } else if (number && kind != LMM_LEVELS_TEXT) number_in(b, dialect, col, v);
  else {
    text_of(b, dialect, col);
    lmm_sql_put(b, " = ");
    lmm_sql_literal(b, dialect, label);
  }
  lmm_sql_put(b, ")");
}

/* The rows a local fit keeps: none of the columns read is NULL, and a factor given its levels
 * (factor(x, levels = ...)) has one of them (R's NA otherwise). */
void lmm_sql_where(lmm_sql_buf *b, int dialect, const lmm_formula *f) {
  lmm_sql_put(b, " WHERE ");
  for (int c = 0; c < f->ncols; c++) {
    if (c) lmm_sql_put(b, " AND ");
    lmm_sql_quote(b, dialect, f->cols[c]);
    lmm_sql_put(b, " IS NOT NULL");
  }
  for (int v = 0; v < f->nvars; v++) {
    const lmm_var *var = &f->vars[v];
    if (var->kind != LMM_VAR_FACTOR || !var->coding.ngiven || var->ex->kind != EX_NAME) continue;
    lmm_sql_put(b, " AND (");
    for (int k = 0; k < var->coding.ngiven; k++) {
      if (k) lmm_sql_put(b, " OR ");
      lmm_sql_level(b, dialect, f->cols[var->ex->column], var->coding.given[k], LMM_LEVELS_EITHER);
    }
    lmm_sql_put(b, ")");
  }
}
