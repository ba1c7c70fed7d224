/* api/views: the JSON text of a history page's messages is the jansson view's, byte for
 * byte, so the two ways of writing a message cannot drift apart. */
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
	};
	return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
