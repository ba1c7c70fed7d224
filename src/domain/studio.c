/* Studios; see studio.h. */
#include "domain/studio.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "domain/audit.h"
#include "domain/user.h"

static const char *const LEVELS[] = { "provincial", "national", NULL };
static const char *const STATUSES[] = { "active", "suspended", "closed", NULL };

#define SF(name_, type_, member, min_, max_, opts, flags_)                                        \
	{                                                                                         \
		name_, type_, FIELD_AT(struct studio, member),                                    \
			.min = (min_), .max = (max_), .options = (opts), .flags = (flags_) | F_IN \
	}

const struct field STUDIO_FIELDS[] = {
	SF("name", F_TEXT, name, 2, STUDIO_NAME_MAX, NULL, F_REQUIRED),
	SF("master_id", F_ID, master_id, 0, 0, NULL, F_REQUIRED),
	SF("university_id", F_ID, university_id, 0, 0, NULL, F_REQUIRED),
	SF("discipline", F_TEXT, discipline, 1, DISCIPLINE_MAX, NULL, F_REQUIRED),
	SF("level", F_ENUM, level, 0, 0, LEVELS, 0),
	SF("established_on", F_DATE, established_on, 0, 0, NULL, F_REQUIRED),
	SF("cycle", F_TEXT, cycle, 0, 20, NULL, F_NULLABLE),
	SF("introduction", F_TEXT, introduction, 0, INTRO_MAX, NULL, F_NULLABLE),
	SF("training_plan", F_TEXT, training_plan, 0, PLAN_MAX, NULL, F_NULLABLE),
	SF("honours", F_TEXT, honours, 0, HONOURS_MAX, NULL, F_NULLABLE),
	SF("max_members", F_INT, max_members, 1, 200, NULL, 0),
	SF("status", F_ENUM, status, 0, 0, STATUSES, 0),
	FIELD_END,
};

/* introduction, training_plan, honours: bits 7, 8, 9 of STUDIO_FIELDS. */
const uint64_t STUDIO_MASTER_FIELDS = (1u << 7) | (1u << 8) | (1u << 9);

void studio_defaults(struct studio *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->level, sizeof(s->level), "provincial");
	snprintf(s->status, sizeof(s->status), "active");
	s->max_members = 6;
}

/* ---- reads --------------------------------------------------------------------------- */

#define COLS                                                                                 \
	"s.id, s.name, s.master_id, m.name, m.title, s.university_id, v.name, s.discipline," \
	" s.level, s.established_on, s.cycle, s.max_members, s.status, s.created_at,"        \
	" s.updated_at,"                                                                     \
	" (SELECT count(*) FROM studio_members x WHERE x.studio_id = s.id"                   \
	"  AND x.status = 'approved'),"                                                      \
	" (SELECT count(*) FROM studio_members x WHERE x.studio_id = s.id"                   \
	"  AND x.status = 'pending')"
#define FROM \
	" FROM studios s JOIN users m ON m.id = s.master_id JOIN universities v ON v.id = s.university_id"

static void row_to(sqlite3_stmt *st, struct studio *s)
{
	memset(s, 0, offsetof(struct studio, introduction));
	s->introduction[0] = s->training_plan[0] = s->honours[0] = '\0';
	s->id = sqlite3_column_int64(st, 0);
	db_col_text(st, 1, s->name, sizeof(s->name));
	s->master_id = sqlite3_column_int64(st, 2);
	db_col_text(st, 3, s->master_name, sizeof(s->master_name));
	db_col_text(st, 4, s->master_title, sizeof(s->master_title));
	s->university_id = sqlite3_column_int64(st, 5);
	db_col_text(st, 6, s->university_name, sizeof(s->university_name));
	db_col_text(st, 7, s->discipline, sizeof(s->discipline));
	db_col_text(st, 8, s->level, sizeof(s->level));
	db_col_text(st, 9, s->established_on, sizeof(s->established_on));
	db_col_text(st, 10, s->cycle, sizeof(s->cycle));
	s->max_members = sqlite3_column_int64(st, 11);
	db_col_text(st, 12, s->status, sizeof(s->status));
	db_col_text(st, 13, s->created_at, sizeof(s->created_at));
	db_col_text(st, 14, s->updated_at, sizeof(s->updated_at));
	s->member_count = sqlite3_column_int64(st, 15);
	s->pending_count = sqlite3_column_int64(st, 16);
}

