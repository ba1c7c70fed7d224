/* Audit log; see audit.h. */
#include "domain/audit.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

char *audit_canonical(int64_t id, const char *at, int64_t user_id, const char *action,
		      const char *entity, int64_t entity_id, const char *detail_json)
{
	json_t *detail = json_loads(detail_json ? detail_json : "{}", 0, NULL), *entry;
	char *text;

	if (!detail)
		detail =
			json_string(detail_json); /* tampered text still hashes deterministically */
	entry = json_pack("{s:I, s:s, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)id, "at", at,
			  "user_id", user_id ? json_integer(user_id) : json_null(), "action",
			  action, "entity", entity, "entity_id",
			  entity_id ? json_integer(entity_id) : json_null(), "detail", detail);
	if (!entry)
		return NULL;
	text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(entry);
	return text;
}

/* hash = hex(SHA-256(prev_hash ‖ canonical)) */
static void chain_hash(const char *prev, const char *canonical, char out[65])
{
	size_t np = strlen(prev), nc = strlen(canonical);
	char *buf = malloc(np + nc);
	uint8_t digest[32];

	if (!buf) {
		out[0] = '\0';
		return;
	}
	memcpy(buf, prev, np);
	memcpy(buf + np, canonical, nc);
	crypto_sha256(buf, np + nc, digest);
	free(buf);
	crypto_hex(digest, 32, out);
}

/* The id and hash of the newest entry (0 and zeros for an empty log). */
static enum err last_entry(struct db *db, int64_t *id, char prev[65])
{
	static const char SQL[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	*id = 0;
	memcpy(prev, ZERO_HASH, 65);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(prev, 65, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

static enum err insert_entry(struct db *db, int64_t id, const char *at, int64_t actor,
			     const char *action, const char *entity, int64_t entity_id,
			     const char *detail, const char *prev, const char *hash)
{
	static const char SQL[] =
		"INSERT INTO audit (id, at, user_id, action, entity, entity_id, detail, prev_hash, hash)"
		" VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, nullif(?6, 0), ?7, ?8, ?9)";
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, actor);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, entity_id);
	sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_STATIC);
	return db_step_done(st);
}

enum err audit_append(struct db *db, int64_t actor, const char *action, const char *entity,
		      int64_t entity_id, json_t *detail, struct error *e)
{
	char prev[65], hash[65], at[32];
	char *detail_text =
		detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	char *canonical = NULL;
	int64_t last;
	enum err r;

	clock_rfc3339(clock_now(), at, sizeof(at));
	r = detail_text ? last_entry(db, &last, prev) : ERR_NOMEM;
	if (r == ERR_OK) {
		canonical = audit_canonical(last + 1, at, actor, action, entity, entity_id,
					    detail_text);
		r = canonical ? ERR_OK : ERR_NOMEM;
	}
	if (r == ERR_OK) {
		chain_hash(prev, canonical, hash);
		r = insert_entry(db, last + 1, at, actor, action, entity, entity_id, detail_text,
				 prev, hash);
	}
	free(canonical);
	free(detail_text);
	if (r != ERR_OK)
		return error_set(e, r, NULL, "cannot write the audit log");
	return ERR_OK;
}

enum err audit_appendf(struct db *db, int64_t actor, const char *action, const char *entity,
		       int64_t entity_id, struct error *e, const char *fmt, ...)
{
	json_t *detail;
	va_list ap;
	enum err r;

	va_start(ap, fmt);
	detail = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	if (!detail)
		return error_set(e, ERR_NOMEM, NULL, "cannot build the audit entry");
	r = audit_append(db, actor, action, entity, entity_id, detail, e);
	json_decref(detail);
	return r;
}

