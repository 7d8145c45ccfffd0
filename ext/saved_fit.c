/* saved_fit.c — a fit's JSON read and checked (see saved_fit.h).
 *
 * How it works: one statement lists the top-level members with their types
 * (and the lengths of the arrays, so that everything is allocated once), one
 * more per array lists its elements, an array of arrays joined to their
 * elements.  Elements are placed by their index, so the order SQLite returns
 * them in does not matter; every place must be filled exactly once. */
#include "saved_fit.h"
SQLITE_EXTENSION_INIT3

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/inference.h"
#include "sql_error.h"

enum { NSTATS = 5, ROW_LEN = 3 + NSTATS };

typedef struct reader {
  sqlite3 *db;
  const char *prefix;    /* "the saved model 'm' is damaged" */
  char **errmsg;
  lmm_saved_fit *f;
} reader;

/* SQLITE_ERROR with "prefix: what". */
static int bad(reader *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *what = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  *r->errmsg = what ? sqlite3_mprintf("%s: %s", r->prefix, what) : NULL;
  sqlite3_free(what);
  return *r->errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* A statement's failure: memory, or SQLite's own message (a limit, an
 * interrupt), never taken for damage. */
static int sql_failed(reader *r, int rc) {
  if (rc == SQLITE_NOMEM) return rc;
  *r->errmsg = lmm_sql_errmsg(r->db);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

static int prepare(reader *r, const char *sql, const char *json, const char *path, sqlite3_stmt **st) {
  int rc = lmm_sql_prepare(r->db, sql, 0, st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(*st, 1, json, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK && path) rc = sqlite3_bind_text(*st, 2, path, -1, SQLITE_STATIC);
  return rc == SQLITE_OK ? rc : sql_failed(r, rc);
}

/* Column c as a number into *v: finite, or (nullable) JSON null as NAN. */
static int number(reader *r, sqlite3_stmt *st, int type_col, int c, int nullable, double *v, const char *what) {
  const char *t = (const char *)sqlite3_column_text(st, type_col);
  if (!t) return SQLITE_NOMEM;
  if (nullable && !strcmp(t, "null")) { *v = NAN; return SQLITE_OK; }
  if (strcmp(t, "integer") && strcmp(t, "real")) return bad(r, "%s is %s, not a number", what, t);
  *v = sqlite3_column_double(st, c);
  return isfinite(*v) ? SQLITE_OK : bad(r, "%s is not a finite number", what);
}

/* Column c as a copied text without NUL bytes into *out (NULL for a
 * nullable JSON null). */
static int text(reader *r, sqlite3_stmt *st, int type_col, int c, int nullable, char **out, const char *what) {
  const char *t = (const char *)sqlite3_column_text(st, type_col);
  if (!t) return SQLITE_NOMEM;
  if (nullable && !strcmp(t, "null")) return SQLITE_OK;
  if (strcmp(t, "text")) return bad(r, "%s is %s, not text", what, t);
  const char *s = (const char *)sqlite3_column_text(st, c);
  if (!s) return SQLITE_NOMEM;
  return (*out = sqlite3_mprintf("%s", s)) ? SQLITE_OK : SQLITE_NOMEM;
}

enum { M_METHOD, M_STYLE, M_NOBS, M_FINGERPRINT, M_THETA, M_FIXED, M_VCOV, M_ROWS, M_STRUCTURE, NMEMBERS };
static const char *const member_name[NMEMBERS] = {"method", "style", "nobs", "fingerprint", "theta", "fixed", "vcov", "rows",
                                                  "structure"};
static const char *const member_type[NMEMBERS] = {"text", "text", "integer", "text", "array", "array", "array", "array",
                                                  "array"};
enum { FIRST_OPTIONAL = M_STRUCTURE };   /* a fit without a residual structure has no structure member */

/* The offset of the first escaped NUL in the JSON text, or -1: SQLite's JSON
 * functions return the text of a string only up to a NUL, so a name with
 * one would silently lose its end.  \u0000, and JSON5's \x00 and \0, which
 * SQLite reads from 3.42 on.  (Backslashes occur only in strings.) */
static long nul_escape(const char *json) {
  for (const char *p = json; *p; p++)
    if (*p == '\\') {
      if ((p[1] == 'u' && !strncmp(p + 2, "0000", 4)) || ((p[1] == 'x' || p[1] == 'X') && !strncmp(p + 2, "00", 2)) ||
          p[1] == '0')
        return (long)(p - json);
      if (p[1]) p++;
    }
  return -1;
}

/* The top-level members: each one present once with its type, the scalars
 * read, the arrays' lengths in len[]. */
static int read_members(reader *r, const char *json, int len[NMEMBERS]) {
  sqlite3_stmt *st = NULL;
  int seen[NMEMBERS] = {0};
  /* json_type, not json_valid: json_valid says 0 when it runs out of memory */
  int rc = prepare(r, "SELECT json_type(?1)", json, NULL, &st);
  long nul = nul_escape(json);
  if (rc == SQLITE_OK && nul >= 0) rc = bad(r, "its fit holds an escaped NUL character (\\u0000, \\x00 or \\0) at byte %ld", nul + 1);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    const char *t = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (rc == SQLITE_ROW) rc = !t ? SQLITE_NOMEM : strcmp(t, "object") ? bad(r, "its fit is a JSON %s, not an object", t) : SQLITE_OK;
    else if (rc == SQLITE_ERROR && !strcmp(sqlite3_errmsg(r->db), "malformed JSON")) rc = bad(r, "its fit is not JSON (malformed JSON)");
    else rc = sql_failed(r, rc);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc == SQLITE_OK)
    rc = prepare(r, "SELECT key, type, atom, CASE type WHEN 'array' THEN json_array_length(value) END FROM json_each(?1)",
                 json, NULL, &st);
  lmm_saved_fit *f = r->f;
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    const char *key = (const char *)sqlite3_column_text(st, 0), *type = (const char *)sqlite3_column_text(st, 1);
    if (!key || !type) { rc = SQLITE_NOMEM; break; }
    int m = 0;
    while (m < NMEMBERS && strcmp(key, member_name[m])) m++;
    if (m == NMEMBERS) continue;   /* a member this version does not read */
    if (seen[m]++) { rc = bad(r, "its fit has two members '%s'", key); break; }
    if (strcmp(type, member_type[m])) { rc = bad(r, "its %s is %s, not %s", key, type, member_type[m]); break; }
    const char *atom = (const char *)sqlite3_column_text(st, 2);
    if (m == M_METHOD) {
      f->reml = atom && !strcmp(atom, "REML");
      if (!f->reml && !(atom && !strcmp(atom, "ML"))) rc = bad(r, "its method is '%s', not REML or ML", atom ? atom : "");
    } else if (m == M_STYLE) {
      static const char *const styles[] = {"lm", "nlme", "lme4"};
      f->style = -1;
      for (int s = 0; s < 3 && atom; s++)
        if (!strcmp(atom, styles[s])) f->style = s;
      if (f->style < 0) rc = bad(r, "its style is '%s', not lm, nlme or lme4", atom ? atom : "");
    } else if (m == M_NOBS) {
      f->nobs = sqlite3_column_int64(st, 2);
      if (f->nobs < 1) rc = bad(r, "its nobs is %lld, not a count of rows", (long long)f->nobs);
    } else if (m == M_FINGERPRINT) {
      size_t n = atom ? strlen(atom) : 0;
      if (n != 16 || strspn(atom, "0123456789abcdef") != 16) rc = bad(r, "its fingerprint is not 16 hexadecimal digits");
      else memcpy(f->fingerprint, atom, 17);
    } else len[m] = sqlite3_column_int(st, 3);
  }
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  else if (rc != SQLITE_OK && !*r->errmsg) rc = sql_failed(r, rc);
  sqlite3_finalize(st);
  f->has_structure = seen[M_STRUCTURE];
  for (int m = 0; m < FIRST_OPTIONAL && rc == SQLITE_OK; m++)
    if (!seen[m]) rc = bad(r, "its fit has no %s%s", member_name[m], member_type[m][0] == 'a' ? " array" : "");
  if (rc == SQLITE_OK && f->style == LMM_STYLE_LM && f->reml) rc = bad(r, "its style is lm, which is fitted by ML, not REML");
  return rc;
}

/* The array at path: each element (and, nested, each element of an element
 * array) to visit(), which places it by its indexes i and j (j < 0: not
 * nested). */
typedef int visit_fn(reader *r, sqlite3_stmt *st, int i, int j);

static int each_element(reader *r, const char *json, const char *path, visit_fn *visit) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(r, "SELECT a.key, a.type, a.atom, b.key, b.type, b.atom FROM json_each(?1, ?2) AS a "
                      "LEFT JOIN json_each(CASE a.type WHEN 'array' THEN a.value END) AS b", json, path, &st);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
    rc = visit(r, st, sqlite3_column_int(st, 0), sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3));
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  else if (rc != SQLITE_OK && !*r->errmsg) rc = sql_failed(r, rc);
  sqlite3_finalize(st);
  return rc;
}

