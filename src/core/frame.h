/* A serialised message shared by every queue it is sent from (DESIGN §4: a message is
 * serialised once for all subscribers). Reference-counted, with FRAME_PRE bytes of headroom
 * before the text, where the transport writes its framing without copying the text again
 * (lws wants LWS_PRE there; net/ws.c checks that FRAME_PRE is enough). Service thread only:
 * the count is not atomic. */
#ifndef MINGSHI_CORE_FRAME_H
#define MINGSHI_CORE_FRAME_H

#include <assert.h>
#include <jansson.h>
#include <stddef.h>

#include "core/thread.h"

#define FRAME_PRE 16

struct frame {
	unsigned refs;
	size_t len;	      /* of the text, after the headroom */
	unsigned char data[]; /* FRAME_PRE + len bytes */
};

/* A new frame holding a copy of the n bytes at text, with one reference (the caller's).
 * NULL when text is NULL or memory runs out. */
struct frame *frame_text(const char *text, size_t n);

/* A new frame of v serialised as compact JSON (json_dump), one reference. NULL on failure. */
struct frame *frame_json(const json_t *v);

/* The frame's text (not NUL-terminated; f->len bytes). */
static inline const char *frame_body(const struct frame *f)
{
	return (const char *)f->data + FRAME_PRE;
}

/* Frees f (its last reference is gone). */
void frame_free(struct frame *f);

/* Takes one more reference to f. Inline: fan-out takes and drops one per subscriber. */
static inline void frame_ref(struct frame *f)
{
	assert(f->refs > 0 && thread_is(THREAD_SERVICE));
	f->refs++;
}

/* Drops one reference to f (NULL is ignored); the last frees it. */
static inline void frame_unref(struct frame *f)
{
	if (!f)
		return;
	assert(f->refs > 0 && thread_is(THREAD_SERVICE));
	if (--f->refs == 0)
		frame_free(f);
}

#endif
