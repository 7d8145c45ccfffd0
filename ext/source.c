/* source.c — one read-only pass over the user's rows.
 *
 * Names from arguments are always quoted as identifiers; a query argument is
 * run only if it is a single read-only statement. */
#include "source.h"
SQLITE_EXTENSION_INIT3

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "sql_error.h"

/* Past blanks and comments. */
static const char *skip_noise(const char *s) {
  for (;;) {
    while (isspace((unsigned char)*s)) s++;
    if (s[0] == '-' && s[1] == '-') { while (*s && *s != '\n') s++; continue; }
    if (s[0] == '/' && s[1] == '*') { const char *e = strstr(s + 2, "*/"); s = e ? e + 2 : s + strlen(s); continue; }
    return s;
  }
}

static int is_ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80; }

/* Whether s begins, after blanks, comments and parentheses, with the whole
 * keyword SELECT, WITH or VALUES ("select1" or "with_x" is a name). */
static int begins_query(const char *s) {
  for (s = skip_noise(s); *s == '('; s = skip_noise(s + 1)) {}
  size_t n = 0;
  while (is_ident_char(s[n])) n++;
  return (n == 6 && !strncasecmp(s, "select", 6)) || (n == 4 && !strncasecmp(s, "with", 4)) ||
         (n == 6 && !strncasecmp(s, "values", 6));
}

/* One identifier at *s, bare or quoted ("a""b", `a`, [a]), unquoted into a
 * copy; *s moves past it.  NULL when there is none (or out of memory: *nomem). */
static char *read_ident(const char **s, int *nomem) {
  const char *p = *s;
  sqlite3_str *out = sqlite3_str_new(NULL);
  char close = *p == '"' ? '"' : *p == '`' ? '`' : *p == '[' ? ']' : 0;
  if (close) {
    for (p++; *p && !(*p == close && (close == ']' || p[1] != close)); p++) {
      if (*p == close && close != ']') p++;   /* a doubled quote stands for one */
      sqlite3_str_appendchar(out, 1, *p);
    }
    if (*p != close) { sqlite3_free(sqlite3_str_finish(out)); return NULL; }
    p++;
  } else {
    while (is_ident_char(*p)) sqlite3_str_appendchar(out, 1, *p++);
    if (p == *s) { sqlite3_free(sqlite3_str_finish(out)); return NULL; }
  }
  int failed = sqlite3_str_errcode(out) != SQLITE_OK;
  char *name = sqlite3_str_finish(out);   /* NULL for "" as well: an empty quoted name is a name, found nowhere */
  if (!name && !failed) name = sqlite3_mprintf("%s", "");
  if (!name) *nomem = 1;
  else *s = p;
  return name;
}

/* The FROM text ("schema"."name" or "name") of the table or view that data
 * names, NULL when there is none: data as the name itself, or as
 * [schema.]name with either part quoted.  A table found this way wins over
 * what the name looks like: a table may be called "values" or
 * "selections". */
static int table_from(sqlite3 *db, const char *data, char **from, int *is_view, int *is_ordinary, char **errmsg) {
  *from = NULL;
  *is_view = *is_ordinary = 0;
  sqlite3_stmt *st = NULL;
  /* short, for a low SQLITE_LIMIT_SQL_LENGTH; the FROM text leaves an unqualified name for SQLite to resolve (temp first) */
  int rc = lmm_sql_prepare(db, "SELECT type FROM pragma_table_list(?2)WHERE ifnull(schema=?1 COLLATE NOCASE,1)", 0, &st, NULL);
  char *schema = NULL, *name = NULL;
  int nomem = 0;
  for (int attempt = 0; attempt < 2 && rc == SQLITE_OK && !*from; attempt++) {
    if (attempt == 1) {   /* [schema.]name, perhaps quoted */
      const char *p = skip_noise(data);
      name = read_ident(&p, &nomem);
      if (name && *p == '.') {
        p++;
        schema = name;
        name = read_ident(&p, &nomem);
      }
      if (!name || *skip_noise(p)) break;
    }
    sqlite3_bind_text(st, 1, schema, -1, SQLITE_STATIC);
    rc = sqlite3_bind_text(st, 2, attempt ? name : data, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char *type = (const char *)sqlite3_column_text(st, 0);
      *is_view = type && !strcmp(type, "view");
      *is_ordinary = type && !strcmp(type, "table");
      *from = schema ? sqlite3_mprintf("\"%w\".\"%w\"", schema, name) : sqlite3_mprintf("\"%w\"", attempt ? name : data);
    }
    if (rc == SQLITE_ROW && !*from) nomem = 1;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = sqlite3_reset(st);
  }
  sqlite3_free(schema);
  sqlite3_free(name);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    char *why = lmm_sql_errmsg(db);
    *errmsg = sqlite3_mprintf("cannot look up the table '%s': %s", data, why ? why : "out of memory");
    sqlite3_free(why);
  }
  sqlite3_finalize(st);
  return nomem ? SQLITE_NOMEM : rc;
}

