/* domain/discussion and domain/room: messages, history, Q&A, moderation, search, access. */
#include "testutil.h"
#include "core/embed.h"

#include "domain/discussion.h"
#include "domain/room.h"

static void fixture(struct db *db)
{
	test_db_open(db);
	test_exec(db, "INSERT INTO universities(id,name,code) VALUES(1,'郑州大学','10459')");
	test_exec(
		db,
		"INSERT INTO users(id,username,name,role,university_id,password_hash) VALUES"
		"(1,'admin','管理员','admin',NULL,'x'),(3,'master_li','李明华','master',1,'x'),"
		"(4,'teacher_wang','王晓雨','teacher',1,'x'),(5,'expert_zhao','赵国强','expert',NULL,'x'),"
		"(6,'teacher_out','外人','teacher',1,'x'),(7,'zzu_admin','郑大','university_admin',1,'x')");
	test_exec(db,
		  "INSERT INTO studios(id,name,master_id,university_id,discipline,established_on)"
		  " VALUES(1,'高等数学教学名师工作室',3,1,'数学','2022-09-01')");
	test_exec(db, "INSERT INTO studio_members(studio_id,user_id,status,applied_at)"
		      " VALUES(1,4,'approved','2024-01-01T00:00:00Z')");
}

static struct message *msg(const char *client_id, const char *kind, const char *text, int64_t user)
{
	static struct message m;

	memset(&m, 0, sizeof(m));
	snprintf(m.room, sizeof(m.room), "studio:1");
	snprintf(m.client_id, sizeof(m.client_id), "%s", client_id);
	snprintf(m.kind, sizeof(m.kind), "%s", kind);
	snprintf(m.text, sizeof(m.text), "%s", text);
	m.user_id = user;
	return &m;
}

static void post_once(void **state)
{
	struct message *m;
	struct error e;
	struct db db;
	bool dup;
	int64_t first;

	(void)state;
	fixture(&db);
	m = msg("c-1", "chat", "大家好", 4);
	assert_int_equal(discussion_post(&db, m, &dup, &e), ERR_OK);
	assert_false(dup);
	first = m->id;
	assert_string_equal(m->user_name, "王晓雨");
	assert_string_equal(m->user_role, "teacher");
	/* the same client_id again: stored once, the first message returned */
	m = msg("c-1", "chat", "重发的内容", 4);
	assert_int_equal(discussion_post(&db, m, &dup, &e), ERR_OK);
	assert_true(dup);
	assert_int_equal(m->id, first);
	assert_string_equal(m->text, "大家好");
	/* the same client_id from someone else is another message; ids only grow */
	m = msg("c-1", "chat", "老师好", 3);
	assert_int_equal(discussion_post(&db, m, &dup, &e), ERR_OK);
	assert_false(dup);
	assert_true(m->id > first);
	/* a reply must name a message of the same room */
	m = msg("c-2", "chat", "回复", 4);
	m->reply_to = 999;
	assert_int_equal(discussion_post(&db, m, &dup, &e), ERR_INVALID);
	assert_string_equal(e.field, "reply_to");
	assert_int_equal(test_int(&db, "SELECT count(*) FROM messages"), 2);
	db_close(&db);
}

static void collect(const struct message *m, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 4096 - n, "%s%lld", n ? "," : "", (long long)m->id);
}

static void history(void **state)
{
	struct history_query q = { "studio:1", 0, 0, 3, NULL, false, false };
	char ids[4096];
	struct error e;
	struct db db;
	bool dup, more;
	char cid[16];

	(void)state;
	fixture(&db);
	for (int i = 1; i <= 7; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		assert_int_equal(discussion_post(&db, msg(cid, "chat", "第几条", 4), &dup, &e),
				 ERR_OK);
	}
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "1,2,3");
	assert_true(more);
	q.after = 5;
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "6,7");
	assert_false(more);
	/* the newest page before 7, then scrolling back */
	q = (struct history_query){ "studio:1", 0, 7, 3, NULL, false, true };
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "4,5,6");
	assert_true(more);
	q.before = 4;
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "1,2,3");
	assert_false(more);
	/* the newest page of all: exactly the page's size leaves nothing out, one fewer does */
	q = (struct history_query){ "studio:1", 0, 0, 7, NULL, false, true };
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "1,2,3,4,5,6,7");
	assert_false(more);
	q.limit = 6;
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "2,3,4,5,6,7");
	assert_true(more);
	/* kind filters: all seven are chat */
	q = (struct history_query){ "studio:1", 0, 0, 50, "question", false, false };
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "");
	q.kind = "chat";
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "1,2,3,4,5,6,7");
	/* another room sees none of it */
	q = (struct history_query){ "studio:2", 0, 0, 50, NULL, false, false };
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "");
	db_close(&db);
}

