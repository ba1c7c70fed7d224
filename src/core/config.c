/* Configuration parsing; see config.h. */
#include "core/config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->port = 8443;
	snprintf(c->data_dir, sizeof(c->data_dir), "./var");
	snprintf(c->web_dir, sizeof(c->web_dir), "web");
	c->worker_threads = 2;
	c->ws_rate_per_sec = 5;
	c->ws_rate_burst = 20;
	c->ws_queue_frames = 4096;
	c->answer_cache = true;
	c->ws_write_interval_ms = 100;
	c->ws_write_adaptive = true;
	c->log_level = LOG_INFO;
}

static enum err set_path(char *dst, size_t cap, const char *v, const char *opt, struct error *e)
{
	if (!v || !*v)
		return error_set(e, ERR_INVALID, opt, "%s needs a value", opt);
	if (strlen(v) >= cap)
		return error_set(e, ERR_INVALID, opt, "%s: path too long", opt);
	snprintf(dst, cap, "%s", v);
	return ERR_OK;
}

/* "HOST:PORT", "[v6]:PORT" or ":PORT". */
static enum err set_listen(struct config *c, const char *v, struct error *e)
{
	const char *colon = v ? strrchr(v, ':') : NULL;
	char *end;
	long port;
	size_t hlen;

	if (!colon)
		return error_set(e, ERR_INVALID, "listen", "--listen wants HOST:PORT, got '%s'",
				 v ? v : "");
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return error_set(e, ERR_INVALID, "listen", "--listen: bad port in '%s'", v);
	hlen = (size_t)(colon - v);
	if (hlen >= 2 && v[0] == '[' && v[hlen - 1] == ']') {
		v++;
		hlen -= 2;
	}
	if (hlen >= sizeof(c->listen_host))
		return error_set(e, ERR_INVALID, "listen", "--listen: host too long");
	memcpy(c->listen_host, v, hlen);
	c->listen_host[hlen] = '\0';
	if (hlen == 0)
		snprintf(c->listen_host, sizeof(c->listen_host), "0.0.0.0");
	c->port = (int)port;
	return ERR_OK;
}

static enum err add_origin(struct config *c, const char *v, struct error *e)
{
	size_t n;

	if (!v || (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0))
		return error_set(e, ERR_INVALID, "origin",
				 "--origin wants a URL like https://host:port");
	if (c->norigins == CONFIG_MAX_ORIGINS)
		return error_set(e, ERR_INVALID, "origin", "at most %d origins",
				 CONFIG_MAX_ORIGINS);
	if (strlen(v) >= sizeof(c->origins[0]))
		return error_set(e, ERR_INVALID, "origin", "--origin too long");
	snprintf(c->origins[c->norigins], sizeof(c->origins[0]), "%s", v);
	n = strlen(c->origins[c->norigins]);
	if (n > 0 && c->origins[c->norigins][n - 1] == '/')
		c->origins[c->norigins][n - 1] = '\0';
	c->norigins++;
	return ERR_OK;
}

static enum err int_range(json_t *v, const char *key, int lo, int hi, int *out, struct error *e)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return error_set(e, ERR_INVALID, key, "config: %s must be an integer %d..%d", key,
				 lo, hi);
	*out = (int)json_integer_value(v);
	return ERR_OK;
}

/* One key of the JSON config file. */
static enum err apply_key(struct config *c, const char *key, json_t *v, struct error *e)
{
	const char *s = json_string_value(v);

	if (!strcmp(key, "listen"))
		return set_listen(c, s, e);
	if (!strcmp(key, "data"))
		return set_path(c->data_dir, sizeof(c->data_dir), s, "data", e);
	if (!strcmp(key, "cert"))
		return set_path(c->cert, sizeof(c->cert), s, "cert", e);
	if (!strcmp(key, "key"))
		return set_path(c->key, sizeof(c->key), s, "key", e);
	if (!strcmp(key, "web"))
		return set_path(c->web_dir, sizeof(c->web_dir), s, "web", e);
	if (!strcmp(key, "demo") && json_is_boolean(v))
		return (c->demo = json_is_true(v)), ERR_OK;
	if (!strcmp(key, "metrics_public") && json_is_boolean(v))
		return (c->metrics_public = json_is_true(v)), ERR_OK;
	if (!strcmp(key, "worker_threads"))
		return int_range(v, key, 1, 16, &c->worker_threads, e);
	if (!strcmp(key, "ws_rate_per_sec"))
		return int_range(v, key, 1, 1000000, &c->ws_rate_per_sec, e);
	if (!strcmp(key, "ws_rate_burst"))
		return int_range(v, key, 1, 1000000, &c->ws_rate_burst, e);
	if (!strcmp(key, "ws_queue_frames"))
		return int_range(v, key, 16, 1000000, &c->ws_queue_frames, e);
	if (!strcmp(key, "ws_write_interval_ms"))
		return int_range(v, key, 0, 1000, &c->ws_write_interval_ms, e);
	if (!strcmp(key, "ws_write_adaptive") && json_is_boolean(v))
		return (c->ws_write_adaptive = json_is_true(v)), ERR_OK;
	if (!strcmp(key, "answer_cache") && json_is_boolean(v))
		return (c->answer_cache = json_is_true(v)), ERR_OK;
	if (!strcmp(key, "tls_max") && s && (!strcmp(s, "1.2") || !strcmp(s, "1.3")))
		return (c->tls12_only = !strcmp(s, "1.2")), ERR_OK;
	if (!strcmp(key, "origins") && json_is_array(v)) {
		size_t i;
		json_t *o;

		json_array_foreach (v, i, o) {
			if (add_origin(c, json_string_value(o), e) != ERR_OK)
				return e->err;
		}
		return ERR_OK;
	}
	return error_set(e, ERR_INVALID, key, "config: unknown key or wrong type: %s", key);
}

