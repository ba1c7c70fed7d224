/* GET /audit and GET /audit/verify (admin, DESIGN §6, §8). Verifying rehashes the whole chain:
 * that runs on the worker pool, on its own read-only connection, never on the event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/views.h"
#include "domain/audit.h"

static void add(const struct audit_entry *a, void *ctx)
{
	json_array_append_new(ctx, view_audit_entry(a));
}

static void api_audit_list(struct req *r)
{
	int64_t limit, offset, entity_id, total;
	const char *entity = req_query(r, "entity");
	json_t *items;
	enum err e;

	if (!req_paging_or_reply(r, &limit, &offset) ||
	    !req_query_id_or_reply(r, "entity_id", &entity_id))
		return;
	items = json_array();
	e = audit_list(&r->app->rdb, entity, entity_id, limit, offset, add, items, &total);
	if (e != ERR_OK) {
		json_decref(items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(items, total));
}

struct verify {
	struct req *r;
	char path[CONFIG_PATH_MAX + 16];
	struct audit_check check;
	struct error err;
};

static enum err verify_run(void *arg)
{
	struct verify *v = arg;
	struct db db;
	enum err e;

	if (db_open(&db, v->path, DB_READ_ONLY, &v->err) != ERR_OK)
		return v->err.err;
	e = audit_verify(&db, &v->check);
	db_close(&db);
	return e;
}

static void verify_done(void *arg, enum err result)
{
	struct verify *v = arg;
	struct req *r = v->r;

	if (result != ERR_OK)
		reply_err(r, result, NULL, NULL);
	else
		reply_json(r, 200,
			   json_pack("{s:b, s:I, s:o}", "ok", v->check.ok, "entries",
				     (json_int_t)v->check.entries, "first_broken_id",
				     v->check.first_broken_id
					     ? json_integer(v->check.first_broken_id)
					     : json_null()));
	free(v);
	req_release(r);
}

static void api_audit_verify(struct req *r)
{
	struct verify *v = calloc(1, sizeof(*v));
	enum err e;

	if (!v) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	v->r = r;
	snprintf(v->path, sizeof(v->path), "%s", r->app->db_path);
	req_hold(r);
	e = pool_submit(&r->app->pool, verify_run, verify_done, v);
	if (e != ERR_OK) {
		free(v);
		reply_err(r, e, NULL, NULL);
		req_release(r);
	}
}

API_ROUTES(audit) = {
	{ HTTP_GET, V1 "/audit", api_audit_list, ADMIN, 0 },
	{ HTTP_GET, V1 "/audit/verify", api_audit_verify, ADMIN, 0 },
	ROUTES_END,
};
