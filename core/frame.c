/* frame.c — rows in, model variables out (see frame.h). */
#include "frame.h"
#include "alloc.h"
#include "numfmt.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- level table: open addressing over text or numeric keys ----------- */

typedef struct level {
  char *text;       /* NULL for a numeric level */
  size_t len;
  double num;
} level;

/* A slot keeps its key's hash beside the index, so a probe reads one slot,
 * not a level too: with many levels the levels are out of cache, and a
 * second read per row would cost a second miss (and a third for its text).
 * For numbers and for text of up to SHORT_TEXT bytes (ids like "s00012")
 * the hash is a bijection of the key, so equal hashes are equal keys and
 * no text is compared; longer text is compared where the hashes agree. */
enum { KEY_NUM, KEY_SHORT_TEXT, KEY_LONG_TEXT };
enum { SHORT_TEXT = 7 };
typedef struct slot {
  uint64_t hash;
  int idx;          /* index + 1, 0 empty */
  int kind;         /* KEY_* */
} slot;

/* The levels' texts are copied into chunks (the last one's `prev` the one before), not one allocation each, so
 * that room for a batch's new levels is made before it (lmm_frame_reserve) and the feed's thread adds them
 * without an allocator.  A new chunk is twice the last or more (from TEXT_CHUNK_FIRST), so the tails left
 * unused in the chunks before it are less than it: memory stays within a few times the levels' texts. */
enum { TEXT_CHUNK_FIRST = 1 << 10 };
typedef struct text_chunk {
  struct text_chunk *prev;
  size_t used, cap;
  char bytes[];
} text_chunk;

/* Whole numbers 0 <= v < ndirect (the ids most groupings hold) are found by
 * direct[v] = index + 1 before the slots are probed: the slots of many levels
 * are out of cache, and a probe at random there costs a miss per row, where
 * direct[] holds 4 bytes a value.  It is a cache in front of the slots,
 * which hold every level, so it may miss but never disagrees.  It covers
 * only numbers below twice the levels (plus 2048), and grows by doubling,
 * so its size stays within 4 entries a level, the slots' 32 bytes a level
 * at most: memory stays with the levels. */
typedef struct level_table {
  level *lv;        /* in order of first appearance */
  int n, cap;
  slot *slot;
  size_t nslot;
  int *direct;
  size_t ndirect;
  text_chunk *text;
  size_t longest;   /* the longest level text so far */
} level_table;

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* Invertible (xor-shifts and an odd multiplier), so distinct keys never share a hash. */
static uint64_t mix(uint64_t b) {
  b ^= b >> 33; b *= 0xff51afd7ed558ccdULL; b ^= b >> 33;
  return b;
}

/* Finite values only, -0 taken as +0. */
static uint64_t hash_num(double v) {
  uint64_t b;
  if (v == 0) v = 0;  /* -0 and +0 are one level */
  memcpy(&b, &v, sizeof b);
  return mix(b);
}

/* Text of up to SHORT_TEXT bytes, its bytes and its length in one word (a NUL inside stays apart
 * from a shorter text), mixed: a bijection. */
static uint64_t hash_short_text(const char *s, size_t n) {
  uint64_t b = 0;
  memcpy(&b, s, n);
  return mix(b ^ (uint64_t)n << 56);
}

static void table_free(level_table *t) {
  if (!t) return;
  for (text_chunk *c = t->text, *prev; c; c = prev) {
    prev = c->prev;
    lmm_free(c);
  }
  lmm_free(t->lv);
  lmm_free(t->slot);
  lmm_free(t->direct);
  lmm_free(t);
}

static int table_grow(level_table *t) {
  size_t ns = t->nslot ? t->nslot * 2 : 64;
  slot *sl = lmm_calloc(ns, sizeof *sl);
  if (!sl) return -1;
  for (size_t j = 0; j < t->nslot; j++) {
    if (!t->slot[j].idx) continue;
    size_t k = t->slot[j].hash & (ns - 1);
    while (sl[k].idx) k = (k + 1) & (ns - 1);
    sl[k] = t->slot[j];
  }
  lmm_free(t->slot);
  t->slot = sl;
  t->nslot = ns;
  return 0;
}

/* Room in t's level array for `need` levels: twice what it had, or more; -1 out of memory or past what an int
 * counts. */
