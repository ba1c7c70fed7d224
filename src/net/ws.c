/* WebSocket connections; see ws.h.
 *
 * Outgoing frames: api/ queues a shared frame on a connection (client->ops->send, ws_queue);
 * the connection then waits for a pass of the loop, in which ws_write_waiting() writes to as
 * many waiting sockets as fit in WS_PASS_BUDGET_US. SERVER_WRITEABLE makes one lws_write: the
 * head frame alone or, when several are queued, as many whole frames as fit in 16 KiB, framed
 * here and passed to lws unframed. Under load a room's broadcasts to a socket written less than
 * the write interval ago rest first (net/pace.h decides the interval). */
#include "net/ws.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/spares.h"
#include "net/pace.h"
#include "net/respond.h"
#include "net/server.h"

_Static_assert(LWS_PRE <= FRAME_PRE, "frames keep the headroom lws_write needs");

/* How many freed queue entries are kept for reuse: ten or more are taken per durable message,
 * and malloc's work for them was measurable. */
#define WS_OUTS_KEPT 4096

struct ws_state *ws_state_new(struct app *a)
{
	struct ws_state *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return NULL;
	ws->app = a;
	ws->outs.max = WS_OUTS_KEPT;
	pace_init(&ws->pace, &a->cfg, &a->metrics);
	return ws;
}

void ws_state_free(struct ws_state *ws)
{
	if (!ws)
		return;
	assert(!ws->conns && ws->nconns == 0);
	spares_release(&ws->outs);
	free(ws);
}

static struct ws_conn *conn_of(struct client *c)
{
	return lws_container_of(c, struct ws_conn, client);
}

/* ---- queues ------------------------------------------------------------------------------ */

static struct ws_out *out_new(struct ws_state *ws)
{
	struct ws_out *o = spares_take(&ws->outs);

	return o ? o : malloc(sizeof(*o));
}

static void queue_clear(struct ws_conn *c)
{
	struct ws_out *o = c->out_head, *next;

	for (; o; o = next) {
		next = o->next;
		frame_unref(o->frame);
		spares_put(&c->ws->outs, o);
	}
	c->out_head = c->out_tail = NULL;
	c->out_frames = c->out_bytes = 0;
	c->urgent = false;
}

/* ---- write scheduling ------------------------------------------------------------------- */

/* How long one loop pass spends writing to WebSockets. A message to a room of thousands is that
 * many writes (~15 us each): handed to lws at once they would hold every other socket (a
 * sign-in, a /healthz) for 15 ms per 1 000 subscribers. So sockets with frames to send wait in
 * a list, and each pass writes to as many as fit in this budget, oldest first; between passes
 * the loop serves everyone else. A pass is cheap with epoll, so the budget is short (the p99
 * of /healthz under fan-out follows it: docs/BENCHMARKS.md). */
#define WS_PASS_BUDGET_US 250
#define WS_WRITE_MIN 16 /* progress even if writes turn slow */
#define WS_WRITE_COST_START_NS 15000

/* When c, resting, writes at the latest: the interval after its last write, and one gap more
 * when resting by count (write_due). */
static int64_t due_at(const struct ws_conn *c)
{
	const struct pace *p = &c->ws->pace;

	return c->written_ns + p->interval_ns + (p->rest_frames >= 2 ? p->rest_late_ns : 0);
}

/* Whether c writes now rather than rest (net/pace.h has the rule). Replies (urgent: acks,
 * errors, join answers) never rest, nor does a socket with a full batch queued; resting by
 * count, a socket writes as its rest_frames-th frame arrives, each socket counting from its
 * own number (phase) so that a broadcast starts the writes of 1/n of a room, not all of it
 * every n-th time. now: the time, or 0 to read the clock only if the answer depends on it;
 * arriving: a frame was just queued. */
static bool write_due(const struct ws_conn *c, int64_t now, bool arriving)
{
	const struct pace *p = &c->ws->pace;

	if (c->urgent || c->out_bytes >= WS_BATCH_BYTES || p->interval_ns == 0)
		return true;
	if (arriving && p->rest_frames >= 2 && (c->frames_in + c->phase) % p->rest_frames == 0)
		return true;
	return (now ? now : clock_mono_ns()) >= due_at(c);
}

void ws_adapt(struct ws_state *ws, double load, int64_t window_ns)
{
	struct metrics *m = &ws->app->metrics;
	struct pace_window w = { load, window_ns, m->ws_frames_out - ws->adapt_frames,
				 m->ws_writes - ws->adapt_writes, ws->adapt_sockets };

	pace_adapt(&ws->pace, &w, &ws->app->cfg, m);
	ws->adapt_frames = m->ws_frames_out;
	ws->adapt_writes = m->ws_writes;
	ws->adapt_sockets = 0;
	ws->adapt_seq++;
}

