/* code_sort.h — indexes ordered stably by a level code (a counting sort): sorting rows by their groups in
 * time linear in the rows, where a comparison sort of a million rows costs a large part of a fit. */
#ifndef LMM_CODE_SORT_H
#define LMM_CODE_SORT_H

#include <stddef.h>

/* out = the n indexes of in (0 .. n-1 when in is NULL) ordered stably by code[index], each a level 0 ..
 * nlevels-1: sorted by the code, ties in their order in in.  out must not be in.  Sorting by several codes, the
 * last first, sorts by all of them in turn.  LMM_NOMEM or LMM_OK. */
int lmm_code_sort(const int *code, int nlevels, const size_t *in, size_t n, size_t *out);

#endif
