/* What one receiving connection has seen of each publisher's sequence: every publisher numbers
 * its messages 0, 1, 2… so a receiver detects a duplicate (a number it has passed) and a
 * reordering or gap (a number ahead of the next expected) on arrival; messages lost outright are
 * found at the end by comparing counts (expected − received). */
#ifndef MSGEN_TRACK_H
#define MSGEN_TRACK_H

#include <stdint.h>

struct track {
	uint64_t *next; /* per publisher: the sequence expected next */
	uint32_t npub;
	uint64_t received; /* new messages, in order or not */
	uint64_t dups;
	uint64_t gaps; /* arrivals ahead of the expected sequence */
};

enum track_seen { TRACK_OK, TRACK_DUP, TRACK_GAP, TRACK_BAD };

/* Prepares t for npub publishers; returns -1 if out of memory. Free with track_free. */
int track_init(struct track *t, uint32_t npub);
void track_free(struct track *t);

/* Notes message seq of publisher pub. TRACK_GAP still counts the message as received (it is
 * new) but some earlier ones have not come (yet); TRACK_BAD: pub out of range. */
enum track_seen track_see(struct track *t, uint32_t pub, uint64_t seq);

#endif
