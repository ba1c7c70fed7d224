/* /universities (DESIGN §6): every signed-in user reads; admins write. */
#include <stdlib.h>

#include "api/api.h"
#include "api/router.h"
#include "api/job.h"
#include "api/views.h"
#include "core/fields.h"

static void add(const struct university *v, void *ctx)
{
	json_array_append_new(ctx, view_university(v));
}

static void api_universities_list(struct req *r)
{
	int64_t limit, offset, total;
	json_t *items;
	enum err e;

	if (!req_paging_or_reply(r, &limit, &offset))
		return;
	items = json_array();
	e = university_list(&r->app->rdb, limit, offset, add, items, &total);
	if (e != ERR_OK) {
		json_decref(items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(items, total));
}

static void api_universities_get(struct req *r)
{
	struct university v;
	enum err e = university_get(&r->app->rdb, r->ids[0], &v);

	if (e != ERR_OK) {
		reply_err(r, e, NULL, e == ERR_NOT_FOUND ? "no such university" : NULL);
		return;
	}
	reply_json(r, 200, view_university(&v));
}

struct uni_write {
	int64_t id; /* 0: create */
	struct university v, result;
	uint64_t set;
};

static enum err write_run(struct db *db, struct api_job *j)
{
	struct uni_write *w = j->data;

	if (!w->id) {
		if (university_insert(db, &w->v, j->actor, &j->err) != ERR_OK)
			return j->err.err;
		return university_get(db, w->v.id, &w->result);
	}
	return university_update(db, w->id, &w->v, w->set, j->actor, &w->result, &j->err);
}

static void write_done(struct api_job *j, enum err result)
{
	struct uni_write *w = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	reply_json(j->r, w->id ? 200 : 201, view_university(&w->result));
}

static void uni_write(struct req *r, int64_t id)
{
	json_t *body = req_json_or_reply(r, NULL);
	struct uni_write *w = body ? calloc(1, sizeof(*w)) : NULL;
	struct error e;

	if (!body)
		return;
	if (!w || fields_parse(body, UNIVERSITY_FIELDS, &w->v, &w->set, id == 0, &e) != ERR_OK) {
		if (!w)
			error_set(&e, ERR_NOMEM, NULL, NULL);
		json_decref(body);
		free(w);
		reply_error(r, &e);
		return;
	}
	json_decref(body);
	w->id = id;
	api_write(r, w, NULL, write_run, write_done);
}

static void api_universities_create(struct req *r)
{
	uni_write(r, 0);
}

static void api_universities_update(struct req *r)
{
	uni_write(r, r->ids[0]);
}

API_ROUTES(universities) = {
	{ HTTP_GET, V1 "/universities", api_universities_list, ANY, 0 },
	{ HTTP_POST, V1 "/universities", api_universities_create, ADMIN, 0 },
	{ HTTP_GET, V1 "/universities/{id}", api_universities_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/universities/{id}", api_universities_update, ADMIN, 0 },
	ROUTES_END,
};