static int visit_theta(reader *r, sqlite3_stmt *st, int i, int j) {
  (void)j;
  char what[48];
  sqlite3_snprintf(sizeof what, what, "its theta[%d]", i);
  return number(r, st, 1, 2, 0, &r->f->theta[i], what);
}

static int visit_structure(reader *r, sqlite3_stmt *st, int i, int j) {
  (void)j;
  char what[48];
  sqlite3_snprintf(sizeof what, what, "its structure[%d]", i);
  return number(r, st, 1, 2, 0, &r->f->structure[i], what);
}

static int visit_fixed(reader *r, sqlite3_stmt *st, int i, int j) {
  (void)j;
  char what[48];
  sqlite3_snprintf(sizeof what, what, "its fixed[%d]", i);
  return text(r, st, 1, 2, 0, &r->f->fixed[i], what);
}

/* An element of an array of arrays: the outer one must be an array, the
 * inner index below n; counts[i] counts the inner elements. */
static int nested(reader *r, sqlite3_stmt *st, int i, int j, int n, int *counts, const char *name) {
  const char *t = (const char *)sqlite3_column_text(st, 1);
  if (!t) return SQLITE_NOMEM;
  if (strcmp(t, "array")) return bad(r, "its %s[%d] is %s, not an array", name, i, t);
  if (j < 0) return SQLITE_OK;   /* an empty array: its count stays 0 */
  if (j >= n) return bad(r, "its %s[%d] has more than %d elements", name, i, n);
  counts[i]++;
  return SQLITE_OK;
}

