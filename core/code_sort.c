/* code_sort.c — a stable counting sort of indexes by a level code (see code_sort.h). */
#include "code_sort.h"
#include "alloc.h"
#include "lmm_error.h"

int lmm_code_sort(const int *code, int nlevels, const size_t *in, size_t n, size_t *out) {
  size_t *next = lmm_calloc((size_t)(nlevels > 0 ? nlevels : 0) + 1, sizeof *next);
  if (!next) return LMM_NOMEM;
  for (size_t i = 0; i < n; i++) next[code[in ? in[i] : i] + 1]++;
  for (int l = 0; l < nlevels; l++) next[l + 1] += next[l];
  for (size_t i = 0; i < n; i++) {
    size_t r = in ? in[i] : i;
    out[next[code[r]]++] = r;
  }
  lmm_free(next);
  return LMM_OK;
}
