/* Static files from web/ (DESIGN §6): known files with their MIME type, index.html for every
 * other non-API path (the web UI routes on the client), the security headers on each. */
#ifndef MINGSHI_NET_STATIC_H
#define MINGSHI_NET_STATIC_H

#include <libwebsockets.h>

struct server;

/* Serves path (URL-decoded by lws) from the web root. Returns what an lws callback returns. */
int static_serve(struct lws *wsi, struct server *s, const char *path);

#endif
