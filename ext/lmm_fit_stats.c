/* lmm_fit_stats.c — lmm_fit_stats(prefix, formula [, random [, options]]): reads the statistics that
 * lmm_stats_sql's queries computed elsewhere, stored as the tables <prefix>_center and <prefix>_groups, checks that their columns
 * are the model's, and fits from them through core (stats_fit.h); the rows are lmm_fit's, and save= keeps
 * the fit as lmm_fit does, with <prefix>_groups as its data. */
#include "lmm_fit_stats.h"
SQLITE_EXTENSION_INIT3

#include <stdio.h>
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/stats_fit.h"
#include "lmm_fit.h"
#include "lmm_stats_sql.h"
#include "source.h"
#include "sql_error.h"

typedef struct stats_table {
  sqlite3_stmt *st;
  int ncol;
  sqlite3 *db;
  const char *name;
} stats_table;

static int column_index(sqlite3_stmt *st, const char *name) {
  for (int c = 0; c < sqlite3_column_count(st); c++)
    if (!sqlite3_stricmp(sqlite3_column_name(st, c), name)) return c;
  return -1;
}

/* A plain column is a factor where the statistics group by it and any of its levels is text, as lmm_stats_sql
 * decided from the data's values: a number that is both a grouping and a slope, y ~ h + (1 | h), is a key and a number. */
static int is_key(void *arg, const char *col) {
  stats_table *t = arg;
  if (column_index(t->st, col) < 0) return 0;
  char *from = sqlite3_mprintf("\"%w\"", t->name);
  int declared, text = from ? lmm_source_any_text(t->db, from, col, &declared) : -1;
  sqlite3_free(from);
  return text != 0;   /* where the values cannot be read, a key is a factor, and reading the table says why */
}

typedef struct read_state {
  size_t n, cap;
  lmm_value *keys;
  double *sums;
  int *part;
  char **texts;   /* the keys' texts, owned */
  size_t ntexts;
} read_state;

static void read_free(read_state *r) {
  for (size_t k = 0; k < r->ntexts; k++) sqlite3_free(r->texts[k]);
  sqlite3_free(r->texts);
  sqlite3_free(r->keys);
  sqlite3_free(r->sums);
  sqlite3_free(r->part);
}

static int fail(char **errmsg, const char *table, const char *what) {
  *errmsg = sqlite3_mprintf("lmm_fit_stats: %s: %s; make the statistics with the queries lmm_stats_sql gives for this "
                            "model", table, what);
  return SQLITE_ERROR;
}