typedef struct counted { reader base; int *counts; } counted;

static int visit_vcov(reader *r, sqlite3_stmt *st, int i, int j) {
  lmm_saved_fit *f = r->f;
  int rc = nested(r, st, i, j, f->p, ((counted *)r)->counts, "vcov");
  if (rc != SQLITE_OK || j < 0) return rc;
  char what[64];
  sqlite3_snprintf(sizeof what, what, "its vcov[%d][%d]", i, j);
  return number(r, st, 4, 5, 1, &f->vcov[i + (size_t)j * (size_t)f->p], what);
}

static int visit_row(reader *r, sqlite3_stmt *st, int i, int j) {
  int rc = nested(r, st, i, j, ROW_LEN, ((counted *)r)->counts, "rows");
  if (rc != SQLITE_OK || j < 0) return rc;
  lmm_saved_row *row = &r->f->rows[i];
  char what[64];
  sqlite3_snprintf(sizeof what, what, "its rows[%d][%d]", i, j);
  if (j == 0) return text(r, st, 4, 5, 0, &row->effect, what);
  if (j == 1) return text(r, st, 4, 5, 1, &row->grp, what);
  if (j == 2) return text(r, st, 4, 5, 0, &row->term, what);
  const char *t = (const char *)sqlite3_column_text(st, 4);
  row->integer[j - 3] = t && !strcmp(t, "integer");
  return number(r, st, 4, 5, 1, &row->v[j - 3], what);
}

/* An array of n arrays of m elements each, counted by visit. */
static int read_nested(reader *r, const char *json, const char *path, visit_fn *visit, int n, int m, const char *name) {
  counted c = {*r, sqlite3_malloc64(sizeof(int) * (size_t)(n ? n : 1))};
  if (!c.counts) return SQLITE_NOMEM;
  memset(c.counts, 0, sizeof(int) * (size_t)(n ? n : 1));
  int rc = each_element(&c.base, json, path, visit);
  for (int i = 0; i < n && rc == SQLITE_OK; i++)
    if (c.counts[i] != m) rc = bad(r, "its %s[%d] has %d elements, not %d", name, i, c.counts[i], m);
  sqlite3_free(c.counts);
  return rc;
}

