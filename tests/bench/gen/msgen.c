/* msgen — the benchmark load generator (tests/bench/README.md, docs/BENCHMARKS.md).
 *
 * One lws client context on one thread opens many wss connections (spread over several
 * 127.0.0.x source addresses so tens of thousands fit in the ephemeral port range), subscribes
 * each to one room (mingshi.v1 `join`, or MQTT SUBSCRIBE for mosquitto), then publishes from
 * some of them at a set rate (open loop: every message carries the time it was due, so a slow
 * server cannot hide its queueing — no coordinated omission) or as fast as acks allow (closed
 * loop, --rate 0). Receivers check order and count; latencies go to HDR-style histograms.
 *
 * It prints one line per phase on stdout so the driver (tests/bench/bench.mjs) can sample the
 * server's /proc counters at the edges of the measured window:
 *   ready {…}        every connection is subscribed (with handshake figures)
 *   measure          the measured window starts (after the warm-up)
 *   drain            publishing stopped; waiting for what is in flight
 *   done {…}         the result as one JSON object
 * Exit status 0 when the run completed (lost messages are reported, not fatal), 1 on errors. */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <psa/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "proto.h"
#include "track.h"

/* The lws mbedtls wrapper's OpenSSL-style calls (its headers are not installed): used once to
 * cap the client at TLS 1.2, the version every peer is compared at (unless --tls 1.3: then it
 * offers TLS 1.3 and 1.2, and a server that has TLS 1.3 takes it). */
const void *TLSv1_2_client_method(void);
int SSL_CTX_set_ssl_version(void *ctx, const void *method);

#define MAX_SRC 16
#define RING 8192 /* send times kept per publisher, by sequence modulo RING */
#define TX_MAX 8192
#define MAX_WRITES 16 /* frames per WRITEABLE callback before yielding to other sockets */

enum proto { P_MINGSHI, P_MQTT };
enum mode { M_FANOUT, M_DURABLE, M_IDLE };
enum state { S_NEW, S_CONNECTING, S_OPEN, S_READY, S_CLOSED, S_FAILED };

struct conn {
	struct lws *wsi;
	uint32_t idx;
	uint8_t state;
	uint8_t ctl_pending; /* join / CONNECT+SUBSCRIBE still to write */
	int32_t pub;	     /* publisher number, -1 for a pure subscriber */
	uint64_t t_connect;
	struct track tr;
	uint8_t *rx; /* a message arriving in fragments, or an MQTT stream remainder */
	size_t rx_len, rx_cap;
};

struct publisher {
	struct conn *c;
	uint64_t next_seq; /* sent so far */
	uint64_t acked;
	uint64_t t0;	   /* when message 0 was due */
	uint64_t *sent_at; /* RING entries: the time each message was due (open) or sent (closed) */
};

struct opts {
	enum proto proto;
	enum mode mode;
	const char *host, *path, *origin, *room, *cookies_file;
	int port;
	uint32_t subs, pubs, window, size;
	double rate, warmup, duration, drain;
	uint64_t since;
	const char *src[MAX_SRC];
	unsigned nsrc;
	uint32_t inflight;
	int tls13; /* --tls 1.3 */
};

static struct gen {
	struct opts o;
	struct lws_context *ctx;
	struct ev_loop *loop; /* libev, handed to lws as its foreign loop */
	struct conn *conns;
	uint32_t nconns;
	struct publisher *pubs;
	char **cookies;
	size_t ncookies;
	lws_sorted_usec_list_t tick;
	uint32_t next_connect, connecting, opened, ready, failed, closed;
	uint64_t t_first_connect, t_last_open, t_ready, t_pub0, t_m0, t_m1, t_end;
	int phase; /* 0 connect, 1 warm-up, 2 measure, 3 drain, 4 done */
	int interrupted;
	uint32_t run; /* tells this run's client_ids from earlier runs' */
	uint64_t errors, delivered_m, acked_m, sent_m, foreign;
	struct hist lat, ack_lat, hs_lat;
	unsigned char tx[LWS_PRE + TX_MAX];
} g;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t secs_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

/* ---- publishing -------------------------------------------------------------------------- */

