/* core/spares: freed blocks kept for reuse, up to a bound (ASan checks that none leaks). */
#include "testutil.h"

#include "core/spares.h"

static void kept_and_reused(void **state)
{
	struct spares s = { .max = 2 };
	char *a = malloc(64), *b = malloc(64), *c = malloc(64);

	(void)state;
	assert_null(spares_take(&s)); /* none kept yet */
	spares_put(&s, a);
	spares_put(&s, b);
	spares_put(&s, c); /* a third one is over the bound: freed */
	assert_int_equal(s.kept, 2);
	assert_ptr_equal(spares_take(&s), b); /* the last kept comes back first */
	assert_int_equal(s.kept, 1);
	memset(b, 0xff, 64); /* a taken block is the caller's to fill */
	spares_put(&s, b);
	assert_ptr_equal(spares_take(&s), b);
	assert_ptr_equal(spares_take(&s), a);
	assert_null(spares_take(&s));
	assert_int_equal(s.kept, 0);
	spares_put(&s, a);
	spares_put(&s, b);
	spares_release(&s); /* frees both */
	assert_int_equal(s.kept, 0);
	assert_null(spares_take(&s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("spares-1.1 freed blocks come back last-in first-out, up to the bound",
		     kept_and_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