/* What the rows must agree on with the rest: the fixed effects are the p
 * names in order, sigma is positive, the criterion is the method's, the
 * row count of observations is nobs. */
static int check_rows(reader *r) {
  lmm_saved_fit *f = r->f;
  int nfixed = 0;
  for (int i = 0; i < f->nrows; i++) {
    const lmm_saved_row *row = &f->rows[i];
    if (strcmp(row->effect, "fixed") && strcmp(row->effect, "ran_pars") && strcmp(row->effect, "fit"))
      return bad(r, "its rows[%d] has the effect '%s', not fixed, ran_pars or fit", i, row->effect);
    if (strcmp(row->effect, "fixed")) continue;
    if (nfixed >= f->p || strcmp(row->term, f->fixed[nfixed]))
      return bad(r, "its rows[%d] is the fixed effect '%s' where its fixed names %s", i, row->term,
                 nfixed < f->p ? f->fixed[nfixed] : "no more");
    if (isnan(row->v[0])) return bad(r, "its fixed effect '%s' has no estimate", row->term);
    nfixed++;
  }
  if (nfixed != f->p) return bad(r, "its rows have %d fixed effects but its fixed array names %d", nfixed, f->p);
  for (int j = 0; j < f->p; j++)
    if (f->vcov[j + (size_t)j * (size_t)f->p] < 0) return bad(r, "its vcov[%d][%d], a variance, is negative", j, j);
  /* a covariance matrix is symmetric, each covariance within what its two variances allow (up to rounding;
   * vcov[i][j] is f->vcov[i + j p]) */
  for (int i = 0; i < f->p; i++)
    for (int j = i + 1; j < f->p; j++) {
      size_t p = (size_t)f->p;
      double a = f->vcov[i + j * p], b = f->vcov[j + i * p], bound = sqrt(f->vcov[i + i * p]) * sqrt(f->vcov[j + j * p]);
      if (isnan(a) || isnan(b) || isnan(bound)) continue;
      if (fabs(a - b) > 1e-6 * bound)
        return bad(r, "its vcov[%d][%d] is %.10g but its vcov[%d][%d] is %.10g: a covariance matrix is symmetric", i, j, a,
                   j, i, b);
      if (fabs(a) > bound * (1 + 1e-6))
        return bad(r, "its vcov[%d][%d] is %.10g, more than its variances allow (at most %.10g)", i, j, a, bound);
    }
  double sigma = lmm_saved_fit_stat(f, "sigma"), nobs = lmm_saved_fit_stat(f, "nobs");
  if (isnan(sigma)) return bad(r, "its rows give no sigma");
  if (!(sigma > 0)) return bad(r, "its sigma is %g, not positive", sigma);
  if (nobs != (double)f->nobs) return bad(r, "its rows count %g observations but its nobs is %lld", nobs, (long long)f->nobs);
  const char *criterion = f->reml ? "REMLcrit" : "deviance", *other = f->reml ? "deviance" : "REMLcrit";
  if (isnan(lmm_saved_fit_stat(f, criterion)) || !isnan(lmm_saved_fit_stat(f, other)))
    return bad(r, "its method is %s but its rows give the %s", f->reml ? "REML" : "ML",
               isnan(lmm_saved_fit_stat(f, criterion)) ? "criterion of the other method" : "criteria of both methods");
  return SQLITE_OK;
}

double lmm_saved_fit_stat(const lmm_saved_fit *f, const char *term) {
  for (int i = 0; i < f->nrows; i++)
    if (!strcmp(f->rows[i].effect, "fit") && !f->rows[i].grp && !strcmp(f->rows[i].term, term)) return f->rows[i].v[0];
  return NAN;
}

static void *alloc_zero(size_t n, size_t size) {
  void *p = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1) * size);
  if (p) memset(p, 0, (n ? n : 1) * size);
  return p;
}

