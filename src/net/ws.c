/* WebSocket connections; see ws.h. */
#include "net/ws.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "net/chat.h"
#include "net/http.h"
#include "net/hub.h"
#include "net/server.h"

/* ---- frames and queues --------------------------------------------------------------- */

struct ws_buf *ws_buf_text(const char *text, size_t n)
{
	struct ws_buf *b = text ? malloc(sizeof(*b) + LWS_PRE + n) : NULL;

	if (b) {
		b->refs = 1;
		b->len = n;
		memcpy(b->data + LWS_PRE, text, n);
	}
	return b;
}

struct ws_buf *ws_buf_json(const json_t *v)
{
	size_t n = 0;
	char *text = json_dump(v, &n);
	struct ws_buf *b = ws_buf_text(text, n);

	free(text);
	return b;
}

void ws_buf_unref(struct ws_buf *b)
{
	if (b && --b->refs == 0)
		free(b);
}

/* A queue entry per frame per socket: ten or more per durable message, so freed ones are
 * kept for reuse (up to WS_OUTS_KEPT, core/spares.h) instead of going back to malloc. */
static struct ws_out *out_new(struct server *s)
{
	struct ws_out *o = spares_take(&s->ws_outs);

	return o ? o : malloc(sizeof(*o));
}

static void queue_clear(struct ws_conn *c)
{
	struct ws_out *o = c->out_head, *next;

	for (; o; o = next) {
		next = o->next;
		ws_buf_unref(o->buf);
		spares_put(&c->srv->ws_outs, o);
	}
	c->out_head = c->out_tail = NULL;
	c->out_frames = c->out_bytes = 0;
	c->urgent = false;
}

/* Queued frames that go out in one write: up to this many bytes, so one TLS record per 4 KiB
 * (the record size of our mbedtls and lws patches) and one send() carry what would have cost a
 * record and a syscall per frame, on our side and on every client's. */
#define WS_BATCH_BYTES SERVER_WRITE_MAX

/* ---- write scheduling ----------------------------------------------------------------- */

/* How long one loop pass should spend writing to WebSockets. A message to a room of thousands
 * is that many writes (~15 us each): handed to lws all at once, they would hold every other
 * socket (a sign-in, a /healthz) for 15 ms per 1 000 subscribers. Sockets with frames to send
 * wait in a list instead, and each pass writes to only as many as fit in this budget, oldest
 * first; between passes the loop polls and serves everyone else. With epoll a pass costs little, so
 * the budget can be short: 250 us left fan-out's instructions per delivery unchanged and took
 * /healthz's p99 under load from 14-18 ms (2 ms budget) to 4-5 ms (docs/BENCHMARKS.md). */
#define WS_PASS_BUDGET_US 250
#define WS_WRITE_MIN 16 /* progress even if writes turn slow */
#define WS_WRITE_COST_START_NS 15000

/* When c, resting, writes at the latest: the interval after its last write, and one gap more
 * when resting by count (write_due). */
static int64_t due_at(const struct ws_conn *c)
{
	const struct server *s = c->srv;

	return c->written_ns + s->write_interval_ns + (s->rest_frames >= 2 ? s->rest_late_ns : 0);
}

/* Under load a room's messages reach a socket faster than they are worth one write each:
 * each write is a TLS record, a send() and the loopback or NIC's work for one segment, ~15 us
 * of which only ~2 us depend on the frame. So when the loop is busy, a socket written less
 * than write_interval_ns ago rests until that interval has passed, and the frames that arrive
 * meanwhile leave together. The interval follows the loop's load (ws_adapt): 0 while the loop
 * has time to spare, so a quiet server adds no latency at all; replies (urgent: acks, errors,
 * join answers) never rest, nor does a socket with a full batch queued.
 * Where a socket gets its room's frames steadily, ws_adapt also says how many arrive in one
 * interval (rest_frames), and the socket writes as its rest_frames-th frame arrives instead of
 * when the interval ends: the same frames per write, but the first of them waits only the gaps
 * up to the last, (n - 1) gaps instead of up to n. Each socket counts from its own number
 * (phase), so each broadcast starts the writes of 1/n of a room rather than all of it at every
 * n-th. For a socket whose frames come unsteadily the limit is the interval plus one gap (so
 * that a frame a little late still finds the others waiting), never ws_write_interval_ms.
 * now: the time, or 0 to read the clock only if the answer depends on it; arriving: a frame
 * was just queued. */
