/* net/ws: how long a busy socket's broadcasts rest (ws_adapt), from the loop's load and from
 * whether resting paid (frames per write over the window). */
#include "testutil.h"

#include "core/app.h"
#include "core/config.h"
#include "net/server.h"
#include "net/ws.h"

#define MS 1000000LL

struct fixture {
	struct app app;
	struct server srv;
};

static struct fixture *fixture(bool adaptive)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	config_defaults(&f.app.cfg);
	f.app.cfg.ws_write_adaptive = adaptive;
	f.srv.app = &f.app;
	return &f;
}

/* One load window in which `writes` writes carried `frames` frames. */
static void window(struct fixture *f, double load, uint64_t frames, uint64_t writes)
{
	f->app.metrics.ws_frames_out += frames;
	f->app.metrics.ws_writes += writes;
	ws_adapt(&f->srv, load);
}

static void grows_with_load(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	window(f, 0.0, 0, 0);
	assert_int_equal(f->srv.write_interval_ns, 0); /* a quiet loop: nothing rests */
	window(f, 0.45, 1000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 0); /* below the upper bound */
	window(f, 0.9, 1000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 2 * MS); /* busy: the minimum first */
	int64_t expect[] = { 4, 8, 16, 32, 64, 100, 100 };  /* doubling while resting pays */
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		window(f, 0.8, 5000, 1000);
		assert_int_equal(f->srv.write_interval_ns, expect[i] * MS);
	}
	assert_int_equal(f->app.metrics.ws_write_interval_ns, 100 * MS);
	assert_true(f->app.metrics.loop_load == 0.8);
	window(f, 0.3, 5000, 1000); /* inside the band: kept */
	assert_int_equal(f->srv.write_interval_ns, 100 * MS);
	window(f, 0.2, 5000, 1000); /* below it: halved, down to 0 under the minimum */
	assert_int_equal(f->srv.write_interval_ns, 50 * MS);
	for (int i = 0; i < 4; i++)
		window(f, 0.1, 100, 100);
	assert_int_equal(f->srv.write_interval_ns, 3125000);
	window(f, 0.1, 100, 100);
	assert_int_equal(f->srv.write_interval_ns, 0);
}

static void halves_when_it_does_not_pay(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	for (int i = 0; i < 5; i++)
		window(f, 0.9, 4000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 32 * MS);
	/* still busy, but 1.2 frames per write: the rest only delays, so it shrinks */
	window(f, 0.9, 1200, 1000);
	assert_int_equal(f->srv.write_interval_ns, 16 * MS);
	window(f, 0.4, 1400, 1000);
	assert_int_equal(f->srv.write_interval_ns, 8 * MS);
	window(f, 0.9, 1500, 1000); /* 1.5 frames per write pays again */
	assert_int_equal(f->srv.write_interval_ns, 16 * MS);
	window(f, 0.9, 0, 0); /* a window without writes says nothing against it */
	assert_int_equal(f->srv.write_interval_ns, 32 * MS);
}

static void capped_and_fixed(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	f->app.cfg.ws_write_interval_ms = 0; /* resting off */
	for (int i = 0; i < 3; i++)
		window(f, 1.0, 9000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 0);
	f = fixture(false); /* not adaptive: always the configured interval */
	f->app.cfg.ws_write_interval_ms = 250;
	window(f, 0.0, 0, 0);
	assert_int_equal(f->srv.write_interval_ns, 250 * MS);
	window(f, 1.0, 1000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 250 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("write-interval-1.1 0 while the loop is at most half busy, then doubling to the cap",
		     grows_with_load),
		TEST("write-interval-1.2 halved when resting carries under 1.5 frames per write",
		     halves_when_it_does_not_pay),
		TEST("write-interval-1.3 ws_write_interval_ms 0 turns it off; not adaptive: fixed",
		     capped_and_fixed),
	};
	return cmocka_run_group_tests_name("write-interval", tests, NULL, NULL);
}