/* A wake-up per resting socket's due time, but not more than one a millisecond: each tick
 * walks the resting list. Waking only every quarter interval let sockets rest up to 25 ms
 * past their due time at a 100 ms interval. */
#define WS_REST_TICK_MIN_US 1000

int64_t ws_rest_tick_us(const struct ws_state *ws)
{
	int64_t us = (ws->rest_due_ns - clock_mono_ns()) / 1000, most = ws->pace.interval_ns / 4000;

	if (us > most)
		us = most;
	return us < WS_REST_TICK_MIN_US ? WS_REST_TICK_MIN_US : us;
}

void ws_rest_tick(struct ws_state *ws)
{
	int64_t now = clock_mono_ns(), first = INT64_MAX;

	for (struct lws_dll2 *d = ws->resting.head, *next; d; d = next) {
		struct ws_conn *c = lws_container_of(d, struct ws_conn, wait);
		int64_t due = due_at(c);

		next = d->next;
		if (write_due(c, now, false)) {
			lws_dll2_remove(d);
			lws_dll2_add_tail(d, &ws->waiting);
		} else if (due < first) {
			first = due;
		}
	}
	ws->rest_due_ns = first;
}

void ws_pass_began(struct ws_state *ws, int64_t now_ns)
{
	ws->pass_ns = now_ns;
}

bool ws_waiting(const struct ws_state *ws)
{
	return ws->waiting.head != NULL;
}

bool ws_resting(const struct ws_state *ws)
{
	return ws->resting.head != NULL;
}

/* c has frames to send (arriving: one was just queued): it joins the end of the wait list, or
 * of the resting list if it was written too recently, unless it is already armed or where it
 * belongs. This runs once per subscriber per broadcast: with no interval (a quiet server) it
 * reads no clock. */
static void want_write(struct ws_conn *c, bool arriving)
{
	struct ws_state *ws = c->ws;

	if (c->armed || c->wait.owner == &ws->waiting)
		return;
	if (write_due(c, 0, arriving)) {
		lws_dll2_remove(&c->wait); /* if resting */
		lws_dll2_add_tail(&c->wait, &ws->waiting);
	} else if (!c->wait.owner) {
		int64_t due = due_at(c);

		if (!ws->resting.head || due < ws->rest_due_ns)
			ws->rest_due_ns = due;
		lws_dll2_add_tail(&c->wait, &ws->resting); /* the loop wakes for ws_rest_tick */
	}
}

static void arm(struct ws_conn *c)
{
	lws_dll2_remove(&c->wait);
	c->armed = true;
	lws_callback_on_writable(c->wsi);
}

/* Serves c's WRITEABLE now, as lws's own loop would on POLLOUT, without asking epoll first: a
 * socket that took its last write whole nearly always has room, and arming POLLOUT for one
 * write costs two epoll_ctl() calls (arm, then disarm after the callback). Where the socket is
 * full after all, lws keeps what it did not take and arms POLLOUT itself, as after any partial
 * write; a socket with such a remainder is armed the usual way. lws_service_fd() is lws's entry
 * for a readiness event from an outside loop (its libev glue calls it too), so lws's write
 * rules hold: this runs between passes, never inside an lws callback. If lws used the event for
 * something of its own (a pong, a close) and did not call us, c is armed the usual way. */
static void write_now(struct ws_conn *c)
{
	struct lws_pollfd pfd = { .fd = lws_get_socket_fd(c->wsi),
				  .events = LWS_POLLOUT,
				  .revents = LWS_POLLOUT };
	struct client_ref *ref;

	if (!c->client.ref || c->closing || lws_partial_buffered(c->wsi)) {
		arm(c);
		return;
	}
	ref = client_ref_take(&c->client); /* c may close during the call */
	lws_dll2_remove(&c->wait);
	c->armed = true;
	lws_service_fd(lws_get_context(c->wsi), &pfd);
	if (ref->c && conn_of(ref->c)->armed)
		lws_callback_on_writable(conn_of(ref->c)->wsi);
	client_ref_drop(ref);
}

