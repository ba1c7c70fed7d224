/* Room kinds; see room.h. */
#include "domain/room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/member.h"
#include "domain/studio.h"

/* ---- studio:{id} — its members and master post, admins too; experts read ------------ */

static bool studio_exists(struct db *db, int64_t id)
{
	static const char SQL[] = "SELECT 1 FROM studios WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	bool found;

	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	found = sqlite3_step(st) == SQLITE_ROW;
	db_done(st);
	return found;
}

/* master of the studio, or an approved member of it */
static bool studio_insider(struct db *db, const struct user *u, int64_t id)
{
	static const char SQL[] =
		"SELECT 1 FROM studios WHERE id = ?1 AND master_id = ?2 UNION ALL"
		" SELECT 1 FROM studio_members WHERE studio_id = ?1 AND user_id = ?2"
		" AND status = 'approved'";
	sqlite3_stmt *st = db_stmt(db, SQL);
	bool yes;

	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, u->id);
	yes = sqlite3_step(st) == SQLITE_ROW;
	db_done(st);
	return yes;
}

static bool studio_may_post(struct db *db, const struct user *u, int64_t id)
{
	if (u->disabled)
		return false;
	if (u->role == ROLE_ADMIN)
		return studio_exists(db, id);
	return studio_insider(db, u, id);
}

static bool studio_may_read(struct db *db, const struct user *u, int64_t id)
{
	if (!u->disabled && u->role == ROLE_EXPERT)
		return studio_exists(db, id);
	return studio_may_post(db, u, id);
}

static bool studio_may_moderate(struct db *db, const struct user *u, int64_t id)
{
	if (u->disabled)
		return false;
	if (u->role == ROLE_ADMIN)
		return studio_exists(db, id);
	return u->role == ROLE_MASTER && studio_of_master(db, u->id) == id;
}

static int studio_readable(struct db *db, const struct user *u, int64_t *ids, int cap)
{
	static const char SQL[] =
		"SELECT id FROM studios WHERE master_id = ?1 UNION"
		" SELECT studio_id FROM studio_members WHERE user_id = ?1 AND status = 'approved'";
	sqlite3_stmt *st;
	int n = 0;

	if (u->disabled)
		return 0;
	if (u->role == ROLE_ADMIN || u->role == ROLE_EXPERT)
		return -1;
	st = db_stmt(db, SQL);
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, u->id);
	while (n < cap && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	db_done(st);
	return n;
}

static const struct room_kind KINDS[] = {
	{ "studio", studio_exists, studio_may_read, studio_may_post, studio_may_moderate,
	  studio_readable, NULL },
};

bool room_parse(const char *name, struct room_ref *out)
{
	const char *colon = name ? strchr(name, ':') : NULL;
	size_t len = name ? strlen(name) : 0;
	char *end;
	long long id;

	if (!colon || len > ROOM_NAME_MAX || colon[1] < '1' || colon[1] > '9')
		return false;
	id = strtoll(colon + 1, &end, 10);
	if (*end || id <= 0 || end - (colon + 1) > 15)
		return false;
	for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++) {
		if (strlen(KINDS[i].prefix) == (size_t)(colon - name) &&
		    !strncmp(KINDS[i].prefix, name, (size_t)(colon - name))) {
			out->kind = &KINDS[i];
			out->id = id;
			/* canonical as it stands: a known prefix, then digits without a leading
			 * zero or sign (formatting it again was ~0.5 % of a chat message) */
			memcpy(out->name, name, len + 1);
			return true;
		}
	}
	return false;
}

void room_readable(struct db *db, const struct user *u, json_t **names, json_t **all)
{
	int64_t ids[512];
	char name[ROOM_NAME_MAX + 1];

	*names = json_array();
	*all = json_array();
	for (size_t k = 0; k < sizeof(KINDS) / sizeof(KINDS[0]); k++) {
		int n = KINDS[k].readable(db, u, ids, 512);

		if (n < 0) {
			snprintf(name, sizeof(name), "%s:", KINDS[k].prefix);
			json_array_append_new(*all, json_string(name));
			continue;
		}
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s:%lld", KINDS[k].prefix, (long long)ids[i]);
			json_array_append_new(*names, json_string(name));
		}
	}
}
