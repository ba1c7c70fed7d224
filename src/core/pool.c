/* Worker pool; see pool.h. */
#include "core/pool.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct pool_job {
	struct completion c; /* first: freed by completions_drain() */
	struct pool_job *next;
	pool_fn fn;
};

/* Pool jobs are slow by definition (PBKDF2 takes ~0.7 s): on a busy core the event loop must
 * win, or every socket stalls behind a sign-in. At nice 10 a hashing thread still held the core
 * for a scheduler slice whenever the loop woke (/healthz p99 under load 5-7 ms against 4-5 ms);
 * SCHED_IDLE threads give way at once and run on what the loop and the writer leave. The cost:
 * when every core is busy, sign-ins wait for the load to drop. Linux schedules per thread. */
#define POOL_NICE 10 /* the fallback where SCHED_IDLE is refused */

static void lower_priority(void)
{
	struct sched_param sp = { 0 };

	if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), POOL_NICE); /* best effort */
}

static void *pool_main(void *arg)
{
	struct pool *p = arg;
	struct pool_job *j;

	lower_priority();
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		j = p->head;
		if (!j) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->depth--;
		atomic_store(&p->metrics->pool_queue_depth, (int_fast64_t)p->depth);
		pthread_mutex_unlock(&p->mu);
		j->c.result = j->fn(j->c.arg);
		atomic_fetch_sub(&p->pending, 1);
		completions_post(p->completions, &j->c);
	}
}

int pool_start(struct pool *p, size_t n, struct completions *c, struct metrics *m)
{
	memset(p, 0, sizeof(*p));
	if (n < 1)
		n = 1;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->completions = c;
	p->metrics = m;
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, pool_main, p) != 0) {
			pool_stop(p);
			pool_destroy(p);
			return -1;
		}
		p->nthreads++;
	}
	return 0;
}

enum err pool_submit(struct pool *p, pool_fn fn, done_fn done, void *arg)
{
	struct pool_job *j = calloc(1, sizeof(*j));

	if (!j)
		return ERR_NOMEM;
	j->fn = fn;
	j->c.done = done;
	j->c.arg = arg;
	pthread_mutex_lock(&p->mu);
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		free(j);
		return ERR_UNAVAILABLE;
	}
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->depth++;
	atomic_fetch_add(&p->pending, 1);
	atomic_store(&p->metrics->pool_queue_depth, (int_fast64_t)p->depth);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return ERR_OK;
}

void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

void pool_destroy(struct pool *p)
{
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}
