/* Completion queue; see completion.h. */
#include "core/completion.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/thread.h"

void completions_init(struct completions *c)
{
	queue_init(&c->q, NULL);
	c->wake = NULL;
	c->wake_arg = NULL;
}

void completions_destroy(struct completions *c)
{
	completions_drain(c);
	queue_destroy(&c->q);
}

void completions_set_wake(struct completions *c, void (*wake)(void *), void *wake_arg)
{
	bool waiting;

	queue_lock(&c->q);
	c->wake = wake;
	c->wake_arg = wake_arg;
	waiting = c->q.head != NULL;
	queue_unlock(&c->q);
	if (waiting && wake)
		wake(wake_arg);
}

void completions_post_list(struct completions *c, struct job *first, struct job *last, size_t n)
{
	void (*wake)(void *);
	void *wake_arg;
	bool was_empty = false;

	/* The completion queue is never closed: a finished job always has somewhere to go. */
	if (queue_put(&c->q, first, last, n, &was_empty) != ERR_OK)
		abort();
	/* A non-empty queue has had its wake-up since the last drain emptied it: the drain to
	 * come takes this post too. */
	if (!was_empty)
		return;
	queue_lock(&c->q);
	wake = c->wake;
	wake_arg = c->wake_arg;
	queue_unlock(&c->q);
	if (wake)
		wake(wake_arg);
}

void completions_post(struct completions *c, struct job *j)
{
	completions_post_list(c, j, j, 1);
}

size_t completions_drain(struct completions *c)
{
	struct job *list = queue_take(&c->q, SIZE_MAX, NULL), *next;
	size_t n = 0;

	assert(thread_is(THREAD_SERVICE));
	for (; list; list = next) {
		next = list->next;
		if (list->done)
			list->done(list->arg, list->result);
		free(list);
		n++;
	}
	return n;
}
