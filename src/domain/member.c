/* Studio membership; see member.h. */
#include "domain/member.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "domain/audit.h"

bool member_has_room(int64_t approved, int64_t max_members)
{
	return approved < max_members;
}

#define M(field) FIELD_AT(struct member, field)
#define FROM                                                          \
	" FROM studio_members x JOIN studios s ON s.id = x.studio_id" \
	" JOIN users u ON u.id = x.user_id LEFT JOIN universities v ON v.id = u.university_id"

/* A membership's fields, in the order its JSON shows them: as the studio sees its members
 * (V_MAIN, the application's reason in V_FULL) and as the member sees their studios (V_SIDE).
 * Writes are the state changes below, not table-driven. */
/* clang-format off */
const struct field MEMBER_FIELDS[] = {
	{ "studio_id", F_ID, M(studio_id), .views = V_SIDE, .sql = "x.studio_id" },
	{ "studio_name", F_TEXT, M(studio_name), .views = V_SIDE, .sql = "s.name" },
	{ "user_id", F_ID, M(user_id), .sql = "x.user_id", .json = "user.id" },
	{ "name", F_TEXT, M(name), .sql = "u.name", .json = "user.name" },
	{ "title", F_TEXT, M(title), .sql = "u.title", .json = "user.title" },
	{ "university_id", F_ID, M(university_id), .flags = F_ZERO_NULL, .sql = "u.university_id",
	  .json = "user.university.id" },
	{ "university_name", F_TEXT, M(university_name), .flags = F_ZERO_NULL, .sql = "v.name",
	  .json = "user.university.name" },
	{ "status", F_TEXT, M(status), .views = V_MAIN | V_SIDE, .sql = "x.status" },
	{ "applied_at", F_TEXT, M(applied_at), .sql = "x.applied_at" },
	{ "decided_at", F_TEXT, M(decided_at), .flags = F_ZERO_NULL, .sql = "x.decided_at" },
	{ "reason", F_TEXT, M(reason), .views = V_FULL, .sql = "x.reason" },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table MEMBER_TABLE = { MEMBER_FIELDS, "studio_members", FROM, &cache };

enum err member_get(struct db *db, int64_t studio_id, int64_t user_id, struct member *out)
{
	static struct field_sql SQL =
		FIELD_SELECT(&MEMBER_TABLE, " WHERE x.studio_id = ?1 AND x.user_id = ?2");
	sqlite3_stmt *st = fields_stmt(db, &SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int64(st, 2, user_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fields_read(&SQL, st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

/* Calls fn for each row of st, a statement of q. */
static enum err each(const struct field_sql *q, sqlite3_stmt *st,
		     void (*fn)(const struct member *m, void *ctx), void *ctx)
{
	struct member m;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fields_read(q, st, &m);
		fn(&m, ctx);
	}
	db_done(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

enum err member_list(struct db *db, int64_t studio_id, bool all_states, int64_t limit,
		     int64_t offset, void (*fn)(const struct member *m, void *ctx), void *ctx,
		     int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM studio_members x WHERE x.studio_id = ?1"
				    " AND (?2 OR x.status = 'approved')";
	static struct field_sql SQL = FIELD_SELECT(
		&MEMBER_TABLE,
		" WHERE x.studio_id = ?1 AND (?2 OR x.status = 'approved')"
		" ORDER BY x.status <> 'approved', x.status <> 'pending', x.applied_at,"
		" u.id LIMIT ?3 OFFSET ?4");
	sqlite3_stmt *st = db_stmt(db, COUNT);

	*total = 0;
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int(st, 2, all_states);
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(st);
	st = fields_stmt(db, &SQL);
	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int(st, 2, all_states);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, offset);
	return each(&SQL, st, fn, ctx);
}

enum err member_of_user(struct db *db, int64_t user_id,
			void (*fn)(const struct member *m, void *ctx), void *ctx)
{
	static struct field_sql SQL = FIELD_SELECT(
		&MEMBER_TABLE, " WHERE x.user_id = ?1"
			       " AND x.status IN ('pending', 'approved') ORDER BY x.studio_id");
	sqlite3_stmt *st = fields_stmt(db, &SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, user_id);
	return each(&SQL, st, fn, ctx);
}

/* ---- writes -------------------------------------------------------------------------- */

static enum err set_state(struct db *db, int64_t studio_id, int64_t user_id, const char *status,
			  int64_t actor)
{
	static const char SQL[] =
		"UPDATE studio_members SET status = ?3, decided_at = ?4, decided_by = nullif(?5, 0)"
		" WHERE studio_id = ?1 AND user_id = ?2";
	sqlite3_stmt *st = db_stmt(db, SQL);
	char now[32];

	if (!st)
		return ERR_DB;
	clock_rfc3339(clock_now(), now, sizeof(now));
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, actor);
	return db_step_done(st);
}

/* Studio status and capacity: the two facts membership rules need. */
static enum err studio_state(struct db *db, int64_t studio_id, char status[12], int64_t *max,
			     int64_t *approved)
{
	static const char SQL[] =
		"SELECT status, max_members, (SELECT count(*) FROM studio_members"
		" WHERE studio_id = ?1 AND status = 'approved') FROM studios WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, studio_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, status, 12);
		*max = sqlite3_column_int64(st, 1);
		*approved = sqlite3_column_int64(st, 2);
	}
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err member_apply(struct db *db, int64_t studio_id, int64_t user_id, const char *reason,
		      struct member *out, struct error *e)
{
	static const char SQL[] =
		"INSERT INTO studio_members (studio_id, user_id, status, reason, applied_at)"
		" VALUES (?1, ?2, 'pending', ?3, ?4) ON CONFLICT (studio_id, user_id) DO UPDATE"
		" SET status = 'pending', reason = ?3, applied_at = ?4, decided_at = NULL,"
		" decided_by = NULL";
	char status[12], now[32];
	int64_t max, approved;
	struct member cur;
	sqlite3_stmt *st;
	enum err r = studio_state(db, studio_id, status, &max, &approved);
	int rc;

	if (r != ERR_OK)
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such studio" : NULL);
	if (strcmp(status, "active"))
		return error_set(e, ERR_CONFLICT, "studio_id", "the studio is %s", status);
	if (member_get(db, studio_id, user_id, &cur) == ERR_OK &&
	    (!strcmp(cur.status, "pending") || !strcmp(cur.status, "approved")))
		return error_set(e, ERR_CONFLICT, NULL, "you are already %s",
				 cur.status[0] == 'p' ? "waiting for approval" : "a member");
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	clock_rfc3339(clock_now(), now, sizeof(now));
	sqlite3_bind_int64(st, 1, studio_id);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	if (member_get(db, studio_id, user_id, out) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return audit_appendf(db, user_id, "member.apply", "studio", studio_id, e, "{s:I}",
			     "user_id", (json_int_t)user_id);
}

enum err member_decide(struct db *db, int64_t studio_id, int64_t user_id, bool approve,
		       int64_t actor, struct member *out, struct error *e)
{
	char status[12];
	int64_t max, approved;
	enum err r = studio_state(db, studio_id, status, &max, &approved);

	if (r != ERR_OK)
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such studio" : NULL);
	if (member_get(db, studio_id, user_id, out) != ERR_OK)
		return error_set(e, ERR_NOT_FOUND, NULL, "no application from this user");
	if (strcmp(out->status, "pending"))
		return error_set(e, ERR_CONFLICT, "status", "the application is %s, not pending",
				 out->status);
	if (approve && !member_has_room(approved, max)) {
		error_set(e, ERR_CONFLICT, NULL, "the studio is full (%lld of %lld)",
			  (long long)approved, (long long)max);
		e->code = "full";
		return ERR_CONFLICT;
	}
	r = set_state(db, studio_id, user_id, approve ? "approved" : "rejected", actor);
	if (r == ERR_OK)
		r = member_get(db, studio_id, user_id, out);
	if (r != ERR_OK)
		return error_set(e, r, NULL, NULL);
	return audit_appendf(db, actor, approve ? "member.approve" : "member.reject", "studio",
			     studio_id, e, "{s:I}", "user_id", (json_int_t)user_id);
}

enum err member_end(struct db *db, int64_t studio_id, int64_t user_id, bool by_self, int64_t actor,
		    struct member *out, struct error *e)
{
	enum err r;

	if (member_get(db, studio_id, user_id, out) != ERR_OK ||
	    (strcmp(out->status, "approved") && strcmp(out->status, "pending")))
		return error_set(e, ERR_NOT_FOUND, NULL, "not a member of this studio");
	r = set_state(db, studio_id, user_id, by_self ? "left" : "removed", actor);
	if (r == ERR_OK)
		r = member_get(db, studio_id, user_id, out);
	if (r != ERR_OK)
		return error_set(e, r, NULL, NULL);
	return audit_appendf(db, actor, by_self ? "member.leave" : "member.remove", "studio",
			     studio_id, e, "{s:I}", "user_id", (json_int_t)user_id);
}
