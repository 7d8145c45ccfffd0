/* parallel.h — run the parts of one computation on several threads.
 *
 * Part 0 runs on the calling thread, parts 1..n-1 on threads of their own,
 * joined before the call returns; a thread that cannot be started runs its
 * part on the caller instead.  The parts must not allocate (a host's
 * allocator, SQLite's among them, may not be thread-safe), except part 0,
 * on the caller's thread, where no other part allocates; they must write to
 * disjoint memory.  Nothing outlives the call: no pool, no global state.
 */
#ifndef LMM_PARALLEL_H
#define LMM_PARALLEL_H

/* Run fn(arg, part) for part = 0..nparts-1; returns the first nonzero result. */
int lmm_parallel(int nparts, int (*fn)(void *arg, int part), void *arg);

/* How many parts are worth running on this machine (online CPUs, at most 4). */
int lmm_parallel_parts(void);

#endif
