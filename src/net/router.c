/* The route table and its matcher; see router.h. */
#include "net/router.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define MASTER ROLE_BIT(ROLE_MASTER)
#define TEACHER ROLE_BIT(ROLE_TEACHER)
#define ANY ROLES_SIGNED_IN
#define V1 "/api/v1"

/* The permission matrix's first half: which roles reach each handler. The handler applies
 * the scope rules (own university, own studio) of auth/perm. docs/API.md lists the same. */
static const struct route ROUTES[] = {
	{ HTTP_GET, "/healthz", api_healthz, ROLES_PUBLIC, 0 },
	{ HTTP_GET, "/metrics", api_metrics, ROLES_PUBLIC, 0 },
	{ HTTP_POST, V1 "/session", api_session_create, ROLES_PUBLIC, ROUTE_NO_CSRF },
	{ HTTP_DELETE, V1 "/session", api_session_delete, ANY, ROUTE_BEFORE_PASSWORD },
	{ HTTP_GET, V1 "/me", api_me_get, ANY, ROUTE_BEFORE_PASSWORD },
	{ HTTP_POST, V1 "/me/password", api_me_password, ANY, ROUTE_BEFORE_PASSWORD },
	{ HTTP_GET, V1 "/users", api_users_list, ADMIN, 0 },
	{ HTTP_POST, V1 "/users", api_users_create, ADMIN, 0 },
	{ HTTP_POST, V1 "/users/import", api_users_import, ADMIN, ROUTE_CSV_BODY },
	{ HTTP_GET, V1 "/users/{id}", api_users_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/users/{id}", api_users_update, ADMIN, 0 },
	{ HTTP_POST, V1 "/users/{id}/password-reset", api_users_password_reset, ADMIN, 0 },
	{ HTTP_GET, V1 "/universities", api_universities_list, ANY, 0 },
	{ HTTP_POST, V1 "/universities", api_universities_create, ADMIN, 0 },
	{ HTTP_GET, V1 "/universities/{id}", api_universities_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/universities/{id}", api_universities_update, ADMIN, 0 },
	{ HTTP_GET, V1 "/studios", api_studios_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios", api_studios_create, ADMINS, 0 },
	{ HTTP_POST, V1 "/studios/import", api_studios_import, ADMIN, ROUTE_CSV_BODY },
	{ HTTP_GET, V1 "/studios/{id}", api_studios_get, ANY, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}", api_studios_update, ADMINS | MASTER, 0 },
	{ HTTP_GET, V1 "/studios/{id}/members", api_members_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios/{id}/members", api_members_apply, TEACHER, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}/members/{id}", api_members_decide, ADMINS | MASTER, 0 },
	{ HTTP_DELETE, V1 "/studios/{id}/members/{id}", api_members_end, ADMINS | MASTER | TEACHER,
	  0 },
	{ HTTP_GET, V1 "/studios/{id}/achievements", api_achievements_list, ANY, 0 },
	{ HTTP_POST, V1 "/studios/{id}/achievements", api_achievements_create, ADMINS | MASTER, 0 },
	{ HTTP_PATCH, V1 "/studios/{id}/achievements/{id}", api_achievements_update,
	  ADMINS | MASTER, 0 },
	{ HTTP_DELETE, V1 "/studios/{id}/achievements/{id}", api_achievements_delete,
	  ADMINS | MASTER, 0 },
	{ HTTP_GET, V1 "/rooms/{room}/messages", api_rooms_messages, ANY, 0 },
	{ HTTP_GET, V1 "/search/messages", api_search_messages, ANY, 0 },
	{ HTTP_GET, V1 "/audit", api_audit_list, ADMIN, 0 },
	{ HTTP_GET, V1 "/audit/verify", api_audit_verify, ADMIN, 0 },
};

const struct route *router_routes(size_t *n)
{
	*n = sizeof(ROUTES) / sizeof(ROUTES[0]);
	return ROUTES;
}

const char *http_method_name(enum http_method m)
{
	static const char *const NAMES[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "OTHER" };

	return m <= HTTP_OTHER ? NAMES[m] : "OTHER";
}

/* A positive decimal without leading zeros that fits in 53 bits (a JSON-safe integer). */
static int parse_id(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 16 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > ((int64_t)1 << 53))
		return -1;
	*out = v;
	return 0;
}

/* "studio:3": lower-case letters, a colon, an id. */
static int parse_room(const char *s, size_t n, char room[48])
{
	const char *colon = memchr(s, ':', n);
	int64_t id;

	if (!colon || colon == s || n >= 48)
		return -1;
	for (const char *p = s; p < colon; p++) {
		if (*p < 'a' || *p > 'z')
			return -1;
	}
	if (parse_id(colon + 1, n - (size_t)(colon + 1 - s), &id) != 0)
		return -1;
	memcpy(room, s, n);
	room[n] = '\0';
	return 0;
}

/* Matches path against pattern segment by segment, collecting {id} and {room} values. */
static int path_matches(const char *pattern, const char *path, int64_t ids[], size_t *nids,
			char room[48])
{
	*nids = 0;
	while (*pattern && *path) {
		const char *pe = strchr(pattern + 1, '/'), *se = strchr(path + 1, '/');
		size_t pn = pe ? (size_t)(pe - pattern) : strlen(pattern);
		size_t sn = se ? (size_t)(se - path) : strlen(path);

		if (pn == 7 && !strncmp(pattern, "/{room}", 7)) {
			if (sn < 2 || parse_room(path + 1, sn - 1, room))
				return 0;
		} else if (pn == 5 && !strncmp(pattern, "/{id}", 5)) {
			if (*nids == REQ_MAX_IDS || sn < 2 ||
			    parse_id(path + 1, sn - 1, &ids[*nids]))
				return 0;
			(*nids)++;
		} else if (pn != sn || strncmp(pattern, path, pn) != 0) {
			return 0;
		}
		pattern += pn;
		path += sn;
	}
	return *pattern == '\0' && *path == '\0';
}

enum route_match router_match(enum http_method method, const char *path, const struct route **out,
			      int64_t ids[REQ_MAX_IDS], size_t *nids, char room[48], char *allow,
			      size_t allow_cap)
{
	int64_t scratch[REQ_MAX_IDS];
	char room_scratch[48] = "";
	size_t nscratch, used = 0;
	int path_seen = 0;

	allow[0] = '\0';
	for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++) {
		if (!path_matches(ROUTES[i].pattern, path, scratch, &nscratch, room_scratch))
			continue;
		if (ROUTES[i].method == method) {
			*out = &ROUTES[i];
			memcpy(ids, scratch, sizeof(scratch));
			*nids = nscratch;
			memcpy(room, room_scratch, sizeof(room_scratch));
			return MATCH_FOUND;
		}
		path_seen = 1;
		if (used >= allow_cap)
			continue;
		used += (size_t)snprintf(allow + used, used < allow_cap ? allow_cap - used : 0,
					 "%s%s", used ? ", " : "",
					 http_method_name(ROUTES[i].method));
	}
	return path_seen ? MATCH_NO_METHOD : MATCH_NO_PATH;
}
