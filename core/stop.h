/* stop.h — a caller's wish to stop a computation, asked from every loop that
 * can run long.
 *
 * A host that can cancel work (the extension: sqlite3_interrupt and the
 * connection's progress handler) gives core interrupted(ctx); core asks it
 * between steps of at most a few tens of milliseconds each -- the passes over
 * the rows, the QRs, the blocks, each factorization, the optimizer, the
 * random effects -- and returns LMM_INTERRUPTED once it says yes.  Asking
 * must be cheap for the host (the extension looks at the clock and asks
 * SQLite at most every 20 ms).
 *
 * interrupted() is called only on the thread that started the computation
 * (the extension's question takes the connection's mutex, which that thread
 * holds); parts on other threads read the answer it left (lmm_stop_seen).
 */
#ifndef LMM_STOP_H
#define LMM_STOP_H

typedef struct lmm_stop {
  int (*interrupted)(void *ctx);   /* NULL: never */
  void *ctx;
  int stopped;                     /* once set, stays set */
} lmm_stop;

/* On the starting thread: whether to stop now (s may be NULL). */
static inline int lmm_stop_asked(lmm_stop *s) {
  if (!s) return 0;
  if (!__atomic_load_n(&s->stopped, __ATOMIC_RELAXED) && s->interrupted && s->interrupted(s->ctx))
    __atomic_store_n(&s->stopped, 1, __ATOMIC_RELAXED);
  return __atomic_load_n(&s->stopped, __ATOMIC_RELAXED);
}

/* On any thread: whether the starting thread has been told to stop. */
static inline int lmm_stop_seen(const lmm_stop *s) { return s && __atomic_load_n(&s->stopped, __ATOMIC_RELAXED); }

/* In part `part` of a parallel computation (parallel.h: part 0 runs on the starting thread): part 0 asks, the
 * others see its answer. */
static inline int lmm_stop_part(lmm_stop *s, int part) { return part == 0 ? lmm_stop_asked(s) : lmm_stop_seen(s); }

#endif