/* When publisher p's message seq is due, in open loop: publishers are staggered evenly so the
 * offered load is smooth rather than P simultaneous bursts. */
static uint64_t due_at(const struct publisher *p, uint64_t seq)
{
	double per_pub = g.o.rate / g.o.pubs;

	return p->t0 + (uint64_t)((double)seq * 1e9 / per_pub);
}

/* Whether p should send its next message now. */
static int pub_due(const struct publisher *p, uint64_t now)
{
	if (g.phase < 1 || g.phase > 2 || p->c->state != S_READY)
		return 0;
	if (g.o.rate > 0)
		return due_at(p, p->next_seq) <= now;
	return p->next_seq - p->acked < g.o.window;
}

/* Builds message seq of p into g.tx (after LWS_PRE); returns the frame length or 0. */
static size_t pub_frame(struct publisher *p, uint64_t t)
{
	char text[TX_MAX / 2];
	struct payload pl = { .t_ns = t, .pub = (uint32_t)p->c->pub, .seq = p->next_seq };
	size_t n = payload_make(text, g.o.size, &pl);
	unsigned char *out = g.tx + LWS_PRE;

	if (!n)
		return 0;
	if (g.o.proto == P_MQTT)
		return mqtt_publish(out, TX_MAX, g.o.room, text, n);
	return mingshi_send((char *)out, TX_MAX, g.o.room, g.run, p->c->idx, p->next_seq, text, n);
}

/* Writes what p owes, up to MAX_WRITES frames, stopping early if the socket is full. */
static int pub_write(struct publisher *p)
{
	uint64_t now = now_ns(), t;
	size_t n;
	int k;

	for (k = 0; k < MAX_WRITES && pub_due(p, now); k++) {
		t = g.o.rate > 0 ? due_at(p, p->next_seq) : now;
		n = pub_frame(p, t);
		if (!n)
			return -1;
		if (lws_write(p->c->wsi, g.tx + LWS_PRE, n,
			      g.o.proto == P_MQTT ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)n)
			return -1;
		p->sent_at[p->next_seq % RING] = t;
		if (g.phase == 2 && t >= g.t_m0)
			g.sent_m++;
		p->next_seq++;
		if (g.o.proto == P_MQTT)
			p->acked++; /* QoS 0 has no ack: the window only applies to mingshi.v1 */
		if (lws_send_pipe_choked(p->c->wsi))
			break;
	}
	if (pub_due(p, now_ns()))
		lws_callback_on_writable(
			p->c->wsi); /* more is due already; the tick wakes it later */
	return 0;
}

/* ---- receiving --------------------------------------------------------------------------- */

/* Records one delivered message at connection c. */
static void on_delivery(struct conn *c, const struct payload *pl, uint64_t now)
{
	enum track_seen s = track_see(&c->tr, pl->pub, pl->seq);

	if (s == TRACK_BAD) {
		g.foreign++;
		return;
	}
	if (s == TRACK_DUP)
		return;
	if (now >= g.t_m0 && now < g.t_m1)
		g.delivered_m++;
	if (pl->t_ns >= g.t_m0 && pl->t_ns < g.t_m1)
		hist_record(&g.lat, now > pl->t_ns ? now - pl->t_ns : 0);
}

static void on_ack(uint32_t conn, uint64_t seq, uint64_t now)
{
	struct publisher *p;
	uint64_t t;

	if (conn >= g.nconns || g.conns[conn].pub < 0)
		return;
	p = &g.pubs[g.conns[conn].pub];
	if (seq >= p->next_seq)
		return;
	p->acked++;
	t = p->sent_at[seq % RING];
	if (t >= g.t_m0 && t < g.t_m1) {
		g.acked_m++;
		hist_record(&g.ack_lat, now > t ? now - t : 0);
	}
	if (g.o.rate == 0)
		lws_callback_on_writable(p->c->wsi);
}

static void set_ready(struct conn *c);