int lmm_source_is_query(sqlite3 *db, const char *data, int *is_query, char **errmsg) {
  char *from = NULL;
  int is_view, is_ordinary;
  int rc = table_from(db, data, &from, &is_view, &is_ordinary, errmsg);
  *is_query = rc == SQLITE_OK && !from && begins_query(data);
  sqlite3_free(from);
  return rc;
}

/* Only blanks, semicolons and comments after the statement. */
static int only_trailing_noise(const char *s) {
  for (;;) {
    while (isspace((unsigned char)*s) || *s == ';') s++;
    if (s[0] == '-' && s[1] == '-') { while (*s && *s != '\n') s++; continue; }
    if (s[0] == '/' && s[1] == '*') { const char *e = strstr(s + 2, "*/"); if (!e) return 1; s = e + 2; continue; }
    return *s == 0;
  }
}

/* Whether "SELECT what FROM from" compiles: 1 yes, 0 no (*rc SQLite's
 * error, which the caller reports when it is not the one it tests for), -1
 * out of memory (which must not pass for "no such table" or "no rowid"). */
static int compiles(sqlite3 *db, const char *what, const char *from, int *rc) {
  char *sql = from ? sqlite3_mprintf("SELECT %s FROM %s", what, from) : NULL;
  if (!sql) return -1;
  sqlite3_stmt *st = NULL;
  *rc = lmm_sql_prepare(db, sql, 0, &st, NULL);
  sqlite3_finalize(st);
  sqlite3_free(sql);
  if (*rc == SQLITE_NOMEM) return -1;
  return *rc == SQLITE_OK;
}

/* FROM-clause text for the data argument into *from, and whether it is a
 * table (*is_table: not a view or a query); an SQLite error code with
 * *errmsg set when there is none. */
static int source_from(sqlite3 *db, const char *data, char **from, int *is_table, int *is_query, char **errmsg) {
  *from = NULL;
  int is_view = 0, is_ordinary = 0;
  int rc = table_from(db, data, from, &is_view, &is_ordinary, errmsg);
  if (rc != SQLITE_OK) return rc;
  *is_query = !*from && begins_query(data);
  if (*is_query) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    /* a query in parentheses is no statement of its own: compiled as what it will be, a subquery */
    const char *close = strrchr(data, ')');   /* what follows the closing parenthesis, when it is noise, goes */
    size_t len = close && only_trailing_noise(close + 1) ? (size_t)(close + 1 - data) : strlen(data);
    char *wrapped = *skip_noise(data) == '(' ? sqlite3_mprintf("SELECT*FROM(%.*s\n)", (int)len, data) : NULL;
    if (*skip_noise(data) == '(' && !wrapped) return SQLITE_NOMEM;
    rc = lmm_sql_prepare(db, wrapped ? wrapped : data, 0, &st, &tail);
    if (wrapped) tail = data + (rc == SQLITE_OK && only_trailing_noise(tail) ? len : 0);
    sqlite3_free(wrapped);
    if (rc != SQLITE_OK) {
      char *why = lmm_sql_errmsg(db);
      *errmsg = sqlite3_mprintf("the data query does not compile: %s", why ? why : "out of memory");
      sqlite3_free(why);
      return rc == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    int ro = st && sqlite3_stmt_readonly(st), nparams = st ? sqlite3_bind_parameter_count(st) : 0;
    const char *param = nparams ? sqlite3_bind_parameter_name(st, 1) : NULL;
    if (nparams)   /* nothing binds it: it would be NULL, and so would every comparison with it */
      *errmsg = sqlite3_mprintf("the data query has a parameter (%s) that nothing binds; write the value into the "
                                "query's text (lmm reads the query as it is, without parameters)", param ? param : "?");
    sqlite3_finalize(st);
    if (nparams) return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
    if (!only_trailing_noise(tail)) {
      *errmsg = sqlite3_mprintf("the data query must be a single statement; found more after \"%.40s\"", data);
      return SQLITE_ERROR;
    }
    if (!ro) {
      *errmsg = sqlite3_mprintf("the data query must only read (a SELECT or WITH query)");
      return SQLITE_ERROR;
    }
    size_t n = (size_t)(tail - data);
    while (n && (isspace((unsigned char)data[n - 1]) || data[n - 1] == ';')) n--;
    *is_table = 0;
    /* the newline ends a -- comment the query may end with */
    *from = sqlite3_mprintf("(%.*s\n)", (int)n, data);
    return *from ? SQLITE_OK : SQLITE_NOMEM;
  }
  /* no table or view in the schemas' lists: what SQLite alone resolves (an eponymous virtual table) */
  if (!*from && !(*from = sqlite3_mprintf("\"%w\"", data))) return SQLITE_NOMEM;
  int found = compiles(db, "*", *from, &rc);
  if (found == 0 && !lmm_sql_no_such_table(db)) {
    char *why = lmm_sql_errmsg(db);
    *errmsg = sqlite3_mprintf("cannot read '%s': %s", data, why ? why : "out of memory");
    sqlite3_free(why);
    found = -2;
  }
  if (found <= 0) {
    sqlite3_free(*from);
    *from = NULL;
    if (found == 0)
      *errmsg = sqlite3_mprintf("no such table or view: '%s'%s", data,
                                strpbrk(data, " \t\n(") ? " (a query must begin with SELECT, WITH or VALUES)" : "");
    return found == -1 ? SQLITE_NOMEM : SQLITE_ERROR;
  }
  *is_table = !is_view;
  return SQLITE_OK;
}

