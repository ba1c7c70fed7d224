/* GET /healthz and GET /metrics. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/router.h"

static void api_healthz(struct req *r)
{
	reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static int is_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") ||
	       !strncmp(addr, "::ffff:127.", 11);
}

/* Prometheus text; loopback only unless the operator opens it (DESIGN §6). */
static void api_metrics(struct req *r)
{
	char *text;

	if (!r->app->cfg.metrics_public && !is_loopback(r->peer)) {
		reply_err(r, ERR_FORBIDDEN, NULL, "metrics are served to loopback only");
		return;
	}
	text = metrics_render(&r->app->metrics);
	if (!text) {
		reply_err(r, ERR_NOMEM, NULL, NULL);
		return;
	}
	reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
	free(text);
}

API_ROUTES(health) = {
	{ HTTP_GET, "/healthz", api_healthz, ROLES_PUBLIC, 0 },
	{ HTTP_GET, "/metrics", api_metrics, ROLES_PUBLIC, 0 },
	ROUTES_END,
};
