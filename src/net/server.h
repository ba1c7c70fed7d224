/* The lws context and vhost: TLS, the two protocols ("http" and "mingshi.v1"), the service
 * loop and the shutdown sequence of DESIGN §4. main() calls server_run(). The other files of
 * net/ reach what they share through struct server (server_of()); each keeps its own state
 * beside it (the WebSocket transport's in struct ws_state). */
#ifndef MINGSHI_NET_SERVER_H
#define MINGSHI_NET_SERVER_H

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/app.h"

/* The most one lws_write() hands to the socket at once (both protocols' tx_packet_size). lws
 * cuts every write at tx_packet_size, or when that is 0 at the protocol's rx_buffer_size (1 KiB
 * for WebSockets, which keeps idle sockets small), copies the rest into a buffer list and sends
 * it one piece per POLLOUT: a 16 KiB batch of frames would leave as 16 writes of 1 KiB. HTTP
 * bodies and WebSocket batches are written in pieces of at most this. */
#define SERVER_WRITE_MAX 16384

struct ev_loop; /* libev's; net/server.c includes <ev.h> */
struct ws_state;

struct server {
	struct app *app;
	struct lws_context *ctx;
	struct ev_loop
		*loop; /* libev (epoll) under lws: a pass costs what is ready, not every fd */
	struct lws_vhost *vhost;
	struct ws_state *ws;  /* the WebSocket transport (net/ws.c) */
	int pending_requests; /* HTTP requests whose response is not yet written */
	char web_root[2048];  /* realpath of cfg.web_dir */
	/* the loop's load, for write pacing: time spent working in the current window */
	int64_t busy_ns, woke_ns, window_start_ns;
};

/* Runs the server until SIGTERM or SIGINT, then shuts down cleanly. Returns the process exit
 * code (0 after a clean shutdown, 1 if it could not start; the reason is logged in one line). */
int server_run(struct app *app);

/* The struct server of a connection. */
struct server *server_of(struct lws *wsi);

/* Applies the TLS settings lws leaves to the application to the vhost's SSL_CTX (borrowed). */
void server_tls_setup(struct lws *wsi, void *ssl_ctx);

#endif
