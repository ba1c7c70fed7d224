/* Achievements; see achievement.h. */
#include "domain/achievement.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/audit.h"

static const char *const KINDS[] = { "paper", "award", "course", "teaching_case", "other", NULL };

#define A(field) FIELD_AT(struct achievement, field)

/* An achievement's fields, in the order its JSON shows them. */
/* clang-format off */
const struct field ACHIEVEMENT_FIELDS[] = {
	{ "id", F_ID, A(id), .sql = "a.id" },
	{ "studio_id", F_ID, A(studio_id), .flags = F_INSERT, .sql = "a.studio_id" },
	{ "kind", F_ENUM, A(kind), .options = KINDS, .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "a.kind" },
	{ "title", F_TEXT, A(title), .min = 1, .max = 200, .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "a.title" },
	{ "achieved_on", F_DATE, A(achieved_on), .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "a.achieved_on" },
	{ "description", F_TEXT, A(description), .max = 4000, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "a.description" },
	{ "link", F_TEXT, A(link), .max = 500, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "a.link" },
	{ "created_by", F_ID, A(created_by), .flags = F_INSERT, .sql = "a.created_by" },
	{ "created_at", F_TEXT, A(created_at), .sql = "a.created_at" },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table ACHIEVEMENT_TABLE = { ACHIEVEMENT_FIELDS, "achievements",
					       " FROM achievements a", &cache };

enum err achievement_get(struct db *db, int64_t id, struct achievement *out)
{
	static struct field_sql SQL = FIELD_SELECT(&ACHIEVEMENT_TABLE, " WHERE a.id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fields_read(&SQL, st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err achievement_list(struct db *db, int64_t studio_id, int64_t limit, int64_t offset,
			  void (*fn)(const struct achievement *a, void *ctx), void *ctx,
			  int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM achievements WHERE studio_id = ?1";
	static struct field_sql SQL = FIELD_SELECT(
		&ACHIEVEMENT_TABLE, " WHERE a.studio_id = ?1"
				    " ORDER BY a.achieved_on DESC, a.id DESC LIMIT ?2 OFFSET ?3");
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct achievement *a;
	int rc;

	*total = 0;
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, studio_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(st);
	st = fields_stmt(db, &SQL);
	a = malloc(sizeof(*a));
	if (!st || !a) {
		free(a);
		return st ? ERR_NOMEM : ERR_DB;
	}
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fields_read(&SQL, st, a);
		fn(a, ctx);
	}
	db_done(st);
	free(a);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

static enum err check(const struct achievement *a, struct error *e)
{
	if (a->link[0] && strncmp(a->link, "https://", 8) && strncmp(a->link, "http://", 7))
		return error_set(e, ERR_INVALID, "link",
				 "link must start with https:// or http://");
	return ERR_OK;
}

enum err achievement_insert(struct db *db, struct achievement *a, int64_t actor, struct error *e)
{
	static struct field_sql SQL = FIELD_INSERT(&ACHIEVEMENT_TABLE, 0, "");
	sqlite3_stmt *st;
	int rc;

	if (check(a, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	a->created_by = actor;
	fields_bind(&SQL, st, a);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	a->id = sqlite3_last_insert_rowid(db->h);
	if (achievement_get(db, a->id, a) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return audit_appendf(db, actor, "achievement.create", "studio", a->studio_id, e,
			     "{s:I, s:s, s:s}", "achievement_id", (json_int_t)a->id, "kind",
			     a->kind, "title", a->title);
}

enum err achievement_update(struct db *db, int64_t studio_id, int64_t id,
			    const struct achievement *patch, uint64_t set, int64_t actor,
			    struct achievement *out, struct error *e)
{
	static struct field_sql SQL = FIELD_UPDATE(&ACHIEVEMENT_TABLE, 1, " WHERE id = ?1");
	sqlite3_stmt *st;
	int rc;

	if (achievement_get(db, id, out) != ERR_OK || out->studio_id != studio_id)
		return error_set(e, ERR_NOT_FOUND, NULL, "no such achievement in this studio");
	fields_apply(ACHIEVEMENT_FIELDS, out, patch, set, NULL);
	if (check(out, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	fields_bind(&SQL, st, out);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	return audit_appendf(db, actor, "achievement.update", "studio", studio_id, e, "{s:I}",
			     "achievement_id", (json_int_t)id);
}

enum err achievement_delete(struct db *db, int64_t studio_id, int64_t id, int64_t actor,
			    struct error *e)
{
	static const char SQL[] = "DELETE FROM achievements WHERE id = ?1 AND studio_id = ?2";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, studio_id);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	if (sqlite3_changes(db->h) == 0)
		return error_set(e, ERR_NOT_FOUND, NULL, "no such achievement in this studio");
	return audit_appendf(db, actor, "achievement.delete", "studio", studio_id, e, "{s:I}",
			     "achievement_id", (json_int_t)id);
}
