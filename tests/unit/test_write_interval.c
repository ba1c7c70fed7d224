/* net/ws: how long a busy socket's broadcasts rest (ws_adapt), from the loop's load and from
 * whether resting paid (frames per write over the window). */
#include "testutil.h"

#include "core/app.h"
#include "core/clock.h"
#include "core/config.h"
#include "net/ws.h"

#define MS 1000000LL
/* Cases that read the clock use intervals of seconds where the server's are milliseconds:
 * what they assert must not change if the process is descheduled between two steps for the
 * milliseconds a loaded machine may take. */
#define S (1000 * MS)

struct fixture {
	struct app app;
	struct ws_state *ws;
};

static struct fixture *fixture(bool adaptive)
{
	static struct fixture f;

	ws_state_free(f.ws);
	memset(&f, 0, sizeof(f));
	config_defaults(&f.app.cfg);
	f.app.cfg.ws_write_adaptive = adaptive;
	f.ws = ws_state_new(&f.app);
	assert_non_null(f.ws);
	return &f;
}

/* One 100 ms load window in which `writes` writes to `sockets` sockets carried `frames`
 * frames. */
static void window_to(struct fixture *f, double load, uint64_t frames, uint64_t writes,
		      uint64_t sockets)
{
	f->app.metrics.ws_frames_out += frames;
	f->app.metrics.ws_writes += writes;
	f->ws->adapt_sockets = sockets;
	ws_adapt(f->ws, load, 100 * MS);
}

/* ... each socket written once: a socket's frames per window are the frames per write. */
static void window(struct fixture *f, double load, uint64_t frames, uint64_t writes)
{
	window_to(f, load, frames, writes, writes);
}

/* The interval set to ms as if it had held for a window already (the change's own window
 * decides nothing). */
static void at_interval(struct fixture *f, int64_t ms)
{
	f->ws->pace.interval_ns = ms * MS;
	f->ws->pace.settled = 1;
}

/* Two windows: the first after a change decides nothing, so a step takes two. */
static void step(struct fixture *f, double load, uint64_t frames, uint64_t writes, uint64_t sockets)
{
	int64_t before = f->ws->pace.interval_ns;

	window_to(f, load, frames, writes, sockets);
	assert_int_equal(f->ws->pace.interval_ns, before); /* the change's own window */
	window_to(f, load, frames, writes, sockets);
}

/* Five windows: the change's own, then four for the mean, which alone moves an interval of
 * 32 ms or more. */
static void long_step(struct fixture *f, double load, uint64_t frames, uint64_t writes,
		      uint64_t sockets)
{
	int64_t before = f->ws->pace.interval_ns;

	for (int i = 0; i < 4; i++) {
		window_to(f, load, frames, writes, sockets);
		assert_int_equal(f->ws->pace.interval_ns, before);
	}
	window_to(f, load, frames, writes, sockets);
}

/* Windows of these loads, each socket written once a window, none of which moves the
 * interval from ms. */
static void holds(struct fixture *f, const double *loads, size_t n, uint64_t frames, int64_t ms)
{
	for (size_t i = 0; i < n; i++) {
		window_to(f, loads[i], frames, 1000, 1000);
		assert_int_equal(f->ws->pace.interval_ns, ms * MS);
	}
}

/* Four windows of one load: the first three keep the interval, the fourth makes the mean of
 * four and moves it to to_ms. */
static void fourth_moves(struct fixture *f, double load, uint64_t frames, uint64_t writes,
			 int64_t to_ms)
{
	int64_t before = f->ws->pace.interval_ns;

	for (int i = 0; i < 3; i++) {
		window_to(f, load, frames, writes, 1000);
		assert_int_equal(f->ws->pace.interval_ns, before);
	}
	window_to(f, load, frames, writes, 1000);
	assert_int_equal(f->ws->pace.interval_ns, to_ms * MS);
}

