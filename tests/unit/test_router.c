/* api/router: matching method + path to a route (DESIGN §6). */
#include "testutil.h"

#include "api/router.h"

static void exact(void **state)
{
	const struct route *r = NULL;
	int64_t ids[REQ_MAX_IDS];
	size_t n = 99;
	char allow[64], room[48];

	(void)state;
	assert_int_equal(
		router_match(HTTP_GET, "/api/v1/me", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_FOUND);
	assert_string_equal(r->pattern, "/api/v1/me");
	assert_int_equal(n, 0);
	assert_int_equal(r->roles, ROLES_SIGNED_IN);
	assert_int_equal(
		router_match(HTTP_POST, "/api/v1/session", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_FOUND);
	assert_int_equal(r->roles, ROLES_PUBLIC);
	assert_true(r->flags & ROUTE_NO_CSRF);
}

static void method_not_allowed(void **state)
{
	const struct route *r = NULL;
	int64_t ids[REQ_MAX_IDS];
	size_t n;
	char allow[64], room[48];

	(void)state;
	assert_int_equal(
		router_match(HTTP_PUT, "/api/v1/session", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_NO_METHOD);
	assert_string_equal(allow, "POST, DELETE");
	assert_int_equal(
		router_match(HTTP_PATCH, "/api/v1/me", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_NO_METHOD);
	assert_string_equal(allow, "GET");
}

static void no_path(void **state)
{
	const struct route *r = NULL;
	int64_t ids[REQ_MAX_IDS];
	size_t n;
	char allow[64], room[48];

	(void)state;
	assert_int_equal(
		router_match(HTTP_GET, "/api/v1/me/", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_NO_PATH);
	assert_int_equal(
		router_match(HTTP_GET, "/api/v1/mee", &r, ids, &n, room, allow, sizeof(allow)),
		MATCH_NO_PATH);
	assert_int_equal(router_match(HTTP_GET, "/api/v1", &r, ids, &n, room, allow, sizeof(allow)),
			 MATCH_NO_PATH);
	assert_int_equal(router_match(HTTP_GET, "", &r, ids, &n, room, allow, sizeof(allow)),
			 MATCH_NO_PATH);
}

struct collected {
	const struct route *routes[256];
	size_t n;
};

static void collect(const struct route *rt, void *ctx)
{
	struct collected *c = ctx;

	assert_true(c->n < 256);
	c->routes[c->n++] = rt;
}

/* Every route of every file's table is unique by method + pattern and names a handler; the
 * tables of all resource files are found (the first and last of them by name). */
static void table_sane(void **state)
{
	static struct collected c;
	bool saw_health = false, saw_users = false;

	(void)state;
	c.n = 0;
	router_each(collect, &c);
	assert_int_equal(c.n, 33);
	for (size_t i = 0; i < c.n; i++) {
		const struct route *a = c.routes[i];

		assert_non_null(a->handler);
		assert_int_equal(a->pattern[0], '/');
		saw_health = saw_health || !strcmp(a->pattern, "/healthz");
		saw_users = saw_users || !strcmp(a->pattern, "/api/v1/users/{id}/password-reset");
		for (size_t j = i + 1; j < c.n; j++)
			assert_false(a->method == c.routes[j]->method &&
				     !strcmp(a->pattern, c.routes[j]->pattern));
	}
	assert_true(saw_health && saw_users);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("router-1.1 exact paths find their route and roles", exact),
		TEST("router-1.2 a known path with another method lists Allow", method_not_allowed),
		TEST("router-1.3 near misses are not found", no_path),
		TEST("router-1.4 the tables hold all 33 routes, without duplicates", table_sane),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
