/* Users; see user.h. */
#include "domain/user.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "domain/audit.h"
#include "domain/session.h"

/* Indexed by enum role: the role's text in SQL and JSON (an F_CODE's options). */
static const char *const ROLE_NAMES[ROLE__COUNT + 1] = {
	[ROLE_NONE] = "",
	[ROLE_ADMIN] = "admin",
	[ROLE_UNIVERSITY_ADMIN] = "university_admin",
	[ROLE_MASTER] = "master",
	[ROLE_TEACHER] = "teacher",
	[ROLE_EXPERT] = "expert",
	[ROLE__COUNT] = NULL,
};

#define U(field) FIELD_AT(struct user, field)
#define USER_FROM " FROM users u LEFT JOIN universities v ON v.id = u.university_id"

/* A user's fields, in the order its JSON shows them. Requests set the F_IN ones (POST/PATCH
 * /users, and the columns of users.csv). */
/* clang-format off */
const struct field USER_FIELDS[] = {
	{ "id", F_ID, U(id), .sql = "u.id" },
	{ "username", F_TEXT, U(username), .min = USERNAME_MIN, .max = USERNAME_MAX,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "u.username" },
	{ "name", F_TEXT, U(name), .min = 1, .max = NAME_MAX_CHARS,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "u.name" },
	{ "role", F_CODE, U(role), .options = ROLE_NAMES, .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "u.role" },
	{ "university_id", F_ID, U(university_id),
	  .flags = F_IN | F_NULLABLE | F_STORED | F_ZERO_NULL, .sql = "u.university_id" },
	{ "university_name", F_TEXT, U(university_name), .flags = F_ZERO_NULL, .sql = "v.name" },
	{ "title", F_TEXT, U(title), .max = TITLE_MAX_CHARS, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "u.title" },
	{ "phone", F_TEXT, U(phone), .max = PHONE_MAX, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "u.phone" },
	{ "email", F_TEXT, U(email), .max = EMAIL_MAX, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "u.email" },
	{ "disabled", F_BOOL, U(disabled), .flags = F_IN | F_UPDATE, .sql = "u.disabled" },
	{ "must_change_password", F_BOOL, U(must_change_password), .flags = F_INSERT,
	  .sql = "u.must_change_password" },
	{ "created_at", F_TEXT, U(created_at), .sql = "u.created_at" },
	{ "password_hash", F_TEXT, U(password_hash), .flags = F_INSERT | F_HIDDEN,
	  .sql = "u.password_hash" },
	{ "updated_at", F_TEXT, .flags = F_UPDATE | F_NOW | F_HIDDEN },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table USER_TABLE = { USER_FIELDS, "users", USER_FROM, &cache };

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

/* Digits with an optional leading + and inner dashes or spaces: 138-0000-1234, +86 371 … */
static int phone_ok(const char *p)
{
	int digits = 0;

	for (size_t i = 0; p[i]; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			digits++;
		else if (!(p[i] == '+' && i == 0) && p[i] != '-' && p[i] != ' ')
			return 0;
	}
	return digits >= 5 && digits <= 15;
}

static int email_ok(const char *m)
{
	const char *at = strchr(m, '@');

	return at && at != m && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
	       m[strlen(m) - 1] != '.' && !strpbrk(m, " \t<>\"',;");
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

enum err user_check(struct db *db, const struct user *u, struct error *e)
{
	if (user_check_username(u->username, e) != ERR_OK)
		return e->err;
	if (u->role == ROLE_NONE)
		return error_set(e, ERR_INVALID, "role", "role is not one of the allowed values");
	if (u->phone[0] && !phone_ok(u->phone))
		return error_set(e, ERR_INVALID, "phone", "phone must be 5 to 15 digits");
	if (u->email[0] && !email_ok(u->email))
		return error_set(e, ERR_INVALID, "email", "email is not an email address");
	if (u->role == ROLE_UNIVERSITY_ADMIN && !u->university_id)
		return error_set(e, ERR_INVALID, "university_id",
				 "a university_admin needs a university");
	if (u->university_id && university_exists(db, u->university_id, e) != ERR_OK)
		return e->err;
	return ERR_OK;
}

void user_mask_phone(const char *phone, char *out, size_t cap)
{
	size_t n = strlen(phone);

	if (n < 7) {
		snprintf(out, cap, "%s", n ? "****" : "");
		return;
	}
	snprintf(out, cap, "%.3s****%s", phone, phone + n - 4);
}

void user_mask_email(const char *email, char *out, size_t cap)
{
	const char *at = strchr(email, '@');

	if (!at || at == email) {
		snprintf(out, cap, "%s", email[0] ? "***" : "");
		return;
	}
	snprintf(out, cap, "%.1s***%s", email, at);
}

/* ---- reads --------------------------------------------------------------------------- */

/* Steps st, a statement of q, once: the row into out, ERR_NOT_FOUND without one. */
static enum err fetch_one(struct field_sql *q, sqlite3_stmt *st, struct user *out)
{
	int rc = sqlite3_step(st);
	enum err r = ERR_NOT_FOUND;

	if (rc == SQLITE_ROW) {
		fields_read(q, st, out);
		r = ERR_OK;
	} else if (rc != SQLITE_DONE) {
		r = db_err(rc);
	}
	db_done(st);
	return r;
}

enum err user_by_username(struct db *db, const char *username, struct user *out)
{
	static struct field_sql SQL = FIELD_SELECT(&USER_TABLE, " WHERE u.username = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	return fetch_one(&SQL, st, out);
}

enum err user_by_id(struct db *db, int64_t id, struct user *out)
{
	static struct field_sql SQL = FIELD_SELECT(&USER_TABLE, " WHERE u.id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(&SQL, st, out);
}

enum err user_access_by_id(struct db *db, int64_t id, struct user *out)
{
	/* SQLite leaves the universities join out: no column of it is read. */
	static struct field_sql SQL = FIELD_SELECT_ONLY(
		&USER_TABLE, "id role university_id disabled", " WHERE u.id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return fetch_one(&SQL, st, out);
}

/* Filters are bound as NULL when unused, so one statement serves every combination. */
#define USER_WHERE                                                                        \
	" WHERE (?1 IS NULL OR instr(lower(u.username), lower(?1)) OR instr(u.name, ?1))" \
	" AND (?2 IS NULL OR u.role = ?2) AND (?3 IS NULL OR u.university_id = ?3)"

static void bind_filter(sqlite3_stmt *st, const struct user_filter *f)
{
	if (f->q && f->q[0])
		sqlite3_bind_text(st, 1, f->q, -1, SQLITE_STATIC);
	if (f->role != ROLE_NONE)
		sqlite3_bind_text(st, 2, role_name(f->role), -1, SQLITE_STATIC);
	if (f->university_id)
		sqlite3_bind_int64(st, 3, f->university_id);
}

enum err user_list(struct db *db, const struct user_filter *f,
		   void (*fn)(const struct user *u, void *ctx), void *ctx, int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM users u" USER_WHERE;
	static struct field_sql SQL =
		FIELD_SELECT(&USER_TABLE, USER_WHERE " ORDER BY u.id LIMIT ?4 OFFSET ?5");
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct user u;
	int rc;

	if (!st)
		return ERR_DB;
	bind_filter(st, f);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	st = fields_stmt(db, &SQL);
	if (!st)
		return ERR_DB;
	bind_filter(st, f);
	sqlite3_bind_int64(st, 4, f->limit);
	sqlite3_bind_int64(st, 5, f->offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fields_read(&SQL, st, &u);
		fn(&u, ctx);
	}
	db_done(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

/* ---- writes -------------------------------------------------------------------------- */

enum err user_insert(struct db *db, struct user *u, int64_t actor, struct error *e)
{
	static struct field_sql SQL = FIELD_INSERT(&USER_TABLE, 0, "");
	sqlite3_stmt *st;
	int rc;

	if (user_check(db, u, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	fields_bind(&SQL, st, u);
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

static enum err save(struct db *db, const struct user *u, struct error *e)
{
	static struct field_sql SQL = FIELD_UPDATE(&USER_TABLE, 1, " WHERE id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, u->id);
	fields_bind(&SQL, st, u);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return error_set(e, ERR_CONFLICT, "username", "username '%s' is taken",
				 u->username);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY || rc == SQLITE_CONSTRAINT_TRIGGER)
		return error_set(e, ERR_CONFLICT, "role", "the user's studios depend on this role");
	return rc == SQLITE_DONE ? ERR_OK : error_set(e, db_err(rc), NULL, NULL);
}

/* The audit detail of an update: each changed field's new value as the JSON view shows it,
 * personal data (DESIGN §8) only as "changed". */
static json_t *change_detail(const struct user *before, const struct user *after)
{
	json_t *d = json_object();

	for (const struct field *f = USER_FIELDS; f->name; f++) {
		bool pii = !strcmp(f->name, "phone") || !strcmp(f->name, "email");

		if ((f->flags & F_IN) && !fields_equal(f, before, after))
			json_object_set_new(d, f->name,
					    pii ? json_string("changed") : fields_value(f, after));
	}
	return d;
}

enum err user_update(struct db *db, int64_t id, const struct user *patch, uint64_t set,
		     int64_t actor, struct user *out, struct error *e)
{
	struct user before;
	json_t *detail;
	enum err r;

	r = user_by_id(db, id, &before);
	if (r != ERR_OK)
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such user" : NULL);
	*out = before;
	fields_apply(USER_FIELDS, out, patch, set, NULL);
	if (user_check(db, out, e) != ERR_OK)
		return e->err;
	detail = change_detail(&before, out);
	if (json_object_size(detail) == 0) {
		json_decref(detail); /* nothing changes: nothing to write or record */
		*out = before;
		return ERR_OK;
	}
	if (save(db, out, e) != ERR_OK) {
		json_decref(detail);
		return e->err;
	}
	if (out->disabled && !before.disabled && session_delete_user(db, id, 0) != ERR_OK) {
		json_decref(detail);
		return error_set(e, ERR_DB, NULL, NULL);
	}
	r = audit_append(db, actor,
			 out->disabled != before.disabled
				 ? (out->disabled ? "user.disable" : "user.enable")
				 : "user.update",
			 "user", id, detail, e);
	json_decref(detail);
	if (r == ERR_OK && user_by_id(db, id, out) != ERR_OK) /* as stored: university name */
		return error_set(e, ERR_DB, NULL, NULL);
	return r;
}

enum err user_set_password(struct db *db, int64_t user_id, const char *hash, bool must_change,
			   int64_t keep_session_id, int64_t actor, struct error *e)
{
	static const char SQL[] =
		"UPDATE users SET password_hash = ?2, must_change_password = ?3,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, must_change);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	if (sqlite3_changes(db->h) == 0)
		return error_set(e, ERR_NOT_FOUND, NULL, "no such user");
	if (session_delete_user(db, user_id, keep_session_id) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return audit_appendf(db, actor,
			     must_change ? "user.password_reset" : "user.password_change", "user",
			     user_id, e, "{}");
}

enum err user_log_pii_read(struct db *db, int64_t reader, int64_t subject, const char *fields)
{
	static const char SQL[] =
		"INSERT INTO pii_reads (at, reader_id, subject_id, fields) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = db_stmt(db, SQL);
	char at[32];

	if (!st)
		return ERR_DB;
	clock_rfc3339(clock_now(), at, sizeof(at));
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, reader);
	sqlite3_bind_int64(st, 3, subject);
	sqlite3_bind_text(st, 4, fields, -1, SQLITE_STATIC);
	return db_step_done(st);
}
