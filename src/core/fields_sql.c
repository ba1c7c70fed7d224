/* Field tables: the SQL a table derives (statement texts, reading rows, binding values); see
 * fields.h. Statement texts are made from the table's literal column names and expressions and
 * the domain file's literal tail, never from request text. */
#include "core/fields.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/log.h"

/* An F_NOW field's value: the time of the write, as every stored time is written (migrations:
 * RFC 3339 UTC text). */
#define SQL_NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

/* A statement's text and the fields it reads or binds, fixed once published. */
struct field_built {
	uint64_t mask; /* bit i: fields[i] is a column of the SELECT / a value of the write */
	char text[];
};

/* ---- building ------------------------------------------------------------------------ */

/* Bit i of the fields named in `names` (space-separated); each must exist and be readable. */
static uint64_t mask_of_names(const struct field *fields, const char *names)
{
	uint64_t mask = 0;

	for (const char *p = names; *p;) {
		size_t n = strcspn(p, " ");
		size_t i = 0;

		while (fields[i].name &&
		       (strlen(fields[i].name) != n || strncmp(fields[i].name, p, n)))
			i++;
		assert(fields[i].name && fields[i].sql); /* a name the table reads */
		mask |= (uint64_t)1 << i;
		p += n + (p[n] == ' ');
	}
	return mask;
}

/* Which fields q reads (SELECT) or stores (INSERT, UPDATE). */
static uint64_t mask_of(const struct field_sql *q)
{
	const struct field *fields = q->table->fields;
	unsigned store = q->kind == FS_INSERT ? F_INSERT : F_UPDATE;
	uint64_t mask = 0;

	if (q->only)
		return mask_of_names(fields, q->only);
	for (size_t i = 0; fields[i].name; i++) {
		const struct field *f = &fields[i];
		bool in;

		assert(i < 64);
		if (q->kind == FS_SELECT || q->kind == FS_SELECT_BRIEF)
			in = f->sql && (q->kind == FS_SELECT || f->views != V_FULL);
		else
			in = (f->flags & store) != 0;
		if (in)
			mask |= (uint64_t)1 << i;
	}
	return mask;
}

/* "a, b, c": each field of mask as `what` says — its sql, its name, "?n", or "name = ?n" —
 * with ?n counted from ?params+1 (an F_NOW field takes SQL_NOW instead of a parameter). */
enum list_item { ITEM_SQL, ITEM_NAME, ITEM_VALUE, ITEM_SET };

static void put_list(struct json_text *t, const struct field_sql *q, uint64_t mask,
		     enum list_item what)
{
	const struct field *fields = q->table->fields;
	int param = q->params;
	char num[16];

	for (size_t i = 0, n = 0; fields[i].name; i++) {
		const struct field *f = &fields[i];

		if (!(mask & ((uint64_t)1 << i)))
			continue;
		json_text_raw(t, n++ ? ", " : "");
		if (what == ITEM_SQL) {
			json_text_raw(t, f->sql);
			continue;
		}
		if (what != ITEM_VALUE)
			json_text_raw(t, f->name);
		if (what == ITEM_NAME)
			continue;
		json_text_raw(t, what == ITEM_SET ? " = " : "");
		if (f->flags & F_NOW) {
			json_text_raw(t, SQL_NOW);
			continue;
		}
		snprintf(num, sizeof(num), "?%d", ++param);
		json_text_raw(t, num);
	}
}

/* The whole text of q (SQL text is plain bytes: json_text serves as the growing buffer). */
static char *build_text(const struct field_sql *q, uint64_t mask, size_t *len)
{
	const struct field_table *t = q->table;
	struct json_text s = { 0 };

	switch (q->kind) {
	case FS_SELECT:
	case FS_SELECT_BRIEF:
		json_text_raw(&s, "SELECT ");
		put_list(&s, q, mask, ITEM_SQL);
		json_text_raw(&s, t->from);
		break;
	case FS_INSERT:
		json_text_raw(&s, "INSERT INTO ");
		json_text_raw(&s, t->table);
		json_text_raw(&s, " (");
		put_list(&s, q, mask, ITEM_NAME);
		json_text_raw(&s, ") VALUES (");
		put_list(&s, q, mask, ITEM_VALUE);
		json_text_raw(&s, ")");
		break;
	case FS_UPDATE:
		json_text_raw(&s, "UPDATE ");
		json_text_raw(&s, t->table);
		json_text_raw(&s, " SET ");
		put_list(&s, q, mask, ITEM_SET);
		break;
	}
	json_text_raw(&s, q->tail ? q->tail : "");
	return json_text_finish(&s, len);
}

