/* feed.c — see feed.h.
 *
 * Two batches: the reader fills one while the thread adds the other to the
 * frame.  The frame is only ever touched by one of them at a time: by the
 * thread while `busy`, by the reader otherwise (it waits for `busy` to
 * clear before it touches the frame or hands over the next batch), and the
 * mutex orders their writes.
 */
#include "feed.h"
#include "alloc.h"
#include "parallel.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

enum { BATCH_VALUES = 1 << 14, BATCH_TEXT = 1 << 16 };

typedef struct batch {
  int nrows, done;   /* rows in it; rows the frame has taken */
  lmm_value *vals;   /* nrows x nc, text pointing into text[] */
  int64_t *rowid;
  char *text;
  size_t ntext, captext;
} batch;

struct lmm_feed {
  lmm_frame *fr;
  int nc, rows;         /* columns; rows a batch holds */
  int parts;            /* lmm_parallel_parts(): one, and the rows go straight to the frame */
  batch b[2];
  int filling;          /* the batch the reader fills */
  int pending;          /* b[1 - filling] was handed over and the reader has not settled it */
  int started;          /* the thread: 1 runs, -1 could not be started, 0 not yet */
  pthread_t thread;
  pthread_mutex_t mx;
  pthread_cond_t cv;
  int busy;             /* the thread holds b[1 - filling] */
  int closing;
  int rc;               /* the frame's first refusal (rows in order), message in err */
  lmm_error err;
};

/* The batch's rows from b->done on into the frame, until one needs memory
 * (may_alloc 0) or is refused.  It reads the feed once and writes it once
 * at the end: the reader writes the batch it fills, beside these fields,
 * every row, and a write per row here would make each of its reads a miss. */
static void take(lmm_feed *f, batch *b, int may_alloc) {
  if (f->rc) return;
  lmm_frame *fr = f->fr;
  size_t nc = (size_t)f->nc;
  const lmm_value *vals = b->vals;
  const int64_t *rowid = b->rowid;
  int done = b->done, nrows = b->nrows, rc = LMM_OK;
  lmm_error err = {0};
  for (; done < nrows; done++) {
    rc = may_alloc ? lmm_frame_add_row(fr, vals + (size_t)done * nc, rowid[done], &err)
                   : lmm_frame_try_add_row(fr, vals + (size_t)done * nc, rowid[done], &err);
    if (rc) break;
  }
  b->done = done;
  if (rc && rc != LMM_FRAME_NEEDS_MEMORY) {
    f->rc = rc;
    f->err = err;
  }
}

static void *consume(void *arg) {
  lmm_feed *f = arg;
  pthread_mutex_lock(&f->mx);
  for (;;) {
    while (!f->busy && !f->closing) pthread_cond_wait(&f->cv, &f->mx);
    if (!f->busy) break;
    batch *b = &f->b[1 - f->filling];
    pthread_mutex_unlock(&f->mx);
    take(f, b, 0);
    pthread_mutex_lock(&f->mx);
    f->busy = 0;
    pthread_cond_broadcast(&f->cv);
  }
  pthread_mutex_unlock(&f->mx);
  return NULL;
}

/* Wait for the thread to put down the handed-over batch, then add the rows
 * it left (those that need memory, and the rest of that batch) here. */
static int settle(lmm_feed *f) {
  if (!f->pending) return f->rc;
  if (f->started > 0) {
    pthread_mutex_lock(&f->mx);
    while (f->busy) pthread_cond_wait(&f->cv, &f->mx);
    pthread_mutex_unlock(&f->mx);
  }
  take(f, &f->b[1 - f->filling], 1);
  f->pending = 0;
  return f->rc;
}

/* The full batch to the thread (started at the first), and the other to fill. */
static int hand_over(lmm_feed *f) {
  int rc = settle(f);
  if (rc) return rc;
  /* here, where the thread holds nothing (settled), room for the batch, which the thread may not allocate */
  lmm_frame_reserve(f->fr, f->b[f->filling].nrows, f->b[f->filling].ntext);
  if (!f->started) f->started = pthread_create(&f->thread, NULL, consume, f) == 0 ? 1 : -1;
  f->b[f->filling].done = 0;
  f->filling = 1 - f->filling;
  f->pending = 1;
  if (f->started > 0) {   /* else settle() takes it all here */
    pthread_mutex_lock(&f->mx);
    f->busy = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mx);
  }
  batch *b = &f->b[f->filling];
  b->nrows = 0;
  b->ntext = 0;
  return LMM_OK;
}

