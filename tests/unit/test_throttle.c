/* auth/throttle: login throttling (DESIGN §6). */
#include "testutil.h"

#include "auth/throttle.h"

static const int64_t T0 = 1800000000;

static void pair_limit(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	for (int i = 0; i < 9; i++)
		throttle_fail(t, "10.0.0.1", "teacher_wang", T0 + i);
	assert_int_equal(throttle_blocked(t, "10.0.0.1", "teacher_wang", T0 + 9), 0);
	throttle_fail(t, "10.0.0.1", "teacher_wang", T0 + 9);
	/* blocked for 15 minutes from the tenth failure */
	assert_int_equal(throttle_blocked(t, "10.0.0.1", "teacher_wang", T0 + 10), 899);
	assert_int_equal(throttle_blocked(t, "10.0.0.1", "TEACHER_WANG", T0 + 10), 899);
	assert_int_equal(throttle_blocked(t, "10.0.0.1", "teacher_wang", T0 + 9 + 900), 0);
	throttle_free(t);
}

/* A stranger elsewhere never locks the user out; other users at the address still may try. */
static void no_lockout(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	for (int i = 0; i < 30; i++)
		throttle_fail(t, "203.0.113.9", "teacher_wang", T0 + i);
	assert_true(throttle_blocked(t, "203.0.113.9", "teacher_wang", T0 + 31) > 0);
	assert_int_equal(throttle_blocked(t, "10.0.0.1", "teacher_wang", T0 + 31), 0);
	assert_int_equal(throttle_blocked(t, "203.0.113.9", "master_li", T0 + 31), 0);
	throttle_free(t);
}

static void address_limit(void **state)
{
	struct throttle *t = throttle_new();
	char name[32];

	(void)state;
	for (int i = 0; i < 49; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		throttle_fail(t, "198.51.100.7", name, T0 + i);
	}
	assert_int_equal(throttle_blocked(t, "198.51.100.7", "someone_else", T0 + 49), 0);
	throttle_fail(t, "198.51.100.7", "user49", T0 + 49);
	assert_int_equal(throttle_blocked(t, "198.51.100.7", "someone_else", T0 + 50), 899);
	assert_int_equal(throttle_blocked(t, "198.51.100.8", "someone_else", T0 + 50), 0);
	throttle_free(t);
}

/* Failures older than the 15-minute window do not count. */
static void window(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	for (int i = 0; i < 9; i++)
		throttle_fail(t, "10.0.0.2", "admin", T0 + i);
	throttle_fail(t, "10.0.0.2", "admin", T0 + 900 + 5); /* the first six have aged out */
	assert_int_equal(throttle_blocked(t, "10.0.0.2", "admin", T0 + 906), 0);
	throttle_free(t);
}

static void success_clears_pair(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	for (int i = 0; i < 9; i++)
		throttle_fail(t, "10.0.0.3", "admin", T0 + i);
	throttle_success(t, "10.0.0.3", "admin");
	throttle_fail(t, "10.0.0.3", "admin", T0 + 10);
	assert_int_equal(throttle_blocked(t, "10.0.0.3", "admin", T0 + 11), 0);
	throttle_free(t);
}

/* Memory stays bounded: stale entries are purged when the table is full. */
static void bounded(void **state)
{
	struct throttle *t = throttle_new();
	char addr[32];

	(void)state;
	for (int i = 0; i < THROTTLE_MAX_ENTRIES / 2 + 10; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255,
			 i & 255);
		throttle_fail(t, addr, "x", T0);
	}
	assert_true(throttle_size(t) <= THROTTLE_MAX_ENTRIES);
	throttle_fail(t, "192.0.2.1", "x", T0 + 2000); /* all earlier ones are stale now */
	assert_int_equal(throttle_size(t), 2);
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("throttle-1.1 ten failures block the pair for 15 minutes", pair_limit),
		TEST("throttle-1.2 a stranger elsewhere cannot lock a user out", no_lockout),
		TEST("throttle-1.3 fifty failures block the address", address_limit),
		TEST("throttle-1.4 only failures inside 15 minutes count", window),
		TEST("throttle-1.5 a successful sign-in clears the pair", success_clears_pair),
		TEST("throttle-1.6 the table stays bounded", bounded),
	};
	return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}
