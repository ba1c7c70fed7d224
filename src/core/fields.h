/* Table-driven request fields (DESIGN §6): each resource describes its JSON fields once —
 * name, type, limits, where the value goes in its C struct — and fields_parse() validates a
 * request object against that table: unknown fields, wrong types, lengths in characters,
 * ranges, enum values and calendar dates are all refused with the offending field named. */
#ifndef MINGSHI_CORE_FIELDS_H
#define MINGSHI_CORE_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum field_type {
	F_TEXT, /* char[size]: min..max characters */
	F_INT,	/* int64_t: min..max */
	F_ID,	/* int64_t: a positive id; null allowed with F_NULLABLE (stored as 0) */
	F_BOOL, /* bool */
	F_DATE, /* char[11]: a real calendar date YYYY-MM-DD */
	F_ENUM, /* char[size]: one of options */
};

enum field_flag {
	F_REQUIRED = 1 << 0, /* must be present when creating */
	F_NULLABLE = 1 << 1, /* JSON null is accepted (text → "", id → 0) */
};

struct field {
	const char *name;
	enum field_type type;
	size_t offset; /* offsetof() the value in the target struct */
	size_t size;   /* buffer size for F_TEXT / F_ENUM */
	int64_t min, max;
	const char *const *options; /* F_ENUM, NULL-terminated */
	unsigned flags;
};

#define FIELD_END                                 \
	{                                         \
		NULL, F_TEXT, 0, 0, 0, 0, NULL, 0 \
	}

/* Validates obj against spec and copies each present field into out. *set gets bit i for
 * spec[i] present. With `create`, F_REQUIRED fields must be present. Returns ERR_OK or
 * ERR_INVALID with e->field naming the field. Nothing is copied for a field that fails, but
 * earlier fields may have been: callers parse into a scratch copy. */
enum err fields_parse(json_t *obj, const struct field *spec, void *out, uint64_t *set, bool create,
		      struct error *e);

/* Copies into dst the fields of src marked in set (bits of spec) — how an update applies a
 * validated patch to the stored record. When changed is not NULL, the names of the fields
 * whose value differs are appended to it (a JSON array). Returns how many differ. */
size_t fields_apply(const struct field *spec, void *dst, const void *src, uint64_t set,
		    json_t *changed);

/* The field called name in spec, or NULL. */
const struct field *fields_find(const struct field *spec, const char *name);

/* Bit of the field called name in spec (0 if none). */
uint64_t fields_bit(const struct field *spec, const char *name);

/* 1 if s is a real calendar date YYYY-MM-DD (1900–2199). */
int date_valid(const char *s);

/* 1 if s is one of options (NULL-terminated). */
int enum_valid(const char *s, const char *const *options);

#endif
