/* POST /session (sign in) and DELETE /session (sign out), DESIGN §6.
 *
 * Sign-in is three steps on three threads: the service thread checks the throttle and reads
 * the user; a worker verifies the password (PBKDF2, ~0.3 s — against a dummy hash when the
 * username does not exist, so both cost the same); the writer stores the session. Only then
 * does the client get its cookie. */
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"
#include "api/hub.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

struct login {
	struct req *r;
	char username[USERNAME_MAX * 2 + 1];
	char password[PASSWORD_MAX_CHARS * 4 + 1];
	char hash[160];
	bool user_ok; /* exists and is enabled */
	bool verified;
	struct user user;
	char token[TOKEN_B64_MAX];
	uint8_t token_hash[32];
	struct session session;
};

static void login_free(struct login *l)
{
	mbedtls_platform_zeroize(l, sizeof(*l));
	free(l);
}

/* ---- step 3: the writer stores the session ------------------------------------------- */

static enum err store_run(struct db *db, void *arg)
{
	struct login *l = arg;

	return session_insert(db, l->token_hash, &l->session);
}

static void store_done(void *arg, enum err result)
{
	struct login *l = arg;
	struct req *r = l->r;
	json_t *body;

	if (result != ERR_OK) {
		reply_err(r, result, NULL, NULL);
	} else {
		token_cookie_value(l->token, r->set_cookie, sizeof(r->set_cookie));
		body = json_pack("{s:o, s:s}", "user", api_user_json(&l->user), "csrf_token",
				 l->session.csrf);
		reply_json(r, 200, body);
		log_info("auth: %s signed in from %s", l->user.username, r->peer);
	}
	login_free(l);
	req_release(r);
}

/* ---- step 2: a worker verifies the password ------------------------------------------ */

static enum err verify_run(void *arg)
{
	struct login *l = arg;

	l->verified = password_verify(l->password, l->hash) && l->user_ok;
	mbedtls_platform_zeroize(l->password, sizeof(l->password));
	return ERR_OK;
}

static enum err start_session(struct login *l)
{
	if (token_new_session(l->token, l->token_hash) != 0 || token_new_csrf(l->session.csrf) != 0)
		return ERR_INTERNAL;
	l->session.user_id = l->user.id;
	l->session.created_at = clock_now();
	return writer_submit(&l->r->app->writer, store_run, store_done, l);
}

static void verify_done(void *arg, enum err result)
{
	struct login *l = arg;
	struct req *r = l->r;
	enum err r2;

	(void)result;
	if (req_gone(r)) {
		login_free(l);
		req_release(r);
		return;
	}
	if (!l->verified) {
		throttle_fail(r->app->throttle, r->peer, l->username, clock_now());
		log_info("auth: failed sign-in from %s", r->peer);
		reply_err(r, ERR_UNAUTHENTICATED, NULL, "wrong username or password");
		login_free(l);
		req_release(r);
		return;
	}
	throttle_success(r->app->throttle, r->peer, l->username);
	r2 = start_session(l);
	if (r2 != ERR_OK) {
		reply_err(r, r2, NULL, NULL);
		login_free(l);
		req_release(r);
	}
}

/* ---- step 1: the service thread ------------------------------------------------------ */

static const char *const LOGIN_FIELDS[] = { "username", "password", NULL };

static struct login *login_new_or_reply(struct req *r)
{
	json_t *body = req_json_or_reply(r, LOGIN_FIELDS);
	const char *username, *password;
	struct login *l;
	struct error e;

	if (!body)
		return NULL;
	if (json_get_string(body, "username", true, 1, USERNAME_MAX, &username, &e) != ERR_OK ||
	    json_get_string(body, "password", true, 1, PASSWORD_MAX_CHARS, &password, &e) !=
		    ERR_OK) {
		json_decref(body);
		reply_error(r, &e);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l) {
		l->r = r;
		snprintf(l->username, sizeof(l->username), "%s", username);
		snprintf(l->password, sizeof(l->password), "%s", password);
	} else {
		reply_err(r, ERR_NOMEM, NULL, NULL);
	}
	json_decref(body);
	return l;
}

static void api_session_create(struct req *r)
{
	struct login *l = login_new_or_reply(r);
	int64_t wait;
	char retry[24];
	enum err e;

	if (!l)
		return;
	wait = throttle_blocked(r->app->throttle, r->peer, l->username, clock_now());
	if (wait > 0) {
		snprintf(retry, sizeof(retry), "%lld", (long long)wait);
		reply_header(r, "Retry-After", retry);
		reply_err(r, ERR_RATE_LIMITED, NULL,
			  "too many failed sign-ins; try again in %lld s", (long long)wait);
		login_free(l);
		return;
	}
	e = user_by_username(&r->app->rdb, l->username, &l->user);
	l->user_ok = e == ERR_OK && !l->user.disabled;
	snprintf(l->hash, sizeof(l->hash), "%s",
		 l->user_ok ? l->user.password_hash : password_dummy_hash());
	req_hold(r);
	e = pool_submit(&r->app->pool, verify_run, verify_done, l);
	if (e != ERR_OK) {
		reply_err(r, e, NULL, NULL);
		login_free(l);
		req_release(r);
	}
}

/* ---- sign out ------------------------------------------------------------------------ */

struct logout {
	struct req *r;
	uint8_t hash[32];
};

static enum err logout_run(struct db *db, void *arg)
{
	struct logout *o = arg;

	return session_delete(db, o->hash);
}

static void logout_done(void *arg, enum err result)
{
	struct logout *o = arg;
	struct req *r = o->r;

	if (result != ERR_OK) {
		reply_err(r, result, NULL, NULL);
	} else {
		token_cookie_value(NULL, r->set_cookie, sizeof(r->set_cookie));
		reply_json(r, 204, NULL);
		hub_end_session(r->app->hub, r->session.id);
	}
	free(o);
	req_release(r);
}

static void api_session_delete(struct req *r)
{
	struct logout *o = malloc(sizeof(*o));
	enum err e;

	if (!o) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	o->r = r;
	memcpy(o->hash, r->token_hash, sizeof(o->hash));
	req_hold(r);
	e = writer_submit(&r->app->writer, logout_run, logout_done, o);
	if (e != ERR_OK) {
		free(o);
		reply_err(r, e, NULL, NULL);
		req_release(r);
	}
}

API_ROUTES(session) = {
	{ HTTP_POST, V1 "/session", api_session_create, ROLES_PUBLIC, ROUTE_NO_CSRF },
	{ HTTP_DELETE, V1 "/session", api_session_delete, ANY, ROUTE_BEFORE_PASSWORD },
	ROUTES_END,
};
