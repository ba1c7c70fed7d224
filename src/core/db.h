/* SQLite connections: opening with the pragmas of DESIGN §2/§4, a per-connection cache of
 * prepared statements, embedded migrations, and the online backup. Domain modules own their
 * SQL and run it through db_stmt(); the service thread holds a read-only struct db, the writer
 * thread the only read-write one. A struct db is used by one thread at a time. */
#ifndef MINGSHI_CORE_DB_H
#define MINGSHI_CORE_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct db;

struct stmt_slot {
	const char *sql; /* key: the address of a static SQL string */
	sqlite3_stmt *stmt;
};

/* Work put off to the end of the writer's transaction: fn(db, arg), then free(arg). */
typedef enum err (*db_deferred_fn)(struct db *db, void *arg);

struct db_deferred {
	db_deferred_fn fn;
	void *arg;
};

struct db {
	sqlite3 *h;
	struct stmt_slot *slots; /* open-addressing table keyed by sql pointer */
	size_t nslots, used;
	int readonly;
	/* deferring: db_defer() queues instead of running (the writer's connection) */
	bool deferring;
	struct db_deferred *deferred;
	size_t ndeferred, deferred_cap;
};

enum db_mode {
	DB_READ_ONLY,  /* query_only; the service thread's connection */
	DB_READ_WRITE, /* the writer's connection: WAL, synchronous=FULL */
};

/* Opens path (creating it only in DB_READ_WRITE mode) and applies the pragmas. On failure
 * fills *e, leaves *db closed and returns e->err. */
enum err db_open(struct db *db, const char *path, enum db_mode mode, struct error *e);

/* Finalizes every cached statement and closes the connection. Safe on a closed db. */
void db_close(struct db *db);

/* The prepared statement for `sql`, which must be a string with static storage (its address
 * is the cache key). The statement is reset and its bindings cleared; the caller steps it and
 * must call db_done() before returning, so no read transaction stays open. Returns NULL (and
 * logs the SQLite error) if it cannot be prepared. Borrowed: never finalize it. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* Resets a statement obtained from db_stmt() (ends its implicit read transaction). */
void db_done(sqlite3_stmt *stmt);

/* A snapshot for everything one request reads on a read-only connection: BEGIN (deferred)
 * when no transaction is open, so the request's statements share one read transaction
 * instead of each taking and dropping the WAL's shared-memory locks (two fcntl() calls a
 * statement), and see the same state of the database. db_snapshot_end() ends it; both are
 * no-ops when the other did not apply. Keep a snapshot to one callback: an open read
 * transaction holds back checkpoints. */
void db_snapshot_begin(struct db *db);
void db_snapshot_end(struct db *db);

/* A number that changes whenever the database file changes, by this connection or any other
 * (SQLite's SQLITE_FCNTL_DATA_VERSION). Meaningful only inside an open read transaction (it is
 * brought up to date when one starts); *ok is false outside one. */
unsigned db_data_version(struct db *db, bool *ok);

/* Runs one or more statements without results (pragmas, savepoints, scripts). Returns the
 * SQLite result code; logs failures other than constraint violations. */
int db_exec(struct db *db, const char *sql);

/* Runs fn(db, arg) and frees arg, now or, on a deferring connection, at db_run_deferred().
 * Why: FTS5 writes its pending index to disk at every SAVEPOINT it takes part in, so an FTS
 * write inside each job's savepoint turns every message into its own index segment (~2x the
 * writer's cost per message). The writer queues such writes and runs them once all of the
 * batch's savepoints are released. arg must come from malloc(); it is freed even on failure
 * (ERR_NOMEM when it cannot be queued). */
enum err db_defer(struct db *db, db_deferred_fn fn, void *arg);

/* The queue's length: a mark for db_drop_deferred(). */
size_t db_deferred_mark(const struct db *db);

/* Drops (frees, without running) the work queued after `mark`: its job rolled back. */
void db_drop_deferred(struct db *db, size_t mark);

/* Runs the queued work in order and empties the queue. Stops at the first failure (the rest
 * is dropped) and returns it: the caller must then roll the transaction back. */
enum err db_run_deferred(struct db *db);

/* Applies the embedded migrations that are not yet recorded in schema_migrations, each in its
 * own transaction. Returns ERR_OK or fills *e. */
enum err db_migrate(struct db *db, struct error *e);

/* Highest applied migration number, 0 for an empty database, -1 on error. */
int db_schema_version(struct db *db);

/* Number of rows in `users` (used to decide whether --demo may load demo data), -1 on error. */
int db_count_users(struct db *db);

/* Copies the live database into out_path with SQLite's online backup API; safe while another
 * process writes. Returns ERR_OK or fills *e. */
enum err db_backup(struct db *db, const char *out_path, struct error *e);

/* The version of the SQLite library linked in ("3.46.1"). */
const char *db_library_version(void);

/* Maps a failed SQLite result code to our enum: SQLITE_FULL/IOERR → ERR_UNAVAILABLE,
 * constraint → ERR_CONFLICT, else ERR_DB. */
enum err db_err(int rc);

/* Copies text column col (or "" for NULL) into dst of size cap, truncated and NUL-terminated. */
void db_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap);

/* Steps a statement that returns no rows, resets it, and maps the result: ERR_OK on
 * SQLITE_DONE, else db_err(). */
enum err db_step_done(sqlite3_stmt *st);

#endif
