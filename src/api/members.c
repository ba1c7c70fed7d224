/* /studios/{id}/members (DESIGN §6): a teacher applies; the studio's master (or its admins)
 * approves, rejects and removes; a member leaves. Everyone signed in sees the approved
 * members; the studio's managers also see applications and their reasons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/hub.h"
#include "api/job.h"
#include "api/views.h"
#include "auth/perm.h"
#include "core/json.h"

struct members_ctx {
	json_t *items;
	bool with_reason;
};

static void add(const struct member *m, void *arg)
{
	struct members_ctx *c = arg;

	json_array_append_new(c->items, view_member(m, c->with_reason));
}

static void api_members_list(struct req *r)
{
	struct studio_scope sc;
	struct members_ctx c;
	int64_t limit, offset, total;
	enum err e;

	if (!req_paging_or_reply(r, &limit, &offset) ||
	    !api_studio_scope_or_reply(r, r->ids[0], false, &sc))
		return;
	c.with_reason = perm_studio_manage(&r->user, &sc);
	c.items = json_array();
	e = member_list(&r->app->rdb, r->ids[0], c.with_reason, limit, offset, add, &c, &total);
	if (e != ERR_OK) {
		json_decref(c.items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(c.items, total));
}

/* ---- writes -------------------------------------------------------------------------- */

enum member_op { OP_APPLY, OP_APPROVE, OP_REJECT, OP_LEAVE, OP_REMOVE };

struct member_write {
	enum member_op op;
	int64_t studio_id, user_id;
	char reason[MEMBER_REASON_MAX * 4 + 1];
	struct member result;
};

static enum err write_run(struct db *db, struct api_job *j)
{
	struct member_write *w = j->data;

	switch (w->op) {
	case OP_APPLY:
		return member_apply(db, w->studio_id, w->user_id, w->reason, &w->result, &j->err);
	case OP_APPROVE:
	case OP_REJECT:
		return member_decide(db, w->studio_id, w->user_id, w->op == OP_APPROVE, j->actor,
				     &w->result, &j->err);
	default:
		return member_end(db, w->studio_id, w->user_id, w->op == OP_LEAVE, j->actor,
				  &w->result, &j->err);
	}
}

static void write_done(struct api_job *j, enum err result)
{
	struct member_write *w = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	/* Leaving, being removed or approved changes what the user may read: re-check their open
	 * subscriptions to the studio's room at once (DESIGN §8). */
	if (w->op != OP_APPLY) {
		char room[48];

		snprintf(room, sizeof(room), "studio:%lld", (long long)w->studio_id);
		hub_recheck(j->r->app->hub, w->user_id, room);
	}
	reply_json(j->r, w->op == OP_APPLY ? 201 : 200, view_member(&w->result, true));
}

static struct member_write *new_write(struct req *r, enum member_op op, int64_t user_id)
{
	struct member_write *w = calloc(1, sizeof(*w));

	if (!w) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return NULL;
	}
	w->op = op;
	w->studio_id = r->ids[0];
	w->user_id = user_id;
	return w;
}

/* POST /studios/{id}/members {reason}: the signed-in teacher applies. */
static void api_members_apply(struct req *r)
{
	static const char *const FIELDS[] = { "reason", NULL };
	json_t *body = req_json_or_reply(r, FIELDS);
	struct studio_scope sc;
	struct member_write *w;
	const char *reason;
	struct error e;

	if (!body)
		return;
	if (json_get_string(body, "reason", false, 0, MEMBER_REASON_MAX, &reason, &e) != ERR_OK) {
		json_decref(body);
		reply_error(r, &e);
		return;
	}
	if (!api_studio_scope_or_reply(r, r->ids[0], false, &sc) ||
	    !(w = new_write(r, OP_APPLY, r->user.id))) {
		json_decref(body);
		return;
	}
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
	json_decref(body);
	api_write(r, w, NULL, write_run, write_done);
}

/* PATCH /studios/{id}/members/{user_id} {status: approved|rejected} */
static void api_members_decide(struct req *r)
{
	static const char *const FIELDS[] = { "status", NULL };
	json_t *body = req_json_or_reply(r, FIELDS);
	struct studio_scope sc;
	struct member_write *w;
	const char *status;
	struct error e;

	if (!body)
		return;
	if (json_get_string(body, "status", true, 1, 16, &status, &e) != ERR_OK ||
	    (strcmp(status, "approved") && strcmp(status, "rejected") &&
	     error_set(&e, ERR_INVALID, "status", "status is approved or rejected"))) {
		json_decref(body);
		reply_error(r, &e);
		return;
	}
	if (!api_studio_scope_or_reply(r, r->ids[0], true, &sc) ||
	    !(w = new_write(r, status[0] == 'a' ? OP_APPROVE : OP_REJECT, r->ids[1]))) {
		json_decref(body);
		return;
	}
	json_decref(body);
	api_write(r, w, NULL, write_run, write_done);
}

/* DELETE /studios/{id}/members/{user_id}: leave (yourself) or remove (the studio's managers). */
static void api_members_end(struct req *r)
{
	struct studio_scope sc;
	struct member_write *w;
	bool self = r->ids[1] == r->user.id;

	if (!api_studio_scope_or_reply(r, r->ids[0], !self, &sc))
		return;
	w = new_write(r, self ? OP_LEAVE : OP_REMOVE, r->ids[1]);
	if (w)
		api_write(r, w, NULL, write_run, write_done);
}

API_ROUTES(members) = {
	{ HTTP_GET, V1 "/studios/{id}/members", api_members_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios/{id}/members", api_members_apply, TEACHER, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}/members/{id}", api_members_decide, ADMINS | MASTER, 0 },
	{ HTTP_DELETE, V1 "/studios/{id}/members/{id}", api_members_end, ADMINS | MASTER | TEACHER,
	  0 },
	ROUTES_END,
};
