/* feed.h — rows into the model frame on a second thread while the reader
 * reads the next ones.
 *
 * Building the frame from the rows (checks, numbers, levels) is work of the
 * same order as SQLite's own reading of them, and on the reader's core it
 * would add to it while the other core waits.  The feed copies each
 * row (its text too) into a batch, and a second thread adds the batches to
 * the frame while the reader fills the next.  That thread never allocates
 * (a host's allocator, SQLite's among them, may not be thread-safe): a row
 * that needs memory (a column's next storage, a new level that does not fit
 * the tables) stops it, and the reader adds that row and the rest of its
 * batch itself at its next hand-over, while the thread waits.  Rows enter
 * the frame one at a time in their order, so levels, messages and every
 * value are those of lmm_frame_add_row called row by row.  Small data
 * (within the first batch) and one-core machines never start the thread.
 */
#ifndef LMM_FEED_H
#define LMM_FEED_H

#include "frame.h"

typedef struct lmm_feed lmm_feed;

/* Runs read(arg, feed) on the calling thread; it gives every row to
 * lmm_feed_row and returns its own status, kept in *read_rc.  Returns the
 * frame's status: LMM_OK, or the error (in err) of the first row the frame
 * refused -- a row before any row read() stopped at, so that is the error
 * to report when both failed. */
int lmm_feed_run(lmm_frame *fr, int (*read)(void *arg, lmm_feed *feed), void *arg, int *read_rc, lmm_error *err);

/* One row, as lmm_frame_add_row takes it; its values are copied before the
 * call returns.  Non-zero (with err) when the frame has refused a row: the
 * reader stops. */
int lmm_feed_row(lmm_feed *feed, const lmm_value *cols, int64_t rowid, lmm_error *err);

#endif
