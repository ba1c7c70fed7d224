/* core/fields: table-driven validation of request fields (DESIGN §6). */
#include "testutil.h"

#include <stddef.h>

#include "core/fields.h"

struct thing {
	char name[41];
	int64_t count;
	int64_t parent;
	bool flag;
	char day[11];
	char colour[8];
};

static const char *const COLOURS[] = { "red", "green", NULL };

static const struct field SPEC[] = {
	{ "name", F_TEXT, offsetof(struct thing, name), 41, 2, 10, NULL, F_REQUIRED },
	{ "count", F_INT, offsetof(struct thing, count), 8, 1, 200, NULL, 0 },
	{ "parent", F_ID, offsetof(struct thing, parent), 8, 0, 0, NULL, F_NULLABLE },
	{ "flag", F_BOOL, offsetof(struct thing, flag), 1, 0, 0, NULL, 0 },
	{ "day", F_DATE, offsetof(struct thing, day), 11, 0, 0, NULL, 0 },
	{ "colour", F_ENUM, offsetof(struct thing, colour), 8, 0, 0, COLOURS, 0 },
	FIELD_END,
};

static enum err parse(const char *json, struct thing *t, uint64_t *set, bool create,
		      struct error *e)
{
	json_t *o = json_loads(json, 0, NULL);
	enum err r;

	assert_non_null(o);
	memset(t, 0, sizeof(*t));
	r = fields_parse(o, SPEC, t, set, create, e);
	json_decref(o);
	return r;
}

static void good(void **state)
{
	struct thing t;
	struct error e;
	uint64_t set;

	(void)state;
	assert_int_equal(parse("{\"name\":\"工作室\",\"count\":6,\"parent\":null,\"flag\":true,"
			       "\"day\":\"2024-02-29\",\"colour\":\"red\"}",
			       &t, &set, true, &e),
			 ERR_OK);
	assert_string_equal(t.name, "工作室");
	assert_int_equal(t.count, 6);
	assert_int_equal(t.parent, 0);
	assert_true(t.flag);
	assert_string_equal(t.day, "2024-02-29");
	assert_string_equal(t.colour, "red");
	assert_int_equal(set, 0x3f);
	assert_int_equal(parse("{\"count\":7}", &t, &set, false, &e), ERR_OK);
	assert_int_equal(set, fields_bit(SPEC, "count"));
}

/* Each bad value is refused naming its field. */
static void bad(void **state)
{
	static const struct {
		const char *json, *field;
	} CASES[] = {
		{ "{\"count\":1}", "name" },		  /* missing on create */
		{ "{\"name\":\"x\"}", "name" },		  /* 1 character < 2 */
		{ "{\"name\":\"12345678901\"}", "name" }, /* 11 > 10 */
		{ "{\"name\":5}", "name" },
		{ "{\"name\":\"ok\",\"count\":0}", "count" },
		{ "{\"name\":\"ok\",\"count\":201}", "count" },
		{ "{\"name\":\"ok\",\"count\":1.5}", "count" },
		{ "{\"name\":\"ok\",\"count\":\"6\"}", "count" },
		{ "{\"name\":\"ok\",\"count\":null}", "count" }, /* not nullable */
		{ "{\"name\":\"ok\",\"parent\":-1}", "parent" },
		{ "{\"name\":\"ok\",\"parent\":9007199254740993}", "parent" },
		{ "{\"name\":\"ok\",\"flag\":1}", "flag" },
		{ "{\"name\":\"ok\",\"day\":\"2026-02-29\"}", "day" }, /* not a leap year */
		{ "{\"name\":\"ok\",\"day\":\"2026-13-01\"}", "day" },
		{ "{\"name\":\"ok\",\"day\":\"26-1-1\"}", "day" },
		{ "{\"name\":\"ok\",\"colour\":\"blue\"}", "colour" },
		{ "{\"name\":\"ok\",\"shape\":\"round\"}", "shape" }, /* unknown */
	};
	struct thing t;
	struct error e;
	uint64_t set;

	(void)state;
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		error_clear(&e);
		assert_int_equal(parse(CASES[i].json, &t, &set, true, &e), ERR_INVALID);
		assert_string_equal(e.field, CASES[i].field);
	}
}

/* A patch lands field by field; only real differences count as changes. */
static void apply(void **state)
{
	struct thing stored, patch;
	json_t *changed = json_array();
	char *names;

	(void)state;
	memset(&stored, 'x', sizeof(stored)); /* bytes after a NUL must not count */
	snprintf(stored.name, sizeof(stored.name), "工作室");
	stored.count = 6;
	memset(&patch, 0, sizeof(patch));
	snprintf(patch.name, sizeof(patch.name), "工作室");
	patch.count = 8;
	snprintf(patch.colour, sizeof(patch.colour), "red");
	assert_int_equal(fields_apply(SPEC, &stored, &patch,
				      fields_bit(SPEC, "name") | fields_bit(SPEC, "count"),
				      changed),
			 1);
	names = json_dumps(changed, JSON_COMPACT);
	assert_string_equal(names, "[\"count\"]");
	free(names);
	assert_int_equal(stored.count, 8);
	assert_int_equal(stored.colour[0], 'x'); /* not in the set: untouched */
	assert_int_equal(fields_apply(SPEC, &stored, &patch, fields_bit(SPEC, "count"), NULL), 0);
	json_decref(changed);
}

static void dates(void **state)
{
	(void)state;
	assert_true(date_valid("2000-02-29"));
	assert_false(date_valid("1900-02-29"));
	assert_true(date_valid("2026-12-31"));
	assert_false(date_valid("2026-04-31"));
	assert_false(date_valid("2026-1-01"));
	assert_false(date_valid("2026-01-01T00:00"));
	assert_false(date_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("fields-1.1 valid values land in the struct", good),
		TEST("fields-1.2 every kind of bad value names its field", bad),
		TEST("fields-1.3 calendar dates", dates),
		TEST("fields-1.4 patches apply only the fields sent; changes are real differences",
		     apply),
	};
	return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