static int read_stats(sqlite3 *db, const char *table, const lmm_stats_layout *l, sqlite3_stmt *st, read_state *r,
                      char **errmsg) {
  const lmm_formula *f = l->f;
  int nk = l->nkeys, ns = lmm_stats_nsums(l), U = l->natoms + 2, m1 = U - 1;
  int key[LMM_MAX_VARS], sum[40 * 41 / 2];
  char name[64];
  for (int k = 0; k < nk; k++)
    if ((key[k] = column_index(st, f->cols[l->key_col[k]])) < 0) {
      char *what = sqlite3_mprintf("no column '%s' (a key of the model)", f->cols[l->key_col[k]]);
      int rc = fail(errmsg, table, what ? what : "a key is missing");
      sqlite3_free(what);
      return rc;
    }
  for (int a = 0, k = 0; a < U; a++)
    for (int b = a; b < U; b++, k++) {
      snprintf(name, sizeof name, a == 0 && b == 0 ? "n" : "s_%d_%d", a, b);
      if ((sum[k] = column_index(st, name)) < 0) {
        char *what = sqlite3_mprintf("no column '%s': the model's sums are s_0_1 .. s_%d_%d", name, m1, m1);
        int rc = fail(errmsg, table, what ? what : "a sum is missing");
        sqlite3_free(what);
        return rc;
      }
    }
  int part = column_index(st, "part");
  if (part < 0) return fail(errmsg, table, "no column 'part'");
  snprintf(name, sizeof name, "s_%d_%d", m1, m1 + 1);
  if (column_index(st, name) >= 0) return fail(errmsg, table, "more sums than the model has: made for another model");
  int rc;
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (r->n == r->cap) {
      size_t cap = r->cap ? r->cap * 2 : 1024;
      lmm_value *keys = sqlite3_realloc64(r->keys, sizeof *keys * cap * (size_t)(nk ? nk : 1));
      if (keys) r->keys = keys;
      double *sums = sqlite3_realloc64(r->sums, sizeof *sums * cap * (size_t)ns);
      if (sums) r->sums = sums;
      char **texts = sqlite3_realloc64(r->texts, sizeof *texts * cap * (size_t)(nk ? nk : 1));
      if (texts) r->texts = texts;
      int *parts = sqlite3_realloc64(r->part, sizeof *parts * cap);
      if (parts) r->part = parts;
      if (!keys || !sums || !texts || !parts) { rc = SQLITE_NOMEM; break; }
      r->cap = cap;
    }
    for (int k = 0; k < nk; k++) {
      lmm_value *v = &r->keys[r->n * (size_t)nk + (size_t)k];
      int t = sqlite3_column_type(st, key[k]);
      if (t == SQLITE_NULL) *v = (lmm_value){LMM_NULL, 0, NULL, 0, 0};
      else if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) *v = (lmm_value){LMM_NUM, sqlite3_column_double(st, key[k]), NULL, 0, 0};
      else {
        int len = sqlite3_column_bytes(st, key[k]);
        char *s = sqlite3_malloc(len + 1);
        if (!s) { rc = SQLITE_NOMEM; break; }
        memcpy(s, sqlite3_column_text(st, key[k]), (size_t)len);
        s[len] = 0;
        r->texts[r->ntexts++] = s;
        *v = (lmm_value){LMM_TEXT, 0, s, len, 0};
      }
    }
    if (rc == SQLITE_NOMEM) break;
    for (int k = 0; k < ns; k++) {
      int t = sqlite3_column_type(st, sum[k]);
      if (t == SQLITE_NULL) { rc = fail(errmsg, table, "a sum is NULL"); break; }
      if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) { rc = fail(errmsg, table, "a sum is not a number"); break; }
      r->sums[r->n * (size_t)ns + (size_t)k] = sqlite3_column_double(st, sum[k]);
    }
    if (*errmsg) break;
    if (sqlite3_column_type(st, part) != SQLITE_INTEGER || sqlite3_column_int64(st, part) < 0 ||
        sqlite3_column_int64(st, part) >= l->nparts) {
      char *what = sqlite3_mprintf("a part that is not one of 0 .. %d", l->nparts - 1);
      rc = fail(errmsg, table, what ? what : "a part out of range");
      sqlite3_free(what);
      break;
    }
    r->part[r->n] = (int)sqlite3_column_int64(st, part);
    r->n++;
    if (lmm_interrupt_probe_check(&probe)) { rc = SQLITE_INTERRUPT; break; }
  }
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_DONE && r->n == 0) return fail(errmsg, table, "no rows");
  if (rc == SQLITE_DONE) return SQLITE_OK;
  if (rc == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (rc == SQLITE_INTERRUPT) { *errmsg = sqlite3_mprintf("lmm_fit_stats: interrupted"); return SQLITE_INTERRUPT; }
  if (!*errmsg) *errmsg = sqlite3_mprintf("lmm_fit_stats: %s: %s", table, sqlite3_errmsg(db));   /* SQLite's own */
  return SQLITE_ERROR;
}

/* The first pass's one row: n_all, the centers, the largest magnitudes (stats.h). */
static int read_center(sqlite3 *db, const char *prefix, const lmm_stats_layout *l, double *centers, double *mx,
                       double *nall, char **errmsg) {
  const lmm_formula *f = l->f;
  char *table = sqlite3_mprintf("%s_center", prefix), *sql = table ? sqlite3_mprintf("SELECT * FROM \"%w\"", table) : NULL;
  sqlite3_stmt *st = NULL;
  int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc == SQLITE_NOMEM) { sqlite3_free(table); return rc; }
  if (rc != SQLITE_OK) {
    *errmsg = sqlite3_mprintf("lmm_fit_stats: no statistics table '%s' (%s): store the result of lmm_stats_sql's query "
                              "'center' under that name", table, sqlite3_errmsg(db));
    sqlite3_free(table);
    return SQLITE_ERROR;
  }
  char name[64];
  int m1 = l->natoms + 1, col;
  rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : fail(errmsg, table, "no row: it holds the first pass's one row");
  for (int i = 0; i <= m1 + f->nvars + 1 && rc == SQLITE_OK; i++) {
    int v = i - m1 - 1;
    if (i == 0) snprintf(name, sizeof name, "n_all");
    else if (i <= m1) snprintf(name, sizeof name, "c_%d", i);
    else if (v < f->nvars && !(l->numeric_vars >> v & 1)) { mx[v] = 0; continue; }
    else if (v < f->nvars) snprintf(name, sizeof name, "mx_%d", v);
    else snprintf(name, sizeof name, "mx_y");
    if ((col = column_index(st, name)) < 0 || (sqlite3_column_type(st, col) != SQLITE_INTEGER &&
                                                sqlite3_column_type(st, col) != SQLITE_FLOAT)) {
      char *what = sqlite3_mprintf("no number in a column '%s'", name);
      rc = fail(errmsg, table, what ? what : "a column is missing");
      sqlite3_free(what);
      break;
    }
    double x = sqlite3_column_double(st, col);
    /* the first pass's count is a whole number of rows, its means and magnitudes finite (SQL's avg of finite
     * values is): anything else is no such pass, and would surface later as a message about something else */
    const char *wrong = i == 0 && !(x >= 0 && x <= 9007199254740992.0 && x == floor(x)) ? "is no count of rows"
                        : !isfinite(x) ? "is not finite" : i > m1 && x < 0 ? "is negative: it is a largest magnitude" : NULL;
    if (wrong) {
      char *what = sqlite3_mprintf("its column '%s' holds %.17g, which %s", name, x, wrong);
      rc = fail(errmsg, table, what ? what : "a value is out of range");
      sqlite3_free(what);
      break;
    }
    if (i == 0) *nall = x;
    else if (i <= m1) centers[i - 1] = x;
    else mx[v] = x;
  }
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) rc = fail(errmsg, table, "more than one row");
  sqlite3_finalize(st);
  sqlite3_free(table);
  return rc;
}

