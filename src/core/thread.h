/* Which of the three kinds of thread of DESIGN §4 is running: the service thread (every lws
 * object, the read-only connection), the writer (the read-write connection) or a worker of the
 * pool. Each thread names itself once when it starts; assert(thread_is(…)) then guards the
 * functions that belong to one kind, in the ASan build (release builds define NDEBUG). A
 * thread that never named itself — a unit test, a command-line tool running batches on its
 * own thread — passes every such check. */
#ifndef MINGSHI_CORE_THREAD_H
#define MINGSHI_CORE_THREAD_H

#include <stdbool.h>

enum thread_kind { THREAD_ANY = 0, THREAD_SERVICE, THREAD_WRITER, THREAD_POOL };

/* Names the calling thread. */
void thread_set(enum thread_kind k);

/* Whether the calling thread is of kind k (or never named itself). */
bool thread_is(enum thread_kind k);

#endif
