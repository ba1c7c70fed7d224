/* core/fields: table-driven validation of request fields (DESIGN §6), and what a field table
 * derives: SQL statements, rows read and bound, JSON views (fields-3.x, on a small table of
 * their own in :memory:). */
#include "testutil.h"

#include <pthread.h>
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

#define T(field) FIELD_AT(struct thing, field)

static const struct field SPEC[] = {
	{ "name", F_TEXT, T(name), .min = 2, .max = 10, .flags = F_IN | F_REQUIRED },
	{ "count", F_INT, T(count), .min = 1, .max = 200, .flags = F_IN },
	{ "parent", F_ID, T(parent), .flags = F_IN | F_NULLABLE },
	{ "flag", F_BOOL, T(flag), .flags = F_IN },
	{ "day", F_DATE, T(day), .flags = F_IN },
	{ "colour", F_ENUM, T(colour), .options = COLOURS, .flags = F_IN },
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

/* ---- what a table derives (fields-3.x) ------------------------------------------------- */

/* A gadget belongs to an owner, who has a place: two levels of nesting in its views. */
struct gadget {
	int64_t id;
	char name[41];
	int64_t owner_id;
	char owner_name[41];
	int64_t place_id;
	char place_name[41];
	int colour; /* F_CODE of COLOUR_CODES */
	bool ready;
	char made_on[11];
	int64_t siblings;
	char notes[101];
	char secret[41];
	char updated_at[24];
	int64_t weight; /* only in GADGET2: the column added later */
};

static const char *const COLOUR_CODES[] = { "", "red", "green", NULL };

#define G(field) FIELD_AT(struct gadget, field)
#define GADGET_FROM \
	" FROM gadgets g LEFT JOIN owners o ON o.id = g.owner_id LEFT JOIN places p ON p.id = o.place_id"
/* A table reads best laid out by hand. */
/* clang-format off */
#define GADGET_ROWS								\
	{ "id", F_ID, G(id), .sql = "g.id" },					\
	{ "name", F_TEXT, G(name), .min = 1, .max = 40, .flags = F_IN | F_STORED,	\
	  .views = V_MAIN | V_SIDE, .sql = "g.name" },				\
	{ "owner_id", F_ID, G(owner_id),						\
	  .flags = F_IN | F_NULLABLE | F_STORED | F_ZERO_NULL,			\
	  .sql = "g.owner_id", .json = "owner.id" },					\
	{ "owner_name", F_TEXT, G(owner_name), .sql = "o.name", .json = "owner.name" },	\
	{ "place_id", F_ID, G(place_id), .flags = F_ZERO_NULL, .sql = "o.place_id",	\
	  .json = "owner.place.id" },							\
	{ "place_name", F_TEXT, G(place_name), .flags = F_ZERO_NULL, .sql = "p.name",	\
	  .json = "owner.place.name" },						\
	{ "colour", F_CODE, G(colour), .options = COLOUR_CODES,			\
	  .flags = F_IN | F_STORED, .sql = "g.colour" },				\
	{ "ready", F_BOOL, G(ready), .flags = F_IN | F_STORED, .sql = "g.ready" },	\
	{ "made_on", F_DATE, G(made_on), .flags = F_IN | F_STORED | F_ZERO_NULL,	\
	  .sql = "g.made_on" },								\
	{ "siblings", F_INT, G(siblings),						\
	  .sql = "(SELECT count(*) FROM gadgets x WHERE x.owner_id = g.owner_id)" },	\
	{ "notes", F_TEXT, G(notes), .max = 100, .flags = F_IN | F_STORED,		\
	  .views = V_FULL, .sql = "g.notes" },						\
	{ "secret", F_TEXT, G(secret), .flags = F_INSERT | F_HIDDEN, .sql = "g.secret" },\
	{ "updated_at", F_TEXT, G(updated_at), .flags = F_UPDATE | F_NOW,		\
	  .views = V_SIDE, .sql = "g.updated_at" }
/* clang-format on */

static const struct field GADGET_FIELDS[] = { GADGET_ROWS, FIELD_END };
static struct field_cache gadget_cache;
static const struct field_table GADGET = { GADGET_FIELDS, "gadgets", GADGET_FROM, &gadget_cache };

/* The same table with one more column, as a migration and one table row would add it. */
static const struct field GADGET2_FIELDS[] = {
	GADGET_ROWS,
	{ "weight", F_INT, G(weight), .max = 1000, .flags = F_IN | F_STORED, .sql = "g.weight" },
	FIELD_END,
};
static struct field_cache gadget2_cache;
static const struct field_table GADGET2 = { GADGET2_FIELDS, "gadgets", GADGET_FROM,
					    &gadget2_cache };

static void gadget_db(struct db *db)
{
	struct error e;

	log_set_level(LOG_ERROR);
	assert_int_equal(db_open(db, ":memory:", DB_READ_WRITE, &e), ERR_OK);
	test_exec(db, "CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;"
		      "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		      " place_id INTEGER REFERENCES places(id)) STRICT;"
		      "CREATE TABLE gadgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		      " owner_id INTEGER REFERENCES owners(id), colour TEXT NOT NULL,"
		      " ready INTEGER NOT NULL CHECK (ready IN (0, 1)), made_on TEXT,"
		      " notes TEXT NOT NULL DEFAULT '', secret TEXT NOT NULL DEFAULT '',"
		      " updated_at TEXT, weight INTEGER NOT NULL DEFAULT 0) STRICT;"
		      "INSERT INTO places VALUES (1, '郑州');"
		      "INSERT INTO owners VALUES (1, '李明', 1), (2, '王芳', NULL);");
}

