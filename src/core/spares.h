/* core/spares: freed blocks of one size kept for reuse by one thread, up to a bound.
 *
 * For hot paths that allocate and free the same kind of block at a high rate (api/chat.c's
 * jobs, net/ws.c's queue entries): malloc's work, and for big blocks the pages it gives back
 * to the kernel and faults in again, are saved. A kept block holds the list's link in its
 * first bytes, so blocks must be at least a pointer in size, and a taken block's contents are
 * undefined. Not thread-safe: each list belongs to one thread. */
#ifndef MINGSHI_CORE_SPARES_H
#define MINGSHI_CORE_SPARES_H

struct spares {
	void *head;
	int kept;
	int max; /* how many are kept at most; more are freed */
};

/* A kept block, or NULL when none is. */
void *spares_take(struct spares *s);

/* Keeps block for reuse, or frees it when max are kept already. */
void spares_put(struct spares *s, void *block);

/* Frees every kept block. */
void spares_release(struct spares *s);

#endif
