/* Server configuration: defaults, an optional JSON config file, then the command line of
 * DESIGN §5 (the command line wins). Parsed once on the main thread before anything starts. */
#ifndef MINGSHI_CORE_CONFIG_H
#define MINGSHI_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define CONFIG_MAX_ORIGINS 16
#define CONFIG_PATH_MAX 1024

struct config {
	char listen_host[256];
	int port;
	char data_dir[CONFIG_PATH_MAX];
	char cert[CONFIG_PATH_MAX]; /* empty: self-signed in data_dir/certs */
	char key[CONFIG_PATH_MAX];
	char web_dir[CONFIG_PATH_MAX];
	char origins[CONFIG_MAX_ORIGINS][256]; /* allowed Origins, the listen address's first */
	size_t norigins;
	bool demo;
	bool metrics_public; /* serve /metrics to non-loopback peers too */
	int worker_threads;  /* the pool of DESIGN §4 */
	int ws_rate_per_sec; /* chat messages per user per second (DESIGN §7) */
	int ws_rate_burst;
	int ws_queue_frames;	  /* frames a slow subscriber may fall behind before 1013 */
	int ws_write_interval_ms; /* the longest a busy socket's broadcasts rest (net/ws.c) */
	bool ws_write_adaptive;	  /* rest only as the loop's load needs; false: always the above */
	bool answer_cache; /* keep GET answers while the database is unchanged (api/cache.h) */
	bool tls12_only;   /* "tls_max": "1.2" caps TLS at 1.2 (benchmarks compare peers at 1.2) */
	int log_level;	   /* enum log_level */
};

/* Fills the defaults of DESIGN §5. */
void config_defaults(struct config *c);

/* Parses the `serve` arguments (argv[0] is the first option). Reads --config FILE first so
 * the remaining options override it. Returns ERR_OK or fills *e with a one-line message. */
enum err config_parse_serve(struct config *c, int argc, char **argv, struct error *e);

/* Adds the listen address's own https origins (https://HOST:PORT, and for loopback both
 * 127.0.0.1 and localhost) in front of the configured ones. */
void config_finish_origins(struct config *c);

/* 1 if origin (e.g. "https://127.0.0.1:8443") is allowed. */
int config_origin_allowed(const struct config *c, const char *origin);

#endif