static void on_mingshi_frame(struct conn *c, const char *f, size_t len)
{
	struct payload pl;
	uint32_t conn = 0;
	uint64_t seq = 0, now = now_ns();

	switch (mingshi_classify(f, len, &pl, &conn, &seq)) {
	case MF_MESSAGE:
		on_delivery(c, &pl, now);
		break;
	case MF_ACK:
		on_ack(conn, seq, now);
		break;
	case MF_JOINED:
		set_ready(c);
		break;
	case MF_ERROR:
		if (g.errors++ < 5)
			fprintf(stderr, "msgen: server error frame: %.*s\n", (int)len, f);
		break;
	default:
		break;
	}
}

/* Consumes whole MQTT packets from buf; returns the bytes used, -1 if malformed. */
static long on_mqtt_bytes(struct conn *c, const uint8_t *buf, size_t len)
{
	struct mqtt_packet pk;
	struct payload pl;
	size_t used = 0;
	long n;

	while ((n = mqtt_parse(buf + used, len - used, &pk)) > 0) {
		used += (size_t)n;
		if (pk.type == MQTT_SUBACK)
			set_ready(c);
		else if (pk.type == MQTT_PUBLISH &&
			 payload_parse((const char *)pk.payload, pk.payload_len, &pl) == 0)
			on_delivery(c, &pl, now_ns());
	}
	return n < 0 ? -1 : (long)used;
}