static int level_room(level_table *t, size_t need) {
  if (need <= (size_t)t->cap) return 0;
  size_t cap = t->cap ? 2 * (size_t)t->cap : 16;
  if (cap < need) cap = need;
  if (cap > INT_MAX) return -1;   /* levels are counted in int */
  level *g = lmm_realloc(t->lv, lmm_size_mul(sizeof *g, cap));
  if (!g) return -1;
  t->lv = g;
  t->cap = (int)cap;
  return 0;
}

/* Whether n more bytes of text fit t's last chunk. */
static int text_fits(const level_table *t, size_t n) { return t->text && t->text->cap - t->text->used >= n; }

/* Room for n more bytes of text: a new chunk where the last has not that much; -1 out of memory. */
static int text_room(level_table *t, size_t n) {
  if (text_fits(t, n)) return 0;
  size_t cap = t->text ? lmm_size_mul(t->text->cap, 2) : TEXT_CHUNK_FIRST;
  if (cap < n) cap = n;
  text_chunk *c = lmm_malloc(lmm_size_add(sizeof *c, cap));
  if (!c) return -1;
  *c = (text_chunk){t->text, 0, cap};
  t->text = c;
  return 0;
}

/* direct[] entry of num, or NULL when num is not a whole number it covers. */
static int *direct_entry(const level_table *t, double num) {
  if (!(num >= 0 && num < (double)t->ndirect)) return NULL;
  size_t v = (size_t)num;
  return (double)v == num ? &t->direct[v] : NULL;
}

/* Whether direct[] would grow to cover num once the table has n levels (see level_table). */
static int direct_wants(const level_table *t, double num, int n) {
  double limit = 2.0 * ((double)n + 1024);
  return num >= 0 && num < limit && num == floor(num) && num >= (double)t->ndirect;
}

/* Let direct[] cover num if it is a whole number within bounds (see
 * level_table); when there is no memory for that it simply does not. */
static void direct_cover(level_table *t, double num) {
  if (!direct_wants(t, num, t->n)) return;
  size_t nd = t->ndirect ? t->ndirect : 1024;
  while ((double)nd <= num) nd *= 2;
  int *g = lmm_realloc(t->direct, lmm_size_mul(sizeof *g, nd));
  if (!g) return;
  memset(g + t->ndirect, 0, sizeof *g * (nd - t->ndirect));
  t->direct = g;
  t->ndirect = nd;
}

enum { INTERN_NOMEM = -1, INTERN_NEEDS_MEMORY = -2 };

/* Index of a level, added on first sight; INTERN_NOMEM when out of memory,
 * and INTERN_NEEDS_MEMORY, changing nothing, when a new level would need
 * memory and may_alloc is 0 (the tables are full, or its text does not fit the text store's room). */
static int table_intern(level_table *t, const char *text, size_t len, double num, int may_alloc) {
  int *d = text ? NULL : direct_entry(t, num);
  if (d && *d) return *d - 1;
  int kind = !text ? KEY_NUM : len <= SHORT_TEXT ? KEY_SHORT_TEXT : KEY_LONG_TEXT;
  uint64_t h = kind == KEY_NUM ? hash_num(num)
               : kind == KEY_SHORT_TEXT ? hash_short_text(text, len) : hash_bytes(text, len);
  size_t k = h & (t->nslot - 1);
  for (; t->nslot && t->slot[k].idx; k = (k + 1) & (t->nslot - 1)) {
    if (t->slot[k].hash != h || t->slot[k].kind != kind) continue;
    if (kind != KEY_LONG_TEXT) {   /* the hash is the key */
      if (d) *d = t->slot[k].idx;   /* a level added before direct[] covered it */
      return t->slot[k].idx - 1;
    }
    const level *l = &t->lv[t->slot[k].idx - 1];
    if (l->len == len && !memcmp(l->text, text, len)) return t->slot[k].idx - 1;
  }
  int full = (size_t)(t->n + 1) * 2 > t->nslot;
  if (!may_alloc && (full || t->n == t->cap || (text ? !text_fits(t, len + 1) : direct_wants(t, num, t->n + 1))))
    return INTERN_NEEDS_MEMORY;
  if (full) {   /* grown, the new level's slot is elsewhere */
    if (table_grow(t)) return INTERN_NOMEM;
    for (k = h & (t->nslot - 1); t->slot[k].idx; k = (k + 1) & (t->nslot - 1)) {}
  }
  if (level_room(t, (size_t)t->n + 1)) return INTERN_NOMEM;
  level l = {NULL, len, num};
  if (text) {
    if (text_room(t, len + 1)) return INTERN_NOMEM;
    l.text = t->text->bytes + t->text->used;
    memcpy(l.text, text, len);
    l.text[len] = 0;
    t->text->used += len + 1;
    if (len > t->longest) t->longest = len;
  }
  t->lv[t->n] = l;
  t->slot[k].hash = h;
  t->slot[k].kind = kind;
  t->slot[k].idx = ++t->n;
  if (!text) {
    direct_cover(t, num);
    if ((d = direct_entry(t, num))) *d = t->n;
  }
  return t->n - 1;
}

