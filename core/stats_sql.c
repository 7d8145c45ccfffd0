/* stats_sql.c — the layout of a model's statistics and the SQL that computes them in another engine
 * (stats.h).  The SQL is one aggregate over the data, grouped by the keys, whose sums are of centered atoms:
 * the centers come from an aggregate over the same rows joined in as one row (ClickHouse: a GLOBAL join, so
 * the shards receive the one row rather than each computing it again over the whole table). */
#include "stats.h"
#include "alloc.h"
#include "sql_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

int lmm_stats_part(const lmm_stats_layout *l, uint64_t vars) {
  for (int p = 0; p < l->nparts; p++) if (l->part_vars[p] == vars) return p;
  return -1;
}

static uint64_t bar_vars(const lmm_bar *b) {
  uint64_t g = 0;
  for (int k = 0; k < b->ngroup; k++) g |= (uint64_t)1 << b->group[k];
  return g;
}

/* Bar b's atoms, the constant's among them (bits). */
static uint64_t bar_atoms(const lmm_stats_layout *l, const lmm_bar *b) {
  uint64_t atoms = 1;
  for (int t = 0; t < b->model.nterms; t++) atoms |= (uint64_t)1 << lmm_stats_atom(l, b->model.terms[t]);
  return atoms;
}

/* The parts (stats.h): a grouping's with every sum, then the pairs' that no grouping's serves, each with the
 * sums of one grouping's Z atom by the other's. */
static int add_parts(lmm_stats_layout *l, lmm_error *err) {
  const lmm_formula *f = l->f;
  int U = l->natoms + 2;
  uint64_t all = U >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << U) - 1;
  for (int b = 0; b < (f->nbars ? f->nbars : 1); b++) {
    uint64_t vars = f->nbars ? bar_vars(&f->bars[b]) : 0;
    if (lmm_stats_part(l, vars) >= 0) continue;
    if (l->nparts == LMM_STATS_MAX_PARTS) goto many;
    l->part_vars[l->nparts] = vars;
    for (int a = 0; a < U; a++) l->part_sums[l->nparts][a] = all;
    l->nparts++;
  }
  for (int b1 = 0; b1 < f->nbars; b1++)
    for (int b2 = b1 + 1; b2 < f->nbars; b2++) {
      uint64_t vars = bar_vars(&f->bars[b1]) | bar_vars(&f->bars[b2]);
      uint64_t z1 = bar_atoms(l, &f->bars[b1]), z2 = bar_atoms(l, &f->bars[b2]);
      int p = lmm_stats_part(l, vars);
      if (p < 0) {
        if (l->nparts == LMM_STATS_MAX_PARTS) goto many;
        p = l->nparts++;
        l->part_vars[p] = vars;
      }
      for (int a = 0; a < U; a++) {
        if (z1 >> a & 1) l->part_sums[p][a] |= z2;
        if (z2 >> a & 1) l->part_sums[p][a] |= z1;
      }
    }
  return LMM_OK;
many:
  return lmm_fail(err, LMM_ERR, "the model's groupings and their pairs make more than %d parts of statistics",
                  LMM_STATS_MAX_PARTS);
}

/* Whether name is one the queries give a column of their own (case aside, as SQLite reads names): a data column
 * of that name would be read for the statistic, or the statistic for it (ClickHouse reads an alias anywhere).
 * stats: the statistics' names too, else only the augment query's (fitted, resid, lmm_...). */
static int reserved_name(const char *name, int stats) {
  static const char *const names[] = {"fitted", "resid", "n", "part", "n_all", "mx_y"};
  for (size_t i = 0; i < (stats ? 6 : 2); i++) if (!strcasecmp(name, names[i])) return 1;
  if (!strncasecmp(name, "lmm_", 4)) return 1;
  if (!stats) return 0;
  int sum = (name[0] == 's' || name[0] == 'S') && name[1] == '_';
  const char *p = sum || ((name[0] == 'c' || name[0] == 'C') && name[1] == '_') ? name + 2
                  : !strncasecmp(name, "mx_", 3) ? name + 3 : NULL;
  size_t d = p ? strspn(p, "0123456789") : 0;
  if (!d) return 0;
  if (!sum) return !p[d];   /* c_<i>, mx_<v> */
  return p[d] == '_' && p[d + 1] && !p[d + 1 + strspn(p + d + 1, "0123456789")];   /* s_<i>_<j> */
}

