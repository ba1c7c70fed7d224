/* The "mingshi.v1" WebSocket protocol (DESIGN §7): the handshake checks (path, subprotocol,
 * Origin, session cookie), message assembly with the 16 KiB cap, dispatch by `type`, and a
 * bounded per-connection send queue of shared, reference-counted frames (DESIGN §4: a
 * message is serialised once for all subscribers). */
#ifndef MINGSHI_NET_WS_H
#define MINGSHI_NET_WS_H

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "domain/user.h"

#define WS_PROTOCOL_NAME "mingshi.v1"
#define WS_PATH "/ws"
#define WS_RX_BUFFER 1024 /* lws hands us frames in pieces of at most this; allocated per socket */
#define WS_MAX_MESSAGE 16384 /* whole message, across fragments (DESIGN §8) */
#define WS_QUEUE_MAX_BYTES (8u << 20)
#define WS_CLOSE_TRY_AGAIN_LATER 1013

struct server;
struct app;

/* A serialised frame with LWS_PRE headroom, shared by every queue it sits in. */
struct ws_buf {
	unsigned refs;
	size_t len;
	unsigned char data[]; /* LWS_PRE + len bytes */
};

struct ws_out {
	struct ws_out *next;
	struct ws_buf *buf;
	int64_t queued_ns; /* when ws_queue queued it (clock_mono_ns), for its wait's metric */
	bool urgent;	   /* a reply, not a room's broadcast */
};

struct hub_sub;

/* What a writer job keeps of a connection: the connection while it is open, NULL after. */
struct ws_handle {
	struct ws_conn *conn;
	int refs;
};

/* lws per-session data of "mingshi.v1". */
/* Who a connection belongs to: only what the hub shows and checks. The full struct user
 * (2 KiB, with the password hash) is read per frame where access is decided, not kept per
 * socket — at tens of thousands of sockets the copy was 6 % of each one's memory. */
struct ws_user {
	int64_t id;
	enum role role;
	char name[NAME_MAX_CHARS * 4 + 1];
};

struct ws_conn {
	struct lws *wsi;
	struct server *srv;
	struct ws_conn *prev, *next; /* server->ws_list */
	struct ws_user user;
	int64_t session_id;
	char *rx; /* message being assembled */
	size_t rx_len;
	bool rx_binary;
	struct ws_out *out_head, *out_tail;
	size_t out_frames, out_bytes;
	struct lws_dll2 wait; /* in server->waiting or ->resting while frames wait for a pass */
	bool armed;	      /* handed to lws: a WRITEABLE callback is due */
	uint32_t adapt_seen;  /* the ws_adapt window it was last written in (server adapt_seq) */
	bool urgent;	      /* a reply is queued: write it without resting */
	int64_t written_ns;   /* when the last write began (clock_mono_ns) */
	uint32_t frames_in;   /* frames ever queued to it */
	uint32_t phase;	      /* its number: with frames_in, when it writes if resting by count */
	bool closing;
	int close_code;
	char close_reason[64];
	struct hub_sub *subs; /* rooms joined (net/hub.c) */
	size_t nsubs;
	struct ws_handle *handle;
};

/* A new reference to c's handle / dropping one. */
struct ws_handle *ws_handle_ref(struct ws_conn *c);
void ws_handle_unref(struct ws_handle *h);

/* An `error` frame with code from e, echoing client_id and room when not NULL. */
void ws_send_error(struct ws_conn *c, const struct error *e, const char *client_id,
		   const char *room);

/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 0 lets the upgrade proceed; 1 after writing a refusal. */
int ws_confirm_upgrade(struct lws *wsi, const char *upgrade);

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

/* Writes to as many waiting sockets as one loop pass should, oldest first (a socket lws still
 * holds unsent bytes for is armed with lws_callback_on_writable instead); called before each
 * pass of the loop (server_pass), outside any lws callback. */
void ws_write_waiting(struct server *s);

/* Moves the resting sockets whose write interval has passed to the end of the wait list, in
 * order, and notes when the first of those left is due. The loop's rest timer (net/server.c)
 * calls it after ws_rest_tick_us() while any socket rests: when the first resting socket is
 * due, at least 1 ms and at most a quarter of the interval from now. So a socket rests past
 * its interval by at most 1 ms plus a loop pass, or a quarter interval if the interval shrank
 * meanwhile. */
void ws_rest_tick(struct server *s);
lws_usec_t ws_rest_tick_us(const struct server *s);

/* Sets how long broadcasts to a recently written socket rest, from load: the fraction of the
 * last window (window_ns, ~100 ms) the loop spent working rather than waiting (server_pass
 * measures), and from the frames, writes and sockets written in that window. */
void ws_adapt(struct server *s, double load, int64_t window_ns);

/* Serialises v once into a new frame with one reference (caller unrefs). NULL on failure. */
struct ws_buf *ws_buf_json(const json_t *v);

/* A new frame of the n bytes of JSON text at text (copied), one reference. NULL on failure. */
struct ws_buf *ws_buf_text(const char *text, size_t n);
void ws_buf_unref(struct ws_buf *b);

/* Queues b (taking a new reference) on c; closes c with 1013 if its queue overflows. A reply
 * (urgent) goes out at the next pass; a room's broadcast to a socket written less than the
 * current write interval ago (0 on a quiet server, at most ws_write_interval_ms) waits out the
 * rest of it, so that under load several frames share one write. */
void ws_queue(struct ws_conn *c, struct ws_buf *b, bool urgent);

/* How many freed queue entries the server keeps for reuse (struct server ws_outs). */
#define WS_OUTS_KEPT 4096

/* Serialises v and queues it on c, as a reply. */
void ws_send_json(struct ws_conn *c, const json_t *v);

/* Queues the n bytes of JSON text at text on c, as a reply. */
void ws_send_text(struct ws_conn *c, const char *text, size_t n);

/* Closes c with code and reason once its current frame is out. */
void ws_close(struct ws_conn *c, int code, const char *reason);

/* Closes every open WebSocket (shutdown). */
void ws_close_all(struct server *s, int code, const char *reason);

/* struct app hooks (see core/app.h): sessions of a user, or one session, have ended. */
void ws_end_user(struct app *a, int64_t user_id, int64_t keep_session_id);
void ws_end_session(struct app *a, int64_t session_id);
void ws_recheck_access(struct app *a, int64_t user_id, const char *room);

#endif