static void grows_with_load(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	window(f, 0.0, 0, 0);
	assert_int_equal(f->ws->pace.interval_ns, 0); /* a quiet loop: nothing rests */
	for (int i = 0; i < 6; i++)
		window(f, 0.44, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 0); /* below the upper bound */
	window(f, 0.9, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 2 * MS); /* overloaded: the minimum at once */
	int64_t expect[] = { 4, 8, 16, 32 };		   /* doubling while resting pays */
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		step(f, 0.8, 5000, 1000, 1000);
		assert_int_equal(f->ws->pace.interval_ns, expect[i] * MS);
	}
	int64_t longer[] = { 64, 100, 100 }; /* from 32 ms on, on four windows' mean */
	for (size_t i = 0; i < sizeof(longer) / sizeof(longer[0]); i++) {
		long_step(f, 0.8, 5000, 1000, 1000);
		assert_int_equal(f->ws->pace.interval_ns, longer[i] * MS);
	}
	assert_int_equal(f->app.metrics.ws_write_interval_ns, 100 * MS);
	assert_true(f->app.metrics.loop_load == 0.8);
	for (int i = 0; i < 6; i++)
		window(f, 0.4, 5000, 1000); /* inside the band beyond 32 ms (0.35-0.6): kept */
	assert_int_equal(f->ws->pace.interval_ns, 100 * MS);
	for (int i = 0; i < 2; i++)
		window(f, 0.33, 5000, 1000); /* the last four windows' mean: 0.365 */
	assert_int_equal(f->ws->pace.interval_ns, 100 * MS);
	window(f, 0.33, 5000, 1000); /* 0.3475, below the band: shorter, the cap's step to 64 ms */
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
	long_step(f, 0.3, 5000, 1000, 1000); /* 0.3 at 64 ms: back to 32 */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	for (int i = 0; i < 6; i++)
		window(f, 0.3, 5000, 1000); /* at 32 ms the band is 0.25-0.6 again */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	for (int i = 0; i < 3; i++)
		window(f, 0.24, 5000, 1000); /* the last four windows' mean: 0.255 */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	window(f, 0.24, 5000, 1000); /* 0.24, below the band */
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	long_step(f, 0.24, 5000, 1000, 1000); /* a mean under the band shrinks at any interval */
	assert_int_equal(f->ws->pace.interval_ns, 8 * MS);
	f->ws->pace.interval_ns = 64 * MS; /* as if it had just changed to 64 ms */
	f->ws->pace.settled = 0;
	int64_t down[] = { 32, 16, 8, 4, 2, 0 }; /* one frame a write: shorter every step */
	for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++) {
		step(f, 0.1, 100, 100, 100);
		assert_int_equal(f->ws->pace.interval_ns, down[i] * MS);
	}
}

/* Spikes of load do not grow it, nor dips shrink it: the mean of four windows does (or, under
 * 32 ms, one window of a real overload). */
