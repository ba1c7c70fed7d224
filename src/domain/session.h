/* Stored sessions (DESIGN §8): the SHA-256 of the cookie token, its user and CSRF token, and
 * idle/absolute expiry. Token generation and cookie handling are in auth/session. */
#ifndef MINGSHI_DOMAIN_SESSION_H
#define MINGSHI_DOMAIN_SESSION_H

#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "domain/user.h"

#define SESSION_IDLE_SECS (12 * 3600)
#define SESSION_MAX_SECS (7 * 24 * 3600)
#define SESSION_CSRF_MAX 64

struct session {
	int64_t id;
	int64_t user_id;
	char csrf[SESSION_CSRF_MAX];
	int64_t created_at, last_seen_at;
};

/* The live session with this token hash and its (enabled) user. ERR_NOT_FOUND if there is
 * none, it has expired at `now`, or its user is disabled. Read-only. */
enum err session_lookup(struct db *db, const uint8_t hash[32], int64_t now, struct session *s,
			struct user *u);

/* Stores a new session; sets s->id. Writer thread. */
enum err session_insert(struct db *db, const uint8_t hash[32], struct session *s);

/* Deletes the session with this token hash (no error if it is already gone). Writer thread. */
enum err session_delete(struct db *db, const uint8_t hash[32]);

/* Deletes every session of user_id except keep_id (0: all). Writer thread. */
enum err session_delete_user(struct db *db, int64_t user_id, int64_t keep_id);

/* Records activity at `now`. Writer thread. */
enum err session_touch(struct db *db, int64_t session_id, int64_t now);

/* Deletes sessions expired at `now`; returns how many in *n. Writer thread. */
enum err session_purge(struct db *db, int64_t now, int *n);

#endif
