/* Achievements; see achievement.h. */
#include "domain/achievement.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/audit.h"

static const char *const KINDS[] = { "paper", "award", "course", "teaching_case", "other", NULL };

#define AF(name_, type_, member, min_, max_, opts, flags_)                                        \
	{                                                                                         \
		name_, type_, FIELD_AT(struct achievement, member),                               \
			.min = (min_), .max = (max_), .options = (opts), .flags = (flags_) | F_IN \
	}

const struct field ACHIEVEMENT_FIELDS[] = {
	AF("kind", F_ENUM, kind, 0, 0, KINDS, F_REQUIRED),
	AF("title", F_TEXT, title, 1, 200, NULL, F_REQUIRED),
	AF("achieved_on", F_DATE, achieved_on, 0, 0, NULL, F_REQUIRED),
	AF("description", F_TEXT, description, 0, 4000, NULL, F_NULLABLE),
	AF("link", F_TEXT, link, 0, 500, NULL, F_NULLABLE),
	FIELD_END,
};

#define COLS "id, studio_id, kind, title, achieved_on, description, link, created_by, created_at"

static void row_to(sqlite3_stmt *st, struct achievement *a)
{
	a->id = sqlite3_column_int64(st, 0);
	a->studio_id = sqlite3_column_int64(st, 1);
	db_col_text(st, 2, a->kind, sizeof(a->kind));
	db_col_text(st, 3, a->title, sizeof(a->title));
	db_col_text(st, 4, a->achieved_on, sizeof(a->achieved_on));
	db_col_text(st, 5, a->description, sizeof(a->description));
	db_col_text(st, 6, a->link, sizeof(a->link));
	a->created_by = sqlite3_column_int64(st, 7);
	db_col_text(st, 8, a->created_at, sizeof(a->created_at));
}

enum err achievement_get(struct db *db, int64_t id, struct achievement *out)
{
	static const char SQL[] = "SELECT " COLS " FROM achievements WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to(st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err achievement_list(struct db *db, int64_t studio_id, int64_t limit, int64_t offset,
			  void (*fn)(const struct achievement *a, void *ctx), void *ctx,
			  int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM achievements WHERE studio_id = ?1";
	static const char SQL[] = "SELECT " COLS " FROM achievements WHERE studio_id = ?1"
				  " ORDER BY achieved_on DESC, id DESC LIMIT ?2 OFFSET ?3";
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
	st = db_stmt(db, SQL);
	a = malloc(sizeof(*a));
	if (!st || !a) {
		free(a);
		return st ? ERR_NOMEM : ERR_DB;
	}
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to(st, a);
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
	static const char SQL[] =
		"INSERT INTO achievements (studio_id, kind, title, achieved_on, description, link,"
		" created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st;
	int rc;

	if (check(a, e) != ERR_OK)
		return e->err;
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, a->studio_id);
	sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->achieved_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->link, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, actor);
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
	static const char SQL[] =
		"UPDATE achievements SET kind = ?2, title = ?3, achieved_on = ?4, description = ?5,"
		" link = ?6 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc;

	if (achievement_get(db, id, out) != ERR_OK || out->studio_id != studio_id)
		return error_set(e, ERR_NOT_FOUND, NULL, "no such achievement in this studio");
	fields_apply(ACHIEVEMENT_FIELDS, out, patch, set, NULL);
	if (check(out, e) != ERR_OK)
		return e->err;
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, out->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, out->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, out->achieved_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, out->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, out->link, -1, SQLITE_STATIC);
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
