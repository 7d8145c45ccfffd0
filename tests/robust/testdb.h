/* testdb.h — what the robustness drivers (alloc_fail.c, threads.c) share: a
 * database holding copies of some test tables, fresh copies of it, the
 * extension registered for every new connection, statements run with their
 * rows reduced to one hash, and a hash of a whole database's content. */
#ifndef LMM_TESTDB_H
#define LMM_TESTDB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* dlopen the extension (kept loaded) and have sqlite3_open run its init on
 * every new connection; 0 on success, else prints why. */
int testdb_use_extension(const char *path);

/* A fresh in-memory database with copies (schema and rows) of `tables`
 * (NULL-terminated) of the database file `datafile`; NULL after printing why. */
sqlite3 *testdb_from_file(const char *datafile, const char *const *tables);

/* A fresh in-memory database with the content of `from`; NULL if that fails. */
sqlite3 *testdb_copy(sqlite3 *from);

/* Run sql (one statement) to the end.  Returns the first error code (SQLITE_OK
 * when it ran through); *rows gets a hash of every row's values (types and
 * exact bits), *nrows their count; msg gets sqlite3_errmsg on error. */
int testdb_run(sqlite3 *db, const char *sql, uint64_t *rows, int *nrows, char *msg, size_t msglen);

/* A hash of every table's schema and rows, leaving out columns named
 * `created` (a timestamp). */
uint64_t testdb_content(sqlite3 *db);

/* Run sql that must succeed (set-up steps); 0 on success, else prints why. */
int testdb_exec(sqlite3 *db, const char *sql);

#endif
