/* What every HTTP response of ours carries (DESIGN §6): the security headers, and the small
 * complete responses written straight from an lws callback (a refused WebSocket upgrade, a
 * static file's 405). Used by net/http.c, net/static.c and net/ws.c. */
#ifndef MINGSHI_NET_RESPOND_H
#define MINGSHI_NET_RESPOND_H

#include <libwebsockets.h>
#include <stdbool.h>

/* Writes the security headers (and the CSP on HTML) at *p, before end. Returns 0 or -1. */
int respond_security_headers(struct lws *wsi, unsigned char **p, unsigned char *end, bool html);

/* Adds one header "name:" (with its colon) of value at *p. Returns 0 or -1. */
int respond_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
		   unsigned char *end);

/* Sends a complete small JSON response (headers and body in one write) from a callback that
 * may write; allow, when not NULL, is the Allow header's value. Returns 0 or -1. */
int respond_simple(struct lws *wsi, int status, const char *json_body, const char *allow);

#endif
