/* Users; see user.h. */
#include "domain/user.h"

#include <stdio.h>
#include <string.h>

#include "domain/audit.h"
#include "domain/session.h"

static const char *const ROLE_NAMES[ROLE__COUNT] = {
	[ROLE_NONE] = "",
	[ROLE_ADMIN] = "admin",
	[ROLE_UNIVERSITY_ADMIN] = "university_admin",
	[ROLE_MASTER] = "master",
	[ROLE_TEACHER] = "teacher",
	[ROLE_EXPERT] = "expert",
};

const char *role_name(enum role r)
{
	return r > ROLE_NONE && r < ROLE__COUNT ? ROLE_NAMES[r] : "";
}

enum role role_parse(const char *s)
{
	for (int r = ROLE_NONE + 1; s && r < ROLE__COUNT; r++) {
		if (!strcmp(ROLE_NAMES[r], s))
			return (enum role)r;
	}
	return ROLE_NONE;
}

enum err user_check_username(const char *s, struct error *e)
{
	size_t n = s ? strlen(s) : 0;

	if (n < USERNAME_MIN || n > USERNAME_MAX)
		return error_set(e, ERR_INVALID, "username", "username must be %d to %d characters",
				 USERNAME_MIN, USERNAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 (i > 0 && (c == '_' || c == '.' || c == '-'));

		if (!ok)
			return error_set(e, ERR_INVALID, "username",
					 "username may use a-z, 0-9 and _ . - (not first)");
	}
	return ERR_OK;
}

#define USER_COLS "id, username, name, role, coalesce(university_id, 0), disabled, password_hash"

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

static void row_to_user(sqlite3_stmt *st, struct user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	copy_col(u->username, sizeof(u->username), st, 1);
	copy_col(u->name, sizeof(u->name), st, 2);
	u->role = role_parse((const char *)sqlite3_column_text(st, 3));
	u->university_id = sqlite3_column_int64(st, 4);
	u->disabled = sqlite3_column_int(st, 5) != 0;
	copy_col(u->password_hash, sizeof(u->password_hash), st, 6);
}

static enum err fetch_one(sqlite3_stmt *st, struct user *out)
{
	int rc = sqlite3_step(st);
	enum err r = ERR_NOT_FOUND;

	if (rc == SQLITE_ROW) {
		row_to_user(st, out);
		r = ERR_OK;
	} else if (rc != SQLITE_DONE) {
		r = db_err(rc);
	}
	db_done(st);
	return r;
}

enum err user_by_username(struct db *db, const char *username, struct user *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE username = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	return fetch_one(st, out);
}

enum err user_by_id(struct db *db, int64_t id, struct user *out)
{
	static const char SQL[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(st, out);
}

static enum err university_exists(struct db *db, int64_t id, struct error *e)
{
	static const char SQL[] = "SELECT 1 FROM universities WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_ROW)
		return ERR_OK;
	if (rc == SQLITE_DONE)
		return error_set(e, ERR_INVALID, "university_id", "no university with id %lld",
				 (long long)id);
	return error_set(e, db_err(rc), NULL, NULL);
}

enum err user_insert(struct db *db, struct user *u, int64_t actor, struct error *e)
{
	static const char SQL[] =
		"INSERT INTO users (username, name, role, university_id, password_hash)"
		" VALUES (?1, ?2, ?3, nullif(?4, 0), ?5)";
	sqlite3_stmt *st;
	int rc;

	if (u->university_id && university_exists(db, u->university_id, e) != ERR_OK)
		return e->err;
	if (u->role == ROLE_UNIVERSITY_ADMIN && !u->university_id)
		return error_set(e, ERR_INVALID, "university_id",
				 "a university_admin needs a university");
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role_name(u->role), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, u->university_id);
	sqlite3_bind_text(st, 5, u->password_hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return error_set(e, ERR_CONFLICT, "username", "username '%s' is taken",
				 u->username);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, "cannot create user: %s", sqlite3_errstr(rc));
	u->id = sqlite3_last_insert_rowid(db->h);
	return audit_appendf(db, actor, "user.create", "user", u->id, e, "{s:s, s:s, s:s}",
			     "username", u->username, "name", u->name, "role", role_name(u->role));
}

enum err user_set_password(struct db *db, int64_t user_id, const char *hash,
			   int64_t keep_session_id, struct error *e)
{
	static const char SQL[] =
		"UPDATE users SET password_hash = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
		" WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	if (sqlite3_changes(db->h) == 0)
		return error_set(e, ERR_NOT_FOUND, NULL, "no such user");
	if (session_delete_user(db, user_id, keep_session_id) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return audit_appendf(db, user_id, "user.password_change", "user", user_id, e, "{}");
}
