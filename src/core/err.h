/* One error enum for the whole server (STYLE 3) and the one table that maps it to an HTTP
 * status and to the `code` of JSON error bodies and WebSocket `error` frames. Domain code
 * reports failures as a struct error naming the offending field; api/ and net/ turn it into
 * a response with err_status() and err_code(). */
#ifndef MINGSHI_CORE_ERR_H
#define MINGSHI_CORE_ERR_H

enum err {
	ERR_OK = 0,
	ERR_INVALID_JSON,    /* 400 invalid_json */
	ERR_INVALID,	     /* 400 validation_failed */
	ERR_UNAUTHENTICATED, /* 401 */
	ERR_FORBIDDEN,	     /* 403 */
	ERR_CSRF,	     /* 403 csrf */
	ERR_NOT_FOUND,	     /* 404 */
	ERR_METHOD,	     /* 405 method_not_allowed */
	ERR_CONFLICT,	     /* 409 conflict, or struct error.code when set */
	ERR_TOO_LARGE,	     /* 413 too_large */
	ERR_MEDIA_TYPE,	     /* 415 unsupported_media_type */
	ERR_RATE_LIMITED,    /* 429 rate_limited */
	ERR_INTERNAL,	     /* 500 internal */
	ERR_NOMEM,	     /* 500 internal */
	ERR_DB,		     /* 500 internal */
	ERR_UNAVAILABLE,     /* 503 unavailable (disk full, shutting down) */
	ERR__COUNT
};

/* A failure with its context. `code` overrides the generic code name for the specific
 * conflicts of DESIGN §6 (e.g. "full"); `field` names the request field at fault. Both point
 * to static strings or into `buf`-free storage owned by the struct. */
struct error {
	enum err err;
	const char *code;
	char field[64];
	char message[192];
};

/* HTTP status for an error. */
int err_status(enum err e);

/* Machine-readable code of DESIGN §6 (e.g. "validation_failed"); honours error->code. */
const char *err_code(const struct error *e);

/* Code of a WebSocket error frame (DESIGN §7: forbidden, rate_limited, invalid, not_found,
 * muted, …); honours error->code. */
const char *err_ws_code(const struct error *e);

/* Default English message for an error kind. */
const char *err_default_message(enum err e);

/* Fills *out (any previous content is replaced) and returns e->err, so a function can write
 * `return error_set(out, ERR_INVALID, "username", "must be 3–32 characters");`.
 * `field` and `fmt` may be NULL. */
enum err error_set(struct error *out, enum err e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Clears *out to ERR_OK. */
void error_clear(struct error *out);

#endif
