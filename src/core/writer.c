/* Group-committing writer thread; see writer.h. */

/* sqlite3.h declares sqlite3_preupdate_hook() only when this is set; our SQLite is compiled
 * with it (mk/deps.sh builds trixie's source with -DSQLITE_ENABLE_PREUPDATE_HOOK). */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "core/writer.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"

struct writer_job {
	struct job j; /* first: completions_drain() frees the job through it */
	writer_fn fn;
};

/* ---- the access epoch ---------------------------------------------------------------- */

/* Tables that no room-access decision reads. Every other table, including any added later,
 * counts as access data: forgetting to list a table here costs a cache refill, never a stale
 * permission. */
static bool access_neutral(const char *table)
{
	static const char *const NEUTRAL[] = { "messages",  "message_votes",
					       "presence",  "search_progress",
					       "sessions",  "audit",
					       "pii_reads", NULL };

	if (strncmp(table, "messages_fts_", 13) == 0) /* FTS5's shadow tables */
		return true;
	for (const char *const *t = NEUTRAL; *t; t++)
		if (strcmp(table, *t) == 0)
			return true;
	return false;
}

/* Called by SQLite before every row change on the writer's connection (WITHOUT ROWID tables
 * included, which the plain update hook skips). */
static void on_preupdate(void *arg, sqlite3 *h, int op, const char *schema, const char *table,
			 sqlite3_int64 key1, sqlite3_int64 key2)
{
	struct writer *w = arg;

	(void)h, (void)op, (void)schema, (void)key1, (void)key2;
	if (!w->access_dirty && !access_neutral(table))
		w->access_dirty = true;
}

/* After a transaction ends: a write of access data (even one rolled back) starts a new epoch. */
static void access_settle(struct writer *w)
{
	if (w->access_dirty) {
		w->access_dirty = false;
		atomic_fetch_add_explicit(&w->access_epoch, 1, memory_order_release);
	}
}

/* ---- queue --------------------------------------------------------------------------- */

enum err writer_submit(struct writer *w, writer_fn fn, done_fn done, void *arg)
{
	struct writer_job *wj = calloc(1, sizeof(*wj));

	if (!wj)
		return ERR_NOMEM;
	wj->fn = fn;
	wj->j.done = done;
	wj->j.arg = arg;
	/* counted before it can be run and posted, so that pending never dips below 0 */
	atomic_fetch_add(&w->pending, 1);
	if (queue_put(&w->q, &wj->j, &wj->j, 1, NULL) != ERR_OK) {
		atomic_fetch_sub(&w->pending, 1);
		free(wj);
		return ERR_UNAVAILABLE;
	}
	return ERR_OK;
}

static struct writer_job *job_of(struct job *j)
{
	return (struct writer_job *)j;
}

/* ---- one batch ----------------------------------------------------------------------- */

/* One of the savepoint statements, prepared once (sqlite3_exec would parse it per job) and
 * logged when it fails, as db_exec() would. */
static enum err savepoint_step(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	enum err r = st ? db_step_done(st) : ERR_DB;

	if (r != ERR_OK)
		log_error("writer: %s: %s", sql, sqlite3_errmsg(db->h));
	return r;
}

static const char SQL_SAVEPOINT[] = "SAVEPOINT job";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO job";
static const char SQL_RELEASE[] = "RELEASE job";

/* Runs one job in its own savepoint. Returns its result; if SQLite rolled back the whole
 * transaction underneath (I/O error, disk full), *txn_lost is set. Work the job deferred
 * (db_defer) is dropped with its changes when it fails. */
static enum err run_job(struct writer *w, struct job *j, bool *txn_lost)
{
	size_t mark = db_deferred_mark(&w->db);
	enum err r = savepoint_step(&w->db, SQL_SAVEPOINT);

	if (r != ERR_OK)
		return r;
	r = job_of(j)->fn(&w->db, j->arg);
	if (sqlite3_get_autocommit(w->db.h)) {
		*txn_lost = true;
		return r == ERR_OK ? ERR_UNAVAILABLE : r;
	}
	if (r != ERR_OK) {
		savepoint_step(&w->db, SQL_ROLLBACK_TO);
		db_drop_deferred(&w->db, mark);
	}
	savepoint_step(&w->db, SQL_RELEASE);
	return r;
}

