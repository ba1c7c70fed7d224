/* Field tables (DESIGN §6, STYLE 1): an entity lists its fields once, as an array of struct
 * field in its domain file, and that table drives every place that needs the list:
 *  - requests: fields_parse() checks a JSON object against the fields requests may set (F_IN):
 *    unknown fields, types, lengths in characters, ranges, enum values, calendar dates;
 *  - SQL: a SELECT's columns (each field's `sql` expression, in table order), an INSERT's
 *    columns and an UPDATE's SET list (F_INSERT, F_UPDATE), built once per statement
 *    (struct field_sql) and kept for the process, since db_stmt() caches by address; then
 *    fields_read() reads a row into the struct and fields_bind() binds the stored fields;
 *  - JSON: fields_json() builds the jansson view, fields_text() writes the same bytes straight
 *    as text for the hot paths; a dotted key ("master.id") nests consecutive fields.
 * A new column is one row in its entity's table plus its migration.
 *
 * What is derived from a table (statement texts, the views' plans) is built on first use by
 * whichever thread gets there, published with an atomic compare-and-swap, and never freed or
 * changed again: every thread then reads the same text at the same address. That is the only
 * mutable static state here, and it is write-once: derived constants, not shared state. */
#ifndef MINGSHI_CORE_FIELDS_H
#define MINGSHI_CORE_FIELDS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/json.h"

struct db;
struct sqlite3_stmt;

enum field_type {
	F_TEXT, /* char[size]: min..max characters */
	F_INT,	/* int64_t: min..max */
	F_ID,	/* int64_t: a positive id; null allowed with F_NULLABLE (stored as 0) */
	F_BOOL, /* bool; INTEGER 0/1 in SQL */
	F_DATE, /* char[11]: a real calendar date YYYY-MM-DD */
	F_ENUM, /* char[size]: one of options */
	F_CODE, /* an int-sized enum: the index of its text in options, which is what SQL and JSON
		 * hold; options[0] may be "" for "none" (never accepted; unknown text reads as 0) */
	F_JSON, /* const char *: JSON text borrowed from the row until the next step, shown as the
		 * value it encodes (its text if it does not parse); only read and shown */
};

enum field_flag {
	F_REQUIRED = 1 << 0, /* must be present when creating */
	F_NULLABLE = 1 << 1, /* JSON null is accepted (text → "", id → 0) */
	F_IN = 1 << 2,	     /* requests may set it: fields_parse() knows only these */
	F_INSERT = 1 << 3,   /* an INSERT stores it, in the column called name */
	F_UPDATE = 1 << 4,   /* an UPDATE stores it, in the column called name */
	F_NOW = 1 << 5,	     /* stored as the time of the write (SQL's clock), not bound from rec */
	F_ZERO_NULL = 1 << 6, /* 0 or "" is NULL in SQL and null in JSON */
	F_HIDDEN = 1 << 7,    /* never in JSON (password_hash) */
};
#define F_STORED (F_INSERT | F_UPDATE)

/* The JSON views of an entity (struct field.views): a field is in the views its mask names,
 * 0 meaning V_MAIN. A view takes a single bit. */
enum field_view {
	V_BRIEF = 1 << 0, /* a record in a list, or inside another record */
	V_FULL = 1 << 1,  /* one record on its own: V_BRIEF and the long fields */
	V_SIDE = 1 << 2,  /* a second face, e.g. a membership as its member sees it */
};
#define V_MAIN (V_BRIEF | V_FULL)
#define FIELD_VIEWS 3

/* How deep dotted JSON keys nest ("user.university.name" is 2 groups deep). */
#define FIELD_DEPTH_MAX 4

struct field {
	const char *name; /* the request key, the stored column, the name fields_bit() finds */
	enum field_type type;
	size_t offset; /* of the value in the entity's struct: FIELD_AT() */
	size_t size;
	int64_t min, max;	    /* request limits: characters of text, values of integers */
	const char *const *options; /* F_ENUM, F_CODE: NULL-terminated */
	unsigned flags;		    /* enum field_flag */
	unsigned views;		    /* enum field_view; 0: V_MAIN */
	const char *sql;	    /* the expression a SELECT reads it with; NULL: never read */
	const char *json;	    /* the JSON key, dotted to nest; NULL: name */
};

/* The place of field in struct T, for a table row: { "name", F_TEXT, FIELD_AT(…), … }. */
#define FIELD_AT(T, field) .offset = offsetof(T, field), .size = sizeof(((T *)0)->field)

#define FIELD_END            \
	{                    \
		.name = NULL \
	}

struct field_plan;

/* What core derives from a table for its views; zeroed static storage in the domain file. */
struct field_cache {
	_Atomic(struct field_plan *) plan[FIELD_VIEWS];
};

/* An entity: its fields (at most 64) and where SQL finds them. */
struct field_table {
	const struct field *fields;
	const char *table;	   /* what INSERT and UPDATE write: "studios" */
	const char *from;	   /* what the sql expressions read: " FROM studios s JOIN …" */
	struct field_cache *cache; /* borrowed for the process */
};

/* ---- requests ------------------------------------------------------------------------ */

/* Validates obj against the F_IN fields of spec and copies each present field into out. *set
 * gets bit i for spec[i] present. With `create`, F_REQUIRED fields must be present. Returns
 * ERR_OK or ERR_INVALID with e->field naming the field. Nothing is copied for a field that
 * fails, but earlier fields may have been: callers parse into a scratch copy. */
