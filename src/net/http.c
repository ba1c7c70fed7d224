/* HTTP requests; see http.h.
 *
 * Life of a request: LWS_CALLBACK_HTTP parses it into a struct req and runs the checks; when a
 * body follows, HTTP_BODY collects it (≤ 1 MiB) and HTTP_BODY_COMPLETION runs the handler;
 * otherwise the handler runs at once. A handler that waits for the writer or pool holds the
 * req; its completion (drained on EVENT_WAIT_CANCELLED) replies and releases it. The response
 * goes out from HTTP_WRITEABLE: the headers and the start of the body in one write (one TLS
 * record and one send for most answers), then the rest of the body in ≤ 16 KiB pieces. */
#include "net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/token.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/respond.h"
#include "net/server.h"
#include "net/static.h"
#include "net/ws.h"

#define TX_CHUNK SERVER_WRITE_MAX
/* Room kept in front of the body for the headers (write_headers' limit). */
#define HDR_ROOM 2048

/* ---- request objects ----------------------------------------------------------------- */

static void req_free(struct req *r)
{
	for (size_t i = 0; i < r->nquery; i++) {
		free(r->query[i].key);
		free(r->query[i].val);
	}
	free(r->body);
	free(r->out);
	free(r);
}

static void send_response(struct http_conn *c);

/* api/'s req_release() lands here: send now, or drop if the client left meanwhile. */
static void req_finish(struct req *r)
{
	struct http_conn *c = r->conn;

	if (!c) {
		req_free(r);
		return;
	}
	if (c->in_handler)
		return; /* released before the handler returned: run_handler() sends */
	send_response(c);
}

static enum http_method method_of(struct lws *wsi)
{
	char *uri;
	int len;

	switch (lws_http_get_uri_and_method(wsi, &uri, &len)) {
	case LWSHUMETH_GET:
		return HTTP_GET;
	case LWSHUMETH_POST:
		return HTTP_POST;
	case LWSHUMETH_PUT:
		return HTTP_PUT;
	case LWSHUMETH_PATCH:
		return HTTP_PATCH;
	case LWSHUMETH_DELETE:
		return HTTP_DELETE;
	default:
		return HTTP_OTHER;
	}
}

static void parse_query(struct lws *wsi, struct req *r)
{
	char frag[1024];

	for (int i = 0; r->nquery < REQ_MAX_QUERY; i++) {
		int n = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		char *eq;

		if (n < 0)
			break;
		eq = strchr(frag, '=');
		if (eq)
			*eq = '\0';
		r->query[r->nquery].key = strdup(frag);
		r->query[r->nquery].val = strdup(eq ? eq + 1 : "");
		if (!r->query[r->nquery].key || !r->query[r->nquery].val)
			break;
		r->nquery++;
	}
}

static struct req *req_new(struct http_conn *c, const char *path)
{
	struct req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->app = server_of(c->wsi)->app;
	r->conn = c;
	r->finish = req_finish;
	r->method = method_of(c->wsi);
	r->no_store = true;
	snprintf(r->path, sizeof(r->path), "%s", path);
	lws_get_peer_simple(c->wsi, r->peer, sizeof(r->peer));
	parse_query(c->wsi, r);
	return r;
}

/* ---- responses ----------------------------------------------------------------------- */

static void send_response(struct http_conn *c)
{
	struct req *r = c->req;
	struct server *s = server_of(c->wsi);

	c->answered = true;
	c->tx = malloc(LWS_PRE + HDR_ROOM + r->out_len + 1);
	if (!c->tx) {
		/* no answer can be sent: close rather than leave the client waiting */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
		return;
	}
	if (r->out_len)
		memcpy(c->tx + LWS_PRE + HDR_ROOM, r->out, r->out_len);
	c->tx_len = r->out_len;
	c->tx_sent = 0;
	c->headers_sent = false;
	metrics_count_request(&s->app->metrics, http_method_name(r->method),
			      r->route ? r->route : "other", r->status);
	if (r->route && strcmp(r->route, "/metrics") && strcmp(r->route, "/healthz"))
		log_info("%s %s %d %.1fms %s", http_method_name(r->method), r->path, r->status,
			 (double)(clock_mono_us() - c->started_us) / 1000.0, r->peer);
	lws_callback_on_writable(c->wsi);
}

