/* /studios/{id}/achievements (成果): everyone signed in reads; the studio's managers write. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/job.h"
#include "api/views.h"
#include "auth/perm.h"
#include "core/fields.h"

static void add(const struct achievement *a, void *ctx)
{
	json_array_append_new(ctx, view_achievement(a));
}

static void api_achievements_list(struct req *r)
{
	struct studio_scope sc;
	int64_t limit, offset, total;
	json_t *items;
	enum err e;

	if (!req_paging_or_reply(r, &limit, &offset) ||
	    !api_studio_scope_or_reply(r, r->ids[0], false, &sc))
		return;
	items = json_array();
	e = achievement_list(&r->app->rdb, r->ids[0], limit, offset, add, items, &total);
	if (e != ERR_OK) {
		json_decref(items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(items, total));
}

enum ach_op { ACH_CREATE, ACH_UPDATE, ACH_DELETE };

struct ach_write {
	enum ach_op op;
	int64_t studio_id, id;
	uint64_t set;
	struct achievement a, result;
};

static enum err write_run(struct db *db, struct api_job *j)
{
	struct ach_write *w = j->data;

	switch (w->op) {
	case ACH_CREATE:
		w->a.studio_id = w->studio_id;
		if (achievement_insert(db, &w->a, j->actor, &j->err) != ERR_OK)
			return j->err.err;
		w->result = w->a;
		return ERR_OK;
	case ACH_UPDATE:
		return achievement_update(db, w->studio_id, w->id, &w->a, w->set, j->actor,
					  &w->result, &j->err);
	default:
		return achievement_delete(db, w->studio_id, w->id, j->actor, &j->err);
	}
}

static void write_done(struct api_job *j, enum err result)
{
	struct ach_write *w = j->data;

	if (result != ERR_OK)
		api_reply_result(j, result);
	else if (w->op == ACH_DELETE)
		reply_json(j->r, 204, NULL);
	else
		reply_json(j->r, w->op == ACH_CREATE ? 201 : 200, view_achievement(&w->result));
}

static void ach_write_req(struct req *r, enum ach_op op)
{
	struct ach_write *w = calloc(1, sizeof(*w));
	struct studio_scope sc;
	json_t *body = NULL;
	struct error e;

	if (!w) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	if (op != ACH_DELETE) {
		body = req_json_or_reply(r, NULL);
		if (!body) {
			free(w);
			return;
		}
		if (fields_parse(body, ACHIEVEMENT_FIELDS, &w->a, &w->set, op == ACH_CREATE, &e) !=
		    ERR_OK) {
			json_decref(body);
			free(w);
			reply_error(r, &e);
			return;
		}
		json_decref(body);
	}
	if (!api_studio_scope_or_reply(r, r->ids[0], true, &sc)) {
		free(w);
		return;
	}
	w->op = op;
	w->studio_id = r->ids[0];
	w->id = r->nids > 1 ? r->ids[1] : 0;
	api_write(r, w, NULL, write_run, write_done);
}

static void api_achievements_create(struct req *r)
{
	ach_write_req(r, ACH_CREATE);
}

static void api_achievements_update(struct req *r)
{
	ach_write_req(r, ACH_UPDATE);
}

static void api_achievements_delete(struct req *r)
{
	ach_write_req(r, ACH_DELETE);
}

API_ROUTES(achievements) = {
	{ HTTP_GET, V1 "/studios/{id}/achievements", api_achievements_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios/{id}/achievements", api_achievements_create, ADMINS | MASTER, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}/achievements/{id}", api_achievements_update,
	  ADMINS | MASTER, 0 },
	{ HTTP_DELETE, V1 "/studios/{id}/achievements/{id}", api_achievements_delete,
	  ADMINS | MASTER, 0 },
	ROUTES_END,
};
