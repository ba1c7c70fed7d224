/* Studio achievements (成果: paper, award, course, teaching case, other) that feed the annual
 * assessment. */
#ifndef MINGSHI_DOMAIN_ACHIEVEMENT_H
#define MINGSHI_DOMAIN_ACHIEVEMENT_H

#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

struct achievement {
	int64_t id;
	int64_t studio_id;
	char kind[16];
	char title[200 * 4 + 1];
	char achieved_on[11];
	char description[4000 * 4 + 1];
	char link[500 * 4 + 1]; /* limits count characters; UTF-8 takes up to 4 bytes each */
	int64_t created_by;
	char created_at[24];
};

/* The fields of an achievement: requests, SQL and JSON (core/fields.h). */
extern const struct field ACHIEVEMENT_FIELDS[];
extern const struct field_table ACHIEVEMENT_TABLE;

enum err achievement_get(struct db *db, int64_t id, struct achievement *out);

/* A studio's achievements, newest first, a page of limit from offset; *total counts them. */
enum err achievement_list(struct db *db, int64_t studio_id, int64_t limit, int64_t offset,
			  void (*fn)(const struct achievement *a, void *ctx), void *ctx,
			  int64_t *total);

/* Writer thread; each audits `achievement.create|update|delete` on the studio. */
enum err achievement_insert(struct db *db, struct achievement *a, int64_t actor, struct error *e);
enum err achievement_update(struct db *db, int64_t studio_id, int64_t id,
			    const struct achievement *patch, uint64_t set, int64_t actor,
			    struct achievement *out, struct error *e);
enum err achievement_delete(struct db *db, int64_t studio_id, int64_t id, int64_t actor,
			    struct error *e);

#endif
