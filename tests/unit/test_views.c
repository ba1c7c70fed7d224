/* api/views: the JSON text of a record is its jansson view's, byte for byte, for every view of
 * every entity (both are made from the entity's field table), so the two ways of writing a
 * record cannot drift apart; and each record's view is pinned as the exact text clients get
 * (views-2.x). */
#include "testutil.h"

#include "api/views.h"

/* The text written into t must be json_dump(view), byte for byte. Takes view's reference. */
static void assert_text_is_dump(json_t *view, struct json_text *t)
{
	char *want = json_dump(view, NULL), *got = json_text_finish(t, NULL);

	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(view);
}

static void assert_same_message(const struct message *m)
{
	struct json_text t = { 0 };

	view_message_text(&t, m);
	assert_text_is_dump(view_message(m), &t);
}

static struct message *message(int64_t id, const char *name, const char *text)
{
	static struct message m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	snprintf(m.room, sizeof(m.room), "studio:%lld", (long long)id % 7);
	m.user_id = id % 1000 + 40;
	snprintf(m.user_name, sizeof(m.user_name), "%s", name);
	snprintf(m.user_role, sizeof(m.user_role), "master");
	snprintf(m.kind, sizeof(m.kind), id % 2 ? "question" : "chat");
	snprintf(m.text, sizeof(m.text), "%s", text);
	snprintf(m.created_at, sizeof(m.created_at), "2026-11-27T16:08:38Z");
	return &m;
}

static void message_text(void **state)
{
	static const char *const TEXTS[] = {
		"plain",
		"",
		"引号 \"quoted\" and \\ backslash / slash",
		"lines\nand\ttabs\r\x01\x1f end",
		"emoji 😀 and U+2028 \xe2\x80\xa8 stay as they are",
	};
	struct message *m;

	(void)state;
	for (int i = 0; i < 5; i++) {
		m = message(i + 1, i % 2 ? "李明华" : "O'Brien \"Bob\"", TEXTS[i]);
		m->reply_to = i % 2 ? 0 : 1000 + i;
		m->upvotes = i * 3;
		m->pinned = i & 1;
		m->answered = (i >> 1) & 1;
		m->deleted = i == 4;
		assert_same_message(m);
	}
	m = message(INT64_MAX, "x", "largest id");
	m->upvotes = INT64_MIN;
	assert_same_message(m);
}

static void studio_text(void **state)
{
	static const char *const NAMES[] = { "生物科学名师工作室", "\"Quoted\" \\ studio",
					     "tab\there", "" };
	struct studio *s = calloc(1, sizeof(*s));
	struct json_text t = { 0 };

	(void)state;
	assert_non_null(s);
	for (int i = 0; i < 4; i++) {
		studio_defaults(s);
		s->id = i == 3 ? INT64_MAX : i + 1;
		snprintf(s->name, sizeof(s->name), "%s", NAMES[i]);
		s->master_id = 17;
		snprintf(s->master_name, sizeof(s->master_name), "王建平");
		snprintf(s->master_title, sizeof(s->master_title), i ? "教授" : "");
		s->university_id = 3;
		snprintf(s->university_name, sizeof(s->university_name), "河南师范大学");
		snprintf(s->discipline, sizeof(s->discipline), "生物学");
		snprintf(s->established_on, sizeof(s->established_on), "2024-03-01");
		snprintf(s->cycle, sizeof(s->cycle), i % 2 ? "2024-2026" : "");
		s->member_count = i;
		snprintf(s->introduction, sizeof(s->introduction), "not in the list form");
		snprintf(s->created_at, sizeof(s->created_at), "2026-11-27T16:19:50Z");
		snprintf(s->updated_at, sizeof(s->updated_at), "2026-11-27T16:19:51Z");
		view_studio_text(&t, s);
		assert_text_is_dump(view_studio(s, false), &t);
	}
	free(s);
}

/* ---- what users see ------------------------------------------------------------------ */

