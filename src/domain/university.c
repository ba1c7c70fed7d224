/* Universities; see university.h. */
#include "domain/university.h"

#include <stddef.h>

#include "domain/audit.h"

#define V(field) FIELD_AT(struct university, field)

/* A university's fields, in the order its JSON shows them. */
/* clang-format off */
const struct field UNIVERSITY_FIELDS[] = {
	{ "id", F_ID, V(id), .sql = "v.id" },
	{ "name", F_TEXT, V(name), .min = 2, .max = UNIVERSITY_NAME_MAX,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "v.name" },
	{ "code", F_TEXT, V(code), .min = 1, .max = UNIVERSITY_CODE_MAX,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "v.code" },
	{ "studio_count", F_INT, V(studio_count),
	  .sql = "(SELECT count(*) FROM studios s WHERE s.university_id = v.id)" },
	{ "created_at", F_TEXT, V(created_at), .sql = "v.created_at" },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table UNIVERSITY_TABLE = { UNIVERSITY_FIELDS, "universities",
					      " FROM universities v", &cache };

static enum err fetch_one(struct field_sql *q, sqlite3_stmt *st, struct university *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		fields_read(q, st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err university_get(struct db *db, int64_t id, struct university *out)
{
	static struct field_sql SQL = FIELD_SELECT(&UNIVERSITY_TABLE, " WHERE v.id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(&SQL, st, out);
}

enum err university_by_code(struct db *db, const char *code, struct university *out)
{
	static struct field_sql SQL = FIELD_SELECT(&UNIVERSITY_TABLE, " WHERE v.code = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	return fetch_one(&SQL, st, out);
}

enum err university_list(struct db *db, int64_t limit, int64_t offset,
			 void (*fn)(const struct university *u, void *ctx), void *ctx,
			 int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM universities";
	static struct field_sql SQL =
		FIELD_SELECT(&UNIVERSITY_TABLE, " ORDER BY v.code LIMIT ?1 OFFSET ?2");
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct university u;
	int rc;

	*total = 0;
	if (!st)
		return ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(st);
	st = fields_stmt(db, &SQL);
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int64(st, 2, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fields_read(&SQL, st, &u);
		fn(&u, ctx);
	}
	db_done(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

static enum err check(const struct university *u, struct error *e)
{
	for (const char *p = u->code; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z')))
			return error_set(e, ERR_INVALID, "code",
					 "code uses letters and digits only");
	}
	return ERR_OK;
}

/* Which UNIQUE column a failed write hit. */
static enum err taken(struct db *db, const struct university *u, struct error *e)
{
	struct university other;

	if (university_by_code(db, u->code, &other) == ERR_OK && other.id != u->id)
		return error_set(e, ERR_CONFLICT, "code", "code %s is taken", u->code);
	return error_set(e, ERR_CONFLICT, "name", "a university named %s exists", u->name);
}

enum err university_insert(struct db *db, struct university *u, int64_t actor, struct error *e)
{
	static struct field_sql SQL = FIELD_INSERT(&UNIVERSITY_TABLE, 0, "");
	sqlite3_stmt *st;
	int rc;

	if (check(u, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	fields_bind(&SQL, st, u);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return taken(db, u, e);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	u->id = sqlite3_last_insert_rowid(db->h);
	return audit_appendf(db, actor, "university.create", "university", u->id, e, "{s:s, s:s}",
			     "name", u->name, "code", u->code);
}

enum err university_update(struct db *db, int64_t id, const struct university *patch, uint64_t set,
			   int64_t actor, struct university *out, struct error *e)
{
	static struct field_sql SQL = FIELD_UPDATE(&UNIVERSITY_TABLE, 1, " WHERE id = ?1");
	sqlite3_stmt *st;
	enum err r = university_get(db, id, out);
	int rc;

	if (r != ERR_OK)
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such university" : NULL);
	fields_apply(UNIVERSITY_FIELDS, out, patch, set, NULL);
	if (check(out, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	fields_bind(&SQL, st, out);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return taken(db, out, e);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	return audit_appendf(db, actor, "university.update", "university", id, e, "{s:s, s:s}",
			     "name", out->name, "code", out->code);
}
