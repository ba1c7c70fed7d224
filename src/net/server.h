/* The lws context and vhost: TLS, the two protocols ("http" and "mingshi.v1"), the service
 * loop and the shutdown sequence of DESIGN §4. main() calls server_run(); the rest of net/
 * reaches shared state through struct server. */
#ifndef MINGSHI_NET_SERVER_H
#define MINGSHI_NET_SERVER_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/app.h"
#include "core/spares.h"
#include "domain/discussion.h"
#include "net/hub.h"

/* The most one lws_write() hands to the socket at once (both protocols' tx_packet_size). lws
 * cuts every write at tx_packet_size, or when that is 0 at the protocol's rx_buffer_size (1 KiB
 * for WebSockets, which keeps idle sockets small), copies the rest into a buffer list and sends
 * it one piece per POLLOUT: a 16 KiB batch of frames left as 16 writes of 1 KiB. HTTP bodies
 * and WebSocket batches are written in pieces of at most this. */
#define SERVER_WRITE_MAX 16384

struct ev_loop; /* libev's; net/server.c includes <ev.h> */

struct ws_conn;

struct server {
	struct app *app;
	struct lws_context *ctx;
	struct ev_loop
		*loop; /* libev (epoll) under lws: a pass costs what is ready, not every fd */
	struct lws_vhost *vhost;
	struct hub hub;		 /* rooms and fan-out (net/hub.c) */
	struct ws_conn *ws_list; /* every open WebSocket (net/ws.c) */
	int pending_requests;	 /* HTTP requests whose response is not yet written */
	bool stopping;		 /* shutting down: refuse new requests with 503 */
	/* WebSockets with frames to send, not yet handed to lws (net/ws.c, ws_write_waiting):
	 * due now, or resting until their write interval has passed (ws_rest_tick moves them) */
	struct lws_dll2_owner waiting, resting;
	int64_t write_cost_ns;	   /* moving average of one WebSocket write */
	int64_t write_interval_ns; /* how long broadcasts rest now, set by ws_adapt (0: never) */
	uint32_t rest_frames;	   /* >= 2: a socket writes at every rest_frames-th frame (ws.c) */
	int64_t rest_late_ns;	   /* then: how long past the interval it may wait (a gap) */
	uint32_t ws_serial;	   /* numbers WebSockets, to stagger their writes (ws.c) */
	int64_t rest_due_ns;	   /* when the first resting socket is due (net/ws.c) */
	int64_t busy_ns;	   /* loop time spent working in this load window (server.c) */
	int64_t woke_ns, window_start_ns;
	uint64_t adapt_frames, adapt_writes; /* the counters at the last ws_adapt */
	uint64_t adapt_sockets;		     /* sockets written since then */
	uint32_t adapt_seq;		     /* counts ws_adapt windows */
	uint32_t adapt_settled;		     /* windows since the interval last changed */
	double adapt_loads[4];		     /* their loads, the last WS_LOAD_WINDOWS (ws.c) */
	char web_root[2048];		     /* realpath of cfg.web_dir */
	struct spares chat_jobs;	     /* freed chat jobs kept for reuse (net/chat.c) */
	struct spares ws_outs; /* freed WebSocket queue entries kept for reuse (net/ws.c) */
	struct search_upkeep search_upkeep; /* the writer's chore's memory (domain/discussion.h) */
};

/* Runs the server until SIGTERM or SIGINT, then shuts down cleanly. Returns the process exit
 * code (0 after a clean shutdown, 1 if it could not start; the reason is logged in one line). */
int server_run(struct app *app);

/* The struct server of a connection. */
struct server *server_of(struct lws *wsi);

/* Applies the TLS settings lws leaves to the application to the vhost's SSL_CTX (borrowed). */
void server_tls_setup(struct lws *wsi, void *ssl_ctx);

#endif
