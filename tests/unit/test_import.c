/* domain/import: users.csv and studios.csv rows, checked as the JSON API checks them. */
#include "testutil.h"

#include "domain/import.h"

static struct import_secrets secrets(size_t n)
{
	struct import_secrets s = { n, calloc(n, 17), calloc(n, 128) };

	for (size_t i = 0; i < n; i++) {
		snprintf(s.plain[i], 17, "Pw%014u", (unsigned)i % 100000u);
		snprintf(s.hash[i], 128, "$random-sha256$hash%zu", i);
	}
	return s;
}

static void secrets_free(struct import_secrets *s)
{
	free(s->plain);
	free(s->hash);
}

static void fixture(struct db *db)
{
	test_db_open(db);
	test_exec(db, "INSERT INTO universities(id,name,code) VALUES(1,'郑州大学','10459')");
	test_exec(
		db,
		"INSERT INTO users(id,username,name,role,university_id,password_hash) VALUES"
		"(10,'master_li','李明华','master',1,'x'),(20,'teacher_wang','王晓雨','teacher',1,'x')");
}

/* Runs an import the way the writer does: in a savepoint kept only on ERR_OK. */
static enum err run(struct db *db, const char *csv, bool studios, bool dry,
		    struct import_result *res, struct error *e)
{
	struct csv_table t;
	struct import_secrets s;
	enum err r;

	assert_int_equal(csv_read(csv, strlen(csv), &t, e), ERR_OK);
	s = secrets(t.nrows - 1);
	import_result_init(res);
	test_exec(db, "SAVEPOINT job");
	r = studios ? import_studios(db, &t, &s, 1, dry, res, e)
		    : import_users(db, &t, &s, 1, dry, res, e);
	if (r != ERR_OK)
		test_exec(db, "ROLLBACK TO job");
	test_exec(db, "RELEASE job");
	secrets_free(&s);
	csv_table_free(&t);
	return r;
}

static const char *row_field(struct import_result *res, size_t i, long long *row)
{
	json_t *err = json_array_get(res->errors, i);

	*row = json_integer_value(json_object_get(err, "row"));
	return json_string_value(json_object_get(err, "field"));
}

static void users_ok(void **state)
{
	const char *csv = "username,name,role,university_code,title,phone,email\n"
			  "new_a,\"张, 三\",teacher,10459,讲师,138-0000-0001,a@example.edu.cn\n"
			  "new_b,李四,expert,,教授,,\n";
	struct import_result res;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	assert_int_equal(run(&db, csv, false, false, &res, &e), ERR_OK);
	assert_int_equal(res.rows, 2);
	assert_int_equal(res.users, 2);
	assert_int_equal(json_array_size(res.accounts), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res.accounts, 0),
							      "initial_password")),
			    "Pw00000000000000");
	assert_int_equal(test_int(&db, "SELECT count(*) FROM users WHERE must_change_password=1"),
			 2);
	assert_int_equal(test_int(&db, "SELECT university_id FROM users WHERE username='new_a'"),
			 1);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit WHERE action='user.create'"), 2);
	import_result_free(&res);
	db_close(&db);
}

static void users_errors(void **state)
{
	const char *csv = "username,name,role,university_code\n"
			  "ok_one,好,teacher,10459\n"
			  "teacher_wang,重名,teacher,10459\n" /* row 3: taken */
			  "bad_role,x,wizard,\n"	      /* row 4 */
			  "Bad Name,x,teacher,\n"	      /* row 5 */
			  "no_uni,x,teacher,99999\n"	      /* row 6 */
			  "uadmin,x,university_admin,\n"      /* row 7: needs a university */
			  "ok_one,又一个,teacher,\n";	      /* row 8: taken by row 2 */
	static const struct {
		long long row;
		const char *field;
	} WANT[] = { { 3, "username" },	       { 4, "role" },
		     { 5, "username" },	       { 6, "university_code" },
		     { 7, "university_code" }, { 8, "username" } };
	struct import_result res;
	struct error e;
	struct db db;
	long long row;

	(void)state;
	fixture(&db);
	assert_int_equal(run(&db, csv, false, false, &res, &e), ERR_INVALID);
	assert_int_equal(json_array_size(res.errors), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(row_field(&res, i, &row), WANT[i].field);
		assert_int_equal(row, WANT[i].row);
	}
	/* all or nothing: the good row did not stay */
	assert_int_equal(test_int(&db, "SELECT count(*) FROM users"), 2);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit"), 0);
	import_result_free(&res);
	db_close(&db);
}