/* ---- frame ---------------------------------------------------------------- */

/* A variable keeps per row only what it can need: a grouping or a factor its
 * codes, a variable entering the model its numbers (a plain column may turn
 * out to be text, and then codes).  Storage comes lazily, at the first value
 * that needs it, so a million-row grouping column costs 4 bytes a row. */
static int keeps_codes(const lmm_var *v) {
  return v->kind == LMM_VAR_FACTOR || (v->kind == LMM_VAR_PLAIN && v->used_as_group);
}

static int keeps_numbers(const lmm_var *v, const lmm_frame_var *fv) {
  return v->kind == LMM_VAR_NUMERIC || (v->kind == LMM_VAR_PLAIN && (fv->in_model || v->carried));
}

int lmm_frame_new(const lmm_formula *f, int has_rowid, lmm_frame **out, lmm_error *err) {
  *out = NULL;
  lmm_frame *fr = lmm_calloc(1, sizeof *fr);
  if (!fr) return lmm_nomem(err);
  fr->f = f;
  fr->has_rowid = has_rowid;
  fr->vars = lmm_calloc((size_t)(f->nvars ? f->nvars : 1), sizeof *fr->vars);
  if (!fr->vars) { lmm_frame_free(fr); return lmm_nomem(err); }
  int rc = lmm_row_eval_new(f, 1, &fr->ev, err);
  if (rc) { lmm_frame_free(fr); return rc; }
  for (int t = 0; t < f->fixed.nterms; t++)
    for (int i = 0; i < f->nvars; i++) fr->vars[i].in_model |= (int)(f->fixed.terms[t] >> i & 1);
  for (int b = 0; b < f->nbars; b++)
    for (int t = 0; t < f->bars[b].model.nterms; t++)
      for (int i = 0; i < f->nvars; i++) fr->vars[i].in_model |= (int)(f->bars[b].model.terms[t] >> i & 1);
  for (int i = 0; i < f->nvars; i++)
    if (f->vars[i].basis.kind) fr->ev->dropped_vars |= (lmm_term)1 << i;
  for (int i = 0; i < f->nvars; i++)
    if (f->vars[i].kind != LMM_VAR_NUMERIC && !(fr->vars[i].table = lmm_calloc(1, sizeof(level_table)))) {
      lmm_frame_free(fr);
      return lmm_nomem(err);
    }
  *out = fr;
  return LMM_OK;
}

void lmm_frame_free(lmm_frame *fr) {
  if (!fr) return;
  if (fr->vars)
    for (int i = 0; i < fr->f->nvars; i++) {
      lmm_frame_var *v = &fr->vars[i];
      lmm_free(v->x);
      lmm_free(v->code);
      for (int k = 0; k < v->nlevels; k++) lmm_free(v->levels[k]);
      lmm_free(v->levels);
      lmm_free(v->level_len);
      table_free(v->table);
      lmm_free(v->coef);
      lmm_free(v->dropped_x);
    }
  lmm_free(fr->vars);
  lmm_free(fr->rowid);
  lmm_free(fr->row);
  lmm_free(fr->y);
  lmm_free(fr->offset);
  lmm_row_eval_free(fr->ev);
  lmm_free(fr);
}

/* A variable's per-row array (*out), made at the first value that needs it:
 * the frame's capacity, its first n rows set to fill.  Where the row may
 * not allocate, LMM_FRAME_NEEDS_MEMORY instead. */