enum err studio_get(struct db *db, int64_t id, struct studio *out)
{
	static const char SQL[] = "SELECT " COLS ", s.introduction, s.training_plan, s.honours" FROM
				  " WHERE s.id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_to(st, out);
		db_col_text(st, 17, out->introduction, sizeof(out->introduction));
		db_col_text(st, 18, out->training_plan, sizeof(out->training_plan));
		db_col_text(st, 19, out->honours, sizeof(out->honours));
	}
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

int64_t studio_of_master(struct db *db, int64_t master_id)
{
	static const char SQL[] = "SELECT id FROM studios WHERE master_id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int64_t id = 0;

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, master_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_done(st);
	return id;
}

/* Unused filters are bound as NULL, so one statement serves every combination. */
#define WHERE                                                                                     \
	" WHERE (?1 IS NULL OR instr(s.name, ?1) OR instr(m.name, ?1) OR instr(s.discipline, ?1)" \
	"        OR instr(lower(s.name), lower(?1)))"                                             \
	" AND (?2 IS NULL OR s.discipline = ?2) AND (?3 IS NULL OR s.university_id = ?3)"         \
	" AND (?4 IS NULL OR s.level = ?4) AND (?5 IS NULL OR s.status = ?5)"

static void bind_filter(sqlite3_stmt *st, const struct studio_filter *f)
{
	if (f->q && f->q[0])
		sqlite3_bind_text(st, 1, f->q, -1, SQLITE_STATIC);
	if (f->discipline && f->discipline[0])
		sqlite3_bind_text(st, 2, f->discipline, -1, SQLITE_STATIC);
	if (f->university_id)
		sqlite3_bind_int64(st, 3, f->university_id);
	if (f->level && f->level[0])
		sqlite3_bind_text(st, 4, f->level, -1, SQLITE_STATIC);
	if (f->status && f->status[0])
		sqlite3_bind_text(st, 5, f->status, -1, SQLITE_STATIC);
}

enum err studio_list(struct db *db, const struct studio_filter *f,
		     void (*fn)(const struct studio *s, void *ctx), void *ctx, int64_t *total)
{
	static const char COUNT[] = "SELECT count(*)" FROM WHERE;
	static const char SQL[] =
		"SELECT " COLS FROM WHERE " ORDER BY CASE WHEN ?6 THEN s.name END,"
		" s.established_on DESC, s.id DESC LIMIT ?7 OFFSET ?8";
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct studio *s;
	int rc;

	if (!st)
		return ERR_DB;
	bind_filter(st, f);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	st = db_stmt(db, SQL);
	s = malloc(sizeof(*s));
	if (!st || !s) {
		free(s);
		return st ? ERR_NOMEM : ERR_DB;
	}
	bind_filter(st, f);
	sqlite3_bind_int(st, 6, f->by_name);
	sqlite3_bind_int64(st, 7, f->limit);
	sqlite3_bind_int64(st, 8, f->offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_to(st, s);
		fn(s, ctx);
	}
	db_done(st);
	free(s);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

/* ---- rules --------------------------------------------------------------------------- */

/* "2024-2026" (an en dash is accepted and stored as '-'); empty is allowed. */
static enum err normalise_cycle(char *cycle, struct error *e)
{
	int a, b, n = 0;
	char *dash = strstr(cycle, "\xe2\x80\x93");

	if (!cycle[0])
		return ERR_OK;
	if (dash)
		memmove(dash + 1, dash + 3, strlen(dash + 3) + 1), *dash = '-';
	if (sscanf(cycle, "%4d-%4d%n", &a, &b, &n) != 2 || n != 9 || a < 1990 || b < a ||
	    b > a + 10)
		return error_set(e, ERR_INVALID, "cycle",
				 "cycle is a span of years like 2024-2026");
	return ERR_OK;
}

static enum err check_master(struct db *db, const struct studio *s, struct error *e)
{
	struct user m;
	int64_t runs;

	if (user_by_id(db, s->master_id, &m) != ERR_OK)
		return error_set(e, ERR_INVALID, "master_id", "no user with id %lld",
				 (long long)s->master_id);
	if (m.role != ROLE_MASTER || m.disabled)
		return error_set(e, ERR_INVALID, "master_id", "%s is not an enabled master",
				 m.username);
	if (m.university_id != s->university_id)
		return error_set(e, ERR_INVALID, "master_id", "%s belongs to another university",
				 m.username);
	runs = studio_of_master(db, s->master_id);
	if (runs && runs != s->id)
		return error_set(e, ERR_CONFLICT, "master_id", "%s already runs studio %lld",
				 m.username, (long long)runs);
	return ERR_OK;
}

static enum err check(struct db *db, struct studio *s, struct error *e)
{
	static const char UNI[] = "SELECT 1 FROM universities WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, UNI);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, s->university_id);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_ROW)
		return error_set(e, ERR_INVALID, "university_id", "no university with id %lld",
				 (long long)s->university_id);
	if (normalise_cycle(s->cycle, e) != ERR_OK || check_master(db, s, e) != ERR_OK)
		return e->err;
	if (s->id && s->max_members < s->member_count)
		return error_set(e, ERR_CONFLICT, "max_members",
				 "the studio has %lld members; max_members cannot be lower",
				 (long long)s->member_count);
	return ERR_OK;
}

/* ---- writes -------------------------------------------------------------------------- */

static void bind_all(sqlite3_stmt *st, const struct studio *s)
{
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, s->master_id);
	sqlite3_bind_int64(st, 3, s->university_id);
	sqlite3_bind_text(st, 4, s->discipline, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->level, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s->established_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s->cycle, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, s->introduction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, s->training_plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, s->honours, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, s->max_members);
	sqlite3_bind_text(st, 12, s->status, -1, SQLITE_STATIC);
}