void ws_write_waiting(struct ws_state *ws)
{
	int64_t cost = ws->write_cost_ns > 0 ? ws->write_cost_ns : WS_WRITE_COST_START_NS;
	int64_t n = (int64_t)WS_PASS_BUDGET_US * 1000 / cost;

	if (n < WS_WRITE_MIN)
		n = WS_WRITE_MIN;
	while (ws->waiting.head && n-- > 0)
		write_now(lws_container_of(ws->waiting.head, struct ws_conn, wait));
}

/* Folds one write's cost into the moving average (weight 1/16). */
static void note_write_cost(struct ws_state *ws, int64_t ns)
{
	if (ws->write_cost_ns <= 0)
		ws->write_cost_ns = ns;
	else
		ws->write_cost_ns += (ns - ws->write_cost_ns) / 16;
}

/* ---- what api/ may do to a connection --------------------------------------------------- */

/* Closes c with code and reason once its current frame is out. */
static void ws_close(struct ws_conn *c, int code, const char *reason)
{
	if (c->closing || !c->ws)
		return;
	c->closing = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	if (!c->armed)
		arm(c); /* a close goes out at once, ahead of the wait list */
}

void ws_queue(struct ws_conn *c, struct frame *f, bool urgent)
{
	struct app *a;
	struct ws_out *o;

	if (c->closing || !c->ws)
		return;
	a = c->ws->app;
	if (c->out_frames >= (size_t)a->cfg.ws_queue_frames ||
	    c->out_bytes + f->len > WS_QUEUE_MAX_BYTES) {
		a->metrics.ws_queue_drops++;
		queue_clear(c);
		ws_close(c, CLOSE_TRY_AGAIN_LATER, "too slow; rejoin with since");
		return;
	}
	o = out_new(c->ws);
	if (!o)
		return;
	frame_ref(f);
	o->frame = f;
	o->next = NULL;
	o->queued_ns = c->ws->pass_ns;
	o->urgent = urgent;
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_frames++;
	c->out_bytes += f->len;
	c->frames_in++;
	c->urgent = c->urgent || urgent;
	want_write(c, true);
}

static void ops_send(struct client *c, struct frame *f, bool urgent)
{
	ws_queue(conn_of(c), f, urgent);
}

static void ops_close(struct client *c, int code, const char *reason)
{
	ws_close(conn_of(c), code, reason);
}

static const struct client_ops OPS = { ops_send, ops_close };

/* ---- writing ---------------------------------------------------------------------------- */

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

/* Drops the head of c's queue once a write that began at now has carried it; counts its wait
 * and returns its kind. */
static enum metrics_ws_kind pop_frame(struct ws_conn *c, int64_t now)
{
	struct ws_out *o = c->out_head;
	struct metrics *m = &c->ws->app->metrics;
	enum metrics_ws_kind kind = o->urgent ? METRICS_WS_REPLY : METRICS_WS_BROADCAST;

	assert(o && c->out_frames > 0 && c->out_bytes >= o->frame->len);
	metrics_observe_ws_wait(m, kind, now - o->queued_ns);
	m->ws_frames_out++;
	c->out_head = o->next;
	if (!c->out_head)
		c->out_tail = NULL;
	c->out_frames--;
	c->out_bytes -= o->frame->len;
	frame_unref(o->frame);
	spares_put(&c->ws->outs, o);
	return kind;
}

/* Frames the queue's head frames into buf (after LWS_PRE) while they fit; returns how many. */
static size_t batch_frames(const struct ws_conn *c, unsigned char *buf, size_t *len)
{
	unsigned char *p = buf + LWS_PRE;
	size_t n = 0, frames = 0;

	for (const struct ws_out *o = c->out_head; o; o = o->next) {
		if (n + 10 + o->frame->len > WS_BATCH_BYTES)
			break;
		n += frame_header(p + n, o->frame->len);
		memcpy(p + n, frame_body(o->frame), o->frame->len);
		n += o->frame->len;
		frames++;
	}
	*len = n;
	return frames;
}

/* Counts the write for pacing. */
static void note_written(struct ws_conn *c, int64_t t0)
{
	struct ws_state *ws = c->ws;

	note_write_cost(ws, clock_mono_ns() - t0);
	ws->app->metrics.ws_writes++;
	if (c->adapt_seen != ws->adapt_seq) { /* first write to c in this window */
		c->adapt_seen = ws->adapt_seq;
		ws->adapt_sockets++;
	}
}

/* One write per WRITEABLE callback (lws README.coding): a batch of whole frames when several
 * are queued — framed here and passed through lws unframed (LWS_WRITE_HTTP is written raw on a
 * WebSocket, and lws keeps whatever the socket does not take) — else the single head frame. */
