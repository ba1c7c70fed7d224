/* The hash-chained audit log (DESIGN §8). Every write of users, members, funds, venues and
 * supervision appends one entry inside the same writer job, so the entry commits or rolls
 * back with the change it describes. */
#ifndef MINGSHI_DOMAIN_AUDIT_H
#define MINGSHI_DOMAIN_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

/* Appends an entry; `detail` is a JSON object (borrowed; NULL means {}). actor 0 means the
 * command line or the system. Writer thread. */
enum err audit_append(struct db *db, int64_t actor, const char *action, const char *entity,
		      int64_t entity_id, json_t *detail, struct error *e);

/* audit_append with the detail built by json_pack(fmt, ...). */
enum err audit_appendf(struct db *db, int64_t actor, const char *action, const char *entity,
		       int64_t entity_id, struct error *e, const char *fmt, ...);

/* The canonical text of an entry, which its hash covers: compact JSON with sorted keys
 * {action, at, detail, entity, entity_id, id, user_id}. Returns malloc'd text or NULL. */
char *audit_canonical(int64_t id, const char *at, int64_t user_id, const char *action,
		      const char *entity, int64_t entity_id, const char *detail_json);

struct audit_entry {
	int64_t id;
	char at[24];
	int64_t user_id;
	char user_name[257];
	char action[64];
	char entity[32];
	int64_t entity_id;
	const char *detail; /* JSON text, borrowed for the callback's duration */
	char hash[65];
};

/* The fields of an entry as the log lists them: SQL and JSON (core/fields.h). */
extern const struct field AUDIT_FIELDS[];
extern const struct field_table AUDIT_TABLE;

/* Entries newest first, optionally only those of entity (and entity_id when non-zero);
 * *total counts all matches. */
enum err audit_list(struct db *db, const char *entity, int64_t entity_id, int64_t limit,
		    int64_t offset, void (*fn)(const struct audit_entry *a, void *ctx), void *ctx,
		    int64_t *total);

struct audit_check {
	bool ok;
	int64_t entries;
	int64_t first_broken_id; /* 0 when ok */
};

/* Recomputes the whole chain. */
enum err audit_verify(struct db *db, struct audit_check *out);

#endif
