/* Per-receiver sequence tracking; see track.h. */
#include "track.h"

#include <stdlib.h>

int track_init(struct track *t, uint32_t npub)
{
	t->next = calloc(npub ? npub : 1, sizeof(*t->next));
	t->npub = npub;
	t->received = t->dups = t->gaps = 0;
	return t->next ? 0 : -1;
}

void track_free(struct track *t)
{
	free(t->next);
	t->next = NULL;
}

enum track_seen track_see(struct track *t, uint32_t pub, uint64_t seq)
{
	if (pub >= t->npub)
		return TRACK_BAD;
	if (seq < t->next[pub]) {
		t->dups++;
		return TRACK_DUP;
	}
	t->received++;
	if (seq > t->next[pub]) {
		t->gaps++;
		t->next[pub] = seq + 1;
		return TRACK_GAP;
	}
	t->next[pub] = seq + 1;
	return TRACK_OK;
}