static int on_writeable(struct ws_conn *c)
{
	enum metrics_ws_kind kind = METRICS_WS_BROADCAST;
	struct ws_out *o = c->out_head;
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
	frames = c->out_frames > 1 ? batch_frames(c, c->ws->batch, &len) : 0;
	if (frames > 1) {
		if (lws_write(c->wsi, c->ws->batch + LWS_PRE, len, LWS_WRITE_HTTP) < (int)len)
			return -1;
		for (size_t i = 0; i < frames; i++) {
			if (pop_frame(c, t0) == METRICS_WS_REPLY)
				kind = METRICS_WS_REPLY; /* a write that carried a reply */
		}
	} else {
		unsigned char *text = o->frame->data + FRAME_PRE;

		if (lws_write(c->wsi, text, o->frame->len, LWS_WRITE_TEXT) < (int)o->frame->len)
			return -1;
		kind = pop_frame(c, t0);
		frames = 1;
	}
	metrics_observe_ws_write(&c->ws->app->metrics, kind, frames);
	note_written(c, t0);
	if (c->out_head)
		want_write(c, false); /* the rest after the others waiting: round robin */
	else
		c->urgent = false;
	return 0;
}

/* ---- receiving -------------------------------------------------------------------------- */

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
	c->ws->app->metrics.ws_frames_in++;
	api_client_message(&c->client, c->rx, c->rx_len, c->rx_binary);
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	return 0;
}

/* ---- the handshake ---------------------------------------------------------------------- */

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
	if (respond_simple(wsi, status, body, NULL) < 0)
		return -1;
	return 1;
}

int ws_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	struct app *a = server_of(wsi)->app;
	char origin[256], token[TOKEN_B64_MAX], *uri;
	struct session sess;
	struct user u;
	int ulen;

	if (!upgrade || strcasecmp(upgrade, "websocket"))
		return refuse(wsi, 400, "validation_failed", "only WebSocket upgrades");
	if (lws_http_get_uri_and_method(wsi, &uri, &ulen) != LWSHUMETH_GET ||
	    strcmp(uri, WS_PATH) != 0)
		return refuse(wsi, 404, "not_found", "WebSockets live at /ws");
	if (a->stopping)
		return refuse(wsi, 503, "unavailable", "the server is shutting down");
	if (!offers_protocol(wsi))
		return refuse(wsi, 400, "validation_failed",
			      "ask for subprotocol " WS_PROTOCOL_NAME);
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0 ||
	    !config_origin_allowed(&a->cfg, origin))
		return refuse(wsi, 403, "forbidden", "this Origin is not allowed");
	if (cookie_token(wsi, token) != 0 || api_ws_authenticate(a, token, &u, &sess) != ERR_OK)
		return refuse(wsi, 401, "unauthenticated", "sign in first");
	if (u.must_change_password)
		return refuse(wsi, 403, "password_change_required",
			      "change your initial password first");
	return 0;
}

/* ---- connection life -------------------------------------------------------------------- */

/* The handshake was checked in ws_confirm_upgrade(); bind the user to the connection. */
static int on_filter(struct ws_conn *c, struct lws *wsi)
{
	char token[TOKEN_B64_MAX];

	memset(c, 0, sizeof(*c));
	if (cookie_token(wsi, token) != 0 ||
	    api_client_bind(&c->client, server_of(wsi)->app, token) != ERR_OK)
		return -1;
	return 0;
}

static int on_established(struct ws_conn *c, struct lws *wsi)
{
	struct ws_state *ws = server_of(wsi)->ws;

	c->wsi = wsi;
	c->ws = ws;
	c->phase = ws->serial++;
	c->next = ws->conns;
	if (ws->conns)
		ws->conns->prev = c;
	ws->conns = c;
	ws->nconns++;
	ws->app->metrics.open_ws++;
	return api_client_open(&c->client, &OPS) == ERR_OK ? 0 : -1;
}

static void on_closed(struct ws_conn *c)
{
	struct ws_state *ws = c->ws;

	if (!ws)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		ws->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	assert(ws->nconns > 0);
	ws->nconns--;
	ws->app->metrics.open_ws--;
	lws_dll2_remove(&c->wait);
	api_client_closed(&c->client);
	queue_clear(c);
	free(c->rx);
	c->rx = NULL;
	c->ws = NULL;
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

void ws_close_all(struct ws_state *ws, int code, const char *reason)
{
	for (struct ws_conn *c = ws->conns; c; c = c->next)
		ws_close(c, code, reason);
}

size_t ws_open_count(const struct ws_state *ws)
{
	return ws->nconns;
}
