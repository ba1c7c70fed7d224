/* net/router: matching method + path to a route (DESIGN §6). */
#include "testutil.h"

#include "net/router.h"

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

/* Every route is unique by method + pattern and names a handler. */
static void table_sane(void **state)
{
	size_t n;
	const struct route *routes = router_routes(&n);

	(void)state;
	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(routes[i].handler);
		assert_int_equal(routes[i].pattern[0], '/');
		for (size_t j = i + 1; j < n; j++)
			assert_false(routes[i].method == routes[j].method &&
				     !strcmp(routes[i].pattern, routes[j].pattern));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("router-1.1 exact paths find their route and roles", exact),
		TEST("router-1.2 a known path with another method lists Allow", method_not_allowed),
		TEST("router-1.3 near misses are not found", no_path),
		TEST("router-1.4 the table has no duplicates", table_sane),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
