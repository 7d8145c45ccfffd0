/* numfmt.c — R's choice between fixed and scientific notation (formatReal
 * with scipen 0): the fewest significant digits (at most 15) that show the
 * value, then the shorter of the two notations, fixed on a tie. */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number below 1e15 (every digit significant): R's choice made on
 * the count of its digits without a printf -- fixed takes the digits,
 * scientific the significant ones, a point when more than one, and "e+XX".
 * Returns 0 (buf untouched) when R would print it scientific: the general
 * path says how.  A grouping of numeric ids labels every level, and printf
 * would be most of that work. */
static int format_whole(double v, char *buf) {
  if (!(fabs(v) < 1e15) || v != floor(v)) return 0;
  long long n = llabs((long long)v);
  char d[20];
  int nd = 0, zeros = 0;
  do { d[nd++] = (char)('0' + n % 10); n /= 10; } while (n);
  while (zeros < nd - 1 && d[zeros] == '0') zeros++;
  int sig = nd - zeros;
  if (nd > sig + (sig > 1) + 4) return 0;
  char *o = buf;
  if (v < 0) *o++ = '-';
  while (nd) *o++ = d[--nd];
  *o = 0;
  return 1;
}

void lmm_format_number(double v, char *buf) {
  if (isnan(v)) { strcpy(buf, "NaN"); return; }
  if (isinf(v)) { strcpy(buf, v > 0 ? "Inf" : "-Inf"); return; }
  if (v == 0) { strcpy(buf, "0"); return; }
  if (format_whole(v, buf)) return;
  char full[40], sci[40];
  snprintf(full, sizeof full, "%.14e", v);
  double target = strtod(full, NULL);   /* the value at 15 significant digits */
  int sig = isinf(target) ? 15 : 1;   /* near DBL_MAX, 15 digits round up to inf */
  for (; sig < 15; sig++) {
    snprintf(sci, sizeof sci, "%.*e", sig - 1, v);
    if (strtod(sci, NULL) == target) break;
  }
  snprintf(sci, sizeof sci, "%.*e", sig - 1, v);
  /* the exponent as printf wrote it, never from log10 (which overflows near DBL_MAX) */
  char *e = strchr(sci, 'e');
  int ex = atoi(e + 1);
  *e = 0;
  char rsci[64];
  snprintf(rsci, sizeof rsci, "%se%c%02d", sci, ex < 0 ? '-' : '+', abs(ex));
  if (ex > 20 || ex < -20) { strcpy(buf, rsci); return; }  /* fixed would be longer */
  int decimals = sig - 1 - ex;
  if (decimals < 0) decimals = 0;
  char fixed[48];
  snprintf(fixed, sizeof fixed, "%.*f", decimals, v);
  strcpy(buf, strlen(fixed) <= strlen(rsci) ? fixed : rsci);
}

void lmm_format_count(size_t n, char *buf) {
  char d[40];
  int nd = 0;
  do {
    if (nd % 4 == 3) d[nd++] = ',';
    d[nd++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  for (int i = 0; i < nd; i++) buf[i] = d[nd - 1 - i];
  buf[nd] = 0;
}

void lmm_format_bytes(double bytes, char *buf) {
  static const char *unit[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB", "ZB"};
  int u = 0;
  while (u < 7 && bytes >= 1000) { bytes /= 1000; u++; }
  snprintf(buf, 32, u && bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}
