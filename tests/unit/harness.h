/* harness.h — a minimal unit-test harness for core/.
 *
 * Each CHECK counts one pass or one failure; a failure prints one line with
 * file:line, the test it is in and the values.  test_main.c runs every test
 * function and ends with the line "N passed, N failed" (read by CI), exiting
 * non-zero when anything failed.
 */
#ifndef LMM_TEST_HARNESS_H
#define LMM_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

extern int t_passed, t_failed;
extern const char *t_current;   /* name of the running test */

void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int t_near(double got, double want, double rtol);

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) t_passed++;                                                        \
    else t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                         \
  } while (0)

#define CHECK_INT(got, want)                                                     \
  do {                                                                           \
    long long g_ = (long long)(got), w_ = (long long)(want);                     \
    if (g_ == w_) t_passed++;                                                    \
    else t_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", #got, g_, w_);   \
  } while (0)

/* |got - want| <= rtol * max(1, |want|) */
#define CHECK_NEAR(got, want, rtol)                                              \
  do {                                                                           \
    double g_ = (got), w_ = (want);                                              \
    if (t_near(g_, w_, (rtol))) t_passed++;                                      \
    else t_fail(__FILE__, __LINE__, "%s: got %.12g, want %.12g (rtol %g)", #got, \
                g_, w_, (double)(rtol));                                         \
  } while (0)

#define CHECK_STR(got, want)                                                     \
  do {                                                                           \
    const char *g_ = (got), *w_ = (want);                                        \
    if ((!g_ && !w_) || (g_ && w_ && !strcmp(g_, w_))) t_passed++;               \
    else t_fail(__FILE__, __LINE__, "%s: got \"%s\", want \"%s\"", #got,        \
                g_ ? g_ : "(null)", w_ ? w_ : "(null)");                         \
  } while (0)

#define CHECK_CONTAINS(got, needle)                                              \
  do {                                                                           \
    const char *g_ = (got), *n_ = (needle);                                      \
    if (g_ && strstr(g_, n_)) t_passed++;                                        \
    else t_fail(__FILE__, __LINE__, "%s: \"%s\" does not contain \"%s\"", #got, \
                g_ ? g_ : "(null)", n_);                                         \
  } while (0)

/* Run one test function, naming it in failure lines. */
#define RUN(fn)                                                                  \
  do {                                                                           \
    void fn(void);                                                               \
    t_current = #fn;                                                             \
    fn();                                                                        \
  } while (0)

#endif
