/* CSV imports (DESIGN §6 /users/import, /studios/import): every row is validated with the
 * same rules as the JSON API, inside one writer job — a real import commits all rows or none,
 * and a dry run executes every row and rolls back, so its per-row errors are exactly the ones
 * a real import would hit. Column names are documented in docs/API.md. */
#ifndef MINGSHI_DOMAIN_IMPORT_H
#define MINGSHI_DOMAIN_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/db.h"
#include "core/err.h"

/* Initial passwords made by the caller (auth/ is above domain/), one per data row, used for
 * the accounts a row creates. */
struct import_secrets {
	size_t n;
	char (*plain)[17];
	char (*hash)[128];
};

struct import_result {
	int rows;			  /* data rows */
	int users, studios, universities; /* created */
	json_t *errors;			  /* [{row, field, message}]; row 2 is the first data row */
	json_t *accounts; /* [{username, name, initial_password}] of created users */
};

/* Both return ERR_OK only when every row is valid and it is not a dry run; anything else
 * must roll back (the writer does that for a job that does not return ERR_OK). *e is filled
 * for file-level problems (unknown or missing columns). Writer thread. */
enum err import_users(struct db *db, const struct csv_table *t, const struct import_secrets *sec,
		      int64_t actor, bool dry_run, struct import_result *res, struct error *e);
enum err import_studios(struct db *db, const struct csv_table *t, const struct import_secrets *sec,
			int64_t actor, bool dry_run, struct import_result *res, struct error *e);

void import_result_init(struct import_result *res);
void import_result_free(struct import_result *res);

#endif
