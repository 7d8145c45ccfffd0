/* test_code_sort.c — the counting sort of indexes by a level code (code_sort.h): stable, by one code and by two in
 * turn (the last first), against a plain stable insertion sort of the same indexes. */
#include "harness.h"
#include "code_sort.h"
#include "lmm_error.h"

enum { N = 200 };

/* Whether index a goes before index b: by the codes in order, then by the index (stable from the identity). */
static int before(const int *const *code, int ncode, size_t a, size_t b) {
  for (int k = 0; k < ncode; k++)
    if (code[k][a] != code[k][b]) return code[k][a] < code[k][b];
  return a < b;
}

static void expected(const int *const *code, int ncode, size_t *want) {
  for (size_t i = 0; i < N; i++) {
    size_t j = i;
    while (j > 0 && before(code, ncode, i, want[j - 1])) {
      want[j] = want[j - 1];
      j--;
    }
    want[j] = i;
  }
}

void test_code_sort_stable(void) {
  static int outer[N], inner[N];
  size_t got[N], tmp[N], want[N];
  for (int i = 0; i < N; i++) {
    outer[i] = (i * 7 + 3) % 5;   /* 5 levels, every one used */
    inner[i] = (i * 13) % 9 == 8 ? 0 : (i * 13) % 9;   /* 9 levels, level 8 unused */
  }
  const int *one[] = {outer}, *two[] = {outer, inner};
  CHECK(lmm_code_sort(outer, 5, NULL, N, got) == LMM_OK);
  expected(one, 1, want);
  int same = 1;
  for (int i = 0; i < N; i++) same &= got[i] == want[i];
  CHECK(same);
  CHECK(lmm_code_sort(inner, 9, NULL, N, tmp) == LMM_OK);   /* the inner code first, then the outer */
  CHECK(lmm_code_sort(outer, 5, tmp, N, got) == LMM_OK);
  expected(two, 2, want);
  same = 1;
  for (int i = 0; i < N; i++) same &= got[i] == want[i];
  CHECK(same);
  CHECK(lmm_code_sort(outer, 5, NULL, 0, got) == LMM_OK);   /* no rows */
}
