/* The job queue; see queue.h. */
#include "core/queue.h"

#include <assert.h>
#include <time.h>

#ifndef NDEBUG
/* Whether first..last is a list of n jobs (the caller counted them). */
static bool list_has(const struct job *first, const struct job *last, size_t n)
{
	size_t k = 1;

	for (; first != last; first = first->next) {
		if (!first->next)
			return false;
		k++;
	}
	return k == n;
}
#endif

static void set_depth(struct queue *q, size_t depth)
{
	q->depth = depth;
	if (q->gauge)
		atomic_store(q->gauge, (int_fast64_t)depth);
}

void queue_init(struct queue *q, atomic_int_fast64_t *gauge)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&q->mu, NULL);
	/* timed waits measure a span, so they follow the monotonic clock, not the wall's */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	q->head = q->tail = NULL;
	q->closed = false;
	q->gauge = gauge;
	set_depth(q, 0);
}

void queue_destroy(struct queue *q)
{
	assert(!q->head && q->depth == 0);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

enum err queue_put(struct queue *q, struct job *first, struct job *last, size_t n, bool *was_empty)
{
	assert(n > 0 && list_has(first, last, n));
	last->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return ERR_UNAVAILABLE;
	}
	if (was_empty)
		*was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = first;
	else
		q->head = first;
	q->tail = last;
	set_depth(q, q->depth + n);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return ERR_OK;
}

void queue_put_front(struct queue *q, struct job *first, struct job *last, size_t n)
{
	assert(n > 0 && list_has(first, last, n));
	pthread_mutex_lock(&q->mu);
	last->next = q->head;
	q->head = first;
	if (!q->tail)
		q->tail = last;
	set_depth(q, q->depth + n);
	pthread_mutex_unlock(&q->mu);
}

struct job *queue_take_locked(struct queue *q, size_t max, size_t *n)
{
	struct job *first = q->head, *last = q->head;
	size_t k = 1;

	if (n)
		*n = 0;
	if (!first || max == 0)
		return NULL;
	while (last->next && k < max) {
		last = last->next;
		k++;
	}
	q->head = last->next;
	if (!q->head)
		q->tail = NULL;
	last->next = NULL;
	assert(q->depth >= k);
	set_depth(q, q->depth - k);
	assert((q->head == NULL) == (q->depth == 0));
	if (n)
		*n = k;
	return first;
}

struct job *queue_take(struct queue *q, size_t max, size_t *n)
{
	struct job *list;

	pthread_mutex_lock(&q->mu);
	list = queue_take_locked(q, max, n);
	pthread_mutex_unlock(&q->mu);
	return list;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void queue_lock(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
}

void queue_unlock(struct queue *q)
{
	pthread_mutex_unlock(&q->mu);
}

void queue_wait_locked(struct queue *q, int64_t wait_us)
{
	struct timespec until;

	if (wait_us < 0) {
		pthread_cond_wait(&q->cv, &q->mu);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(wait_us / 1000000);
	until.tv_nsec += (long)(wait_us % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&q->cv, &q->mu, &until);
}

void queue_wake(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}
