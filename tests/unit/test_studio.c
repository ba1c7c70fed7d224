/* domain/studio and domain/member: studio rules, membership states and the cap. */
#include "testutil.h"

#include "domain/member.h"
#include "domain/studio.h"
#include "domain/user.h"

/* Two universities; a master of each; a teacher; studio 1 (cap 2) run by master 10. */
static void fixture(struct db *db)
{
	test_db_open(db);
	test_exec(db, "INSERT INTO universities(id,name,code) VALUES(1,'郑州大学','10459'),"
		      "(2,'河南大学','10475')");
	test_exec(db, "INSERT INTO users(id,username,name,role,university_id,password_hash) VALUES"
		      "(10,'ma1','李明华','master',1,'x'),(11,'ma2','刘雅琴','master',2,'x'),"
		      "(12,'ma3','陈建国','master',1,'x'),"
		      "(20,'te1','王晓雨','teacher',1,'x'),(21,'te2','赵一鸣','teacher',1,'x'),"
		      "(22,'te3','钱思雨','teacher',2,'x'),(30,'ex1','赵国强','expert',NULL,'x')");
	test_exec(db,
		  "INSERT INTO studios(id,name,master_id,university_id,discipline,established_on,"
		  "max_members) VALUES(1,'高等数学教学名师工作室',10,1,'数学','2022-09-01',2)");
}

static void new_studio(struct studio *s, const char *name, int64_t master, int64_t uni)
{
	studio_defaults(s);
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->discipline, sizeof(s->discipline), "物理学");
	snprintf(s->established_on, sizeof(s->established_on), "2024-03-01");
	s->master_id = master;
	s->university_id = uni;
}

static void studio_rules(void **state)
{
	struct studio *s = malloc(sizeof(*s));
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	new_studio(s, "物理学名师工作室", 12, 1);
	snprintf(s->cycle, sizeof(s->cycle),
		 "2024\xe2\x80\x93"
		 "2026"); /* en dash accepted */
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_OK);
	assert_string_equal(s->cycle, "2024-2026");
	/* a master of another university, a teacher, a master who already runs one */
	new_studio(s, "化学名师工作室", 11, 1);
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_INVALID);
	assert_string_equal(e.field, "master_id");
	new_studio(s, "化学名师工作室", 20, 1);
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_INVALID);
	assert_string_equal(e.field, "master_id");
	new_studio(s, "化学名师工作室", 10, 1);
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_CONFLICT);
	assert_string_equal(e.field, "master_id");
	/* a taken name, a bad cycle, an unknown university */
	new_studio(s, "物理学名师工作室", 11, 2);
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_CONFLICT);
	assert_string_equal(e.field, "name");
	new_studio(s, "化学名师工作室", 11, 2);
	snprintf(s->cycle, sizeof(s->cycle), "2026-2024");
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_INVALID);
	assert_string_equal(e.field, "cycle");
	new_studio(s, "化学名师工作室", 11, 9);
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_INVALID);
	assert_string_equal(e.field, "university_id");
	assert_int_equal(test_int(&db, "SELECT count(*) FROM studios"), 2);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit WHERE action='studio.create'"),
			 1);
	/* the master of a studio cannot stop being a master */
	assert_int_not_equal(
		sqlite3_exec(db.h, "UPDATE users SET role='teacher' WHERE id=10", NULL, NULL, NULL),
		SQLITE_OK);
	free(s);
	db_close(&db);
}

static void collect(const struct studio *s, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s%lld", n ? "," : "", (long long)s->id);
}

/* q looks in the studio name, the master's name and the discipline; filters combine. */
static void search(void **state)
{
	struct studio *s = malloc(sizeof(*s));
	struct studio_filter f;
	char ids[512];
	struct error e;
	struct db db;
	int64_t total;

	(void)state;
	fixture(&db);
	new_studio(s, "大学物理名师工作室", 12, 1); /* id 2, established 2024-03-01 */
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_OK);
	new_studio(s, "Chinese Literature Studio", 11, 2); /* id 3 */
	snprintf(s->discipline, sizeof(s->discipline), "中国语言文学");
	snprintf(s->established_on, sizeof(s->established_on), "2020-01-01");
	assert_int_equal(studio_insert(&db, s, 1, &e), ERR_OK);
	static const struct {
		const char *q;
		int64_t uni;
		bool by_name;
		const char *want;
		int64_t total;
	} CASES[] = {
		{ "数学", 0, false, "1", 1 },	      /* name */
		{ "陈建国", 0, false, "2", 1 },	      /* master's name */
		{ "语言", 0, false, "3", 1 },	      /* discipline */
		{ "literature", 0, false, "3", 1 },   /* ASCII, any case */
		{ "名师工作室", 0, false, "2,1", 2 }, /* newest first */
		{ NULL, 1, false, "2,1", 2 },	      /* university filter */
		{ NULL, 0, true, "3,2,1", 3 },	      /* by name: code-point order, C < 大 < 高 */
		{ "无此", 0, false, "", 0 },
	};
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.q = CASES[i].q;
		f.university_id = CASES[i].uni;
		f.by_name = CASES[i].by_name;
		f.limit = 50;
		ids[0] = '\0';
		assert_int_equal(studio_list(&db, &f, collect, ids, &total), ERR_OK);
		assert_string_equal(ids, CASES[i].want);
		assert_int_equal(total, CASES[i].total);
	}
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	f.offset = 1;
	ids[0] = '\0';
	assert_int_equal(studio_list(&db, &f, collect, ids, &total), ERR_OK);
	assert_string_equal(ids, "1");
	assert_int_equal(total, 3);
	free(s);
	db_close(&db);
}