static struct gadget *gadget_new(void)
{
	struct gadget *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	snprintf(g->name, sizeof(g->name), "\"扳手\" \\ 1");
	g->owner_id = 1;
	g->colour = 2;
	g->ready = true;
	snprintf(g->made_on, sizeof(g->made_on), "2026-02-28");
	snprintf(g->notes, sizeof(g->notes), "long notes");
	snprintf(g->secret, sizeof(g->secret), "s3cret");
	return g;
}

/* Runs q's INSERT of g: returns the new id. */
static int64_t gadget_insert(struct db *db, struct field_sql *q, const struct gadget *g)
{
	sqlite3_stmt *st = fields_stmt(db, q);

	assert_non_null(st);
	fields_bind(q, st, g);
	assert_int_equal(db_step_done(st), ERR_OK);
	return sqlite3_last_insert_rowid(db->h);
}

/* Reads gadget id with q into g. */
static void gadget_get(struct db *db, struct field_sql *q, int64_t id, struct gadget *g)
{
	sqlite3_stmt *st = fields_stmt(db, q);

	assert_non_null(st);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	fields_read(q, st, g);
	db_done(st);
}

static void *race_sql(void *arg)
{
	return (void *)fields_sql(arg);
}

static void sql_texts(void **state)
{
	static struct field_sql SELECT = FIELD_SELECT(&GADGET, " WHERE g.id = ?1");
	static struct field_sql BRIEF = FIELD_SELECT_BRIEF(&GADGET, " ORDER BY g.id");
	static struct field_sql ONLY = FIELD_SELECT_ONLY(&GADGET, "id colour ready", "");
	static struct field_sql INSERT = FIELD_INSERT(&GADGET, 0, " ON CONFLICT DO NOTHING");
	static struct field_sql UPDATE = FIELD_UPDATE(&GADGET, 1, " WHERE id = ?1");
	static struct field_sql RACED = FIELD_SELECT(&GADGET, " WHERE g.id = ?1");
	pthread_t th[4];
	void *got[4];
	const char *text;

	(void)state;
	text = fields_sql(&SELECT);
	assert_string_equal(text,
			    "SELECT g.id, g.name, g.owner_id, o.name, o.place_id, p.name,"
			    " g.colour, g.ready, g.made_on,"
			    " (SELECT count(*) FROM gadgets x WHERE x.owner_id = g.owner_id),"
			    " g.notes, g.secret, g.updated_at" GADGET_FROM " WHERE g.id = ?1");
	assert_ptr_equal(fields_sql(&SELECT), text); /* one address: db_stmt's cache key */
	assert_string_equal(fields_sql(&BRIEF),
			    "SELECT g.id, g.name, g.owner_id, o.name, o.place_id, p.name,"
			    " g.colour, g.ready, g.made_on,"
			    " (SELECT count(*) FROM gadgets x WHERE x.owner_id = g.owner_id),"
			    " g.secret, g.updated_at" GADGET_FROM " ORDER BY g.id");
	assert_string_equal(fields_sql(&ONLY), "SELECT g.id, g.colour, g.ready" GADGET_FROM);
	assert_string_equal(fields_sql(&INSERT),
			    "INSERT INTO gadgets (name, owner_id, colour, ready, made_on, notes,"
			    " secret) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING");
	assert_string_equal(fields_sql(&UPDATE),
			    "UPDATE gadgets SET name = ?2, owner_id = ?3, colour = ?4, ready = ?5,"
			    " made_on = ?6, notes = ?7,"
			    " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1");
	/* Threads that ask at once all get the one text that was published. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_sql, &RACED), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], &got[i]), 0);
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(got[i], fields_sql(&RACED));
	assert_string_equal(fields_sql(&RACED), text);
	assert_ptr_not_equal(fields_sql(&RACED), text); /* another statement, another key */
}

