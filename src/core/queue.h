/* The one job queue (DESIGN §4): a locked FIFO of intrusive jobs, used for every hand-off
 * between threads — requests to the writer, requests to the worker pool, and finished jobs
 * back to the service thread (core/completion.h). A job is linked through its own `next`, so
 * moving it between queues allocates nothing, and lists of jobs move in one locked step (the
 * writer takes a batch, the service thread drains everything posted so far).
 *
 * A queue is closed once: puts are then refused, takes still return what was queued, and
 * waiters wake. The lock also guards any state its owner keeps beside the queue and waits on
 * (queue_lock / queue_wait_locked), such as the writer's chore. */
#ifndef MINGSHI_CORE_QUEUE_H
#define MINGSHI_CORE_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Runs on the service thread with the job's result. `arg` is the submitter's, unchanged. */
typedef void (*done_fn)(void *arg, enum err result);

/* The head of every job: the first member of each job struct, so that whoever finishes a job
 * frees the whole of it with free(). */
struct job {
	struct job *next;
	done_fn done; /* NULL: nothing to report, just free the job */
	void *arg;
	enum err result;
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t depth;
	bool closed;
	atomic_int_fast64_t *gauge; /* a metric that follows depth, or NULL */
};

/* Prepares an empty, open queue; gauge (borrowed, may be NULL) is kept equal to its depth. */
void queue_init(struct queue *q, atomic_int_fast64_t *gauge);

/* Frees the lock; the queue must be empty (the owner drained it). */
void queue_destroy(struct queue *q);

/* Appends the n jobs first..last (linked through next; last->next is set to NULL), in order,
 * and wakes one waiter. Takes ownership of them. ERR_UNAVAILABLE once closed: nothing is
 * queued and the jobs stay the caller's. *was_empty (may be NULL) tells whether the queue was
 * empty before: the poster's cue to wake a consumer that does not wait on the queue. */
enum err queue_put(struct queue *q, struct job *first, struct job *last, size_t n, bool *was_empty);

/* Puts n jobs taken earlier back at the front, in order (closed or not). */
void queue_put_front(struct queue *q, struct job *first, struct job *last, size_t n);

/* Detaches up to max jobs from the front as a NULL-terminated list (NULL when empty) and
 * stores their count in *n (may be NULL). Never waits. */
struct job *queue_take(struct queue *q, size_t max, size_t *n);

/* Refuses later puts and wakes every waiter. Idempotent. */
void queue_close(struct queue *q);

/* The lock, for state kept beside the queue; queue_*_locked functions need it held. */
void queue_lock(struct queue *q);
void queue_unlock(struct queue *q);

/* With the lock held: waits until woken (a put, a close, queue_wake) or, with wait_us >= 0,
 * until wait_us microseconds have passed. Callers loop on their own condition. */
void queue_wait_locked(struct queue *q, int64_t wait_us);

/* queue_take() with the lock held. */
struct job *queue_take_locked(struct queue *q, size_t max, size_t *n);

/* Wakes every waiter without queuing anything: state they wait on has changed. */
void queue_wake(struct queue *q);

#endif
