/* Worker pool; see pool.h. */
#include "core/pool.h"

#include <assert.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/thread.h"

struct pool_job {
	struct job j; /* first: freed by completions_drain() */
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

/* The next job, waiting for one; NULL once the pool stops and its queue is empty. */
static struct pool_job *next_job(struct pool *p)
{
	struct job *j;

	queue_lock(&p->q);
	while (!(j = queue_take_locked(&p->q, 1, NULL)) && !p->q.closed)
		queue_wait_locked(&p->q, -1);
	queue_unlock(&p->q);
	return (struct pool_job *)j;
}

static void *pool_main(void *arg)
{
	struct pool *p = arg;
	struct pool_job *pj;

	thread_set(THREAD_POOL);
	lower_priority();
	while ((pj = next_job(p))) {
		pj->j.result = pj->fn(pj->j.arg);
		assert(atomic_load(&p->pending) > 0);
		atomic_fetch_sub(&p->pending, 1);
		completions_post(p->completions, &pj->j);
	}
	return NULL;
}

int pool_start(struct pool *p, size_t n, struct completions *c, struct metrics *m)
{
	memset(p, 0, sizeof(*p));
	if (n < 1)
		n = 1;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	queue_init(&p->q, &m->pool_queue_depth);
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
	struct pool_job *pj = calloc(1, sizeof(*pj));

	if (!pj)
		return ERR_NOMEM;
	pj->fn = fn;
	pj->j.done = done;
	pj->j.arg = arg;
	atomic_fetch_add(&p->pending, 1);
	if (queue_put(&p->q, &pj->j, &pj->j, 1, NULL) != ERR_OK) {
		atomic_fetch_sub(&p->pending, 1);
		free(pj);
		return ERR_UNAVAILABLE;
	}
	return ERR_OK;
}

void pool_stop(struct pool *p)
{
	queue_close(&p->q);
	for (size_t i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

void pool_destroy(struct pool *p)
{
	queue_destroy(&p->q);
}
