/* The application context: everything the server owns hangs off one struct app (no global
 * mutable state). core/ opens the data directory, the database connections, the writer and
 * the worker pool; api/ keeps its own state behind the opaque pointers (api_init), and net/
 * its own in struct server. */
#ifndef MINGSHI_CORE_APP_H
#define MINGSHI_CORE_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/completion.h"
#include "core/config.h"
#include "core/db.h"
#include "core/metrics.h"
#include "core/pool.h"
#include "core/writer.h"

struct answer_cache;
struct hub;
struct search_upkeep;
struct throttle;

struct app {
	struct config cfg;
	char db_path[CONFIG_PATH_MAX + 16];
	char cert_path[CONFIG_PATH_MAX + 16];
	char key_path[CONFIG_PATH_MAX + 16];

	struct db rdb;	      /* service thread: read-only */
	struct writer writer; /* the only read-write connection */
	struct pool pool;
	struct completions completions;
	struct metrics metrics;

	struct throttle *throttle;	     /* api/: login throttling */
	struct answer_cache *answers;	     /* api/: kept GET answers */
	struct hub *hub;		     /* api/: rooms and WebSocket clients */
	struct search_upkeep *search_upkeep; /* api/: the writer's chore's memory */
	bool demo_loaded;		     /* --demo filled an empty database this start */
	bool stopping; /* net/ sets it at shutdown: new requests and frames are refused */
};

/* Opens the data directory (creating it), the database (migrating it and, with --demo and no
 * users yet, loading the demo data), the writer thread, the worker pool and the read-only
 * connection, and finds or makes the TLS certificate. On failure fills *e with one line and
 * leaves nothing open. */
enum err app_open(struct app *a, struct error *e);

/* Stops the writer and the pool after their queued jobs (completions are posted, not run). */
void app_quiesce(struct app *a);

/* Closes everything app_open() opened; the WAL is checkpointed. Runs pending completions. */
void app_close(struct app *a);

/* Opens the database read-write and migrates it, for the command-line tools. */
enum err app_open_db(const char *data_dir, struct db *db, char *path_out, size_t cap,
		     struct error *e);

#endif