static void reply_now_error(struct http_conn *c, const struct error *e)
{
	reply_error(c->req, e);
	if (c->expect_body && e->err != ERR_TOO_LARGE) {
		c->early_reply = true; /* answer once the body has been read and dropped */
		return;
	}
	send_response(c);
}

static void reply_now(struct http_conn *c, enum err code, const char *field, const char *msg)
{
	reply_err(c->req, code, field, "%s", msg ? msg : err_default_message(code));
	if (c->expect_body && code != ERR_TOO_LARGE) {
		c->early_reply = true; /* answer once the body has been read and dropped */
		return;
	}
	send_response(c);
}

/* Writes the headers followed by as much of the body as fills one TLS record. */
static int write_headers(struct http_conn *c)
{
	unsigned char buf[HDR_ROOM], *start = buf, *p = start, *end = buf + sizeof(buf) - 1, *at;
	struct req *r = c->req;
	size_t hlen, n;
	bool html = r->content_type && !strncmp(r->content_type, "text/html", 9);

	if (lws_add_http_header_status(c->wsi, (unsigned)r->status, &p, end) ||
	    respond_security_headers(c->wsi, &p, end, html) ||
	    (r->content_type &&
	     respond_header(c->wsi, "content-type:", r->content_type, &p, end)) ||
	    (r->no_store && respond_header(c->wsi, "cache-control:", "no-store", &p, end)) ||
	    (r->set_cookie[0] && respond_header(c->wsi, "set-cookie:", r->set_cookie, &p, end)) ||
	    (c->close_after && respond_header(c->wsi, "connection:", "close", &p, end)) ||
	    lws_add_http_header_content_length(c->wsi, c->tx_len, &p, end))
		return -1;
	if (r->extra_headers[0]) {
		size_t extra = strlen(r->extra_headers);

		if ((size_t)(end - p) < extra)
			return -1;
		memcpy(p, r->extra_headers, extra);
		p += extra;
	}
	if (lws_finalize_http_header(c->wsi, &p, end))
		return -1;
	hlen = (size_t)(p - start);
	at = c->tx + LWS_PRE + HDR_ROOM - hlen;
	memcpy(at, start, hlen);
	n = c->tx_len < TX_CHUNK - hlen ? c->tx_len : TX_CHUNK - hlen;
	c->headers_sent = true;
	/* h1 sends LWS_WRITE_HTTP_HEADERS as raw bytes, so the body may ride along */
	if (lws_write(c->wsi, at, hlen + n, LWS_WRITE_HTTP_HEADERS) < 0)
		return -1;
	c->tx_sent = n;
	return 0;
}