static int fit_stats_fill(sqlite3 *db, sqlite3_value **argv, lmm_rowset *rows, char **errmsg) {
  const char *prefix = (const char *)sqlite3_value_text(argv[0]);
  const char *call[4] = {NULL, (const char *)sqlite3_value_text(argv[1]),
                         argv[2] ? (const char *)sqlite3_value_text(argv[2]) : NULL,
                         argv[3] ? (const char *)sqlite3_value_text(argv[3]) : NULL};
  char *table = sqlite3_mprintf("%s_groups", prefix);
  char *sql = table ? sqlite3_mprintf("SELECT * FROM \"%w\"", table) : NULL;
  stats_table t = {NULL, 0, db, table};
  if (!sql) { sqlite3_free(table); return SQLITE_NOMEM; }
  int rc = sqlite3_prepare_v2(db, sql, -1, &t.st, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    *errmsg = sqlite3_mprintf("lmm_fit_stats: no statistics table '%s' (%s): store the result of lmm_stats_sql's query "
                              "'groups' under that name", table, sqlite3_errmsg(db));
    sqlite3_free(table);
    return SQLITE_ERROR;
  }
  call[0] = table;
  lmm_model *m = NULL;
  lmm_stats_layout layout;
  read_state r = {0};
  double centers[41], mx[LMM_MAX_VARS + 1], nall = 0;
  rc = lmm_stats_model("lmm_fit_stats", call[1], call[2], call[3], is_key, &t, &m, &layout, errmsg);
  if (rc == SQLITE_OK) rc = read_center(db, prefix, &layout, centers, mx, &nall, errmsg);
  if (rc == SQLITE_OK) rc = read_stats(db, table, &layout, t.st, &r, errmsg);
  sqlite3_finalize(t.st);
  if (rc == SQLITE_OK) {
    lmm_stats_rows sr = {r.n, r.keys, r.sums, r.part, centers, mx, nall};
    lmm_error err = {0};
    lmm_interrupt_probe probe;
    lmm_interrupt_probe_init(&probe, db);
    if (lmm_model_fit_stats(m, &layout, &sr, lmm_interrupt_probe_check, &probe, &err))
      rc = lmm_sql_error(errmsg, "lmm_fit_stats", &err);
    lmm_interrupt_probe_end(&probe);
  }
  if (rc == SQLITE_OK && m->options.save[0]) rc = lmm_fit_save(db, "lmm_fit_stats", call, m, 0, errmsg);
  if (rc == SQLITE_OK) lmm_fit_copy_rows(m->result, rows);
  lmm_model_free(m);
  read_free(&r);
  sqlite3_free(table);
  return rc;
}

const lmm_tvf lmm_fit_stats_tvf = {
  .name = "lmm_fit_stats",
  .columns = "effect TEXT, grp TEXT, term TEXT, estimate REAL, std_error REAL, statistic REAL, df REAL, p_value REAL",
  .args = "prefix HIDDEN, formula HIDDEN, random HIDDEN, options HIDDEN",
  .ncols = 8, .nargs = 4, .nrequired = 2,
  .usage = "lmm_fit_stats needs a prefix and a formula: lmm_fit_stats(prefix, formula [, random [, options]]), the "
           "statistics in the tables <prefix>_center and <prefix>_groups made by lmm_stats_sql's queries",
  .fill = fit_stats_fill,
  .text_args = 15,
  .cost = 1e6, .rows = 50,
};
