/* Application start-up and shut-down; see app.h. */
#include "core/app.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cert.h"
#include "core/embed.h"
#include "core/log.h"

/* mkdir -p for the data directory, then a real write test: access(2) lies on some mounts. */
static enum err prepare_dir(const char *dir, struct error *e)
{
	char probe[CONFIG_PATH_MAX + 32];
	FILE *f;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return error_set(e, ERR_UNAVAILABLE, "data",
				 "cannot create the data directory %s: %s", dir, strerror(errno));
	snprintf(probe, sizeof(probe), "%s/.write-test", dir);
	f = fopen(probe, "w");
	if (!f)
		return error_set(e, ERR_UNAVAILABLE, "data",
				 "cannot write to the data directory %s: %s", dir, strerror(errno));
	fclose(f);
	unlink(probe);
	return ERR_OK;
}

enum err app_open_db(const char *data_dir, struct db *db, char *path_out, size_t cap,
		     struct error *e)
{
	if (prepare_dir(data_dir, e) != ERR_OK)
		return e->err;
	snprintf(path_out, cap, "%s/mingshi.db", data_dir);
	if (db_open(db, path_out, DB_READ_WRITE, e) != ERR_OK)
		return e->err;
	if (db_migrate(db, e) != ERR_OK) {
		db_close(db);
		return e->err;
	}
	return ERR_OK;
}

/* Loads db/demo.sql into a database that has no users yet. */
static enum err load_demo(struct app *a, struct db *db, struct error *e)
{
	int users = db_count_users(db);

	if (users != 0)
		return ERR_OK;
	if (db_exec(db, "BEGIN IMMEDIATE;") != SQLITE_OK ||
	    db_exec(db, EMBED_DEMO_SQL.data) != SQLITE_OK || db_exec(db, "COMMIT;") != SQLITE_OK) {
		error_set(e, ERR_DB, NULL, "cannot load the demo data: %s", sqlite3_errmsg(db->h));
		db_exec(db, "ROLLBACK;");
		return ERR_DB;
	}
	a->demo_loaded = true;
	return ERR_OK;
}

static enum err open_certs(struct app *a, struct error *e)
{
	if (a->cfg.cert[0]) {
		snprintf(a->cert_path, sizeof(a->cert_path), "%s", a->cfg.cert);
		snprintf(a->key_path, sizeof(a->key_path), "%s", a->cfg.key);
		return cert_check_files(a->cert_path, a->key_path, e);
	}
	return cert_ensure_self_signed(a->cfg.data_dir, a->cert_path, a->key_path,
				       sizeof(a->cert_path), e);
}

enum err app_open(struct app *a, struct error *e)
{
	struct db wdb;

	metrics_init(&a->metrics);
	completions_init(&a->completions);
	if (app_open_db(a->cfg.data_dir, &wdb, a->db_path, sizeof(a->db_path), e) != ERR_OK)
		goto fail_early;
	if (a->cfg.demo && load_demo(a, &wdb, e) != ERR_OK) {
		db_close(&wdb);
		goto fail_early;
	}
	if (open_certs(a, e) != ERR_OK) {
		db_close(&wdb);
		goto fail_early;
	}
	writer_init(&a->writer, &wdb, &a->completions, &a->metrics);
	if (db_open(&a->rdb, a->db_path, DB_READ_ONLY, e) != ERR_OK)
		goto fail_writer;
	if (writer_start(&a->writer, e) != ERR_OK)
		goto fail_rdb;
	if (pool_start(&a->pool, (size_t)a->cfg.worker_threads, &a->completions, &a->metrics) !=
	    0) {
		error_set(e, ERR_INTERNAL, NULL, "cannot start the worker pool");
		writer_stop(&a->writer);
		goto fail_rdb;
	}
	return ERR_OK;
fail_rdb:
	db_close(&a->rdb);
fail_writer:
	writer_stop(&a->writer);
	writer_close(&a->writer);
fail_early:
	completions_destroy(&a->completions);
	metrics_free(&a->metrics);
	return e->err;
}

void app_quiesce(struct app *a)
{
	writer_stop(&a->writer);
	pool_stop(&a->pool);
}

void app_close(struct app *a)
{
	app_quiesce(a);
	completions_drain(&a->completions);
	db_close(&a->rdb);
	writer_close(&a->writer);
	pool_destroy(&a->pool);
	completions_destroy(&a->completions);
	metrics_free(&a->metrics);
}