static void rows(void **state)
{
	static struct field_sql INSERT = FIELD_INSERT(&GADGET, 0, "");
	static struct field_sql SELECT = FIELD_SELECT(&GADGET, " WHERE g.id = ?1");
	static struct field_sql BRIEF = FIELD_SELECT_BRIEF(&GADGET, " WHERE g.id = ?1");
	static struct field_sql ONLY = FIELD_SELECT_ONLY(&GADGET, "id colour", " WHERE g.id = ?1");
	struct gadget *g = gadget_new(), *back = gadget_new();
	struct db db;
	int64_t id;

	(void)state;
	gadget_db(&db);
	id = gadget_insert(&db, &INSERT, g);
	gadget_get(&db, &SELECT, id, back);
	assert_int_equal(back->id, id);
	assert_string_equal(back->name, g->name);
	assert_int_equal(back->owner_id, 1);
	assert_string_equal(back->owner_name, "李明");
	assert_int_equal(back->place_id, 1);
	assert_string_equal(back->place_name, "郑州");
	assert_int_equal(back->colour, 2);
	assert_true(back->ready);
	assert_string_equal(back->made_on, "2026-02-28");
	assert_int_equal(back->siblings, 1);
	assert_string_equal(back->notes, "long notes");
	assert_string_equal(back->secret, "s3cret");
	assert_string_equal(back->updated_at, "");
	assert_int_equal(test_int(&db, "SELECT count(*) FROM gadgets WHERE colour = 'green'"
				       " AND ready = 1 AND secret = 's3cret'"),
			 1);
	/* Zero ids and empty F_ZERO_NULL text are NULL in SQL, and read back as 0 and "". */
	g->owner_id = 0;
	g->made_on[0] = '\0';
	g->ready = false;
	id = gadget_insert(&db, &INSERT, g);
	assert_int_equal(test_int(&db, "SELECT count(*) FROM gadgets WHERE owner_id IS NULL"
				       " AND made_on IS NULL AND ready = 0"),
			 1);
	gadget_get(&db, &SELECT, id, back);
	assert_int_equal(back->owner_id, 0);
	assert_string_equal(back->owner_name, "");
	assert_string_equal(back->made_on, "");
	assert_false(back->ready);
	/* A brief read clears what it does not read; so does a read of named fields. */
	gadget_get(&db, &BRIEF, id, back);
	assert_string_equal(back->notes, "");
	assert_string_equal(back->secret, "s3cret");
	gadget_get(&db, &ONLY, id, back);
	assert_int_equal(back->id, id);
	assert_int_equal(back->colour, 2);
	assert_string_equal(back->name, "");
	assert_string_equal(back->secret, "");
	db_close(&db);
	free(g);
	free(back);
}

static void update(void **state)
{
	static struct field_sql INSERT = FIELD_INSERT(&GADGET, 0, "");
	static struct field_sql UPDATE = FIELD_UPDATE(&GADGET, 1, " WHERE id = ?1");
	static struct field_sql SELECT = FIELD_SELECT(&GADGET, " WHERE g.id = ?1");
	struct gadget *g = gadget_new(), *back = gadget_new();
	sqlite3_stmt *st;
	struct db db;
	int64_t id;

	(void)state;
	gadget_db(&db);
	id = gadget_insert(&db, &INSERT, g);
	g->owner_id = 2;
	g->colour = 1;
	snprintf(g->name, sizeof(g->name), "锤子");
	snprintf(g->secret, sizeof(g->secret), "not stored by UPDATE");
	st = fields_stmt(&db, &UPDATE);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, id); /* the tail's ?1; the fields follow */
	fields_bind(&UPDATE, st, g);
	assert_int_equal(db_step_done(st), ERR_OK);
	gadget_get(&db, &SELECT, id, back);
	assert_string_equal(back->name, "锤子");
	assert_int_equal(back->owner_id, 2);
	assert_string_equal(back->owner_name, "王芳");
	assert_int_equal(back->place_id, 0);
	assert_int_equal(back->colour, 1);
	assert_string_equal(back->secret, "s3cret");
	assert_int_equal(strlen(back->updated_at), 20); /* 2026-11-27T08:00:00Z */
	db_close(&db);
	free(g);
	free(back);
}

