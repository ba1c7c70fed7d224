/* Shared frames; see frame.h. */
#include "core/frame.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"

struct frame *frame_text(const char *text, size_t n)
{
	struct frame *f = text ? malloc(sizeof(*f) + FRAME_PRE + n) : NULL;

	if (f) {
		f->refs = 1;
		f->len = n;
		memcpy(f->data + FRAME_PRE, text, n);
	}
	return f;
}

struct frame *frame_json(const json_t *v)
{
	size_t n = 0;
	char *text = json_dump(v, &n);
	struct frame *f = frame_text(text, n);

	free(text);
	return f;
}

void frame_free(struct frame *f)
{
	free(f);
}
