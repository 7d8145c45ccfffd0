/* fuzz_options.c — libFuzzer target for lmm_options_parse.
 * Input: the options text up to the first NUL (the whole input otherwise). */
#include "fuzz_common.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_LEN) return 0;
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = 0;
  lmm_options o;
  lmm_error err = {0};
  int rc = lmm_options_parse(text, &o, &err);
  if (rc) {
    if (!err.msg[0] || err.code != rc) abort();
  } else if ((o.reml != 0 && o.reml != 1) || (o.method_given != 0 && o.method_given != 1)) {
    abort();
  }
  free(text);
  return 0;
}
