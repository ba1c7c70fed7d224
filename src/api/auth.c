/* Session resolution for HTTP requests and WebSocket handshakes (DESIGN §6, §8). Runs on the
 * service thread with the read-only connection; the idle-timer refresh is a writer job. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/cache.h"
#include "api/hub.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"
#include "domain/discussion.h"

/* Refresh last_seen_at at most this often: an idle timeout of 12 h does not need a write
 * per request. */
#define TOUCH_EVERY_SECS 60

enum err api_init(struct app *a)
{
	a->throttle = throttle_new();
	a->answers = a->cfg.answer_cache ? answer_cache_new() : NULL;
	a->hub = hub_new(a);
	a->search_upkeep = calloc(1, sizeof(*a->search_upkeep));
	if (!a->throttle || (a->cfg.answer_cache && !a->answers) || !a->hub || !a->search_upkeep) {
		api_free(a);
		return ERR_NOMEM;
	}
	writer_set_chore(&a->writer, discussion_index_chore, a->search_upkeep,
			 DISCUSSION_INDEX_EVERY_US);
	return ERR_OK;
}

void api_free(struct app *a)
{
	/* the chore's memory is ours: the writer must let go of it first */
	writer_set_chore(&a->writer, NULL, NULL, 0);
	free(a->search_upkeep);
	a->search_upkeep = NULL;
	hub_free(a->hub);
	a->hub = NULL;
	throttle_free(a->throttle);
	a->throttle = NULL;
	answer_cache_free(a->answers);
	a->answers = NULL;
}

struct touch {
	int64_t session_id, now;
};

static enum err touch_run(struct db *db, void *arg)
{
	struct touch *t = arg;

	return session_touch(db, t->session_id, t->now);
}

static void touch_done(void *arg, enum err result)
{
	(void)result; /* a lost touch only shortens the idle window */
	free(arg);
}

static void maybe_touch(struct app *a, const struct session *s, int64_t now)
{
	struct touch *t;

	if (now - s->last_seen_at < TOUCH_EVERY_SECS)
		return;
	t = malloc(sizeof(*t));
	if (!t)
		return;
	t->session_id = s->id;
	t->now = now;
	if (writer_submit(&a->writer, touch_run, touch_done, t) != ERR_OK)
		free(t);
}

static enum err lookup(struct app *a, const char *token, uint8_t hash[32], struct user *u,
		       struct session *s)
{
	int64_t now = clock_now();
	enum err r;

	if (!token || !*token)
		return ERR_UNAUTHENTICATED;
	token_hash(token, hash);
	r = session_lookup(&a->rdb, hash, now, s, u);
	if (r == ERR_NOT_FOUND)
		return ERR_UNAUTHENTICATED;
	if (r != ERR_OK) {
		log_error("auth: session lookup failed (%s)", err_default_message(r));
		return r;
	}
	maybe_touch(a, s, now);
	return ERR_OK;
}

void api_snapshot_begin(struct app *a)
{
	db_snapshot_begin(&a->rdb);
}

void api_snapshot_end(struct app *a)
{
	db_snapshot_end(&a->rdb);
}

void api_authenticate(struct req *r, const char *token)
{
	r->authed = lookup(r->app, token, r->token_hash, &r->user, &r->session) == ERR_OK;
}

enum err api_ws_authenticate(struct app *a, const char *token, struct user *u, struct session *s)
{
	uint8_t hash[32];

	return lookup(a, token, hash, u, s);
}

json_t *api_user_json(const struct user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b}", "id", (json_int_t)u->id, "username",
			 u->username, "name", u->name, "role", role_name(u->role), "university_id",
			 u->university_id ? json_integer(u->university_id) : json_null(),
			 "must_change_password", u->must_change_password);
}
