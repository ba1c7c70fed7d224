/* core/writer: group commit with a savepoint per job (DESIGN §4). */
#include "testutil.h"

#include <sched.h>
#include <unistd.h>

#include "core/writer.h"

/* ---- the writer's clock -------------------------------------------------------------- */

/* This binary is linked with -Wl,--wrap=clock_mono_us (Makefile): the writer reads the real
 * monotonic clock plus clock_ahead_us, which a case moves on instead of sleeping, and the
 * clock stands still while a case runs a batch it asserts on. The writer ends a batch once
 * WRITER_BATCH_US of that clock has passed, which a process descheduled on a busy machine
 * reached after the first job, and a case sleeping past an interval may have slept longer. */
int64_t __real_clock_mono_us(void);
int64_t __wrap_clock_mono_us(void);

static atomic_llong clock_ahead_us, clock_stopped_at;
static atomic_bool clock_stopped;

int64_t __wrap_clock_mono_us(void)
{
	if (atomic_load(&clock_stopped))
		return atomic_load(&clock_stopped_at);
	return __real_clock_mono_us() + atomic_load(&clock_ahead_us);
}

static void clock_stop(void)
{
	atomic_store(&clock_stopped_at, __wrap_clock_mono_us());
	atomic_store(&clock_stopped, true);
}

/* While stopped: as if us microseconds had passed. */
static void clock_pass(int64_t us)
{
	atomic_fetch_add(&clock_stopped_at, us);
}

/* Runs on from where it stood, never back. */
static void clock_run(void)
{
	int64_t behind = atomic_load(&clock_stopped_at) - __real_clock_mono_us() -
			 atomic_load(&clock_ahead_us);

	if (behind > 0)
		atomic_fetch_add(&clock_ahead_us, behind);
	atomic_store(&clock_stopped, false);
}

/* writer_run_batch() with the clock stopped: the batch is every job waiting (up to
 * WRITER_MAX_BATCH), however long it takes. */
static size_t run_batch(struct writer *w)
{
	size_t ran;

	clock_stop();
	ran = writer_run_batch(w);
	clock_run();
	return ran;
}

/* ---- jobs ------------------------------------------------------------------------------ */

struct tjob {
	int value; /* inserted into t(v) */
	bool fail; /* insert, then report failure: must roll back alone */
	enum err done_with;
	bool done;
};

static enum err insert_job(struct db *db, void *arg)
{
	struct tjob *j = arg;
	char sql[96];

	snprintf(sql, sizeof(sql), "INSERT INTO t(v) VALUES (%d)", j->value);
	if (db_exec(db, sql) != SQLITE_OK)
		return ERR_DB;
	return j->fail ? ERR_CONFLICT : ERR_OK;
}

static void job_done(void *arg, enum err result)
{
	struct tjob *j = arg;

	j->done = true;
	j->done_with = result;
}

static void open_file_db(struct db *db, char *dir, char *path, size_t cap)
{
	struct error e;

	assert_non_null(mkdtemp(dir));
	snprintf(path, cap, "%s/w.db", dir);
	assert_int_equal(db_open(db, path, DB_READ_WRITE, &e), ERR_OK);
	test_exec(db, "CREATE TABLE t(v INTEGER NOT NULL) STRICT");
}