/* Appends to c's reassembly buffer. */
static int rx_append(struct conn *c, const void *in, size_t len)
{
	if (c->rx_len + len > c->rx_cap) {
		size_t cap = (c->rx_len + len) * 2;
		uint8_t *p = realloc(c->rx, cap);

		if (!p)
			return -1;
		c->rx = p;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	return 0;
}

/* MQTT is a byte stream inside WebSocket messages: a packet may span messages. */
static int on_receive_mqtt(struct conn *c, const uint8_t *in, size_t len)
{
	long used;

	if (c->rx_len == 0) {
		used = on_mqtt_bytes(c, in, len);
		if (used < 0)
			return -1;
		return (size_t)used < len ? rx_append(c, in + used, len - (size_t)used) : 0;
	}
	if (rx_append(c, in, len))
		return -1;
	used = on_mqtt_bytes(c, c->rx, c->rx_len);
	if (used < 0)
		return -1;
	memmove(c->rx, c->rx + used, c->rx_len - (size_t)used);
	c->rx_len -= (size_t)used;
	return 0;
}

/* mingshi.v1: one JSON object per WebSocket message, possibly in fragments. */
static int on_receive_mingshi(struct conn *c, const char *in, size_t len, int final)
{
	if (final && c->rx_len == 0) {
		on_mingshi_frame(c, in, len);
		return 0;
	}
	if (rx_append(c, in, len))
		return -1;
	if (final) {
		on_mingshi_frame(c, (const char *)c->rx, c->rx_len);
		c->rx_len = 0;
	}
	return 0;
}

/* ---- connections ------------------------------------------------------------------------- */

static void print_ready(void);

static void set_ready(struct conn *c)
{
	if (c->state != S_OPEN)
		return;
	c->state = S_READY;
	if (++g.ready + g.failed == g.nconns)
		print_ready();
}

static void conn_start(struct conn *c)
{
	struct lws_client_connect_info i;

	memset(&i, 0, sizeof(i));
	i.context = g.ctx;
	i.address = g.o.host;
	i.port = g.o.port;
	i.path = g.o.path;
	i.host = g.o.host;
	i.origin = g.o.origin;
	i.protocol = g.o.proto == P_MQTT ? "mqtt" : "mingshi.v1";
	i.ssl_connection = LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED |
			   LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
	i.iface = g.o.nsrc ? g.o.src[c->idx % g.o.nsrc] : NULL;
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	c->state = S_CONNECTING;
	c->t_connect = now_ns();
	if (!g.t_first_connect)
		g.t_first_connect = c->t_connect;
	g.connecting++;
	if (!lws_client_connect_via_info(&i)) {
		c->state = S_FAILED;
		g.connecting--;
		g.failed++;
	}
}

/* Starts connections until --inflight handshakes are under way. */
static void connect_more(void)
{
	while (g.next_connect < g.nconns && g.connecting < g.o.inflight)
		conn_start(&g.conns[g.next_connect++]);
}

static void on_open(struct conn *c)
{
	uint64_t now = now_ns();

	g.connecting--;
	g.opened++;
	g.t_last_open = now;
	hist_record(&g.hs_lat, now - c->t_connect);
	c->state = S_OPEN;
	c->ctl_pending = 1;
	lws_callback_on_writable(c->wsi);
	connect_more();
}

/* Writes the subscription: join (mingshi.v1) or CONNECT + SUBSCRIBE (MQTT, one message). */
static int write_ctl(struct conn *c)
{
	unsigned char *out = g.tx + LWS_PRE;
	char id[24];
	size_t n, m;

	c->ctl_pending = 0;
	if (g.o.proto == P_MINGSHI) {
		n = mingshi_join((char *)out, TX_MAX, g.o.room, g.o.since);
		return lws_write(c->wsi, out, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
	}
	snprintf(id, sizeof(id), "msgen%" PRIu32 "-%d", c->idx, (int)(getpid() % 100000));
	n = mqtt_connect(out, TX_MAX, id);
	m = mqtt_subscribe(out + n, TX_MAX - n, 1, g.o.room);
	if (!n || !m)
		return -1;
	return lws_write(c->wsi, out, n + m, LWS_WRITE_BINARY) < (int)(n + m) ? -1 : 0;
}

static int on_writable(struct conn *c)
{
	if (c->ctl_pending)
		return write_ctl(c);
	if (c->pub >= 0)
		return pub_write(&g.pubs[c->pub]);
	return 0;
}

static void on_lost(struct conn *c, const char *why, const void *in)
{
	if (c->state == S_CONNECTING) {
		g.connecting--;
		g.failed++;
		c->state = S_FAILED;
		if (g.failed < 5)
			fprintf(stderr, "msgen: connection %" PRIu32 " failed: %s\n", c->idx,
				in ? (const char *)in : why);
		if (g.ready + g.failed == g.nconns)
			print_ready();
		connect_more();
		return;
	}
	if (c->state != S_CLOSED && c->state != S_FAILED) {
		if (g.phase < 4 && g.closed++ < 5)
			fprintf(stderr, "msgen: connection %" PRIu32 " closed by the server\n",
				c->idx);
		c->state = S_CLOSED;
	}
	c->wsi = NULL;
}

/* Adds the session cookie to the handshake (mingshi.v1 only; mosquitto allows anonymous). */
static int add_cookie(struct lws *wsi, const struct conn *c, void *in, size_t len)
{
	unsigned char **p = in, *end = *p + len;
	const char *ck;

	if (!g.ncookies)
		return 0;
	ck = g.cookies[c->idx % g.ncookies];
	return lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_COOKIE, (const unsigned char *)ck,
					    (int)strlen(ck), p, end);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct conn *c = lws_get_opaque_user_data(wsi);

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		if (!g.o.tls13)
			SSL_CTX_set_ssl_version(user, TLSv1_2_client_method());
		return 0;
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return c ? add_cookie(wsi, c, in, len) : 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		on_open(c);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (g.o.proto == P_MQTT)
			return on_receive_mqtt(c, in, len);
		return on_receive_mingshi(c, in, len, lws_is_final_fragment(wsi));
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return c && c->wsi ? on_writable(c) : 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (c)
			on_lost(c, "connection error", in);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c)
			on_lost(c, "closed", NULL);
		return 0;
	default:
		return 0;
	}
}

/* ---- phases and results ------------------------------------------------------------------ */

