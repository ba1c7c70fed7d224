/* api/views: the JSON text of a history page's messages is the jansson view's, byte for
 * byte, so the two ways of writing a message cannot drift apart. */
#include "testutil.h"

#include "api/views.h"

/* view_message_text(m) must equal json_dump(view_message(m)). */
static void assert_same_message(const struct message *m)
{
	struct json_text t = { 0 };
	json_t *v = view_message(m);
	char *want = json_dump(v, NULL), *got;

	view_message_text(&t, m);
	got = json_text_finish(&t, NULL);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(v);
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

/* A page is "[" message "," message … "]": json_text appends, and a failure sticks. */
static void text_failure(void **state)
{
	struct json_text t = { 0 };
	size_t len = 99;
	char *s;

	(void)state;
	json_text_raw(&t, "[");
	json_text_string(&t, "ok");
	json_text_raw(&t, ",");
	json_text_int(&t, -12);
	json_text_raw(&t, ",");
	json_text_bool(&t, false);
	json_text_raw(&t, "]");
	s = json_text_finish(&t, &len);
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
		TEST("views-1.2 JSON text appends, and after invalid UTF-8 yields nothing",
		     text_failure),
	};
	return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
