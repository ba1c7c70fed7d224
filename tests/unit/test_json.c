/* core/json: request validation helpers and error bodies (DESIGN §6). */
#include "testutil.h"

#include "core/json.h"

static void parse(void **state)
{
	struct error e;
	json_t *v;

	(void)state;
	v = json_parse_object("{\"a\":1}", 7, &e);
	assert_non_null(v);
	json_decref(v);
	assert_null(json_parse_object("{\"a\":", 5, &e));
	assert_int_equal(e.err, ERR_INVALID_JSON);
	assert_null(json_parse_object("[1,2]", 5, &e));
	assert_int_equal(e.err, ERR_INVALID);
	assert_null(json_parse_object("{\"a\":1,\"a\":2}", 13, &e)); /* duplicate keys */
	assert_int_equal(e.err, ERR_INVALID_JSON);
	assert_null(json_parse_object("{\"a\":\"\xff\"}", 8, &e)); /* invalid UTF-8 */
	assert_int_equal(e.err, ERR_INVALID_JSON);
	assert_null(json_parse_object("{\"a\":\"x\\u0000y\"}", 15, &e)); /* NUL inside a string */
	assert_int_equal(e.err, ERR_INVALID_JSON);
	assert_null(json_parse_object(NULL, 0, &e));
	assert_int_equal(e.err, ERR_INVALID_JSON);
}

static void unknown_fields(void **state)
{
	static const char *const ALLOWED[] = { "username", "password", NULL };
	struct error e;
	json_t *v = json_loads("{\"username\":\"a\",\"role\":\"admin\"}", 0, NULL);

	(void)state;
	assert_int_equal(json_only_fields(v, ALLOWED, &e), ERR_INVALID);
	assert_string_equal(e.field, "role");
	json_object_del(v, "role");
	assert_int_equal(json_only_fields(v, ALLOWED, &e), ERR_OK);
	json_decref(v);
}

static void strings(void **state)
{
	struct error e;
	const char *s;
	json_t *v = json_loads("{\"name\":\"王晓雨\",\"n\":5,\"ctl\":\"a\\u0001b\"}", 0, NULL);

	(void)state;
	assert_int_equal(json_get_string(v, "name", true, 1, 3, &s, &e), ERR_OK);
	assert_string_equal(s, "王晓雨");
	assert_int_equal(json_get_string(v, "name", true, 1, 2, &s, &e), ERR_INVALID);
	assert_string_equal(e.field, "name");
	assert_int_equal(json_get_string(v, "n", true, 1, 9, &s, &e), ERR_INVALID);
	assert_string_equal(e.message, "n must be a string");
	assert_int_equal(json_get_string(v, "ctl", true, 0, 9, &s, &e), ERR_INVALID);
	assert_int_equal(json_get_string(v, "missing", true, 0, 9, &s, &e), ERR_INVALID);
	assert_string_equal(e.message, "missing is required");
	assert_int_equal(json_get_string(v, "missing", false, 0, 9, &s, &e), ERR_OK);
	assert_null(s);
	json_decref(v);
}

static void integers(void **state)
{
	struct error e;
	json_int_t n = 0;
	bool present;
	json_t *v = json_loads(
		"{\"a\":42,\"f\":1.5,\"s\":\"7\",\"neg\":-1,\"big\":9007199254740993}", 0, NULL);

	(void)state;
	assert_int_equal(json_get_int(v, "a", true, 0, 100, &n, &present, &e), ERR_OK);
	assert_int_equal(n, 42);
	assert_true(present);
	assert_int_equal(json_get_int(v, "f", true, 0, 100, &n, NULL, &e), ERR_INVALID);
	assert_int_equal(json_get_int(v, "s", true, 0, 100, &n, NULL, &e), ERR_INVALID);
	assert_int_equal(json_get_int(v, "neg", true, 0, 100, &n, NULL, &e), ERR_INVALID);
	assert_string_equal(e.field, "neg");
	assert_int_equal(json_get_int(v, "big", true, 0, (json_int_t)1 << 53, &n, NULL, &e),
			 ERR_INVALID);
	assert_int_equal(json_get_int(v, "none", false, 0, 1, &n, &present, &e), ERR_OK);
	assert_false(present);
	json_decref(v);
}

