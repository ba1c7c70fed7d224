/* Universities (DESIGN §6 /universities): name and Ministry of Education code. */
#ifndef MINGSHI_DOMAIN_UNIVERSITY_H
#define MINGSHI_DOMAIN_UNIVERSITY_H

#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"

#define UNIVERSITY_NAME_MAX 100
#define UNIVERSITY_CODE_MAX 20

struct university {
	int64_t id;
	char name[UNIVERSITY_NAME_MAX * 4 + 1];
	char code[UNIVERSITY_CODE_MAX * 4 + 1];
	int64_t studio_count;
	char created_at[24];
};

/* The fields of a university: requests, SQL and JSON (core/fields.h). */
extern const struct field UNIVERSITY_FIELDS[];
extern const struct field_table UNIVERSITY_TABLE;

enum err university_get(struct db *db, int64_t id, struct university *out);
enum err university_by_code(struct db *db, const char *code, struct university *out);

/* Universities ordered by code, a page of limit from offset; *total counts them all. */
enum err university_list(struct db *db, int64_t limit, int64_t offset,
			 void (*fn)(const struct university *u, void *ctx), void *ctx,
			 int64_t *total);

/* Inserts u after checks (code is letters and digits); sets u->id; audits. Writer thread.
 * A taken name or code is ERR_CONFLICT on that field. */
enum err university_insert(struct db *db, struct university *u, int64_t actor, struct error *e);

/* Applies the fields marked in set to university id; audits. Writer thread. */
enum err university_update(struct db *db, int64_t id, const struct university *patch, uint64_t set,
			   int64_t actor, struct university *out, struct error *e);

#endif
