/* core/clock: RFC 3339 times, as gmtime and strftime give them, from a per-thread cache. */
#include "testutil.h"

#include "core/clock.h"

#include <time.h>

static void expect_rfc3339(int64_t t, const char *want)
{
	char got[32];

	memset(got, 'x', sizeof(got));
	clock_rfc3339(t, got, sizeof(got));
	assert_string_equal(got, want);
}

/* The same second twice, a new one, back to an old one: each reads as its own. */
static void rfc3339(void **state)
{
	char small[11];

	(void)state;
	expect_rfc3339(0, "1970-01-01T00:00:00Z");
	expect_rfc3339(0, "1970-01-01T00:00:00Z");
	expect_rfc3339(951782400, "2000-02-29T00:00:00Z");
	expect_rfc3339(1798761599, "2026-12-31T23:59:59Z");
	expect_rfc3339(1798761600, "2027-01-01T00:00:00Z");
	expect_rfc3339(1798761599, "2026-12-31T23:59:59Z");
	/* every second of a day's turn, against the C library directly */
	for (int64_t t = 1795737590; t < 1795737620; t++) {
		time_t tt = (time_t)t;
		struct tm tm;
		char want[32];

		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		expect_rfc3339(t, want);
		expect_rfc3339(t, want);
	}
	/* a short buffer gets as much as fits, terminated */
	clock_rfc3339(0, small, sizeof(small));
	assert_string_equal(small, "1970-01-01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("clock-1.1 RFC 3339 UTC times, the same for a second asked again", rfc3339),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
