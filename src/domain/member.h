/* Studio membership (DESIGN §6 /studios/{id}/members): a teacher applies with a reason; the
 * master or an admin approves (never beyond max_members: 409 `full`) or rejects; a member may
 * leave; the master may remove. One row per (studio, teacher) keeps the latest state. */
#ifndef MINGSHI_DOMAIN_MEMBER_H
#define MINGSHI_DOMAIN_MEMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

#define MEMBER_REASON_MAX 500

struct member {
	int64_t studio_id;
	char studio_name[241];
	int64_t user_id;
	char name[257];
	char title[129];
	int64_t university_id;
	char university_name[401];
	char status[12]; /* pending, approved, rejected, left, removed */
	char reason[MEMBER_REASON_MAX * 4 + 1];
	char applied_at[24], decided_at[24];
};

/* The fields of a membership: SQL and JSON (core/fields.h). */
extern const struct field MEMBER_FIELDS[];
extern const struct field_table MEMBER_TABLE;

/* The member row of user in studio (ERR_NOT_FOUND if none). Any connection. */
enum err member_get(struct db *db, int64_t studio_id, int64_t user_id, struct member *out);

/* Members of a studio ordered by name; with all_states also pending/rejected/left/removed,
 * else approved only. */
enum err member_list(struct db *db, int64_t studio_id, bool all_states, int64_t limit,
		     int64_t offset, void (*fn)(const struct member *m, void *ctx), void *ctx,
		     int64_t *total);

/* The studios user belongs to or has applied to (pending and approved). */
enum err member_of_user(struct db *db, int64_t user_id,
			void (*fn)(const struct member *m, void *ctx), void *ctx);

/* The teacher applies. ERR_CONFLICT if already pending or approved, or (field studio_id) if
 * the studio is not active. Writer thread. */
enum err member_apply(struct db *db, int64_t studio_id, int64_t user_id, const char *reason,
		      struct member *out, struct error *e);

/* Approve or reject a pending application. Approving a full studio is ERR_CONFLICT with code
 * "full". Writer thread. */
enum err member_decide(struct db *db, int64_t studio_id, int64_t user_id, bool approve,
		       int64_t actor, struct member *out, struct error *e);

/* Ends a pending or approved membership: by the member themself (left) or by a manager
 * (removed). Writer thread. */
enum err member_end(struct db *db, int64_t studio_id, int64_t user_id, bool by_self, int64_t actor,
		    struct member *out, struct error *e);

/* The membership cap rule on its own (unit-tested): may one more be approved? */
bool member_has_room(int64_t approved, int64_t max_members);

#endif
