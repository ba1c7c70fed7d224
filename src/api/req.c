/* Response helpers for handlers; see req.h. */
#include "api/req.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"

static void set_body(struct req *r, int status, const char *ctype, char *out, size_t len)
{
	free(r->out);
	r->status = status;
	r->content_type = ctype;
	r->out = out;
	r->out_len = len;
}

void reply_json(struct req *r, int status, json_t *body)
{
	size_t len = 0;
	char *out = body ? json_dump(body, &len) : NULL;

	if (body && !out) {
		json_decref(body);
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	json_decref(body);
	set_body(r, status, "application/json; charset=utf-8", out, len);
}

void reply_json_text(struct req *r, enum err e, struct json_text *t)
{
	size_t len = 0;
	char *text = json_text_finish(t, &len);

	if (e != ERR_OK) {
		free(text);
		reply_err(r, e, NULL, NULL);
	} else if (
		!text) { /* no memory, or text that is not UTF-8: stored text is checked on entry */
		log_error("%s: the JSON body could not be written", r->path);
		reply_err(r, ERR_INTERNAL, NULL, NULL);
	} else {
		set_body(r, 200, "application/json; charset=utf-8", text, len);
	}
}

void reply_error(struct req *r, const struct error *e)
{
	json_t *body = json_error_body(e);
	size_t len = 0;
	char *out = body ? json_dump(body, &len) : NULL;

	json_decref(body);
	set_body(r, err_status(e->err), "application/json; charset=utf-8", out, len);
}

void reply_err(struct req *r, enum err code, const char *field, const char *fmt, ...)
{
	struct error e;
	va_list ap;

	error_set(&e, code, field, NULL);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(e.message, sizeof(e.message), fmt, ap);
		va_end(ap);
	}
	reply_error(r, &e);
}

void reply_text(struct req *r, int status, const char *content_type, const char *text, size_t len)
{
	char *out = malloc(len + 1);

	if (!out) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	memcpy(out, text, len);
	out[len] = '\0';
	set_body(r, status, content_type, out, len);
}

void reply_header(struct req *r, const char *name, const char *value)
{
	size_t n = strlen(r->extra_headers);

	snprintf(r->extra_headers + n, sizeof(r->extra_headers) - n, "%s: %s\r\n", name, value);
}

json_t *req_json_or_reply(struct req *r, const char *const *allowed)
{
	struct error e;
	json_t *obj = json_parse_object(r->body, r->body_len, &e);

	if (!obj) {
		reply_error(r, &e);
		return NULL;
	}
	if (allowed && json_only_fields(obj, allowed, &e) != ERR_OK) {
		json_decref(obj);
		reply_error(r, &e);
		return NULL;
	}
	return obj;
}

const char *req_query(const struct req *r, const char *key)
{
	for (size_t i = 0; i < r->nquery; i++) {
		if (!strcmp(r->query[i].key, key))
			return r->query[i].val;
	}
	return NULL;
}

void req_hold(struct req *r)
{
	r->holds++;
}

void req_release(struct req *r)
{
	if (--r->holds == 0)
		r->finish(r);
}

int req_gone(const struct req *r)
{
	return r->conn == NULL;
}