/* Posts the batch's completions as one list: the service thread then answers the whole batch
 * in one pass (see completion.h). They count as pending until posted, so a shutdown that sees
 * none pending finds them all in the queue. */
static void post_all(struct writer *w, struct job *list)
{
	struct job *last = list;
	size_t n = 1;

	if (!list)
		return;
	for (; last->next; last = last->next)
		n++;
	completions_post_list(w->completions, list, last, n);
	assert(atomic_load(&w->pending) >= (int)n);
	atomic_fetch_sub(&w->pending, (int)n);
}

/* Marks every job in [from, to) as failed with `result` (their work was lost). */
static void fail_range(struct job *from, struct job *to, enum err result)
{
	for (; from && from != to; from = from->next)
		from->result = result;
}

/* Runs one transaction over `batch`: returns the unrun tail (time budget exhausted, or the
 * transaction was lost and the rest must start over) and cuts it off the batch. */
static struct job *run_txn(struct writer *w, struct job *batch, size_t *ran)
{
	int64_t t0 = clock_mono_us();
	struct job *j = batch, *prev = NULL;
	bool lost = false;
	enum err deferred;
	int rc;

	*ran = 0;
	if (db_exec(&w->db, "BEGIN IMMEDIATE;") != SQLITE_OK) {
		fail_range(batch, NULL, ERR_UNAVAILABLE);
		*ran = 1;
		return NULL;
	}
	for (; j; prev = j, j = j->next) {
		if (*ran > 0 && clock_mono_us() - t0 > WRITER_BATCH_US)
			break;
		j->result = run_job(w, j, &lost);
		(*ran)++;
		if (lost) {
			fail_range(batch, j, ERR_UNAVAILABLE);
			prev = j;
			j = j->next;
			break;
		}
	}
	if (prev)
		prev->next = NULL;
	if (lost)
		db_drop_deferred(&w->db, 0);
	else if ((deferred = db_run_deferred(&w->db)) != ERR_OK) {
		/* the batch's deferred index writes failed: none of its jobs may commit */
		log_error("writer: deferred work failed (%s; sqlite: %s); %zu jobs fail",
			  err_default_message(deferred), sqlite3_errmsg(w->db.h), *ran);
		db_exec(&w->db, "ROLLBACK;");
		fail_range(batch, NULL, ERR_DB);
		lost = true;
	}
	if (!lost) {
		int64_t c0 = clock_mono_us();

		rc = db_exec(&w->db, "COMMIT;");
		if (rc != SQLITE_OK) {
			log_error("writer: COMMIT failed (%s); %zu jobs fail", sqlite3_errstr(rc),
				  *ran);
			db_exec(&w->db, "ROLLBACK;");
			fail_range(batch, NULL,
				   db_err(rc) == ERR_UNAVAILABLE ? ERR_UNAVAILABLE : ERR_DB);
		}
		metrics_observe_commit(w->metrics, clock_mono_us() - c0, *ran);
	}
	access_settle(w);
	return j;
}

/* Puts the jobs a transaction did not run back at the front of the queue, in order. */
static void return_jobs(struct writer *w, struct job *rest)
{
	struct job *last = rest;
	size_t n = 1;

	if (!rest)
		return;
	for (; last->next; last = last->next)
		n++;
	queue_put_front(&w->q, rest, last, n);
}

size_t writer_run_batch(struct writer *w)
{
	struct job *batch = queue_take(&w->q, WRITER_MAX_BATCH, NULL), *rest;
	size_t ran = 0;

	if (!batch)
		return 0;
	assert(thread_is(THREAD_WRITER));
	rest = run_txn(w, batch, &ran);
	post_all(w, batch);
	return_jobs(w, rest);
	queue_lock(&w->q);
	w->chore_due = true;
	queue_unlock(&w->q);
	return ran;
}

/* ---- the chore ------------------------------------------------------------------------- */

void writer_set_chore(struct writer *w, writer_chore_fn fn, void *state, int64_t every_us)
{
	queue_lock(&w->q); /* the thread reads these after taking it */
	w->chore = fn;
	w->chore_state = state;
	w->chore_every_us = every_us;
	w->chore_due = fn != NULL;
	w->chore_now = fn != NULL;
	queue_unlock(&w->q);
	queue_wake(&w->q);
}