static void cap_rule(void **state)
{
	(void)state;
	assert_true(member_has_room(0, 6));
	assert_true(member_has_room(5, 6));
	assert_false(member_has_room(6, 6));
	assert_false(member_has_room(7, 6));
}

/* apply → approve up to the cap → full; reject; leave; remove; apply again. */
static void membership_flow(void **state)
{
	struct member m;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	assert_int_equal(member_apply(&db, 1, 20, "想学习", &m, &e), ERR_OK);
	assert_string_equal(m.status, "pending");
	assert_string_equal(m.title, "");
	assert_string_equal(m.university_name, "郑州大学");
	assert_int_equal(member_apply(&db, 1, 20, "again", &m, &e), ERR_CONFLICT);
	assert_int_equal(member_apply(&db, 1, 21, "", &m, &e), ERR_OK);
	assert_int_equal(member_apply(&db, 1, 22, "", &m, &e), ERR_OK);
	assert_int_equal(member_decide(&db, 1, 20, true, 10, &m, &e), ERR_OK);
	assert_string_equal(m.status, "approved");
	assert_int_equal(member_decide(&db, 1, 21, true, 10, &m, &e), ERR_OK);
	error_clear(&e);
	assert_int_equal(member_decide(&db, 1, 22, true, 10, &m, &e), ERR_CONFLICT);
	assert_string_equal(err_code(&e), "full");
	assert_int_equal(member_decide(&db, 1, 22, false, 10, &m, &e), ERR_OK);
	assert_string_equal(m.status, "rejected");
	assert_int_equal(member_decide(&db, 1, 22, true, 10, &m, &e),
			 ERR_CONFLICT); /* not pending */
	assert_int_equal(member_decide(&db, 1, 30, true, 10, &m, &e), ERR_NOT_FOUND);
	/* a member leaves, which frees a place; the master removes the other */
	assert_int_equal(member_end(&db, 1, 20, true, 20, &m, &e), ERR_OK);
	assert_string_equal(m.status, "left");
	assert_int_equal(member_end(&db, 1, 21, false, 10, &m, &e), ERR_OK);
	assert_string_equal(m.status, "removed");
	assert_int_equal(member_end(&db, 1, 21, false, 10, &m, &e), ERR_NOT_FOUND);
	/* a rejected teacher may apply again */
	assert_int_equal(member_apply(&db, 1, 22, "再次申请", &m, &e), ERR_OK);
	assert_string_equal(m.status, "pending");
	assert_string_equal(m.reason, "再次申请");
	/* 4 applications, 2 approvals, 1 rejection, 1 leave, 1 removal; refusals are not audited */
	assert_int_equal(test_int(&db, "SELECT count(*) FROM audit WHERE entity='studio'"), 9);
	db_close(&db);
}

static void closed_studio(void **state)
{
	struct member m;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	test_exec(&db, "UPDATE studios SET status='suspended' WHERE id=1");
	assert_int_equal(member_apply(&db, 1, 20, "", &m, &e), ERR_CONFLICT);
	assert_int_equal(member_apply(&db, 9, 20, "", &m, &e), ERR_NOT_FOUND);
	db_close(&db);
}

/* max_members cannot drop below the approved members. */
static void shrink(void **state)
{
	struct studio *patch = calloc(1, sizeof(*patch)), *out = malloc(sizeof(*out));
	struct member m;
	struct error e;
	struct db db;

	(void)state;
	fixture(&db);
	member_apply(&db, 1, 20, "", &m, &e);
	member_apply(&db, 1, 21, "", &m, &e);
	member_decide(&db, 1, 20, true, 10, &m, &e);
	member_decide(&db, 1, 21, true, 10, &m, &e);
	patch->max_members = 1;
	assert_int_equal(
		studio_update(&db, 1, patch, fields_bit(STUDIO_FIELDS, "max_members"), 1, out, &e),
		ERR_CONFLICT);
	assert_string_equal(e.field, "max_members");
	patch->max_members = 3;
	snprintf(patch->introduction, sizeof(patch->introduction), "新的简介");
	assert_int_equal(studio_update(&db, 1, patch,
				       fields_bit(STUDIO_FIELDS, "max_members") |
					       fields_bit(STUDIO_FIELDS, "introduction"),
				       1, out, &e),
			 ERR_OK);
	assert_int_equal(out->max_members, 3);
	assert_string_equal(out->introduction, "新的简介");
	/* the audit entry names the changed fields, in the order of the field table */
	assert_int_equal(test_int(&db,
				  "SELECT count(*) FROM audit WHERE action='studio.update'"
				  " AND detail='{\"changed\":[\"introduction\",\"max_members\"]}'"),
			 1);
	free(patch);
	free(out);
	db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("studio-1.1 masters, names, cycles and universities are checked",
		     studio_rules),
		TEST("studio-1.2 search by name, master, discipline; filters, sort, paging",
		     search),
		TEST("member-1.1 the cap: approved < max_members", cap_rule),
		TEST("member-1.2 apply, approve to full, reject, leave, remove, re-apply",
		     membership_flow),
		TEST("member-1.3 only active studios take applications", closed_studio),
		TEST("studio-1.3 max_members never below the approved members", shrink),
	};
	return cmocka_run_group_tests_name("studio", tests, NULL, NULL);
}