/* The transaction is over: free it and get ready for the next one (or close). */
static int complete(struct http_conn *c)
{
	struct server *s = server_of(c->wsi);

	req_free(c->req);
	c->req = NULL;
	free(c->tx);
	c->tx = NULL;
	s->pending_requests--;
	if (c->close_after)
		return -1;
	return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

static int on_writeable(struct http_conn *c)
{
	size_t n;

	if (!c->req || !c->tx)
		return 0;
	if (!c->headers_sent) {
		if (write_headers(c) < 0)
			return -1;
	} else {
		n = c->tx_len - c->tx_sent;
		if (n > TX_CHUNK)
			n = TX_CHUNK;
		if (lws_write(c->wsi, c->tx + LWS_PRE + HDR_ROOM + c->tx_sent, n,
			      c->tx_sent + n == c->tx_len ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
		    0)
			return -1;
		c->tx_sent += n;
	}
	if (c->tx_sent == c->tx_len)
		return complete(c);
	lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- checks before the handler ------------------------------------------------------- */

static int header(struct lws *wsi, enum lws_token_indexes t, char *out, int cap)
{
	if (lws_hdr_copy(wsi, out, cap, t) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static bool changes_state(enum http_method m)
{
	return m != HTTP_GET;
}

/* Origin must be allowed when present (DESIGN §6). */
static bool origin_ok(struct http_conn *c)
{
	char origin[256];

	if (header(c->wsi, WSI_TOKEN_ORIGIN, origin, sizeof(origin)) < 0 || !origin[0])
		return true;
	return config_origin_allowed(&server_of(c->wsi)->app->cfg, origin);
}

static bool content_type_ok(struct http_conn *c)
{
	char ctype[128];
	const char *want = c->route->flags & ROUTE_CSV_BODY ? "text/csv" : "application/json";
	size_t n = strlen(want);

	header(c->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof(ctype));
	return !strncasecmp(ctype, want, n) && (ctype[n] == '\0' || ctype[n] == ';');
}

static void authenticate(struct http_conn *c)
{
	char cookie[4096], token[TOKEN_B64_MAX];

	if (header(c->wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof(cookie)) == 0 &&
	    token_from_cookie(cookie, token) == 0)
		api_authenticate(c->req, token);
}

static bool csrf_ok(struct http_conn *c)
{
	char sent[128];

	if (lws_hdr_custom_copy(c->wsi, sent, sizeof(sent), "x-csrf-token:", 13) < 0)
		return false;
	return token_csrf_ok(sent, c->req->session.csrf);
}

/* Content-Length, or -1 when absent. */
static long long content_length(struct http_conn *c)
{
	char v[32];

	if (header(c->wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, v, sizeof(v)) < 0 || !v[0])
		return -1;
	return atoll(v);
}

/* Runs the DESIGN §6 checks in order; on failure replies and returns false. */
static bool precheck(struct http_conn *c, long long clen)
{
	struct req *r = c->req;
	const struct route *rt = c->route;

	if (clen > REQ_BODY_MAX) {
		c->close_after = true;
		reply_now(c, ERR_TOO_LARGE, NULL, NULL);
		return false;
	}
	if (changes_state(r->method) && !origin_ok(c)) {
		reply_now(c, ERR_FORBIDDEN, NULL, "this Origin is not allowed");
		return false;
	}
	authenticate(c);
	if (rt->roles != ROLES_PUBLIC && !r->authed) {
		reply_now(c, ERR_UNAUTHENTICATED, NULL, NULL);
		return false;
	}
	if (rt->roles != ROLES_PUBLIC && !(rt->roles & ROLE_BIT(r->user.role))) {
		reply_now(c, ERR_FORBIDDEN, NULL, NULL);
		return false;
	}
	if (rt->roles != ROLES_PUBLIC && r->user.must_change_password &&
	    !(rt->flags & ROUTE_BEFORE_PASSWORD)) {
		struct error e;

		error_set(&e, ERR_FORBIDDEN, NULL, "change your initial password first");
		e.code = "password_change_required";
		reply_now_error(c, &e);
		return false;
	}
	if (changes_state(r->method) && !(rt->flags & ROUTE_NO_CSRF) && !csrf_ok(c)) {
		reply_now(c, ERR_CSRF, NULL, NULL);
		return false;
	}
	if (clen > 0 && !content_type_ok(c)) {
		reply_now(c, ERR_MEDIA_TYPE, NULL, NULL);
		return false;
	}
	return true;
}

static void run_handler(struct http_conn *c)
{
	struct req *r = c->req;

	c->in_handler = true;
	c->route->handler(r);
	c->in_handler = false;
	if (r->holds == 0)
		send_response(c);
}

/* ---- callbacks ----------------------------------------------------------------------- */

static int route_request(struct http_conn *c, struct req *r)
{
	char allow[64];
	enum route_match m;
	long long clen = content_length(c);
	struct server *s = server_of(c->wsi);

	m = router_match(r->method, r->path, &c->route, r->ids, &r->nids, r->room, allow,
			 sizeof(allow));
	if (m == MATCH_FOUND)
		r->route = c->route->pattern;
	/* Body callbacks follow a positive Content-Length, and an explicit 0 on POST. */
	c->expect_body = clen > 0 || (clen == 0 && r->method == HTTP_POST);
	if (lws_hdr_total_length(c->wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		c->close_after = true;
		c->expect_body = false;
		reply_now(c, ERR_INVALID, NULL, "send request bodies with a Content-Length");
		return 0;
	}
	if (server_of(c->wsi)->app->stopping) {
		c->close_after = true;
		c->expect_body = false;
		reply_now(c, ERR_UNAVAILABLE, NULL, "the server is shutting down");
		return 0;
	}
	if (m == MATCH_NO_PATH) {
		reply_now(c, ERR_NOT_FOUND, NULL, NULL);
		return 0;
	}
	if (m == MATCH_NO_METHOD) {
		reply_header(r, "Allow", allow);
		reply_now(c, ERR_METHOD, NULL, NULL);
		return 0;
	}
	api_snapshot_begin(s->app);
	if (precheck(c, clen) && !c->expect_body)
		run_handler(c);
	api_snapshot_end(s->app);
	return 0;
}

static bool is_api_path(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strcmp(path, "/api") || !strcmp(path, "/healthz") ||
	       !strcmp(path, "/metrics");
}

static int on_http(struct http_conn *c, const char *path)
{
	struct server *s = server_of(c->wsi);

	c->started_us = clock_mono_us();
	c->expect_body = c->early_reply = c->close_after = c->answered = false;
	if (!is_api_path(path))
		return static_serve(c->wsi, s, path);
	c->req = req_new(c, path);
	if (!c->req)
		return -1;
	s->pending_requests++;
	return route_request(c, c->req);
}

static int on_body(struct http_conn *c, const char *in, size_t len)
{
	struct req *r = c->req;
	char *grown;

	if (!r || c->early_reply || c->answered || len == 0)
		return 0; /* dropped: the answer is already decided */
	if (r->body_len + len > REQ_BODY_MAX) {
		c->close_after = true;
		c->expect_body = false;
		reply_now(c, ERR_TOO_LARGE, NULL, NULL);
		return 0;
	}
	grown = realloc(r->body, r->body_len + len + 1);
	if (!grown)
		return -1;
	memcpy(grown + r->body_len, in, len);
	r->body = grown;
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static int on_body_done(struct http_conn *c)
{
	struct server *s = server_of(c->wsi);

	if (!c->req || c->answered)
		return 0; /* already answered (413) */
	if (c->early_reply) {
		send_response(c);
		return 0;
	}
	api_snapshot_begin(s->app);
	run_handler(c);
	api_snapshot_end(s->app);
	return 0;
}

static void on_closed(struct http_conn *c)
{
	struct server *s = server_of(c->wsi);
	struct req *r = c->req;

	if (c->counted) {
		s->app->metrics.open_http--;
		c->counted = false;
	}
	c->req = NULL;
	free(c->tx);
	c->tx = NULL;
	if (!r)
		return;
	s->pending_requests--;
	r->conn = NULL;
	if (r->holds == 0)
		req_free(r); /* else the job's completion frees it */
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct http_conn *c = user;
	struct server *s;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		s = lws_context_user(lws_get_context(wsi));
		if (s)
			completions_drain(&s->app->completions);
		return 0;
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		server_tls_setup(wsi, user);
		return 0;
	case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
		if (c && !c->counted) {
			c->wsi = wsi;
			c->counted = true;
			server_of(wsi)->app->metrics.open_http++;
		}
		return 0;
	case LWS_CALLBACK_HTTP:
		c->wsi = wsi;
		return on_http(c, in);
	case LWS_CALLBACK_HTTP_BODY:
		return on_body(c, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return on_body_done(c);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_writeable(c);
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return ws_confirm_upgrade(wsi, in);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (c && c->wsi)
			on_closed(c);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