/* fields_text() of view is want, and so is json_dump() of fields_json(). */
static void assert_view(const struct field_table *t, const void *rec, unsigned view,
			const char *want)
{
	struct json_text text = { 0 };
	json_t *v = fields_json(t, rec, view);
	char *a = json_dump(v, NULL), *b;

	fields_text(&text, t, rec, view);
	b = json_text_finish(&text, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, want);
	assert_string_equal(b, want);
	free(a);
	free(b);
	json_decref(v);
}

static void views(void **state)
{
	struct gadget *g = gadget_new();

	(void)state;
	g->id = 4;
	snprintf(g->owner_name, sizeof(g->owner_name), "李明");
	g->place_id = 1;
	snprintf(g->place_name, sizeof(g->place_name), "郑州");
	g->siblings = 3;
	snprintf(g->updated_at, sizeof(g->updated_at), "2026-11-27T08:00:00Z");
	assert_view(
		&GADGET, g, V_BRIEF,
		"{\"id\":4,\"name\":\"\\\"扳手\\\" \\\\ 1\",\"owner\":{\"id\":1,\"name\":\"李明\","
		"\"place\":{\"id\":1,\"name\":\"郑州\"}},\"colour\":\"green\",\"ready\":true,"
		"\"made_on\":\"2026-02-28\",\"siblings\":3}");
	assert_view(
		&GADGET, g, V_FULL,
		"{\"id\":4,\"name\":\"\\\"扳手\\\" \\\\ 1\",\"owner\":{\"id\":1,\"name\":\"李明\","
		"\"place\":{\"id\":1,\"name\":\"郑州\"}},\"colour\":\"green\",\"ready\":true,"
		"\"made_on\":\"2026-02-28\",\"siblings\":3,\"notes\":\"long notes\"}");
	assert_view(&GADGET, g, V_SIDE,
		    "{\"name\":\"\\\"扳手\\\" \\\\ 1\",\"updated_at\":\"2026-11-27T08:00:00Z\"}");
	/* Zero is null where the table says so; groups close before the next field. */
	g->owner_id = g->place_id = 0;
	g->owner_name[0] = g->place_name[0] = g->made_on[0] = '\0';
	g->colour = 0;
	assert_view(
		&GADGET, g, V_BRIEF,
		"{\"id\":4,\"name\":\"\\\"扳手\\\" \\\\ 1\",\"owner\":{\"id\":null,\"name\":\"\","
		"\"place\":{\"id\":null,\"name\":null}},\"colour\":\"\",\"ready\":true,"
		"\"made_on\":null,\"siblings\":3}");
	/* A value that is not UTF-8 fails the view, as json_pack() did. */
	snprintf(g->name, sizeof(g->name), "bad \xff");
	assert_null(fields_json(&GADGET, g, V_BRIEF));
	free(g);
}

/* One table row (and its migration: the test table has the column) is all a new column takes. */
static void added_column(void **state)
{
	static struct field_sql SELECT = FIELD_SELECT(&GADGET2, " WHERE g.id = ?1");
	static struct field_sql BRIEF = FIELD_SELECT_BRIEF(&GADGET2, " WHERE g.id = ?1");
	static struct field_sql INSERT = FIELD_INSERT(&GADGET2, 0, "");
	static struct field_sql UPDATE = FIELD_UPDATE(&GADGET2, 1, " WHERE id = ?1");
	struct gadget *g = gadget_new(), *back = gadget_new();
	struct json_text text = { 0 };
	json_t *body = json_loads("{\"weight\":250}", 0, NULL), *v;
	sqlite3_stmt *st;
	struct error e;
	struct db db;
	uint64_t set;
	char *s;

	(void)state;
	gadget_db(&db);
	assert_non_null(strstr(fields_sql(&SELECT), ", g.weight FROM"));
	assert_non_null(strstr(fields_sql(&BRIEF), ", g.weight FROM"));
	assert_non_null(strstr(fields_sql(&INSERT), ", secret, weight) VALUES"));
	assert_non_null(strstr(fields_sql(&UPDATE), ", weight = ?8 WHERE"));
	assert_int_equal(fields_parse(body, GADGET2_FIELDS, g, &set, false, &e), ERR_OK);
	assert_int_equal(set, fields_bit(GADGET2_FIELDS, "weight"));
	g->id = gadget_insert(&db, &INSERT, g);
	gadget_get(&db, &SELECT, g->id, back);
	assert_int_equal(back->weight, 250);
	g->weight = 300;
	st = fields_stmt(&db, &UPDATE);
	sqlite3_bind_int64(st, 1, g->id);
	fields_bind(&UPDATE, st, g);
	assert_int_equal(db_step_done(st), ERR_OK);
	gadget_get(&db, &BRIEF, g->id, back);
	assert_int_equal(back->weight, 300);
	for (unsigned view = V_BRIEF; view <= V_FULL; view <<= 1) {
		v = fields_json(&GADGET2, back, view);
		assert_int_equal(json_integer_value(json_object_get(v, "weight")), 300);
		json_decref(v);
		fields_text(&text, &GADGET2, back, view);
		s = json_text_finish(&text, NULL);
		assert_non_null(strstr(s, ",\"weight\":300}"));
		free(s);
	}
	json_decref(body);
	db_close(&db);
	free(g);
	free(back);
}

