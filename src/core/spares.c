/* Freed blocks kept for reuse; see spares.h. The link is copied in and out with memcpy, since a
 * block's first bytes may hold anything. */
#include "core/spares.h"

#include <stdlib.h>
#include <string.h>

void *spares_take(struct spares *s)
{
	void *block = s->head;

	if (block) {
		memcpy(&s->head, block, sizeof(s->head));
		s->kept--;
	}
	return block;
}

void spares_put(struct spares *s, void *block)
{
	if (s->kept >= s->max) {
		free(block);
		return;
	}
	memcpy(block, &s->head, sizeof(s->head));
	s->head = block;
	s->kept++;
}

void spares_release(struct spares *s)
{
	void *block;

	while ((block = spares_take(s)))
		free(block);
}