/* How SQLite reads the messages of a page: the line about them (SEARCH m or SCAN m) in the
 * plan of the statement discussion_history prepared for it, found among the connection's
 * statements by two pieces of its text. */
static const char *plan_of(struct db *db, const char *has, const char *also)
{
	static char plan[256];
	sqlite3_stmt *st = NULL, *ex;
	char *sql;

	while ((st = sqlite3_next_stmt(db->h, st)) &&
	       !(strstr(sqlite3_sql(st), has) && strstr(sqlite3_sql(st), also)))
		;
	assert_non_null(st);
	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
	assert_int_equal(sqlite3_prepare_v2(db->h, sql, -1, &ex, NULL), SQLITE_OK);
	plan[0] = '\0';
	while (!plan[0] && sqlite3_step(ex) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(ex, 3);

		if (strncmp(line, "SEARCH m ", 9) == 0 || strncmp(line, "SCAN m", 6) == 0)
			snprintf(plan, sizeof(plan), "%s", line);
	}
	sqlite3_finalize(ex);
	sqlite3_free(sql);
	return plan;
}

static void questions(void **state)
{
	struct history_query q = { "studio:1", 0, 0, 50, "question", true, false };
	struct message out;
	char ids[4096];
	struct error e;
	struct db db;
	bool dup, changed, more;

	(void)state;
	fixture(&db);
	discussion_post(&db, msg("q1", "question", "第一个问题", 4), &dup, &e); /* 1 */
	discussion_post(&db, msg("c1", "chat", "闲聊", 4), &dup, &e);		/* 2 */
	discussion_post(&db, msg("q2", "question", "第二个问题", 4), &dup, &e); /* 3 */
	assert_int_equal(discussion_upvote(&db, "studio:1", 3, 3, &out, &changed, &e), ERR_OK);
	assert_true(changed);
	assert_int_equal(out.upvotes, 1);
	assert_int_equal(discussion_upvote(&db, "studio:1", 3, 3, &out, &changed, &e), ERR_OK);
	assert_false(changed); /* one vote per user */
	assert_int_equal(discussion_upvote(&db, "studio:1", 3, 5, &out, &changed, &e), ERR_OK);
	assert_int_equal(out.upvotes, 2);
	assert_int_equal(discussion_upvote(&db, "studio:1", 2, 3, &out, &changed, &e), ERR_INVALID);
	assert_int_equal(discussion_upvote(&db, "studio:9", 3, 3, &out, &changed, &e),
			 ERR_NOT_FOUND);
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "3,1"); /* by votes */
	assert_int_equal(
		discussion_moderate(&db, "studio:1", MOD_ANSWERED, 2, 3, &out, &changed, &e),
		ERR_INVALID); /* chat is not answered */
	assert_int_equal(
		discussion_moderate(&db, "studio:1", MOD_ANSWERED, 1, 3, &out, &changed, &e),
		ERR_OK);
	assert_true(out.answered);
	/* the newest questions by id skip the chat between them */
	q = (struct history_query){ "studio:1", 0, 0, 1, "question", false, true };
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "3");
	assert_true(more);
	q.limit = 2;
	ids[0] = '\0';
	assert_int_equal(discussion_history(&db, &q, collect, ids, &more), ERR_OK);
	assert_string_equal(ids, "1,3");
	assert_false(more);
	/* every question list reads the questions' own index, not every message of the room */
	assert_string_equal(plan_of(&db, "m.upvotes DESC", "'question'"),
			    "SEARCH m USING INDEX messages_questions (room=? AND id>?)");
	assert_string_equal(plan_of(&db, "min(id)", "'question'"),
			    "SEARCH m USING COVERING INDEX messages_questions (room=? AND id>?)");
	assert_string_equal(plan_of(&db, "ORDER BY m.id LIMIT", "'question'"),
			    "SEARCH m USING INDEX messages_questions (room=? AND id>?)");
	db_close(&db);
}