static struct field_built *build(const struct field_sql *q)
{
	uint64_t mask = mask_of(q);
	size_t len;
	char *text = build_text(q, mask, &len);
	struct field_built *b = text ? malloc(sizeof(*b) + len + 1) : NULL;

	if (b) {
		b->mask = mask;
		memcpy(b->text, text, len + 1);
	}
	free(text);
	return b;
}

/* Whoever builds first publishes; a thread that lost the race frees its copy and takes the
 * winner's, so every caller gets one address (db_stmt's key) for the process's life. */
static const struct field_built *built_of(struct field_sql *q)
{
	struct field_built *b = atomic_load_explicit(&q->built, memory_order_acquire), *none = NULL;

	if (b)
		return b;
	b = build(q);
	if (!b) {
		log_error("fields: no memory for a statement of %s",
			  q->table->table ? q->table->table : "?");
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&q->built, &none, b, memory_order_acq_rel,
						     memory_order_acquire)) {
		free(b);
		b = none;
	}
	return b;
}

const char *fields_sql(struct field_sql *q)
{
	const struct field_built *b = built_of(q);

	return b ? b->text : NULL;
}

struct sqlite3_stmt *fields_stmt(struct db *db, struct field_sql *q)
{
	const char *sql = fields_sql(q);

	return sql ? db_stmt(db, sql) : NULL;
}

/* ---- rows ---------------------------------------------------------------------------- */

static void read_one(const struct field *f, sqlite3_stmt *st, int col, char *rec)
{
	char *dst = rec + f->offset;
	int code;

	switch (f->type) {
	case F_INT:
	case F_ID:
		*(int64_t *)(void *)dst = sqlite3_column_int64(st, col);
		break;
	case F_BOOL:
		*(bool *)(void *)dst = sqlite3_column_int(st, col) != 0;
		break;
	case F_CODE:
		code = fields_code_of(f->options, (const char *)sqlite3_column_text(st, col));
		code = code < 0 ? 0 : code;
		memcpy(dst, &code, sizeof(code));
		break;
	case F_JSON:
		*(const char **)(void *)dst = (const char *)sqlite3_column_text(st, col);
		break;
	default:
		db_col_text(st, col, dst, f->size);
	}
}

void fields_read(const struct field_sql *q, sqlite3_stmt *st, void *rec)
{
	const struct field_built *b = atomic_load_explicit(&q->built, memory_order_acquire);
	const struct field *fields = q->table->fields;
	int col = 0;

	assert(b); /* st came from fields_stmt(q) */
	for (size_t i = 0; fields[i].name; i++) {
		if (!fields[i].sql)
			continue;
		if (b->mask & ((uint64_t)1 << i))
			read_one(&fields[i], st, col++, rec);
		else
			fields_clear(&fields[i], rec);
	}
}

static void bind_one(const struct field *f, sqlite3_stmt *st, int param, const char *rec)
{
	const char *v = rec + f->offset;
	int code;

	switch (f->type) {
	case F_INT:
	case F_ID:
		if ((f->flags & F_ZERO_NULL) && *(const int64_t *)(const void *)v == 0)
			sqlite3_bind_null(st, param);
		else
			sqlite3_bind_int64(st, param, *(const int64_t *)(const void *)v);
		break;
	case F_BOOL:
		sqlite3_bind_int(st, param, *(const bool *)(const void *)v);
		break;
	case F_CODE:
		memcpy(&code, v, sizeof(code));
		sqlite3_bind_text(st, param, fields_code_text(f->options, code), -1, SQLITE_STATIC);
		break;
	case F_JSON:
		assert(!"F_JSON is never stored");
		break;
	default:
		if ((f->flags & F_ZERO_NULL) && !v[0])
			sqlite3_bind_null(st, param);
		else
			sqlite3_bind_text(st, param, v, -1, SQLITE_STATIC);
	}
}

void fields_bind(const struct field_sql *q, sqlite3_stmt *st, const void *rec)
{
	const struct field_built *b = atomic_load_explicit(&q->built, memory_order_acquire);
	const struct field *fields = q->table->fields;
	int param = q->params;

	assert(b && (q->kind == FS_INSERT || q->kind == FS_UPDATE));
	for (size_t i = 0; fields[i].name; i++) {
		if ((b->mask & ((uint64_t)1 << i)) && !(fields[i].flags & F_NOW))
			bind_one(&fields[i], st, ++param, rec);
	}
}