static int start_column(lmm_frame *fr, size_t size, void **out, double fill, int may_alloc, lmm_error *err) {
  if (*out) return LMM_OK;
  if (!may_alloc) return LMM_FRAME_NEEDS_MEMORY;
  if (!(*out = lmm_malloc_array(fr->cap ? fr->cap : 1, size))) return lmm_nomem(err);
  for (size_t r = 0; r < fr->n; r++) {
    if (size == sizeof(double)) ((double *)*out)[r] = fill;
    else ((int *)*out)[r] = (int)fill;
  }
  return LMM_OK;
}

/* Row r's level (text, or the number num) into code[r], added to the
 * table at first sight (table_intern), as add_row's status. */
static int set_level(level_table *t, int *code, size_t r, const char *text, size_t len, double num, int may_alloc,
                     lmm_error *err) {
  int k = table_intern(t, text, len, num, may_alloc);
  if (k == INTERN_NEEDS_MEMORY) return LMM_FRAME_NEEDS_MEMORY;
  if (k < 0) return lmm_nomem(err);
  code[r] = k;
  return LMM_OK;
}

/* Every column's storage to cap rows: 0, or LMM_NOMEM with the columns that moved holding their rows still. */
static int grow_to(lmm_frame *fr, size_t cap) {
  const lmm_formula *f = fr->f;
#define GROW(ptr) do { void *g_ = lmm_realloc((ptr), lmm_size_mul(sizeof *(ptr), cap)); if (!g_) return LMM_NOMEM; \
    (ptr) = g_; } while (0)
  GROW(fr->rowid);
  GROW(fr->row);
  GROW(fr->y);
  if (f->offset) GROW(fr->offset);
  for (int i = 0; i < f->nvars; i++) {
    if (fr->vars[i].x) GROW(fr->vars[i].x);
    if (fr->vars[i].code) GROW(fr->vars[i].code);
  }
#undef GROW
  fr->cap = cap;
  return LMM_OK;
}

/* Room for more rows: at first the rows the source expects (lmm_frame_expect_rows), each column in one piece
 * that is never copied; else, or where that much memory is refused (the bound may be far above the rows),
 * doubling. */
static int grow(lmm_frame *fr, lmm_error *err) {
  size_t expect = fr->expect;
  fr->expect = 0;
  if (!fr->cap && expect > 1024 && grow_to(fr, expect) == LMM_OK) return LMM_OK;
  return grow_to(fr, fr->cap ? lmm_size_mul(fr->cap, 2) : 1024) ? lmm_nomem(err) : LMM_OK;
}

void lmm_frame_expect_rows(lmm_frame *fr, uint64_t bound) {
  size_t row = 3 * sizeof(double) + (fr->f->offset ? sizeof(double) : 0);
  for (int i = 0; i < fr->f->nvars; i++) row += sizeof(double) + sizeof(int);
  size_t most = lmm_alloc_budget() / 8 / row;   /* what an overestimate may hold of the memory, untouched */
  fr->expect = fr->cap || bound > most ? 0 : (size_t)bound;
}

/* The values a dropped row gives its basis variables (row_eval.h's dropped_has), kept for finish.  Room for
 * them all is made first, so that a row that cannot have it changes nothing. */
static int keep_dropped(lmm_frame *fr, int may_alloc, lmm_error *err) {
  const lmm_row_eval *ev = fr->ev;
  for (lmm_term t = ev->dropped_has; t; t &= t - 1) {
    lmm_frame_var *v = &fr->vars[__builtin_ctzll(t)];
    if (v->ndropped_x < v->cap_dropped_x) continue;
    if (!may_alloc) return LMM_FRAME_NEEDS_MEMORY;
    size_t cap = v->cap_dropped_x ? lmm_size_mul(v->cap_dropped_x, 2) : 64;
    double *g = lmm_realloc(v->dropped_x, lmm_size_mul(sizeof *g, cap));
    if (!g) return lmm_nomem(err);
    v->dropped_x = g;
    v->cap_dropped_x = cap;
  }
  for (lmm_term t = ev->dropped_has; t; t &= t - 1) {
    int i = __builtin_ctzll(t);
    fr->vars[i].dropped_x[fr->vars[i].ndropped_x++] = ev->x[i];
  }
  return LMM_OK;
}

/* One row into the frame.  With may_alloc 0 a row that would need memory
 * returns LMM_FRAME_NEEDS_MEMORY, having changed nothing that adding the
 * row again would not set the same way (levels it added stay). */
