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

#define S(field) FIELD_AT(struct studio, field)
#define FROM \
	" FROM studios s JOIN users m ON m.id = s.master_id JOIN universities v ON v.id = s.university_id"

/* How many of the studio's members are in state: a subquery per row read. */
#define MEMBERS_IN(state)                        \
	"(SELECT count(*) FROM studio_members x" \
	" WHERE x.studio_id = s.id AND x.status = '" state "')"

/* A studio's fields, in the order its JSON shows them, the fields requests set in the order
 * the audit's "changed" lists name them. The long texts (V_FULL) are read and shown only for
 * one studio, not in lists. */
/* clang-format off */
const struct field STUDIO_FIELDS[] = {
	{ "id", F_ID, S(id), .sql = "s.id" },
	{ "name", F_TEXT, S(name), .min = 2, .max = STUDIO_NAME_MAX,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "s.name" },
	{ "master_id", F_ID, S(master_id), .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "s.master_id", .json = "master.id" },
	{ "master_name", F_TEXT, S(master_name), .sql = "m.name", .json = "master.name" },
	{ "master_title", F_TEXT, S(master_title), .sql = "m.title", .json = "master.title" },
	{ "university_id", F_ID, S(university_id), .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "s.university_id", .json = "university.id" },
	{ "university_name", F_TEXT, S(university_name), .sql = "v.name",
	  .json = "university.name" },
	{ "discipline", F_TEXT, S(discipline), .min = 1, .max = DISCIPLINE_MAX,
	  .flags = F_IN | F_REQUIRED | F_STORED, .sql = "s.discipline" },
	{ "level", F_ENUM, S(level), .options = LEVELS, .flags = F_IN | F_STORED,
	  .sql = "s.level" },
	{ "established_on", F_DATE, S(established_on), .flags = F_IN | F_REQUIRED | F_STORED,
	  .sql = "s.established_on" },
	{ "cycle", F_TEXT, S(cycle), .max = 20, .flags = F_IN | F_NULLABLE | F_STORED,
	  .sql = "s.cycle" },
	{ "introduction", F_TEXT, S(introduction), .max = INTRO_MAX,
	  .flags = F_IN | F_NULLABLE | F_STORED, .views = V_FULL, .sql = "s.introduction" },
	{ "training_plan", F_TEXT, S(training_plan), .max = PLAN_MAX,
	  .flags = F_IN | F_NULLABLE | F_STORED, .views = V_FULL, .sql = "s.training_plan" },
	{ "honours", F_TEXT, S(honours), .max = HONOURS_MAX,
	  .flags = F_IN | F_NULLABLE | F_STORED, .views = V_FULL, .sql = "s.honours" },
	{ "max_members", F_INT, S(max_members), .min = 1, .max = 200, .flags = F_IN | F_STORED,
	  .sql = "s.max_members" },
	{ "member_count", F_INT, S(member_count), .sql = MEMBERS_IN("approved") },
	{ "status", F_ENUM, S(status), .options = STATUSES, .flags = F_IN | F_STORED,
	  .sql = "s.status" },
	{ "created_at", F_TEXT, S(created_at), .sql = "s.created_at" },
	{ "updated_at", F_TEXT, S(updated_at), .flags = F_UPDATE | F_NOW, .sql = "s.updated_at" },
	{ "pending_count", F_INT, S(pending_count), .views = V_FULL, .sql = MEMBERS_IN("pending") },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table STUDIO_TABLE = { STUDIO_FIELDS, "studios", FROM, &cache };

uint64_t studio_master_fields(void)
{
	return fields_bit(STUDIO_FIELDS, "introduction") |
	       fields_bit(STUDIO_FIELDS, "training_plan") | fields_bit(STUDIO_FIELDS, "honours");
}

void studio_defaults(struct studio *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->level, sizeof(s->level), "provincial");
	snprintf(s->status, sizeof(s->status), "active");
	s->max_members = 6;
}

/* ---- reads --------------------------------------------------------------------------- */

enum err studio_get(struct db *db, int64_t id, struct studio *out)
{
	static struct field_sql SQL = FIELD_SELECT(&STUDIO_TABLE, " WHERE s.id = ?1");
	sqlite3_stmt *st = fields_stmt(db, &SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fields_read(&SQL, st, out);
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
	static struct field_sql SQL = FIELD_SELECT_BRIEF(
		&STUDIO_TABLE, WHERE " ORDER BY CASE WHEN ?6 THEN s.name END,"
				     " s.established_on DESC, s.id DESC LIMIT ?7 OFFSET ?8");
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct studio *s;
	int rc;

	if (!st)
		return ERR_DB;
	bind_filter(st, f);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	st = fields_stmt(db, &SQL);
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
		fields_read(&SQL, st, s);
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
	static struct field_sql SQL = FIELD_INSERT(&STUDIO_TABLE, 0, "");
	sqlite3_stmt *st;

	s->id = 0;
	if (check(db, s, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	fields_bind(&SQL, st, s);
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
	static struct field_sql SQL = FIELD_UPDATE(&STUDIO_TABLE, 1, " WHERE id = ?1");
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
	st = fields_stmt(db, &SQL);
	if (!st) {
		r = error_set(e, ERR_DB, NULL, NULL);
		goto done;
	}
	sqlite3_bind_int64(st, 1, id);
	fields_bind(&SQL, st, out);
	r = step_write(db, st, out, e);
	if (r == ERR_OK)
		r = audit_appendf(db, actor, "studio.update", "studio", id, e, "{s:O}", "changed",
				  changed);
done:
	json_decref(changed);
	return r;
}