/* Requests set only F_IN fields; an F_CODE takes the texts of its codes, never "none". */
static void request_fields(void **state)
{
	static const struct {
		const char *json, *field;
	} BAD[] = {
		{ "{\"id\":5}", "id" },
		{ "{\"secret\":\"x\"}", "secret" },
		{ "{\"owner_name\":\"x\"}", "owner_name" },
		{ "{\"colour\":\"\"}", "colour" },
		{ "{\"colour\":\"blue\"}", "colour" },
		{ "{\"colour\":1}", "colour" },
	};
	struct gadget *g = gadget_new();
	json_t *o = json_loads("{\"colour\":\"red\",\"owner_id\":null}", 0, NULL);
	struct error e;
	uint64_t set;

	(void)state;
	assert_int_equal(fields_parse(o, GADGET_FIELDS, g, &set, false, &e), ERR_OK);
	assert_int_equal(g->colour, 1);
	assert_int_equal(g->owner_id, 0);
	json_decref(o);
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		o = json_loads(BAD[i].json, 0, NULL);
		error_clear(&e);
		assert_int_equal(fields_parse(o, GADGET_FIELDS, g, &set, false, &e), ERR_INVALID);
		assert_string_equal(e.field, BAD[i].field);
		json_decref(o);
	}
	free(g);
}

/* F_JSON: the value the text encodes, or the text when it does not parse. */
static void json_values(void **state)
{
	struct entry {
		int64_t id;
		const char *detail;
	};
	static const struct field ENTRY_FIELDS[] = {
		{ "id", F_ID, FIELD_AT(struct entry, id), .sql = "id" },
		{ "detail", F_JSON, FIELD_AT(struct entry, detail), .sql = "detail" },
		FIELD_END,
	};
	static struct field_cache cache;
	static const struct field_table ENTRY = { ENTRY_FIELDS, NULL, " FROM entries", &cache };
	struct entry a = { 1, "{\"b\":[1,2],\"a\":null}" };

	(void)state;
	assert_view(&ENTRY, &a, V_BRIEF, "{\"id\":1,\"detail\":{\"b\":[1,2],\"a\":null}}");
	a.detail = "{not json";
	assert_view(&ENTRY, &a, V_BRIEF, "{\"id\":1,\"detail\":\"{not json\"}");
	a.detail = NULL;
	assert_view(&ENTRY, &a, V_BRIEF, "{\"id\":1,\"detail\":{}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("fields-1.1 valid values land in the struct", good),
		TEST("fields-1.2 every kind of bad value names its field", bad),
		TEST("fields-1.3 calendar dates", dates),
		TEST("fields-1.4 patches apply only the fields sent; changes are real differences",
		     apply),
		TEST("fields-3.1 statement texts: columns in table order, the tail as written, one"
		     " address",
		     sql_texts),
		TEST("fields-3.2 a row bound and read back; zero ids and empty text are NULL",
		     rows),
		TEST("fields-3.3 an UPDATE binds after its tail's parameters and stamps F_NOW fields",
		     update),
		TEST("fields-3.4 views nest dotted keys, show zero as null, hide hidden and full-only"
		     " fields; text and jansson agree",
		     views),
		TEST("fields-3.5 a column added to a table shows up in SELECT, INSERT, UPDATE and the"
		     " views",
		     added_column),
		TEST("fields-3.6 requests set only F_IN fields; F_CODE takes its texts",
		     request_fields),
		TEST("fields-3.7 F_JSON shows the value its text encodes", json_values),
	};
	return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
