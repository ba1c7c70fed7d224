/* Stored sessions; see session.h. */
#include "domain/session.h"

#include <stdio.h>
#include <string.h>

enum err session_lookup(struct db *db, const uint8_t hash[32], int64_t now, struct session *s,
			struct user *u)
{
	static const char SQL[] =
		"SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at"
		" FROM sessions s JOIN users u ON u.id = s.user_id"
		" WHERE s.token_hash = ?1 AND u.disabled = 0"
		" AND s.last_seen_at > ?2 - ?3 AND s.created_at > ?2 - ?4";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, SESSION_IDLE_SECS);
	sqlite3_bind_int64(st, 4, SESSION_MAX_SECS);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		db_done(st);
		return rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
	}
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->user_id = sqlite3_column_int64(st, 1);
	db_col_text(st, 2, s->csrf, sizeof(s->csrf));
	s->created_at = sqlite3_column_int64(st, 3);
	s->last_seen_at = sqlite3_column_int64(st, 4);
	db_done(st);
	return user_by_id(db, s->user_id, u);
}

enum err session_insert(struct db *db, const uint8_t hash[32], struct session *s)
{
	static const char SQL[] =
		"INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
		" VALUES (?1, ?2, ?3, ?4, ?4)";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->user_id);
	sqlite3_bind_text(st, 3, s->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->created_at);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return db_err(rc);
	s->id = sqlite3_last_insert_rowid(db->h);
	s->last_seen_at = s->created_at;
	return ERR_OK;
}

enum err session_delete(struct db *db, const uint8_t hash[32])
{
	static const char SQL[] = "DELETE FROM sessions WHERE token_hash = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return db_step_done(st);
}

enum err session_delete_user(struct db *db, int64_t user_id, int64_t keep_id)
{
	static const char SQL[] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, keep_id);
	return db_step_done(st);
}

enum err session_touch(struct db *db, int64_t session_id, int64_t now)
{
	static const char SQL[] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, session_id);
	sqlite3_bind_int64(st, 2, now);
	return db_step_done(st);
}

enum err session_purge(struct db *db, int64_t now, int *n)
{
	static const char SQL[] =
		"DELETE FROM sessions WHERE last_seen_at <= ?1 - ?2 OR created_at <= ?1 - ?3";
	sqlite3_stmt *st = db_stmt(db, SQL);
	enum err r;

	*n = 0;
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, SESSION_IDLE_SECS);
	sqlite3_bind_int64(st, 3, SESSION_MAX_SECS);
	r = db_step_done(st);
	if (r == ERR_OK)
		*n = sqlite3_changes(db->h);
	return r;
}
