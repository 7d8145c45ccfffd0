/* stats_sql.c — the layout of a model's statistics and the SQL that computes them in another engine
 * (stats.h).  The SQL is one aggregate over the data, grouped by the keys, whose sums are of centered atoms:
 * the centers come from an aggregate over the same rows joined in as one row (ClickHouse: a GLOBAL join, so
 * the shards receive the one row rather than each computing it again over the whole table). */
#include "stats.h"
#include "alloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- the layout --------------------------------------------------------- */

static int add_atom(lmm_stats_layout *l, lmm_term t) {
  for (int i = 1; i <= l->natoms; i++) if (l->atom[i] == t) return i;
  if (!t) return 0;
  l->atom[++l->natoms] = t;
  return l->natoms;
}

int lmm_stats_atom(const lmm_stats_layout *l, lmm_term t) {
  t &= l->numeric_vars;
  for (int i = 1; i <= l->natoms; i++) if (l->atom[i] == t) return i;
  return 0;
}

static void add_key(lmm_stats_layout *l, int col) {
  for (int k = 0; k < l->nkeys; k++) if (l->key_col[k] == col) return;
  l->key_col[l->nkeys++] = col;
}

static void add_terms(lmm_stats_layout *l, const lmm_terms *ts) {
  for (int t = 0; t < ts->nterms; t++) add_atom(l, ts->terms[t] & l->numeric_vars);
}

int lmm_stats_layout_new(const lmm_formula *f, int (*is_text)(void *arg, const char *col), void *arg,
                         lmm_stats_layout *l, lmm_error *err) {
  memset(l, 0, sizeof *l);
  l->f = f;
  if (f->offset)
    return lmm_fail(err, LMM_ERR, "'%s': an offset is not carried by the statistics; subtract it from the response "
                    "in the data instead", f->offset_label);
  uint64_t in_model = 0;
  for (int t = 0; t < f->fixed.nterms; t++) in_model |= f->fixed.terms[t];
  for (int b = 0; b < f->nbars; b++)
    for (int t = 0; t < f->bars[b].model.nterms; t++) in_model |= f->bars[b].model.terms[t];
  for (int v = 0; v < f->nvars; v++) {
    const lmm_var *var = &f->vars[v];
    int factor = var->kind == LMM_VAR_FACTOR ||
                 (var->kind == LMM_VAR_PLAIN && var->ex->kind == EX_NAME && is_text && is_text(arg, var->ex->name));
    if (var->basis.kind)
      return lmm_fail(err, LMM_ERR, "'%s' learns its columns from the data, which the statistics do not carry; compute "
                      "it as a column of the data first", var->label);
    if ((factor || var->used_as_group) && var->ex->kind != EX_NAME)
      return lmm_fail(err, LMM_ERR, "'%s': a factor or grouping of an expression is not carried by the statistics; "
                      "make it a column of the data first", var->label);
    if ((factor || var->used_as_group) && (in_model >> v & 1 || var->used_as_group)) add_key(l, var->ex->column);
    if (factor && in_model >> v & 1) l->factor_vars |= (uint64_t)1 << v;
    else if (in_model >> v & 1) l->numeric_vars |= (uint64_t)1 << v;
  }
  add_terms(l, &f->fixed);
  for (int b = 0; b < f->nbars; b++) add_terms(l, &f->bars[b].model);
  if (l->natoms + 2 > 40)
    return lmm_fail(err, LMM_ERR, "the model multiplies %d distinct products of numeric variables: the statistics "
                    "hold at most 38", l->natoms);
  return LMM_OK;
}

/* ---- SQL text ----------------------------------------------------------- */

typedef struct sbuf { char *s; size_t len, cap; int oom; } sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...) {
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

static void quote(sbuf *b, int dialect, const char *name) {
  char q = dialect == LMM_SQL_CLICKHOUSE || dialect == LMM_SQL_SPARK ? '`' : '"';
  put(b, "%c", q);
  for (const char *p = name; *p; p++) put(b, *p == q ? "%c%c" : "%c", *p, *p);
  put(b, "%c", q);
}

/* The data's name, a table or db.table: each part quoted. */
static void quote_table(sbuf *b, int dialect, const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot || dot == name || !dot[1]) { quote(b, dialect, name); return; }
  char *db = lmm_strndup(name, (size_t)(dot - name));
  if (!db) { b->oom = 1; return; }
  quote(b, dialect, db);
  lmm_free(db);
  put(b, ".");
  quote(b, dialect, dot + 1);
}

static void cast_double(sbuf *b, int dialect) { put(b, dialect == LMM_SQL_CLICKHOUSE ? "toFloat64(" : "CAST("); }

