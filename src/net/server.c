/* lws context, vhost, service loop and shutdown; see server.h. */
#include "net/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <netdb.h>
#include <psa/crypto.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "net/http.h"
#include "net/ws.h"

/* The signal handler's only way to the loop: a flag and the context to wake. */
static volatile sig_atomic_t got_signal;
static struct lws_context *signal_ctx;

static void on_signal(int sig)
{
	got_signal = sig;
	if (signal_ctx)
		lws_cancel_service(signal_ctx);
}

static void wake_service(void *arg)
{
	lws_cancel_service((struct lws_context *)arg);
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR    ? LOG_ERROR
		: level == LLL_WARN ? LOG_WARN
				    : LOG_DEBUG,
		"lws: %.*s", (int)n, line);
}

static const struct lws_protocols PROTOCOLS[] = {
	{ "http", http_callback, sizeof(struct http_conn), 0, 0, NULL, SERVER_WRITE_MAX },
	{ WS_PROTOCOL_NAME, ws_callback, sizeof(struct ws_conn), WS_RX_BUFFER, 0, NULL,
	  SERVER_WRITE_MAX },
	LWS_PROTOCOL_LIST_TERM
};

/* WebSocket keep-alive: ping after 30 s of silence, hang up after 60 s. */
static const lws_retry_bo_t RETRY = {
	.secs_since_valid_ping = 30,
	.secs_since_valid_hangup = 60,
};

struct server *server_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* The lws mbedtls wrapper's OpenSSL-style calls; its headers are not installed with lws. */
const void *TLSv1_2_server_method(void);
int SSL_CTX_set_ssl_version(void *ctx, const void *method);

void server_tls_setup(struct lws *wsi, void *ssl_ctx)
{
	struct server *s = server_of(wsi);

	if (s && s->app->cfg.tls12_only)
		SSL_CTX_set_ssl_version(ssl_ctx, TLSv1_2_server_method());
}

/* lws reports a busy port deep inside vhost creation; find out first, for a clear message. */
static int check_port(const char *host, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai = NULL;
	char service[8];
	int fd, one = 1, rc;

	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &ai);
	if (rc != 0) {
		log_error("cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc != 0)
			log_error("cannot listen on %s:%d: %s", host, port, strerror(errno));
		close(fd);
	}
	freeaddrinfo(ai);
	return fd < 0 ? -1 : rc;
}

/* While sockets rest (net/ws.c, write intervals) nothing in the kernel would wake the loop for
 * them: this timer does, every ws_rest_tick_us(). One per process, like the loop. */
static ev_timer rest_timer;

static void on_rest_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	(void)loop;
	(void)revents;
	ws_rest_tick(s->ws);
}

/* The loop's load, for ws_adapt: the time from waking (check) to waiting again (prepare),
 * over windows of LOAD_WINDOW_NS. Two clock reads per pass. */
#define LOAD_WINDOW_NS 100000000
static ev_prepare load_prepare;
static ev_check load_check;

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct server *s = w->data;
	int64_t now = clock_mono_ns(), window;

	(void)loop;
	(void)revents;
	if (s->woke_ns)
		s->busy_ns += now - s->woke_ns;
	if (!s->window_start_ns)
		s->window_start_ns = now;
	window = now - s->window_start_ns;
	if (window >= LOAD_WINDOW_NS) {
		ws_adapt(s->ws, (double)s->busy_ns / (double)window, window);
		s->busy_ns = 0;
		s->window_start_ns = now;
	}
}

static void on_check(struct ev_loop *loop, ev_check *w, int revents)
{
	struct server *s = w->data;

	(void)loop;
	(void)revents;
	s->woke_ns = clock_mono_ns();
	ws_pass_began(s->ws, s->woke_ns);
}

static int create_context(struct server *s)
{
	static void *loops[1];
	struct lws_context_creation_info info;
	const struct config *cfg = &s->app->cfg;

	memset(&info, 0, sizeof(info));
	/* lws's own loop is poll(): every pass walks every socket in the kernel, ~0.3 us each, which
	 * at 1 000 sockets was most of a short pass. libev's epoll backend walks only the ready. */
	s->loop = ev_loop_new(EVFLAG_AUTO);
	if (!s->loop)
		return -1;
	loops[0] = s->loop;
	ev_init(&rest_timer, on_rest_timer);
	rest_timer.data = s;
	ev_prepare_init(&load_prepare, on_prepare);
	load_prepare.data = s;
	ev_prepare_start(s->loop, &load_prepare);
	ev_check_init(&load_check, on_check);
	load_check.data = s;
	ev_check_start(s->loop, &load_check);
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
		       LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	info.user = s;
	info.gid = (gid_t)-1;
	info.uid = (uid_t)-1;
	info.max_http_header_data = 8192;
	info.timeout_secs = 20;
	info.keepalive_timeout = 30;
	s->ctx = lws_create_context(&info);
	if (!s->ctx)
		return -1;
	info.port = cfg->port;
	info.iface = cfg->listen_host;
	info.vhost_name = "mingshi";
	info.protocols = PROTOCOLS;
	info.ssl_cert_filepath = s->app->cert_path;
	info.ssl_private_key_filepath = s->app->key_path;
	info.retry_and_idle_policy = &RETRY;
	s->vhost = lws_create_vhost(s->ctx, &info);
	return s->vhost ? 0 : -1;
}