static void moderation(void **state)
{
	struct message out;
	struct error e;
	struct db db;
	bool dup, changed;

	(void)state;
	fixture(&db);
	discussion_post(&db, msg("c1", "chat", "需要删除的话", 4), &dup, &e);
	assert_int_equal(discussion_moderate(&db, "studio:1", MOD_PIN, 1, 3, &out, &changed, &e),
			 ERR_OK);
	assert_true(out.pinned);
	assert_true(changed);
	assert_int_equal(discussion_moderate(&db, "studio:1", MOD_PIN, 1, 3, &out, &changed, &e),
			 ERR_OK);
	assert_false(changed); /* pinned already: nothing to announce */
	assert_int_equal(discussion_moderate(&db, "studio:1", MOD_DELETE, 1, 3, &out, &changed, &e),
			 ERR_OK);
	assert_true(out.deleted);
	assert_false(out.pinned);
	assert_string_equal(out.text, ""); /* a tombstone */
	assert_int_equal(test_int(&db, "SELECT count(*) FROM messages WHERE id=1"), 1);
	assert_int_equal(discussion_moderate(&db, "studio:1", MOD_PIN, 1, 3, &out, &changed, &e),
			 ERR_INVALID);
	assert_int_equal(discussion_moderate(&db, "studio:1", MOD_PIN, 9, 3, &out, &changed, &e),
			 ERR_NOT_FOUND);
	/* mutes */
	assert_false(discussion_is_muted(&db, "studio:1", 4));
	assert_int_equal(discussion_mute(&db, "studio:1", 4, true, 3, &e), ERR_OK);
	assert_int_equal(discussion_mute(&db, "studio:1", 4, true, 3, &e), ERR_OK); /* idempotent */
	assert_true(discussion_is_muted(&db, "studio:1", 4));
	assert_false(discussion_is_muted(&db, "studio:2", 4));
	assert_int_equal(discussion_mute(&db, "studio:1", 4, false, 3, &e), ERR_OK);
	assert_false(discussion_is_muted(&db, "studio:1", 4));
	assert_int_equal(discussion_mute(&db, "studio:1", 999, true, 3, &e), ERR_NOT_FOUND);
	assert_int_equal(moderation_parse("answered"), MOD_ANSWERED);
	assert_int_equal(moderation_parse("ban"), -1);
	db_close(&db);
}

static void hit(const struct search_hit *h, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 4096 - n, "%s%lld:%s", n ? "|" : "", (long long)h->id, h->snippet);
}

static void search(void **state)
{
	json_t *all = json_pack("[s]", "studio:"), *none = json_array(),
	       *only2 = json_pack("[s]", "studio:2");
	struct message out;
	char got[4096];
	struct error e;
	struct db db;
	int64_t total;
	bool dup, changed;

	(void)state;
	fixture(&db);
	discussion_post(&db, msg("c1", "chat", "混合式教学的课程思政设计", 4), &dup, &e);
	discussion_post(&db, msg("c2", "chat", "思政元素如何融入", 4), &dup, &e);
	discussion_post(&db, msg("c3", "chat", "课程思政要删掉的", 4), &dup, &e);
	discussion_moderate(&db, "studio:1", MOD_DELETE, 3, 3, &out, &changed, &e);
	got[0] = '\0';
	assert_int_equal(
		discussion_search(&db, "课程思政", NULL, none, all, 50, 0, hit, got, &total),
		ERR_OK);
	assert_string_equal(got, "1:混合式教学的【课程思政】设计"); /* the deleted one is gone */
	assert_int_equal(total, 1);
	got[0] = '\0';
	assert_int_equal(discussion_search(&db, "思政", NULL, none, all, 50, 0, hit, got, &total),
			 ERR_OK);
	assert_int_equal(total, 2); /* two characters: a substring scan */
	got[0] = '\0';
	assert_int_equal(discussion_search(&db, "思政", NULL, none, all, 1, 1, hit, got, &total),
			 ERR_OK);
	assert_string_equal(got, "1:混合式教学的课程思政设计"); /* the second page of one */
	assert_int_equal(total, 2);
	got[0] = '\0';
	assert_int_equal(
		discussion_search(&db, "课程思政", NULL, only2, none, 50, 0, hit, got, &total),
		ERR_OK);
	assert_int_equal(total, 0); /* not a room the caller may read */
	got[0] = '\0';
	assert_int_equal(
		discussion_search(&db, "\"课程 OR x", NULL, none, all, 50, 0, hit, got, &total),
		ERR_OK); /* query syntax is never interpreted */
	assert_int_equal(total, 0);
	json_decref(all);
	json_decref(none);
	json_decref(only2);
	db_close(&db);
}