int lmm_saved_fit_read(sqlite3 *db, const char *prefix, const char *json, lmm_saved_fit **out, char **errmsg) {
  *out = NULL;
  lmm_saved_fit *f = alloc_zero(1, sizeof *f);
  if (!f) return SQLITE_NOMEM;
  reader r = {db, prefix, errmsg, f};
  int len[NMEMBERS] = {0};
  int rc = read_members(&r, json, len);
  if (rc == SQLITE_OK) {
    f->ntheta = len[M_THETA];
    f->p = len[M_FIXED];
    f->nrows = len[M_ROWS];
    f->nstructure = len[M_STRUCTURE];
    /* p x p numbers take at least 2 p^2 bytes of the text: a p no text can hold is refused before its matrix is made */
    if (len[M_VCOV] != f->p) rc = bad(&r, "its vcov has %d rows for %d fixed effects", len[M_VCOV], f->p);
    else if ((size_t)f->p * (size_t)f->p > strlen(json) / 2)
      rc = bad(&r, "its vcov cannot hold %d x %d numbers in a fit of %lld bytes", f->p, f->p, (long long)strlen(json));
  }
  if (rc == SQLITE_OK) {
    size_t pp = (size_t)f->p * (size_t)f->p;
    f->theta = alloc_zero((size_t)f->ntheta, sizeof *f->theta);
    f->fixed = alloc_zero((size_t)f->p, sizeof *f->fixed);
    f->vcov = alloc_zero(pp, sizeof *f->vcov);
    f->rows = alloc_zero((size_t)f->nrows, sizeof *f->rows);
    f->structure = alloc_zero((size_t)f->nstructure, sizeof *f->structure);
    if (!f->theta || !f->fixed || !f->vcov || !f->rows || !f->structure) rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) rc = each_element(&r, json, "$.theta", visit_theta);
  if (rc == SQLITE_OK) rc = each_element(&r, json, "$.fixed", visit_fixed);
  if (rc == SQLITE_OK && f->has_structure) rc = each_element(&r, json, "$.structure", visit_structure);
  if (rc == SQLITE_OK) rc = read_nested(&r, json, "$.vcov", visit_vcov, f->p, f->p, "vcov");
  if (rc == SQLITE_OK) rc = read_nested(&r, json, "$.rows", visit_row, f->nrows, ROW_LEN, "rows");
  if (rc == SQLITE_OK) rc = check_rows(&r);
  if (rc != SQLITE_OK) {
    lmm_saved_fit_free(f);
    return rc;
  }
  *out = f;
  return SQLITE_OK;
}

/* ---- the snapshot ------------------------------------------------------------
 * Its arrays are core's (core/restore.h), so they come from core's allocator. */

/* One statement's rows to visit(r, st, ctx) until it fails. */
static int each_row(reader *r, const char *sql, const char *json, const char *path,
                    int (*visit)(reader *, sqlite3_stmt *, void *), void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(r, sql, json, path, &st);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) rc = visit(r, st, ctx);
  if (rc == SQLITE_DONE) rc = SQLITE_OK;
  else if (rc != SQLITE_OK && !*r->errmsg) rc = sql_failed(r, rc);
  sqlite3_finalize(st);
  return rc;
}

typedef struct snap_ctx { lmm_snapshot *s; size_t max; } snap_ctx;

/* An array's length from column c (its type in column c - 1, "array" or, where absent is allowed, NULL). */
static int array_len(reader *r, sqlite3_stmt *st, int c, int absent_ok, size_t max, size_t *len, const char *what) {
  const char *t = (const char *)sqlite3_column_text(st, c - 1);
  *len = 0;
  if (!t) return absent_ok ? SQLITE_OK : bad(r, "its %s is missing", what);
  if (strcmp(t, "array")) return bad(r, "its %s is %s, not an array", what, t);
  sqlite3_int64 n = sqlite3_column_int64(st, c);
  if (n < 0 || (sqlite3_uint64)n > max) return bad(r, "its %s has %lld elements, more than its text holds", what, (long long)n);
  *len = (size_t)n;
  return SQLITE_OK;
}

/* Whether column c, of type in column c - 1, is 0 or 1. */
static int flag(reader *r, sqlite3_stmt *st, int c, int *v, const char *what) {
  const char *t = (const char *)sqlite3_column_text(st, c - 1);
  sqlite3_int64 x = sqlite3_column_int64(st, c);
  if (!t || strcmp(t, "integer") || (x != 0 && x != 1)) return bad(r, "its %s is not 0 or 1", what);
  *v = (int)x;
  return SQLITE_OK;
}