static enum err load_file(struct config *c, const char *path, struct error *e)
{
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je), *v;
	const char *key;

	if (!root)
		return error_set(e, ERR_INVALID, "config", "%s:%d: %s", path, je.line, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return error_set(e, ERR_INVALID, "config", "%s: must be a JSON object", path);
	}
	json_object_foreach (root, key, v) {
		if (apply_key(c, key, v, e) != ERR_OK) {
			json_decref(root);
			return e->err;
		}
	}
	json_decref(root);
	return ERR_OK;
}

static enum err apply_arg(struct config *c, const char *opt, const char *val, int *used,
			  struct error *e)
{
	*used = 1;
	if (!strcmp(opt, "--listen"))
		return set_listen(c, val, e);
	if (!strcmp(opt, "--data"))
		return set_path(c->data_dir, sizeof(c->data_dir), val, opt, e);
	if (!strcmp(opt, "--cert"))
		return set_path(c->cert, sizeof(c->cert), val, opt, e);
	if (!strcmp(opt, "--key"))
		return set_path(c->key, sizeof(c->key), val, opt, e);
	if (!strcmp(opt, "--web"))
		return set_path(c->web_dir, sizeof(c->web_dir), val, opt, e);
	if (!strcmp(opt, "--origin"))
		return add_origin(c, val, e);
	if (!strcmp(opt, "--config"))
		return ERR_OK; /* already applied */
	*used = 0;
	if (!strcmp(opt, "--demo"))
		return (c->demo = true), ERR_OK;
	if (!strcmp(opt, "--verbose"))
		return (c->log_level = LOG_DEBUG), ERR_OK;
	return error_set(e, ERR_INVALID, opt, "unknown option %s (see mingshi --help)", opt);
}

enum err config_parse_serve(struct config *c, int argc, char **argv, struct error *e)
{
	int used;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				return error_set(e, ERR_INVALID, "config", "--config needs a file");
			if (load_file(c, argv[i + 1], e) != ERR_OK)
				return e->err;
		}
	}
	for (int i = 0; i < argc; i += 1 + used) {
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (apply_arg(c, argv[i], val, &used, e) != ERR_OK)
			return e->err;
		if (used && !val)
			return error_set(e, ERR_INVALID, argv[i], "%s needs a value", argv[i]);
	}
	if ((c->cert[0] != '\0') != (c->key[0] != '\0'))
		return error_set(e, ERR_INVALID, "cert", "--cert and --key go together");
	return ERR_OK;
}

static void prepend_origin(struct config *c, const char *o)
{
	if (config_origin_allowed(c, o) || c->norigins == CONFIG_MAX_ORIGINS)
		return;
	memmove(&c->origins[1], &c->origins[0], c->norigins * sizeof(c->origins[0]));
	snprintf(c->origins[0], sizeof(c->origins[0]), "%s", o);
	c->norigins++;
}

void config_finish_origins(struct config *c)
{
	char o[300];
	int loopback = !strcmp(c->listen_host, "127.0.0.1") ||
		       !strcmp(c->listen_host, "localhost") || !strcmp(c->listen_host, "::1");

	if (loopback) {
		snprintf(o, sizeof(o), "https://localhost:%d", c->port);
		prepend_origin(c, o);
		snprintf(o, sizeof(o), "https://127.0.0.1:%d", c->port);
		prepend_origin(c, o);
	} else if (strchr(c->listen_host, ':')) {
		snprintf(o, sizeof(o), "https://[%s]:%d", c->listen_host, c->port);
		prepend_origin(c, o);
	} else {
		snprintf(o, sizeof(o), "https://%s:%d", c->listen_host, c->port);
		prepend_origin(c, o);
	}
}

int config_origin_allowed(const struct config *c, const char *origin)
{
	for (size_t i = 0; i < c->norigins; i++) {
		if (!strcasecmp(c->origins[i], origin))
			return 1;
	}
	return 0;
}
