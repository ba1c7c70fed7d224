/* JSON helpers; see json.h. */
#include "core/json.h"

#include <stdint.h>
#include <string.h>

json_t *json_parse_object(const char *body, size_t len, struct error *e)
{
	json_error_t je;
	json_t *v;

	if (!body || len == 0) {
		error_set(e, ERR_INVALID_JSON, NULL,
			  "the request body is empty; send a JSON object");
		return NULL;
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		error_set(e, ERR_INVALID_JSON, NULL, "invalid JSON at line %d column %d: %s",
			  je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		error_set(e, ERR_INVALID, NULL, "the request body must be a JSON object");
		return NULL;
	}
	return v;
}

enum err json_only_fields(json_t *obj, const char *const *allowed, struct error *e)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		size_t i = 0;

		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (!allowed[i])
			return error_set(e, ERR_INVALID, key, "unknown field '%.40s'", key);
	}
	return ERR_OK;
}

static int has_bad_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			return 1;
	}
	return 0;
}

enum err json_get_string_value(json_t *v, const char *name, size_t min, size_t max,
			       const char **out, struct error *e)
{
	size_t chars;

	*out = NULL;
	if (!json_is_string(v))
		return error_set(e, ERR_INVALID, name, "%s must be a string", name);
	if (has_bad_controls(json_string_value(v), json_string_length(v)))
		return error_set(e, ERR_INVALID, name, "%s contains control characters", name);
	chars = utf8_chars(json_string_value(v));
	if (chars < min || chars > max)
		return error_set(e, ERR_INVALID, name, "%s must be %zu to %zu characters", name,
				 min, max);
	*out = json_string_value(v);
	return ERR_OK;
}

enum err json_get_string(json_t *obj, const char *key, bool required, size_t min, size_t max,
			 const char **out, struct error *e)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return error_set(e, ERR_INVALID, key, "%s is required", key);
		return ERR_OK;
	}
	return json_get_string_value(v, key, min, max, out, e);
}

enum err json_get_int(json_t *obj, const char *key, bool required, json_int_t lo, json_int_t hi,
		      json_int_t *out, bool *present, struct error *e)
{
	json_t *v = json_object_get(obj, key);

	if (present)
		*present = false;
	if (!v || json_is_null(v)) {
		if (required)
			return error_set(e, ERR_INVALID, key, "%s is required", key);
		return ERR_OK;
	}
	if (!json_is_integer(v))
		return error_set(e, ERR_INVALID, key, "%s must be an integer", key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return error_set(e, ERR_INVALID, key, "%s must be between %lld and %lld", key,
				 (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	if (present)
		*present = true;
	return ERR_OK;
}

size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	}
	return n;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		uint32_t cp;
		int extra;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0) {
			cp = *p & 0x1F;
			extra = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			cp = *p & 0x0F;
			extra = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return 0;
		}
		if (end - p <= extra)
			return 0;
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
		    (extra == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += extra + 1;
	}
	return 1;
}

/* Messages may quote request text cut at a byte limit: drop a trailing partial character. */
static json_t *safe_string(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && !utf8_valid(s, n))
		n--;
	return json_stringn(s, n);
}

json_t *json_error_body(const struct error *e)
{
	json_t *inner = json_object();

	json_object_set_new(inner, "code", json_string(err_code(e)));
	json_object_set_new(inner, "message",
			    safe_string(e->message[0] ? e->message : err_default_message(e->err)));
	if (e->field[0])
		json_object_set_new(inner, "field", safe_string(e->field));
	return json_pack("{s:o}", "error", inner);
}

char *json_dump(const json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (s && len)
		*len = strlen(s);
	return s;
}