static int add_row(lmm_frame *fr, const lmm_value *cols, int64_t rowid, int may_alloc, lmm_error *err) {
  const lmm_formula *f = fr->f;
  const lmm_row_eval *ev = fr->ev;
  int rc = lmm_row_eval_run(fr->ev, cols, rowid, fr->has_rowid, err);
  if (rc == LMM_ROW_HAS_NULL) {
    if (ev->dropped_has && (rc = keep_dropped(fr, may_alloc, err))) return rc;
    fr->nread++;
    fr->ndropped++;
    return LMM_OK;
  }
  if (rc) return rc;
  if (fr->n == fr->cap) {
    if (!may_alloc) return LMM_FRAME_NEEDS_MEMORY;
    if ((rc = grow(fr, err))) return rc;
  }
  size_t r = fr->n;
  fr->y[r] = ev->y;
  if (fr->offset) fr->offset[r] = ev->offset;
  fr->rowid[r] = rowid;
  fr->row[r] = (int64_t)fr->nread + 1;
  for (int i = 0; i < f->nvars; i++) {
    const lmm_var *var = &f->vars[i];
    lmm_frame_var *v = &fr->vars[i];
    if (ev->text[i]) {
      if ((rc = start_column(fr, sizeof *v->code, (void **)&v->code, -1, may_alloc, err)) ||
          (rc = set_level(v->table, v->code, r, ev->text[i], (size_t)ev->len[i], 0, may_alloc, err)))
        return rc;
      if (v->x) v->x[r] = NAN;
      v->has_text = 1;
      continue;
    }
    double x = ev->x[i];
    v->has_num = 1;
    if (keeps_numbers(var, v)) {
      if ((rc = start_column(fr, sizeof *v->x, (void **)&v->x, NAN, may_alloc, err))) return rc;
      v->x[r] = x;
    }
    if (keeps_codes(var)) {   /* a factor's or a grouping's number is a level */
      if (var->ex->kind == EX_NAME && cols[ev->pos[var->ex->column]].inexact)
        return lmm_fail(err, LMM_ERR, "'%s' holds an integer beyond 2^53 at %s %lld (read as %.17g), which a double "
                        "cannot hold exactly: two ids could become one level; make the column text (CAST(%s AS TEXT) "
                        "in a query) to keep them apart", var->label, fr->has_rowid ? "rowid" : "row",
                        (long long)(fr->has_rowid ? rowid : (int64_t)fr->nread + 1), x, f->cols[var->ex->column]);
      if ((rc = start_column(fr, sizeof *v->code, (void **)&v->code, -1, may_alloc, err)) ||
          (rc = set_level(v->table, v->code, r, NULL, 0, x, may_alloc, err)))
        return rc;
    } else if (v->code) v->code[r] = -1;   /* a plain column seen with text: settled at finish */
  }
  fr->nread++;
  fr->n++;
  return LMM_OK;
}

int lmm_frame_add_row(lmm_frame *fr, const lmm_value *cols, int64_t rowid, lmm_error *err) {
  return add_row(fr, cols, rowid, 1, err);
}

int lmm_frame_try_add_row(lmm_frame *fr, const lmm_value *cols, int64_t rowid, lmm_error *err) {
  return add_row(fr, cols, rowid, 0, err);
}

/* Room in one table for `more` new levels, and where it holds text, for theirs: `text` bytes at most (the
 * batch's), and as many as `more` levels as long as its longest would take. */
static int table_reserve(level_table *t, size_t more, size_t text) {
  size_t n = (size_t)t->n;
  while ((n + more + 1) * 2 > t->nslot)
    if (table_grow(t)) return -1;
  if (level_room(t, n + more)) return -1;
  size_t levels = lmm_size_mul(more, t->longest + 1);
  return t->text && text_room(t, levels < text ? levels : text) ? -1 : 0;
}

void lmm_frame_reserve(lmm_frame *fr, int rows, size_t text) {
  lmm_error err = {0};
  while (fr->cap && fr->n + (size_t)rows > fr->cap)
    if (grow(fr, &err)) return;
  for (int i = 0; i < fr->f->nvars; i++) {
    level_table *t = fr->vars[i].table;
    if (!t) continue;
    size_t more = (size_t)rows < (size_t)t->n + 16 ? (size_t)rows : (size_t)t->n + 16;
    if (table_reserve(t, more, lmm_size_add(text, more))) return;   /* each level's text and its NUL */
  }
}

