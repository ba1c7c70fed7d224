/* Prometheus counters; see metrics.h. */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds of the commit latency buckets, in microseconds. */
static const int64_t COMMIT_LE_US[METRICS_COMMIT_BUCKETS] = { 250,    500,    1000,   2000,
							      5000,   10000,  20000,  50000,
							      100000, 250000, 1000000 };

/* Upper bounds of the WebSocket frame wait buckets, in microseconds: replies wait a loop
 * pass (microseconds to a few ms), resting broadcasts up to ws_write_interval_ms (≤ 1 s). */
static const int64_t WS_WAIT_LE_US[METRICS_WAIT_BUCKETS] = { 1000,   2000,    5000,   10000,
							     20000,  50000,   100000, 200000,
							     500000, 1000000, 2000000 };

static const char *const WS_KIND[METRICS_WS_KINDS] = { "reply", "broadcast" };

void metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
}

void metrics_free(struct metrics *m)
{
	free(m->routes);
	m->routes = NULL;
	m->nroutes = m->cap_routes = 0;
}

void metrics_observe_commit(struct metrics *m, int64_t us, size_t jobs)
{
	size_t i = 0, b = 0;

	while (i < METRICS_COMMIT_BUCKETS && us > COMMIT_LE_US[i])
		i++;
	atomic_fetch_add(&m->commit_bucket[i], 1);
	atomic_fetch_add(&m->commit_sum_us, (uint_fast64_t)us);
	atomic_fetch_add(&m->commit_count, 1);
	/* batch buckets: 1, 2, 4, … 512, +Inf */
	while (b < METRICS_BATCH_BUCKETS && jobs > ((size_t)1 << b))
		b++;
	atomic_fetch_add(&m->batch_bucket[b], 1);
	atomic_fetch_add(&m->batch_jobs_sum, jobs);
}

void metrics_observe_ws_wait(struct metrics *m, enum metrics_ws_kind kind, int64_t ns)
{
	size_t i = 0;

	ns = ns > 0 ? ns : 0;
	while (i < METRICS_WAIT_BUCKETS && ns > WS_WAIT_LE_US[i] * 1000)
		i++;
	m->ws_wait_bucket[kind][i]++;
	m->ws_wait_sum_ns[kind] += (uint64_t)ns;
	m->ws_wait_count[kind]++;
}

void metrics_observe_ws_write(struct metrics *m, enum metrics_ws_kind kind, size_t frames)
{
	size_t b = 0;

	/* buckets: 1, 2, 4, … 64, +Inf */
	while (b < METRICS_WRITE_FRAMES_BUCKETS && frames > ((size_t)1 << b))
		b++;
	m->ws_write_frames_bucket[kind][b]++;
	m->ws_write_frames_sum[kind] += frames;
	m->ws_write_count[kind]++;
}

void metrics_count_request(struct metrics *m, const char *method, const char *route, int status)
{
	struct route_stat *r;

	for (size_t i = 0; i < m->nroutes; i++) {
		r = &m->routes[i];
		if (r->route == route && r->method == method && r->status == status) {
			r->count++;
			return;
		}
	}
	if (m->nroutes == m->cap_routes) {
		size_t cap = m->cap_routes ? m->cap_routes * 2 : 32;
		struct route_stat *grown = realloc(m->routes, cap * sizeof(*grown));

		if (!grown)
			return;
		m->routes = grown;
		m->cap_routes = cap;
	}
	m->routes[m->nroutes++] = (struct route_stat){ route, method, status, 1 };
}