static void cast_end(sbuf *b, int dialect) {
  switch (dialect) {
    case LMM_SQL_CLICKHOUSE: put(b, ")"); break;
    case LMM_SQL_SQLITE: put(b, " AS REAL)"); break;
    case LMM_SQL_POSTGRESQL: put(b, " AS DOUBLE PRECISION)"); break;
    default: put(b, " AS DOUBLE)"); break;
  }
}

static const lmm_expr *arg_of(const lmm_expr *e, int k) {
  const lmm_expr *a = e->args[k];
  return a->kind == EX_ARG ? a->args[0] : a;
}

/* An arithmetic tree as a SQL expression of doubles: every column cast, so that no engine divides integers. */
static int expr_sql(sbuf *b, int dialect, const lmm_expr *e, const lmm_formula *f, lmm_error *err) {
  switch (e->kind) {
    case EX_NUM: case EX_CONST: {
      char num[40];
      snprintf(num, sizeof num, "%.17g", e->num);
      put(b, strpbrk(num, ".eni") ? "%s" : "%s.0", num);
      return LMM_OK;
    }
    case EX_NAME:
      cast_double(b, dialect);
      quote(b, dialect, f->cols[e->column]);
      cast_end(b, dialect);
      return LMM_OK;
    case EX_NEG: put(b, "(-"); break;
    case EX_POS: case EX_PAREN: put(b, "("); break;
    case EX_BINOP:
      if (e->op == '^' && e->args[1]->kind == EX_NUM && (e->args[1]->num == 2 || e->args[1]->num == 3)) {
        put(b, "(");   /* small integer powers as products: exact, and every engine has them */
        for (int k = 0; k < (int)e->args[1]->num; k++) {
          if (k) put(b, " * ");
          if (expr_sql(b, dialect, e->args[0], f, err)) return err->code;
        }
        put(b, ")");
        return LMM_OK;
      }
      if (e->op == '^') {
        put(b, dialect == LMM_SQL_CLICKHOUSE ? "pow(" : "power(");
        if (expr_sql(b, dialect, e->args[0], f, err)) return err->code;
        put(b, ", ");
        if (expr_sql(b, dialect, e->args[1], f, err)) return err->code;
        put(b, ")");
        return LMM_OK;
      }
      if (!strchr("+-*/", e->op))
        return lmm_fail(err, LMM_ERR, "operator '%c' at character %d has no SQL form here", e->op, e->pos + 1);
      put(b, "(");
      if (expr_sql(b, dialect, e->args[0], f, err)) return err->code;
      put(b, " %c ", e->op);
      if (expr_sql(b, dialect, e->args[1], f, err)) return err->code;
      put(b, ")");
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
      put(b, "%s(", sql);
      if (expr_sql(b, dialect, arg_of(e, 0), f, err)) return err->code;
      put(b, ")");
      return LMM_OK;
    }
    default:
      return lmm_fail(err, LMM_ERR, "the expression at character %d has no SQL form", e->pos + 1);
  }
  if (expr_sql(b, dialect, e->args[0], f, err)) return err->code;
  put(b, ")");
  return LMM_OK;
}

/* Atom i's raw value (a product of variables; y for i = m + 1). */
static int atom_sql(sbuf *b, int dialect, const lmm_stats_layout *l, int i, lmm_error *err) {
  const lmm_formula *f = l->f;
  if (i == l->natoms + 1) return expr_sql(b, dialect, f->response, f, err);
  int first = 1;
  for (lmm_term t = l->atom[i]; t; t &= t - 1) {
    if (!first) put(b, " * ");
    first = 0;
    if (expr_sql(b, dialect, f->vars[__builtin_ctzll(t)].ex, f, err)) return err->code;
  }
  return LMM_OK;
}

/* A text literal: '' doubles a quote; ClickHouse and Spark read backslash escapes, so they double it too. */
static void literal(sbuf *b, int dialect, const char *s) {
  int bs = dialect == LMM_SQL_CLICKHOUSE || dialect == LMM_SQL_SPARK;
  put(b, "'");
  for (const char *p = s; *p; p++) put(b, *p == '\'' || (bs && *p == '\\') ? "%c%c" : "%c", *p, *p);
  put(b, "'");
}

/* The rows a local fit keeps: none of the columns read is NULL, and a factor given its levels
 * (factor(x, levels = ...)) has one of them (R's NA otherwise). */
static void where_sql(sbuf *b, int dialect, const lmm_formula *f) {
  put(b, " WHERE ");
  for (int c = 0; c < f->ncols; c++) {
    if (c) put(b, " AND ");
    quote(b, dialect, f->cols[c]);
    put(b, " IS NOT NULL");
  }
  for (int v = 0; v < f->nvars; v++) {
    const lmm_var *var = &f->vars[v];
    if (var->kind != LMM_VAR_FACTOR || !var->coding.ngiven || var->ex->kind != EX_NAME) continue;
    put(b, dialect == LMM_SQL_CLICKHOUSE ? " AND toString(" : " AND ");   /* ClickHouse compares no number to text */
    quote(b, dialect, f->cols[var->ex->column]);
    put(b, dialect == LMM_SQL_CLICKHOUSE ? ") IN (" : " IN (");
    for (int k = 0; k < var->coding.ngiven; k++) {
      if (k) put(b, ", ");
      literal(b, dialect, var->coding.given[k]);
    }
    put(b, ")");
  }
}