static bool write_due(const struct ws_conn *c, int64_t now, bool arriving)
{
	const struct server *s = c->srv;

	if (c->urgent || c->out_bytes >= WS_BATCH_BYTES || s->write_interval_ns == 0)
		return true;
	if (arriving && s->rest_frames >= 2 && (c->frames_in + c->phase) % s->rest_frames == 0)
		return true;
	return (now ? now : clock_mono_ns()) >= due_at(c);
}

/* The loop's load is kept between these fractions of its time: above the upper one the
 * interval doubles (from WS_INTERVAL_MIN_NS, up to ws_write_interval_ms), below the lower one
 * it halves (to 0 under the minimum). Writes are most of a busy loop's work, so resting cuts
 * the load; the band between the two keeps it from swinging.
 * Resting pays when a write carries at least WS_REST_PAYS frames over the window. When it
 * does not, the question is which way: an interval shorter than the gap between a socket's
 * frames batches nothing yet, and a longer one would (100 messages/s to a room rest in vain
 * at 2 ms and pay from 16 ms: halving there kept fan-out at 0-2 ms, at half the deliveries
 * per CPU-second, for whole runs); but when even the longest interval would carry fewer
 * (a room's messages further apart than it), resting only delays, and the interval halves.
 * The upper bound was half the loop's time until resting by count made each interval cheaper:
 * then one fan-out run in three settled at 0 or 2 ms at 45-50 % load, one frame a write, at a
 * fifth fewer deliveries per CPU-second; at 0.4 it settles at 16-32 ms, 2-3 frames a write.
 * One window's load is noisy: at 100 000 deliveries/s a loop ~33 % busy at 32 ms showed
 * windows of 0.41-0.48 now and then, alone or two or three together, and each such spike
 * doubled the interval for good (64 ms was nearly as busy, inside the band), which doubled
 * fan-out's p99. So the interval grows on the mean of the last WS_LOAD_WINDOWS windows (or on
 * one window above WS_LOAD_URGENT: a real overload is met at once), and shrinks on that mean
 * too; a busy window whose longer interval would pay holds the interval rather than
 * shrinking it for not paying yet. The first window after a change counts for nothing:
 * halving makes every socket that rested past the new interval due at once, doubling leaves
 * the ones just written idle, and those windows' loads (0.49 after 50 -> 25 ms, 0.22 after
 * 25 -> 50) swung the interval back and forth.
 * From WS_INTERVAL_LONG_NS on, a longer interval costs what people notice: the p99 doubles
 * (fan-out at 100 000 deliveries/s: 26 -> 55 ms at 32 and 64 ms, the loop 30 % and 20 % busy).
 * With the host running a quarter slower, the 0.45 bound or one window over 0.65 took the
 * interval from 32 to 64 or 100 ms, where the load then sat inside the band: (a)'s p99 at
 * 100 000/s was 57-121 ms in four runs of six instead of 25-35. So from that interval on it
 * grows only on the mean of four windows (one window alone never), and for a socket whose
 * frames come slower than WS_FLOOD_FRAMES per 32 ms only on a mean over WS_LOAD_HIGH_LONG,
 * a loop near saturation; beyond it, it shrinks on a mean under WS_LOAD_LOW_LONG. A room
 * flooding its sockets faster than that (400 000/s: 400 messages/s, 13 per 32 ms; no one
 * reads them one by one) keeps the usual bounds: there the writes saved are what the loop
 * needs (at 400 000/s, 32-64 ms took 25 % more CPU than 64-100 ms). */