/* vars[i]: {"factor": 0|1[, "levels": [...]][, "coef": [...]]} */
static int visit_var(reader *r, sqlite3_stmt *st, void *ctx) {
  snap_ctx *c = ctx;
  int i = sqlite3_column_int(st, 0);
  lmm_snapshot_var *v = &c->s->vars[i];
  char what[64];
  sqlite3_snprintf(sizeof what, what, "snapshot's vars[%d]", i);
  const char *t = (const char *)sqlite3_column_text(st, 1);
  if (!t || strcmp(t, "object")) return bad(r, "its %s is %s, not an object", what, t ? t : "missing");
  sqlite3_snprintf(sizeof what, what, "snapshot's vars[%d].factor", i);
  int rc = flag(r, st, 3, &v->is_factor, what);
  size_t n = 0;
  sqlite3_snprintf(sizeof what, what, "snapshot's vars[%d].levels", i);
  if (rc == SQLITE_OK) rc = array_len(r, st, 5, 1, c->max, &n, what);
  if (rc != SQLITE_OK) return rc;
  size_t ncoef = 0;
  sqlite3_snprintf(sizeof what, what, "snapshot's vars[%d].coef", i);
  if (rc == SQLITE_OK) rc = array_len(r, st, 7, 1, c->max, &ncoef, what);
  if (rc != SQLITE_OK) return rc;
  if (ncoef > INT_MAX) return bad(r, "its %s is too long", what);
  if (ncoef && !(v->coef = lmm_calloc(ncoef, sizeof *v->coef))) return SQLITE_NOMEM;
  v->ncoef = (int)ncoef;
  v->nlevels = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : (int)n;
  if (v->nlevels < 0) return SQLITE_OK;
  v->levels = lmm_calloc(n, sizeof *v->levels);
  v->level_len = lmm_calloc(n, sizeof *v->level_len);
  return v->levels && v->level_len ? SQLITE_OK : SQLITE_NOMEM;
}