/* Every hit of q, as "id:snippet|…", and the total. */
static const char *find(struct db *db, const char *q, int64_t *total)
{
	static char got[4096];
	json_t *all = json_pack("[s]", "studio:"), *none = json_array();

	got[0] = '\0';
	assert_int_equal(discussion_search(db, q, NULL, none, all, 50, 0, hit, got, total), ERR_OK);
	json_decref(all);
	json_decref(none);
	return got;
}

/* Messages the index alone holds every trigram of s for (detail=none: no positions, so no
 * phrase queries): "课程思政" → "课程思" AND "程思政". */
static int64_t fts_count(struct db *db, const char *s)
{
	char sql[512], *p = sql;
	size_t off[64], n = 0;

	for (size_t b = 0; s[b] && n < 63; b++)
		if (((unsigned char)s[b] & 0xC0) != 0x80)
			off[n++] = b;
	off[n] = strlen(s);
	p += sprintf(p, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '");
	for (size_t i = 0; i + 3 <= n; i++)
		p += sprintf(p, "%s\"%.*s\"", i ? " AND " : "", (int)(off[i + 3] - off[i]),
			     s + off[i]);
	sprintf(p, "'");
	return test_int(db, sql);
}

/* The index is filled in batches after its mark; search reads the same before and after. */
static void search_index(void **state)
{
	struct message out;
	struct error e;
	struct db db;
	int64_t total;
	int n;
	bool dup, changed, more;

	(void)state;
	fixture(&db);
	assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 0);
	/* the chore merges 8 segments of a level at a time, FTS5 itself only in a crisis (0006) */
	assert_int_equal(test_int(&db, "SELECT v FROM messages_fts_config WHERE k = 'automerge'"),
			 0);
	assert_int_equal(test_int(&db, "SELECT v FROM messages_fts_config WHERE k = 'usermerge'"),
			 8);
	assert_int_equal(test_int(&db, "SELECT v FROM messages_fts_config WHERE k = 'crisismerge'"),
			 32);
	discussion_post(&db, msg("c1", "chat", "混合式教学的课程思政设计", 4), &dup, &e);
	discussion_post(&db, msg("c2", "chat", "课程思政元素如何融入", 4), &dup, &e);
	discussion_post(&db, msg("c3", "chat", "课程思政要删掉的", 4), &dup, &e);
	discussion_post(&db, msg("c4", "chat", "还没有索引的课程思政", 4), &dup, &e);
	/* nothing indexed yet: the scan after the mark finds all four */
	assert_int_equal(fts_count(&db, "课程思政"), 0);
	assert_string_equal(find(&db, "课程思政", &total),
			    "4:还没有索引的【课程思政】|3:【课程思政】要删掉的|"
			    "2:【课程思政】元素如何融入|1:混合式教学的【课程思政】设计");
	assert_int_equal(total, 4);
	/* a batch of two ids' worth: more remains */
	assert_int_equal(discussion_index(&db, 2, &n, &more), ERR_OK);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 2);
	assert_int_equal(fts_count(&db, "课程思政"), 2);
	assert_string_equal(find(&db, "课程思政", &total),
			    "4:还没有索引的【课程思政】|3:【课程思政】要删掉的|"
			    "2:【课程思政】元素如何融入|1:混合式教学的【课程思政】设计");
	/* deleting an indexed message takes it out of the index; an unindexed one is skipped */
	discussion_moderate(&db, "studio:1", MOD_DELETE, 1, 3, &out, &changed, &e);
	discussion_moderate(&db, "studio:1", MOD_DELETE, 3, 3, &out, &changed, &e);
	assert_int_equal(fts_count(&db, "课程思政"), 1);
	assert_int_equal(discussion_index(&db, 100, &n, &more), ERR_OK);
	assert_int_equal(n, 1); /* 4; the deleted 3 is not indexed */
	assert_false(more);
	assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 4);
	assert_int_equal(fts_count(&db, "课程思政"), 2);
	assert_int_equal(fts_count(&db, "要删掉"), 0);
	assert_string_equal(find(&db, "课程思政", &total),
			    "4:还没有索引的【课程思政】|2:【课程思政】元素如何融入");
	assert_int_equal(total, 2);
	/* nothing left: no work, the mark stays */
	assert_int_equal(discussion_index(&db, 100, &n, &more), ERR_OK);
	assert_int_equal(n, 0);
	assert_false(more);
	{
		struct search_upkeep u = { 0 };
		enum chore_next next;

		assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
		assert_int_equal(next, CHORE_DONE);
	}
	/* the index itself is sound (FTS5's own check; tombstones have no index rows, so the
	 * check against the content table does not apply) */
	test_exec(&db, "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')");
	db_close(&db);
}

