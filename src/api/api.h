/* Entry points of the api/ layer for net/: set-up, the session check every request goes
 * through, and the handlers the router maps routes to (one file per resource). */
#ifndef MINGSHI_API_API_H
#define MINGSHI_API_API_H

#include "api/req.h"
#include "core/app.h"

/* Creates api/ state (login throttle). Returns ERR_OK or ERR_NOMEM. */
enum err api_init(struct app *a);
void api_free(struct app *a);

/* Resolves the session named by the session cookie token (may be NULL) into r->authed,
 * r->user, r->session; records activity at most once a minute through the writer. */
void api_authenticate(struct req *r, const char *token);

/* One snapshot of the database for a request's reads (db_snapshot_begin on the service
 * thread's connection): net/ opens it before the session check and ends it when the handler
 * returns, so a request costs one read transaction and reads one state of the data. */
void api_snapshot_begin(struct app *a);
void api_snapshot_end(struct app *a);

/* The same check for a WebSocket handshake: fills *u and *s. ERR_UNAUTHENTICATED if the
 * token names no live session. */
enum err api_ws_authenticate(struct app *a, const char *token, struct user *u, struct session *s);

/* JSON of a user as GET /me and sign-in return it. New reference. */
json_t *api_user_json(const struct user *u);

/* session.c */
void api_session_create(struct req *r);
void api_session_delete(struct req *r);
/* me.c */
void api_me_get(struct req *r);
void api_me_password(struct req *r);
/* users.c, universities.c, studios.c, members.c, achievements.c, import.c, audit.c */
void api_users_list(struct req *r);
void api_users_create(struct req *r);
void api_users_get(struct req *r);
void api_users_update(struct req *r);
void api_users_password_reset(struct req *r);
void api_users_import(struct req *r);
void api_universities_list(struct req *r);
void api_universities_create(struct req *r);
void api_universities_get(struct req *r);
void api_universities_update(struct req *r);
void api_studios_list(struct req *r);
void api_studios_create(struct req *r);
void api_studios_get(struct req *r);
void api_studios_update(struct req *r);
void api_studios_import(struct req *r);
void api_members_list(struct req *r);
void api_members_apply(struct req *r);
void api_members_decide(struct req *r);
void api_members_end(struct req *r);
void api_achievements_list(struct req *r);
void api_achievements_create(struct req *r);
void api_achievements_update(struct req *r);
void api_achievements_delete(struct req *r);
void api_audit_list(struct req *r);
void api_rooms_messages(struct req *r);
void api_search_messages(struct req *r);
void api_audit_verify(struct req *r);

struct studio_scope;
/* Loads studio_id's scope (404 if none) and, with need_manage, checks the caller may run the
 * studio (403). Returns false after replying. */
bool api_studio_scope_or_reply(struct req *r, int64_t studio_id, bool need_manage,
			       struct studio_scope *out);

/* health.c */
void api_healthz(struct req *r);
void api_metrics(struct req *r);

#endif
