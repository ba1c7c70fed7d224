/* Users and roles (DESIGN §1, §8): lookup for sign-in, creation, password changes. Callers
 * pass the connection they run on: reads use the service thread's read-only db, writes run
 * as writer jobs. */
#ifndef MINGSHI_DOMAIN_USER_H
#define MINGSHI_DOMAIN_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"

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

struct user {
	int64_t id;
	char username[USERNAME_MAX + 1];
	char name[NAME_MAX_CHARS * 4 + 1]; /* UTF-8 */
	enum role role;
	int64_t university_id; /* 0: none */
	bool disabled;
	char password_hash[160];
};

/* "admin", "university_admin", … ; "" for ROLE_NONE. */
const char *role_name(enum role r);

/* The role named s, or ROLE_NONE if s names none. */
enum role role_parse(const char *s);

/* ERR_INVALID (field "username") unless s is 3–32 of [a-z0-9_.-], starting with a letter
 * or digit. */
enum err user_check_username(const char *s, struct error *e);

/* Loads the user with this username (case-insensitive). ERR_NOT_FOUND if none. */
enum err user_by_username(struct db *db, const char *username, struct user *out);

/* Loads the user with this id. ERR_NOT_FOUND if none. */
enum err user_by_id(struct db *db, int64_t id, struct user *out);

/* Inserts u (id ignored; password_hash already computed) and sets u->id. A taken username is
 * ERR_CONFLICT on field "username"; an unknown university ERR_INVALID on "university_id".
 * Appends the audit entry `user.create` by actor (0: the command line). Writer thread. */
enum err user_insert(struct db *db, struct user *u, int64_t actor, struct error *e);

/* Replaces the password hash, ends every session of the user except keep_session_id (0: all)
 * and audits `user.password_change`. Writer thread. */
enum err user_set_password(struct db *db, int64_t user_id, const char *hash,
			   int64_t keep_session_id, struct error *e);

#endif