/* ---- rendering ----------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *grown = realloc(b->p, b->cap * 2 + (size_t)n);

		if (!grown) {
			b->failed = 1;
			return;
		}
		b->p = grown;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void render_connections(struct buf *b, const struct metrics *m)
{
	put(b,
	    "# HELP mingshi_open_connections Open client connections by kind.\n"
	    "# TYPE mingshi_open_connections gauge\n"
	    "mingshi_open_connections{kind=\"http\"} %lld\n"
	    "mingshi_open_connections{kind=\"websocket\"} %lld\n",
	    (long long)m->open_http, (long long)m->open_ws);
	put(b,
	    "# HELP mingshi_ws_frames_total WebSocket frames by direction.\n"
	    "# TYPE mingshi_ws_frames_total counter\n"
	    "mingshi_ws_frames_total{direction=\"in\"} %llu\n"
	    "mingshi_ws_frames_total{direction=\"out\"} %llu\n",
	    (unsigned long long)m->ws_frames_in, (unsigned long long)m->ws_frames_out);
	put(b,
	    "# HELP mingshi_ws_queue_drops_total Subscribers closed because their send queue overflowed.\n"
	    "# TYPE mingshi_ws_queue_drops_total counter\n"
	    "mingshi_ws_queue_drops_total %llu\n",
	    (unsigned long long)m->ws_queue_drops);
	put(b,
	    "# HELP mingshi_ws_writes_total Writes to WebSockets; each carries one or more frames.\n"
	    "# TYPE mingshi_ws_writes_total counter\n"
	    "mingshi_ws_writes_total %llu\n"
	    "# HELP mingshi_loop_load Fraction of the last 100 ms the event loop spent working.\n"
	    "# TYPE mingshi_loop_load gauge\n"
	    "mingshi_loop_load %.3f\n"
	    "# HELP mingshi_ws_write_interval_seconds How long a busy socket's broadcasts rest now.\n"
	    "# TYPE mingshi_ws_write_interval_seconds gauge\n"
	    "mingshi_ws_write_interval_seconds %.3f\n",
	    (unsigned long long)m->ws_writes, m->loop_load, (double)m->ws_write_interval_ns / 1e9);
	put(b,
	    "# HELP mingshi_answer_cache_hits_total GET answers served as kept (database unchanged).\n"
	    "# TYPE mingshi_answer_cache_hits_total counter\n"
	    "mingshi_answer_cache_hits_total %llu\n"
	    "# HELP mingshi_answer_cache_misses_total Cacheable GET answers built afresh.\n"
	    "# TYPE mingshi_answer_cache_misses_total counter\n"
	    "mingshi_answer_cache_misses_total %llu\n",
	    (unsigned long long)m->answer_cache_hits, (unsigned long long)m->answer_cache_misses);
}

/* The two WebSocket histograms, one series per kind. */
static void render_ws_histograms(struct buf *b, const struct metrics *m)
{
	put(b, "# HELP mingshi_ws_frame_wait_seconds Time from queueing a WebSocket frame to the "
	       "start of the write that carried it, by kind: reply or (room) broadcast.\n"
	       "# TYPE mingshi_ws_frame_wait_seconds histogram\n");
	for (int k = 0; k < METRICS_WS_KINDS; k++) {
		uint64_t cum = 0;

		for (int i = 0; i < METRICS_WAIT_BUCKETS; i++) {
			cum += m->ws_wait_bucket[k][i];
			put(b, "mingshi_ws_frame_wait_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n",
			    WS_KIND[k], (double)WS_WAIT_LE_US[i] / 1e6, (unsigned long long)cum);
		}
		cum += m->ws_wait_bucket[k][METRICS_WAIT_BUCKETS];
		put(b,
		    "mingshi_ws_frame_wait_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n"
		    "mingshi_ws_frame_wait_seconds_sum{kind=\"%s\"} %.6f\n"
		    "mingshi_ws_frame_wait_seconds_count{kind=\"%s\"} %llu\n",
		    WS_KIND[k], (unsigned long long)cum, WS_KIND[k],
		    (double)m->ws_wait_sum_ns[k] / 1e9, WS_KIND[k],
		    (unsigned long long)m->ws_wait_count[k]);
	}
	put(b, "# HELP mingshi_ws_write_frames Frames per write to a WebSocket, by kind: reply "
	       "(the write carried a reply) or broadcast (broadcasts only).\n"
	       "# TYPE mingshi_ws_write_frames histogram\n");
	for (int k = 0; k < METRICS_WS_KINDS; k++) {
		uint64_t cum = 0;

		for (int i = 0; i < METRICS_WRITE_FRAMES_BUCKETS; i++) {
			cum += m->ws_write_frames_bucket[k][i];
			put(b, "mingshi_ws_write_frames_bucket{kind=\"%s\",le=\"%d\"} %llu\n",
			    WS_KIND[k], 1 << i, (unsigned long long)cum);
		}
		cum += m->ws_write_frames_bucket[k][METRICS_WRITE_FRAMES_BUCKETS];
		put(b,
		    "mingshi_ws_write_frames_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n"
		    "mingshi_ws_write_frames_sum{kind=\"%s\"} %llu\n"
		    "mingshi_ws_write_frames_count{kind=\"%s\"} %llu\n",
		    WS_KIND[k], (unsigned long long)cum, WS_KIND[k],
		    (unsigned long long)m->ws_write_frames_sum[k], WS_KIND[k],
		    (unsigned long long)m->ws_write_count[k]);
	}
}

