/* POST /users/import and POST /studios/import (admin, text/csv, ?dry_run=1), DESIGN §6.
 * A worker parses the CSV and makes one initial password per row; one writer job then runs
 * every row (domain/import.c). A dry run answers 200 with the per-row errors and writes
 * nothing; a real import answers 201 with the accounts it created, or 400 with every row's
 * errors and writes nothing. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "auth/password.h"
#include "core/csv.h"
#include "domain/import.h"

enum import_kind { IMPORT_USERS, IMPORT_STUDIOS };

struct import {
	struct req *r;
	enum import_kind kind;
	bool dry_run;
	int64_t actor;
	struct csv_table table;
	struct import_secrets secrets;
	struct import_result result;
	struct error err;
};

static void import_free(struct import *im)
{
	csv_table_free(&im->table);
	if (im->secrets.plain)
		memset(im->secrets.plain, 0, im->secrets.n * sizeof(*im->secrets.plain));
	free(im->secrets.plain);
	free(im->secrets.hash);
	import_result_free(&im->result);
	free(im);
}

static void finish(struct import *im)
{
	struct req *r = im->r;

	import_free(im);
	req_release(r);
}

/* ---- step 3: answer ------------------------------------------------------------------ */

static json_t *summary(const struct import *im, const char *key)
{
	return json_pack("{s:b, s:i, s:{s:i, s:i, s:i}, s:O}", "dry_run", im->dry_run, "rows",
			 im->result.rows, key, "users", im->result.users, "studios",
			 im->result.studios, "universities", im->result.universities, "errors",
			 im->result.errors);
}

static void run_done(void *arg, enum err result)
{
	struct import *im = arg;
	struct req *r = im->r;
	size_t nerr = json_array_size(im->result.errors);
	json_t *body;

	if (im->err.err != ERR_OK) {
		reply_error(r, &im->err); /* a file-level problem: columns */
	} else if (im->dry_run) {
		reply_json(r, 200, summary(im, "would_create"));
	} else if (nerr) {
		body = json_pack("{s:{s:s, s:s, s:s, s:O}}", "error", "code", "validation_failed",
				 "message", "some rows have errors; nothing was imported", "field",
				 "csv", "rows", im->result.errors);
		reply_json(r, 400, body);
	} else if (result != ERR_OK) {
		reply_err(r, result, NULL, NULL);
	} else {
		body = summary(im, "created");
		json_object_set(body, "accounts", im->result.accounts);
		reply_json(r, 201, body);
	}
	finish(im);
}

static enum err run_job(struct db *db, void *arg)
{
	struct import *im = arg;

	if (im->kind == IMPORT_USERS)
		return import_users(db, &im->table, &im->secrets, im->actor, im->dry_run,
				    &im->result, &im->err);
	return import_studios(db, &im->table, &im->secrets, im->actor, im->dry_run, &im->result,
			      &im->err);
}

/* ---- step 2: a worker parses and makes the secrets ----------------------------------- */

static enum err parse_run(void *arg)
{
	struct import *im = arg;
	struct req *r = im->r;
	size_t n;

	if (csv_read(r->body, r->body_len, &im->table, &im->err) != ERR_OK)
		return im->err.err;
	if (im->table.nrows < 2)
		return error_set(&im->err, ERR_INVALID, "csv", "the file has a header but no rows");
	n = im->table.nrows - 1;
	im->secrets.n = n;
	im->secrets.plain = calloc(n, sizeof(*im->secrets.plain));
	im->secrets.hash = calloc(n, sizeof(*im->secrets.hash));
	if (!im->secrets.plain || !im->secrets.hash)
		return error_set(&im->err, ERR_NOMEM, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		if (password_initial(im->secrets.plain[i], im->secrets.hash[i],
				     sizeof(im->secrets.hash[i])) != ERR_OK)
			return error_set(&im->err, ERR_INTERNAL, NULL, NULL);
	}
	return ERR_OK;
}

static void parse_done(void *arg, enum err result)
{
	struct import *im = arg;
	enum err e;

	if (req_gone(im->r) || result != ERR_OK) {
		reply_error(im->r, &im->err);
		finish(im);
		return;
	}
	e = writer_submit(&im->r->app->writer, run_job, run_done, im);
	if (e != ERR_OK) {
		reply_err(im->r, e, NULL, NULL);
		finish(im);
	}
}

/* ---- step 1 -------------------------------------------------------------------------- */

static void start(struct req *r, enum import_kind kind)
{
	const char *dry = req_query(r, "dry_run");
	struct import *im;
	enum err e;

	if (dry && strcmp(dry, "0") && strcmp(dry, "1") && strcmp(dry, "true") &&
	    strcmp(dry, "false")) {
		reply_err(r, ERR_INVALID, "dry_run", "dry_run is 1 or 0");
		return;
	}
	if (!r->body || r->body_len == 0) {
		reply_err(r, ERR_INVALID, "csv", "send the CSV file as the request body");
		return;
	}
	im = calloc(1, sizeof(*im));
	if (!im) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	im->r = r;
	im->kind = kind;
	im->dry_run = dry && (!strcmp(dry, "1") || !strcmp(dry, "true"));
	im->actor = r->user.id;
	import_result_init(&im->result);
	req_hold(r);
	e = pool_submit(&r->app->pool, parse_run, parse_done, im);
	if (e != ERR_OK) {
		reply_err(r, e, NULL, NULL);
		finish(im);
	}
}

static void api_users_import(struct req *r)
{
	start(r, IMPORT_USERS);
}

static void api_studios_import(struct req *r)
{
	start(r, IMPORT_STUDIOS);
}

API_ROUTES(import) = {
	{ HTTP_POST, V1 "/users/import", api_users_import, ADMIN, ROUTE_CSV_BODY },
	{ HTTP_POST, V1 "/studios/import", api_studios_import, ADMIN, ROUTE_CSV_BODY },
	ROUTES_END,
};
