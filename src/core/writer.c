/* Group-committing writer thread; see writer.h. */

/* sqlite3.h declares sqlite3_preupdate_hook() only when this is set; Debian's libsqlite3 is
 * built with it (PRAGMA compile_options lists ENABLE_PREUPDATE_HOOK). */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "core/writer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

struct writer_job {
	struct completion c; /* first: completions_drain() frees the job through it */
	struct writer_job *next;
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
	struct writer_job *j = calloc(1, sizeof(*j));

	if (!j)
		return ERR_NOMEM;
	j->fn = fn;
	j->c.done = done;
	j->c.arg = arg;
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		free(j);
		return ERR_UNAVAILABLE;
	}
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->depth++;
	atomic_fetch_add(&w->pending, 1);
	atomic_store(&w->metrics->writer_queue_depth, (int_fast64_t)w->depth);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return ERR_OK;
}

/* Detaches up to WRITER_MAX_BATCH jobs. Caller holds w->mu. */
static struct writer_job *take_batch(struct writer *w)
{
	struct writer_job *first = w->head, *last = w->head;
	size_t n = 1;

	if (!first)
		return NULL;
	while (last->next && n < WRITER_MAX_BATCH) {
		last = last->next;
		n++;
	}
	w->head = last->next;
	if (!w->head)
		w->tail = NULL;
	last->next = NULL;
	w->depth -= n;
	atomic_store(&w->metrics->writer_queue_depth, (int_fast64_t)w->depth);
	return first;
}

/* Puts jobs that did not fit in the time budget back at the front, in order. */
static void return_jobs(struct writer *w, struct writer_job *rest)
{
	struct writer_job *last = rest;
	size_t n = 1;

	if (!rest)
		return;
	while (last->next) {
		last = last->next;
		n++;
	}
	pthread_mutex_lock(&w->mu);
	last->next = w->head;
	w->head = rest;
	if (!w->tail)
		w->tail = last;
	w->depth += n;
	atomic_store(&w->metrics->writer_queue_depth, (int_fast64_t)w->depth);
	pthread_mutex_unlock(&w->mu);
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
static enum err run_job(struct writer *w, struct writer_job *j, bool *txn_lost)
{
	size_t mark = db_deferred_mark(&w->db);
	enum err r = savepoint_step(&w->db, SQL_SAVEPOINT);

	if (r != ERR_OK)
		return r;
	r = j->fn(&w->db, j->c.arg);
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
static void post_all(struct writer *w, struct writer_job *list)
{
	struct writer_job *last = list;
	int n = 0;

	if (!list)
		return;
	for (struct writer_job *j = list; j; j = j->next) {
		j->c.next = j->next ? &j->next->c : NULL;
		last = j;
		n++;
	}
	completions_post_list(w->completions, &list->c, &last->c);
	atomic_fetch_sub(&w->pending, n);
}

/* Marks every job in [from, to) as failed with `result` (their work was lost). */
static void fail_range(struct writer_job *from, struct writer_job *to, enum err result)
{
	for (; from && from != to; from = from->next)
		from->c.result = result;
}

/* Runs one transaction over `batch`: returns the unrun tail (time budget exhausted, or the
 * transaction was lost and the rest must start over). */
static struct writer_job *run_txn(struct writer *w, struct writer_job *batch, size_t *ran)
{
	int64_t t0 = clock_mono_us();
	struct writer_job *j = batch, *prev = NULL;
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
		j->c.result = run_job(w, j, &lost);
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

size_t writer_run_batch(struct writer *w)
{
	struct writer_job *batch, *rest;
	size_t ran = 0;

	pthread_mutex_lock(&w->mu);
	batch = take_batch(w);
	pthread_mutex_unlock(&w->mu);
	if (!batch)
		return 0;
	rest = run_txn(w, batch, &ran);
	post_all(w, batch);
	return_jobs(w, rest);
	w->chore_due = true;
	return ran;
}

/* ---- the chore ------------------------------------------------------------------------- */

void writer_set_chore(struct writer *w, writer_chore_fn fn, void *state, int64_t every_us)
{
	pthread_mutex_lock(&w->mu); /* the thread reads these after taking it */
	w->chore = fn;
	w->chore_state = state;
	w->chore_every_us = every_us;
	w->chore_due = fn != NULL;
	w->chore_now = fn != NULL;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
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

bool writer_run_chore(struct writer *w, bool force)
{
	int64_t now = clock_mono_us();
	enum chore_next next = CHORE_DONE;
	enum err r;
	int rc;

	if (!w->chore || (!force && chore_wait_us(w, now) != 0))
		return false;
	w->chore_last_us = now;
	w->chore_now = false;
	if (db_exec(&w->db, "BEGIN IMMEDIATE;") != SQLITE_OK)
		return true; /* logged; due still, tried again after the interval */
	r = w->chore(&w->db, w->chore_state, &next);
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
	w->chore_due = next != CHORE_DONE;
	w->chore_now = next == CHORE_SOON; /* go on after the next batch */
	return true;
}

/* ---- thread -------------------------------------------------------------------------- */

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	for (;;) {
		int64_t wait;

		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stopping &&
		       (wait = chore_wait_us(w, clock_mono_us())) != 0) {
			if (wait < 0) {
				pthread_cond_wait(&w->cv, &w->mu);
			} else {
				struct timespec until;

				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += (time_t)(wait / 1000000);
				until.tv_nsec += (long)(wait % 1000000) * 1000;
				if (until.tv_nsec >= 1000000000L) {
					until.tv_sec++;
					until.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&w->cv, &w->mu, &until);
			}
		}
		if (!w->head && w->stopping) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		pthread_mutex_unlock(&w->mu);
		writer_run_batch(w);
		writer_run_chore(w, false);
	}
	return NULL;
}

void writer_init(struct writer *w, struct db *db, struct completions *c, struct metrics *m)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
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
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
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
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}
