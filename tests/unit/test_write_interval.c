/* net/ws: how long a busy socket's broadcasts rest (ws_adapt), from the loop's load and from
 * whether resting paid (frames per write over the window). */
#include "testutil.h"

#include <unistd.h>

#include "core/app.h"
#include "core/clock.h"
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

/* One 100 ms load window in which `writes` writes to `sockets` sockets carried `frames`
 * frames. */
static void window_to(struct fixture *f, double load, uint64_t frames, uint64_t writes,
		      uint64_t sockets)
{
	f->app.metrics.ws_frames_out += frames;
	f->app.metrics.ws_writes += writes;
	f->srv.adapt_sockets = sockets;
	ws_adapt(&f->srv, load, 100 * MS);
}

/* ... each socket written once: a socket's frames per window are the frames per write. */
static void window(struct fixture *f, double load, uint64_t frames, uint64_t writes)
{
	window_to(f, load, frames, writes, writes);
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

/* 100 messages/s to a room of 1 000 (fan-out at 100 000 deliveries/s): at 2 ms each write
 * carries one frame, but each socket gets 10 frames a window, so a longer interval would pay.
 * It grows instead of swinging between 0 and 2 ms; if the room slows below what even the
 * longest interval would batch, it shrinks. */
static void grows_toward_paying(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	window_to(f, 0.9, 10000, 10000, 1000); /* from 0: the minimum */
	assert_int_equal(f->srv.write_interval_ns, 2 * MS);
	int64_t expect[] = { 4, 8, 16, 32, 64, 100 };
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		window_to(f, 0.9, 10000, 10000, 1000); /* one frame a write: not paying yet */
		assert_int_equal(f->srv.write_interval_ns, expect[i] * MS);
	}
	window_to(f, 0.45, 10000, 1000, 1000); /* inside the band, 10 frames a write: kept */
	assert_int_equal(f->srv.write_interval_ns, 100 * MS);
	/* 1.4 frames a window to each socket: under 1.5 a write even at the cap */
	window_to(f, 0.9, 1400, 1000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 50 * MS);
	window_to(f, 0.9, 1400, 1400, 1400);
	assert_int_equal(f->srv.write_interval_ns, 25 * MS);
	/* busy and not paying at 25 ms, but 2 frames a window per socket pay at 100 ms */
	window_to(f, 0.9, 2000, 2000, 1000);
	assert_int_equal(f->srv.write_interval_ns, 50 * MS);
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

/* A socket written `ago` ns before now with one broadcast queued (resting, if not yet due). */
static void queued(struct fixture *f, struct ws_conn *c, int64_t ago)
{
	struct ws_buf *b = ws_buf_text("{}", 2);

	memset(c, 0, sizeof(*c));
	c->srv = &f->srv;
	c->written_ns = clock_mono_ns() - ago;
	ws_queue(c, b, false);
	ws_buf_unref(b);
}

static void dequeue(struct ws_conn *c)
{
	lws_dll2_remove(&c->wait);
	ws_buf_unref(c->out_head->buf);
	free(c->out_head);
}

/* The rest timer fires when the first resting socket is due: not a quarter interval late. */
static void woken_when_due(void **state)
{
	struct fixture *f = fixture(true);
	struct ws_conn a, b;
	lws_usec_t us;

	(void)state;
	f->app.cfg.ws_queue_frames = 64;
	f->srv.write_interval_ns = 100 * MS;
	queued(f, &a, 10 * MS); /* due in 90 ms */
	queued(f, &b, 95 * MS); /* due in 5 ms */
	assert_ptr_equal(a.wait.owner, &f->srv.resting);
	assert_ptr_equal(b.wait.owner, &f->srv.resting);
	us = ws_rest_tick_us(&f->srv);
	assert_in_range(us, 4000, 5000);
	ws_rest_tick(&f->srv); /* nothing due yet: both stay */
	assert_int_equal(f->srv.resting.count, 2);
	usleep((useconds_t)us + 1000);
	ws_rest_tick(&f->srv);
	assert_ptr_equal(b.wait.owner, &f->srv.waiting); /* b's turn, in order */
	assert_ptr_equal(a.wait.owner, &f->srv.resting);
	/* a is due in ~84 ms: the timer still looks again after a quarter interval */
	assert_int_equal(ws_rest_tick_us(&f->srv), 25000);
	dequeue(&b);
	queued(f, &b, 100 * MS - 200000); /* due in 0.2 ms: woken after the 1 ms floor */
	assert_int_equal(ws_rest_tick_us(&f->srv), 1000);
	dequeue(&a);
	dequeue(&b);
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
		TEST("write-interval-1.4 a resting socket is woken when it is due (1 ms floor, a quarter "
		     "interval at most)",
		     woken_when_due),
		TEST("write-interval-1.5 busy and not paying yet, but a longer interval would: grows",
		     grows_toward_paying),
	};
	return cmocka_run_group_tests_name("write-interval", tests, NULL, NULL);
}