/* Five jobs in one batch, the third fails: it alone rolls back, one COMMIT for all. */
static void failing_job_alone(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct tjob jobs[5] = { { 1, false, 0, 0 },
				{ 2, false, 0, 0 },
				{ 3, true, 0, 0 },
				{ 4, false, 0, 0 },
				{ 5, false, 0, 0 } };
	struct completions c;
	struct metrics m;
	struct writer w;
	struct db db, check;
	struct error e;

	(void)state;
	open_file_db(&db, dir, path, sizeof(path));
	metrics_init(&m);
	completions_init(&c);
	writer_init(&w, &db, &c, &m);
	for (int i = 0; i < 5; i++)
		assert_int_equal(writer_submit(&w, insert_job, job_done, &jobs[i]), ERR_OK);
	assert_int_equal(run_batch(&w), 5);
	assert_int_equal(completions_drain(&c), 5);
	for (int i = 0; i < 5; i++) {
		assert_true(jobs[i].done);
		assert_int_equal(jobs[i].done_with, i == 2 ? ERR_CONFLICT : ERR_OK);
	}
	assert_int_equal(atomic_load(&m.commit_count), 1);
	assert_int_equal(atomic_load(&m.batch_jobs_sum), 5);
	/* what another connection sees after the commit */
	assert_int_equal(db_open(&check, path, DB_READ_ONLY, &e), ERR_OK);
	{
		sqlite3_stmt *st;

		sqlite3_prepare_v2(check.h,
				   "SELECT group_concat(v, ',') FROM (SELECT v FROM t ORDER BY v)",
				   -1, &st, NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "1,2,4,5");
		sqlite3_finalize(st);
	}
	db_close(&check);
	writer_stop(&w);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

static int wakes;

static void count_wake(void *arg)
{
	(void)arg;
	wakes++;
}

static int done_order[8], ndone;

static void note_order(void *arg, enum err result)
{
	assert_int_equal(result, ERR_OK);
	done_order[ndone++] = ((struct tjob *)arg)->value;
}

/* A batch's completions come back as one post with one wake-up, in order; a post to a queue
 * the service thread has not drained yet owes no wake-up of its own. */
static void one_wake_per_batch(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct tjob jobs[7] = { { 1, false, 0, 0 }, { 2, false, 0, 0 }, { 3, false, 0, 0 },
				{ 4, false, 0, 0 }, { 5, false, 0, 0 }, { 6, false, 0, 0 },
				{ 7, false, 0, 0 } };
	struct completions c;
	struct metrics m;
	struct writer w;
	struct db db;

	(void)state;
	open_file_db(&db, dir, path, sizeof(path));
	metrics_init(&m);
	completions_init(&c);
	wakes = ndone = 0;
	completions_set_wake(&c, count_wake, NULL);
	assert_int_equal(wakes, 0); /* nothing queued, nothing owed */
	writer_init(&w, &db, &c, &m);
	for (int i = 0; i < 5; i++)
		assert_int_equal(writer_submit(&w, insert_job, note_order, &jobs[i]), ERR_OK);
	assert_int_equal(run_batch(&w), 5);
	assert_int_equal(wakes, 1);
	assert_int_equal(atomic_load(&w.pending), 0);
	assert_int_equal(writer_submit(&w, insert_job, note_order, &jobs[5]), ERR_OK);
	assert_int_equal(run_batch(&w), 1);
	assert_int_equal(wakes, 1); /* not drained yet: the first wake-up covers it */
	assert_int_equal(completions_drain(&c), 6);
	assert_int_equal(writer_submit(&w, insert_job, note_order, &jobs[6]), ERR_OK);
	assert_int_equal(run_batch(&w), 1);
	assert_int_equal(wakes, 2);
	assert_int_equal(completions_drain(&c), 1);
	assert_int_equal(ndone, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(done_order[i], i + 1);
	writer_stop(&w);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* Posts made before the service thread set its wake-up are owed one when it does. */
static void wake_owed_to_earlier_posts(void **state)
{
	struct completions c;

	(void)state;
	completions_init(&c);
	wakes = 0;
	for (int i = 0; i < 2; i++)
		completions_post(&c, calloc(1, sizeof(struct job)));
	completions_set_wake(&c, count_wake, NULL);
	assert_int_equal(wakes, 1);
	completions_post(&c, calloc(1, sizeof(struct job)));
	assert_int_equal(wakes, 1);
	assert_int_equal(completions_drain(&c), 3);
	completions_post(&c, calloc(1, sizeof(struct job)));
	assert_int_equal(wakes, 2);
	completions_destroy(&c);
}

/* With the thread running, every submitted job completes exactly once, in order of commit,
 * and jobs queued while a batch runs share later batches (fewer commits than jobs). */
static void threaded(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	enum { N = 2000 };
	static struct tjob jobs[N];
	struct completions c;
	struct metrics m;
	struct writer w;
	struct db db;
	struct error e;
	size_t seen = 0;

	(void)state;
	open_file_db(&db, dir, path, sizeof(path));
	metrics_init(&m);
	completions_init(&c);
	writer_init(&w, &db, &c, &m);
	assert_int_equal(writer_start(&w, &e), ERR_OK);
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct tjob){ i, false, 0, false };
		assert_int_equal(writer_submit(&w, insert_job, job_done, &jobs[i]), ERR_OK);
	}
	while (seen < N) {
		seen += completions_drain(&c);
		sched_yield();
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(jobs[i].done_with, ERR_OK);
	assert_true(atomic_load(&m.commit_count) < N);
	assert_int_equal(atomic_load(&m.batch_jobs_sum), N);
	writer_stop(&w);
	assert_int_equal(writer_submit(&w, insert_job, job_done, &jobs[0]), ERR_UNAVAILABLE);
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM t"), N);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* ---- db_defer: work a job puts off to the end of the batch ----------------------------- */

struct deferred_row {
	int value; /* inserted into d(v) at the end of the batch; negative: fail */
};

static enum err deferred_insert(struct db *db, void *arg)
{
	const struct deferred_row *r = arg;
	char sql[96];

	if (r->value < 0)
		return ERR_DB;
	/* the batch's transaction is open, and no savepoint of a job is */
	assert_int_equal(sqlite3_get_autocommit(db->h), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO d(v) VALUES (%d)", r->value);
	return db_exec(db, sql) == SQLITE_OK ? ERR_OK : ERR_DB;
}

/* Inserts j->value into t now and defers j->value * 10 (or a failure) into d. */
static enum err deferring_job(struct db *db, void *arg)
{
	struct tjob *j = arg;
	struct deferred_row *r = malloc(sizeof(*r));
	char sql[96];

	assert_non_null(r);
	r->value = j->value < 0 ? -1 : j->value * 10;
	snprintf(sql, sizeof(sql), "INSERT INTO t(v) VALUES (%d)", j->value);
	assert_int_equal(db_exec(db, sql), SQLITE_OK);
	assert_int_equal(db_defer(db, deferred_insert, r), ERR_OK);
	return j->fail ? ERR_CONFLICT : ERR_OK;
}

static char *concat(struct db *db, const char *table)
{
	static char out[128];
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT coalesce(group_concat(v, ','), '') FROM %s", table);
	assert_int_equal(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void run_deferring(struct tjob *jobs, int n, const char *want_t, const char *want_d)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct completions c;
	struct metrics m;
	struct writer w;
	struct db db;

	open_file_db(&db, dir, path, sizeof(path));
	test_exec(&db, "CREATE TABLE d(v INTEGER NOT NULL) STRICT");
	metrics_init(&m);
	completions_init(&c);
	writer_init(&w, &db, &c, &m);
	for (int i = 0; i < n; i++)
		assert_int_equal(writer_submit(&w, deferring_job, job_done, &jobs[i]), ERR_OK);
	assert_int_equal(run_batch(&w), (size_t)n);
	assert_int_equal(completions_drain(&c), (size_t)n);
	assert_string_equal(concat(&w.db, "t"), want_t);
	assert_string_equal(concat(&w.db, "d"), want_d);
	assert_int_equal(w.db.ndeferred, 0);
	writer_stop(&w);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* Deferred work runs in order after the jobs, in the same transaction; a job that rolls back
 * takes its deferred work with it. */
static void deferred_in_order(void **state)
{
	struct tjob jobs[4] = {
		{ 1, false, 0, 0 }, { 2, true, 0, 0 }, { 3, false, 0, 0 }, { 4, false, 0, 0 }
	};

	(void)state;
	run_deferring(jobs, 4, "1,3,4", "10,30,40");
	assert_int_equal(jobs[0].done_with, ERR_OK);
	assert_int_equal(jobs[1].done_with, ERR_CONFLICT);
	assert_int_equal(jobs[3].done_with, ERR_OK);
}

/* If deferred work fails, no job of the batch commits and every one hears so. */
static void deferred_failure_fails_batch(void **state)
{
	struct tjob jobs[3] = { { 1, false, 0, 0 }, { -5, false, 0, 0 }, { 3, false, 0, 0 } };

	(void)state;
	run_deferring(jobs, 3, "", "");
	for (int i = 0; i < 3; i++)
		assert_int_equal(jobs[i].done_with, ERR_DB);
}

/* Off the writer, db_defer runs the work at once. */
static void deferred_runs_now_elsewhere(void **state)
{
	struct db db;
	struct deferred_row *r = malloc(sizeof(*r));

	(void)state;
	test_db_open(&db);
	test_exec(&db, "CREATE TABLE d(v INTEGER NOT NULL) STRICT; BEGIN");
	r->value = 7;
	assert_int_equal(db_defer(&db, deferred_insert, r), ERR_OK);
	test_exec(&db, "COMMIT");
	assert_string_equal(concat(&db, "d"), "7");
	db_close(&db);
}

/* Runs `sql` as one writer job in its own batch and commits it. */
struct sql_job {
	const char *sql;
	bool fail;
};

static enum err sql_run(struct db *db, void *arg)
{
	struct sql_job *j = arg;

	if (db_exec(db, j->sql) != SQLITE_OK)
		return ERR_DB;
	return j->fail ? ERR_CONFLICT : ERR_OK;
}

static uint64_t epoch_after(struct writer *w, struct completions *c, const char *sql, bool fail)
{
	struct sql_job j = { sql, fail };

	assert_int_equal(writer_submit(w, sql_run, NULL, &j), ERR_OK);
	assert_int_equal(run_batch(w), 1);
	assert_int_equal(completions_drain(c), 1);
	return atomic_load(&w->access_epoch);
}

/* The access epoch moves after a transaction that wrote a table access decisions read (rowid
 * or WITHOUT ROWID, even when rolled back, even a table created later), and stays for the
 * discussion's own tables and FTS5's shadow tables. */
static void access_epoch_moves(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct completions c;
	struct metrics m;
	struct writer w;
	struct db db;
	uint64_t e0;

	(void)state;
	open_file_db(&db, dir, path, sizeof(path));
	test_exec(
		&db,
		"CREATE TABLE users(id INTEGER PRIMARY KEY, disabled INTEGER) STRICT;"
		"CREATE TABLE room_mutes(room TEXT, user_id INTEGER,"
		" PRIMARY KEY (room, user_id)) STRICT, WITHOUT ROWID;"
		"CREATE TABLE messages(id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT) STRICT;"
		"CREATE TABLE message_votes(message_id INTEGER, user_id INTEGER,"
		" PRIMARY KEY (message_id, user_id)) STRICT, WITHOUT ROWID;"
		"CREATE TABLE presence(id INTEGER PRIMARY KEY, room TEXT) STRICT;"
		"CREATE TABLE search_progress(id INTEGER PRIMARY KEY, indexed_upto INTEGER) STRICT;"
		"CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages',"
		" content_rowid='id', tokenize='trigram');"
		"INSERT INTO users VALUES (1, 0)");
	metrics_init(&m);
	completions_init(&c);
	writer_init(&w, &db, &c, &m);
	e0 = atomic_load(&w.access_epoch);
	assert_int_equal(e0, 1);
	/* a chat message with its search index and its mark, a vote, a presence interval: no
	 * move */
	assert_int_equal(
		epoch_after(&w, &c,
			    "INSERT INTO messages(text) VALUES ('课程思政设计');"
			    "INSERT INTO messages_fts(rowid, text) VALUES (1, '课程思政设计');"
			    "INSERT INTO search_progress VALUES (1, 1);"
			    "INSERT INTO message_votes VALUES (1, 1);"
			    "INSERT INTO presence(room) VALUES ('studio:1')",
			    false),
		e0);
	/* a user disabled: moves */
	assert_int_equal(epoch_after(&w, &c, "UPDATE users SET disabled = 1 WHERE id = 1", false),
			 e0 + 1);
	/* a mute (WITHOUT ROWID) in a job that then fails and rolls back: moves all the same */
	assert_int_equal(epoch_after(&w, &c, "INSERT INTO room_mutes VALUES ('studio:1', 1)", true),
			 e0 + 2);
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM room_mutes"), 0);
	/* a table nobody has told the writer about yet counts as access data */
	test_exec(&w.db, "CREATE TABLE later(v INTEGER) STRICT");
	assert_int_equal(epoch_after(&w, &c, "INSERT INTO later VALUES (1)", false), e0 + 3);
	/* one move per transaction, however many rows */
	assert_int_equal(epoch_after(&w, &c, "INSERT INTO later VALUES (2), (3), (4)", false),
			 e0 + 4);
	writer_stop(&w);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* ---- the chore ------------------------------------------------------------------------- */

/* copy_chore's runs and the rows it inserted (kept or rolled back): counted on the writer
 * thread, read by the test */
static atomic_int chore_runs, chore_copied;
static bool chore_fails;
static bool chore_later; /* copy_chore has work that can wait when nothing is left to copy */

/* Copies up to two rows of t not yet in copied; fails (after writing) when told to. */
static enum err copy_chore(struct db *db, void *state, enum chore_next *next)
{
	assert_ptr_equal(state, &chore_runs); /* the state writer_set_chore() was given */
	chore_runs++;
	if (db_exec(db, "INSERT INTO copied SELECT v FROM t"
			" WHERE v > (SELECT coalesce(max(v), 0) FROM copied) ORDER BY v LIMIT 2") !=
	    SQLITE_OK)
		return ERR_DB;
	chore_copied += sqlite3_changes(db->h);
	if (chore_fails)
		return ERR_DB;
	if (test_int(db, "SELECT count(*) FROM t WHERE v > (SELECT max(v) FROM copied)") > 0)
		*next = CHORE_SOON;
	else
		*next = chore_later ? CHORE_LATER : CHORE_DONE;
	return ERR_OK;
}

/* A writer on a new file database with table copied, and copy_chore every every_us. */
static void chore_writer(struct writer *w, struct completions *c, struct metrics *m, char *dir,
			 char *path, size_t cap, int64_t every_us)
{
	struct db db;

	chore_runs = chore_copied = 0;
	chore_fails = false;
	chore_later = false;
	open_file_db(&db, dir, path, cap);
	test_exec(&db, "CREATE TABLE copied(v INTEGER NOT NULL) STRICT");
	metrics_init(m);
	completions_init(c);
	writer_init(w, &db, c, m);
	writer_set_chore(w, copy_chore, &chore_runs, every_us);
}

/* The chore runs in a transaction of its own: due at start, not again before its interval
 * unless it left work, due after any batch; a failing one rolls back and is due again. */
static void chore_runs_apart(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct tjob jobs[3] = { { 1, false, 0, 0 }, { 2, false, 0, 0 }, { 3, false, 0, 0 } };
	struct completions c;
	struct metrics m;
	struct writer w;

	(void)state;
	chore_writer(&w, &c, &m, dir, path, sizeof(path), 3600 * 1000000LL);
	assert_true(writer_run_chore(&w, false)); /* due at start: nothing to copy */
	assert_false(writer_run_chore(&w, false));
	for (int i = 0; i < 3; i++)
		assert_int_equal(writer_submit(&w, insert_job, job_done, &jobs[i]), ERR_OK);
	assert_int_equal(run_batch(&w), 3);
	completions_drain(&c);
	assert_false(writer_run_chore(&w, false)); /* due, but its hour has not passed */
	assert_true(writer_run_chore(&w, true));
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM copied"), 2);
	assert_true(writer_run_chore(&w, false)); /* it left work: at once */
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM copied"), 3);
	assert_false(writer_run_chore(&w, false)); /* done, and not due */
	/* a failure rolls back what the chore wrote, and it is due again */
	jobs[0].value = 4;
	writer_submit(&w, insert_job, job_done, &jobs[0]);
	run_batch(&w);
	completions_drain(&c);
	chore_fails = true;
	assert_true(writer_run_chore(&w, true));
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM copied"), 3);
	assert_true(sqlite3_get_autocommit(w.db.h));
	chore_fails = false;
	assert_true(writer_run_chore(&w, true));
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM copied"), 4);
	assert_int_equal(chore_runs, 5);
	writer_stop(&w);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* Work that can wait (CHORE_LATER): the chore is due again once its interval has passed,
 * with no batch to make it due; done (CHORE_DONE), it waits for a batch. */
static void chore_later_waits_interval(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct completions c;
	struct metrics m;
	struct writer w;

	(void)state;
	chore_writer(&w, &c, &m, dir, path, sizeof(path), 50 * 1000); /* 50 ms */
	chore_later = true;
	clock_stop();
	assert_true(writer_run_chore(&w, false));  /* due at start */
	assert_false(writer_run_chore(&w, false)); /* later: not before its interval */
	clock_pass(60 * 1000);
	assert_true(writer_run_chore(&w, false)); /* and then without any batch */
	chore_later = false;
	clock_pass(60 * 1000);
	assert_true(writer_run_chore(&w, false)); /* still due from the run before */
	clock_pass(60 * 1000);
	assert_false(writer_run_chore(&w, false)); /* done: waits for a batch */
	clock_run();
	assert_int_equal(chore_runs, 3);
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

/* With the thread, a due chore runs once its interval has passed, with no job to wake it. */
static void chore_runs_idle(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct tjob j = { 7, false, 0, 0 };
	struct completions c;
	struct metrics m;
	struct writer w;
	struct error e;

	(void)state;
	chore_writer(&w, &c, &m, dir, path, sizeof(path), 50 * 1000); /* 50 ms */
	assert_int_equal(writer_start(&w, &e), ERR_OK);
	assert_int_equal(writer_submit(&w, insert_job, job_done, &j), ERR_OK);
	/* however busy the machine: up to 30 s for the job, then for a chore run to copy it */
	for (int i = 0; i < 6000 && !j.done; i++) {
		completions_drain(&c);
		usleep(5000);
	}
	assert_true(j.done);
	for (int i = 0; i < 6000 && atomic_load(&chore_copied) < 1; i++)
		usleep(5000);
	usleep(300 * 1000); /* six intervals: a busy loop would run it again and again */
	writer_stop(&w);
	completions_drain(&c);
	assert_int_equal(test_int(&w.db, "SELECT count(*) FROM copied"), 1);
	assert_true(chore_runs >= 1);
	assert_true(chore_runs <= 3); /* not a busy loop */
	writer_close(&w);
	completions_destroy(&c);
	test_db_remove(dir, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("writer-1.1 a failing job rolls back alone; one COMMIT per batch",
		     failing_job_alone),
		TEST("writer-1.2 the thread completes every job once, batching", threaded),
		TEST("writer-1.3 deferred work runs after the jobs, in order, minus rolled-back jobs'",
		     deferred_in_order),
		TEST("writer-1.4 failing deferred work fails the whole batch, nothing committed",
		     deferred_failure_fails_batch),
		TEST("writer-1.5 off the writer, deferred work runs at once",
		     deferred_runs_now_elsewhere),
		TEST("writer-1.6 a batch's completions come back in order with one wake-up",
		     one_wake_per_batch),
		TEST("writer-1.7 posts made before the wake-up is set are owed one",
		     wake_owed_to_earlier_posts),
		TEST("writer-1.8 the access epoch moves after writes of access data only",
		     access_epoch_moves),
		TEST("writer-1.9 the chore: its own transaction, its interval, work left, failure",
		     chore_runs_apart),
		TEST("writer-1.10 with the thread, a due chore runs when idle", chore_runs_idle),
		TEST("writer-1.11 a chore whose work can wait runs again after its interval",
		     chore_later_waits_interval),
	};
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
