/* Completion queue; see completion.h. */
#include "core/completion.h"

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

void completions_post(struct completions *q, struct completion *c)
{
	c->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	pthread_mutex_unlock(&q->mu);
	if (q->wake)
		q->wake(q->wake_arg);
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
