/* Shared set-up for the cmocka unit tests: an in-memory database with the real migrations
 * applied, and named test cases (STYLE 10: names like "password-1.2" point at one case). */
#ifndef MINGSHI_TESTUTIL_H
#define MINGSHI_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/db.h"
#include "core/log.h"

/* A test case with a readable name. */
#define TEST(name, fn)                     \
	{                                  \
		name, fn, NULL, NULL, NULL \
	}

/* Opens :memory: read-write and applies every embedded migration. */
static inline void test_db_open(struct db *db)
{
	struct error e;

	log_set_level(LOG_ERROR);
	assert_int_equal(db_open(db, ":memory:", DB_READ_WRITE, &e), ERR_OK);
	assert_int_equal(db_migrate(db, &e), ERR_OK);
}

/* Removes a database file made in a temporary directory, its WAL and shared-memory files,
 * and the directory. */
static inline void test_db_remove(const char *dir, const char *path)
{
	char p[128];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	rmdir(dir);
}

/* Runs one SQL statement that must succeed. */
static inline void test_exec(struct db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "SQL failed: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		fail();
	}
}

/* The first column of the first row of sql, as an integer. */
static inline long long test_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db->h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

#endif