#define WS_LOAD_HIGH 0.45
#define WS_LOAD_LOW 0.25
#define WS_LOAD_URGENT 0.65
#define WS_INTERVAL_LONG_NS 32000000
#define WS_LOAD_HIGH_LONG 0.6
#define WS_LOAD_LOW_LONG 0.35
#define WS_FLOOD_FRAMES 6.0
#define WS_LOAD_WINDOWS 4
_Static_assert(sizeof(((struct server *)0)->adapt_loads) == WS_LOAD_WINDOWS * sizeof(double),
	       "server.h sizes adapt_loads for WS_LOAD_WINDOWS");
#define WS_INTERVAL_MIN_NS 2000000
#define WS_REST_PAYS 1.5

/* A socket's frames per interval of `interval` ns, at this window's rate per socket written
 * (frames in the window); 0 for a window without writes. */
static double frames_per(const struct server *s, uint64_t frames, int64_t window_ns,
			 int64_t interval)
{
	if (frames == 0 || s->adapt_sockets == 0)
		return 0;
	return (double)frames * (double)interval / ((double)s->adapt_sockets * (double)window_ns);
}

/* How many of a socket's frames arrive in one interval: rounded, the frames per write when
 * resting by count (write_due); under WS_REST_PAYS, resting goes by time alone. max:
 * ws_write_interval_ms in ns. */
static void rest_by_count(struct server *s, uint64_t frames, int64_t window_ns, int64_t max)
{
	double per_interval = frames_per(s, frames, window_ns, s->write_interval_ns);
	int64_t gap;

	s->rest_frames = per_interval >= WS_REST_PAYS ? (uint32_t)(per_interval + 0.5) : 0;
	gap = s->rest_frames ? (int64_t)((double)s->write_interval_ns / per_interval) : 0;
	s->rest_late_ns = gap < max - s->write_interval_ns ? gap : max - s->write_interval_ns;
}

/* The mean load of the last WS_LOAD_WINDOWS windows at the current interval, this one
 * included and the change's own not counted; -1 until there are that many. */
static double steady_load(struct server *s, double load)
{
	uint32_t n = s->adapt_settled; /* windows at this interval before this one */
	double sum = 0;

	if (n == 0)
		return -1;
	s->adapt_loads[(n - 1) % WS_LOAD_WINDOWS] = load;
	if (n < WS_LOAD_WINDOWS)
		return -1;
	for (int i = 0; i < WS_LOAD_WINDOWS; i++)
		sum += s->adapt_loads[i];
	return sum / WS_LOAD_WINDOWS;
}

/* The interval below w: half of it, 0 under the minimum, and from the cap the step the
 * doublings took before it (64 ms under a 100 ms cap, not 50: the steps stay 2 ms × 2^k). */
static int64_t shorter(int64_t w, int64_t max)
{
	int64_t step = WS_INTERVAL_MIN_NS;

	if (w < 2 * WS_INTERVAL_MIN_NS)
		return 0;
	if (w < max)
		return w / 2;
	while (step * 2 < max)
		step *= 2;
	return step;
}

