/* numfmt.h — numbers printed as R prints them (15 significant digits, fixed
 * or scientific notation, whichever is shorter), which is how R writes
 * numbers into term names and numeric factor levels. */
#ifndef LMM_NUMFMT_H
#define LMM_NUMFMT_H

/* buf needs 32 bytes. */
void lmm_format_number(double v, char *buf);

#endif
