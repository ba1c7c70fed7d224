/* Counters behind GET /metrics (Prometheus text format 0.0.4). Fields written by the writer
 * thread or the pool are atomics; the rest belong to the service thread. */
#ifndef MINGSHI_CORE_METRICS_H
#define MINGSHI_CORE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_COMMIT_BUCKETS 11
#define METRICS_BATCH_BUCKETS 10
#define METRICS_WAIT_BUCKETS 11
#define METRICS_WRITE_FRAMES_BUCKETS 7

/* What a WebSocket frame is, for its wait and its write: a reply to the socket's own request
 * (ack, error, join answer, pong), sent at the next pass, or a room's broadcast, which may
 * rest (net/ws.c, write intervals). A write is a reply write if it carries any reply. */
enum metrics_ws_kind { METRICS_WS_REPLY, METRICS_WS_BROADCAST, METRICS_WS_KINDS };

struct route_stat {
	const char *route; /* static pattern, e.g. "/api/v1/session" */
	const char *method;
	int status;
	uint64_t count;
};

struct metrics {
	/* writer thread */
	atomic_uint_fast64_t commit_bucket[METRICS_COMMIT_BUCKETS + 1]; /* last = +Inf */
	atomic_uint_fast64_t commit_sum_us, commit_count;
	atomic_uint_fast64_t batch_bucket[METRICS_BATCH_BUCKETS + 1];
	atomic_uint_fast64_t batch_jobs_sum;
	atomic_int_fast64_t writer_queue_depth;
	/* worker pool */
	atomic_int_fast64_t pool_queue_depth;
	/* service thread */
	int64_t open_http, open_ws;
	uint64_t ws_frames_in, ws_frames_out, ws_queue_drops;
	uint64_t ws_writes; /* writes to WebSockets, each one or more frames */
	/* by enum metrics_ws_kind: each frame's time from queued to the start of its write */
	uint64_t ws_wait_bucket[METRICS_WS_KINDS][METRICS_WAIT_BUCKETS + 1];
	uint64_t ws_wait_sum_ns[METRICS_WS_KINDS], ws_wait_count[METRICS_WS_KINDS];
	/* ... and each write's frames */
	uint64_t ws_write_frames_bucket[METRICS_WS_KINDS][METRICS_WRITE_FRAMES_BUCKETS + 1];
	uint64_t ws_write_frames_sum[METRICS_WS_KINDS], ws_write_count[METRICS_WS_KINDS];
	uint64_t answer_cache_hits, answer_cache_misses; /* api/cache.c */
	double loop_load;	      /* fraction of the last load window the loop worked */
	int64_t ws_write_interval_ns; /* how long broadcasts rest now (net/ws.c) */
	struct route_stat *routes;
	size_t nroutes, cap_routes;
};

void metrics_init(struct metrics *m);
void metrics_free(struct metrics *m);

/* Writer thread: one COMMIT that took `us` microseconds for `jobs` jobs. */
void metrics_observe_commit(struct metrics *m, int64_t us, size_t jobs);

/* Service thread: a WebSocket frame written `ns` after it was queued. */
void metrics_observe_ws_wait(struct metrics *m, enum metrics_ws_kind kind, int64_t ns);

/* Service thread: one write to a WebSocket of `frames` frames (a reply write if any was one). */
void metrics_observe_ws_write(struct metrics *m, enum metrics_ws_kind kind, size_t frames);

/* Service thread: one finished HTTP request. `route` and `method` must be static strings. */
void metrics_count_request(struct metrics *m, const char *method, const char *route, int status);

/* Renders every metric. Returns a malloc'd NUL-terminated string (caller frees) or NULL. */
char *metrics_render(const struct metrics *m);

#endif