void ws_adapt(struct server *s, double load, int64_t window_ns)
{
	struct metrics *m = &s->app->metrics;
	int64_t max = (int64_t)s->app->cfg.ws_write_interval_ms * 1000000, w = s->write_interval_ns;
	uint64_t frames = m->ws_frames_out - s->adapt_frames,
		 writes = m->ws_writes - s->adapt_writes;
	bool pays = writes == 0 || (double)frames >= WS_REST_PAYS * (double)writes;
	bool could_pay = writes == 0 || frames_per(s, frames, window_ns, max) >= WS_REST_PAYS;
	bool settled = s->adapt_settled > 0;
	double steady = steady_load(s, load);
	bool flood = frames_per(s, frames, window_ns, WS_INTERVAL_LONG_NS) >= WS_FLOOD_FRAMES;
	bool past = w >= WS_INTERVAL_LONG_NS;
	bool busy = load > WS_LOAD_HIGH, grow = w == 0 || pays || could_pay;
	bool high = past ? steady > (flood ? WS_LOAD_HIGH : WS_LOAD_HIGH_LONG)
			 : load > WS_LOAD_URGENT || steady > WS_LOAD_HIGH;
	bool low = steady >= 0 &&
		   steady < (w > WS_INTERVAL_LONG_NS && !flood ? WS_LOAD_LOW_LONG : WS_LOAD_LOW);

	if (!s->app->cfg.ws_write_adaptive)
		w = max;
	else if (!settled)
		; /* the change's own window */
	else if (high && grow)
		w = w < WS_INTERVAL_MIN_NS ? WS_INTERVAL_MIN_NS : w * 2;
	else if (low || (!pays && !(busy && grow)))
		w = shorter(w, max);
	w = w > max ? max : w;
	s->adapt_settled = w == s->write_interval_ns ? s->adapt_settled + 1 : 0;
	s->write_interval_ns = w;
	if (s->app->cfg.ws_write_adaptive) /* not adaptive: the full interval (config.h) */
		rest_by_count(s, frames, window_ns, max);
	s->adapt_frames = m->ws_frames_out;
	s->adapt_writes = m->ws_writes;
	s->adapt_sockets = 0;
	s->adapt_seq++;
	m->loop_load = load;
	m->ws_write_interval_ns = s->write_interval_ns;
}

/* A wake-up per resting socket's due time, but not more than one a millisecond: each tick
 * walks the resting list. Waking only every quarter interval (25 ms at 100 ms) had sockets
 * rest up to 25 ms past their due time, most of fan-out's p99 beyond the interval itself. */
#define WS_REST_TICK_MIN_US 1000

lws_usec_t ws_rest_tick_us(const struct server *s)
{
	lws_usec_t us = (lws_usec_t)((s->rest_due_ns - clock_mono_ns()) / 1000),
		   most = (lws_usec_t)(s->write_interval_ns / 4000);

	if (us > most)
		us = most;
	return us < WS_REST_TICK_MIN_US ? WS_REST_TICK_MIN_US : us;
}

void ws_rest_tick(struct server *s)
{
	int64_t now = clock_mono_ns(), first = INT64_MAX;

	for (struct lws_dll2 *d = s->resting.head, *next; d; d = next) {
		struct ws_conn *c = lws_container_of(d, struct ws_conn, wait);
		int64_t due = due_at(c);

		next = d->next;
		if (write_due(c, now, false)) {
			lws_dll2_remove(d);
			lws_dll2_add_tail(d, &s->waiting);
		} else if (due < first) {
			first = due;
		}
	}
	s->rest_due_ns = first;
}

/* c has frames to send (arriving: one was just queued): it joins the end of the wait list, or
 * of the resting list if it was written too recently, unless it is already armed or where it
 * belongs. This runs once per subscriber per broadcast: with no interval (a quiet server) it
 * reads no clock. */
static void want_write(struct ws_conn *c, bool arriving)
{
	struct server *s = c->srv;

	if (c->armed || c->wait.owner == &s->waiting)
		return;
	if (write_due(c, 0, arriving)) {
		lws_dll2_remove(&c->wait); /* if resting */
		lws_dll2_add_tail(&c->wait, &s->waiting);
	} else if (!c->wait.owner) {
		int64_t due = due_at(c);

		if (!s->resting.head || due < s->rest_due_ns)
			s->rest_due_ns = due;
		lws_dll2_add_tail(&c->wait, &s->resting); /* server_pass wakes for ws_rest_tick */
	}
}

static void arm(struct ws_conn *c)
{
	lws_dll2_remove(&c->wait);
	c->armed = true;
	lws_callback_on_writable(c->wsi);
}

/* Serves c's WRITEABLE now, as lws's own loop would on POLLOUT, without asking epoll first.
 * A socket that took its last write whole nearly always has room, and arming POLLOUT for one
 * write cost two epoll_ctl() calls (arm, then disarm after the callback): 10 % of the server
 * at 20 000 deliveries/s. Where the socket is full after all, lws keeps what it did not take
 * and arms POLLOUT itself, as after any partial write; a socket with such a remainder is
 * armed the usual way. lws_service_fd() is lws's entry for a readiness event from an outside
 * loop (its libev glue calls it too), so lws's write rules hold: this runs between passes,
 * never inside an lws callback. If lws used the event for something of its own (a pong, a
 * close) and did not call us, c is armed the usual way. */