size_t lmm_frame_text_held(const lmm_frame *fr, int var, size_t *used) {
  size_t held = 0;
  *used = 0;
  const level_table *t = fr->vars[var].table;
  for (const text_chunk *c = t ? t->text : NULL; c; c = c->prev) {
    held += c->cap;
    *used += c->used;
  }
  return held;
}

static int level_cmp(const level *x, const level *y) {
  if (x->text && y->text) return lmm_label_cmp(x->text, x->len, y->text, y->len);
  return (x->num > y->num) - (x->num < y->num);
}

/* A level with a word that sorts as it does where the words differ: a text's first 8 bytes big-endian (zeros
 * after its end), a number's bits turned so that their order is the numbers'.  Sorting these compares words
 * in the array and reads a level (out of cache with many levels: 20,000 text ids) only where they tie. */
typedef struct sort_key {
  uint64_t key;
  level *lv;
} sort_key;

static uint64_t level_key(const level *l) {
  uint64_t k = 0;
  if (l->text) {
    for (size_t i = 0; i < 8; i++) k = k << 8 | (i < l->len ? (unsigned char)l->text[i] : 0);
    return k;
  }
  memcpy(&k, &l->num, sizeof k);
  return k >> 63 ? ~k : k | (uint64_t)1 << 63;
}

static int sort_key_cmp(const void *a, const void *b) {
  const sort_key *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return level_cmp(x->lv, y->lv);
}

/* Sort one variable's levels and recode its rows.  A column holding text is
 * a factor of text: its numbers become text levels, through the numeric
 * levels they were given (factors and groupings) or through the values kept
 * (plain columns, coded -1). */
static int settle_levels(lmm_frame *fr, lmm_frame_var *v, const char *name, const char *column, lmm_error *err) {
  level_table *t = v->table;
  int n0 = t->n;
  int *as_text = NULL;
  if (v->has_text) {
    char buf[64];
    as_text = lmm_malloc(sizeof *as_text * (size_t)(n0 ? n0 : 1));
    if (!as_text) return lmm_nomem(err);
    for (int i = 0; i < n0; i++) {
      as_text[i] = i;
      if (t->lv[i].text) continue;
      lmm_format_number(t->lv[i].num, buf);
      if ((as_text[i] = table_intern(t, buf, strlen(buf), 0, 1)) < 0) { lmm_free(as_text); return lmm_nomem(err); }
    }
    for (size_t r = 0; r < fr->n; r++) {
      if (v->code[r] >= 0) { v->code[r] = as_text[v->code[r]]; continue; }
      lmm_format_number(v->x[r], buf);
      int k = table_intern(t, buf, strlen(buf), 0, 1);
      if (k < 0) { lmm_free(as_text); return lmm_nomem(err); }
      v->code[r] = k;
    }
    lmm_free(as_text);
  }
  int n = t->n;
  sort_key *order = lmm_malloc(sizeof *order * (size_t)(n ? n : 1));
  int *remap = lmm_malloc(sizeof *remap * (size_t)(n ? n : 1));
  v->levels = lmm_calloc((size_t)(n ? n : 1), sizeof *v->levels);
  v->level_len = lmm_malloc(sizeof *v->level_len * (size_t)(n ? n : 1));
  if (!order || !remap || !v->levels || !v->level_len) { lmm_free(order); lmm_free(remap); return lmm_nomem(err); }
  int m = 0;
  for (int i = 0; i < n; i++)
    if (!v->has_text || t->lv[i].text) order[m++] = (sort_key){level_key(&t->lv[i]), &t->lv[i]};  /* stale numeric levels drop out */
  qsort(order, (size_t)m, sizeof *order, sort_key_cmp);
  for (int i = 0; i < n; i++) remap[i] = -1;
  int rc = LMM_OK, nl = 0;
  /* R's factor() matches values to levels by their labels (15 significant
   * digits), so numbers that print alike, 0.1 + 0.2 and 0.3, are one level;
   * in sorted order they are neighbours.  Prediction finds a new row's level
   * by the same labels (lmm_row_eval_level). */
  for (int k = 0; k < m && !rc; k++) {
    char buf[32];
    const level *l = order[k].lv;
    const char *text = l->text;
    size_t len = l->len;
    if (!text) {
      lmm_format_number(l->num, buf);
      text = buf;
      len = strlen(buf);
    }
    if (nl && !lmm_label_cmp(text, len, v->levels[nl - 1], (size_t)v->level_len[nl - 1])) {
      /* two whole numbers are ids, never the same id at 15 digits: 16-digit ids would be merged into fewer
       * groups without a word (R's factor() of doubles merges them; RSQLite reads such ids as integer64) */
      const level *p = order[k - 1].lv;
      if (!p->text && p->num != l->num && p->num == floor(p->num) && l->num == floor(l->num)) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%.17g", p->num);
        snprintf(b, sizeof b, "%.17g", l->num);
        rc = lmm_fail(err, LMM_ERR, "'%s' holds the distinct numbers %s and %s, which R's factor() labels alike "
                      "(15 significant digits, '%s') and would make one level; make the column text "
                      "(CAST(CAST(%s AS INTEGER) AS TEXT) in a query) to keep them apart", name, a, b, text,
                      column ? column : "it");
        break;
      }
      remap[l - t->lv] = nl - 1;
      continue;
    }
    if (!(v->levels[nl] = lmm_strndup(text, len))) { rc = lmm_nomem(err); break; }
    v->level_len[nl++] = (int)len;
    remap[l - t->lv] = nl - 1;
  }
  v->nlevels = nl;
  if (!rc)
    for (size_t r = 0; r < fr->n; r++) v->code[r] = remap[v->code[r]];
  lmm_free(order);
  lmm_free(remap);
  return rc;
}