int lmm_source_any_text(sqlite3 *db, const char *from, const char *col, int *declared_text) {
  char *sql = sqlite3_mprintf("SELECT typeof(\"%w\"), \"%w\" FROM %s WHERE \"%w\" IS NOT NULL "
                              "ORDER BY typeof(\"%w\") = 'text' DESC LIMIT 1", col, col, from, col, col);
  sqlite3_stmt *st = NULL;
  int text = -1, rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
  *declared_text = 0;
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) text = !sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "text");
  else if (rc == SQLITE_OK) {
    const char *decl = sqlite3_column_decltype(st, 1);
    *declared_text = decl && !sqlite3_stricmp(decl, "text");
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
  return text;
}

int lmm_source_from(sqlite3 *db, const char *data, char **from, char **errmsg) {
  int is_table, is_query;
  return source_from(db, data, from, &is_table, &is_query, errmsg);
}

/* What the rows' rowids are read as, into *rowid (NULL: the source gives
 * none, and rows are known by their position).  A table's (a virtual
 * table's too) is the first of rowid, _rowid_ and oid that is not a column
 * of its own, when it has rowids (a WITHOUT ROWID table has none).  A view
 * or a query has rowids when its result has a column named rowid or
 * _rowid_, as "SELECT rowid, * FROM t" makes; SQLite's rowid of a view or
 * a subquery is NULL, or a number of no table.  oid is not taken from a
 * view or a query: it is a common name for an id of one's own. */
static int find_rowid(sqlite3 *db, const char *from, int is_table, char **rowid, char **errmsg) {
  static const char *const names[] = {"rowid", "_rowid_", "oid"};
  *rowid = NULL;
  char *sql = sqlite3_mprintf("SELECT * FROM %s", from);
  sqlite3_stmt *st = NULL;
  int rc = sql ? lmm_sql_prepare(db, sql, 0, &st, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  int nc = sqlite3_column_count(st), done = 0;
  for (int c = 0; c < nc && rc == SQLITE_OK; c++)
    if (!sqlite3_column_name(st, c)) rc = SQLITE_NOMEM;
  for (int k = 0; rc == SQLITE_OK && !done && k < (is_table ? 3 : 2); k++) {
    int c = 0;
    while (c < nc && sqlite3_stricmp(sqlite3_column_name(st, c), names[k])) c++;
    if (is_table && c == nc) {   /* the first name no column hides: it reads the rowid, if there is one */
      done = 1;
      int has = compiles(db, names[k], from, &rc);
      if (has < 0) rc = SQLITE_NOMEM;
      else if (has && !(*rowid = sqlite3_mprintf("%s", names[k]))) rc = SQLITE_NOMEM;
      else rc = SQLITE_OK;
    } else if (!is_table && c < nc) {
      done = 1;
      if (!(*rowid = sqlite3_mprintf("\"%w\"", sqlite3_column_name(st, c)))) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    *errmsg = lmm_sql_errmsg(db);
    lmm_source_error_in("cannot read the data", errmsg);
  }
  return rc;
}

/* Numeric affinity by SQLite's rules for a declared type (section 3.1 of
 * datatype3.html): text in such a column is a data error, not a factor level. */
static int numeric_affinity(const char *decl) {
  if (!decl || !*decl) return 0;
  char up[64];
  size_t n = 0;
  for (; decl[n] && n < sizeof up - 1; n++) up[n] = (char)toupper((unsigned char)decl[n]);
  up[n] = 0;
  if (strstr(up, "INT")) return 1;
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT") || strstr(up, "BLOB")) return 0;
  return 1; /* REAL, FLOA, DOUB, NUMERIC, DECIMAL, ... */
}

/* The source's column names for the model's columns (matched as SQLite
 * matches names, ignoring case), or an error naming the missing one.
 * Checking here matters: SQLite would read an unknown "name" as a string. */
static int resolve_columns(sqlite3 *db, const char *from, const char *data, int is_query, int ncols,
                           const char *const *names, int *index, char **errmsg) {
  char *sql = sqlite3_mprintf("SELECT * FROM %s", from);
  sqlite3_stmt *st = NULL;
  int rc = sql ? lmm_sql_prepare(db, sql, 0, &st, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc == SQLITE_NOMEM) return SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    char *why = lmm_sql_errmsg(db);
    *errmsg = sqlite3_mprintf("cannot read the data: %s", why ? why : "out of memory");
    sqlite3_free(why);
    return SQLITE_ERROR;
  }
  int nc = sqlite3_column_count(st);
  for (int i = 0; i < ncols && rc == SQLITE_OK; i++) {
    index[i] = -1;
    for (int c = 0; c < nc && index[i] < 0; c++)
      if (!sqlite3_stricmp(sqlite3_column_name(st, c), names[i])) index[i] = c;
    if (index[i] >= 0) continue;
    char *list = sqlite3_mprintf("");
    for (int c = 0; c < nc && list; c++) {
      char *more = sqlite3_mprintf("%s%s%s", list, c ? ", " : "", sqlite3_column_name(st, c));
      sqlite3_free(list);
      list = more;
    }
    if (is_query)
      *errmsg = sqlite3_mprintf("no column '%s' in the data query (its columns: %s)", names[i], list ? list : "");
    else
      *errmsg = sqlite3_mprintf("no column '%s' in '%s' (its columns: %s)", names[i], data, list ? list : "");
    sqlite3_free(list);
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  return rc;
}

/* FNV-1a over the bytes of one value, its type first. */
static uint64_t hash_value(uint64_t h, int type, const void *bytes, size_t n) {
  h = (h ^ (unsigned char)type) * 1099511628211ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)bytes)[i]) * 1099511628211ULL;
  return h;
}

