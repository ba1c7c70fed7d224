/* The application context: everything the server owns hangs off one struct app (no global
 * mutable state). core/ opens the data directory, the database connections, the writer and
 * the worker pool; net/ and api/ keep their own state behind the opaque pointers. */
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
struct throttle;
struct server;

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

	struct throttle *throttle;    /* api/: login throttling */
	struct answer_cache *answers; /* api/: kept GET answers */
	struct server *server;	      /* net/ */
	bool demo_loaded;	      /* --demo filled an empty database this start */

	/* net/ sets these: close open WebSockets whose sessions ended (DESIGN §8) — every one of
	 * user_id's except those of session keep_session_id (0: none kept), or those of one
	 * session. */
	void (*end_user_sockets)(struct app *a, int64_t user_id, int64_t keep_session_id);
	void (*end_session_sockets)(struct app *a, int64_t session_id);
	/* net/ sets this: a user's room access may have changed (membership ended, role
	 * changed); room NULL means every room. Open subscriptions are re-checked. */
	void (*recheck_room_access)(struct app *a, int64_t user_id, const char *room);
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