/* Index of the level labelled text among v's, -1 if none (the levels are few enough to look through) */
static int find_level(const lmm_frame_var *v, const char *text) {
  size_t len = strlen(text);
  for (int l = 0; l < v->nlevels; l++)
    if (!lmm_label_cmp(v->levels[l], (size_t)v->level_len[l], text, len)) return l;
  return -1;
}

/* The levels of v as a message lists them: the first few, comma-separated */
static const char *level_list(const lmm_frame_var *v, char *buf, size_t size) {
  buf[0] = 0;
  for (int l = 0; l < v->nlevels; l++) {
    size_t n = strlen(buf);
    if (n + (size_t)v->level_len[l] + 8 >= size) { strcat(buf, ", ..."); break; }
    snprintf(buf + n, size - n, "%s%s", l ? ", " : "", v->levels[l]);
  }
  return buf;
}

/* The order the formula gives v's sorted levels (lmm_coding): those listed in levels = in that order, then
 * relevel's reference first.  A listed level or reference the data lack is refused by name: R would keep it as
 * an empty level, whose all-zero column lm reports as NA. */
static int order_levels(lmm_frame *fr, const lmm_var *var, lmm_frame_var *v, lmm_error *err) {
  const lmm_coding *cd = &var->coding;
  if (!cd->ngiven && !cd->ref && !cd->ref_index) return LMM_OK;
  int n = v->nlevels;
  char list[256];
  for (int k = 0; k < cd->ngiven; k++)   /* rows of values not listed were dropped (lmm_row_eval_run) */
    if (find_level(v, cd->given[k]) < 0)
      return lmm_fail(err, LMM_ERR, "%s: level '%s' of levels = is not in the rows used (their levels: %s); R would "
                      "keep it as an empty level with a column of zeros; leave it out of levels =", var->label,
                      cd->given[k], level_list(v, list, sizeof list));
  int ref = cd->ref ? find_level(v, cd->ref) : cd->ref_index - 1;
  if (cd->ref && ref < 0)
    return lmm_fail(err, LMM_ERR, "%s: ref '%s' is not a level (the levels: %s)", var->label, cd->ref,
                    level_list(v, list, sizeof list));
  if (cd->ref_index && ref >= n)
    return lmm_fail(err, LMM_ERR, "%s: ref %d is beyond its %d levels (%s)", var->label, cd->ref_index, n,
                    level_list(v, list, sizeof list));
  if (cd->ngiven && cd->ngiven != n)   /* lmm_row_eval_run keeps only rows of listed levels */
    return lmm_fail(err, LMM_ERR, "%s: %d levels in the rows used for the %d of levels = (%s)", var->label, n, cd->ngiven,
                    level_list(v, list, sizeof list));
  size_t m = (size_t)(n ? n : 1);
  int *from = lmm_malloc(sizeof *from * m), *to = lmm_malloc(sizeof *to * m), *len = lmm_malloc(sizeof *len * m);
  char **levels = lmm_malloc(sizeof *levels * m);   /* new level k is old level from[k] */
  if (!from || !to || !levels || !len) { lmm_free(from); lmm_free(to); lmm_free(levels); lmm_free(len); return lmm_nomem(err); }
  for (int k = 0; k < n; k++) from[k] = k < cd->ngiven ? find_level(v, cd->given[k]) : k;
  if (ref >= 0) {   /* ref first, the others in their order */
    int at = 0;
    while (from[at] != ref) at++;
    memmove(from + 1, from, sizeof *from * (size_t)at);
    from[0] = ref;
  }
  for (int k = 0; k < n; k++) { to[from[k]] = k; levels[k] = v->levels[from[k]]; len[k] = v->level_len[from[k]]; }
  memcpy(v->levels, levels, sizeof *levels * (size_t)n);
  memcpy(v->level_len, len, sizeof *len * (size_t)n);
  for (size_t r = 0; r < fr->n; r++) v->code[r] = to[v->code[r]];
  lmm_free(from);
  lmm_free(to);
  lmm_free(levels);
  lmm_free(len);
  return LMM_OK;
}