/* Snippets: the window around the first match, every match in it marked, ASCII case folded,
 * LIKE's wildcards taken literally; the same text indexed or not. */
static void search_snippets(void **state)
{
	struct error e;
	struct db db;
	int64_t total;
	int n;
	bool dup, more;

	(void)state;
	fixture(&db);
	discussion_post(
		&db,
		msg("s1", "chat",
		    "一二三四五六七八九十一二三四五六七八九十甲乙丙丁戊己庚辛壬癸一二三四五六"
		    "七八九十",
		    4),
		&dup, &e);
	discussion_post(&db, msg("s2", "chat", "abcdefghijklmnopqrstuvwxyz and mnop again", 4),
			&dup, &e);
	discussion_post(&db, msg("s3", "chat", "限时50%折扣_a", 4), &dup, &e);
	discussion_post(&db, msg("s4", "chat", "限时50元折扣xa", 4), &dup, &e);
	for (int pass = 0; pass < 2; pass++) {
		assert_string_equal(find(&db, "丙丁戊", &total),
				    "1:…六七八九十甲乙【丙丁戊】己庚辛壬癸一二三…");
		assert_string_equal(find(&db, "一二三", &total),
				    "1:【一二三】四五六七八九十【一二三】四五六七八…");
		assert_string_equal(find(&db, "MNOP", &total), "2:abcdefghijkl【mnop】qr…");
		assert_string_equal(find(&db, "50%折扣", &total), "3:限时【50%折扣】_a");
		assert_string_equal(find(&db, "扣_a", &total), "3:限时50%折【扣_a】");
		assert_int_equal(total, 1);
		/* the index looks for 限时50 (both messages), the wildcard is checked on the text */
		assert_string_equal(find(&db, "限时50%", &total), "3:【限时50%】折扣_a");
		assert_int_equal(total, 1);
		assert_string_equal(find(&db, "限时50_", &total), "");
		assert_int_equal(total, 0);
		/* every trigram of the query is in s2, the query is not */
		assert_string_equal(find(&db, "and mnopqr", &total), "");
		assert_int_equal(total, 0);
		/* the second pass reads the same through the index */
		assert_int_equal(discussion_index(&db, 100, &n, &more), ERR_OK);
	}
	db_close(&db);
}