/* One scan's state.  The per-row function reaches it through the pointer
 * bound to its first argument (sqlite3_bind_pointer), so nothing is global. */
typedef struct scan {
  int nc;
  const char *const *names;
  const int *numeric;       /* per column: declared with numeric affinity */
  sqlite3_stmt *plain;      /* SELECT rowid, columns: their declared types, and the wide-model path */
  const char *rowid;        /* what reads the rowid (find_rowid), NULL: none, and messages name the row's number */
  int where_call;           /* the call is the WHERE clause (scan_by_function) */
  int64_t row;
  lmm_row_fn *each;
  void *ctx;
  lmm_value *vals;
  uint64_t fp, *want_fp;
  char **errmsg;
  int stop;                 /* what stopped the scan: a value, the model, or memory */
} scan;

static const char SCAN_POINTER[] = "lmm_scan";

static const char *row_word(const scan *sc) { return sc->rowid ? "rowid" : "row"; }

/* One value of the row into v, its bytes into the fingerprint; an SQLite
 * error code with *errmsg set when it cannot be modelled.  x is protected
 * (a function argument, or a column read under the connection's mutex). */
static int read_value(scan *sc, int i, sqlite3_value *x, int64_t id, lmm_value *v) {
  int t = sqlite3_value_type(x);
  uint64_t *fp = sc->want_fp ? &sc->fp : NULL;
  if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
    v->type = LMM_NUM;
    v->num = sqlite3_value_double(x);
    /* 2^53 + 1 reads as 2^53: as a number that is a double's rounding, as a level one id taken for another (the
     * frame refuses it there).  Below 2^53 every integer is exact: one comparison a value. */
    v->inexact = t == SQLITE_INTEGER && !(fabs(v->num) < 9007199254740992.0) && !lmm_int_is_exact(sqlite3_value_int64(x));
    if (fp) *fp = hash_value(*fp, LMM_NUM, &v->num, sizeof v->num);
  } else if (t == SQLITE_NULL) {
    v->type = LMM_NULL;
    v->inexact = 0;
    if (fp) *fp = hash_value(*fp, LMM_NULL, NULL, 0);
  } else if (t == SQLITE_TEXT) {
    v->type = LMM_TEXT;
    v->inexact = 0;
    v->text = (const char *)sqlite3_value_text(x);
    v->len = sqlite3_value_bytes(x);
    if (!v->text) return SQLITE_NOMEM;   /* the text could not be made */
    if (sc->numeric[i]) {
      *sc->errmsg = sqlite3_mprintf("column '%s' is declared %s but %s %lld holds the text '%.40s'", sc->names[i],
                                    sqlite3_column_decltype(sc->plain, i + 1), row_word(sc), (long long)id, v->text);
      return SQLITE_ERROR;
    }
    if (fp) *fp = hash_value(*fp, LMM_TEXT, v->text, (size_t)v->len);
  } else {
    *sc->errmsg = sqlite3_mprintf("column '%s' holds a BLOB at %s %lld; only numbers and text can be modelled", sc->names[i],
                                  row_word(sc), (long long)id);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* A view's or a query's rowid column holds what is no rowid: an error, as
 * a number made up in its place would join back to the wrong rows. */
static int not_a_rowid(scan *sc, sqlite3_value *rowid) {
  int null = sqlite3_value_type(rowid) == SQLITE_NULL;
  const char *shown = null ? "NULL" : (const char *)sqlite3_value_text(rowid);
  if (!shown) return SQLITE_NOMEM;
  const char *quote = null ? "" : "'";
  *sc->errmsg = sqlite3_mprintf("column %s of the data holds %s%.40s%s at row %lld, not an integer: a column named rowid "
                                "or _rowid_ of a view or query is read as the rows' rowids (lmm_augment's source_rowid); "
                                "select a table's rowid in it, or rename it", sc->rowid, quote, shown, quote,
                                (long long)sc->row);
  return SQLITE_ERROR;
}

/* One row: its rowid and values, then the caller's each(). */
static int scan_row(scan *sc, sqlite3_value *rowid, sqlite3_value *const *x) {
  sc->row++;
  int64_t id = sc->row;
  if (sc->rowid) {
    if (sqlite3_value_type(rowid) != SQLITE_INTEGER) return not_a_rowid(sc, rowid);
    id = sqlite3_value_int64(rowid);
  }
  for (int i = 0; i < sc->nc; i++) {
    int rc = read_value(sc, i, x[i], id, &sc->vals[i]);
    if (rc != SQLITE_OK) return rc;
  }
  lmm_error err;
  LMM_NO_ERROR(err);
  if (!sc->each(sc->ctx, sc->vals, sc->row, sc->rowid ? &id : NULL, &err)) return SQLITE_OK;
  return lmm_sql_error(sc->errmsg, NULL, &err);
}

/* lmm_source_row(scan, rowid, columns...): a row handed to the scan inside
 * SQLite's own loop, where reading each value with sqlite3_column_*() would
 * cost two API calls (each taking the connection's mutex) a value. */
static void source_row(sqlite3_context *fc, int argc, sqlite3_value **argv) {
  /* the scan, checked once a statement: ?1 is the same on every row, so
   * SQLite keeps it as auxiliary data (sqlite3_value_pointer compares the
   * pointer's type name on every call: a strcmp a row) */
  scan *sc = sqlite3_get_auxdata(fc, 0);
  if (!sc) {
    sc = argc > 0 ? sqlite3_value_pointer(argv[0], SCAN_POINTER) : NULL;
    if (!sc || argc != sc->nc + 2) {
      sqlite3_result_error(fc, "lmm_source_row() is how lmm reads rows; it is not for direct use", -1);
      return;
    }
    sqlite3_set_auxdata(fc, 0, sc, NULL);
  }
  int rc = scan_row(sc, argv[1], argv + 2);
  if (rc == SQLITE_OK) return;
  sc->stop = rc;
  if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(fc);
  else sqlite3_result_error(fc, *sc->errmsg ? *sc->errmsg : "the scan stopped", -1);
}

int lmm_source_register(sqlite3 *db) {
  return sqlite3_create_function_v2(db, "lmm_source_row", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL, source_row, NULL,
                                    NULL, NULL);
}

/* "SELECT [call(?1, ]rowid-or-NULL, "name1", ...[)] FROM from", or NULL when
 * out of memory; with a call as the WHERE clause, "SELECT 1 FROM from
 * WHERE call(...)" (see scan_by_function). */
static char *select_columns(const scan *sc, const char *call, const char *from) {
  const char *rowid = sc->rowid ? sc->rowid : "NULL";
  char *cols = call ? sqlite3_mprintf("%s(?1, %s", call, rowid) : sqlite3_mprintf("%s", rowid);
  for (int i = 0; i < sc->nc && cols; i++) {
    char *more = sqlite3_mprintf("%s, \"%w\"", cols, sc->names[i]);
    sqlite3_free(cols);
    cols = more;
  }
  char *sql = !cols ? NULL
              : call && sc->where_call ? sqlite3_mprintf("SELECT 1 FROM %s WHERE %s)", from, cols)
                                  : sqlite3_mprintf("SELECT %s%s FROM %s", cols, call ? ")" : "", from);
  sqlite3_free(cols);
  return sql;
}

/* The rows through lmm_source_row; SQLITE_DONE when all were read.  From a
 * table with rowids the call is the WHERE clause (it is NULL: no row comes
 * out), so the rows never leave SQLite's loop, which is faster than the
 * call as the result column.  A view, a query and a WITHOUT ROWID table
 * keep the plain SELECT, whose rows come in the order SELECT * gives them
 * (a WHERE term is pushed into a view or subquery, ahead of its ORDER BY),
 * the order lmm_augment's row counts in. */
static int scan_by_function(sqlite3 *db, scan *sc, const char *from) {
  char *sql = select_columns(sc, "lmm_source_row", from);
  sqlite3_stmt *st = NULL;
  int rc = sql ? lmm_sql_prepare(db, sql, 0, &st, NULL) : SQLITE_NOMEM;
  sqlite3_free(sql);
  if (rc == SQLITE_OK) rc = sqlite3_bind_pointer(st, 1, sc, SCAN_POINTER, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) rc = SQLITE_OK;
  sqlite3_finalize(st);
  return rc;
}

/* The rows through sqlite3_column_value(), for a model with more columns
 * than a function may take (SQLITE_LIMIT_FUNCTION_ARG); the values are
 * protected by holding the connection's mutex while they are read. */
static int scan_by_columns(sqlite3 *db, scan *sc) {
  sqlite3_mutex *mx = sqlite3_db_mutex(db);
  sqlite3_value **vals = sqlite3_malloc64(sizeof *vals * (size_t)(sc->nc ? sc->nc : 1));
  if (!vals) return SQLITE_NOMEM;
  int rc;
  while ((rc = sqlite3_step(sc->plain)) == SQLITE_ROW) {
    sqlite3_mutex_enter(mx);
    for (int i = 0; i < sc->nc; i++) vals[i] = sqlite3_column_value(sc->plain, i + 1);
    int stop = scan_row(sc, sqlite3_column_value(sc->plain, 0), vals);
    sqlite3_mutex_leave(mx);
    if (stop != SQLITE_OK) { sc->stop = stop; break; }
  }
  sqlite3_free(vals);
  return rc;
}

int lmm_source_each(sqlite3 *db, const char *data, int nc, const char *const *names, lmm_row_fn *each, void *ctx,
                    uint64_t *fingerprint, int *untyped, char **errmsg) {
  int is_table = 0, is_query = 0;
  char *from = NULL, *sql = NULL, *rowid = NULL;
  size_t width = (size_t)(nc ? nc : 1);
  int *index = NULL, *numeric = NULL;
  scan sc = {.nc = nc, .names = names, .each = each, .ctx = ctx, .fp = 1469598103934665603ULL, .want_fp = fingerprint,
             .errmsg = errmsg, .stop = SQLITE_OK};
  int rc = source_from(db, data, &from, &is_table, &is_query, errmsg);
  if (rc != SQLITE_OK) goto done;
  index = sqlite3_malloc64(sizeof *index * width);
  numeric = sqlite3_malloc64(sizeof *numeric * width);
  sc.vals = sqlite3_malloc64(sizeof *sc.vals * width);
  if (!index || !numeric || !sc.vals) { rc = SQLITE_NOMEM; goto done; }
  if ((rc = resolve_columns(db, from, data, is_query, nc, names, index, errmsg)) != SQLITE_OK) goto done;
  if ((rc = find_rowid(db, from, is_table, &rowid, errmsg)) != SQLITE_OK) goto done;
  sc.rowid = rowid;
  sc.where_call = is_table && rowid;
  sql = select_columns(&sc, NULL, from);
  rc = sql ? lmm_sql_prepare(db, sql, 0, &sc.plain, NULL) : SQLITE_NOMEM;
  if (rc != SQLITE_OK) {
    if (rc != SQLITE_NOMEM) *errmsg = lmm_sql_errmsg(db);
    lmm_source_error_in("cannot read the data", errmsg);
    goto done;
  }
  if (untyped) *untyped = 1;
  for (int i = 0; i < nc; i++) {
    numeric[i] = numeric_affinity(sqlite3_column_decltype(sc.plain, i + 1));
    if (numeric[i] && untyped) *untyped = 0;
  }
  sc.numeric = numeric;
  if (nc + 2 <= sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, -1)) rc = scan_by_function(db, &sc, from);
  else rc = scan_by_columns(db, &sc);
  if (sc.stop != SQLITE_OK) rc = sc.stop;
  else if (rc != SQLITE_DONE) {
    *errmsg = lmm_sql_errmsg(db);
    lmm_source_error_in("reading the data failed", errmsg);
  }
  else {
    rc = SQLITE_OK;
    if (fingerprint) *fingerprint = sc.fp;
  }
done:
  if (rc == SQLITE_NOMEM && !*errmsg) *errmsg = sqlite3_mprintf("out of memory");
  sqlite3_finalize(sc.plain);
  sqlite3_free(sql);
  sqlite3_free(from);
  sqlite3_free(rowid);
  sqlite3_free(index);
  sqlite3_free(numeric);
  sqlite3_free(sc.vals);
  return rc;
}