/* view is exactly want, byte for byte (key order included). Takes view's reference. */
static void assert_view(json_t *view, const char *want)
{
	char *got = json_dump(view, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	json_decref(view);
}

/* view equals want as JSON: the same keys and values, in any order. Takes view's reference. */
static void assert_view_unordered(json_t *view, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	assert_true(json_equal(view, w));
	json_decref(w);
	json_decref(view);
}

static void user_views(void **state)
{
	struct user u;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.id = 7;
	snprintf(u.username, sizeof(u.username), "li.ming");
	snprintf(u.name, sizeof(u.name), "李明");
	u.role = ROLE_MASTER;
	u.university_id = 3;
	snprintf(u.university_name, sizeof(u.university_name), "郑州大学");
	snprintf(u.title, sizeof(u.title), "教授");
	snprintf(u.phone, sizeof(u.phone), "13812341234");
	snprintf(u.email, sizeof(u.email), "liming@zzu.edu.cn");
	u.must_change_password = true;
	snprintf(u.password_hash, sizeof(u.password_hash), "$argon2id$v=19$secret");
	snprintf(u.created_at, sizeof(u.created_at), "2026-01-02T03:04:05Z");
	assert_view(view_user(&u, true),
		    "{\"id\":7,\"username\":\"li.ming\",\"name\":\"李明\",\"role\":\"master\","
		    "\"university_id\":3,\"university_name\":\"郑州大学\",\"title\":\"教授\","
		    "\"phone\":\"13812341234\",\"email\":\"liming@zzu.edu.cn\",\"disabled\":false,"
		    "\"must_change_password\":true,\"created_at\":\"2026-01-02T03:04:05Z\"}");
	u.university_id = 0;
	u.university_name[0] = '\0';
	u.role = ROLE_TEACHER;
	u.disabled = true;
	u.must_change_password = false;
	assert_view(view_user(&u, false),
		    "{\"id\":7,\"username\":\"li.ming\",\"name\":\"李明\",\"role\":\"teacher\","
		    "\"university_id\":null,\"university_name\":null,\"title\":\"教授\","
		    "\"phone\":\"138****1234\",\"email\":\"l***@zzu.edu.cn\",\"disabled\":true,"
		    "\"must_change_password\":false,\"created_at\":\"2026-01-02T03:04:05Z\"}");
}

static void university_view(void **state)
{
	struct university v;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.id = 3;
	snprintf(v.name, sizeof(v.name), "郑州大学");
	snprintf(v.code, sizeof(v.code), "10459");
	v.studio_count = 2;
	snprintf(v.created_at, sizeof(v.created_at), "2026-01-02T03:04:05Z");
	assert_view(view_university(&v),
		    "{\"id\":3,\"name\":\"郑州大学\",\"code\":\"10459\","
		    "\"studio_count\":2,\"created_at\":\"2026-01-02T03:04:05Z\"}");
}

static void studio_views(void **state)
{
	struct studio *s = calloc(1, sizeof(*s));
	static const char BRIEF[] =
		"\"id\":1,\"name\":\"生物科学名师工作室\",\"master\":{\"id\":17,\"name\":\"王建平\","
		"\"title\":\"教授\"},\"university\":{\"id\":3,\"name\":\"河南师范大学\"},"
		"\"discipline\":\"生物学\",\"level\":\"national\",\"established_on\":\"2024-03-01\","
		"\"cycle\":\"2024-2026\",\"max_members\":8,\"member_count\":5,\"status\":\"active\","
		"\"created_at\":\"2026-11-27T16:19:50Z\",\"updated_at\":\"2026-11-27T16:19:51Z\"";
	char want[2048];

	(void)state;
	assert_non_null(s);
	studio_defaults(s);
	s->id = 1;
	snprintf(s->name, sizeof(s->name), "生物科学名师工作室");
	s->master_id = 17;
	snprintf(s->master_name, sizeof(s->master_name), "王建平");
	snprintf(s->master_title, sizeof(s->master_title), "教授");
	s->university_id = 3;
	snprintf(s->university_name, sizeof(s->university_name), "河南师范大学");
	snprintf(s->discipline, sizeof(s->discipline), "生物学");
	snprintf(s->level, sizeof(s->level), "national");
	snprintf(s->established_on, sizeof(s->established_on), "2024-03-01");
	snprintf(s->cycle, sizeof(s->cycle), "2024-2026");
	snprintf(s->introduction, sizeof(s->introduction), "简介");
	snprintf(s->training_plan, sizeof(s->training_plan), "计划");
	snprintf(s->honours, sizeof(s->honours), "荣誉");
	s->max_members = 8;
	s->member_count = 5;
	s->pending_count = 2;
	snprintf(s->created_at, sizeof(s->created_at), "2026-11-27T16:19:50Z");
	snprintf(s->updated_at, sizeof(s->updated_at), "2026-11-27T16:19:51Z");
	snprintf(want, sizeof(want), "{%s}", BRIEF);
	assert_view(view_studio(s, false), want);
	/* The full view's key order is not pinned: nothing reads it but as an object. */
	snprintf(want, sizeof(want),
		 "{%s,\"introduction\":\"简介\",\"training_plan\":\"计划\",\"honours\":\"荣誉\","
		 "\"pending_count\":2}",
		 BRIEF);
	assert_view_unordered(view_studio(s, true), want);
	free(s);
}

static void member_views(void **state)
{
	struct member m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.studio_id = 1;
	snprintf(m.studio_name, sizeof(m.studio_name), "生物科学名师工作室");
	m.user_id = 5;
	snprintf(m.name, sizeof(m.name), "王老师");
	snprintf(m.title, sizeof(m.title), "讲师");
	m.university_id = 3;
	snprintf(m.university_name, sizeof(m.university_name), "河南师范大学");
	snprintf(m.status, sizeof(m.status), "approved");
	snprintf(m.reason, sizeof(m.reason), "想学习");
	snprintf(m.applied_at, sizeof(m.applied_at), "2026-01-02T03:04:05Z");
	snprintf(m.decided_at, sizeof(m.decided_at), "2026-01-03T03:04:05Z");
	assert_view(
		view_member(&m, true),
		"{\"user\":{\"id\":5,\"name\":\"王老师\",\"title\":\"讲师\",\"university\":{"
		"\"id\":3,\"name\":\"河南师范大学\"}},\"status\":\"approved\","
		"\"applied_at\":\"2026-01-02T03:04:05Z\",\"decided_at\":\"2026-01-03T03:04:05Z\","
		"\"reason\":\"想学习\"}");
	m.university_id = 0;
	m.university_name[0] = '\0';
	m.decided_at[0] = '\0';
	snprintf(m.status, sizeof(m.status), "pending");
	assert_view(view_member(&m, false),
		    "{\"user\":{\"id\":5,\"name\":\"王老师\",\"title\":\"讲师\",\"university\":{"
		    "\"id\":null,\"name\":null}},\"status\":\"pending\","
		    "\"applied_at\":\"2026-01-02T03:04:05Z\",\"decided_at\":null}");
	assert_view(view_membership(&m), "{\"studio_id\":1,\"studio_name\":\"生物科学名师工作室\","
					 "\"status\":\"pending\"}");
}

static void achievement_view(void **state)
{
	struct achievement *a = calloc(1, sizeof(*a));

	(void)state;
	assert_non_null(a);
	a->id = 9;
	a->studio_id = 1;
	snprintf(a->kind, sizeof(a->kind), "paper");
	snprintf(a->title, sizeof(a->title), "论文");
	snprintf(a->achieved_on, sizeof(a->achieved_on), "2025-06-30");
	snprintf(a->link, sizeof(a->link), "https://example.org/p");
	a->created_by = 3;
	snprintf(a->created_at, sizeof(a->created_at), "2026-01-02T03:04:05Z");
	assert_view(view_achievement(a),
		    "{\"id\":9,\"studio_id\":1,\"kind\":\"paper\",\"title\":\"论文\","
		    "\"achieved_on\":\"2025-06-30\",\"description\":\"\","
		    "\"link\":\"https://example.org/p\",\"created_by\":3,"
		    "\"created_at\":\"2026-01-02T03:04:05Z\"}");
	free(a);
}

static void message_view(void **state)
{
	struct message *m = message(8, "李明华", "你好");

	(void)state;
	snprintf(m->client_id, sizeof(m->client_id), "c-1");
	m->upvotes = 2;
	m->pinned = true;
	assert_view(view_message(m),
		    "{\"id\":8,\"room\":\"studio:1\",\"user\":{\"id\":48,\"name\":\"李明华\","
		    "\"role\":\"master\"},\"kind\":\"chat\",\"text\":\"你好\",\"reply_to\":null,"
		    "\"created_at\":\"2026-11-27T16:08:38Z\",\"upvotes\":2,\"pinned\":true,"
		    "\"answered\":false,\"deleted\":false}");
	m->reply_to = 7;
	m->deleted = true;
	m->pinned = false;
	assert_view(view_message(m),
		    "{\"id\":8,\"room\":\"studio:1\",\"user\":{\"id\":48,\"name\":\"李明华\","
		    "\"role\":\"master\"},\"kind\":\"chat\",\"text\":\"你好\",\"reply_to\":7,"
		    "\"created_at\":\"2026-11-27T16:08:38Z\",\"upvotes\":2,\"pinned\":false,"
		    "\"answered\":false,\"deleted\":true}");
}

static void audit_view(void **state)
{
	struct audit_entry a;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.id = 3;
	snprintf(a.at, sizeof(a.at), "2026-01-02T03:04:05Z");
	a.user_id = 1;
	snprintf(a.user_name, sizeof(a.user_name), "管理员");
	snprintf(a.action, sizeof(a.action), "user.update");
	snprintf(a.entity, sizeof(a.entity), "user");
	a.entity_id = 7;
	a.detail = "{\"title\":\"教授\",\"phone\":\"changed\"}";
	snprintf(a.hash, sizeof(a.hash), "%064d", 0);
	assert_view(
		view_audit_entry(&a),
		"{\"id\":3,\"at\":\"2026-01-02T03:04:05Z\",\"user_id\":1,\"user_name\":\"管理员\","
		"\"action\":\"user.update\",\"entity\":\"user\",\"entity_id\":7,"
		"\"detail\":{\"title\":\"教授\",\"phone\":\"changed\"},\"hash\":\"0000000000"
		"000000000000000000000000000000000000000000000000000000\"}");
	/* The system's entries: no user, no entity; a detail that is not JSON stays text. */
	a.user_id = a.entity_id = 0;
	a.user_name[0] = '\0';
	a.detail = "not json";
	a.hash[0] = '\0';
	assert_view(view_audit_entry(&a),
		    "{\"id\":3,\"at\":\"2026-01-02T03:04:05Z\",\"user_id\":null,\"user_name\":null,"
		    "\"action\":\"user.update\",\"entity\":\"user\",\"entity_id\":null,"
		    "\"detail\":\"not json\",\"hash\":\"\"}");
}

/* Fills each field of t in rec with a value of its type; round varies them (empty text,
 * escapes, UTF-8, zero and extreme numbers, JSON that parses and that does not). */
static void fill(const struct field_table *t, void *rec, int round)
{
	static const char *const TEXTS[] = { "", "生物科学", "\"q\" \\ /\n\t\x01",
					     "😀 \xe2\x80\xa8" };
	static const int64_t INTS[] = { 0, 1, -5, INT64_MAX, INT64_MIN };
	static const char *const JSONS[] = { "{\"a\":[1,\"x\",null]}", "not json", NULL };

	for (const struct field *f = t->fields; f->name; f++) {
		char *v = (char *)rec + f->offset;
		int k = round + (int)(f - t->fields), n = 0;
		const char *text;

		if (!f->size)
			continue;
		switch (f->type) {
		case F_INT:
		case F_ID:
			memcpy(v, &INTS[k % 5], sizeof(int64_t));
			break;
		case F_BOOL:
			*(bool *)(void *)v = k & 1;
			break;
		case F_CODE:
			while (f->options[n])
				n++;
			k %= n;
			memcpy(v, &k, sizeof(k));
			break;
		case F_JSON:
			memcpy(v, &JSONS[k % 3], sizeof(const char *));
			break;
		case F_ENUM:
			snprintf(v, f->size, "%s", f->options[0]);
			break;
		default: /* a text that does not fit (UTF-8 cut short) would fail both views */
			text = f->type == F_DATE && k % 2 ? "2024-02-29" : TEXTS[k % 4];
			snprintf(v, f->size, "%s", strlen(text) < f->size ? text : "x");
		}
	}
}

/* Every view of every entity: the text fields_text() writes is json_dump() of the jansson
 * view, both made from the entity's one table. */
static void every_entity(void **state)
{
	static const struct field_table *const TABLES[] = {
		&USER_TABLE,	    &UNIVERSITY_TABLE, &STUDIO_TABLE, &MEMBER_TABLE,
		&ACHIEVEMENT_TABLE, &MESSAGE_TABLE,    &AUDIT_TABLE,
	};
	void *rec = calloc(1, 1 << 17);

	(void)state;
	assert_non_null(rec);
	assert_true(sizeof(struct studio) < 1 << 17);
	for (size_t i = 0; i < sizeof(TABLES) / sizeof(TABLES[0]); i++) {
		for (int round = 0; round < 6; round++) {
			fill(TABLES[i], rec, round);
			for (unsigned view = V_BRIEF; view <= V_SIDE; view <<= 1) {
				struct json_text t = { 0 };

				fields_text(&t, TABLES[i], rec, view);
				assert_text_is_dump(fields_json(TABLES[i], rec, view), &t);
			}
		}
	}
	free(rec);
}

/* A page is "[" message "," message … "]": json_text appends, and a failure sticks. */
static void text_failure(void **state)
{
	struct text_list l = { 0 };
	struct json_text t = { 0 };
	size_t len = 99;
	char *s;

	(void)state;
	json_text_raw(&l.t, "[");
	text_list_next(&l);
	json_text_string(&l.t, "ok");
	text_list_next(&l);
	json_text_int(&l.t, -12);
	text_list_next(&l);
	json_text_bool(&l.t, false);
	json_text_raw(&l.t, "]");
	s = json_text_finish(&l.t, &len);
	assert_string_equal(s, "[\"ok\",-12,false]");
	assert_int_equal(len, 16);
	free(s);
	json_text_raw(&t, "[");
	json_text_string(&t, "bad \xff byte");
	json_text_raw(&t, "]");
	assert_true(t.failed);
	assert_null(json_text_finish(&t, &len));
	assert_null(t.p); /* freed and reset: usable again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("views-1.1 a message as JSON text is the jansson view's bytes", message_text),
		TEST("views-1.2 a studio of the list as JSON text is the jansson view's bytes",
		     studio_text),
		TEST("views-1.3 JSON text appends, lists get commas, invalid UTF-8 yields nothing",
		     text_failure),
		TEST("views-1.4 every view of every entity as JSON text is the jansson view's bytes",
		     every_entity),
		TEST("views-2.1 a user, whole and masked", user_views),
		TEST("views-2.2 a university", university_view),
		TEST("views-2.3 a studio, brief and full", studio_views),
		TEST("views-2.4 a member as the studio and as the member sees it", member_views),
		TEST("views-2.5 an achievement", achievement_view),
		TEST("views-2.6 a message", message_view),
		TEST("views-2.7 an entry of the audit log", audit_view),
	};
	return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
