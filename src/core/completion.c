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

void completions_post_list(struct completions *q, struct completion *first,
			   struct completion *last)
{
	bool was_empty;

	last->next = NULL;
	pthread_mutex_lock(&q->mu);
	was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = first;
	else
		q->head = first;
	q->tail = last;
	pthread_mutex_unlock(&q->mu);
	/* A non-empty queue has had its wake-up since the last drain emptied it: the drain to
	 * come takes this post too. */
	if (was_empty && q->wake)
		q->wake(q->wake_arg);
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