/* Whether column c of st is the one find_rowid reads a view's or a query's rowids from. */
static int is_rowid_column(sqlite3_stmt *st, int c) {
  int nc = sqlite3_column_count(st), first = -1;
  for (int k = 0; k < 2 && first < 0; k++)
    for (int i = 0; i < nc && first < 0; i++)
      if (!sqlite3_stricmp(sqlite3_column_name(st, i), k ? "_rowid_" : "rowid")) first = i;
  return c == first;
}

int lmm_source_columns(sqlite3 *db, const char *data, int *n, char ***names, char **errmsg) {
  *n = 0;
  *names = NULL;
  int is_table = 0, is_query = 0;
  char *from = NULL;
  sqlite3_stmt *st = NULL;
  int rc = source_from(db, data, &from, &is_table, &is_query, errmsg);
  char *sql = rc == SQLITE_OK ? sqlite3_mprintf("SELECT * FROM %s", from) : NULL;
  if (rc == SQLITE_OK) rc = sql ? lmm_sql_prepare(db, sql, 0, &st, NULL) : SQLITE_NOMEM;
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && !*errmsg) {
    *errmsg = lmm_sql_errmsg(db);
    lmm_source_error_in("cannot read the data", errmsg);
  }
  int nc = st ? sqlite3_column_count(st) : 0;
  if (rc == SQLITE_OK && !(*names = sqlite3_malloc64(sizeof **names * (size_t)(nc ? nc : 1)))) rc = SQLITE_NOMEM;
  for (int c = 0; c < nc && rc == SQLITE_OK; c++) {
    const char *name = sqlite3_column_name(st, c);
    if (!name) rc = SQLITE_NOMEM;
    else if (is_table || !is_rowid_column(st, c)) {
      if (!((*names)[*n] = sqlite3_mprintf("%s", name))) rc = SQLITE_NOMEM;
      else ++*n;
    }
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
  sqlite3_free(from);
  if (rc == SQLITE_NOMEM && !*errmsg) *errmsg = sqlite3_mprintf("out of memory");
  if (rc != SQLITE_OK) {
    lmm_source_columns_free(*n, *names);
    *n = 0;
    *names = NULL;
  }
  return rc;
}

