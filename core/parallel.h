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

/* A team: parts that run all at once and may wait for one another
 * (lmm_team_wait), which lmm_parallel's parts may not, one of them perhaps
 * running after another on the caller's thread. */
typedef struct lmm_team lmm_team;
enum { LMM_TEAM_UNSTARTED = -1 };
/* Run fn(arg, part, team) for part = 0..nparts-1 at once, part 0 on the
 * calling thread; LMM_TEAM_UNSTARTED, having run no part, when a thread
 * cannot be started; else the first nonzero result.  The rules of
 * lmm_parallel's parts hold. */
int lmm_parallel_team(int nparts, int (*fn)(void *arg, int part, lmm_team *team), void *arg);
/* Return once every part of the team has called it (a reusable barrier). */
void lmm_team_wait(lmm_team *team);

/* How many parts are worth running on this machine (online CPUs, at most 4). */
int lmm_parallel_parts(void);

#endif
