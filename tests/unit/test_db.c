/* core/db: migrations, pragmas and the schema's own rules (DESIGN §8). */
#include "testutil.h"

#include <unistd.h>

#include "core/embed.h"

static void migrations_recorded(void **state)
{
	struct db db;
	struct error e;

	(void)state;
	test_db_open(&db);
	assert_int_equal(db_schema_version(&db), (int)EMBED_MIGRATIONS_COUNT);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM schema_migrations"),
			 (long long)EMBED_MIGRATIONS_COUNT);
	/* a second run applies nothing */
	assert_int_equal(db_migrate(&db, &e), ERR_OK);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM schema_migrations"),
			 (long long)EMBED_MIGRATIONS_COUNT);
	db_close(&db);
}

/* Every table of ours is STRICT (DESIGN §8). */
static void tables_strict(void **state)
{
	struct db db;

	(void)state;
	test_db_open(&db);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM pragma_table_list"
				       " WHERE schema='main' AND type='table'"
				       " AND name NOT LIKE 'sqlite_%' AND strict=0"),
			 0);
	db_close(&db);
}

static void foreign_keys_on(void **state)
{
	struct db db;

	(void)state;
	test_db_open(&db);
	assert_int_equal(test_int(&db, "PRAGMA foreign_keys"), 1);
	assert_int_not_equal(
		sqlite3_exec(db.h,
			     "INSERT INTO users(username,name,role,university_id,password_hash)"
			     " VALUES('u1','n','teacher',99,'h')",
			     NULL, NULL, NULL),
		SQLITE_OK);
	db_close(&db);
}

