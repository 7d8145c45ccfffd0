/* numfmt.h — numbers printed as R prints them (15 significant digits, fixed
 * or scientific notation, whichever is shorter), which is how R writes
 * numbers into term names and numeric factor levels. */
#ifndef LMM_NUMFMT_H
#define LMM_NUMFMT_H

#include <stddef.h>

/* buf needs 32 bytes. */
void lmm_format_number(double v, char *buf);

/* For messages about sizes: a count with thousands separators ("65,537"),
 * and bytes in the largest unit that keeps them above one ("34 GB",
 * "2.1 GB", "512 KB"; decimal units).  buf needs 32 bytes. */
void lmm_format_count(size_t n, char *buf);
void lmm_format_bytes(double bytes, char *buf);

#endif
