/* Universities; see university.h. */
#include "domain/university.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "domain/audit.h"

#define VF(name_, type_, member, min_, max_, flags_)                                             \
	{                                                                                        \
		name_, type_, FIELD_AT(struct university, member), .min = (min_), .max = (max_), \
								   .flags = (flags_) | F_IN      \
	}

const struct field UNIVERSITY_FIELDS[] = {
	VF("name", F_TEXT, name, 2, UNIVERSITY_NAME_MAX, F_REQUIRED),
	VF("code", F_TEXT, code, 1, UNIVERSITY_CODE_MAX, F_REQUIRED),
	FIELD_END,
};

#define COLS                                  \
	"v.id, v.name, v.code, v.created_at," \
	" (SELECT count(*) FROM studios s WHERE s.university_id = v.id)"

static void row_to(sqlite3_stmt *st, struct university *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, u->name, sizeof(u->name));
	db_col_text(st, 2, u->code, sizeof(u->code));
	snprintf(u->created_at, sizeof(u->created_at), "%s",
		 (const char *)sqlite3_column_text(st, 3));
	u->studio_count = sqlite3_column_int64(st, 4);
}

static enum err fetch_one(sqlite3_stmt *st, struct university *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		row_to(st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err university_get(struct db *db, int64_t id, struct university *out)
{
	static const char SQL[] = "SELECT " COLS " FROM universities v WHERE v.id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(st, out);
}

enum err university_by_code(struct db *db, const char *code, struct university *out)
{
	static const char SQL[] = "SELECT " COLS " FROM universities v WHERE v.code = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	return fetch_one(st, out);
}

enum err university_list(struct db *db, int64_t limit, int64_t offset,
			 void (*fn)(const struct university *u, void *ctx), void *ctx,
			 int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM universities";
	static const char SQL[] =
		"SELECT " COLS " FROM universities v ORDER BY v.code LIMIT ?1 OFFSET ?2";
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct university u;
	int rc;

	*total = 0;
	if (!st)
		return ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(st);
	st = db_stmt(db, SQL);
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, limit);
	sqlite3_bind_int64(st, 2, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to(st, &u);
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
	static const char SQL[] = "INSERT INTO universities (name, code) VALUES (?1, ?2)";
	sqlite3_stmt *st;
	int rc;

	if (check(u, e) != ERR_OK)
		return e->err;
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->code, -1, SQLITE_STATIC);
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
	static const char SQL[] = "UPDATE universities SET name = ?2, code = ?3 WHERE id = ?1";
	sqlite3_stmt *st;
	enum err r = university_get(db, id, out);
	int rc;

	if (r != ERR_OK)
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such university" : NULL);
	if (set & fields_bit(UNIVERSITY_FIELDS, "name"))
		memcpy(out->name, patch->name, sizeof(out->name));
	if (set & fields_bit(UNIVERSITY_FIELDS, "code"))
		memcpy(out->code, patch->code, sizeof(out->code));
	if (check(out, e) != ERR_OK)
		return e->err;
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, out->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, out->code, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return taken(db, out, e);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	return audit_appendf(db, actor, "university.update", "university", id, e, "{s:s, s:s}",
			     "name", out->name, "code", out->code);
}
