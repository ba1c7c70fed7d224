/* Room kinds (DESIGN §7): a room is named "<prefix>:<id>" and its kind decides who may read,
 * post and moderate, and what presence means. One table row per kind, so a new kind (the
 * activities issue adds `activity:`) is one entry here. Access is always decided against the
 * database as it is now: callers ask on every message, not only at join. */
#ifndef MINGSHI_DOMAIN_ROOM_H
#define MINGSHI_DOMAIN_ROOM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/db.h"
#include "domain/user.h"

#define ROOM_NAME_MAX 40

struct room_kind {
	const char *prefix;
	bool (*exists)(struct db *db, int64_t id);
	/* Whether u may read, post in or moderate room id; false when the room does not exist,
	 * so a caller needs exists() only to tell "no such room" from "not allowed". */
	bool (*may_read)(struct db *db, const struct user *u, int64_t id);
	bool (*may_post)(struct db *db, const struct user *u, int64_t id);
	bool (*may_moderate)(struct db *db, const struct user *u, int64_t id);
	/* The ids of this kind u may read, into ids (at most cap): their count, or -1 when u may
	 * read every room of the kind. */
	int (*readable)(struct db *db, const struct user *u, int64_t *ids, int cap);
	/* Called on the writer, inside the job that records a presence interval, when a user
	 * joins (joined) or leaves a room of this kind; NULL when the kind needs nothing more
	 * than the interval itself. The activities issue hooks online attendance here. */
	enum err (*on_presence)(struct db *db, int64_t id, int64_t user_id, bool joined);
};

struct room_ref {
	const struct room_kind *kind;
	int64_t id;
	char name[ROOM_NAME_MAX + 1]; /* canonical: "studio:3" */
};

/* Parses "studio:3" into *out. Returns false for an unknown prefix or a bad id. */
bool room_parse(const char *name, struct room_ref *out);

/* The rooms u may read: a JSON array of room names into *names and a JSON array of prefixes
 * ("studio:") of kinds u may read entirely into *all. New references. */
void room_readable(struct db *db, const struct user *u, json_t **names, json_t **all);

#endif
