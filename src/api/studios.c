/* /studios and /studios/{id} (DESIGN §6): everyone signed in reads and searches; admins and
 * the university's admin create and change everything; the studio's master edits its
 * profile texts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/hub.h"
#include "api/cache.h"
#include "api/job.h"
#include "api/views.h"
#include "auth/perm.h"
#include "core/fields.h"

static struct studio_scope scope_of(const struct studio *s)
{
	return (struct studio_scope){ s->university_id, s->master_id };
}

/* ---- GET /studios -------------------------------------------------------------------- */

/* The list is written straight as JSON text, as history pages are (api/rooms.c). */
static void add(const struct studio *s, void *ctx)
{
	struct text_list *list = ctx;

	text_list_next(list);
	view_studio_text(&list->t, s);
}

static bool filter_or_reply(struct req *r, struct studio_filter *f)
{
	static const char *const LEVELS[] = { "provincial", "national", NULL };
	static const char *const STATUSES[] = { "active", "suspended", "closed", NULL };
	const char *sort = req_query(r, "sort");

	memset(f, 0, sizeof(*f));
	f->q = req_query(r, "q");
	f->discipline = req_query(r, "discipline");
	f->level = req_query(r, "level");
	f->status = req_query(r, "status");
	if (!req_paging_or_reply(r, &f->limit, &f->offset) ||
	    !req_query_id_or_reply(r, "university_id", &f->university_id))
		return false;
	if (f->level && !enum_valid(f->level, LEVELS)) {
		reply_err(r, ERR_INVALID, "level", "level is provincial or national");
		return false;
	}
	if (f->status && !enum_valid(f->status, STATUSES)) {
		reply_err(r, ERR_INVALID, "status", "status is active, suspended or closed");
		return false;
	}
	if (sort && strcmp(sort, "name") && strcmp(sort, "newest")) {
		reply_err(r, ERR_INVALID, "sort", "sort is name or newest");
		return false;
	}
	f->by_name = sort && !strcmp(sort, "name");
	return true;
}

/* A string of the cache key: length-prefixed, so no value can pose as another; -1 for none. */
#define KEY_STR(s) (s) ? (int)strlen(s) : -1, (s) ? (s) : ""

/* The list is the same for every signed-in user, so it is kept (api/cache.h). */
static void api_studios_list(struct req *r)
{
	struct text_list list = { 0 };
	struct studio_filter f;
	char key[ANSWER_KEY_MAX];
	int64_t total = 0;
	enum err e;

	if (!filter_or_reply(r, &f))
		return;
	answer_key(key, "studios|%lld|%lld|%lld|%d|%s|%s|%d:%s|%d:%s", (long long)f.limit,
		   (long long)f.offset, (long long)f.university_id, f.by_name,
		   f.level ? f.level : "", f.status ? f.status : "", KEY_STR(f.discipline),
		   KEY_STR(f.q));
	if (answer_cache_reply(r, key))
		return;
	json_text_raw(&list.t, "{\"items\":[");
	e = studio_list(&r->app->rdb, &f, add, &list, &total);
	json_text_raw(&list.t, "],\"total\":");
	json_text_int(&list.t, total);
	json_text_raw(&list.t, "}");
	reply_json_text(r, e, &list.t);
	answer_cache_store(r, key);
}

/* ---- GET /studios/{id} --------------------------------------------------------------- */

static void api_studios_get(struct req *r)
{
	struct studio *s = malloc(sizeof(*s));
	enum err e = s ? studio_get(&r->app->rdb, r->ids[0], s) : ERR_NOMEM;

	if (e != ERR_OK)
		reply_err(r, e, NULL, e == ERR_NOT_FOUND ? "no such studio" : NULL);
	else
		reply_json(r, 200, view_studio(s, true));
	free(s);
}

/* ---- POST /studios, PATCH /studios/{id} ---------------------------------------------- */

struct studio_write {
	int64_t id;	    /* 0: create */
	int64_t old_master; /* the master before a PATCH */
	uint64_t set;
	struct studio patch, result;
};

static enum err write_run(struct db *db, struct api_job *j)
{
	struct studio_write *w = j->data;

	if (!w->id) {
		if (studio_insert(db, &w->patch, j->actor, &j->err) != ERR_OK)
			return j->err.err;
		return studio_get(db, w->patch.id, &w->result);
	}
	if (studio_update(db, w->id, &w->patch, w->set, j->actor, &w->result, &j->err) != ERR_OK)
		return j->err.err;
	return studio_get(db, w->id, &w->result);
}

