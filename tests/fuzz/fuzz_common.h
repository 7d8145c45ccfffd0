/* fuzz_common.h — what the libFuzzer targets share: splitting an input into
 * NUL-terminated texts, repeats that let a short input write a long text, a
 * byte stream that carries on past the input's end, and a thread with a
 * small stack to run each input on.
 *
 * An input is a sequence of fields separated by the first NUL or newline
 * each; every field is copied into its own exact-size allocation so that
 * AddressSanitizer sees any read past its terminator.
 */
#ifndef LMM_FUZZ_COMMON_H
#define LMM_FUZZ_COMMON_H

#include <pthread.h>
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

/* ---- repeats: "\x01" COUNT ":" BODY "\x02" is BODY written COUNT times ----
 * so that 12 bytes can be 100,000 unary minus signs or 60,000 terms, the
 * inputs that overflow a recursive parser's stack.  COUNT is decimal (at
 * most FUZZ_MAX_REPEAT); repeats nest FUZZ_REPEAT_DEPTH deep; a body
 * without its "\x02" runs to the end of the field; "\x01" not followed by
 * digits and ':' stays as it is.  The whole text stops growing at
 * FUZZ_MAX_TEXT bytes (a formula that long is already far past every limit
 * lmm should have), where it is cut. */
enum { FUZZ_MAX_REPEAT = 300000, FUZZ_REPEAT_DEPTH = 4, FUZZ_MAX_TEXT = 2 << 20 };

typedef struct fuzz_text {
  char *s;
  size_t n, cap;
} fuzz_text;

static inline void fuzz_text_put(fuzz_text *t, const char *s, size_t n) {
  if (n > FUZZ_MAX_TEXT - t->n) n = FUZZ_MAX_TEXT - t->n;
  if (t->n + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 64;
    while (cap < t->n + n + 1) cap *= 2;
    char *s2 = realloc(t->s, cap);
    if (!s2) abort();
    t->s = s2;
    t->cap = cap;
  }
  memcpy(t->s + t->n, s, n);
  t->n += n;
  t->s[t->n] = 0;
}

/* Where the repeat whose body starts at s[i] ends (its "\x02", or len), and
 * its count in *count; or 0 when s[i-1] is no repeat. */
static inline size_t fuzz_repeat_at(const char *s, size_t len, size_t i, long *count) {
  long c = 0;
  size_t j = i;
  while (j < len && s[j] >= '0' && s[j] <= '9' && j - i < 7) c = c * 10 + (s[j++] - '0');
  if (j == i || j >= len || s[j] != ':') return 0;
  *count = c > FUZZ_MAX_REPEAT ? FUZZ_MAX_REPEAT : c;
  return j + 1;
}

/* Appends s[0..len) with its repeats written out (t NULL: only reads it);
 * returns how far it read (up to the "\x02" that closes an enclosing repeat,
 * past it).  A count of 0 reads its body once into nothing: writing it out
 * (as once) let "0:" inside "400:" inside ... cost minutes before any cap. */
static inline size_t fuzz_expand_into(fuzz_text *t, const char *s, size_t len, int depth) {
  size_t i = 0;
  while (i < len) {
    if (s[i] == '\x02' && depth > 0) return i + 1;
    long count;
    size_t body = s[i] == '\x01' && depth < FUZZ_REPEAT_DEPTH ? fuzz_repeat_at(s, len, i + 1, &count) : 0;
    if (!body) {
      if (t) fuzz_text_put(t, s + i, 1);
      i++;
      continue;
    }
    size_t used = fuzz_expand_into(count && t && t->n < FUZZ_MAX_TEXT ? t : NULL, s + body, len - body, depth + 1);
    for (long k = 1; t && k < count && t->n < FUZZ_MAX_TEXT; k++) {
      size_t before = t->n;
      fuzz_expand_into(t, s + body, len - body, depth + 1);
      if (t->n == before) break;   /* a body that writes nothing writes nothing again: 169 x 369 x 300,000 empty
                                      bodies took minutes */
    }
    i = body + used;
  }
  return i;
}

/* field with its repeats written out, in an exact-size allocation; frees field. */
static inline char *fuzz_expand(char *field) {
  if (!field || !strchr(field, '\x01')) return field;
  fuzz_text t = {0};
  fuzz_text_put(&t, "", 0);
  fuzz_expand_into(&t, field, strlen(field), 0);
  free(field);
  char *out = malloc(t.n + 1);
  if (!out) abort();
  memcpy(out, t.s, t.n + 1);
  free(t.s);
  return out;
}

/* ---- bytes that carry on past the input ---- */
typedef struct fuzz_stream {
  const uint8_t *data;
  size_t size, pos;
  uint64_t state;      /* xorshift64 state once data is used up */
} fuzz_stream;

/* A stream over data[pos..size) whose generator is seeded from all of data. */
static inline fuzz_stream fuzz_stream_new(const uint8_t *data, size_t size, size_t pos) {
  uint64_t seed = 1469598103934665603ULL;
  for (size_t i = 0; i < size; i++) seed = (seed ^ data[i]) * 1099511628211ULL;
  return (fuzz_stream){data, size, pos, seed | 1};
}

static inline uint8_t fuzz_byte(fuzz_stream *s) {
  if (s->pos < s->size) return s->data[s->pos++];
  uint64_t x = s->state;
  x ^= x << 13; x ^= x >> 7; x ^= x << 17;
  s->state = x;
  return (uint8_t)(x >> 24);
}

/* ---- a small stack ----
 * Applications call SQLite from threads with 512 KB stacks (macOS's
 * default for secondary threads, musl's is 128 KB): every input runs on one,
 * so that recursion whose depth the input controls overflows here rather
 * than at 8 MB.  (The sanitizers' frames are larger than -O2's, so this
 * is a little stricter than a release build on the same stack.) */
enum { FUZZ_STACK = 512 * 1024 };

typedef struct fuzz_input {
  const uint8_t *data;
  size_t size;
} fuzz_input;

/* fn(&{data, size}) on a thread with a FUZZ_STACK stack. */
static inline void fuzz_on_small_stack(void *(*fn)(void *), const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  pthread_attr_t a;
  pthread_t t;
  if (pthread_attr_init(&a) || pthread_attr_setstacksize(&a, FUZZ_STACK) || pthread_create(&t, &a, fn, &in)) abort();
  pthread_join(t, NULL);
  pthread_attr_destroy(&a);
}

#endif