static void rooms(void **state)
{
	struct room_ref ref;
	struct user u = { 0 };
	struct db db;

	(void)state;
	assert_true(room_parse("studio:12", &ref));
	assert_int_equal(ref.id, 12);
	assert_string_equal(ref.name, "studio:12");
	assert_false(room_parse("studio:0", &ref));
	assert_false(room_parse("studio:012", &ref));
	assert_false(room_parse("studio:", &ref));
	assert_false(room_parse("lobby:1", &ref));
	assert_false(room_parse("studio:1x", &ref));
	assert_false(room_parse(NULL, &ref));
	/* only the canonical spelling is a room: the name is kept as given */
	assert_false(room_parse("studio: 1", &ref));
	assert_false(room_parse("studio:+1", &ref));
	assert_false(room_parse("studio:-1", &ref));
	assert_false(room_parse("studio:1 ", &ref));
	assert_false(room_parse("Studio:1", &ref));
	assert_false(room_parse("studio:1:2", &ref));
	assert_false(room_parse("studio:1234567890123456", &ref));
	assert_true(room_parse("studio:123456789012345", &ref));
	assert_int_equal(ref.id, 123456789012345LL);
	assert_string_equal(ref.name, "studio:123456789012345");
	fixture(&db);
	assert_true(room_parse("studio:1", &ref));
	static const struct {
		int64_t id;
		enum role role;
		bool read, post, moderate;
	} WHO[] = {
		{ 1, ROLE_ADMIN, true, true, true },
		{ 3, ROLE_MASTER, true, true, true },
		{ 4, ROLE_TEACHER, true, true, false },
		{ 5, ROLE_EXPERT, true, false, false },
		{ 6, ROLE_TEACHER, false, false, false },
		{ 7, ROLE_UNIVERSITY_ADMIN, false, false, false },
	};
	for (size_t i = 0; i < sizeof(WHO) / sizeof(WHO[0]); i++) {
		u.id = WHO[i].id;
		u.role = WHO[i].role;
		u.disabled = false;
		assert_int_equal(ref.kind->may_read(&db, &u, 1), WHO[i].read);
		assert_int_equal(ref.kind->may_post(&db, &u, 1), WHO[i].post);
		assert_int_equal(ref.kind->may_moderate(&db, &u, 1), WHO[i].moderate);
		u.disabled = true;
		assert_false(ref.kind->may_read(&db, &u, 1));
	}
	u = (struct user){ .id = 4, .role = ROLE_TEACHER };
	test_exec(&db, "UPDATE studio_members SET status='left' WHERE user_id=4");
	assert_false(ref.kind->may_read(&db, &u, 1)); /* leaving ends access */
	assert_false(ref.kind->exists(&db, 2));
	db_close(&db);
}

static void presence(void **state)
{
	struct db db;
	int64_t a, b;
	int n;

	(void)state;
	fixture(&db);
	assert_int_equal(discussion_presence_open(&db, "studio:1", 4, &a), ERR_OK);
	assert_int_equal(discussion_presence_open(&db, "studio:1", 3, &b), ERR_OK);
	assert_int_equal(discussion_presence_close(&db, a), ERR_OK);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM presence WHERE left_at IS NULL"), 1);
	assert_int_equal(discussion_presence_close_all(&db, "2026-11-27T10:00:00Z", &n), ERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM presence WHERE left_at IS NULL"), 0);
	db_close(&db);
}

/* Runs the chore until it leaves no work; returns how many runs that took. */
static int upkeep_all(struct db *db, struct search_upkeep *u)
{
	enum chore_next next;
	int runs = 0;

	do {
		assert_int_equal(discussion_index_chore(db, u, &next), ERR_OK);
		runs++;
	} while (next != CHORE_DONE && runs < 100);
	assert_int_equal(next, CHORE_DONE);
	return runs;
}

static int64_t segments(struct db *db)
{
	return test_int(db, "SELECT count(DISTINCT segid) FROM messages_fts_idx");
}

/* Each indexing run adds a segment; the merging runs after it keep them few, and every
 * message stays findable. */
static void search_merge(void **state)
{
	struct search_upkeep u = { 0 };
	char id[32], text[96];
	struct error e;
	struct db db;
	int64_t total;
	bool dup;

	(void)state;
	fixture(&db);
	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < 5; i++) {
			snprintf(id, sizeof(id), "m%d-%d", round, i);
			snprintf(text, sizeof(text), "第%d轮 教研合并测试 %d", round, i);
			assert_int_equal(discussion_post(&db, msg(id, "chat", text, 4), &dup, &e),
					 ERR_OK);
		}
		/* one indexing run, then one or two merging runs (DISCUSSION_MERGE_RUNS; more
		 * only if these ran out of time) */
		assert_in_range(upkeep_all(&db, &u), 2, 99);
		assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"),
				 5 * (round + 1));
	}
	/* 30 segments written (FTS5 alone would keep them all: crisismerge is 32), merged 8 at
	 * a time: at most 7 left on each of two levels */
	assert_in_range(segments(&db), 1, 14);
	assert_int_equal(fts_count(&db, "教研合并测试"), 150);
	assert_int_equal(fts_count(&db, "第29轮"), 5);
	find(&db, "教研合并测试", &total);
	assert_int_equal(total, 150);
	/* FTS5 checks its index against the messages: an error would fail the test */
	test_exec(&db, "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')");
	db_close(&db);
}