static int hex_digit(int ch) {
  return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* vars[i].levels[l]: a string, or {"hex": "..."} of a label's bytes */
static int visit_level(reader *r, sqlite3_stmt *st, void *ctx) {
  snap_ctx *c = ctx;
  int i = sqlite3_column_int(st, 0), l = sqlite3_column_int(st, 1);
  lmm_snapshot_var *v = &c->s->vars[i];
  const char *t = (const char *)sqlite3_column_text(st, 2), *x = (const char *)sqlite3_column_text(st, 3);
  int n = sqlite3_column_bytes(st, 3);
  if (!t || (!x && sqlite3_column_type(st, 3) != SQLITE_NULL)) return SQLITE_NOMEM;
  char *label = NULL;
  if (!strcmp(t, "text")) {
    if (!x) return SQLITE_NOMEM;   /* a string's text is never NULL */
    if (!(label = lmm_malloc((size_t)n + 1))) return SQLITE_NOMEM;
    memcpy(label, x, (size_t)n + 1);
  } else if (!strcmp(t, "object") && x && n % 2 == 0) {
    if (!(label = lmm_malloc((size_t)n / 2 + 1))) return SQLITE_NOMEM;
    for (int k = 0; k < n / 2; k++) {
      int hi = hex_digit(x[2 * k]), lo = hex_digit(x[2 * k + 1]);
      if (hi < 0 || lo < 0) { lmm_free(label); label = NULL; break; }
      label[k] = (char)(hi * 16 + lo);
    }
    if (label) label[n / 2] = 0;
    n /= 2;
  }
  if (!label) return bad(r, "its snapshot's vars[%d].levels[%d] is not a label (text, or {\"hex\": hexadecimal bytes})", i, l);
  v->levels[l] = label;
  v->level_len[l] = n;
  return SQLITE_OK;
}

/* vars[i].coef[k]: a number */
static int visit_coef(reader *r, sqlite3_stmt *st, void *ctx) {
  snap_ctx *c = ctx;
  int i = sqlite3_column_int(st, 0), k = sqlite3_column_int(st, 1);
  char what[64];
  sqlite3_snprintf(sizeof what, what, "its snapshot's vars[%d].coef[%d]", i, k);
  return number(r, st, 2, 3, 0, &c->s->vars[i].coef[k], what);
}

/* ranef[t]: {"codes": [...], "b": [...], "sd": [...]} */
static int visit_term(reader *r, sqlite3_stmt *st, void *ctx) {
  snap_ctx *c = ctx;
  int t = sqlite3_column_int(st, 0);
  lmm_snapshot_term *term = &c->s->term[t];
  const char *type = (const char *)sqlite3_column_text(st, 1);
  if (!type || strcmp(type, "object")) return bad(r, "its snapshot's ranef[%d] is %s, not an object", t, type ? type : "missing");
  size_t nsd = 0;
  char what[3][48];
  static const char *const name[3] = {"codes", "b", "sd"};
  for (int k = 0; k < 3; k++) sqlite3_snprintf(sizeof what[k], what[k], "snapshot's ranef[%d].%s", t, name[k]);
  int rc = array_len(r, st, 3, 0, c->max, &term->ncodes, what[0]);
  if (rc == SQLITE_OK) rc = array_len(r, st, 5, 0, c->max, &term->nb, what[1]);
  if (rc == SQLITE_OK) rc = array_len(r, st, 7, 0, c->max, &nsd, what[2]);
  if (rc == SQLITE_OK && nsd != term->nb) rc = bad(r, "its %s has %lld elements where b has %lld", what[2], (long long)nsd, (long long)term->nb);
  if (rc != SQLITE_OK) return rc;
  term->codes = lmm_calloc(term->ncodes, sizeof *term->codes);
  term->b = lmm_calloc(term->nb, sizeof *term->b);
  term->sd = lmm_calloc(term->nb, sizeof *term->sd);
  return term->codes && term->b && term->sd ? SQLITE_OK : SQLITE_NOMEM;
}

/* ranef[t].codes[k], .b[k] or .sd[k] (column 1 says which) */
static int visit_term_value(reader *r, sqlite3_stmt *st, void *ctx) {
  snap_ctx *c = ctx;
  int t = sqlite3_column_int(st, 0), which = sqlite3_column_int(st, 1);
  sqlite3_int64 k = sqlite3_column_int64(st, 2);
  lmm_snapshot_term *term = &c->s->term[t];
  char what[64];
  sqlite3_snprintf(sizeof what, what, "its snapshot's ranef[%d].%s[%lld]", t, which == 0 ? "codes" : which == 1 ? "b" : "sd",
                   (long long)k);
  if (which == 0) {
    const char *type = (const char *)sqlite3_column_text(st, 3);
    sqlite3_int64 x = sqlite3_column_int64(st, 4);
    if (!type || strcmp(type, "integer") || x < 0 || x > INT_MAX) return bad(r, "%s is not a level code", what);
    term->codes[k] = (int)x;
    return SQLITE_OK;
  }
  return number(r, st, 3, 4, which == 2, which == 1 ? &term->b[k] : &term->sd[k], what);
}

int lmm_saved_snapshot_read(sqlite3 *db, const char *prefix, const char *json, lmm_snapshot *out, int *present,
                            char **errmsg) {
  memset(out, 0, sizeof *out);
  *present = 0;
  reader r = {db, prefix, errmsg, NULL};
  snap_ctx c = {out, strlen(json) / 2};   /* an element takes two bytes of the text at least */
  sqlite3_stmt *st = NULL;
  int rc = prepare(&r, "SELECT json_type(?1, '$.snapshot'), json_type(?1, '$.snapshot.untyped'), "
                       "json_extract(?1, '$.snapshot.untyped'), json_type(?1, '$.snapshot.vars'), "
                       "json_array_length(?1, '$.snapshot.vars'), json_type(?1, '$.snapshot.ranef'), "
                       "json_array_length(?1, '$.snapshot.ranef')", json, NULL, &st);
  long nul = nul_escape(json);
  if (rc == SQLITE_OK && nul >= 0) rc = bad(&r, "its fit holds an escaped NUL character (\\u0000, \\x00 or \\0) at byte %ld", nul + 1);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) != SQLITE_ROW) rc = sql_failed(&r, rc);
  else if (rc == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    size_t nvars = 0, nre = 0;
    rc = SQLITE_OK;
    if (!t) {
      sqlite3_finalize(st);
      return SQLITE_OK;   /* saved before fits kept snapshots */
    }
    *present = 1;
    if (strcmp(t, "object")) rc = bad(&r, "its snapshot is %s, not an object", t);
    if (rc == SQLITE_OK) rc = flag(&r, st, 2, &out->untyped, "snapshot's untyped");
    if (rc == SQLITE_OK) rc = array_len(&r, st, 4, 0, c.max, &nvars, "snapshot's vars");
    if (rc == SQLITE_OK) rc = array_len(&r, st, 6, 0, c.max, &nre, "snapshot's ranef");
    if (rc == SQLITE_OK && (nvars > LMM_MAX_VARS || nre > LMM_MAX_BARS))
      rc = bad(&r, "its snapshot has %lld variables and %lld groupings, more than a formula has", (long long)nvars,
               (long long)nre);
    if (rc == SQLITE_OK) {
      out->vars = lmm_calloc(nvars, sizeof *out->vars);
      out->term = lmm_calloc(nre, sizeof *out->term);
      if (!out->vars || !out->term) rc = SQLITE_NOMEM;
      out->nvars = out->vars ? (int)nvars : 0;
      out->nre = out->term ? (int)nre : 0;
      for (int i = 0; i < out->nvars; i++) out->vars[i].nlevels = -1;
    }
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_OK)
    rc = each_row(&r, "SELECT key, type, json_type(o, '$.factor'), json_extract(o, '$.factor'), json_type(o, '$.levels'), "
                      "json_array_length(o, '$.levels'), json_type(o, '$.coef'), json_array_length(o, '$.coef') FROM "
                      "(SELECT key, type, CASE type WHEN 'object' THEN value ELSE '{}' END AS o FROM json_each(?1, ?2))",
                  json, "$.snapshot.vars", visit_var, &c);
  if (rc == SQLITE_OK)
    rc = each_row(&r, "SELECT v.key, l.key, l.type, CASE l.type WHEN 'object' THEN json_extract(l.value, '$.hex') "
                      "WHEN 'text' THEN l.value END FROM json_each(?1, ?2) AS v, json_each(v.value, '$.levels') AS l",
                  json, "$.snapshot.vars", visit_level, &c);
  if (rc == SQLITE_OK)
    rc = each_row(&r, "SELECT v.key, e.key, e.type, e.atom FROM json_each(?1, ?2) AS v, json_each(v.value, '$.coef') AS e",
                  json, "$.snapshot.vars", visit_coef, &c);
  if (rc == SQLITE_OK)
    rc = each_row(&r, "SELECT key, type, json_type(o, '$.codes'), json_array_length(o, '$.codes'), json_type(o, '$.b'), "
                      "json_array_length(o, '$.b'), json_type(o, '$.sd'), json_array_length(o, '$.sd') FROM (SELECT key, "
                      "type, CASE type WHEN 'object' THEN value ELSE '{}' END AS o FROM json_each(?1, ?2))", json, "$.snapshot.ranef", visit_term, &c);
  if (rc == SQLITE_OK)
    rc = each_row(&r, "SELECT t.key, w.k, e.key, e.type, e.atom FROM json_each(?1, ?2) AS t, "
                      "(SELECT 0 AS k, 'codes' AS name UNION ALL SELECT 1, 'b' UNION ALL SELECT 2, 'sd') AS w, "
                      "json_each(t.value, '$.' || w.name) AS e", json, "$.snapshot.ranef", visit_term_value, &c);
  if (rc != SQLITE_OK) lmm_snapshot_clear(out);
  return rc;
}

void lmm_saved_fit_free(lmm_saved_fit *f) {
  if (!f) return;
  for (int j = 0; f->fixed && j < f->p; j++) sqlite3_free(f->fixed[j]);
  for (int i = 0; f->rows && i < f->nrows; i++) {
    sqlite3_free(f->rows[i].effect);
    sqlite3_free(f->rows[i].grp);
    sqlite3_free(f->rows[i].term);
  }
  sqlite3_free(f->theta);
  sqlite3_free(f->structure);
  sqlite3_free(f->fixed);
  sqlite3_free(f->vcov);
  sqlite3_free(f->rows);
  sqlite3_free(f);
}
