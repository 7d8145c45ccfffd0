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
  int sig = 1;
  char sci[40];
  for (; sig < 15; sig++) {
    snprintf(sci, sizeof sci, "%.*e", sig - 1, v);
    if (strtod(sci, NULL) == strtod((snprintf(buf, 32, "%.15e", v), buf), NULL)) break;
  }
  snprintf(sci, sizeof sci, "%.*e", sig - 1, v);
  /* R writes the exponent with at least two digits: 1e+05, 1.5e-10 */
  int e = (int)floor(log10(fabs(strtod(sci, NULL))));
  char mant[32];
  snprintf(mant, sizeof mant, "%.*f", sig - 1, strtod(sci, NULL) / pow(10, e));
  char rsci[64];
  snprintf(rsci, sizeof rsci, "%se%c%02d", mant, e < 0 ? '-' : '+', abs(e));
  int decimals = sig - 1 - e;
  if (decimals < 0) decimals = 0;
  char fixed[400];
  if (fabs(v) < 1e300) snprintf(fixed, sizeof fixed, "%.*f", decimals, v);
  else fixed[0] = 0;
  if (fixed[0] && strlen(fixed) <= strlen(rsci) && strlen(fixed) < 32) strcpy(buf, fixed);
  else strcpy(buf, rsci);
}
