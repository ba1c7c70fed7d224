/* Response headers; see respond.h. */
#include "net/respond.h"

#include <string.h>

static const char CSP[] =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
	"frame-ancestors 'none'; form-action 'self'";

int respond_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
		   unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value, (int)strlen(value), p,
					   end);
}

int respond_security_headers(struct lws *wsi, unsigned char **p, unsigned char *end, bool html)
{
	if (respond_header(wsi, "strict-transport-security:", "max-age=63072000; includeSubDomains",
			   p, end) ||
	    respond_header(wsi, "x-content-type-options:", "nosniff", p, end) ||
	    respond_header(wsi, "referrer-policy:", "same-origin", p, end) ||
	    respond_header(wsi, "x-frame-options:", "DENY", p, end))
		return -1;
	return html ? respond_header(wsi, "content-security-policy:", CSP, p, end) : 0;
}

int respond_simple(struct lws *wsi, int status, const char *json_body, const char *allow)
{
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
					   *end = buf + sizeof(buf) - 1;
	size_t n = strlen(json_body);

	if (lws_add_http_header_status(wsi, (unsigned)status, &p, end) ||
	    respond_security_headers(wsi, &p, end, false) ||
	    respond_header(wsi, "content-type:", "application/json; charset=utf-8", &p, end) ||
	    respond_header(wsi, "cache-control:", "no-store", &p, end) ||
	    (allow && respond_header(wsi, "allow:", allow, &p, end)) ||
	    lws_add_http_header_content_length(wsi, n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < n)
		return -1;
	memcpy(p, json_body, n);
	p += n;
	return lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < 0 ? -1 : 0;
}
