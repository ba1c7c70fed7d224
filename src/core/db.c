/* SQLite connection handling; see db.h. */
#include "core/db.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/log.h"
#include "core/walbuf.h"

/* ---- statement cache ----------------------------------------------------------------- */

static size_t slot_hash(const char *sql, size_t nslots)
{
	uintptr_t x = (uintptr_t)sql;

	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15u;
	return (size_t)(x >> 7) & (nslots - 1);
}

static struct stmt_slot *slot_find(struct stmt_slot *slots, size_t nslots, const char *sql)
{
	size_t i = slot_hash(sql, nslots);

	while (slots[i].sql && slots[i].sql != sql)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static int slots_grow(struct db *db)
{
	size_t n = db->nslots ? db->nslots * 2 : 64;
	struct stmt_slot *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < db->nslots; i++) {
		if (db->slots[i].sql)
			*slot_find(slots, n, db->slots[i].sql) = db->slots[i];
	}
	free(db->slots);
	db->slots = slots;
	db->nslots = n;
	return 0;
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql)
{
	struct stmt_slot *slot;
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (db->nslots == 0 || (db->used + 1) * 2 > db->nslots) {
		if (slots_grow(db) != 0)
			return NULL;
	}
	slot = slot_find(db->slots, db->nslots, sql);
	if (slot->sql) {
		sqlite3_reset(slot->stmt);
		sqlite3_clear_bindings(slot->stmt);
		return slot->stmt;
	}
	rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		log_error("db: cannot prepare (%s): %.120s", sqlite3_errmsg(db->h), sql);
		return NULL;
	}
	slot->sql = sql;
	slot->stmt = stmt;
	db->used++;
	return stmt;
}

void db_done(sqlite3_stmt *stmt)
{
	if (stmt)
		sqlite3_reset(stmt);
}

/* ---- work deferred to the end of a transaction ----------------------------------------- */

enum err db_defer(struct db *db, db_deferred_fn fn, void *arg)
{
	struct db_deferred *d;
	enum err r;

	if (!db->deferring) {
		r = fn(db, arg);
		free(arg);
		return r;
	}
	if (db->ndeferred == db->deferred_cap) {
		size_t cap = db->deferred_cap ? db->deferred_cap * 2 : 64;

		d = realloc(db->deferred, cap * sizeof(*d));
		if (!d) {
			free(arg);
			return ERR_NOMEM;
		}
		db->deferred = d;
		db->deferred_cap = cap;
	}
	db->deferred[db->ndeferred++] = (struct db_deferred){ fn, arg };
	return ERR_OK;
}

size_t db_deferred_mark(const struct db *db)
{
	return db->ndeferred;
}

void db_drop_deferred(struct db *db, size_t mark)
{
	while (db->ndeferred > mark)
		free(db->deferred[--db->ndeferred].arg);
}

enum err db_run_deferred(struct db *db)
{
	enum err r = ERR_OK;
	size_t i;

	for (i = 0; i < db->ndeferred && r == ERR_OK; i++)
		r = db->deferred[i].fn(db, db->deferred[i].arg);
	for (size_t k = 0; k < db->ndeferred; k++)
		free(db->deferred[k].arg);
	db->ndeferred = 0;
	return r;
}

/* ---- open / close -------------------------------------------------------------------- */

static enum err apply_pragmas(struct db *db, enum db_mode mode, struct error *e)
{
	static const char *const COMMON =
		"PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA trusted_schema=OFF;";
	static const char *const WRITER =
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=1000;";

	if (db_exec(db, COMMON) != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "database: %s", sqlite3_errmsg(db->h));
	if (mode == DB_READ_WRITE && db_exec(db, WRITER) != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "database: %s", sqlite3_errmsg(db->h));
	if (mode == DB_READ_ONLY && db_exec(db, "PRAGMA query_only=ON;") != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "database: %s", sqlite3_errmsg(db->h));
	return ERR_OK;
}

/* A corrupt or foreign file fails here rather than at the first query. */
static enum err check_readable(struct db *db, struct error *e)
{
	int rc = sqlite3_exec(db->h, "SELECT count(*) FROM sqlite_schema;", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "database is not usable: %s",
				 sqlite3_errmsg(db->h));
	return ERR_OK;
}

enum err db_open(struct db *db, const char *path, enum db_mode mode, struct error *e)
{
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	const char *vfs;
	int rc;

	memset(db, 0, sizeof(*db));
	flags |= mode == DB_READ_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
				       : SQLITE_OPEN_READWRITE;
	/* the read-write connection writes the WAL: its appends are gathered (core/walbuf.h) */
	vfs = mode == DB_READ_WRITE && walbuf_register() == SQLITE_OK ? WALBUF_VFS : NULL;
	rc = sqlite3_open_v2(path, &db->h, flags, vfs);
	if (rc != SQLITE_OK) {
		error_set(e, ERR_DB, NULL, "cannot open database %s: %s", path,
			  db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return ERR_DB;
	}
	db->readonly = mode == DB_READ_ONLY;
	if (check_readable(db, e) != ERR_OK || apply_pragmas(db, mode, e) != ERR_OK) {
		db_close(db);
		return e->err;
	}
	return ERR_OK;
}

void db_close(struct db *db)
{
	for (size_t i = 0; i < db->nslots; i++) {
		if (db->slots[i].sql)
			sqlite3_finalize(db->slots[i].stmt);
	}
	free(db->slots);
	db_drop_deferred(db, 0);
	free(db->deferred);
	if (db->h)
		sqlite3_close(db->h);
	memset(db, 0, sizeof(*db));
}

static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";

void db_snapshot_begin(struct db *db)
{
	sqlite3_stmt *st;

	if (!sqlite3_get_autocommit(db->h) || !(st = db_stmt(db, SQL_BEGIN)))
		return;
	if (sqlite3_step(st) != SQLITE_DONE)
		log_error("db: cannot begin a snapshot (%s)", sqlite3_errmsg(db->h));
	sqlite3_reset(st);
}

void db_snapshot_end(struct db *db)
{
	sqlite3_stmt *st;

	if (sqlite3_get_autocommit(db->h) || !(st = db_stmt(db, SQL_COMMIT)))
		return;
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_error("db: cannot end a snapshot (%s)", sqlite3_errmsg(db->h));
		sqlite3_reset(st);
		db_exec(db, "ROLLBACK"); /* never leave the connection inside a transaction */
		return;
	}
	sqlite3_reset(st);
}

