/* The "mingshi.v1" WebSocket transport (DESIGN §7): the handshake checks (path, subprotocol,
 * Origin, session cookie), message assembly with the 16 KiB cap, and per connection a bounded
 * send queue of shared frames (core/frame.h) and the scheduling of its writes. Each connection
 * embeds the struct client that api/ sees (api/client.h): complete messages go to
 * api_client_message(), and api/ queues frames and closes connections through the ops this
 * file lends it. The write scheduler's state is this file's own (struct ws_state). */
#ifndef MINGSHI_NET_WS_H
#define MINGSHI_NET_WS_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/client.h"
#include "core/app.h"
#include "core/frame.h"
#include "core/spares.h"
#include "net/pace.h"
#include "net/server.h"

#define WS_PROTOCOL_NAME "mingshi.v1"
#define WS_PATH "/ws"
#define WS_RX_BUFFER 1024 /* lws hands us frames in pieces of at most this; allocated per socket */
#define WS_MAX_MESSAGE 16384 /* whole message, across fragments (DESIGN §8) */
#define WS_QUEUE_MAX_BYTES (8u << 20)

/* Queued frames that go out in one write: up to this many bytes, so one TLS record (16 KiB,
 * the record size of our mbedtls and lws patches) and one send() carry what would have cost a
 * record and a syscall per frame, on our side and on every client's. */
#define WS_BATCH_BYTES SERVER_WRITE_MAX

/* One frame in a connection's queue. */
struct ws_out {
	struct ws_out *next;
	struct frame *frame;
	int64_t queued_ns; /* the start of the loop pass that queued it */
	bool urgent;	   /* a reply, not a room's broadcast */
};

/* lws per-session data of "mingshi.v1". */
struct ws_conn {
	struct client client; /* api/'s side of the connection */
	struct lws *wsi;
	struct ws_state *ws;	     /* NULL until established, and again once closed */
	struct ws_conn *prev, *next; /* every open connection */
	char *rx;		     /* message being assembled */
	size_t rx_len;
	bool rx_binary;
	struct ws_out *out_head, *out_tail;
	size_t out_frames, out_bytes;
	struct lws_dll2 wait; /* in the waiting or resting list while frames wait for a pass */
	bool armed;	      /* handed to lws: a WRITEABLE callback is due */
	uint32_t adapt_seen;  /* the pacing window it was last written in */
	bool urgent;	      /* a reply is queued: write it without resting */
	int64_t written_ns;   /* when the last write began (clock_mono_ns) */
	uint32_t frames_in;   /* frames ever queued to it */
	uint32_t phase;	      /* its number: with frames_in, when it writes if resting by count */
	bool closing;
	int close_code;
	char close_reason[64];
};

/* The transport's state, ws.c's own (server.c reads it through the functions below; the unit
 * tests of write pacing look inside). */
struct ws_state {
	struct app *app;
	struct ws_conn *conns; /* every open connection */
	size_t nconns;
	/* connections with frames to send, not yet handed to lws: due now, or resting until
	 * their write interval has passed (ws_rest_tick moves them) */
	struct lws_dll2_owner waiting, resting;
	int64_t pass_ns;       /* when the loop's current pass began (ws_pass_began) */
	int64_t rest_due_ns;   /* when the first resting socket is due */
	int64_t write_cost_ns; /* moving average of one write */
	uint32_t serial;       /* numbers connections, to stagger their writes */
	struct pace pace;
	uint64_t adapt_frames, adapt_writes;	       /* the counters at the last ws_adapt */
	uint64_t adapt_sockets;			       /* sockets written since then */
	uint32_t adapt_seq;			       /* counts pacing windows */
	struct spares outs;			       /* freed queue entries */
	unsigned char batch[LWS_PRE + WS_BATCH_BYTES]; /* the frames of one write */
};

/* The transport's state for app a: the list of connections and the write scheduler. NULL when
 * out of memory. ws_state_free() after the lws context is gone (every connection closed). */
struct ws_state *ws_state_new(struct app *a);
void ws_state_free(struct ws_state *ws);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 0 lets the upgrade proceed; 1 after writing a refusal. */
int ws_confirm_upgrade(struct lws *wsi, const char *upgrade);

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

/* Writes to as many waiting sockets as one loop pass should, oldest first (a socket lws still
 * holds unsent bytes for is armed with lws_callback_on_writable instead); called before each
 * pass of the loop, outside any lws callback. */
void ws_write_waiting(struct ws_state *ws);

/* The loop woke at now_ns: frames queued from here on count their wait from then (a clock
 * read per pass rather than per frame queued, which fan-out does hundreds of thousands of
 * times a second). */
void ws_pass_began(struct ws_state *ws, int64_t now_ns);

/* Whether sockets wait for a pass (the loop must not block) / rest (a timer must wake it). */
bool ws_waiting(const struct ws_state *ws);
bool ws_resting(const struct ws_state *ws);

/* Moves the resting sockets whose interval has passed to the end of the wait list, in order,
 * and notes when the first of those left is due. The loop's rest timer calls it after
 * ws_rest_tick_us() while any socket rests: when the first resting socket is due, at least
 * 1 ms and at most a quarter of the interval from now. So a socket rests past its interval by
 * at most 1 ms plus a loop pass, or a quarter interval if the interval shrank meanwhile. */
void ws_rest_tick(struct ws_state *ws);
int64_t ws_rest_tick_us(const struct ws_state *ws);

/* The loop's load over the last window (window_ns, ~100 ms): how long broadcasts rest next
 * (net/pace.h), from it and from the frames, writes and sockets written in the window. */
void ws_adapt(struct ws_state *ws, double load, int64_t window_ns);

/* Queues f (taking a new reference) on c, whose write joins the wait list or, for a broadcast
 * (not urgent) to a socket written less than the write interval ago, rests first; closes c
 * with 1013 if its queue overflows (ws_queue_frames, WS_QUEUE_MAX_BYTES). */
void ws_queue(struct ws_conn *c, struct frame *f, bool urgent);

/* Closes every open WebSocket with code and reason (shutdown); how many are open. */
void ws_close_all(struct ws_state *ws, int code, const char *reason);
size_t ws_open_count(const struct ws_state *ws);

#endif
