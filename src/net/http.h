/* The "http" lws protocol: one request at a time per connection, from headers through body to
 * response, with the checks of DESIGN §6 (route, session, role, CSRF, Origin, media type,
 * 1 MiB body cap) before any handler runs; static files from web/ otherwise. Also the home of
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED, where completions from the writer and pool are drained. */
#ifndef MINGSHI_NET_HTTP_H
#define MINGSHI_NET_HTTP_H

#include <libwebsockets.h>
#include <stdbool.h>

#include "api/req.h"
#include "api/router.h"

/* lws per-session data of the "http" protocol. */
struct http_conn {
	struct lws *wsi;
	struct req *req; /* the transaction in progress, or NULL */
	const struct route *route;
	bool expect_body; /* body callbacks will follow */
	bool early_reply; /* a response is ready; the body is read and dropped */
	bool close_after; /* Connection: close (e.g. 413 with an unread body) */
	bool answered;	  /* the response is on its way */
	bool in_handler;  /* the route's handler is running */
	bool headers_sent;
	unsigned char *tx; /* LWS_PRE + response body */
	size_t tx_len, tx_sent;
	int64_t started_us;
	bool counted; /* counted in metrics.open_http */
};

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len);

#endif
