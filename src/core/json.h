/* JSON helpers on jansson for request validation (DESIGN §6: unknown fields rejected, each
 * error names its field) and response bodies. Never a hand-written parser; the one
 * hand-written piece is json_dump()'s writer, tested byte for byte against jansson. */
#ifndef MINGSHI_CORE_JSON_H
#define MINGSHI_CORE_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Parses a request body that must be one JSON object. Invalid JSON (including invalid UTF-8
 * and duplicate keys) → ERR_INVALID_JSON; anything but an object → ERR_INVALID. Returns a new
 * reference (caller json_decref()s) or NULL with *e filled. */
json_t *json_parse_object(const char *body, size_t len, struct error *e);

/* ERR_INVALID naming the first key of obj not in the NULL-terminated list `allowed`. */
enum err json_only_fields(json_t *obj, const char *const *allowed, struct error *e);

/* A string field of min..max characters (Unicode code points). Missing: ERR_INVALID when
 * required, else *out = NULL and ERR_OK. Also refuses NUL bytes and control characters other
 * than tab/newline. *out is borrowed from obj. */
enum err json_get_string(json_t *obj, const char *key, bool required, size_t min, size_t max,
			 const char **out, struct error *e);

/* The string value v (named `name` in errors) under the same rules as json_get_string(). */
enum err json_get_string_value(json_t *v, const char *name, size_t min, size_t max,
			       const char **out, struct error *e);

/* An integer field in lo..hi (a JSON number with a fraction or a string is refused). Missing:
 * ERR_INVALID when required, else *present = false (present may be NULL when required). */
enum err json_get_int(json_t *obj, const char *key, bool required, json_int_t lo, json_int_t hi,
		      json_int_t *out, bool *present, struct error *e);

/* Number of code points of a valid UTF-8 string. */
size_t utf8_chars(const char *s);

/* 1 if s (of n bytes) is valid UTF-8 without overlongs or surrogates. */
int utf8_valid(const char *s, size_t n);

/* `{"error":{"code":…,"message":…,"field":…}}` (field only when set). New reference. */
json_t *json_error_body(const struct error *e);

/* Compact UTF-8 serialisation of an object or array: byte for byte what
 * json_dumps(v, JSON_COMPACT) writes, ~3.5x faster (NULL where jansson fails too: invalid
 * UTF-8 in a string, a scalar at the top). Returns malloc'd text (caller frees) and its
 * length. Steals nothing: v keeps its reference. */
char *json_dump(const json_t *v, size_t *len);

/* JSON text written directly, for the few hot documents where building a jansson tree first
 * costs more than the rest of the request (a history page: ~30 allocations per message).
 * Start from a zeroed struct; each call appends. After a failure (no memory, invalid UTF-8)
 * the calls do nothing and json_text_finish() returns NULL. The writer is json_dump()'s, so a
 * document written here can be checked byte for byte against jansson's (test_views does). */
struct json_text {
	char *p;
	size_t len, cap;
	bool failed;
};

/* s as it is: punctuation and literal keys ("{\"id\":"). */
void json_text_raw(struct json_text *t, const char *s);

/* The n bytes at s as they are: a literal whose length is known (core/fields keeps the text
 * between the values of a view so). */
void json_text_append(struct json_text *t, const char *s, size_t n);

/* s as a JSON string literal, escaped as jansson escapes it. */
void json_text_string(struct json_text *t, const char *s);

void json_text_int(struct json_text *t, json_int_t v);

void json_text_bool(struct json_text *t, bool v);

/* v as json_dump() writes it, a scalar too. Borrows v. */
void json_text_value(struct json_text *t, const json_t *v);

/* The NUL-terminated text (malloc'd, caller frees) and its length, or NULL after a failure
 * (the buffer freed). Either way t is reset, ready for another document. */
char *json_text_finish(struct json_text *t, size_t *len);

#endif
