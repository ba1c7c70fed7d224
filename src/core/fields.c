/* Field tables: requests (parsing and applying patches); see fields.h. The SQL a table
 * derives is in fields_sql.c, its JSON views in fields_json.c. */
#include "core/fields.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

int date_valid(const char *s)
{
	static const int DAYS[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, n = 0;

	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return 0;
	for (int i = 0; i < 10; i++) {
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	}
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return 0;
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return d <= 29;
	return d <= DAYS[m - 1];
}

int enum_valid(const char *s, const char *const *options)
{
	for (size_t i = 0; s && options[i]; i++) {
		if (!strcmp(s, options[i]))
			return 1;
	}
	return 0;
}

int fields_code_of(const char *const *options, const char *s)
{
	for (int i = 0; s && s[0] && options[i]; i++) {
		if (!strcmp(s, options[i]))
			return i;
	}
	return -1;
}

const char *fields_code_text(const char *const *options, int code)
{
	for (int i = 0; code >= 0 && options[i]; i++) {
		if (i == code)
			return options[i];
	}
	return "";
}

/* Text compares up to its NUL: the bytes after it are not part of the value. */
bool fields_equal(const struct field *f, const void *a, const void *b)
{
	const char *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;

	if (f->type == F_TEXT || f->type == F_ENUM || f->type == F_DATE)
		return strcmp(x, y) == 0;
	return memcmp(x, y, f->size) == 0;
}

size_t fields_apply(const struct field *spec, void *dst, const void *src, uint64_t set,
		    json_t *changed)
{
	size_t n = 0;

	for (size_t i = 0; spec[i].name; i++) {
		if (!(set & ((uint64_t)1 << i)))
			continue;
		if (!fields_equal(&spec[i], dst, src)) {
			n++;
			if (changed)
				json_array_append_new(changed, json_string(spec[i].name));
		}
		memcpy((char *)dst + spec[i].offset, (const char *)src + spec[i].offset,
		       spec[i].size);
	}
	return n;
}

const struct field *fields_find(const struct field *spec, const char *name)
{
	for (size_t i = 0; spec[i].name; i++) {
		if (!strcmp(spec[i].name, name))
			return &spec[i];
	}
	return NULL;
}

uint64_t fields_bit(const struct field *spec, const char *name)
{
	for (size_t i = 0; spec[i].name; i++) {
		if (!strcmp(spec[i].name, name))
			return (uint64_t)1 << i;
	}
	return 0;
}

/* The field requests may set called name. */
static const struct field *find(const struct field *spec, const char *name, size_t *index)
{
	for (size_t i = 0; spec[i].name; i++) {
		if ((spec[i].flags & F_IN) && !strcmp(spec[i].name, name)) {
			*index = i;
			return &spec[i];
		}
	}
	return NULL;
}

static enum err parse_text(const struct field *f, json_t *v, char *dst, struct error *e)
{
	const char *s;

	if (json_get_string_value(v, f->name, (size_t)f->min, (size_t)f->max, &s, e) != ERR_OK)
		return e->err;
	if (strlen(s) >= f->size)
		return error_set(e, ERR_INVALID, f->name, "%s is too long", f->name);
	memcpy(dst, s, strlen(s) + 1);
	return ERR_OK;
}

static enum err parse_int(const struct field *f, json_t *v, int64_t *dst, struct error *e)
{
	if (!json_is_integer(v))
		return error_set(e, ERR_INVALID, f->name, "%s must be an integer", f->name);
	if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
		return error_set(e, ERR_INVALID, f->name, "%s must be between %lld and %lld",
				 f->name, (long long)f->min, (long long)f->max);
	*dst = json_integer_value(v);
	return ERR_OK;
}

/* An F_CODE: the index of v's text among the non-empty options, into an int-sized enum. */
static enum err parse_code(const struct field *f, json_t *v, char *dst, struct error *e)
{
	int code = json_is_string(v) ? fields_code_of(f->options, json_string_value(v)) : -1;

	assert(f->size == sizeof(int));
	if (code < 0)
		return error_set(e, ERR_INVALID, f->name, "%s is not one of the allowed values",
				 f->name);
	memcpy(dst, &code, sizeof(code));
	return ERR_OK;
}

void fields_clear(const struct field *f, void *rec)
{
	char *dst = (char *)rec + f->offset;

	if (f->type == F_ID || f->type == F_INT)
		*(int64_t *)(void *)dst = 0;
	else if (f->type == F_BOOL)
		*(bool *)(void *)dst = false;
	else if (f->type == F_CODE || f->type == F_JSON)
		memset(dst, 0, f->size); /* 0; a null pointer */
	else
		dst[0] = '\0';
}

static enum err parse_one(const struct field *f, json_t *v, char *base, struct error *e)
{
	char *dst = base + f->offset;

	if (json_is_null(v)) {
		if (!(f->flags & F_NULLABLE))
			return error_set(e, ERR_INVALID, f->name, "%s may not be null", f->name);
		fields_clear(f, base);
		return ERR_OK;
	}
	switch (f->type) {
	case F_TEXT:
		return parse_text(f, v, dst, e);
	case F_INT:
		return parse_int(f, v, (int64_t *)(void *)dst, e);
	case F_ID: {
		struct field idf = *f;

		idf.min = 1;
		idf.max = (int64_t)1 << 53;
		return parse_int(&idf, v, (int64_t *)(void *)dst, e);
	}
	case F_BOOL:
		if (!json_is_boolean(v))
			return error_set(e, ERR_INVALID, f->name, "%s must be true or false",
					 f->name);
		*(bool *)(void *)dst = json_is_true(v);
		return ERR_OK;
	case F_DATE:
		if (!json_is_string(v) || !date_valid(json_string_value(v)))
			return error_set(e, ERR_INVALID, f->name, "%s must be a date YYYY-MM-DD",
					 f->name);
		memcpy(dst, json_string_value(v), 11);
		return ERR_OK;
	case F_ENUM:
		if (!json_is_string(v) || !enum_valid(json_string_value(v), f->options) ||
		    json_string_length(v) >= f->size)
			return error_set(e, ERR_INVALID, f->name,
					 "%s is not one of the allowed values", f->name);
		memcpy(dst, json_string_value(v), json_string_length(v) + 1);
		return ERR_OK;
	case F_CODE:
		return parse_code(f, v, dst, e);
	case F_JSON:
		break; /* never F_IN */
	}
	return error_set(e, ERR_INTERNAL, f->name, NULL);
}

enum err fields_parse(json_t *obj, const struct field *spec, void *out, uint64_t *set, bool create,
		      struct error *e)
{
	const char *key;
	json_t *v;
	size_t i;

	*set = 0;
	json_object_foreach (obj, key, v) {
		const struct field *f = find(spec, key, &i);

		if (!f)
			return error_set(e, ERR_INVALID, key, "unknown field '%.40s'", key);
		if (parse_one(f, v, out, e) != ERR_OK)
			return e->err;
		*set |= (uint64_t)1 << i;
	}
	for (i = 0; create && spec[i].name; i++) {
		if ((spec[i].flags & F_REQUIRED) && !(*set & ((uint64_t)1 << i)))
			return error_set(e, ERR_INVALID, spec[i].name, "%s is required",
					 spec[i].name);
	}
	return ERR_OK;
}
