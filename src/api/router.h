/* Routes: method + path pattern → api handler, with the roles that may call it and how its body
 * is read. Each api/ resource file declares its routes beside its handlers with API_ROUTES()
 * (mk/tables.sh collects every such table into the build); net/http asks router_match() for
 * every /api/v1, /healthz and /metrics request. Scope rules finer than a role (own studio, own
 * university) are the handler's. */
#ifndef MINGSHI_API_ROUTER_H
#define MINGSHI_API_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "api/req.h"

#define ROLE_BIT(r) (1u << (r))
#define ROLES_PUBLIC 0u /* no session needed */
#define ADMINS (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_UNIVERSITY_ADMIN))
#define ROLES_SIGNED_IN                                                                   \
	(ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_UNIVERSITY_ADMIN) | ROLE_BIT(ROLE_MASTER) | \
	 ROLE_BIT(ROLE_TEACHER) | ROLE_BIT(ROLE_EXPERT))

enum route_flag {
	ROUTE_NO_CSRF = 1 << 0, /* state-changing but sessionless (sign-in): Origin still checked */
	ROUTE_CSV_BODY = 1 << 1,	/* body is text/csv instead of JSON */
	ROUTE_BEFORE_PASSWORD = 1 << 2, /* allowed while must_change_password is set */
};

struct route {
	enum http_method method;
	const char *pattern; /* "/api/v1/users/{id}": {id} matches a positive decimal integer,
			      * {room} a room name like studio:3 */
	api_handler handler;
	unsigned roles; /* ROLE_BIT()s allowed, or ROLES_PUBLIC */
	unsigned flags;
};

/* Declares an api file's route table, ended by ROUTES_END; mk/tables.sh finds the line. The
 * order of a table is the order of the Allow header for its paths. */
#define API_ROUTES(name) const struct route api_routes_##name[]
#define ROUTES_END                           \
	{                                    \
		HTTP_OTHER, NULL, NULL, 0, 0 \
	}

/* Role sets for route tables. */
#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define MASTER ROLE_BIT(ROLE_MASTER)
#define TEACHER ROLE_BIT(ROLE_TEACHER)
#define ANY ROLES_SIGNED_IN
#define V1 "/api/v1"

enum route_match { MATCH_FOUND, MATCH_NO_PATH, MATCH_NO_METHOD };

/* Finds the route for method and path. On MATCH_FOUND sets *out and the {id} values; on
 * MATCH_NO_METHOD writes the allowed methods ("GET, POST") into allow. */
enum route_match router_match(enum http_method method, const char *path, const struct route **out,
			      int64_t ids[REQ_MAX_IDS], size_t *nids, char room[48], char *allow,
			      size_t allow_cap);

/* Calls fn for every route, table by table (`mingshi routes`, the permission test). */
void router_each(void (*fn)(const struct route *rt, void *ctx), void *ctx);

/* "GET", "POST", … */
const char *http_method_name(enum http_method m);

#endif