static void utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("名师 ok", strlen("名师 ok")));
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));	 /* U+1F600 */
	assert_false(utf8_valid("\xc0\xaf", 2));	 /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));	 /* surrogate U+D800 */
	assert_false(utf8_valid("\xe5\x90", 2));	 /* truncated */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	assert_false(utf8_valid("\x80", 1));		 /* lone continuation */
	assert_int_equal(utf8_chars("名师工作室"), 5);
}

static void error_body(void **state)
{
	struct error e;
	json_t *b;
	char *s;

	(void)state;
	error_set(&e, ERR_INVALID, "username", "username is required");
	b = json_error_body(&e);
	s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"validation_failed\",\"field\":\"username\","
			       "\"message\":\"username is required\"}}");
	free(s);
	json_decref(b);
	error_set(&e, ERR_CONFLICT, NULL, NULL);
	e.code = "full";
	b = json_error_body(&e);
	s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"error\":{\"code\":\"full\",\"message\":\"the request conflicts "
			       "with the current state\"}}");
	free(s);
	json_decref(b);
	/* a message cut inside a multi-byte character still makes valid JSON */
	error_set(&e, ERR_INVALID, "名", "%.4s", "名师");
	b = json_error_body(&e);
	assert_non_null(b);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(b, "error"), "message")), "名");
	json_decref(b);
}

static void status_map(void **state)
{
	struct error e;

	(void)state;
	assert_int_equal(err_status(ERR_INVALID_JSON), 400);
	assert_int_equal(err_status(ERR_UNAUTHENTICATED), 401);
	assert_int_equal(err_status(ERR_CSRF), 403);
	assert_int_equal(err_status(ERR_METHOD), 405);
	assert_int_equal(err_status(ERR_TOO_LARGE), 413);
	assert_int_equal(err_status(ERR_MEDIA_TYPE), 415);
	assert_int_equal(err_status(ERR_RATE_LIMITED), 429);
	assert_int_equal(err_status(ERR_DB), 500);
	assert_int_equal(err_status(ERR_UNAVAILABLE), 503);
	error_set(&e, ERR_CSRF, NULL, NULL);
	assert_string_equal(err_code(&e), "csrf");
	assert_string_equal(err_ws_code(&e), "forbidden");
	error_set(&e, ERR_INVALID_JSON, NULL, NULL);
	assert_string_equal(err_ws_code(&e), "invalid");
}

/* ---- json_dump against jansson ------------------------------------------------------- */

/* json_dump(v) must give exactly json_dumps(v, JSON_COMPACT): both NULL, or the same bytes. */
static void assert_dumps_like_jansson(const json_t *v)
{
	char *ours, *theirs = json_dumps(v, JSON_COMPACT);
	size_t len = 12345;

	ours = json_dump(v, &len);
	if (!theirs) {
		assert_null(ours);
		return;
	}
	assert_non_null(ours);
	assert_string_equal(ours, theirs);
	assert_int_equal(len, strlen(theirs));
	free(ours);
	free(theirs);
}

