/* The worker pool (DESIGN §4): a few threads for CPU-heavy jobs (password hashing, exports) so
 * the service thread never blocks. Results return through the completion queue. */
#ifndef MINGSHI_CORE_POOL_H
#define MINGSHI_CORE_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/completion.h"
#include "core/metrics.h"
#include "core/queue.h"

#define POOL_MAX_THREADS 16

/* Runs on a worker thread; returns the result passed to done(). Must not touch lws, the
 * database connections, or service-thread state; it works only on its arg. */
typedef enum err (*pool_fn)(void *arg);

struct pool {
	pthread_t threads[POOL_MAX_THREADS];
	size_t nthreads;
	struct queue q;
	atomic_int pending; /* submitted and not yet posted back */
	struct completions *completions;
	struct metrics *metrics;
};

/* Starts n (1..POOL_MAX_THREADS) threads. Returns 0 or -1. */
int pool_start(struct pool *p, size_t n, struct completions *c, struct metrics *m);

/* Queues fn(arg); done(arg, result) runs later on the service thread. The arg is borrowed
 * until done runs. Returns ERR_OK, ERR_NOMEM, or ERR_UNAVAILABLE when stopping. */
enum err pool_submit(struct pool *p, pool_fn fn, done_fn done, void *arg);

/* Refuses new jobs, finishes the queued ones, joins the threads. Idempotent. */
void pool_stop(struct pool *p);

/* After pool_stop(): frees the queue's lock. */
void pool_destroy(struct pool *p);

#endif