static void install_signals(struct lws_context *ctx)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_ctx = ctx;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* One pass of the loop: write to the sockets whose turn it is, then wait for what is ready
 * (or a timer, or lws_cancel_service) and serve it — without waiting while sockets are still
 * queued for their turn, since nothing in the kernel would wake the loop for them. */
static void server_pass(struct server *s)
{
	ws_write_waiting(s->ws);
	if (ws_resting(s->ws) && !ev_is_active(&rest_timer)) {
		ev_now_update(s->loop);
		ev_timer_set(&rest_timer, (double)ws_rest_tick_us(s->ws) / 1e6, 0.);
		ev_timer_start(s->loop, &rest_timer);
	}
	ev_run(s->loop, ws_waiting(s->ws) ? EVRUN_NOWAIT : EVRUN_ONCE);
}

/* Service the loop until cond() holds or the deadline passes. */
static void service_until(struct server *s, int (*cond)(struct server *), int64_t max_us)
{
	int64_t end = clock_mono_us() + max_us;

	while (!cond(s) && clock_mono_us() < end) {
		completions_drain(&s->app->completions);
		server_pass(s);
	}
}

/* No request waits for an answer and no job for its completion. */
static int idle(struct server *s)
{
	return s->pending_requests == 0 && atomic_load(&s->app->writer.pending) == 0 &&
	       atomic_load(&s->app->pool.pending) == 0;
}

static int no_websockets(struct server *s)
{
	return ws_open_count(s->ws) == 0;
}

/* DESIGN §4: stop accepting (new requests and frames get 503 / `unavailable`), let the writer
 * commit what it holds and answer or ack it, close sockets with 1001 (which queues the end of
 * their presence intervals), then stop the writer — it commits those — and checkpoint the WAL
 * (app_close). */
static void shutdown_server(struct server *s)
{
	log_info("shutting down (signal %d)", (int)got_signal);
	s->app->stopping = true;
	service_until(s, idle, 3 * 1000000);
	ws_close_all(s->ws, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
	service_until(s, no_websockets, 2 * 1000000);
	app_quiesce(s->app);
	completions_drain(&s->app->completions);
}

int server_run(struct app *app)
{
	char root[PATH_MAX];
	struct server s;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	s.app = app;
	thread_set(THREAD_SERVICE);
	if (!realpath(app->cfg.web_dir, root) || strlen(root) >= sizeof(s.web_root)) {
		log_error("cannot open the web directory %s: %s", app->cfg.web_dir,
			  strerror(errno));
		return 1;
	}
	memcpy(s.web_root, root, strlen(root) + 1);
	lws_set_log_level(log_get_level() == LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR,
			  lws_log);
	/* mbedtls 3.6's TLS 1.3 needs PSA ready before the first handshake (DESIGN §2). */
	if (psa_crypto_init() != PSA_SUCCESS) {
		log_error("cannot initialise PSA crypto");
		return 1;
	}
	if (check_port(app->cfg.listen_host, app->cfg.port) != 0)
		return 1;
	s.ws = ws_state_new(app);
	if (!s.ws || api_init(app) != ERR_OK || create_context(&s) != 0) {
		log_error("cannot start the TLS listener on %s:%d (see the lws error above)",
			  app->cfg.listen_host, app->cfg.port);
		goto out;
	}
	completions_set_wake(&app->completions, wake_service, s.ctx);
	install_signals(s.ctx);
	log_info("mingshi listening on https://%s:%d", app->cfg.listen_host, app->cfg.port);
	while (!got_signal)
		server_pass(&s);
	shutdown_server(&s);
	rc = 0;
out:
	signal_ctx = NULL;
	if (s.ctx)
		lws_context_destroy(s.ctx); /* closes what is still open */
	if (s.loop) { /* lws has stopped its watchers: a foreign loop is ours, ours too */
		ev_timer_stop(s.loop, &rest_timer);
		ev_prepare_stop(s.loop, &load_prepare);
		ev_check_stop(s.loop, &load_check);
		ev_loop_destroy(s.loop);
	}
	completions_set_wake(&app->completions, NULL, NULL);
	/* api/'s state goes once no job can reach it: the writer's chore holds its memory */
	app_quiesce(app);
	completions_drain(&app->completions);
	api_free(app);
	ws_state_free(s.ws);
	return rc;
}