static void dry_run_writes_nothing(void **state)
{
	const char *csv = "username,name,role\nnew_a,甲,teacher\nnew_b,乙,teacher\n";
	struct import_result res;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	assert_int_equal(run(&db, csv, false, true, &res, &e), ERR_INVALID);
	assert_int_equal(json_array_size(res.errors), 0);
	assert_int_equal(res.users, 2); /* what it would create */
	assert_int_equal(test_int(&db, "SELECT count(*) FROM users"), 2);
	import_result_free(&res);
	db_close(&db);
}

static void columns(void **state)
{
	struct import_result res;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	error_clear(&e);
	assert_int_equal(
		run(&db, "username,name,role,shoe_size\nx1,y,teacher,42\n", false, false, &res, &e),
		ERR_INVALID);
	assert_string_equal(e.field, "csv");
	assert_string_equal(e.message, "unknown column 'shoe_size'");
	import_result_free(&res);
	error_clear(&e);
	assert_int_equal(run(&db, "username,name\nx1,y\n", false, false, &res, &e), ERR_INVALID);
	assert_string_equal(e.message, "missing column 'role'");
	import_result_free(&res);
	db_close(&db);
}

/* A new university and a new master come with the studio; an existing master is reused. */
static void studios(void **state)
{
	const char *csv =
		"name,discipline,level,established_on,cycle,max_members,university_code,"
		"university_name,master_username,master_name,master_title\n"
		"高等数学教学名师工作室,数学,national,2022-09-01,2024-2026,6,10459,,master_li,,\n"
		"中国古代文学名师工作室,中国语言文学,,2021-10-10,,,10475,河南大学,master_liu,刘雅琴,教授\n";
	struct import_result res;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	assert_int_equal(run(&db, csv, true, false, &res, &e), ERR_OK);
	assert_int_equal(res.studios, 2);
	assert_int_equal(res.universities, 1);
	assert_int_equal(res.users, 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(res.accounts, 0), "username")),
		"master_liu");
	assert_int_equal(test_int(&db, "SELECT max_members FROM studios WHERE master_id=10"), 6);
	assert_int_equal(test_int(&db,
				  "SELECT count(*) FROM studios s JOIN users u ON u.id=s.master_id"
				  " JOIN universities v ON v.id=s.university_id"
				  " WHERE u.username='master_liu' AND v.code='10475'"
				  " AND s.level='provincial' AND s.max_members=6"),
			 1);
	import_result_free(&res);
	db_close(&db);
}

static void studios_errors(void **state)
{
	const char *csv =
		"name,discipline,established_on,max_members,university_code,university_name,"
		"master_username,master_name\n"
		"甲工作室,数学,2022-09-01,6,10459,河南大学,master_li,\n" /* 2: code is 郑州大学 */
		"乙工作室,数学,2022-09-01,6,10475,,master_x,某人\n"	 /* 3: new uni, no name */
		"丙工作室,数学,2022-09-01,6,10459,,teacher_wang,\n"	 /* 4: not a master */
		"丁工作室,数学,2022-02-30,6,10459,,master_li,\n"	 /* 5: no such date */
		"戊工作室,数学,2022-09-01,many,10459,,master_li,\n"	 /* 6: not a number */
		"己工作室,数学,2022-09-01,6,10459,,master_new,\n"; /* 7: new master, no name */
	static const char *const FIELDS[] = { "university_name", "university_name",
					      "master_username", "established_on",
					      "max_members",	 "master_name" };
	struct import_result res;
	struct error e;
	struct db db;
	long long row;

	(void)state;
	fixture(&db);
	assert_int_equal(run(&db, csv, true, false, &res, &e), ERR_INVALID);
	assert_int_equal(json_array_size(res.errors), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(row_field(&res, i, &row), FIELDS[i]);
		assert_int_equal(row, (long long)i + 2);
	}
	assert_int_equal(test_int(&db, "SELECT count(*) FROM studios"), 0);
	import_result_free(&res);
	db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("import-1.1 users: accounts with initial passwords, audited", users_ok),
		TEST("import-1.2 users: every bad row reported; nothing kept", users_errors),
		TEST("import-1.3 a dry run reports and writes nothing", dry_run_writes_nothing),
		TEST("import-1.4 unknown and missing columns", columns),
		TEST("import-2.1 studios with a new university and a new master", studios),
		TEST("import-2.2 studios: every bad row reported; nothing kept", studios_errors),
	};
	return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