static void dump_fixed(void **state)
{
	char controls[33];
	json_t *v, *o;

	(void)state;
	for (int i = 0; i < 32; i++)
		controls[i] = (char)(i + 1 < 32 ? i + 1 : 0x7f);
	controls[32] = 0;
	v = json_pack("{s:s, s:s, s:s, s:[], s:{}, s:[I, I, I, I], s:[b, b, n], s:s}", "q",
		      "say \"hi\" \\ / done", "zh", "李明华 · 名师工作室 😀", "sep",
		      "a\xe2\x80\xa8z", "empty_a", "empty_o", "ints", (json_int_t)0, (json_int_t)-1,
		      (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, "lit", 1, 0, "c", controls);
	assert_dumps_like_jansson(v);
	/* a NUL inside a string, keys that need escaping, reals */
	o = json_object();
	json_object_set_new(o, "nul", json_stringn("a\0b", 3));
	json_object_set_new(o, "k\"e\\y\n", json_integer(7));
	json_object_set_new(o, "reals", json_pack("[f, f, f, f, f]", 0.5, 3.0, -0.0, 1e300, 0.1));
	json_object_set_new(v, "more", o);
	assert_dumps_like_jansson(v);
	{
		char *text = json_dump(v, NULL);

		assert_non_null(strstr(text, "\"nul\":\"a\\u0000b\""));
		assert_non_null(strstr(text, "\"c\":\"\\u0001\\u0002"));
		free(text);
	}
	json_decref(v);
}

static void dump_refused(void **state)
{
	static const char *const BAD[] = { "\xff",	   "\xc0\xaf",	       "\xe0\x80\xaf",
					   "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xb8",
					   "ok\x80" };
	json_t *v;

	(void)state;
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		v = json_pack("[o]", json_string_nocheck(BAD[i])); /* invalid UTF-8 */
		assert_null(json_dump(v, NULL));
		assert_dumps_like_jansson(v);
		json_decref(v);
	}
	v = json_string("top-level scalars are not documents");
	assert_null(json_dump(v, NULL));
	assert_dumps_like_jansson(v);
	json_decref(v);
}

/* A random value from a small alphabet that hits every escape, multi-byte sequences and
 * nesting; xorshift keeps the run reproducible. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static json_t *random_string(void)
{
	static const char *const PIECES[] = { "a",    "Z",  " ",  "\"",	  "\\",
					      "/",    "\n", "\t", "\x01", "\x1f",
					      "\x7f", "é",  "名", "😀",	  "\xe2\x80\xa8",
					      "{}" };
	char buf[256] = "";
	size_t n = rnd(12);

	for (size_t i = 0; i < n; i++)
		strcat(buf, PIECES[rnd(sizeof(PIECES) / sizeof(PIECES[0]))]);
	return json_string(buf);
}

static json_t *random_value(int depth)
{
	json_t *v;
	char key[8];

	switch (depth > 3 ? rnd(6) : rnd(8)) {
	case 0:
		return random_string();
	case 1:
		return json_integer(
			(json_int_t)(rnd(2) ? rnd(1000) : -(int64_t)rnd(1u << 31) * 4099));
	case 2:
		return json_real((double)rnd(100000) / 64.0);
	case 3:
		return json_boolean(rnd(2));
	case 4:
		return json_null();
	case 5:
		return json_string("");
	case 6:
		v = json_array();
		for (uint32_t i = rnd(5); i > 0; i--)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (uint32_t i = rnd(5); i > 0; i--) {
			json_t *k = random_string();

			snprintf(key, sizeof(key), "%u", rnd(50));
			json_object_set_new(v, rnd(2) ? key : json_string_value(k),
					    random_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

static void dump_random(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		json_t *v = json_pack("{s:o}", "v", random_value(0));

		assert_dumps_like_jansson(v);
		json_decref(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("json-1.1 bodies must be one valid JSON object", parse),
		TEST("json-1.2 unknown fields are named", unknown_fields),
		TEST("json-1.3 strings: type, length in characters, controls", strings),
		TEST("json-1.4 integers: type and range", integers),
		TEST("json-1.5 UTF-8 validation", utf8),
		TEST("json-1.6 error bodies have the DESIGN §6 shape", error_body),
		TEST("json-1.7 one table maps errors to status and codes", status_map),
		TEST("json-2.1 json_dump writes jansson's compact bytes: escapes, UTF-8, numbers",
		     dump_fixed),
		TEST("json-2.2 json_dump refuses invalid UTF-8 and non-documents, as jansson does",
		     dump_refused),
		TEST("json-2.3 json_dump matches jansson on 3 000 random documents", dump_random),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