unsigned db_data_version(struct db *db, bool *ok)
{
	unsigned v = 0;

	*ok = sqlite3_txn_state(db->h, "main") != SQLITE_TXN_NONE &&
	      sqlite3_file_control(db->h, "main", SQLITE_FCNTL_DATA_VERSION, &v) == SQLITE_OK;
	return v;
}

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_CONSTRAINT)
		log_error("db: %s (in: %.80s)", msg ? msg : sqlite3_errstr(rc), sql);
	sqlite3_free(msg);
	return rc;
}

enum err db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		return ERR_UNAVAILABLE;
	case SQLITE_CONSTRAINT:
		return ERR_CONFLICT;
	case SQLITE_NOMEM:
		return ERR_NOMEM;
	default:
		return ERR_DB;
	}
}

/* A copy of the column's known length: snprintf's "%s" was a tenth of a history page's
 * time (fourteen columns a row, docs/BENCHMARKS.md scenario c). */
void db_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	size_t n = s ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (cap == 0)
		return;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

enum err db_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ERR_OK : db_err(rc);
}

/* ---- migrations ---------------------------------------------------------------------- */

static const char *const SQL_MIGRATIONS_TABLE =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL"
	") STRICT;";

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT coalesce(max(version),0) FROM schema_migrations", -1,
			       &st, NULL) != SQLITE_OK) {
		/* No table yet: an empty database. */
		sqlite3_finalize(st);
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The number a migration file starts with: "0002_studios.sql" → 2. */
static int migration_number(const char *name)
{
	return atoi(name);
}

static enum err apply_one(struct db *db, const struct embedded_file *m, struct error *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_exec(db, "BEGIN IMMEDIATE;") != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "migration %s: cannot begin", m->name);
	if (db_exec(db, m->data) != SQLITE_OK) {
		error_set(e, ERR_DB, NULL, "migration %s failed: %s", m->name,
			  sqlite3_errmsg(db->h));
		db_exec(db, "ROLLBACK;");
		return ERR_DB;
	}
	rc = sqlite3_prepare_v2(db->h,
				"INSERT INTO schema_migrations(version, name, applied_at)"
				" VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, migration_number(m->name));
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || db_exec(db, "COMMIT;") != SQLITE_OK) {
		error_set(e, ERR_DB, NULL, "migration %s: cannot record: %s", m->name,
			  sqlite3_errmsg(db->h));
		db_exec(db, "ROLLBACK;");
		return ERR_DB;
	}
	log_info("db: applied migration %s", m->name);
	return ERR_OK;
}

enum err db_migrate(struct db *db, struct error *e)
{
	int have;

	if (db_exec(db, SQL_MIGRATIONS_TABLE) != SQLITE_OK)
		return error_set(e, ERR_DB, NULL, "cannot create schema_migrations: %s",
				 sqlite3_errmsg(db->h));
	have = db_schema_version(db);
	if (have < 0)
		return error_set(e, ERR_DB, NULL, "cannot read the schema version");
	for (size_t i = 0; i < EMBED_MIGRATIONS_COUNT; i++) {
		const struct embedded_file *m = &EMBED_MIGRATIONS[i];

		if (migration_number(m->name) <= have)
			continue;
		if (apply_one(db, m, e) != ERR_OK)
			return e->err;
	}
	return ERR_OK;
}

int db_count_users(struct db *db)
{
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM users", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- backup -------------------------------------------------------------------------- */

enum err db_backup(struct db *db, const char *out_path, struct error *e)
{
	sqlite3 *out = NULL;
	sqlite3_backup *bk;
	int rc;

	rc = sqlite3_open_v2(out_path, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		error_set(e, ERR_UNAVAILABLE, NULL, "cannot create %s: %s", out_path,
			  out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		return ERR_UNAVAILABLE;
	}
	bk = sqlite3_backup_init(out, "main", db->h, "main");
	if (!bk) {
		error_set(e, ERR_DB, NULL, "backup: %s", sqlite3_errmsg(out));
		sqlite3_close(out);
		return ERR_DB;
	}
	/* Copy in steps so a busy writer is never locked out for long. */
	do {
		rc = sqlite3_backup_step(bk, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(5);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE) {
		error_set(e, ERR_DB, NULL, "backup failed: %s", sqlite3_errstr(rc));
		sqlite3_close(out);
		return ERR_DB;
	}
	sqlite3_close(out);
	return ERR_OK;
}

const char *db_library_version(void)
{
	return sqlite3_libversion();
}