/* Microseconds until the chore should run: 0 now, -1 never (not due). */
static int64_t chore_wait_us(const struct writer *w, int64_t now)
{
	int64_t left;

	if (!w->chore || !w->chore_due)
		return -1;
	if (w->chore_now)
		return 0;
	left = w->chore_last_us + w->chore_every_us - now;
	return left > 0 ? left : 0;
}

/* Whether the chore runs now (then marked as run, and its function and state copied out). The
 * chore's fields are read and written under the queue's lock: writer_set_chore() may change
 * them from another thread while the writer runs. */
static bool chore_take(struct writer *w, bool force, writer_chore_fn *fn, void **state)
{
	int64_t now = clock_mono_us();
	bool run;

	queue_lock(&w->q);
	run = w->chore && (force || chore_wait_us(w, now) == 0);
	if (run) {
		w->chore_last_us = now;
		w->chore_now = false;
		*fn = w->chore;
		*state = w->chore_state;
	}
	queue_unlock(&w->q);
	return run;
}

bool writer_run_chore(struct writer *w, bool force)
{
	enum chore_next next = CHORE_DONE;
	writer_chore_fn fn;
	void *state;
	enum err r;
	int rc;

	if (!chore_take(w, force, &fn, &state))
		return false;
	assert(thread_is(THREAD_WRITER));
	if (db_exec(&w->db, "BEGIN IMMEDIATE;") != SQLITE_OK)
		return true; /* logged; due still, tried again after the interval */
	r = fn(&w->db, state, &next);
	rc = r == ERR_OK ? db_exec(&w->db, "COMMIT;") : SQLITE_ERROR;
	if (rc != SQLITE_OK) {
		log_error("writer: the chore failed (%s; sqlite: %s); it runs again later",
			  err_default_message(r == ERR_OK ? db_err(rc) : r),
			  sqlite3_errmsg(w->db.h));
		if (!sqlite3_get_autocommit(w->db.h))
			db_exec(&w->db, "ROLLBACK;");
		next = CHORE_LATER;
	}
	access_settle(w);
	queue_lock(&w->q);
	w->chore_due = next != CHORE_DONE;
	w->chore_now = next == CHORE_SOON; /* go on after the next batch */
	queue_unlock(&w->q);
	return true;
}

/* ---- thread -------------------------------------------------------------------------- */

/* Waits until jobs are queued, the chore is due, or the queue is closed; false when it is
 * closed and empty (the thread ends). */
static bool wait_for_work(struct writer *w)
{
	int64_t wait;
	bool more;

	queue_lock(&w->q);
	while (!w->q.head && !w->q.closed && (wait = chore_wait_us(w, clock_mono_us())) != 0)
		queue_wait_locked(&w->q, wait);
	more = w->q.head || !w->q.closed;
	queue_unlock(&w->q);
	return more;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	thread_set(THREAD_WRITER);
	while (wait_for_work(w)) {
		writer_run_batch(w);
		writer_run_chore(w, false);
	}
	return NULL;
}

void writer_init(struct writer *w, struct db *db, struct completions *c, struct metrics *m)
{
	memset(w, 0, sizeof(*w));
	queue_init(&w->q, &m->writer_queue_depth);
	w->db = *db;
	w->db.deferring = true;
	memset(db, 0, sizeof(*db));
	w->completions = c;
	w->metrics = m;
	atomic_init(&w->access_epoch, 1);
	sqlite3_preupdate_hook(w->db.h, on_preupdate, w);
}

enum err writer_start(struct writer *w, struct error *e)
{
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		return error_set(e, ERR_INTERNAL, NULL, "cannot start the writer thread");
	w->started = true;
	return ERR_OK;
}

void writer_stop(struct writer *w)
{
	queue_close(&w->q);
	if (w->started) {
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	while (writer_run_batch(w) > 0)
		; /* without a thread (tests, CLI): run what is left */
}

void writer_close(struct writer *w)
{
	if (w->db.h) {
		/* Fold the WAL back into the main file so a stopped server leaves one file. */
		sqlite3_wal_checkpoint_v2(w->db.h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		db_close(&w->db);
	}
	queue_destroy(&w->q);
}
