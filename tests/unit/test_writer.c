/* core/writer: group commit with a savepoint per job (DESIGN §4). */
#include "testutil.h"

#include <sched.h>
#include <unistd.h>

#include "core/writer.h"

struct job {
	int value; /* inserted into t(v) */
	bool fail; /* insert, then report failure: must roll back alone */
	enum err done_with;
	bool done;
};

static enum err insert_job(struct db *db, void *arg)
{
	struct job *j = arg;
	char sql[96];

	snprintf(sql, sizeof(sql), "INSERT INTO t(v) VALUES (%d)", j->value);
	if (db_exec(db, sql) != SQLITE_OK)
		return ERR_DB;
	return j->fail ? ERR_CONFLICT : ERR_OK;
}

static void job_done(void *arg, enum err result)
{
	struct job *j = arg;

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

static void cleanup(const char *dir, const char *path)
{
	char p[128];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

/* Five jobs in one batch, the third fails: it alone rolls back, one COMMIT for all. */
static void failing_job_alone(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	struct job jobs[5] = { { 1, false, 0, 0 },
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
	assert_int_equal(writer_run_batch(&w), 5);
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
	cleanup(dir, path);
}

/* With the thread running, every submitted job completes exactly once, in order of commit,
 * and jobs queued while a batch runs share later batches (fewer commits than jobs). */
static void threaded(void **state)
{
	char dir[] = "/tmp/mingshi-w-XXXXXX", path[64];
	enum { N = 2000 };
	static struct job jobs[N];
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
		jobs[i] = (struct job){ i, false, 0, false };
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
	cleanup(dir, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("writer-1.1 a failing job rolls back alone; one COMMIT per batch",
		     failing_job_alone),
		TEST("writer-1.2 the thread completes every job once, batching", threaded),
	};
	return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
