/* Static files; see static.h. */
#include "net/static.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "net/respond.h"
#include "net/server.h"

struct mime {
	const char *ext, *type;
};

static const struct mime MIMES[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".map", "application/json" },
};

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(MIMES) / sizeof(MIMES[0]); i++) {
		if (!strcmp(dot, MIMES[i].ext))
			return MIMES[i].type;
	}
	return "application/octet-stream";
}

/* Refuses hidden files and any dot-segment: /./, /../, /.git … */
static int path_safe(const char *path)
{
	return path[0] == '/' && !strstr(path, "/.") && !strchr(path, '\\') && strlen(path) < 512;
}

/* The file to send for path: the file itself if it is a regular file inside the web root,
 * else index.html. Writes into out. */
static void resolve(struct server *s, const char *path, char *out, size_t cap)
{
	char joined[PATH_MAX + 512], real[PATH_MAX];
	struct stat st;
	size_t rootlen = strlen(s->web_root);

	if (path_safe(path) && strcmp(path, "/") != 0) {
		snprintf(joined, sizeof(joined), "%s%s", s->web_root, path);
		if (realpath(joined, real) && !strncmp(real, s->web_root, rootlen) &&
		    real[rootlen] == '/' && stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(out, cap, "%s", real);
			return;
		}
	}
	snprintf(out, cap, "%s/index.html", s->web_root);
}

int static_serve(struct lws *wsi, struct server *s, const char *path)
{
	unsigned char hdrs[1024], *p = hdrs, *end = hdrs + sizeof(hdrs);
	char file[PATH_MAX];
	const char *mime;
	int n;

	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
		metrics_count_request(&s->app->metrics, "OTHER", "static", 405);
		return respond_simple(wsi, 405,
				      "{\"error\":{\"code\":\"method_not_allowed\","
				      "\"message\":\"static files are read with GET\"}}",
				      "GET") ||
				       lws_http_transaction_completed(wsi)
			       ? -1
			       : 0;
	}
	resolve(s, path, file, sizeof(file));
	mime = mime_of(file);
	if (respond_security_headers(wsi, &p, end, !strncmp(mime, "text/html", 9)) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-cache", 8, &p, end))
		return -1;
	metrics_count_request(&s->app->metrics, "GET", "static", 200);
	n = lws_serve_http_file(wsi, file, mime, (const char *)hdrs, (int)(p - hdrs));
	if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
		return -1;
	return 0;
}
