/* fuzz_plot_options.c — libFuzzer target for lmm_plot_options_parse (and so lmm_option_next, the tokenizer of
 * every options text). Input: one byte that picks the plot kind, then the options text up to the first NUL. */
#include "fuzz_common.h"
#include "plot_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > FUZZ_MAX_LEN) return 0;
  int kind = data[0] % LMM_PLOT_NKINDS;
  char *text = malloc(size);
  if (!text) abort();
  memcpy(text, data + 1, size - 1);
  text[size - 1] = 0;
  lmm_plot_options o;
  lmm_error err = {0};
  int rc = lmm_plot_options_parse(text, kind, &o, &err);
  if (rc) {
    if (!err.msg[0] || err.code != rc) abort();
  } else if (o.kind != kind || !(o.width >= 100 && o.width <= 4000) || !(o.height >= 100 && o.height <= 4000) ||
             strlen(o.title) >= sizeof o.title || strlen(o.xlab) >= sizeof o.xlab || strlen(o.ylab) >= sizeof o.ylab ||
             (o.has_xlim && !(o.xlim[0] < o.xlim[1])) || (o.has_ylim && !(o.ylim[0] < o.ylim[1])) ||
             !(o.interval >= 0 && o.interval < 1) || (o.smooth != 0 && o.smooth != 1)) {
    abort();
  }
  free(text);
  return 0;
}
