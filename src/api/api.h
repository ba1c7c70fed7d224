/* Entry points of the api/ layer for net/ (set-up, the session check every request and
 * WebSocket handshake goes through, the request's snapshot) and what the resource files share.
 * The handlers themselves are static in their resource files, named by the route tables beside
 * them (api/router.h); WebSocket messages enter through api/client.h. */
#ifndef MINGSHI_API_API_H
#define MINGSHI_API_API_H

#include "api/req.h"
#include "core/app.h"

/* Creates api/ state — the login throttle, the answer cache, the hub of WebSocket clients —
 * and gives the writer its chore (the search index). Returns ERR_OK or ERR_NOMEM. Frees it
 * all again with api_free(), once every client has closed. */
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

struct studio_scope;
/* Loads studio_id's scope (404 if none) and, with need_manage, checks the caller may run the
 * studio (403). Returns false after replying. */
bool api_studio_scope_or_reply(struct req *r, int64_t studio_id, bool need_manage,
			       struct studio_scope *out);

#endif
