/* Users and roles (DESIGN §1, §8): the field rules, lookup, listing, creation, updates,
 * disabling, passwords, and the log of whole reads of personal data. Callers pass the
 * connection they run on: reads use the service thread's read-only db, writes run as writer
 * jobs (which is also where patches are applied, so concurrent edits never lose updates). */
#ifndef MINGSHI_DOMAIN_USER_H
#define MINGSHI_DOMAIN_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

enum role {
	ROLE_NONE = 0, /* anonymous */
	ROLE_ADMIN,
	ROLE_UNIVERSITY_ADMIN,
	ROLE_MASTER,
	ROLE_TEACHER,
	ROLE_EXPERT,
	ROLE__COUNT
};

#define USERNAME_MIN 3
#define USERNAME_MAX 32
#define NAME_MAX_CHARS 64
#define TITLE_MAX_CHARS 32
#define PHONE_MAX 20
#define EMAIL_MAX 254

struct user {
	int64_t id;
	char username[USERNAME_MAX * 4 + 1]; /* parsed as text first, then checked for a-z0-9 */
	char name[NAME_MAX_CHARS * 4 + 1];   /* UTF-8 */
	enum role role;
	int64_t university_id; /* 0: none */
	char university_name[401];
	char title[TITLE_MAX_CHARS * 4 + 1]; /* 职称, e.g. 副教授 */
	char phone[PHONE_MAX * 4 + 1];
	char email[EMAIL_MAX * 4 + 1];
	bool disabled;
	bool must_change_password;
	char password_hash[160];
	char created_at[24];
};

/* The fields of a user: requests (POST/PATCH /users, the columns of users.csv), SQL and JSON
 * (core/fields.h). */
extern const struct field USER_FIELDS[];
extern const struct field_table USER_TABLE;

/* "admin", "university_admin", … ; "" for ROLE_NONE. */
const char *role_name(enum role r);

/* The role named s, or ROLE_NONE if s names none. */
enum role role_parse(const char *s);

/* ERR_INVALID (field "username") unless s is 3–32 of [a-z0-9_.-], starting with a letter
 * or digit. */
enum err user_check_username(const char *s, struct error *e);

/* Field rules that span fields or need the database: username format, role, phone and email
 * formats, the university exists, a university_admin has a university. */
enum err user_check(struct db *db, const struct user *u, struct error *e);

/* "138****1234" / "w***@example.com" into out (same size as the input buffers). */
void user_mask_phone(const char *phone, char *out, size_t cap);
void user_mask_email(const char *email, char *out, size_t cap);

/* Loads the user with this username (case-insensitive) / id. ERR_NOT_FOUND if none. */
enum err user_by_username(struct db *db, const char *username, struct user *out);
enum err user_by_id(struct db *db, int64_t id, struct user *out);

/* Only what access decisions read — id, role, university_id, disabled — with every other field
 * empty: the room checks made for each WebSocket frame, where loading the whole row (password
 * hash, contact data, the university's name) was ~8 % of a durable message's cost. */
enum err user_access_by_id(struct db *db, int64_t id, struct user *out);

struct user_filter {
	const char *q; /* substring of username or name */
	enum role role;
	int64_t university_id;
	int64_t limit, offset;
};

/* Calls fn for each matching user in id order; *total counts all matches. */
enum err user_list(struct db *db, const struct user_filter *f,
		   void (*fn)(const struct user *u, void *ctx), void *ctx, int64_t *total);

/* Inserts u (id ignored; password_hash already computed) after user_check(), sets u->id and
 * audits `user.create` by actor (0: the command line). Writer thread. */
enum err user_insert(struct db *db, struct user *u, int64_t actor, struct error *e);

/* Applies the fields of `patch` marked in `set` (bits of USER_FIELDS) to the stored user id,
 * checks, saves and audits `user.update` (or `user.disable`/`user.enable`). Disabling ends
 * every session of the user. Fills *out with the result. Writer thread. */
enum err user_update(struct db *db, int64_t id, const struct user *patch, uint64_t set,
		     int64_t actor, struct user *out, struct error *e);

/* Replaces the password hash (clearing must_change_password unless `must_change`), ends every
 * session of the user except keep_session_id (0: all) and audits. Writer thread. */
enum err user_set_password(struct db *db, int64_t user_id, const char *hash, bool must_change,
			   int64_t keep_session_id, int64_t actor, struct error *e);

/* Records that reader saw subject's whole phone/email (DESIGN §8). Writer thread. */
enum err user_log_pii_read(struct db *db, int64_t reader, int64_t subject, const char *fields);

#endif