static void write_now(struct ws_conn *c)
{
	struct lws_pollfd pfd = { .fd = lws_get_socket_fd(c->wsi),
				  .events = LWS_POLLOUT,
				  .revents = LWS_POLLOUT };
	struct ws_handle *h;

	if (!c->handle || c->closing || lws_partial_buffered(c->wsi)) {
		arm(c);
		return;
	}
	h = ws_handle_ref(c);
	lws_dll2_remove(&c->wait);
	c->armed = true;
	lws_service_fd(lws_get_context(c->wsi), &pfd);
	if (h->conn && h->conn->armed)
		lws_callback_on_writable(h->conn->wsi);
	ws_handle_unref(h);
}

void ws_write_waiting(struct server *s)
{
	int64_t cost = s->write_cost_ns > 0 ? s->write_cost_ns : WS_WRITE_COST_START_NS;
	int64_t n = (int64_t)WS_PASS_BUDGET_US * 1000 / cost;

	if (n < WS_WRITE_MIN)
		n = WS_WRITE_MIN;
	while (s->waiting.head && n-- > 0)
		write_now(lws_container_of(s->waiting.head, struct ws_conn, wait));
}

/* Folds one write's cost into the moving average (weight 1/16). */
static void note_write_cost(struct server *s, int64_t ns)
{
	if (s->write_cost_ns <= 0)
		s->write_cost_ns = ns;
	else
		s->write_cost_ns += (ns - s->write_cost_ns) / 16;
}

void ws_close(struct ws_conn *c, int code, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	if (!c->armed)
		arm(c); /* a close goes out at once, ahead of the wait list */
}

void ws_queue(struct ws_conn *c, struct ws_buf *b, bool urgent)
{
	struct ws_out *o;

	if (c->closing)
		return;
	if (c->out_frames >= (size_t)c->srv->app->cfg.ws_queue_frames ||
	    c->out_bytes + b->len > WS_QUEUE_MAX_BYTES) {
		c->srv->app->metrics.ws_queue_drops++;
		queue_clear(c);
		ws_close(c, WS_CLOSE_TRY_AGAIN_LATER, "too slow; rejoin with since");
		return;
	}
	o = out_new(c->srv);
	if (!o)
		return;
	b->refs++;
	o->buf = b;
	o->next = NULL;
	o->queued_ns = clock_mono_ns();
	o->urgent = urgent;
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_frames++;
	c->out_bytes += b->len;
	c->frames_in++;
	c->urgent = c->urgent || urgent;
	want_write(c, true);
}

void ws_send_json(struct ws_conn *c, const json_t *v)
{
	struct ws_buf *b = ws_buf_json(v);

	if (b) {
		ws_queue(c, b, true);
		ws_buf_unref(b);
	}
}

void ws_send_text(struct ws_conn *c, const char *text, size_t n)
{
	struct ws_buf *b = ws_buf_text(text, n);

	if (b) {
		ws_queue(c, b, true);
		ws_buf_unref(b);
	}
}

void ws_send_error(struct ws_conn *c, const struct error *e, const char *client_id,
		   const char *room)
{
	json_t *v = json_pack("{s:s, s:s, s:s}", "type", "error", "code", err_ws_code(e), "message",
			      e->message[0] ? e->message : err_default_message(e->err));

	if (v && client_id)
		json_object_set_new(v, "client_id", json_string(client_id));
	if (v && room)
		json_object_set_new(v, "room", json_string(room));
	if (v)
		ws_send_json(c, v);
	json_decref(v);
}

struct ws_handle *ws_handle_ref(struct ws_conn *c)
{
	c->handle->refs++;
	return c->handle;
}

void ws_handle_unref(struct ws_handle *h)
{
	if (h && --h->refs == 0)
		free(h);
}

