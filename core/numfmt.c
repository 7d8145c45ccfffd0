/* numfmt.c — R's choice between fixed and scientific notation (formatReal
 * with scipen 0): the fewest significant digits (at most 15) that show the
 * value, then the shorter of the two notations, fixed on a tie. */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lmm_format_number(double v, char *buf) {
  if (isnan(v)) { strcpy(buf, "NaN"); return; }
  if (isinf(v)) { strcpy(buf, v > 0 ? "Inf" : "-Inf"); return; }
  if (v == 0) { strcpy(buf, "0"); return; }
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