void lmm_source_columns_free(int n, char **names) {
  for (int i = 0; i < n; i++) sqlite3_free(names[i]);
  sqlite3_free(names);
}

void lmm_source_error_in(const char *fn, char **errmsg) {
  size_t n = strlen(fn);
  if (!*errmsg || (!strncmp(*errmsg, fn, n) && (*errmsg)[n] == ':')) return;
  char *inner = *errmsg;
  *errmsg = sqlite3_mprintf("%s: %s", fn, inner);
  sqlite3_free(inner);
}

/* Whether sqlite3_interrupt() has been called on db or its progress handler
 * says stop.  SQLite 3.40 has no sqlite3_is_interrupted(), and it calls a
 * progress handler only while its VM runs: at each N-th step of a statement,
 * the steps counted across the statement's resets, N being the host's and
 * not to be read.  So each question runs a statement of its own again and
 * again for a PROBE_SHARE-th of the time since the last question: the
 * handler sees the VM run for that share of the fit's time, and is called
 * at every question while N is below the steps that share holds, every N
 * steps' worth of the share beyond.  The statement is made of the cheapest
 * steps SQL has, for the most steps in the share; the handler's own time
 * counts in it, so a slow handler costs no more.  The statement is one
 * endless stream (a recursive count giving a row every PROBE_STRIDE-th
 * number), stepped and never reset: a host that traces statements sees it
 * start once per fit, not once per run.  Once interrupted, SQLite refuses
 * to prepare or step a statement (SQLITE_INTERRUPT): that too is the
 * answer.  When the statement cannot be made (out of memory, a host's small
 * SQLITE_LIMIT_SQL_LENGTH), SELECT 1, run again and again, takes its place:
 * fewer steps in the share, the same answers. */