/* Checks one row against the running chain; updates prev to the row's stored hash. */
static bool row_ok(sqlite3_stmt *st, char prev[65])
{
	const char *stored_prev = (const char *)sqlite3_column_text(st, 7);
	const char *stored_hash = (const char *)sqlite3_column_text(st, 8);
	char *canonical = audit_canonical(
		sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
		(const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5),
		(const char *)sqlite3_column_text(st, 6));
	char hash[65];
	bool ok;

	if (!canonical || !stored_prev || !stored_hash)
		return free(canonical), false;
	chain_hash(prev, canonical, hash);
	free(canonical);
	ok = !strcmp(stored_prev, prev) && !strcmp(stored_hash, hash);
	snprintf(prev, 65, "%s", stored_hash);
	return ok;
}

enum err audit_verify(struct db *db, struct audit_check *out)
{
	static const char SQL[] =
		"SELECT id, at, coalesce(user_id, 0), action, entity, coalesce(entity_id, 0), detail,"
		" prev_hash, hash FROM audit ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, SQL);
	char prev[65] = ZERO_HASH;
	int64_t expect_id = 1;
	int rc;

	if (!st)
		return ERR_DB;
	memset(out, 0, sizeof(*out));
	out->ok = true;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		out->entries++;
		/* A missing id (a deleted row) breaks the chain as surely as an edited one. */
		if (out->ok && (id != expect_id || !row_ok(st, prev))) {
			out->ok = false;
			out->first_broken_id = id;
		}
		expect_id = id + 1;
	}
	db_done(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

#define E(field) FIELD_AT(struct audit_entry, field)

/* An entry's fields as GET /audit shows them. Entries are written by audit_append() alone,
 * whose hash chain decides what is stored. */
/* clang-format off */
const struct field AUDIT_FIELDS[] = {
	{ "id", F_ID, E(id), .sql = "a.id" },
	{ "at", F_TEXT, E(at), .sql = "a.at" },
	{ "user_id", F_ID, E(user_id), .flags = F_ZERO_NULL, .sql = "a.user_id" },
	{ "user_name", F_TEXT, E(user_name), .flags = F_ZERO_NULL, .sql = "u.name" },
	{ "action", F_TEXT, E(action), .sql = "a.action" },
	{ "entity", F_TEXT, E(entity), .sql = "a.entity" },
	{ "entity_id", F_ID, E(entity_id), .flags = F_ZERO_NULL, .sql = "a.entity_id" },
	{ "detail", F_JSON, E(detail), .sql = "a.detail" },
	{ "hash", F_TEXT, E(hash), .sql = "a.hash" },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table AUDIT_TABLE = { AUDIT_FIELDS, NULL,
					 " FROM audit a LEFT JOIN users u ON u.id = a.user_id",
					 &cache };

#define LIST_WHERE " WHERE (?1 IS NULL OR a.entity = ?1) AND (?2 IS NULL OR a.entity_id = ?2)"

static void bind_list(sqlite3_stmt *st, const char *entity, int64_t entity_id)
{
	if (entity && entity[0])
		sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	if (entity_id)
		sqlite3_bind_int64(st, 2, entity_id);
}

enum err audit_list(struct db *db, const char *entity, int64_t entity_id, int64_t limit,
		    int64_t offset, void (*fn)(const struct audit_entry *a, void *ctx), void *ctx,
		    int64_t *total)
{
	static const char COUNT[] = "SELECT count(*) FROM audit a" LIST_WHERE;
	static struct field_sql SQL =
		FIELD_SELECT(&AUDIT_TABLE, LIST_WHERE " ORDER BY a.id DESC LIMIT ?3 OFFSET ?4");
	sqlite3_stmt *st = db_stmt(db, COUNT);
	struct audit_entry a;
	int rc;

	if (!st)
		return ERR_DB;
	bind_list(st, entity, entity_id);
	*total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	st = fields_stmt(db, &SQL);
	if (!st)
		return ERR_DB;
	bind_list(st, entity, entity_id);
	sqlite3_bind_int64(st, 3, limit);
	sqlite3_bind_int64(st, 4, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fields_read(&SQL, st, &a);
		fn(&a, ctx);
	}
	db_done(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}
