/* Studios (名师工作室, DESIGN §1, §6): profile fields and their rules, search and listing,
 * creation and updates. Who may do what is decided in api/ (auth/perm); this module keeps
 * the data consistent: a studio's master is an enabled master of the same university, one
 * studio per master, max_members never below the approved members. */
#ifndef MINGSHI_DOMAIN_STUDIO_H
#define MINGSHI_DOMAIN_STUDIO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

#define STUDIO_NAME_MAX 60
#define DISCIPLINE_MAX 40
#define INTRO_MAX 4000
#define PLAN_MAX 8000
#define HONOURS_MAX 4000

struct studio {
	int64_t id;
	char name[STUDIO_NAME_MAX * 4 + 1];
	int64_t master_id;
	char master_name[64 * 4 + 1];
	char master_title[32 * 4 + 1];
	int64_t university_id;
	char university_name[100 * 4 + 1];
	char discipline[DISCIPLINE_MAX * 4 + 1];
	char level[12];
	char established_on[11];
	char cycle[20 * 4 + 1];
	char introduction[INTRO_MAX * 4 + 1];
	char training_plan[PLAN_MAX * 4 + 1];
	char honours[HONOURS_MAX * 4 + 1];
	int64_t max_members;
	int64_t member_count; /* approved */
	int64_t pending_count;
	char status[12];
	char created_at[24], updated_at[24];
};

/* The fields of a studio: requests, SQL and JSON (core/fields.h). */
extern const struct field STUDIO_FIELDS[];
extern const struct field_table STUDIO_TABLE;

/* The bits of STUDIO_FIELDS a studio's master may change on their own (the profile texts). */
uint64_t studio_master_fields(void);

/* Loads studio id (all fields). ERR_NOT_FOUND if none. */
enum err studio_get(struct db *db, int64_t id, struct studio *out);

/* The id of the studio master_id runs, 0 if none. */
int64_t studio_of_master(struct db *db, int64_t master_id);

struct studio_filter {
	const char *q;		/* substring of name, master's name or discipline */
	const char *discipline; /* exact */
	int64_t university_id;
	const char *level, *status;
	bool by_name; /* else newest (established_on, then id, descending) */
	int64_t limit, offset;
};

/* Calls fn for each match (long texts left empty); *total counts all matches. */
enum err studio_list(struct db *db, const struct studio_filter *f,
		     void (*fn)(const struct studio *s, void *ctx), void *ctx, int64_t *total);

/* Inserts s after checks; defaults: level provincial, max_members 6, status active. Sets
 * s->id and audits `studio.create`. Writer thread. */
enum err studio_insert(struct db *db, struct studio *s, int64_t actor, struct error *e);

/* Applies the fields of patch marked in set, checks, saves, audits `studio.update` with the
 * changed field names. Writer thread. */
enum err studio_update(struct db *db, int64_t id, const struct studio *patch, uint64_t set,
		       int64_t actor, struct studio *out, struct error *e);

/* Fills the defaults of a new studio. */
void studio_defaults(struct studio *s);

#endif
