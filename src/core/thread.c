/* Thread kinds; see thread.h. */
#include "core/thread.h"

static _Thread_local enum thread_kind current = THREAD_ANY;

void thread_set(enum thread_kind k)
{
	current = k;
}

bool thread_is(enum thread_kind k)
{
	return current == THREAD_ANY || current == k;
}