enum err fields_parse(json_t *obj, const struct field *spec, void *out, uint64_t *set, bool create,
		      struct error *e);

/* Copies into dst the fields of src marked in set (bits of spec) — how an update applies a
 * validated patch to the stored record. When changed is not NULL, the names of the fields
 * whose value differs are appended to it (a JSON array). Returns how many differ. */
size_t fields_apply(const struct field *spec, void *dst, const void *src, uint64_t set,
		    json_t *changed);

/* Sets f in rec to its zero value: 0, "", false, a null pointer. */
void fields_clear(const struct field *f, void *rec);

/* Whether records a and b hold the same value of f (text up to its NUL). */
bool fields_equal(const struct field *f, const void *a, const void *b);

/* The field called name in spec, or NULL. */
const struct field *fields_find(const struct field *spec, const char *name);

/* Bit of the field called name in spec (0 if none). */
uint64_t fields_bit(const struct field *spec, const char *name);

/* 1 if s is a real calendar date YYYY-MM-DD (1900–2199). */
int date_valid(const char *s);

/* 1 if s is one of options (NULL-terminated). */
int enum_valid(const char *s, const char *const *options);

/* F_CODE: the index of s among the non-empty options, -1 if none; and the text of code ("" if
 * it is none). */
int fields_code_of(const char *const *options, const char *s);
const char *fields_code_text(const char *const *options, int code);

/* ---- SQL ----------------------------------------------------------------------------- */

enum field_sql_kind {
	FS_SELECT,	 /* "SELECT <every field's sql>" from tail */
	FS_SELECT_BRIEF, /* the same without the fields only V_FULL shows (a list's long texts) */
	FS_INSERT,	 /* "INSERT INTO table (<F_INSERT>) VALUES (…)" tail */
	FS_UPDATE,	 /* "UPDATE table SET <F_UPDATE> = …" tail */
};

struct field_built;

/* One statement derived from a table: a static object in the domain function that runs it,
 * made with the FIELD_* initializers below. The tail (WHERE, ORDER BY, LIMIT, ON CONFLICT) is
 * literal SQL in the domain file; its parameters are ?1..?params, and the stored fields an
 * INSERT or UPDATE binds follow from ?params+1. */
struct field_sql {
	const struct field_table *table;
	enum field_sql_kind kind;
	const char *only; /* FS_SELECT: the names of the fields read, space-separated; NULL: all */
	int params;
	const char *tail;
	_Atomic(struct field_built *) built; /* on first use */
};

#define FIELD_SELECT(t, tail_)                                   \
	{                                                        \
		.table = (t), .kind = FS_SELECT, .tail = (tail_) \
	}
#define FIELD_SELECT_BRIEF(t, tail_)                                   \
	{                                                              \
		.table = (t), .kind = FS_SELECT_BRIEF, .tail = (tail_) \
	}
#define FIELD_SELECT_ONLY(t, names, tail_)                                        \
	{                                                                         \
		.table = (t), .kind = FS_SELECT, .only = (names), .tail = (tail_) \
	}
#define FIELD_INSERT(t, params_, tail_)                                               \
	{                                                                             \
		.table = (t), .kind = FS_INSERT, .params = (params_), .tail = (tail_) \
	}
#define FIELD_UPDATE(t, params_, tail_)                                               \
	{                                                                             \
		.table = (t), .kind = FS_UPDATE, .params = (params_), .tail = (tail_) \
	}

/* The statement's text, built on first use and then the same pointer for the life of the
 * process (safe from any thread). NULL, and logged, only when it cannot be built (no memory):
 * a later call tries again. */
const char *fields_sql(struct field_sql *q);

/* db_stmt() of fields_sql(q): NULL when either fails. */
struct sqlite3_stmt *fields_stmt(struct db *db, struct field_sql *q);

/* Reads the current row of st, a statement of q, into rec: every field q selects, in table
 * order from column 0; the table's other readable fields are cleared (0, "", false). Text is
 * copied (F_JSON excepted: borrowed until the next step). */
void fields_read(const struct field_sql *q, struct sqlite3_stmt *st, void *rec);

/* Binds the fields q stores (an FS_INSERT or FS_UPDATE statement) from rec, from parameter
 * ?params+1 on. Text is bound SQLITE_STATIC: rec must outlive the step. */
void fields_bind(const struct field_sql *q, struct sqlite3_stmt *st, const void *rec);

/* ---- JSON ---------------------------------------------------------------------------- */

/* The view (one bit of enum field_view) of rec as a new jansson object: the fields in that
 * view, in table order, nested by their dotted keys. NULL on failure (no memory, invalid
 * UTF-8), as json_pack() would. */
json_t *fields_json(const struct field_table *t, const void *rec, unsigned view);

/* The same view written into out: json_dump() of fields_json() byte for byte, without the tree
 * (appends only: the text between values is kept per field). A failure marks out failed. */
void fields_text(struct json_text *out, const struct field_table *t, const void *rec,
		 unsigned view);

/* The JSON value of f in rec as views show it (F_ZERO_NULL applied). New reference or NULL. */
json_t *fields_value(const struct field *f, const void *rec);

#endif