/* A basis variable's coef, from its values in the fitted rows and the dropped ones, and its columns in place
 * of its values (frame.h). */
static int settle_basis(lmm_frame *fr, const lmm_var *var, lmm_frame_var *v, lmm_error *err) {
  size_t n = fr->n, m = n + v->ndropped_x;
  int k = var->basis.ncols;
  double *all = lmm_malloc(sizeof *all * (m ? m : 1));
  double *cols = lmm_malloc_array(lmm_size_mul(n ? n : 1, (size_t)k), sizeof *cols);
  double row[LMM_NUMBASIS_MAX_COLS];
  int rc = !all || !cols ? lmm_nomem(err) : LMM_OK;
  if (!rc) {
    if (n) memcpy(all, v->x, sizeof *all * n);
    if (v->ndropped_x) memcpy(all + n, v->dropped_x, sizeof *all * v->ndropped_x);
    rc = lmm_numbasis_settle(&var->basis, var->label, all, m, &v->coef, &v->ncoef, err);
  }
  for (size_t r = 0; r < n && !rc; r++) {
    lmm_numbasis_eval(&var->basis, v->coef, v->x[r], row);
    for (int j = 0; j < k; j++) cols[(size_t)j * n + r] = row[j];
  }
  lmm_free(all);
  lmm_free(v->dropped_x);
  v->dropped_x = NULL;
  if (rc) { lmm_free(cols); return rc; }
  lmm_free(v->x);
  v->x = cols;
  return LMM_OK;
}

int lmm_frame_finish(lmm_frame *fr, lmm_error *err) {
  const lmm_formula *f = fr->f;
  for (int i = 0; i < f->nvars; i++) {
    const lmm_var *var = &f->vars[i];
    lmm_frame_var *v = &fr->vars[i];
    if (var->basis.kind && v->x) {
      int rc = settle_basis(fr, var, v, err);
      if (rc) return rc;
    }
    v->is_factor = var->kind == LMM_VAR_FACTOR || (var->kind == LMM_VAR_PLAIN && v->has_text);
    if (var->kind == LMM_VAR_NUMERIC && var->used_as_group)
      return lmm_fail(err, LMM_ERR, "grouping factor '%s' must be a column, not an expression", var->label);
    if (var->kind == LMM_VAR_NUMERIC) continue;
    if (!v->in_model && !var->used_as_group) { /* read, then taken out of the formula (y ~ a - a): no levels */
      table_free(v->table);
      v->table = NULL;
      continue;
    }
    if (v->is_factor || var->used_as_group) {
      int rc = settle_levels(fr, v, var->label, var->ex->kind == EX_NAME ? fr->f->cols[var->ex->column] : NULL, err);
      if (!rc) rc = order_levels(fr, var, v, err);
      if (rc) return rc;
    }
    table_free(v->table);
    v->table = NULL;
  }
  return LMM_OK;
}
