/* GET /me and POST /me/password (DESIGN §6). */
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/hub.h"
#include "api/views.h"
#include "domain/member.h"
#include "domain/studio.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

static void add_membership(const struct member *m, void *ctx)
{
	json_array_append_new(ctx, view_membership(m));
}

static void api_me_get(struct req *r)
{
	json_t *me = api_user_json(&r->user), *memberships = json_array();
	int64_t studio =
		r->user.role == ROLE_MASTER ? studio_of_master(&r->app->rdb, r->user.id) : 0;
	enum err e = member_of_user(&r->app->rdb, r->user.id, add_membership, memberships);

	if (e != ERR_OK) {
		json_decref(me);
		json_decref(memberships);
		reply_err(r, e, NULL, NULL);
		return;
	}
	json_object_set_new(me, "title", json_string(r->user.title));
	json_object_set_new(me, "studio_id", studio ? json_integer(studio) : json_null());
	json_object_set_new(me, "memberships", memberships);
	reply_json(r, 200, me);
}

/* ---- password change: verify + hash on a worker, then one writer job ------------------ */

struct pwchange {
	struct req *r;
	char old_pw[PASSWORD_MAX_CHARS * 4 + 1];
	char new_pw[PASSWORD_MAX_CHARS * 4 + 1];
	char current_hash[160];
	char new_hash[PASSWORD_HASH_MAX];
	bool old_ok;
	/* the rotated session of this browser */
	char token[TOKEN_B64_MAX];
	uint8_t token_hash[32];
	struct session session;
	struct error err;
};

static void pw_free(struct pwchange *p)
{
	mbedtls_platform_zeroize(p, sizeof(*p));
	free(p);
}

static void pw_finish(struct pwchange *p)
{
	struct req *r = p->r;

	pw_free(p);
	req_release(r);
}

/* Writer: new hash, every old session gone, a fresh one for this browser — one savepoint. */
static enum err pw_store_run(struct db *db, void *arg)
{
	struct pwchange *p = arg;
	enum err e = user_set_password(db, p->session.user_id, p->new_hash, false, 0,
				       p->session.user_id, &p->err);

	if (e != ERR_OK)
		return e;
	return session_insert(db, p->token_hash, &p->session);
}

static void pw_store_done(void *arg, enum err result)
{
	struct pwchange *p = arg;
	struct req *r = p->r;

	if (result != ERR_OK) {
		if (p->err.err == ERR_OK)
			error_set(&p->err, result, NULL, NULL);
		reply_error(r, &p->err);
		pw_finish(p);
		return;
	}
	/* Every socket of the user belongs to an ended session: the new one has none yet. */
	hub_end_user(r->app->hub, r->user.id, 0);
	token_cookie_value(p->token, r->set_cookie, sizeof(r->set_cookie));
	r->user.must_change_password = false; /* cleared by the change just committed */
	reply_json(r, 200,
		   json_pack("{s:o, s:s}", "user", api_user_json(&r->user), "csrf_token",
			     p->session.csrf));
	log_info("auth: %s changed their password; other sessions ended", r->user.username);
	pw_finish(p);
}

static enum err pw_hash_run(void *arg)
{
	struct pwchange *p = arg;

	p->old_ok = password_verify(p->old_pw, p->current_hash);
	if (p->old_ok && password_hash(p->new_pw, PASSWORD_ITERATIONS, p->new_hash,
				       sizeof(p->new_hash)) != ERR_OK)
		return ERR_INTERNAL;
	mbedtls_platform_zeroize(p->old_pw, sizeof(p->old_pw));
	mbedtls_platform_zeroize(p->new_pw, sizeof(p->new_pw));
	return ERR_OK;
}

static void pw_hash_done(void *arg, enum err result)
{
	struct pwchange *p = arg;
	struct req *r = p->r;
	enum err e;

	if (req_gone(r) || result != ERR_OK) {
		reply_err(r, result == ERR_OK ? ERR_INTERNAL : result, NULL, NULL);
		pw_finish(p);
		return;
	}
	if (!p->old_ok) {
		throttle_fail(r->app->throttle, r->peer, r->user.username, clock_now());
		reply_err(r, ERR_INVALID, "old_password", "the current password is wrong");
		pw_finish(p);
		return;
	}
	if (token_new_session(p->token, p->token_hash) != 0 ||
	    token_new_csrf(p->session.csrf) != 0) {
		reply_err(r, ERR_INTERNAL, NULL, NULL);
		pw_finish(p);
		return;
	}
	p->session.user_id = r->user.id;
	p->session.created_at = clock_now();
	e = writer_submit(&r->app->writer, pw_store_run, pw_store_done, p);
	if (e != ERR_OK) {
		reply_err(r, e, NULL, NULL);
		pw_finish(p);
	}
}

static const char *const PW_FIELDS[] = { "old_password", "new_password", NULL };

/* Validates the body; returns a filled pwchange or NULL after replying. */
static struct pwchange *pw_new_or_reply(struct req *r)
{
	json_t *body = req_json_or_reply(r, PW_FIELDS);
	const char *old_pw, *new_pw;
	struct pwchange *p;
	struct error e;

	if (!body)
		return NULL;
	if (json_get_string(body, "old_password", true, 1, PASSWORD_MAX_CHARS, &old_pw, &e) ||
	    json_get_string(body, "new_password", true, 0, SIZE_MAX, &new_pw, &e) ||
	    password_check_policy(new_pw, "new_password", &e)) {
		json_decref(body);
		reply_error(r, &e);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		json_decref(body);
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return NULL;
	}
	p->r = r;
	snprintf(p->old_pw, sizeof(p->old_pw), "%s", old_pw);
	snprintf(p->new_pw, sizeof(p->new_pw), "%s", new_pw);
	snprintf(p->current_hash, sizeof(p->current_hash), "%s", r->user.password_hash);
	json_decref(body);
	return p;
}

static void api_me_password(struct req *r)
{
	int64_t wait = throttle_blocked(r->app->throttle, r->peer, r->user.username, clock_now());
	struct pwchange *p;
	enum err e;

	if (wait > 0) {
		reply_err(r, ERR_RATE_LIMITED, NULL,
			  "too many wrong passwords; try again in %lld s", (long long)wait);
		return;
	}
	p = pw_new_or_reply(r);
	if (!p)
		return;
	req_hold(r);
	e = pool_submit(&r->app->pool, pw_hash_run, pw_hash_done, p);
	if (e != ERR_OK) {
		reply_err(r, e, NULL, NULL);
		pw_finish(p);
	}
}

API_ROUTES(me) = {
	{ HTTP_GET, V1 "/me", api_me_get, ANY, ROUTE_BEFORE_PASSWORD },
	{ HTTP_POST, V1 "/me/password", api_me_password, ANY, ROUTE_BEFORE_PASSWORD },
	ROUTES_END,
};