#define PROBE_EVERY_MS 20   /* SQLite is asked at most this often */
#define PROBE_SHARE 100     /* the VM gets 1 / PROBE_SHARE of the time */
#define PROBE_STRIDE "200"  /* about 1,000 steps a row: one row is all a question must pay when a handler that
                             * runs every step is slow */

static double ms_since(const struct timespec *then, struct timespec *now) {
  clock_gettime(CLOCK_MONOTONIC, now);
  return (double)(now->tv_sec - then->tv_sec) * 1e3 + (double)(now->tv_nsec - then->tv_nsec) / 1e6;
}

static int prepare_question(lmm_interrupt_probe *p) {
  int rc = lmm_sql_prepare(p->db, "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c) "
                                  "SELECT i FROM c WHERE i % " PROBE_STRIDE " = 0", 0, &p->ask, NULL);
  if (rc != SQLITE_OK && rc != SQLITE_INTERRUPT) rc = lmm_sql_prepare(p->db, "SELECT 1", 0, &p->ask, NULL);
  return rc;
}

/* Asked ms after the last question; p->last is this one's start. */
static int interrupted(lmm_interrupt_probe *p, double ms) {
  int rc = p->ask ? SQLITE_OK : prepare_question(p);
  if (rc != SQLITE_OK) return rc == SQLITE_INTERRUPT;
  struct timespec now;
  do {
    rc = sqlite3_step(p->ask);
    if (rc == SQLITE_DONE) {   /* only SELECT 1 ends: again */
      sqlite3_reset(p->ask);
      rc = SQLITE_ROW;
    }
  } while (rc == SQLITE_ROW && ms_since(&p->last, &now) < ms / PROBE_SHARE);
  if (rc != SQLITE_ROW) sqlite3_reset(p->ask);
  return rc == SQLITE_INTERRUPT;
}

