/* core/walbuf: the read-write connection's WAL appends are gathered, and every commit is in
 * the file, for other connections, when it returns. */
#include "testutil.h"

#include "core/walbuf.h"

struct pair {
	char dir[64], path[96];
	struct db w; /* read-write: through the VFS */
	struct db r; /* read-only: SQLite's own VFS */
};

static void pair_open(struct pair *p)
{
	sqlite3_vfs *vfs = NULL;
	struct error e;

	log_set_level(LOG_ERROR);
	snprintf(p->dir, sizeof(p->dir), "/tmp/mingshi-walbuf-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->path, sizeof(p->path), "%s/t.db", p->dir);
	assert_int_equal(db_open(&p->w, p->path, DB_READ_WRITE, &e), ERR_OK);
	assert_int_equal(sqlite3_file_control(p->w.h, "main", SQLITE_FCNTL_VFS_POINTER, &vfs),
			 SQLITE_OK);
	assert_string_equal(vfs->zName, WALBUF_VFS);
	test_exec(&p->w, "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, b BLOB)");
	assert_int_equal(db_open(&p->r, p->path, DB_READ_ONLY, &e), ERR_OK);
}

static void pair_close(struct pair *p)
{
	db_close(&p->r);
	db_close(&p->w);
	test_db_remove(p->dir, p->path);
}

/* Commits rows rows of size bytes each; returns the writes the VFS made for them. */
static uint64_t commit_rows(struct pair *p, int rows, int size)
{
	char sql[160];
	uint64_t before = walbuf_writes();

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d)"
		 " INSERT INTO t (n, b) SELECT %d, randomblob(%d) FROM k",
		 rows, size, size);
	test_exec(&p->w, "BEGIN IMMEDIATE");
	test_exec(&p->w, sql);
	test_exec(&p->w, "COMMIT");
	return walbuf_writes() - before;
}

/* What the reader sees: rows and bytes, from its own connection and file handle. */
static void reader_sees(struct pair *p, long long rows, long long bytes)
{
	assert_int_equal(test_int(&p->r, "SELECT count(*) FROM t"), rows);
	assert_int_equal(test_int(&p->r, "SELECT coalesce(sum(length(b)), 0) FROM t"), bytes);
}

/* Transactions of 1 to 180 pages, through checkpoints that restart the WAL at its start. */
static void commits_visible(void **state)
{
	struct pair p;
	long long rows = 0, bytes = 0;

	(void)state;
	pair_open(&p);
	for (int i = 1; i <= 240; i++) {
		int n = i % 40 == 0 ? 150 : 1 + i % 9, size = i % 3 == 0 ? 3000 : 100;

		commit_rows(&p, n, size);
		rows += n;
		bytes += (long long)n * size;
		reader_sees(&p, rows, bytes);
		if (i % 60 == 0)
			test_exec(&p.w, "PRAGMA wal_checkpoint(TRUNCATE)");
	}
	assert_int_equal(test_int(&p.r, "SELECT count(*) FROM pragma_integrity_check"), 1);
	assert_int_equal(
		test_int(&p.r, "SELECT integrity_check = 'ok' FROM pragma_integrity_check"), 1);
	pair_close(&p);
}

/* The commit frame's page is written out even when SQLite does not sync (synchronous=OFF):
 * a reader must never find a committed frame missing from the file. */
static void commits_visible_unsynced(void **state)
{
	struct pair p;

	(void)state;
	pair_open(&p);
	test_exec(&p.w, "PRAGMA synchronous=OFF");
	for (int i = 1; i <= 50; i++) {
		commit_rows(&p, 3, 2000);
		reader_sees(&p, 3LL * i, 6000LL * i);
	}
	pair_close(&p);
}

/* A commit of ~16 pages leaves in one write instead of two per frame. */
static void commits_gathered(void **state)
{
	struct pair p;
	uint64_t writes;

	(void)state;
	pair_open(&p);
	commit_rows(&p, 1, 10); /* the WAL's header and first frames */
	writes = commit_rows(&p, 20, 3000);
	assert_in_range(writes, 1, 2);
	reader_sees(&p, 21, 60010);
	/* bigger than the buffer: several writes, still far fewer than frames */
	writes = commit_rows(&p, 100, 3000);
	assert_in_range(writes, 2, 6);
	reader_sees(&p, 121, 360010);
	pair_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("walbuf-1.1 every commit is in the file when it returns (240, checkpoints)",
		     commits_visible),
		TEST("walbuf-1.2 ... with synchronous=OFF too", commits_visible_unsynced),
		TEST("walbuf-1.3 a commit's frames leave in one write or a few", commits_gathered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
