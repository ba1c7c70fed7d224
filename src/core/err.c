/* The single mapping from enum err to HTTP status and error code (STYLE 3). */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	int status;
	const char *code;    /* JSON error bodies */
	const char *ws_code; /* WebSocket error frames (DESIGN §7) */
	const char *message;
};

static const struct err_row ERR_TABLE[ERR__COUNT] = {
	[ERR_OK] = { 200, "ok", "ok", "ok" },
	[ERR_INVALID_JSON] = { 400, "invalid_json", "invalid",
			       "the request body is not valid JSON" },
	[ERR_INVALID] = { 400, "validation_failed", "invalid", "a field is missing or invalid" },
	[ERR_UNAUTHENTICATED] = { 401, "unauthenticated", "forbidden", "sign in first" },
	[ERR_FORBIDDEN] = { 403, "forbidden", "forbidden", "you may not do this" },
	[ERR_CSRF] = { 403, "csrf", "forbidden", "missing or wrong X-CSRF-Token" },
	[ERR_NOT_FOUND] = { 404, "not_found", "not_found", "no such resource" },
	[ERR_METHOD] = { 405, "method_not_allowed", "invalid",
			 "method not allowed on this resource" },
	[ERR_CONFLICT] = { 409, "conflict", "invalid",
			   "the request conflicts with the current state" },
	[ERR_TOO_LARGE] = { 413, "too_large", "invalid", "the request body is larger than 1 MiB" },
	[ERR_MEDIA_TYPE] = { 415, "unsupported_media_type", "invalid",
			     "send Content-Type: application/json" },
	[ERR_RATE_LIMITED] = { 429, "rate_limited", "rate_limited",
			       "too many requests; try again later" },
	[ERR_INTERNAL] = { 500, "internal", "internal", "internal error" },
	[ERR_NOMEM] = { 500, "internal", "internal", "internal error (out of memory)" },
	[ERR_DB] = { 500, "internal", "internal", "internal error (database)" },
	[ERR_UNAVAILABLE] = { 503, "unavailable", "unavailable",
			      "the service is unavailable; try again later" },
};

int err_status(enum err e)
{
	if (e < 0 || e >= ERR__COUNT)
		return 500;
	return ERR_TABLE[e].status;
}

const char *err_code(const struct error *e)
{
	if (e->code)
		return e->code;
	if (e->err < 0 || e->err >= ERR__COUNT)
		return "internal";
	return ERR_TABLE[e->err].code;
}

const char *err_ws_code(const struct error *e)
{
	if (e->code)
		return e->code;
	if (e->err < 0 || e->err >= ERR__COUNT)
		return "internal";
	return ERR_TABLE[e->err].ws_code;
}

const char *err_default_message(enum err e)
{
	if (e < 0 || e >= ERR__COUNT)
		return "internal error";
	return ERR_TABLE[e].message;
}

enum err error_set(struct error *out, enum err e, const char *field, const char *fmt, ...)
{
	va_list ap;

	out->err = e;
	out->code = NULL;
	out->field[0] = '\0';
	if (field)
		snprintf(out->field, sizeof(out->field), "%s", field);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(out->message, sizeof(out->message), fmt, ap);
		va_end(ap);
	} else {
		snprintf(out->message, sizeof(out->message), "%s", err_default_message(e));
	}
	return e;
}

void error_clear(struct error *out)
{
	memset(out, 0, sizeof(*out));
}
