/* One HTTP request as api/ handlers see it. net/ parses the lws request into a struct req,
 * resolves the session, enforces the route's role, CSRF, Origin and body rules, and calls the
 * handler; the handler answers with the reply_* functions. A handler that must wait for the
 * writer or the worker pool calls req_hold() and, from its completion (service thread), one
 * reply_* followed by req_release(). Handlers never see lws or SQLite. */
#ifndef MINGSHI_API_REQ_H
#define MINGSHI_API_REQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/app.h"
#include "core/err.h"
#include "core/json.h"
#include "domain/session.h"
#include "domain/user.h"

#define REQ_MAX_QUERY 24
#define REQ_MAX_IDS 4
#define REQ_BODY_MAX (1024 * 1024)

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE, HTTP_OTHER };

struct req_arg {
	char *key, *val; /* URL-decoded, malloc'd by net */
};

struct req {
	struct app *app;
	enum http_method method;
	char path[512];
	const char *route;	  /* static route pattern, for metrics and logs */
	int64_t ids[REQ_MAX_IDS]; /* values of the {id} segments, in order */
	char room[48];		  /* value of a {room} segment ("studio:3") */
	size_t nids;
	struct req_arg query[REQ_MAX_QUERY];
	size_t nquery;
	char *body; /* NUL-terminated, malloc'd by net; NULL if none */
	size_t body_len;
	char peer[64]; /* client address */

	/* the signed-in user, when authed */
	bool authed;
	struct user user;
	struct session session;
	uint8_t token_hash[32];

	/* the response */
	int status;
	const char *content_type; /* static string */
	char *out;		  /* malloc'd body */
	size_t out_len;
	char set_cookie[256];
	char extra_headers[256]; /* "Name: value\r\n" lines */
	bool no_store;		 /* Cache-Control: no-store (all API responses) */

	/* the asynchronous part */
	int holds;		      /* >0 while a job for this request is in flight */
	void (*finish)(struct req *); /* net: send the response, or free r if the client left */
	void *conn;		      /* net's connection, NULL once the client is gone */
};

typedef void (*api_handler)(struct req *r);

/* Replies with status and body (stolen; NULL → no body). */
void reply_json(struct req *r, int status, json_t *body);

/* reply_json() for a body written as JSON text: finishes t and answers 200 with it, or the
 * error e when the handler's query failed (e != ERR_OK). A body that could not be written (no
 * memory, invalid UTF-8) answers 500 and is logged. t is reset either way. */
void reply_json_text(struct req *r, enum err e, struct json_text *t);

/* Replies with the DESIGN §6 error body for e. */
void reply_error(struct req *r, const struct error *e);

/* reply_error() built in place. */
void reply_err(struct req *r, enum err code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Replies with a copy of text as the given static content type. */
void reply_text(struct req *r, int status, const char *content_type, const char *text, size_t len);

/* Adds one response header line (name and value without CR/LF). */
void reply_header(struct req *r, const char *name, const char *value);

/* The request body as a JSON object restricted to `allowed` fields (NULL: the caller checks
 * fields itself, e.g. with fields_parse); on failure replies with the error and returns NULL
 * (the caller just returns). New reference. */
json_t *req_json_or_reply(struct req *r, const char *const *allowed);

/* Value of query argument key, or NULL. Borrowed from r. */
const char *req_query(const struct req *r, const char *key);

/* Marks r as waiting for a job: net keeps it alive even if the client leaves. */
void req_hold(struct req *r);

/* Ends one hold; with none left, net sends the response (or frees r if the client left).
 * Service thread only. */
void req_release(struct req *r);

/* 1 if the client went away while r was held (the response will be dropped). */
int req_gone(const struct req *r);

#endif
