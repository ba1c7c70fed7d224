/* /users (DESIGN §6, admin): list, create, read, update (including disable), password reset.
 * New accounts get a machine-generated initial password, returned once, that must be changed
 * at first sign-in; admins never choose other people's passwords. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/hub.h"
#include "api/job.h"
#include "api/views.h"
#include "auth/password.h"
#include "auth/perm.h"
#include "core/fields.h"

/* ---- GET /users ---------------------------------------------------------------------- */

static void add_user(const struct user *u, void *ctx)
{
	json_array_append_new(ctx, view_user(u, false));
}

static void api_users_list(struct req *r)
{
	struct user_filter f = { req_query(r, "q"), ROLE_NONE, 0, 50, 0 };
	const char *role = req_query(r, "role");
	json_t *items;
	int64_t total;
	enum err e;

	if (!req_paging_or_reply(r, &f.limit, &f.offset) ||
	    !req_query_id_or_reply(r, "university_id", &f.university_id))
		return;
	if (role && (f.role = role_parse(role)) == ROLE_NONE) {
		reply_err(r, ERR_INVALID, "role", "role is not one of the allowed values");
		return;
	}
	items = json_array();
	e = user_list(&r->app->rdb, &f, add_user, items, &total);
	if (e != ERR_OK) {
		json_decref(items);
		reply_err(r, e, NULL, NULL);
		return;
	}
	reply_json(r, 200, view_list(items, total));
}

/* ---- GET /users/{id} ----------------------------------------------------------------- */

struct pii_read {
	struct user user;
};

static enum err pii_run(struct db *db, struct api_job *j)
{
	struct pii_read *p = j->data;

	return user_log_pii_read(db, j->actor, p->user.id, "phone,email");
}

static void pii_done(struct api_job *j, enum err result)
{
	struct pii_read *p = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	reply_json(j->r, 200, view_user(&p->user, true));
}

/* Admins and the person see the whole record; the read is logged first (DESIGN §8). */
static void api_users_get(struct req *r)
{
	struct pii_read *p;
	enum err e;

	if (!perm_pii_whole(&r->user, r->ids[0])) {
		reply_err(r, ERR_FORBIDDEN, NULL, "only admins and the person see a user record");
		return;
	}
	p = malloc(sizeof(*p));
	if (!p) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	e = user_by_id(&r->app->rdb, r->ids[0], &p->user);
	if (e != ERR_OK) {
		free(p);
		reply_err(r, e, NULL, e == ERR_NOT_FOUND ? "no such user" : NULL);
		return;
	}
	if (!p->user.phone[0] && !p->user.email[0]) {
		reply_json(r, 200, view_user(&p->user, true)); /* nothing personal to log */
		free(p);
		return;
	}
	api_write(r, p, NULL, pii_run, pii_done);
}

/* ---- POST /users --------------------------------------------------------------------- */

struct user_new {
	struct user user;
	char initial[17];
};

/* A write response shows the record whole, phone and email included: that is a whole read
 * of personal data and is logged in the same transaction (DESIGN §8). */
static enum err log_whole_read(struct db *db, int64_t reader, const struct user *u)
{
	if (!u->phone[0] && !u->email[0])
		return ERR_OK;
	return user_log_pii_read(db, reader, u->id, "phone,email");
}

static enum err create_run(struct db *db, struct api_job *j)
{
	struct user_new *n = j->data;

	if (user_insert(db, &n->user, j->actor, &j->err) != ERR_OK)
		return j->err.err;
	if (user_by_id(db, n->user.id, &n->user) != ERR_OK) /* as stored: created_at, university */
		return ERR_DB;
	return log_whole_read(db, j->actor, &n->user);
}

static void create_done(struct api_job *j, enum err result)
{
	struct user_new *n = j->data;
	json_t *body;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	body = view_user(&n->user, true);
	json_object_set_new(body, "initial_password", json_string(n->initial));
	reply_json(j->r, 201, body);
}