static void print_ready(void)
{
	double span = (double)(g.t_last_open - g.t_first_connect) / 1e9;

	g.t_ready = now_ns();
	printf("ready {\"connections\":%" PRIu32 ",\"failed\":%" PRIu32
	       ",\"handshake_s\":%.3f,\"handshakes_per_s\":%.1f,\"handshake_p50_ms\":%.3f,"
	       "\"handshake_p99_ms\":%.3f}\n",
	       g.ready, g.failed, span, span > 0 ? g.opened / span : 0.0,
	       (double)hist_percentile(&g.hs_lat, 50) / 1e6,
	       (double)hist_percentile(&g.hs_lat, 99) / 1e6);
	if (g.o.mode == M_IDLE || g.o.pubs == 0) {
		g.phase = 2;
		g.t_m0 = g.t_ready;
		g.t_m1 = g.t_m0 + secs_ns(g.o.duration);
		printf("measure\n");
		return;
	}
	g.phase = 1;
	g.t_pub0 = g.t_ready + 100 * 1000000u; /* let the last joins settle */
	g.t_m0 = g.t_pub0 + secs_ns(g.o.warmup);
	g.t_m1 = g.t_m0 + secs_ns(g.o.duration);
	for (uint32_t k = 0; k < g.o.pubs; k++) {
		double gap = 1e9 / (g.o.rate > 0 ? g.o.rate / g.o.pubs : 1);

		g.pubs[k].t0 = g.t_pub0 + (uint64_t)(gap * k / g.o.pubs);
	}
}

static uint64_t total_sent(void)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < g.o.pubs; k++)
		n += g.pubs[k].next_seq;
	return n;
}

static uint64_t total_acked(void)
{
	uint64_t n = 0;

	for (uint32_t k = 0; k < g.o.pubs; k++)
		n += g.pubs[k].acked;
	return n;
}

/* Everything sent has arrived at every live receiver (and been acked, for mingshi.v1). */
static int drained(void)
{
	uint64_t sent = total_sent(), got = 0, want = 0;

	for (uint32_t i = 0; i < g.nconns; i++) {
		if (g.conns[i].state != S_READY)
			continue;
		got += g.conns[i].tr.received;
		want += sent;
	}
	return got >= want && total_acked() >= sent;
}

static void print_hist(const char *name, const struct hist *h, int comma)
{
	printf("\"%s\":{\"count\":%" PRIu64 ",\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,"
	       "\"max_ms\":%.3f,\"mean_ms\":%.3f}%s",
	       name, h->total, (double)hist_percentile(h, 50) / 1e6,
	       (double)hist_percentile(h, 99) / 1e6, (double)hist_percentile(h, 99.9) / 1e6,
	       (double)h->max / 1e6, hist_mean(h) / 1e6, comma ? "," : "");
}

static void print_done(void)
{
	uint64_t sent = total_sent(), received = 0, dups = 0, gaps = 0, receivers = 0, expected;
	double span = (double)(g.t_m1 - g.t_m0) / 1e9;

	for (uint32_t i = 0; i < g.nconns; i++) {
		const struct conn *c = &g.conns[i];

		if (c->state == S_FAILED)
			continue;
		receivers++;
		received += c->tr.received;
		dups += c->tr.dups;
		gaps += c->tr.gaps;
	}
	expected = sent * receivers;
	printf("done {\"proto\":\"%s\",\"mode\":\"%s\",\"connections\":%" PRIu32
	       ",\"failed\":%" PRIu32 ",\"closed\":%" PRIu32 ",\"subs\":%" PRIu32
	       ",\"pubs\":%" PRIu32 ",\"rate\":%.0f,\"size\":%" PRIu32 ",\"measure_s\":%.3f,"
	       "\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"expected\":%" PRIu64
	       ",\"delivered\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"dups\":%" PRIu64
	       ",\"gaps\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"sent_per_s\":%.1f,"
	       "\"acked_per_s\":%.1f,\"delivered_per_s\":%.1f,",
	       g.o.proto == P_MQTT ? "mqtt" : "mingshi",
	       g.o.mode == M_IDLE      ? "idle"
	       : g.o.mode == M_DURABLE ? "durable"
				       : "fanout",
	       g.ready, g.failed, g.closed, g.o.subs, g.o.pubs, g.o.rate, g.o.size, span, sent,
	       total_acked(), expected, received, expected > received ? expected - received : 0,
	       dups, gaps, g.errors + g.foreign, g.sent_m / span, g.acked_m / span,
	       g.delivered_m / span);
	print_hist("latency", &g.lat, 1);
	print_hist("ack_latency", &g.ack_lat, 0);
	printf("}\n");
}

