/* lmm_error.h — errors as values.
 *
 * Every core function that can fail returns an int status (LMM_OK on
 * success) and writes a message a user can act on into an lmm_error the
 * caller owns.  Nothing in core/ prints, exits or aborts; ext/ turns the
 * error into an SQL error in one place, lmm_sql_error().
 */
#ifndef LMM_ERROR_H
#define LMM_ERROR_H

#include <stddef.h>

enum {
  LMM_OK = 0,
  LMM_ERR = 1,      /* bad input: the message says what and where */
  LMM_NOMEM = 2,    /* an allocation failed */
  LMM_NUMERIC = 3,  /* the numerics failed (not positive definite, ...) */
  LMM_INTERRUPTED = 4
};

typedef struct lmm_error {
  int code;
  char msg[512];
} lmm_error;

/* An error with nothing in it, as {0} makes one, without writing its 512 bytes: for a loop's every row. */
#define LMM_NO_ERROR(e) ((e).code = 0, (e).msg[0] = 0)

/* Record a formatted message; returns code so callers can `return lmm_fail(...)`. */
int lmm_fail(lmm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int lmm_nomem(lmm_error *err);

#endif
