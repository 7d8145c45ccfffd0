/* text_arg.c — text arguments with a NUL byte refused (see text_arg.h). */
#include "text_arg.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

int lmm_text_arg_check(sqlite3_value *v, const char *fn, const char *arg, char **errmsg) {
  int type = sqlite3_value_type(v);
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) return SQLITE_OK;
  const char *t = (const char *)sqlite3_value_text(v);
  if (!t) return SQLITE_NOMEM;
  int n = sqlite3_value_bytes(v), at = (int)strlen(t);
  if (at == n) return SQLITE_OK;
  *errmsg = sqlite3_mprintf("%s: the argument '%s' holds a NUL byte at byte %d of %d; remove it (what follows it would "
                            "be lost)", fn, arg, at + 1, n);
  return *errmsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

const char *lmm_value_kind(sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
  case SQLITE_INTEGER: return "an integer";
  case SQLITE_FLOAT: return "a real";
  case SQLITE_TEXT: return "a text";
  case SQLITE_BLOB: return "a BLOB";
  default: return "NULL";
  }
}