/* The 1 ms heartbeat: paces connections and publishers and moves between phases. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
	uint64_t now = now_ns();

	(void)sul;
	connect_more();
	if (g.phase == 1 && now >= g.t_m0) {
		g.phase = 2;
		printf("measure\n");
	}
	if (g.phase == 2 && now >= g.t_m1) {
		g.phase = 3;
		g.t_end = now + secs_ns(g.o.drain);
		printf("drain\n");
	}
	if (g.phase == 3 && (drained() || now >= g.t_end || g.o.mode == M_IDLE)) {
		g.phase = 4;
		print_done();
		g.interrupted = 1;
		lws_cancel_service(g.ctx);
		return;
	}
	for (uint32_t k = 0; k < g.o.pubs && g.phase >= 1 && g.phase <= 2; k++)
		if (g.pubs[k].c->wsi && pub_due(&g.pubs[k], now))
			lws_callback_on_writable(g.pubs[k].c->wsi);
	lws_sul_schedule(g.ctx, 0, &g.tick, on_tick, LWS_US_PER_MS);
}

/* ---- set-up ------------------------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr,
		"usage: msgen [--proto mingshi|mqtt] [--mode fanout|durable|idle] --port N\n"
		"             [--host 127.0.0.1] [--path /ws] [--origin URL] [--cookies FILE]\n"
		"             [--room studio:1] [--since N] [--subs N] [--pubs N] [--rate MSGS/S]\n"
		"             [--window N] [--size BYTES] [--warmup S] [--duration S] [--drain S]\n"
		"             [--src 127.0.0.1,127.0.0.2,…] [--inflight N] [--tls 1.2|1.3]\n");
	return 2;
}

static void split_src(struct opts *o, char *list)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok && o->nsrc < MAX_SRC;
	     tok = strtok_r(NULL, ",", &save))
		o->src[o->nsrc++] = tok;
}

static int parse(struct opts *o, int argc, char **argv)
{
	*o = (struct opts){ .proto = P_MINGSHI,
			    .mode = M_FANOUT,
			    .host = "127.0.0.1",
			    .path = "/ws",
			    .room = "studio:1",
			    .port = 8443,
			    .subs = 10,
			    .pubs = 1,
			    .window = 1,
			    .size = 120,
			    .rate = 100,
			    .warmup = 1,
			    .duration = 2,
			    .drain = 10,
			    .since = (uint64_t)1 << 52,
			    .inflight = 256 };
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v || strncmp(k, "--", 2) != 0)
			return -1;
		i++;
		if (!strcmp(k, "--proto"))
			o->proto = !strcmp(v, "mqtt") ? P_MQTT : P_MINGSHI;
		else if (!strcmp(k, "--mode"))
			o->mode = !strcmp(v, "idle")	  ? M_IDLE
				  : !strcmp(v, "durable") ? M_DURABLE
							  : M_FANOUT;
		else if (!strcmp(k, "--host"))
			o->host = v;
		else if (!strcmp(k, "--port"))
			o->port = atoi(v);
		else if (!strcmp(k, "--path"))
			o->path = v;
		else if (!strcmp(k, "--origin"))
			o->origin = v;
		else if (!strcmp(k, "--cookies"))
			o->cookies_file = v;
		else if (!strcmp(k, "--room"))
			o->room = v;
		else if (!strcmp(k, "--since"))
			o->since = strtoull(v, NULL, 10);
		else if (!strcmp(k, "--subs"))
			o->subs = (uint32_t)atol(v);
		else if (!strcmp(k, "--pubs"))
			o->pubs = (uint32_t)atol(v);
		else if (!strcmp(k, "--rate"))
			o->rate = atof(v);
		else if (!strcmp(k, "--window"))
			o->window = (uint32_t)atol(v);
		else if (!strcmp(k, "--size"))
			o->size = (uint32_t)atol(v);
		else if (!strcmp(k, "--warmup"))
			o->warmup = atof(v);
		else if (!strcmp(k, "--duration"))
			o->duration = atof(v);
		else if (!strcmp(k, "--drain"))
			o->drain = atof(v);
		else if (!strcmp(k, "--src"))
			split_src(o, argv[i]);
		else if (!strcmp(k, "--inflight"))
			o->inflight = (uint32_t)atol(v);
		else if (!strcmp(k, "--tls") && (!strcmp(v, "1.2") || !strcmp(v, "1.3")))
			o->tls13 = !strcmp(v, "1.3");
		else
			return -1;
	}
	if (o->mode == M_IDLE)
		o->pubs = 0;
	if (o->size < PAYLOAD_MIN || o->size > TX_MAX / 2 - 200 || o->port <= 0 ||
	    (o->rate <= 0 && (o->proto == P_MQTT || o->window == 0)) || o->inflight == 0)
		return -1;
	return 0;
}

static int load_cookies(const char *path)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char **more;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		more = realloc(g.cookies, (g.ncookies + 1) * sizeof(*more));
		if (!more)
			break;
		g.cookies = more;
		g.cookies[g.ncookies++] = strdup(line);
	}
	fclose(f);
	return g.ncookies ? 0 : -1;
}

/* Tens of thousands of sockets need more descriptors than the usual soft limit. */
static void raise_fd_limit(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* allowed to root (CAP_SYS_RESOURCE) */
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup(void)
{
	struct lws_context_creation_info info;
	static void *loops[1];
	static const struct lws_protocols PROTOCOLS[] = {
		{ "msgen", callback, 0, 4096, 0, NULL, 0 },
		LWS_PROTOCOL_LIST_TERM,
	};

	g.nconns = g.o.subs + g.o.pubs;
	g.conns = calloc(g.nconns, sizeof(*g.conns));
	g.pubs = calloc(g.o.pubs ? g.o.pubs : 1, sizeof(*g.pubs));
	if (!g.conns || !g.pubs)
		return -1;
	for (uint32_t i = 0; i < g.nconns; i++) {
		struct conn *c = &g.conns[i];

		c->idx = i;
		/* publishers are spread among the subscribers' connections */
		c->pub = i < g.o.pubs ? (int32_t)i : -1;
		if (track_init(&c->tr, g.o.pubs))
			return -1;
	}
	for (uint32_t k = 0; k < g.o.pubs; k++) {
		g.pubs[k].c = &g.conns[k];
		g.pubs[k].sent_at = calloc(RING, sizeof(uint64_t));
		if (!g.pubs[k].sent_at)
			return -1;
	}
	hist_reset(&g.lat);
	hist_reset(&g.ack_lat);
	hist_reset(&g.hs_lat);
	raise_fd_limit(g.nconns + 256);
	if (psa_crypto_init() != PSA_SUCCESS)
		return -1;
	/* As in the server: lws's own poll() loop walks every socket on every pass, and an explicit
	 * fd_limit_per_thread makes lws find a socket's wsi by a linear search. With 10 000
	 * connections those two were a quarter of the generator's time, which then, not the
	 * server, set the handshake rate. libev (epoll) and the limit from RLIMIT_NOFILE (raised
	 * above) make both O(1). */
	g.loop = ev_loop_new(EVFLAG_AUTO);
	if (!g.loop)
		return -1;
	loops[0] = g.loop;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = PROTOCOLS;
	info.foreign_loops = loops;
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_JUST_USE_RAW_ORIGIN;
	info.max_http_header_pool = 1024;
	info.timeout_secs = 60;
	info.connect_timeout_secs = 60;
	g.ctx = lws_create_context(&info);
	return g.ctx ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (parse(&g.o, argc, argv))
		return usage();
	if (g.o.cookies_file && load_cookies(g.o.cookies_file)) {
		fprintf(stderr, "msgen: no cookies in %s\n", g.o.cookies_file);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	g.run = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 20));
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);
	if (setup()) {
		fprintf(stderr, "msgen: cannot set up: %s\n", strerror(errno));
		return 1;
	}
	lws_sul_schedule(g.ctx, 0, &g.tick, on_tick, 1);
	while (!g.interrupted)
		ev_run(g.loop, EVRUN_ONCE);
	lws_context_destroy(g.ctx);
	ev_loop_destroy(g.loop); /* lws has stopped its watchers: a foreign loop is ours */
	return g.phase == 4 ? 0 : 1;
}