/* The RFC 6455 §5.2 header of a final, unmasked (server-to-client) text frame of len bytes. */
static size_t frame_header(unsigned char *h, size_t len)
{
	h[0] = 0x81;
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

/* Drops the head of c's queue once it has been written by a write begun at `now`; returns
 * its kind, having counted its wait. */
static enum metrics_ws_kind pop_frame(struct ws_conn *c, int64_t now)
{
	struct ws_out *o = c->out_head;
	enum metrics_ws_kind kind = o->urgent ? METRICS_WS_REPLY : METRICS_WS_BROADCAST;

	metrics_observe_ws_wait(&c->srv->app->metrics, kind, now - o->queued_ns);
	c->srv->app->metrics.ws_frames_out++;
	c->out_head = o->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->out_frames--;
	c->out_bytes -= o->buf->len;
	ws_buf_unref(o->buf);
	spares_put(&c->srv->ws_outs, o);
	return kind;
}

/* Frames the queue's head frames into buf (after LWS_PRE) while they fit; returns how many. */
static size_t batch_frames(const struct ws_conn *c, unsigned char *buf, size_t *len)
{
	unsigned char *p = buf + LWS_PRE;
	size_t n = 0, frames = 0;

	for (const struct ws_out *o = c->out_head; o; o = o->next) {
		if (n + 10 + o->buf->len > WS_BATCH_BYTES)
			break;
		n += frame_header(p + n, o->buf->len);
		memcpy(p + n, o->buf->data + LWS_PRE, o->buf->len);
		n += o->buf->len;
		frames++;
	}
	*len = n;
	return frames;
}

/* One write per WRITEABLE callback (lws README.coding): a batch of whole frames when several
 * are queued — framed here and passed through lws unframed (LWS_WRITE_HTTP is written raw on a
 * WebSocket, and lws keeps whatever the socket does not take) — else the single head frame. */
static int on_writeable(struct ws_conn *c)
{
	static unsigned char batch[LWS_PRE + WS_BATCH_BYTES]; /* the service thread's only */
	struct ws_out *o = c->out_head;
	enum metrics_ws_kind kind = METRICS_WS_BROADCAST;
	size_t len = 0, frames;
	int64_t t0;

	c->armed = false;
	lws_dll2_remove(&c->wait); /* lws may call us on its own (after a partial write) */
	if (c->closing) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
				 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if (!o)
		return 0;
	t0 = clock_mono_ns();
	c->written_ns = t0;
	frames = c->out_frames > 1 ? batch_frames(c, batch, &len) : 0;
	if (frames > 1) {
		if (lws_write(c->wsi, batch + LWS_PRE, len, LWS_WRITE_HTTP) < (int)len)
			return -1;
		for (size_t i = 0; i < frames; i++) {
			if (pop_frame(c, t0) == METRICS_WS_REPLY)
				kind = METRICS_WS_REPLY;
		}
		metrics_observe_ws_write(&c->srv->app->metrics, kind, frames);
	} else {
		if (lws_write(c->wsi, o->buf->data + LWS_PRE, o->buf->len, LWS_WRITE_TEXT) <
		    (int)o->buf->len)
			return -1;
		metrics_observe_ws_write(&c->srv->app->metrics, pop_frame(c, t0), 1);
	}
	note_write_cost(c->srv, clock_mono_ns() - t0);
	c->srv->app->metrics.ws_writes++;
	if (c->adapt_seen != c->srv->adapt_seq) { /* first write to c in this window */
		c->adapt_seen = c->srv->adapt_seq;
		c->srv->adapt_sockets++;
	}
	if (c->out_head)
		want_write(c, false); /* the rest after the others waiting: round robin */
	else
		c->urgent = false;
	return 0;
}

/* ---- messages ------------------------------------------------------------------------ */

typedef void (*ws_handler)(struct ws_conn *c, json_t *msg);

static void on_ping(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", NULL };
	struct error e;
	json_t *pong;

	if (json_only_fields(msg, FIELDS, &e) != ERR_OK) {
		ws_send_error(c, &e, NULL, NULL);
		return;
	}
	pong = json_pack("{s:s}", "type", "pong");
	ws_send_json(c, pong);
	json_decref(pong);
}

static const struct {
	const char *type;
	ws_handler fn;
} WS_HANDLERS[] = {
	{ "ping", on_ping },	   { "join", chat_join },     { "leave", chat_leave },
	{ "send", chat_send },	   { "upvote", chat_upvote }, { "moderate", chat_moderate },
	{ "typing", chat_typing },
};

static void dispatch(struct ws_conn *c, const char *text, size_t len)
{
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(msg, "type"));
	struct error e;

	if (!json_is_object(msg) || !type) {
		error_set(&e, ERR_INVALID, NULL, "send one JSON object with a string \"type\"");
		ws_send_error(c, &e, NULL, NULL);
		json_decref(msg);
		return;
	}
	if (c->srv->stopping && strcmp(type, "ping")) {
		error_set(&e, ERR_UNAVAILABLE, NULL, "the server is shutting down");
		ws_send_error(c, &e, json_string_value(json_object_get(msg, "client_id")), NULL);
		json_decref(msg);
		return;
	}
	for (size_t i = 0; i < sizeof(WS_HANDLERS) / sizeof(WS_HANDLERS[0]); i++) {
		if (!strcmp(WS_HANDLERS[i].type, type)) {
			WS_HANDLERS[i].fn(c, msg);
			json_decref(msg);
			return;
		}
	}
	error_set(&e, ERR_INVALID, "type", "unknown type '%.32s'", type);
	ws_send_error(c, &e, json_string_value(json_object_get(msg, "client_id")), NULL);
	json_decref(msg);
}

