/* fuzz_common.h — splitting a libFuzzer input into NUL-terminated texts.
 *
 * An input is a sequence of fields separated by the first NUL or newline
 * each; every field is copied into its own exact-size allocation so that
 * AddressSanitizer sees any read past its terminator.
 */
#ifndef LMM_FUZZ_COMMON_H
#define LMM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Inputs longer than this are ignored (the Makefile also passes -max_len=512). */
enum { FUZZ_MAX_LEN = 512 };

/* Next field of data[*pos..size): a fresh NUL-terminated copy (never NULL
 * unless out of memory); *pos moves past the separator.  *more says whether
 * a separator was found (so that an absent field can be told from ""). */
static inline char *fuzz_field(const uint8_t *data, size_t size, size_t *pos, int *more) {
  size_t s = *pos, e = s;
  while (e < size && data[e] != 0 && data[e] != '\n') e++;
  char *out = malloc(e - s + 1);
  if (!out) abort();
  if (e > s) memcpy(out, data + s, e - s);
  out[e - s] = 0;
  *more = e < size;
  *pos = e < size ? e + 1 : e;
  return out;
}

#endif