static void holds_through_spikes(void **state)
{
	struct fixture *f = fixture(true);
	double loads[] = { 0.33, 0.48, 0.47, 0.46, 0.30, 0.20, 0.22, 0.30, 0.6, 0.35, 0.30, 0.30 };

	(void)state;
	at_interval(f, 16);
	holds(f, loads, sizeof(loads) / sizeof(loads[0]), 1600, 16);
	fourth_moves(f, 0.46, 1600, 1000, 32); /* means 0.3525, 0.38, 0.42, then 0.46 */
	at_interval(f, 8);
	window_to(f, 0.7, 1600, 1000, 1000); /* over WS_LOAD_URGENT: at once */
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	window_to(f, 0.7, 1600, 1000, 1000); /* the change's own window, even this busy */
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	window_to(f, 0.7, 1600, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
}

/* From 32 ms on, a longer interval doubles the wait people see: one window never grows it,
 * nor, for sockets getting under 6 frames per 32 ms, a mean in 0.45-0.6 (fan-out at 100 000
 * deliveries/s on a slow host: 100 messages/s, 3.2 per 32 ms); a mean over 0.6 does, and beyond
 * 32 ms a mean under 0.35 brings it back. */
static void long_intervals_need_a_busier_loop(void **state)
{
	struct fixture *f = fixture(true);
	double loads[] = { 0.9, 0.5, 0.5, 0.5, 0.55, 0.58, 0.59, 0.5, 0.7, 0.3, 0.3, 0.3 };

	(void)state;
	at_interval(f, 32);
	holds(f, loads, sizeof(loads) / sizeof(loads[0]), 3200, 32);
	fourth_moves(f, 0.7, 3200, 1000, 64); /* means 0.4, 0.5, 0.6, then 0.7 */
	long_step(f, 0.36, 6400, 1000, 1000); /* inside the band at 64 ms: kept */
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
	for (int i = 0; i < 2; i++)
		window_to(f, 0.34, 6400, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS); /* means 0.355, 0.35 */
	window_to(f, 0.34, 6400, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS); /* mean 0.345 */
}

/* A room flooding its sockets (400 messages/s: 12.8 frames per 32 ms) keeps the usual bounds
 * past 32 ms: a mean over 0.45 grows it, and only one under 0.25 shrinks it. */
static void floods_rest_longer(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	at_interval(f, 32);
	fourth_moves(f, 0.47, 40000, 3000, 64); /* four windows' mean 0.47 */
	long_step(f, 0.3, 40000, 1500, 1000);	/* a calm room would go back to 32 ms here */
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
	window_to(f, 0.3, 4000, 1500, 1000); /* the room slows to 1.3 per 32 ms: 0.3 < 0.35 */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
}

static void halves_when_it_does_not_pay(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	at_interval(f, 32);
	/* still busy, but 1.2 frames per write, and no longer interval would pay (1.2 frames a
	 * window per socket): the rest only delays, so it shrinks */
	window_to(f, 0.9, 1200, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	step(f, 0.4, 1400, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 8 * MS);
	step(f, 0.9, 1500, 1000, 1000); /* 1.5 frames per write pays again */
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	step(f, 0.9, 0, 0, 0); /* a window without writes says nothing against it */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	/* busy windows, not paying at 32 ms, but a longer interval would: held, not shrunk,
	 * until the mean of four windows says busy */
	window_to(f, 0.62, 1000, 1000, 500);
	for (int i = 0; i < 3; i++) {
		window_to(f, 0.62, 1000, 1000, 500);
		assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	}
	window_to(f, 0.62, 1000, 1000, 500);
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
}

/* 100 messages/s to a room of 1 000 (fan-out at 100 000 deliveries/s): at 2 ms each write
 * carries one frame, but each socket gets 10 frames a window, so a longer interval would pay.
 * It grows instead of swinging between 0 and 2 ms; if the room slows below what even the
 * longest interval would batch, it shrinks. */
static void grows_toward_paying(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	step(f, 0.9, 10000, 10000, 1000); /* from 0: the minimum */
	assert_int_equal(f->ws->pace.interval_ns, 2 * MS);
	int64_t expect[] = { 4, 8, 16, 32, 64, 100 };
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		if (expect[i] <= 32) /* one frame a write: not paying yet */
			step(f, 0.9, 10000, 10000, 1000);
		else
			long_step(f, 0.9, 10000, 10000, 1000);
		assert_int_equal(f->ws->pace.interval_ns, expect[i] * MS);
	}
	for (int i = 0; i < 5; i++)
		window_to(f, 0.45, 10000, 1000,
			  1000); /* inside the band, 10 frames a write: kept */
	assert_int_equal(f->ws->pace.interval_ns, 100 * MS);
	/* 1.4 frames a window to each socket: under 1.5 a write even at the cap */
	window_to(f, 0.9, 1400, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
	step(f, 0.9, 1400, 1400, 1400);
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	/* busy and not paying at 32 ms, but 2 frames a window per socket pay at 100 ms */
	long_step(f, 0.9, 2000, 2000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 64 * MS);
}

static void capped_and_fixed(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	f->app.cfg.ws_write_interval_ms = 0; /* resting off */
	for (int i = 0; i < 3; i++)
		window(f, 1.0, 9000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 0);
	f = fixture(false); /* not adaptive: always the configured interval */
	f->app.cfg.ws_write_interval_ms = 250;
	window(f, 0.0, 0, 0);
	assert_int_equal(f->ws->pace.interval_ns, 250 * MS);
	window(f, 1.0, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 250 * MS);
	/* and never by count: 2.5 frames a socket per interval made the 3rd frame due at once,
	 * so a socket could be written before its interval had passed */
	assert_int_equal(f->ws->pace.rest_frames, 0);
	assert_int_equal(f->ws->pace.rest_late_ns, 0);
}

/* A socket written `ago` ns before now with one broadcast queued (resting, if not yet due). */
static void queued(struct fixture *f, struct ws_conn *c, int64_t ago)
{
	struct frame *b = frame_text("{}", 2);

	memset(c, 0, sizeof(*c));
	c->ws = f->ws;
	c->written_ns = clock_mono_ns() - ago;
	ws_queue(c, b, false);
	frame_unref(b);
}

static void dequeue(struct ws_conn *c)
{
	lws_dll2_remove(&c->wait);
	frame_unref(c->out_head->frame);
	free(c->out_head);
}

/* The rest timer fires when the first resting socket is due: not a quarter interval late.
 * Time passes by moving the sockets' last writes back, not by sleeping (S above). */
static void woken_when_due(void **state)
{
	struct fixture *f = fixture(true);
	struct ws_conn a, b;
	int64_t us;

	(void)state;
	f->app.cfg.ws_queue_frames = 64;
	f->ws->pace.interval_ns = 100 * S;
	queued(f, &a, 10 * S); /* due in 90 s */
	queued(f, &b, 95 * S); /* due in 5 s */
	assert_ptr_equal(a.wait.owner, &f->ws->resting);
	assert_ptr_equal(b.wait.owner, &f->ws->resting);
	us = ws_rest_tick_us(f->ws);
	assert_in_range(us, 4 * S / 1000, 5 * S / 1000);
	ws_rest_tick(f->ws); /* nothing due yet: both stay */
	assert_int_equal(f->ws->resting.count, 2);
	a.written_ns -= us * 1000 + MS; /* the timer's wait and 1 ms pass */
	b.written_ns -= us * 1000 + MS;
	ws_rest_tick(f->ws);
	assert_ptr_equal(b.wait.owner, &f->ws->waiting); /* b's turn, in order */
	assert_ptr_equal(a.wait.owner, &f->ws->resting);
	/* a is due in ~85 s: the timer still looks again after a quarter interval */
	assert_int_equal(ws_rest_tick_us(f->ws), 25 * S / 1000);
	dequeue(&b);
	queued(f, &b, 98 * S); /* due in 2 s, before a: the timer's next look moves up */
	assert_in_range(ws_rest_tick_us(f->ws), 1 * S / 1000, 2 * S / 1000);
	f->ws->rest_due_ns = clock_mono_ns() + 200000; /* due in 0.2 ms: the 1 ms floor */
	assert_int_equal(ws_rest_tick_us(f->ws), 1000);
	dequeue(&a);
	dequeue(&b);
}

/* Resting by count: how many frames a socket gets per interval, from the window's frames per
 * socket written, and how long past the interval one may wait for its last frame. */
static void counts_frames_per_interval(void **state)
{
	struct fixture *f = fixture(true);

	(void)state;
	/* 100 messages/s to a room of 1 000, two frames a write: kept at 16 ms (inside the band);
	 * 10 frames a socket per 100 ms window, 1.6 per interval: every 2nd frame, a gap of 10 ms */
	at_interval(f, 16);
	window_to(f, 0.3, 10000, 5000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 16 * MS);
	assert_int_equal(f->ws->pace.rest_frames, 2);
	assert_int_equal(f->ws->pace.rest_late_ns, 10 * MS);
	window_to(f, 0.9, 10000, 5000, 1000); /* overloaded: 32 ms, 3.2 frames: every 3rd */
	assert_int_equal(f->ws->pace.interval_ns, 32 * MS);
	assert_int_equal(f->ws->pace.rest_frames, 3);
	assert_int_equal(f->ws->pace.rest_late_ns, 10 * MS);
	window_to(f, 0.3, 7000, 3500, 1000); /* 2.24 frames: every 2nd, a gap of ~14.3 ms */
	assert_int_equal(f->ws->pace.rest_frames, 2);
	assert_int_equal(f->ws->pace.rest_late_ns, 14285714);
	window_to(f, 0.3, 4000, 2000, 1000); /* 1.28 frames: by time alone */
	assert_int_equal(f->ws->pace.rest_frames, 0);
	assert_int_equal(f->ws->pace.rest_late_ns, 0);
	window_to(f, 0.3, 0, 0, 0); /* no writes: by time alone */
	assert_int_equal(f->ws->pace.rest_frames, 0);
	/* at the cap no frame waits past ws_write_interval_ms */
	at_interval(f, 100);
	window_to(f, 0.9, 10000, 1000, 1000);
	assert_int_equal(f->ws->pace.interval_ns, 100 * MS);
	assert_int_equal(f->ws->pace.rest_frames, 10);
	assert_int_equal(f->ws->pace.rest_late_ns, 0);
	at_interval(f, 90);
	window_to(f, 0.3, 10000, 1000, 1000); /* 9 frames, a gap of 10 ms: 10 ms to the cap */
	assert_int_equal(f->ws->pace.rest_frames, 9);
	assert_int_equal(f->ws->pace.rest_late_ns, 10 * MS);
	at_interval(f, 95);
	window_to(f, 0.3, 10000, 1000, 1000); /* 9.5 frames: 10, but only 5 ms to the cap */
	assert_int_equal(f->ws->pace.rest_frames, 10);
	assert_int_equal(f->ws->pace.rest_late_ns, 5 * MS);
}

/* A frame to c (broadcast, or urgent). */
static void send_frame(struct ws_conn *c, bool urgent)
{
	struct frame *b = frame_text("{}", 2);

	ws_queue(c, b, urgent);
	frame_unref(b);
}

/* Writes c's queue as a pass would: out of its list, its frames gone, written now. */
static void written(struct ws_conn *c)
{
	lws_dll2_remove(&c->wait);
	while (c->out_head) {
		struct ws_out *o = c->out_head;

		c->out_head = o->next;
		frame_unref(o->frame);
		free(o);
	}
	c->out_tail = NULL;
	c->out_frames = c->out_bytes = 0;
	c->urgent = false;
	c->written_ns = clock_mono_ns();
}

/* Every 3rd frame: six sockets numbered 0-5, just written, take six broadcasts; each
 * broadcast makes two of them due (1/3 of the room), each socket once in three. A socket's
 * first write carries the frames since the start (1, 2 or 3), every later one three. */
static void writes_at_its_nth_frame(void **state)
{
	struct fixture *f = fixture(true);
	struct ws_conn c[6];
	const int due_at_broadcast[3][2] = { { 2, 5 }, { 1, 4 }, { 0, 3 } };

	(void)state;
	f->app.cfg.ws_queue_frames = 64;
	f->ws->pace.interval_ns = 32 * S; /* only the count makes a socket due here (S above) */
	f->ws->pace.rest_frames = 3;
	f->ws->pace.rest_late_ns = 10 * S;
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 6; i++) {
		c[i].ws = f->ws;
		c[i].phase = (uint32_t)i;
		c[i].written_ns = clock_mono_ns();
	}
	for (int k = 0; k < 6; k++) {
		for (int i = 0; i < 6; i++)
			send_frame(&c[i], false);
		assert_int_equal(f->ws->waiting.count, 2);
		for (int j = 0; j < 2; j++) {
			struct ws_conn *d = &c[due_at_broadcast[k % 3][j]];

			assert_ptr_equal(d->wait.owner, &f->ws->waiting);
			assert_int_equal(d->out_frames, k < 3 ? k + 1 : 3);
			written(d);
		}
		assert_int_equal(f->ws->resting.count, 4); /* the other four, frames queued */
	}
	for (int i = 0; i < 6; i++)
		written(&c[i]);
}

/* Not at its count, a socket waits past the interval by one gap, no longer; a reply never. */
static void unsteady_frames_wait_a_gap_more(void **state)
{
	struct fixture *f = fixture(true);
	struct ws_conn a, b, r;

	(void)state;
	f->app.cfg.ws_queue_frames = 64;
	f->ws->pace.interval_ns = 32 * S; /* S above */
	f->ws->pace.rest_frames = 3;
	f->ws->pace.rest_late_ns = 10 * S;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	a.ws = b.ws = r.ws = f->ws;
	a.written_ns = clock_mono_ns() - 35 * S; /* past the interval, within the gap */
	b.written_ns = clock_mono_ns() - 43 * S; /* past both */
	r.written_ns = clock_mono_ns();
	send_frame(&a, false); /* frame 1 of 3 for phase 0 */
	send_frame(&b, false);
	send_frame(&r, true);
	assert_ptr_equal(a.wait.owner, &f->ws->resting);
	assert_ptr_equal(b.wait.owner, &f->ws->waiting);
	assert_ptr_equal(r.wait.owner, &f->ws->waiting);
	assert_in_range(ws_rest_tick_us(f->ws), 6 * S / 1000, 7 * S / 1000); /* a: in ~7 s */
	f->ws->pace.rest_frames = 0; /* by time alone, 35 s is past the interval */
	ws_rest_tick(f->ws);
	assert_ptr_equal(a.wait.owner, &f->ws->waiting);
	written(&a);
	written(&b);
	written(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("write-interval-1.1 0 while the loop is at most 45 % busy, then doubling to the "
		     "cap; back in steps of 2 ms × 2^k",
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
		TEST("write-interval-1.6 resting by count: a socket's frames per interval, and a gap "
		     "of slack up to the cap",
		     counts_frames_per_interval),
		TEST("write-interval-1.7 resting by count: a socket writes as its n-th frame arrives, "
		     "1/n of a room per broadcast",
		     writes_at_its_nth_frame),
		TEST("write-interval-1.8 resting by count: an unsteady socket waits the interval and "
		     "a gap, a reply not at all",
		     unsteady_frames_wait_a_gap_more),
		TEST("write-interval-1.9 the mean of four windows moves it, not a spike or a dip; "
		     "the change's own window decides nothing",
		     holds_through_spikes),
		TEST("write-interval-1.10 past 32 ms a slower room's interval grows only on a mean "
		     "over 60 % and shrinks on one under 35 %",
		     long_intervals_need_a_busier_loop),
		TEST("write-interval-1.11 a room of over 6 frames per 32 ms a socket keeps the "
		     "45 % / 25 % bounds past 32 ms",
		     floods_rest_longer),
	};
	return cmocka_run_group_tests_name("write-interval", tests, NULL, NULL);
}