static void write_done(struct api_job *j, enum err result)
{
	struct studio_write *w = j->data;

	if (result != ERR_OK) {
		api_reply_result(j, result);
		return;
	}
	/* A replaced master loses the studio room at once, also on an open connection. */
	if (w->id && w->old_master != w->result.master_id) {
		char room[48];

		snprintf(room, sizeof(room), "studio:%lld", (long long)w->id);
		hub_recheck(j->r->app->hub, w->old_master, room);
	}
	reply_json(j->r, w->id ? 200 : 201, view_studio(&w->result, true));
}

static struct studio_write *parse_or_reply(struct req *r, bool create)
{
	json_t *body = req_json_or_reply(r, NULL);
	struct studio_write *w = body ? malloc(sizeof(*w)) : NULL;
	struct error e;

	if (!body)
		return NULL;
	if (w) {
		memset(w, 0, sizeof(*w));
		studio_defaults(&w->patch);
	}
	if (!w || fields_parse(body, STUDIO_FIELDS, &w->patch, &w->set, create, &e) != ERR_OK) {
		if (!w)
			error_set(&e, ERR_NOMEM, NULL, NULL);
		json_decref(body);
		free(w);
		reply_error(r, &e);
		return NULL;
	}
	json_decref(body);
	return w;
}

static void api_studios_create(struct req *r)
{
	struct studio_write *w = parse_or_reply(r, true);

	if (!w)
		return;
	if (!perm_studio_create(&r->user, w->patch.university_id)) {
		free(w);
		reply_err(r, ERR_FORBIDDEN, "university_id",
			  "you may create studios only for your own university");
		return;
	}
	api_write(r, w, NULL, write_run, write_done);
}

/* Which of the requested changes the caller may make: everything for the studio's admins, the
 * profile texts for its master. Replies 403/404 and returns false otherwise. */
static bool may_update_or_reply(struct req *r, struct studio_write *w)
{
	struct studio *cur = malloc(sizeof(*cur));
	enum err e = cur ? studio_get(&r->app->rdb, r->ids[0], cur) : ERR_NOMEM;
	struct studio_scope sc;
	bool ok = false;

	if (e != ERR_OK) {
		reply_err(r, e, NULL, e == ERR_NOT_FOUND ? "no such studio" : NULL);
		free(cur);
		return false;
	}
	sc = scope_of(cur);
	w->old_master = cur->master_id;
	if (perm_studio_admin(&r->user, &sc)) {
		ok = !(w->set & fields_bit(STUDIO_FIELDS, "university_id")) ||
		     perm_studio_create(&r->user, w->patch.university_id);
		if (!ok)
			reply_err(r, ERR_FORBIDDEN, "university_id",
				  "you may move studios only within your own university");
	} else if (perm_studio_manage(&r->user, &sc)) {
		ok = (w->set & ~studio_master_fields()) == 0;
		if (!ok) {
			for (size_t i = 0; STUDIO_FIELDS[i].name; i++) {
				if ((w->set & ~studio_master_fields()) & ((uint64_t)1 << i)) {
					reply_err(r, ERR_FORBIDDEN, STUDIO_FIELDS[i].name,
						  "a master edits introduction, training_plan and "
						  "honours");
					break;
				}
			}
		}
	} else {
		reply_err(r, ERR_FORBIDDEN, NULL, "this is not your studio");
	}
	free(cur);
	return ok;
}

static void api_studios_update(struct req *r)
{
	struct studio_write *w = parse_or_reply(r, false);

	if (!w)
		return;
	if (!may_update_or_reply(r, w)) {
		free(w);
		return;
	}
	w->id = r->ids[0];
	api_write(r, w, NULL, write_run, write_done);
}

/* ---- shared with members and achievements ------------------------------------------- */

bool api_studio_scope_or_reply(struct req *r, int64_t studio_id, bool need_manage,
			       struct studio_scope *out)
{
	struct studio *s = malloc(sizeof(*s));
	enum err e = s ? studio_get(&r->app->rdb, studio_id, s) : ERR_NOMEM;

	if (e != ERR_OK) {
		reply_err(r, e, NULL, e == ERR_NOT_FOUND ? "no such studio" : NULL);
		free(s);
		return false;
	}
	*out = scope_of(s);
	free(s);
	if (need_manage && !perm_studio_manage(&r->user, out)) {
		reply_err(r, ERR_FORBIDDEN, NULL, "this is not your studio");
		return false;
	}
	return true;
}

API_ROUTES(studios) = {
	{ HTTP_GET, V1 "/studios", api_studios_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios", api_studios_create, ADMINS, 0 },
	{ HTTP_GET, V1 "/studios/{id}", api_studios_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}", api_studios_update, ADMINS | MASTER, 0 },
	ROUTES_END,
};