/* Indexing and merging take turns, a run of one kind at a time (each its own transaction
 * in the writer, with batches of acks between them): a backlog is indexed
 * DISCUSSION_INDEX_BATCH messages a run, and merging waits for the run after. */
static void search_upkeep_turns(void **state)
{
	static const int64_t marks[] = { 1000, 1000, 2000, 2000, 2500, 2500 };
	struct search_upkeep u = { 0 };
	char id[32], text[96];
	enum chore_next next;
	struct error e;
	struct db db;
	bool dup;

	(void)state;
	fixture(&db);
	test_exec(&db, "BEGIN");
	for (int i = 0; i < 2500; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		snprintf(text, sizeof(text), "轮流索引与合并 %d", i);
		assert_int_equal(discussion_post(&db, msg(id, "chat", text, 4), &dup, &e), ERR_OK);
	}
	test_exec(&db, "COMMIT");
	/* index, merge (nothing yet: one segment), index, merge, index, merge: done */
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
		assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"),
				 marks[i]);
		assert_int_equal(segments(&db), (int64_t)(i / 2 + 1));
		assert_int_equal(next, i + 1 < sizeof(marks) / sizeof(marks[0]) ? CHORE_SOON
										: CHORE_DONE);
	}
	/* nothing new: an indexing run that finds nothing owes no merging */
	assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
	assert_int_equal(next, CHORE_DONE);
	assert_int_equal(u.merge_runs, 0);
	/* five more small segments make eight: the indexing run that writes the eighth leaves
	 * them for the merging run after it, which makes them one */
	for (int round = 0; round < 5; round++) {
		snprintf(id, sizeof(id), "r%d", round);
		assert_int_equal(
			discussion_post(&db, msg(id, "chat", "轮流索引与合并 又一条", 4), &dup, &e),
			ERR_OK);
		assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
		assert_int_equal(next, CHORE_SOON);
		assert_int_equal(segments(&db), 4 + round);
		if (round < 4)
			upkeep_all(&db, &u);
	}
	assert_int_equal(u.merge_runs, DISCUSSION_MERGE_RUNS);
	upkeep_all(&db, &u);
	assert_int_equal(segments(&db), 1);
	assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 2505);
	assert_int_equal(fts_count(&db, "轮流索引与合并"), 2505);
	test_exec(&db, "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')");
	db_close(&db);
}

/* Merge work left when the merging runs ran out of time waits for the next indexing run; if
 * no message has come, that run does it instead (CHORE_LATER until done), so an idle server
 * tidies its index. Without any left, a run that finds nothing to index merges nothing. */
static void search_upkeep_idle(void **state)
{
	struct search_upkeep u = { 0 };
	enum chore_next next;
	char id[32];
	struct error e;
	struct db db;
	int n;
	bool dup, more;

	(void)state;
	fixture(&db);
	for (int i = 0; i < 8; i++) { /* eight segments, as an indexing backlog leaves them */
		snprintf(id, sizeof(id), "i%d", i);
		assert_int_equal(discussion_post(&db, msg(id, "chat", "闲时整理索引", 4), &dup, &e),
				 ERR_OK);
		assert_int_equal(discussion_index(&db, 100, &n, &more), ERR_OK);
		assert_int_equal(n, 1);
	}
	assert_int_equal(segments(&db), 8);
	assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
	assert_int_equal(next, CHORE_DONE);
	assert_int_equal(segments(&db), 8);
	u.merge_left = true; /* as a merging run that ran out of time leaves it */
	assert_int_equal(discussion_index_chore(&db, &u, &next), ERR_OK);
	assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 8);
	assert_int_equal(segments(&db), 1);
	assert_false(u.merge_left);
	assert_int_equal(next, CHORE_DONE);
	assert_int_equal(fts_count(&db, "闲时整理索引"), 8);
	test_exec(&db, "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')");
	db_close(&db);
}