static void audit_immutable(void **state)
{
	struct db db;

	(void)state;
	test_db_open(&db);
	test_exec(&db,
		  "INSERT INTO audit(at,action,entity,prev_hash,hash) VALUES('t','a','e','p','h')");
	assert_int_not_equal(sqlite3_exec(db.h, "UPDATE audit SET action='x'", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_string_equal(sqlite3_errmsg(db.h), "audit entries are immutable");
	assert_int_not_equal(sqlite3_exec(db.h, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit WHERE action='a'"), 1);
	db_close(&db);
}

static void checks(void **state)
{
	struct db db;

	(void)state;
	test_db_open(&db);
	/* a university_admin must belong to a university; roles are the five of DESIGN §1 */
	assert_int_not_equal(sqlite3_exec(db.h,
					  "INSERT INTO users(username,name,role,password_hash)"
					  " VALUES('ua','n','university_admin','h')",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db.h,
					  "INSERT INTO users(username,name,role,password_hash)"
					  " VALUES('ua','n','superuser','h')",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	/* usernames are unique regardless of case */
	test_exec(
		&db,
		"INSERT INTO users(username,name,role,password_hash) VALUES('Alice','n','teacher','h')");
	assert_int_not_equal(sqlite3_exec(db.h,
					  "INSERT INTO users(username,name,role,password_hash)"
					  " VALUES('alice','n','teacher','h')",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	db_close(&db);
}

/* A file that is not a database is refused at open, with a clear message. */
static void corrupt_file(void **state)
{
	char dir[] = "/tmp/mingshi-db-XXXXXX", path[64];
	struct error e;
	struct db db;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.db", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 4096; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	assert_int_equal(db_open(&db, path, DB_READ_WRITE, &e), ERR_DB);
	assert_non_null(strstr(e.message, "database is not usable"));
	unlink(path);
	rmdir(dir);
}

static void demo_sql_loads(void **state)
{
	struct db db;

	(void)state;
	test_db_open(&db);
	test_exec(&db, EMBED_DEMO_SQL.data);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM users"), 40);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM studios"), 14);
	assert_int_equal(test_int(&db, "SELECT count(DISTINCT university_id) FROM studios"), 5);
	/* DESIGN §5's fixed demo accounts */
	assert_int_equal(test_int(&db, "SELECT id FROM users WHERE username='master_li'"), 3);
	assert_int_equal(test_int(&db, "SELECT master_id FROM studios WHERE id=1"), 3);
	assert_int_equal(
		test_int(&db, "SELECT count(*) FROM studio_members WHERE studio_id=1"
			      " AND user_id=(SELECT id FROM users WHERE username='teacher_wang')"
			      " AND status='approved'"),
		1);
	/* every studio's master is a master of the studio's university */
	assert_int_equal(test_int(&db,
				  "SELECT count(*) FROM studios s JOIN users u ON u.id=s.master_id"
				  " WHERE u.role<>'master' OR u.university_id<>s.university_id"),
			 0);
	assert_int_equal(
		test_int(&db, "SELECT university_id FROM users WHERE username='zzu_admin'"), 1);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM universities"), 5);
	db_close(&db);
}

/* The SQLite linked in is the one mk/deps.sh builds (docs/ARCHITECTURE.md "Dependencies"),
 * not the system's shared library: its version, and the options that change behaviour. */
static void sqlite_build(void **state)
{
	struct db db;
	int cur = 0, hi = 0;

	(void)state;
	assert_int_equal(sqlite3_libversion_number(), 3046001);
	assert_int_equal(sqlite3_threadsafe(), 2);
	assert_true(sqlite3_compileoption_used("OMIT_LOAD_EXTENSION"));
	assert_true(sqlite3_compileoption_used("ENABLE_PREUPDATE_HOOK"));
	test_db_open(&db);
	/* DQS=0: a double-quoted word is a column, so a misspelt one is an error, not a string */
	assert_int_equal(
		sqlite3_exec(db.h, "SELECT \"no_such_column\" FROM users", NULL, NULL, NULL),
		SQLITE_ERROR);
	assert_string_equal(sqlite3_errmsg(db.h), "no such column: \"no_such_column\" - should this"
						  " be a string literal in single-quotes?");
	/* lookaside on: a query's small allocations come from the connection's own slots */
	assert_int_equal(test_int(&db, "SELECT count(*) FROM schema_migrations"),
			 (long long)EMBED_MIGRATIONS_COUNT);
	assert_int_equal(sqlite3_db_status(db.h, SQLITE_DBSTATUS_LOOKASIDE_HIT, &cur, &hi, 0),
			 SQLITE_OK);
	assert_true(hi > 0);
	db_close(&db);
}

/* db_col_text: a whole value, a value cut to fit (the cap counts the NUL), NULL as "", and a
 * value with a NUL inside ends there as a C string. */
static void col_text(void **state)
{
	struct db db;
	sqlite3_stmt *st;
	char full[16], small[4];

	(void)state;
	test_db_open(&db);
	assert_int_equal(
		sqlite3_prepare_v2(db.h, "SELECT '名师ab', 'abcdef', NULL, 'x' || char(0) || 'y'",
				   -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	memset(full, '#', sizeof(full));
	db_col_text(st, 0, full, sizeof(full));
	assert_string_equal(full, "名师ab");
	memset(small, '#', sizeof(small));
	db_col_text(st, 1, small, sizeof(small));
	assert_string_equal(small, "abc");
	db_col_text(st, 2, full, sizeof(full));
	assert_string_equal(full, "");
	db_col_text(st, 3, full, sizeof(full));
	assert_string_equal(full, "x");
	sqlite3_finalize(st);
	db_close(&db);
}

/* A snapshot reads one state of the database while another connection commits, and the
 * data version tells the two states apart; outside a snapshot there is no version. */
static void snapshot(void **state)
{
	char dir[] = "/tmp/mingshi-db-XXXXXX", path[64];
	struct db w, r;
	struct error e;
	unsigned v1, v2, v3;
	bool ok;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.db", dir);
	log_set_level(LOG_ERROR);
	assert_int_equal(db_open(&w, path, DB_READ_WRITE, &e), ERR_OK);
	assert_int_equal(db_migrate(&w, &e), ERR_OK);
	assert_int_equal(db_open(&r, path, DB_READ_ONLY, &e), ERR_OK);
	(void)db_data_version(&r, &ok);
	assert_false(ok);
	db_snapshot_begin(&r);
	assert_int_equal(test_int(&r, "SELECT count(*) FROM universities"), 0);
	v1 = db_data_version(&r, &ok);
	assert_true(ok);
	test_exec(&w, "INSERT INTO universities (name, code) VALUES ('郑州大学', 'zzu')");
	/* still the state the snapshot began with, and the same version */
	assert_int_equal(test_int(&r, "SELECT count(*) FROM universities"), 0);
	assert_int_equal(db_data_version(&r, &ok), v1);
	db_snapshot_begin(&r); /* nested: a no-op, not an error */
	db_snapshot_end(&r);
	(void)db_data_version(&r, &ok);
	assert_false(ok);
	db_snapshot_end(&r); /* twice: a no-op */
	db_snapshot_begin(&r);
	assert_int_equal(test_int(&r, "SELECT count(*) FROM universities"), 1);
	v2 = db_data_version(&r, &ok);
	assert_true(ok);
	assert_int_not_equal(v2, v1);
	db_snapshot_end(&r);
	/* nothing committed since: the same version again */
	db_snapshot_begin(&r);
	assert_int_equal(test_int(&r, "SELECT count(*) FROM universities"), 1);
	v3 = db_data_version(&r, &ok);
	db_snapshot_end(&r);
	assert_int_equal(v3, v2);
	db_close(&r);
	db_close(&w);
	test_db_remove(dir, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("db-1.1 migrations apply once and are recorded", migrations_recorded),
		TEST("db-1.2 every table is STRICT", tables_strict),
		TEST("db-1.3 foreign keys are enforced", foreign_keys_on),
		TEST("db-1.4 the audit table refuses UPDATE and DELETE", audit_immutable),
		TEST("db-1.5 schema checks: roles, university admins, usernames", checks),
		TEST("db-1.6 a corrupt file is refused at open", corrupt_file),
		TEST("db-1.7 the demo data loads", demo_sql_loads),
		TEST("db-1.8 SQLite is ours: 3.46.1, single-thread connections, no extensions, no DQS",
		     sqlite_build),
		TEST("db-1.9 a text column is copied whole, cut to fit, or empty for NULL",
		     col_text),
		TEST("db-1.10 a snapshot reads one state; the data version tells states apart",
		     snapshot),
	};
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
