/* The route table: method + path pattern → api handler, with the roles that may call it and
 * how its body is read. net/http consults it for every /api/v1, /healthz and /metrics request;
 * scope rules finer than a role (own studio, own university) are the handler's. */
#ifndef MINGSHI_NET_ROUTER_H
#define MINGSHI_NET_ROUTER_H

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

enum route_match { MATCH_FOUND, MATCH_NO_PATH, MATCH_NO_METHOD };

/* Finds the route for method and path. On MATCH_FOUND sets *out and the {id} values; on
 * MATCH_NO_METHOD writes the allowed methods ("GET, POST") into allow. */
enum route_match router_match(enum http_method method, const char *path, const struct route **out,
			      int64_t ids[REQ_MAX_IDS], size_t *nids, char room[48], char *allow,
			      size_t allow_cap);

/* The whole table (for the permission test and docs). */
const struct route *router_routes(size_t *n);

/* "GET", "POST", … */
const char *http_method_name(enum http_method m);

#endif