static enum err step_write(struct db *db, sqlite3_stmt *st, const struct studio *s, struct error *e)
{
	int rc = sqlite3_step(st);

	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		if (studio_of_master(db, s->master_id) &&
		    studio_of_master(db, s->master_id) != s->id)
			return error_set(e, ERR_CONFLICT, "master_id",
					 "this master already runs a studio");
		return error_set(e, ERR_CONFLICT, "name", "a studio named %s exists", s->name);
	}
	return rc == SQLITE_DONE ? ERR_OK : error_set(e, db_err(rc), NULL, NULL);
}

enum err studio_insert(struct db *db, struct studio *s, int64_t actor, struct error *e)
{
	static const char SQL[] =
		"INSERT INTO studios (name, master_id, university_id, discipline, level,"
		" established_on, cycle, introduction, training_plan, honours, max_members, status)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	sqlite3_stmt *st;

	s->id = 0;
	if (check(db, s, e) != ERR_OK)
		return e->err;
	st = db_stmt(db, SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	bind_all(st, s);
	if (step_write(db, st, s, e) != ERR_OK)
		return e->err;
	s->id = sqlite3_last_insert_rowid(db->h);
	return audit_appendf(db, actor, "studio.create", "studio", s->id, e, "{s:s, s:I, s:I, s:s}",
			     "name", s->name, "master_id", (json_int_t)s->master_id,
			     "university_id", (json_int_t)s->university_id, "discipline",
			     s->discipline);
}

enum err studio_update(struct db *db, int64_t id, const struct studio *patch, uint64_t set,
		       int64_t actor, struct studio *out, struct error *e)
{
	static const char SQL[] =
		"UPDATE studios SET name = ?1, master_id = ?2, university_id = ?3, discipline = ?4,"
		" level = ?5, established_on = ?6, cycle = ?7, introduction = ?8,"
		" training_plan = ?9, honours = ?10, max_members = ?11, status = ?12,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?13";
	json_t *changed = json_array();
	sqlite3_stmt *st;
	enum err r = studio_get(db, id, out);

	if (r != ERR_OK) {
		json_decref(changed);
		return error_set(e, r, NULL, r == ERR_NOT_FOUND ? "no such studio" : NULL);
	}
	if (fields_apply(STUDIO_FIELDS, out, patch, set, changed) == 0) {
		r = ERR_OK; /* nothing changes: nothing to write or record */
		goto done;
	}
	if (check(db, out, e) != ERR_OK) {
		r = e->err;
		goto done;
	}
	st = db_stmt(db, SQL);
	if (!st) {
		r = error_set(e, ERR_DB, NULL, NULL);
		goto done;
	}
	bind_all(st, out);
	sqlite3_bind_int64(st, 13, id);
	r = step_write(db, st, out, e);
	if (r == ERR_OK)
		r = audit_appendf(db, actor, "studio.update", "studio", id, e, "{s:O}", "changed",
				  changed);
done:
	json_decref(changed);
	return r;
}
