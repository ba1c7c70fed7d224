/* The writer thread (DESIGN §4): owner of the only read-write SQLite connection. Every write
 * is a job; the writer runs the jobs that are waiting (up to WRITER_MAX_BATCH, or
 * WRITER_BATCH_US of work) in one transaction, each inside its own SAVEPOINT so a failing job
 * rolls back alone, COMMITs once (one fsync for the batch, synchronous=FULL), and only then
 * posts the completions to the service thread. */
#ifndef MINGSHI_CORE_WRITER_H
#define MINGSHI_CORE_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/completion.h"
#include "core/db.h"
#include "core/metrics.h"
#include "core/queue.h"

#define WRITER_MAX_BATCH 512
#define WRITER_BATCH_US 2000

/* Runs on the writer thread inside a SAVEPOINT. Returns ERR_OK to keep its changes, anything
 * else to roll them back (the batch's other jobs are unaffected). It may write results into
 * its arg for done() to read; it must not touch lws or service-thread state. */
typedef enum err (*writer_fn)(struct db *db, void *arg);

/* When a chore wants its next run. */
enum chore_next {
	CHORE_DONE,  /* nothing left: due again after the next batch, once its interval passed */
	CHORE_SOON,  /* work left: after the next batch, or at once when the queue is idle */
	CHORE_LATER, /* work left that can wait: once its interval has passed, batch or not */
};

/* A chore: the writer's own upkeep (the search index), run in a transaction of its own after
 * a batch's completions are posted, so no ack waits for it. Sets *next.
 * state is the caller's, given to writer_set_chore(): the chore's memory between runs. */
typedef enum err (*writer_chore_fn)(struct db *db, void *state, enum chore_next *next);

struct writer {
	struct db db;
	pthread_t thread;
	struct queue q;	    /* jobs to run; its lock also guards the chore's fields */
	atomic_int pending; /* submitted and not yet posted back: the shutdown waits for 0 */
	/* Moves on (after COMMIT, before the batch's completions are posted) whenever a batch
	 * wrote a table that room-access decisions read: anything but the discussion's own
	 * messages, votes, presence and search index, sessions and the audit trail. The service
	 * thread trusts an access decision only within the epoch it was made in (api/chat.c).
	 * Starts at 1, so a zeroed memo never matches. */
	atomic_uint_fast64_t access_epoch;
	bool access_dirty; /* writer thread only: this transaction wrote such a table */
	bool started;
	struct completions *completions;
	struct metrics *metrics;
	/* the chore (guarded by q's lock): due after any batch, since a job may have made work
	 * for it, and run at most every chore_every_us after chore_last_us
	 * unless chore_now is set (it was just set, or answered CHORE_SOON); after CHORE_LATER
	 * it stays due without a batch */
	writer_chore_fn chore;
	void *chore_state;
	int64_t chore_every_us, chore_last_us;
	bool chore_due, chore_now;
};

/* Takes ownership of db (an open DB_READ_WRITE connection, already migrated) and prepares the
 * queue. Until writer_start() the jobs run only through writer_run_batch() on the caller's
 * thread, which is how unit tests and the command-line tools use it. */
void writer_init(struct writer *w, struct db *db, struct completions *c, struct metrics *m);

/* Sets the chore and its state, borrowed until the writer stops or the chore is set again
 * (before or after writer_start()). It is due at once: work may be left from the previous run. */
void writer_set_chore(struct writer *w, writer_chore_fn fn, void *state, int64_t every_us);

/* Runs the chore now if it is due and its interval has passed (or `force`), in its own
 * transaction. Returns true if it ran. For callers without the thread (tests). */
bool writer_run_chore(struct writer *w, bool force);

/* Starts the writer thread. Returns ERR_OK or fills *e. */
enum err writer_start(struct writer *w, struct error *e);

/* Queues fn(db, arg); when committed (or failed), done(arg, result) runs on the service
 * thread. done may be NULL. The arg is borrowed until done runs. Returns ERR_UNAVAILABLE if
 * the writer is stopping, ERR_NOMEM if the job cannot be allocated; done is then not called. */
enum err writer_submit(struct writer *w, writer_fn fn, done_fn done, void *arg);

/* Refuses new jobs, lets the thread commit every queued job (posting their completions) and
 * joins it. Idempotent. The caller drains the completions. */
void writer_stop(struct writer *w);

/* After writer_stop(): checkpoints the WAL (TRUNCATE) and closes the connection. */
void writer_close(struct writer *w);

/* Runs one batch on the calling thread exactly as the thread would; returns the number of
 * jobs it ran. For callers without the thread (tests, CLI). */
size_t writer_run_batch(struct writer *w);

#endif