/* memcpy, with a short text (an id, a level: most of them) copied in place by two words that may overlap
 * rather than by a call: three of a row's values are text on data with text ids. */
static inline void copy_text(char *dst, const char *src, size_t n) {
  if (n > 16) { memcpy(dst, src, n); return; }
  if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, src + n - 8, 8);
    memcpy(dst, &a, 8);
    memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, src, 4);
    memcpy(&b, src + n - 4, 4);
    memcpy(dst, &a, 4);
    memcpy(dst + n - 4, &b, 4);
  } else
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
}

int lmm_feed_row(lmm_feed *f, const lmm_value *cols, int64_t rowid, lmm_error *err) {
  if (f->parts < 2) {
    if ((f->rc = lmm_frame_add_row(f->fr, cols, rowid, &f->err))) *err = f->err;
    return f->rc;
  }
  size_t need = 0;
  for (int c = 0; c < f->nc; c++)
    if (cols[c].type == LMM_TEXT) need += (size_t)cols[c].len;
  batch *b = &f->b[f->filling];
  if (b->nrows == f->rows || b->ntext + need > b->captext) {
    if (hand_over(f)) { *err = f->err; return f->rc; }
    b = &f->b[f->filling];
    if (need > b->captext) {   /* one row's text larger than a batch's room: empty, so it may move */
      char *t = lmm_realloc(b->text, need);
      if (!t) return lmm_nomem(err);   /* the reader's failure, not the frame's: f->rc is the thread's to read */
      b->text = t;
      b->captext = need;
    }
  }
  lmm_value *v = b->vals + (size_t)b->nrows * (size_t)f->nc;
  for (int c = 0; c < f->nc; c++) {
    v[c] = cols[c];
    if (cols[c].type != LMM_TEXT) continue;
    copy_text(b->text + b->ntext, cols[c].text, (size_t)cols[c].len);
    v[c].text = b->text + b->ntext;
    b->ntext += (size_t)cols[c].len;
  }
  b->rowid[b->nrows++] = rowid;
  return LMM_OK;
}

/* After the last row: the batch under way, then the one being filled, and the thread stopped. */
static int finish(lmm_feed *f) {
  int rc = settle(f);
  if (!rc && f->parts > 1) {
    batch *b = &f->b[f->filling];
    b->done = 0;
    take(f, b, 1);
    rc = f->rc;
  }
  if (f->started > 0) {
    pthread_mutex_lock(&f->mx);
    f->closing = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mx);
    pthread_join(f->thread, NULL);
  }
  return rc;
}

int lmm_feed_run(lmm_frame *fr, int (*read)(void *arg, lmm_feed *feed), void *arg, int *read_rc, lmm_error *err) {
  lmm_feed f = {.fr = fr, .nc = fr->f->ncols, .parts = lmm_parallel_parts()};
  f.rows = BATCH_VALUES / (f.nc ? f.nc : 1);
  if (f.rows < 16) f.rows = 16;
  int rc = LMM_OK;
  if (f.parts > 1) {
    for (int k = 0; k < 2; k++) {
      batch *b = &f.b[k];
      b->vals = lmm_malloc(sizeof *b->vals * (size_t)f.rows * (size_t)(f.nc ? f.nc : 1));
      b->rowid = lmm_malloc(sizeof *b->rowid * (size_t)f.rows);
      b->text = lmm_malloc(BATCH_TEXT);
      b->captext = BATCH_TEXT;
      if (!b->vals || !b->rowid || !b->text) rc = lmm_nomem(err);
    }
    if (!rc && pthread_mutex_init(&f.mx, NULL)) rc = lmm_nomem(err);
    else if (!rc && pthread_cond_init(&f.cv, NULL)) {
      pthread_mutex_destroy(&f.mx);
      rc = lmm_nomem(err);
    }
  }
  if (!rc) {
    *read_rc = read(arg, &f);
    if ((rc = finish(&f))) *err = f.err;
    if (f.parts > 1) {
      pthread_cond_destroy(&f.cv);
      pthread_mutex_destroy(&f.mx);
    }
  }
  for (int k = 0; k < 2; k++) {
    lmm_free(f.b[k].vals);
    lmm_free(f.b[k].rowid);
    lmm_free(f.b[k].text);
  }
  return rc;
}
