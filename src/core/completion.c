/* Completion queue; see completion.h. */
#include "core/completion.h"

#include <stdbool.h>
#include <stdlib.h>

void completions_init(struct completions *q)
{
	pthread_mutex_init(&q->mu, NULL);
	q->head = q->tail = NULL;
	q->wake = NULL;
	q->wake_arg = NULL;
}

void completions_destroy(struct completions *q)
{
	completions_drain(q);
	pthread_mutex_destroy(&q->mu);
}

void completions_set_wake(struct completions *q, void (*wake)(void *), void *wake_arg)
{
	bool waiting;

	pthread_mutex_lock(&q->mu);
	q->wake = wake;
	q->wake_arg = wake_arg;
	waiting = q->head != NULL;
	pthread_mutex_unlock(&q->mu);
	if (waiting && wake)
		wake(wake_arg);
}

void completions_post_list(struct completions *q, struct completion *first, struct completion *last)
{
	void (*wake)(void *) = NULL;
	void *wake_arg = NULL;

	last->next = NULL;
	pthread_mutex_lock(&q->mu);
	/* A non-empty queue has had its wake-up since the last drain emptied it: the drain to
	 * come takes this post too. */
	if (!q->head) {
		wake = q->wake;
		wake_arg = q->wake_arg;
	}
	if (q->tail)
		q->tail->next = first;
	else
		q->head = first;
	q->tail = last;
	pthread_mutex_unlock(&q->mu);
	if (wake)
		wake(wake_arg);
}

void completions_post(struct completions *q, struct completion *c)
{
	completions_post_list(q, c, c);
}

size_t completions_drain(struct completions *q)
{
	struct completion *list, *next;
	size_t n = 0;

	pthread_mutex_lock(&q->mu);
	list = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; list; list = next) {
		next = list->next;
		if (list->done)
			list->done(list->arg, list->result);
		free(list);
		n++;
	}
	return n;
}
