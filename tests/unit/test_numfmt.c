/* test_numfmt.c — numbers labelled as R's as.character() labels them (the
 * factor levels of a numeric column), on both of lmm_format_number's paths:
 * whole numbers below 1e15 by their digits, the rest through printf. */
#include "harness.h"
#include "numfmt.h"

/* R 4.2: as.character(c(1, 10, ..., 1100000)), and a few that are not whole */
void test_numfmt_as_r(void) {
  static const struct { double v; const char *r; } cases[] = {
    {1, "1"}, {10, "10"}, {100, "100"}, {1000, "1000"}, {10000, "10000"}, {1e5, "1e+05"},
    {120000, "120000"}, {123000, "123000"}, {1200000, "1200000"}, {1e6, "1e+06"}, {3e6, "3e+06"},
    {2e7, "2e+07"}, {-100000, "-1e+05"}, {-123, "-123"}, {999999999999999, "999999999999999"},
    {1e15, "1e+15"}, {123456789012345, "123456789012345"}, {1100, "1100"}, {11000, "11000"},
    {110000, "110000"}, {1100000, "1100000"}, {199999, "199999"}, {200000, "2e+05"}, {-5, "-5"},
    {0.5, "0.5"}, {-1, "-1"}, {1e-05, "1e-05"}, {0.1 + 0.2, "0.3"}, {1234.5, "1234.5"}, {-0.0, "0"},
  };
  char buf[64];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    lmm_format_number(cases[i].v, buf);
    CHECK_STR(buf, cases[i].r);
  }
}
