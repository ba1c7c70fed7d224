/* The way results come back to the service thread (DESIGN §4). The writer and the worker pool
 * post each finished job (a struct job, core/queue.h) here; a post to an empty queue calls
 * wake() (net/ sets it to lws_cancel_service()), and the service thread drains the whole queue
 * on LWS_CALLBACK_EVENT_WAIT_CANCELLED, running each done() there and freeing the job. A
 * wake-up per job would make the service thread (on the same core as the writer) run one
 * completion at a time: one fan-out and one write per subscriber for each message of a group
 * commit instead of one for all. */
#ifndef MINGSHI_CORE_COMPLETION_H
#define MINGSHI_CORE_COMPLETION_H

#include <stddef.h>

#include "core/queue.h"

struct completions {
	struct queue q;
	/* called, from the posting thread, by a post to an empty queue; set and read under q's
	 * lock */
	void (*wake)(void *wake_arg);
	void *wake_arg;
};

void completions_init(struct completions *c);

/* Runs what is still queued, then frees the lock. */
void completions_destroy(struct completions *c);

/* Sets (or, with NULL, clears) the wake-up. Posts made without one owe it: if the queue holds
 * any, wake is called at once, since later posts to a non-empty queue do not call it. */
void completions_set_wake(struct completions *c, void (*wake)(void *), void *wake_arg);

/* Appends the finished job j (taking ownership of the malloc'd job it heads) and wakes the
 * service thread unless a wake-up is already owed (the queue was not empty). Any thread. */
void completions_post(struct completions *c, struct job *j);

/* The same for the n jobs first..last (linked through ->next), in order, with one wake-up. */
void completions_post_list(struct completions *c, struct job *first, struct job *last, size_t n);

/* Runs and frees everything posted so far; returns how many. Service thread only. */
size_t completions_drain(struct completions *c);

#endif
