/* domain/audit: the hash chain and its verification (DESIGN §8). */
#include "testutil.h"

#include "core/crypto.h"
#include "domain/audit.h"

static void append_three(struct db *db)
{
	struct error e;

	assert_int_equal(
		audit_appendf(db, 1, "user.create", "user", 7, &e, "{s:s}", "username", "王晓雨"),
		ERR_OK);
	assert_int_equal(audit_appendf(db, 7, "user.password_change", "user", 7, &e, "{}"), ERR_OK);
	assert_int_equal(audit_append(db, 0, "system.note", "system", 0, NULL, &e), ERR_OK);
}

static void chain_links(void **state)
{
	struct audit_check chk;
	struct db db;
	sqlite3_stmt *st;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";

	(void)state;
	test_db_open(&db);
	append_three(&db);
	assert_int_equal(audit_verify(&db, &chk), ERR_OK);
	assert_true(chk.ok);
	assert_int_equal(chk.entries, 3);
	/* recompute entry by entry: hash = SHA-256(prev_hash ‖ canonical) */
	sqlite3_prepare_v2(db.h,
			   "SELECT id, at, coalesce(user_id,0), action, entity,"
			   " coalesce(entity_id,0), detail, prev_hash, hash FROM audit ORDER BY id",
			   -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *canon = audit_canonical(
			sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
			sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5),
			(const char *)sqlite3_column_text(st, 6));
		char buf[2048], hex[65];
		uint8_t d[32];

		assert_string_equal((const char *)sqlite3_column_text(st, 7), prev);
		snprintf(buf, sizeof(buf), "%s%s", prev, canon);
		crypto_sha256(buf, strlen(buf), d);
		crypto_hex(d, 32, hex);
		assert_string_equal((const char *)sqlite3_column_text(st, 8), hex);
		memcpy(prev, hex, 65);
		free(canon);
	}
	sqlite3_finalize(st);
	db_close(&db);
}

static void canonical_form(void **state)
{
	char *c = audit_canonical(2, "2026-11-27T08:00:00Z", 0, "user.create", "user", 9,
				  "{\"b\":1,\"a\":\"名\"}");

	(void)state;
	assert_string_equal(c,
			    "{\"action\":\"user.create\",\"at\":\"2026-11-27T08:00:00Z\","
			    "\"detail\":{\"a\":\"名\",\"b\":1},\"entity\":\"user\",\"entity_id\":9,"
			    "\"id\":2,\"user_id\":null}");
	free(c);
}

/* Someone drops the trigger and edits a row underneath the server: verify names it. */
static void tamper_detected(void **state)
{
	struct audit_check chk;
	struct db db;

	(void)state;
	test_db_open(&db);
	append_three(&db);
	test_exec(&db, "DROP TRIGGER audit_no_update");
	test_exec(&db, "UPDATE audit SET detail='{\"username\":\"mallory\"}' WHERE id=1");
	assert_int_equal(audit_verify(&db, &chk), ERR_OK);
	assert_false(chk.ok);
	assert_int_equal(chk.first_broken_id, 1);
	assert_int_equal(chk.entries, 3);
	db_close(&db);
}

static void deletion_detected(void **state)
{
	struct audit_check chk;
	struct db db;

	(void)state;
	test_db_open(&db);
	append_three(&db);
	test_exec(&db, "DROP TRIGGER audit_no_delete");
	test_exec(&db, "DELETE FROM audit WHERE id=2");
	assert_int_equal(audit_verify(&db, &chk), ERR_OK);
	assert_false(chk.ok);
	assert_int_equal(chk.first_broken_id, 3);
	db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("audit-1.1 each hash covers the previous hash and the entry", chain_links),
		TEST("audit-1.2 the canonical entry is sorted compact JSON", canonical_form),
		TEST("audit-1.3 an edited row breaks the chain at that row", tamper_detected),
		TEST("audit-1.4 a deleted row breaks the chain after it", deletion_detected),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
