/* JSON helpers; see json.h. */
#include "core/json.h"

#include <stdint.h>
#include <stdlib.h>
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

/* ---- serialisation --------------------------------------------------------------------- */

/* jansson's json_dumps() walks every string one code point at a time, hands each run to a
 * callback and formats every integer with snprintf: ~180 us for a 17 KB history page, a
 * quarter of the request. This writer walks the same tree through jansson's accessors and
 * writes the same bytes as json_dumps(v, JSON_COMPACT) — test_json compares the two on fixed
 * and random documents — scanning strings a byte at a time. Like jansson it refuses invalid
 * UTF-8 and a top level that is not an object or array; reals (rare here) go through jansson
 * itself so their formatting cannot drift. Trees deeper than JSON_DUMP_MAX_DEPTH are refused
 * (jansson would follow them; ours are a few levels deep). */
#define JSON_DUMP_MAX_DEPTH 64

static bool out_reserve(struct json_text *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 1024;
	char *p;

	if (n > SIZE_MAX / 2 - o->len)
		return false;
	if (o->len + n <= o->cap)
		return true;
	while (cap < o->len + n)
		cap *= 2;
	p = realloc(o->p, cap);
	if (!p)
		return false;
	o->p = p;
	o->cap = cap;
	return true;
}

static bool out_put(struct json_text *o, const char *s, size_t n)
{
	if (!out_reserve(o, n))
		return false;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return true;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80, n bytes left), or 0: the rules
 * of jansson's utf8_iterate (no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string literal; false on invalid UTF-8 or no memory. Room for the worst case (every
 * byte a \u00XX) is taken first, so the loop itself writes unchecked. */
static bool dump_string(struct json_text *o, const char *str, size_t n)
{
	static const char HEX[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	char *w;
	size_t i = 0;

	if (n > SIZE_MAX / 8 || !out_reserve(o, 6 * n + 2))
		return false;
	w = o->p + o->len;
	*w++ = '"';
	while (i < n) {
		unsigned char ch = s[i];

		if (ch >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);

			if (!k)
				return false;
			memcpy(w, s + i, k);
			w += k;
			i += k;
			continue;
		}
		i++;
		if (ch >= 0x20 && ch != '"' && ch != '\\') {
			*w++ = (char)ch;
			continue;
		}
		*w++ = '\\';
		switch (ch) {
		case '"':
		case '\\':
			*w++ = (char)ch;
			break;
		case '\b':
			*w++ = 'b';
			break;
		case '\f':
			*w++ = 'f';
			break;
		case '\n':
			*w++ = 'n';
			break;
		case '\r':
			*w++ = 'r';
			break;
		case '\t':
			*w++ = 't';
			break;
		default:
			memcpy(w, "u00", 3);
			w[3] = HEX[ch >> 4];
			w[4] = HEX[ch & 15];
			w += 5;
		}
	}
	*w++ = '"';
	o->len = (size_t)(w - o->p);
	return true;
}

static bool dump_integer(struct json_text *o, json_int_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	/* through unsigned, so that the most negative value negates without overflow */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return out_put(o, p, (size_t)(buf + sizeof(buf) - p));
}

static bool dump_real(struct json_text *o, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	bool ok = s && out_put(o, s, strlen(s));

	free(s);
	return ok;
}

static bool dump_value(struct json_text *o, const json_t *v, int depth);

static bool dump_object(struct json_text *o, const json_t *v, int depth)
{
	void *it = json_object_iter((json_t *)v);
	bool first = true;

	if (!out_put(o, "{", 1))
		return false;
	for (; it; it = json_object_iter_next((json_t *)v, it), first = false) {
		if ((!first && !out_put(o, ",", 1)) ||
		    !dump_string(o, json_object_iter_key(it), json_object_iter_key_len(it)) ||
		    !out_put(o, ":", 1) || !dump_value(o, json_object_iter_value(it), depth + 1))
			return false;
	}
	return out_put(o, "}", 1);
}

static bool dump_array(struct json_text *o, const json_t *v, int depth)
{
	size_t n = json_array_size(v);

	if (!out_put(o, "[", 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((i && !out_put(o, ",", 1)) || !dump_value(o, json_array_get(v, i), depth + 1))
			return false;
	}
	return out_put(o, "]", 1);
}

static bool dump_value(struct json_text *o, const json_t *v, int depth)
{
	if (depth > JSON_DUMP_MAX_DEPTH)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return dump_object(o, v, depth);
	case JSON_ARRAY:
		return dump_array(o, v, depth);
	case JSON_STRING:
		return dump_string(o, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return dump_integer(o, json_integer_value(v));
	case JSON_REAL:
		return dump_real(o, v);
	case JSON_TRUE:
		return out_put(o, "true", 4);
	case JSON_FALSE:
		return out_put(o, "false", 5);
	case JSON_NULL:
		return out_put(o, "null", 4);
	}
	return false;
}

void json_text_raw(struct json_text *t, const char *s)
{
	t->failed = t->failed || !out_put(t, s, strlen(s));
}

void json_text_append(struct json_text *t, const char *s, size_t n)
{
	t->failed = t->failed || !out_put(t, s, n);
}

void json_text_string(struct json_text *t, const char *s)
{
	t->failed = t->failed || !dump_string(t, s, strlen(s));
}

void json_text_int(struct json_text *t, json_int_t v)
{
	t->failed = t->failed || !dump_integer(t, v);
}

void json_text_bool(struct json_text *t, bool v)
{
	json_text_raw(t, v ? "true" : "false");
}

void json_text_value(struct json_text *t, const json_t *v)
{
	t->failed = t->failed || !v || !dump_value(t, v, 0);
}

char *json_text_finish(struct json_text *t, size_t *len)
{
	char *text = NULL;

	if (!t->failed && out_put(t, "", 1)) {
		text = t->p;
		if (len)
			*len = t->len - 1;
	} else {
		free(t->p);
	}
	*t = (struct json_text){ 0 };
	return text;
}

char *json_dump(const json_t *v, size_t *len)
{
	struct json_text o = { 0 };

	o.failed = !v || (!json_is_object(v) && !json_is_array(v)) || !dump_value(&o, v, 0);
	return json_text_finish(&o, len);
}