/* Collects the pieces lws delivers; the cap counts the whole message (DESIGN §8). */
static int on_receive(struct ws_conn *c, const char *in, size_t len)
{
	char *grown;

	if (lws_is_first_fragment(c->wsi) && !c->rx_len)
		c->rx_binary = lws_frame_is_binary(c->wsi);
	if (c->rx_len + len > WS_MAX_MESSAGE) {
		static const char REASON[] = "message over 16 KiB";

		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)REASON, sizeof(REASON) - 1);
		return -1;
	}
	grown = realloc(c->rx, c->rx_len + len + 1);
	if (!grown)
		return -1;
	memcpy(grown + c->rx_len, in, len);
	c->rx = grown;
	c->rx_len += len;
	if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi))
		return 0;
	c->srv->app->metrics.ws_frames_in++;
	if (c->rx_binary) {
		struct error e;

		error_set(&e, ERR_INVALID, NULL, "send text frames");
		ws_send_error(c, &e, NULL, NULL);
	} else {
		dispatch(c, c->rx, c->rx_len);
	}
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	return 0;
}

/* ---- connection life ----------------------------------------------------------------- */

static int cookie_token(struct lws *wsi, char token[TOKEN_B64_MAX])
{
	char cookie[4096];

	if (lws_hdr_copy(wsi, cookie, sizeof(cookie), WSI_TOKEN_HTTP_COOKIE) < 0)
		return -1;
	return token_from_cookie(cookie, token);
}

/* Does the comma-separated Sec-WebSocket-Protocol list offer ours? */
static bool offers_protocol(struct lws *wsi)
{
	char list[256], *tok, *save = NULL;

	if (lws_hdr_copy(wsi, list, sizeof(list), WSI_TOKEN_PROTOCOL) < 0)
		return false;
	for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, WS_PROTOCOL_NAME))
			return true;
	}
	return false;
}

static int refuse(struct lws *wsi, int status, const char *code, const char *message)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
		 message);
	if (http_write_simple(wsi, status, body, NULL) < 0)
		return -1;
	return 1;
}

int ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	struct server *s = server_of(wsi);
	char origin[256], token[TOKEN_B64_MAX], *uri;
	struct session sess;
	struct user u;
	int ulen;

	if (!upgrade || strcasecmp(upgrade, "websocket"))
		return refuse(wsi, 400, "validation_failed", "only WebSocket upgrades");
	if (lws_http_get_uri_and_method(wsi, &uri, &ulen) != LWSHUMETH_GET ||
	    strcmp(uri, WS_PATH) != 0)
		return refuse(wsi, 404, "not_found", "WebSockets live at /ws");
	if (s->stopping)
		return refuse(wsi, 503, "unavailable", "the server is shutting down");
	if (!offers_protocol(wsi))
		return refuse(wsi, 400, "validation_failed",
			      "ask for subprotocol " WS_PROTOCOL_NAME);
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0 ||
	    !config_origin_allowed(&s->app->cfg, origin))
		return refuse(wsi, 403, "forbidden", "this Origin is not allowed");
	if (cookie_token(wsi, token) != 0 ||
	    api_ws_authenticate(s->app, token, &u, &sess) != ERR_OK)
		return refuse(wsi, 401, "unauthenticated", "sign in first");
	if (u.must_change_password)
		return refuse(wsi, 403, "password_change_required",
			      "change your initial password first");
	return 0;
}

/* The handshake was checked in ws_confirm_upgrade(); bind the user to the connection. */
static int on_filter(struct ws_conn *c, struct lws *wsi)
{
	struct server *s = server_of(wsi);
	char token[TOKEN_B64_MAX];
	struct session sess;
	struct user u;

	memset(c, 0, sizeof(*c));
	if (cookie_token(wsi, token) != 0 ||
	    api_ws_authenticate(s->app, token, &u, &sess) != ERR_OK)
		return -1;
	c->user.id = u.id;
	c->user.role = u.role;
	memcpy(c->user.name, u.name, sizeof(c->user.name));
	c->session_id = sess.id;
	return 0;
}

static int on_established(struct ws_conn *c, struct lws *wsi)
{
	struct server *s = server_of(wsi);

	c->wsi = wsi;
	c->srv = s;
	c->phase = s->ws_serial++;
	c->handle = calloc(1, sizeof(*c->handle));
	if (c->handle) {
		c->handle->conn = c;
		c->handle->refs = 1;
	}
	c->next = s->ws_list;
	if (s->ws_list)
		s->ws_list->prev = c;
	s->ws_list = c;
	s->app->metrics.open_ws++;
	log_debug("ws: user %lld connected", (long long)c->user.id);
	return c->handle ? 0 : -1;
}

static void on_closed(struct ws_conn *c)
{
	struct server *s = c->srv;

	if (!s)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->ws_list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->app->metrics.open_ws--;
	lws_dll2_remove(&c->wait);
	hub_conn_closed(&s->hub, c);
	if (c->handle) {
		c->handle->conn = NULL; /* jobs still in flight find the connection gone */
		ws_handle_unref(c->handle);
		c->handle = NULL;
	}
	queue_clear(c);
	free(c->rx);
	c->rx = NULL;
	c->srv = NULL;
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return on_filter(c, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(c, wsi);
	case LWS_CALLBACK_RECEIVE:
		return on_receive(c, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return on_writeable(c);
	case LWS_CALLBACK_CLOSED:
		on_closed(c);
		return 0;
	default:
		return 0;
	}
}

/* ---- closing many -------------------------------------------------------------------- */

void ws_close_all(struct server *s, int code, const char *reason)
{
	for (struct ws_conn *c = s->ws_list; c; c = c->next)
		ws_close(c, code, reason);
}

void ws_end_user(struct app *a, int64_t user_id, int64_t keep_session_id)
{
	for (struct ws_conn *c = a->server ? a->server->ws_list : NULL; c; c = c->next) {
		if (c->user.id == user_id && c->session_id != keep_session_id)
			ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "session ended");
	}
}

void ws_recheck_access(struct app *a, int64_t user_id, const char *room)
{
	if (a->server)
		hub_recheck(&a->server->hub, user_id, room);
}

void ws_end_session(struct app *a, int64_t session_id)
{
	for (struct ws_conn *c = a->server ? a->server->ws_list : NULL; c; c = c->next) {
		if (c->session_id == session_id)
			ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "signed out");
	}
}