static void render_requests(struct buf *b, const struct metrics *m)
{
	put(b, "# HELP mingshi_http_requests_total HTTP requests by method, route and status.\n"
	       "# TYPE mingshi_http_requests_total counter\n");
	for (size_t i = 0; i < m->nroutes; i++) {
		const struct route_stat *r = &m->routes[i];

		put(b,
		    "mingshi_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
		    r->method, r->route, r->status, (unsigned long long)r->count);
	}
}

static void render_commits(struct buf *b, const struct metrics *m)
{
	uint64_t cum = 0;

	put(b, "# HELP mingshi_sqlite_commit_seconds Latency of the writer's group COMMIT.\n"
	       "# TYPE mingshi_sqlite_commit_seconds histogram\n");
	for (int i = 0; i < METRICS_COMMIT_BUCKETS; i++) {
		cum += atomic_load(&m->commit_bucket[i]);
		put(b, "mingshi_sqlite_commit_seconds_bucket{le=\"%g\"} %llu\n",
		    (double)COMMIT_LE_US[i] / 1e6, (unsigned long long)cum);
	}
	cum += atomic_load(&m->commit_bucket[METRICS_COMMIT_BUCKETS]);
	put(b,
	    "mingshi_sqlite_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "mingshi_sqlite_commit_seconds_sum %.6f\n"
	    "mingshi_sqlite_commit_seconds_count %llu\n",
	    (unsigned long long)cum, (double)atomic_load(&m->commit_sum_us) / 1e6,
	    (unsigned long long)atomic_load(&m->commit_count));
	cum = 0;
	put(b, "# HELP mingshi_writer_batch_jobs Jobs per group commit.\n"
	       "# TYPE mingshi_writer_batch_jobs histogram\n");
	for (int i = 0; i < METRICS_BATCH_BUCKETS; i++) {
		cum += atomic_load(&m->batch_bucket[i]);
		put(b, "mingshi_writer_batch_jobs_bucket{le=\"%d\"} %llu\n", 1 << i,
		    (unsigned long long)cum);
	}
	cum += atomic_load(&m->batch_bucket[METRICS_BATCH_BUCKETS]);
	put(b,
	    "mingshi_writer_batch_jobs_bucket{le=\"+Inf\"} %llu\n"
	    "mingshi_writer_batch_jobs_sum %llu\n"
	    "mingshi_writer_batch_jobs_count %llu\n",
	    (unsigned long long)cum, (unsigned long long)atomic_load(&m->batch_jobs_sum),
	    (unsigned long long)atomic_load(&m->commit_count));
}

static void render_queues(struct buf *b, const struct metrics *m)
{
	put(b,
	    "# HELP mingshi_queue_depth Jobs waiting, by queue.\n"
	    "# TYPE mingshi_queue_depth gauge\n"
	    "mingshi_queue_depth{queue=\"writer\"} %lld\n"
	    "mingshi_queue_depth{queue=\"worker\"} %lld\n",
	    (long long)atomic_load(&m->writer_queue_depth),
	    (long long)atomic_load(&m->pool_queue_depth));
}

char *metrics_render(const struct metrics *m)
{
	struct buf b = { malloc(4096), 0, 4096, 0 };

	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	render_connections(&b, m);
	render_ws_histograms(&b, m);
	render_requests(&b, m);
	render_commits(&b, m);
	render_queues(&b, m);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