/* The first pass: the rows, the atoms' means (the centers), the largest magnitudes; its columns named with
 * pfx before c_<i>, mx_<v>, mx_y, n_all. */
static int center_sql(sbuf *b, const lmm_stats_layout *l, const char *data, int dialect, const char *pfx,
                      lmm_error *err) {
  const lmm_formula *f = l->f;
  put(b, "SELECT count(*) AS %sn_all", pfx);
  for (int i = 1; i <= l->natoms + 1; i++) {
    put(b, ", avg(");
    if (atom_sql(b, dialect, l, i, err)) return err->code;
    put(b, ") AS %sc_%d", pfx, i);
  }
  for (int v = 0; v < f->nvars; v++)
    if (l->numeric_vars >> v & 1) {
      put(b, ", max(abs(");
      if (expr_sql(b, dialect, f->vars[v].ex, f, err)) return err->code;
      put(b, ")) AS %smx_%d", pfx, v);
    }
  put(b, ", max(abs(");
  if (expr_sql(b, dialect, f->response, f, err)) return err->code;
  put(b, ")) AS %smx_y FROM ", pfx);
  quote_table(b, dialect, data);
  where_sql(b, dialect, f);
  return LMM_OK;
}

/* The sums, of values centered by the first pass's means computed again inside the query (joined as one row):
 * the fit takes the centers from the query `center`, which may differ from these in the last bits (the
 * engines add in any order), an error of the order of the sums' own rounding. */
static int groups_sql(sbuf *b, const lmm_stats_layout *l, const char *data, int dialect, lmm_error *err) {
  const lmm_formula *f = l->f;
  int m1 = l->natoms + 1;
  put(b, "SELECT ");
  for (int k = 0; k < l->nkeys; k++) {
    quote(b, dialect, f->cols[l->key_col[k]]);
    put(b, ", ");
  }
  put(b, "count(*) AS n");
  for (int a = 0; a <= m1; a++)
    for (int c = a; c <= m1; c++) {
      if (a == 0 && c == 0) continue;
      put(b, ", sum(");
      for (int side = 0; side < 2; side++) {
        int i = side ? c : a;
        if (i == 0) continue;
        if (side && a) put(b, " * ");
        put(b, "(");
        if (atom_sql(b, dialect, l, i, err)) return err->code;
        put(b, " - lmm_c.lmm_c_%d)", i);
      }
      put(b, ") AS s_%d_%d", a, c);
    }
  put(b, " FROM ");
  quote_table(b, dialect, data);
  put(b, dialect == LMM_SQL_CLICKHOUSE ? " GLOBAL CROSS JOIN (" : " CROSS JOIN (");
  if (center_sql(b, l, data, dialect, "lmm_", err)) return err->code;
  put(b, ") AS lmm_c");
  where_sql(b, dialect, f);
  if (l->nkeys) {
    put(b, " GROUP BY ");
    for (int k = 0; k < l->nkeys; k++) {
      if (k) put(b, ", ");
      quote(b, dialect, f->cols[l->key_col[k]]);
    }
  }
  return LMM_OK;
}

int lmm_stats_dialect(const char *name) {
  static const char *names[] = {"sqlite", "clickhouse", "postgresql", "duckdb", "spark"};
  for (int d = 0; d < 5; d++) if (!strcmp(name, names[d])) return d;
  return -1;
}

int lmm_stats_sql(const lmm_stats_layout *l, const char *data, int dialect, char **names, char **sqls, int *n,
                  lmm_error *err) {
  *n = 0;
  for (int q = 0; q < 2; q++) {
    sbuf b = {0};
    int rc = q == 0 ? center_sql(&b, l, data, dialect, "", err) : groups_sql(&b, l, data, dialect, err);
    if (!rc && b.oom) rc = lmm_nomem(err);
    if (!rc && !(names[q] = lmm_strdup(q == 0 ? "center" : "groups"))) rc = lmm_nomem(err);
    if (rc) {
      lmm_free(b.s);
      lmm_stats_sql_free(names, sqls, *n);
      *n = 0;
      return rc;
    }
    sqls[q] = b.s;
    *n = q + 1;
  }
  return LMM_OK;
}

void lmm_stats_sql_free(char **names, char **sqls, int n) {
  for (int k = 0; k < n; k++) { lmm_free(names[k]); lmm_free(sqls[k]); }
}