static const struct embedded_file *migration(const char *prefix)
{
	for (size_t i = 0; i < EMBED_MIGRATIONS_COUNT; i++)
		if (strncmp(EMBED_MIGRATIONS[i].name, prefix, strlen(prefix)) == 0)
			return &EMBED_MIGRATIONS[i];
	fail_msg("no migration %s", prefix);
	return NULL;
}

/* Migrations 0008 (detail=none) and 0009 (columnsize=0), each on a database whose index was
 * filled: the index starts again from an empty one, every message stays findable meanwhile,
 * and the chore takes all of them up again. After 0009 FTS5 keeps no token counts. */
static void search_reindex(void **state)
{
	static const char *const redo[] = { "0008_", "0009_" };
	static const char DOCSIZE[] =
		"SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts_docsize'";
	struct error e;
	struct db db;
	int64_t total;
	int n;
	bool dup, more;

	(void)state;
	fixture(&db);
	assert_int_equal(test_int(&db, DOCSIZE), 0);
	discussion_post(&db, msg("r1", "chat", "线上线下混合式教学", 4), &dup, &e);
	discussion_post(&db, msg("r2", "chat", "混合式教学案例分享", 4), &dup, &e);
	assert_int_equal(discussion_index(&db, 100, &n, &more), ERR_OK);
	assert_int_equal(fts_count(&db, "混合式教学"), 2);
	for (size_t i = 0; i < sizeof(redo) / sizeof(redo[0]); i++) {
		struct search_upkeep u = { 0 };

		test_exec(&db, migration(redo[i])->data);
		assert_int_equal(test_int(&db, DOCSIZE), i == 0 ? 1 : 0);
		assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 0);
		assert_int_equal(fts_count(&db, "混合式教学"), 0);
		assert_string_equal(find(&db, "混合式教学", &total),
				    "2:【混合式教学】案例分享|1:线上线下【混合式教学】");
		assert_int_equal(total, 2);
		upkeep_all(&db, &u);
		assert_int_equal(test_int(&db, "SELECT indexed_upto FROM search_progress"), 2);
		assert_int_equal(fts_count(&db, "混合式教学"), 2);
		assert_string_equal(find(&db, "混合式教学", &total),
				    "2:【混合式教学】案例分享|1:线上线下【混合式教学】");
		test_exec(&db,
			  "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')");
	}
	db_close(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("discussion-1.1 a retried client_id is stored once", post_once),
		TEST("discussion-1.2 history pages forward and back", history),
		TEST("discussion-1.3 questions: one vote per user, by votes, answered", questions),
		TEST("discussion-1.4 pin, delete as a tombstone, mute", moderation),
		TEST("discussion-1.5 search: trigram, short queries, scope, tombstones", search),
		TEST("discussion-1.7 the search index fills in batches; search reads the same",
		     search_index),
		TEST("discussion-1.8 snippets: window, every match marked, case, wildcards",
		     search_snippets),
		TEST("discussion-1.9 the chore merges the index's segments as it fills it",
		     search_merge),
		TEST("discussion-1.10 migrations 0008 and 0009 rebuild the index; search finds every "
		     "message",
		     search_reindex),
		TEST("discussion-1.11 the chore indexes and merges in turns, a run of one kind at a "
		     "time",
		     search_upkeep_turns),
		TEST("discussion-1.12 merge work left is done when no message comes",
		     search_upkeep_idle),
		TEST("room-1.1 names and who may read, post, moderate", rooms),
		TEST("discussion-1.6 presence intervals open and close", presence),
	};
	return cmocka_run_group_tests_name("discussion", tests, NULL, NULL);
}
