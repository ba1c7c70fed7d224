/* The way results come back to the service thread (DESIGN §4). The writer and the worker pool
 * post a finished job here, which calls wake() (net/ sets it to lws_cancel_service()) when the
 * queue was empty; the service thread drains the whole queue on
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED and runs each done() there. A wake-up per job would make the
 * service thread (on the same core as the writer) run one completion at a time: one fan-out
 * and one write per subscriber for each message of a group commit instead of one for all.
 * struct completion is the first member of every job struct, so draining frees the whole job. */
#ifndef MINGSHI_CORE_COMPLETION_H
#define MINGSHI_CORE_COMPLETION_H

#include <pthread.h>
#include <stddef.h>

#include "core/err.h"

/* Runs on the service thread with the job's result. `arg` is the caller's, unchanged. */
typedef void (*done_fn)(void *arg, enum err result);

struct completion {
	struct completion *next;
	done_fn done; /* NULL: nothing to report, just free the job */
	void *arg;
	enum err result;
};

struct completions {
	pthread_mutex_t mu;
	struct completion *head, *tail;
	void (*wake)(void *wake_arg); /* called by a post to an empty queue, from its thread */
	void *wake_arg;
};

void completions_init(struct completions *q);
void completions_destroy(struct completions *q);

/* Sets (or, with NULL, clears) the wake-up. Posts made without one owe it: if the queue holds
 * any, wake is called at once, since later posts to a non-empty queue do not call it. */
void completions_set_wake(struct completions *q, void (*wake)(void *), void *wake_arg);

/* Appends c (taking ownership of the malloc'd job it heads) and wakes the service thread
 * unless a wake-up is already owed (the queue was not empty). Any thread. */
void completions_post(struct completions *q, struct completion *c);

/* The same for the list first..last (linked through ->next), in order, with one wake-up. */
void completions_post_list(struct completions *q, struct completion *first,
			   struct completion *last);

/* Runs and frees everything posted so far; returns how many. Service thread only. */
size_t completions_drain(struct completions *q);

#endif