void lmm_interrupt_probe_init(lmm_interrupt_probe *p, sqlite3 *db) {
  p->db = db;
  p->ask = NULL;
  clock_gettime(CLOCK_MONOTONIC, &p->last);
}

void lmm_interrupt_probe_end(lmm_interrupt_probe *p) {
  sqlite3_finalize(p->ask);
  p->ask = NULL;
}

int lmm_interrupt_probe_check(void *probe) {
  lmm_interrupt_probe *p = probe;
  struct timespec now;
  double ms = ms_since(&p->last, &now);
  if (ms < PROBE_EVERY_MS) return 0;
  p->last = now;
  return interrupted(p, ms);
}

/* A scan into a model: its columns, and the feed its rows go to. */
typedef struct model_rows {
  sqlite3 *db;
  const char *data;
  lmm_model *m;
  const char **names;
  uint64_t *fingerprint;
  char **errmsg;
  lmm_feed *feed;
  int told;
  int untyped;   /* no column read is declared a number (lmm_source_each) */
} model_rows;

/* The frame keeps the rowid, else the position, and counts positions itself. */
static int add_model_row(void *ctx, const lmm_value *vals, int64_t row, const int64_t *rowid, lmm_error *err) {
  model_rows *mr = ctx;
  if (!mr->told) {
    lmm_model_rows_have_rowid(mr->m, rowid != NULL);
    lmm_model_rows_untyped(mr->m, mr->untyped);
    mr->told = 1;
  }
  return lmm_feed_row(mr->feed, vals, rowid ? *rowid : row, err);
}

static int read_model_rows(void *arg, lmm_feed *feed) {
  model_rows *mr = arg;
  mr->feed = feed;
  return lmm_source_each(mr->db, mr->data, lmm_model_ncols(mr->m), mr->names, add_model_row, mr, mr->fingerprint,
                         &mr->untyped, mr->errmsg);
}

/* How many rows an ordinary table with rowids has at most: the span of its rowids, each end found in its b-tree
 * (SQLite's min/max optimization, a query per end), 0 for any other source, an empty table or a span that is
 * no integer.  A hint: what fails here is left for the scan to say. */
static uint64_t rows_bound(sqlite3 *db, const char *data) {
  char *from = NULL, *rowid = NULL, *errmsg = NULL, *sql = NULL;
  int is_view, is_ordinary;
  uint64_t bound = 0;
  sqlite3_stmt *st = NULL;
  if (table_from(db, data, &from, &is_view, &is_ordinary, &errmsg) == SQLITE_OK && from && is_ordinary &&
      find_rowid(db, from, 1, &rowid, &errmsg) == SQLITE_OK && rowid &&
      (sql = sqlite3_mprintf("SELECT(SELECT max(%s)FROM %s)-(SELECT min(%s)FROM %s)", rowid, from, rowid, from)) &&
      lmm_sql_prepare(db, sql, 0, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
      sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
    sqlite3_int64 span = sqlite3_column_int64(st, 0);
    if (span >= 0 && span < INT64_MAX) bound = (uint64_t)span + 1;
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
  sqlite3_free(rowid);
  sqlite3_free(from);
  sqlite3_free(errmsg);
  return bound;
}

/* The rows go to the frame through a feed: built on a second thread while
 * SQLite steps to the next rows (core/feed.h).  When both the reading and
 * the frame fail, the frame's refusal is of an earlier row, so it is the
 * message. */
int lmm_source_scan(sqlite3 *db, const char *data, lmm_model *m, uint64_t *fingerprint, char **errmsg) {
  int nc = lmm_model_ncols(m);
  const char **names = sqlite3_malloc64(sizeof *names * (size_t)(nc ? nc : 1));
  if (!names) { *errmsg = sqlite3_mprintf("out of memory"); return SQLITE_NOMEM; }
  for (int i = 0; i < nc; i++) names[i] = lmm_model_col(m, i);
  model_rows mr = {db, data, m, names, fingerprint, errmsg, NULL, 0, 0};
  lmm_model_rows_bound(m, rows_bound(db, data));
  lmm_error err = {0};
  int rc = SQLITE_OK;
  int frame_rc = lmm_model_read(m, read_model_rows, &mr, &rc, &err);
  if (frame_rc != LMM_OK) rc = lmm_sql_error(errmsg, NULL, &err);
  sqlite3_free(names);
  return rc;
}