static void api_users_create(struct req *r)
{
	json_t *body = req_json_or_reply(r, NULL);
	struct user_new *n = body ? calloc(1, sizeof(*n)) : NULL;
	uint64_t set;
	struct error e;

	if (!body)
		return;
	if (!n || fields_parse(body, USER_FIELDS, &n->user, &set, true, &e) != ERR_OK ||
	    password_initial(n->initial, n->user.password_hash, sizeof(n->user.password_hash))) {
		if (!n)
			error_set(&e, ERR_NOMEM, NULL, NULL);
		json_decref(body);
		free(n);
		reply_error(r, &e);
		return;
	}
	json_decref(body);
	n->user.must_change_password = true;
	api_write(r, n, NULL, create_run, create_done);
}

/* ---- PATCH /users/{id} --------------------------------------------------------------- */

struct user_patch {
	int64_t id;
	struct user patch, result;
	uint64_t set;
};

static enum err update_run(struct db *db, struct api_job *j)
{
	struct user_patch *p = j->data;

	if (user_update(db, p->id, &p->patch, p->set, j->actor, &p->result, &j->err) != ERR_OK)
		return j->err.err;
	return log_whole_read(db, j->actor, &p->result);
}

static void update_done(struct api_job *j, enum err result)
{
	struct user_patch *p = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	/* A disabled user's sessions ended in the same transaction; close their sockets. */
	if (p->result.disabled)
		hub_end_user(j->r->app->hub, p->id, 0);
	else
		hub_recheck(j->r->app->hub, p->id, NULL); /* e.g. a new role */
	reply_json(j->r, 200, view_user(&p->result, true));
}

static void api_users_update(struct req *r)
{
	json_t *body = req_json_or_reply(r, NULL);
	struct user_patch *p = body ? calloc(1, sizeof(*p)) : NULL;
	struct error e;

	if (!body)
		return;
	if (!p || fields_parse(body, USER_FIELDS, &p->patch, &p->set, false, &e) != ERR_OK) {
		if (!p)
			error_set(&e, ERR_NOMEM, NULL, NULL);
		json_decref(body);
		free(p);
		reply_error(r, &e);
		return;
	}
	json_decref(body);
	if (r->ids[0] == r->user.id && (p->set & fields_bit(USER_FIELDS, "disabled")) &&
	    p->patch.disabled) {
		free(p);
		reply_err(r, ERR_CONFLICT, "disabled", "you cannot disable your own account");
		return;
	}
	p->id = r->ids[0];
	api_write(r, p, NULL, update_run, update_done);
}

/* ---- POST /users/{id}/password-reset ------------------------------------------------- */

struct reset {
	int64_t id;
	char plain[17], hash[128];
	struct user user;
};

static enum err reset_run(struct db *db, struct api_job *j)
{
	struct reset *x = j->data;

	if (user_set_password(db, x->id, x->hash, true, 0, j->actor, &j->err) != ERR_OK)
		return j->err.err;
	if (user_by_id(db, x->id, &x->user) != ERR_OK)
		return ERR_DB;
	return log_whole_read(db, j->actor, &x->user);
}

static void reset_done(struct api_job *j, enum err result)
{
	struct reset *x = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	hub_end_user(j->r->app->hub, x->id, 0);
	reply_json(j->r, 200,
		   json_pack("{s:o, s:s}", "user", view_user(&x->user, true), "initial_password",
			     x->plain));
}

static void api_users_password_reset(struct req *r)
{
	struct reset *x = calloc(1, sizeof(*x));

	if (!x || password_initial(x->plain, x->hash, sizeof(x->hash)) != ERR_OK) {
		free(x);
		reply_err(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	x->id = r->ids[0];
	api_write(r, x, NULL, reset_run, reset_done);
}

API_ROUTES(users) = {
	{ HTTP_GET, V1 "/users", api_users_list, ADMIN, 0 },
	{ HTTP_POST, V1 "/users", api_users_create, ADMIN, 0 },
	{ HTTP_GET, V1 "/users/{id}", api_users_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/users/{id}", api_users_update, ADMIN, 0 },
	{ HTTP_POST, V1 "/users/{id}/password-reset", api_users_password_reset, ADMIN, 0 },
	ROUTES_END,
};
