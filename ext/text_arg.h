/* text_arg.h — a text argument whole, or an error.
 *
 * SQLite gives C code a text up to its first NUL byte, so a formula, a
 * name or a query with a NUL byte inside would lose what follows it without
 * a word; such an argument is refused, naming it and the byte. */
#ifndef LMM_TEXT_ARG_H
#define LMM_TEXT_ARG_H

#include "sqlite3ext.h"

/* SQLITE_OK when v is not a text or BLOB or holds no NUL byte; else
 * SQLITE_ERROR with *errmsg "fn: the argument 'arg' holds a NUL byte at
 * byte N of M" (sqlite3_mprintf), or SQLITE_NOMEM when the text could not
 * be made. */
int lmm_text_arg_check(sqlite3_value *v, const char *fn, const char *arg, char **errmsg);

/* v's type as a message says it: "an integer", "a real", "a text", "a BLOB", "NULL". */
const char *lmm_value_kind(sqlite3_value *v);

#endif