int lmm_stats_names(const lmm_formula *f, int stats, lmm_error *err) {
  for (int c = 0; c < f->ncols; c++)
    if (reserved_name(f->cols[c], stats))
      return lmm_fail(err, LMM_ERR, "the column '%s' has a name the queries give a column of their own (%s): rename "
                      "it, in a view where the rows live", f->cols[c],
                      stats ? "n, part, s_<i>_<j>, c_<i>, mx_<i>, n_all, mx_y, fitted, resid, lmm_..." : "fitted, resid, lmm_...");
  return LMM_OK;
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
  uint64_t no_text = 0;   /* plain columns whose values were asked about and hold no text */
  for (int v = 0; v < f->nvars; v++) {
    const lmm_var *var = &f->vars[v];
    int asked = var->kind == LMM_VAR_PLAIN && var->ex->kind == EX_NAME && is_text;
    int factor = var->kind == LMM_VAR_FACTOR || (asked && is_text(arg, var->ex->name));
    if (asked && !factor) no_text |= (uint64_t)1 << v;
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
  /* a column read as a number (the response, arithmetic, a slope) that holds text is an error to lmm_fit, where
   * the engines' casts would read it as 0 or fail; a key is a level, text or not */
  int *numeric = is_text ? lmm_calloc((size_t)(f->ncols ? f->ncols : 1), sizeof *numeric) : NULL;
  if (is_text && !numeric) return lmm_nomem(err);
  if (numeric) {
    lmm_expr_columns(f->response, numeric);
    for (int v = 0; v < f->nvars; v++)
      if (l->numeric_vars >> v & 1) lmm_expr_columns(f->vars[v].ex, numeric);
    for (int v = 0; v < f->nvars; v++)   /* each asking reads the whole column: not twice */
      if (no_text >> v & 1) numeric[f->vars[v].ex->column] = 0;
  }
  for (int c = 0; c < f->ncols && numeric; c++)
    if (numeric[c] && is_text(arg, f->cols[c])) {
      lmm_free(numeric);
      return lmm_fail(err, LMM_ERR, "the column '%s' is read as a number but holds text, which lmm_fit would refuse "
                      "too: make it a number (a missing value is NULL), or a factor with factor(%s)", f->cols[c],
                      f->cols[c]);
    }
  lmm_free(numeric);
  add_terms(l, &f->fixed);
  for (int b = 0; b < f->nbars; b++) add_terms(l, &f->bars[b].model);
  if (l->natoms + 2 > 40)
    return lmm_fail(err, LMM_ERR, "the model multiplies %d distinct products of numeric variables: the statistics "
                    "hold at most 38", l->natoms);
  return add_parts(l, err);
}

/* Atom i's raw value (a product of variables; y for i = m + 1). */
static int atom_sql(lmm_sql_buf *b, int dialect, const lmm_stats_layout *l, int i, lmm_error *err) {
  const lmm_formula *f = l->f;
  if (i == l->natoms + 1) return lmm_sql_expr(b, dialect, f->response, f, err);
  int first = 1;
  for (lmm_term t = l->atom[i]; t; t &= t - 1) {
    if (!first) lmm_sql_put(b, " * ");
    first = 0;
    if (lmm_sql_expr(b, dialect, f->vars[__builtin_ctzll(t)].ex, f, err)) return err->code;
  }
  return LMM_OK;
}

/* The first pass: the rows, the atoms' means (the centers), the largest magnitudes; its columns named with
 * pfx before c_<i>, mx_<v>, mx_y, n_all. */
static int center_sql(lmm_sql_buf *b, const lmm_stats_layout *l, const char *data, int dialect, const char *pfx,
                      lmm_error *err) {
  const lmm_formula *f = l->f;
  lmm_sql_put(b, "SELECT count(*) AS %sn_all", pfx);
  for (int i = 1; i <= l->natoms + 1; i++) {
    lmm_sql_put(b, ", avg(");
    if (atom_sql(b, dialect, l, i, err)) return err->code;
    lmm_sql_put(b, ") AS %sc_%d", pfx, i);
  }
  for (int v = 0; v < f->nvars; v++)
    if (l->numeric_vars >> v & 1) {
      lmm_sql_put(b, ", max(abs(");
      if (lmm_sql_expr(b, dialect, f->vars[v].ex, f, err)) return err->code;
      lmm_sql_put(b, ")) AS %smx_%d", pfx, v);
    }
  lmm_sql_put(b, ", max(abs(");
  if (lmm_sql_expr(b, dialect, f->response, f, err)) return err->code;
  lmm_sql_put(b, ")) AS %smx_y FROM ", pfx);
  lmm_sql_quote_table(b, dialect, data);
  lmm_sql_where(b, dialect, f);
  return LMM_OK;
}

/* Whether part p groups by key k: one of its grouping variables' columns, or a factor's. */
static int part_key(const lmm_stats_layout *l, int p, int k) {
  const lmm_formula *f = l->f;
  for (int v = 0; v < f->nvars; v++)
    if (f->vars[v].ex->kind == EX_NAME && f->vars[v].ex->column == l->key_col[k] &&
        ((l->part_vars[p] | l->factor_vars) >> v & 1))
      return 1;
  return 0;
}

/* Part p of the groups (stats.h): its keys (the others as the least value of its groups, a level that occurs
 * with them, so the frame row adds no level pair the data lack), its count and its sums.  The least values are
 * named apart inside and renamed outside: ClickHouse reads an alias anywhere in its query, and min(k) AS k
 * would put an aggregate into the WHERE's k IS NOT NULL. */
static int part_sql(lmm_sql_buf *b, const lmm_stats_layout *l, int p, const char *data, int dialect, lmm_error *err) {
  const lmm_formula *f = l->f;
  int m1 = l->natoms + 1, grouped = 0, least = 0;
  for (int k = 0; k < l->nkeys; k++) least |= !part_key(l, p, k);
  if (least) {
    lmm_sql_put(b, "SELECT ");
    for (int k = 0; k < l->nkeys; k++) {
      if (!part_key(l, p, k)) lmm_sql_put(b, "lmm_least_%d AS ", k);
      lmm_sql_quote(b, dialect, f->cols[l->key_col[k]]);
      lmm_sql_put(b, ", ");
    }
    lmm_sql_put(b, "part, n");
    for (int a = 0; a <= m1; a++)
      for (int c = a; c <= m1; c++) if (a || c) lmm_sql_put(b, ", s_%d_%d", a, c);
    lmm_sql_put(b, " FROM (");
  }
  lmm_sql_put(b, "SELECT ");
  for (int k = 0; k < l->nkeys; k++) {
    int key = part_key(l, p, k);
    lmm_sql_put(b, key ? "" : "min(");
    if (key) lmm_sql_quote(b, dialect, f->cols[l->key_col[k]]);
    else lmm_sql_key(b, dialect, f->cols[l->key_col[k]]);
    if (key) lmm_sql_put(b, ", ");
    else lmm_sql_put(b, ") AS lmm_least_%d, ", k);
  }
  lmm_sql_put(b, "%d AS part, count(*) AS n", p);
  for (int a = 0; a <= m1; a++)
    for (int c = a; c <= m1; c++) {
      if (a == 0 && c == 0) continue;
      if (!((l->part_sums[p][a] >> c | l->part_sums[p][c] >> a) & 1)) {
        lmm_sql_put(b, ", 0.0 AS s_%d_%d", a, c);
        continue;
      }
      lmm_sql_put(b, ", sum(");
      for (int side = 0; side < 2; side++) {
        int i = side ? c : a;
        if (i == 0) continue;
        if (side && a) lmm_sql_put(b, " * ");
        lmm_sql_put(b, "(");
        if (atom_sql(b, dialect, l, i, err)) return err->code;
        lmm_sql_put(b, " - lmm_c.lmm_c_%d)", i);
      }
      lmm_sql_put(b, ") AS s_%d_%d", a, c);
    }
  lmm_sql_put(b, " FROM ");
  lmm_sql_quote_table(b, dialect, data);
  lmm_sql_put(b, dialect == LMM_SQL_CLICKHOUSE ? " GLOBAL CROSS JOIN (" : " CROSS JOIN (");
  if (center_sql(b, l, data, dialect, "lmm_", err)) return err->code;
  lmm_sql_put(b, ") AS lmm_c");
  lmm_sql_where(b, dialect, f);
  for (int k = 0; k < l->nkeys; k++) {
    if (!part_key(l, p, k)) continue;
    lmm_sql_put(b, grouped++ ? ", " : " GROUP BY ");
    lmm_sql_key(b, dialect, f->cols[l->key_col[k]]);
  }
  if (least) lmm_sql_put(b, ") AS lmm_part");
  return LMM_OK;
}

/* The sums, of values centered by the first pass's means computed again inside the query (joined as one row):
 * the fit takes the centers from the query `center`, which may differ from these in the last bits (the
 * engines add in any order), an error of the order of the sums' own rounding.  The parts one after another. */
static int groups_sql(lmm_sql_buf *b, const lmm_stats_layout *l, const char *data, int dialect, lmm_error *err) {
  for (int p = 0; p < l->nparts; p++) {
    if (p) lmm_sql_put(b, " UNION ALL ");
    if (part_sql(b, l, p, data, dialect, err)) return err->code;
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
    lmm_sql_buf b = {0};
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
