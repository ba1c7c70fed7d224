/* mingshi: the command line of DESIGN §5 → app → server. */
#include <errno.h>
#include <libwebsockets.h>
#include <malloc.h>
#include <mbedtls/build_info.h>
#include <psa/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/router.h"
#include "auth/password.h"
#include "core/app.h"
#include "core/json.h"
#include "core/log.h"
#include "domain/user.h"
#include "net/server.h"

#ifndef MINGSHI_VERSION
#define MINGSHI_VERSION "0.1.0"
#endif

static const char USAGE[] =
	"usage:\n"
	"  mingshi serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--cert PEM --key PEM]\n"
	"                [--origin URL]... [--web DIR] [--demo] [--verbose]\n"
	"  mingshi user add --data DIR --username U --name NAME --role ROLE [--university ID]\n"
	"                   --password-stdin\n"
	"  mingshi backup --data DIR OUT.db\n"
	"  mingshi migrate --data DIR\n"
	"  mingshi routes                       (the route table as JSON)\n"
	"  mingshi --version\n";

static int fail(const struct error *e)
{
	fprintf(stderr, "mingshi: %s\n", e->message);
	return 1;
}

static int print_version(void)
{
	printf("mingshi %s\nlibwebsockets %s\nmbedtls %s\nsqlite %s\n", MINGSHI_VERSION,
	       lws_get_library_version(), MBEDTLS_VERSION_STRING, db_library_version());
	return 0;
}

static void print_banner(const struct app *a)
{
	printf("mingshi %s serving https://%s:%d  (data: %s)\n", MINGSHI_VERSION,
	       a->cfg.listen_host, a->cfg.port, a->cfg.data_dir);
	if (a->cfg.demo) {
		printf("demo accounts (password: mingshi-demo):\n"
		       "  admin         admin (provincial department)\n"
		       "  zzu_admin     university_admin, 郑州大学\n"
		       "  master_li     master of studio 1\n"
		       "  teacher_wang  teacher, member of studio 1\n"
		       "  expert_zhao   expert\n");
		log_warn("DEMO MODE: every demo account's password is 'mingshi-demo'; never expose "
			 "this server");
	}
	fflush(stdout);
}

/* glibc hands memory freed at the top of the heap back to the kernel once more than 128 KiB
 * is free there. A server's requests allocate and free their buffers (a history page, its
 * copy for the socket) over and over, so each one landed on fresh pages: ~6 page faults and
 * a fifth of the CPU of a cached history page (docs/BENCHMARKS.md, scenario c). Keeping up to
 * 4 MiB of such memory ends that; 4 MiB is the most it can cost. */
static void tune_malloc(void)
{
#ifdef M_TRIM_THRESHOLD
	mallopt(M_TRIM_THRESHOLD, 4 << 20);
#endif
}

static int cmd_serve(int argc, char **argv)
{
	struct app *a = calloc(1, sizeof(*a));
	struct error e;
	int rc;

	if (!a)
		return 1;
	tune_malloc();
	config_defaults(&a->cfg);
	if (config_parse_serve(&a->cfg, argc, argv, &e) != ERR_OK) {
		free(a);
		return fail(&e);
	}
	log_set_level((enum log_level)a->cfg.log_level);
	config_finish_origins(&a->cfg);
	if (app_open(a, &e) != ERR_OK) {
		free(a);
		return fail(&e);
	}
	print_banner(a);
	rc = server_run(a);
	app_close(a);
	free(a);
	if (rc == 0)
		log_info("stopped cleanly");
	return rc;
}

/* ---- user add ------------------------------------------------------------------------ */

struct user_add {
	const char *data, *username, *name, *role, *university;
	bool password_stdin;
};

static int parse_user_add(int argc, char **argv, struct user_add *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "--password-stdin")) {
			o->password_stdin = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "mingshi: %s needs a value\n", argv[i]);
			return -1;
		}
		if (!strcmp(argv[i], "--data"))
			o->data = v;
		else if (!strcmp(argv[i], "--username"))
			o->username = v;
		else if (!strcmp(argv[i], "--name"))
			o->name = v;
		else if (!strcmp(argv[i], "--role"))
			o->role = v;
		else if (!strcmp(argv[i], "--university"))
			o->university = v;
		else {
			fprintf(stderr, "mingshi: unknown option %s\n%s", argv[i], USAGE);
			return -1;
		}
		i++;
	}
	if (!o->data || !o->username || !o->name || !o->role || !o->password_stdin) {
		fprintf(stderr, "mingshi: user add needs --data, --username, --name, --role and "
				"--password-stdin\n");
		return -1;
	}
	return 0;
}

/* One line from stdin without its newline. */
static int read_password(char *out, size_t cap)
{
	size_t n;

	if (!fgets(out, (int)cap, stdin))
		return -1;
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

static enum err add_run(struct db *db, void *arg)
{
	struct {
		struct user *u;
		struct error *e;
	} *job = arg;

	return user_insert(db, job->u, 0, job->e);
}

static void add_done(void *arg, enum err result)
{
	(void)arg;
	(void)result;
}

/* Validates the new user's fields into *u. */
static enum err fill_user(const struct user_add *o, struct user *u, struct error *e)
{
	memset(u, 0, sizeof(*u));
	if (user_check_username(o->username, e) != ERR_OK)
		return e->err;
	if (!utf8_valid(o->name, strlen(o->name)) || utf8_chars(o->name) < 1 ||
	    utf8_chars(o->name) > NAME_MAX_CHARS)
		return error_set(e, ERR_INVALID, "name",
				 "--name must be 1 to %d characters of UTF-8", NAME_MAX_CHARS);
	u->role = role_parse(o->role);
	if (u->role == ROLE_NONE)
		return error_set(e, ERR_INVALID, "role",
				 "--role must be admin, university_admin, "
				 "master, teacher or expert");
	if (o->university) {
		u->university_id = atoll(o->university);
		if (u->university_id <= 0)
			return error_set(e, ERR_INVALID, "university", "--university wants an id");
	}
	snprintf(u->username, sizeof(u->username), "%s", o->username);
	snprintf(u->name, sizeof(u->name), "%s", o->name);
	return ERR_OK;
}

static int cmd_user_add(int argc, char **argv)
{
	struct completions comp;
	struct metrics m;
	struct writer w;
	struct user_add o;
	struct user u;
	struct db db;
	struct error e, job_err;
	struct {
		struct user *u;
		struct error *e;
	} job = { &u, &job_err };
	char pw[PASSWORD_MAX_CHARS * 4 + 2], path[CONFIG_PATH_MAX + 16];

	if (parse_user_add(argc, argv, &o) != 0)
		return 2;
	if (fill_user(&o, &u, &e) != ERR_OK)
		return fail(&e);
	error_clear(&e);
	if (read_password(pw, sizeof(pw)) != 0) {
		fprintf(stderr, "mingshi: no password on stdin\n");
		return 1;
	}
	if (password_check_policy(pw, "password", &e) != ERR_OK ||
	    password_hash(pw, PASSWORD_ITERATIONS, u.password_hash, sizeof(u.password_hash)) !=
		    ERR_OK)
		return e.err ? fail(&e) : 1;
	memset(pw, 0, sizeof(pw));
	if (app_open_db(o.data, &db, path, sizeof(path), &e) != ERR_OK)
		return fail(&e);
	/* Through the writer, like every other write (DESIGN §4), run here on this thread. */
	metrics_init(&m);
	completions_init(&comp);
	writer_init(&w, &db, &comp, &m);
	error_clear(&job_err);
	writer_submit(&w, add_run, add_done, &job);
	writer_stop(&w);
	completions_drain(&comp);
	writer_close(&w);
	completions_destroy(&comp);
	if (job_err.err != ERR_OK)
		return fail(&job_err);
	printf("created user %lld (%s, %s)\n", (long long)u.id, u.username, role_name(u.role));
	return 0;
}

/* ---- migrate, backup ----------------------------------------------------------------- */

static const char *data_arg(int argc, char **argv)
{
	for (int i = 0; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--data"))
			return argv[i + 1];
	}
	return NULL;
}

static int cmd_migrate(int argc, char **argv)
{
	const char *data = data_arg(argc, argv);
	char path[CONFIG_PATH_MAX + 16];
	struct error e;
	struct db db;

	if (!data) {
		fprintf(stderr, "%s", USAGE);
		return 2;
	}
	if (app_open_db(data, &db, path, sizeof(path), &e) != ERR_OK)
		return fail(&e);
	printf("%s: schema version %d\n", path, db_schema_version(&db));
	db_close(&db);
	return 0;
}

static int cmd_backup(int argc, char **argv)
{
	const char *data = data_arg(argc, argv), *out = argc > 0 ? argv[argc - 1] : NULL;
	char path[CONFIG_PATH_MAX + 16];
	struct error e;
	struct db db;

	if (!data || !out || !strcmp(out, data) || !strncmp(out, "--", 2)) {
		fprintf(stderr, "%s", USAGE);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/mingshi.db", data);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "mingshi: cannot read %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (db_open(&db, path, DB_READ_ONLY, &e) != ERR_OK)
		return fail(&e);
	if (db_backup(&db, out, &e) != ERR_OK) {
		db_close(&db);
		return fail(&e);
	}
	db_close(&db);
	printf("backed up %s to %s\n", path, out);
	return 0;
}

/* The route table with the roles each route admits: the permission-matrix test checks that
 * it covers every route, so a new endpoint cannot ship without a row. */
static void add_route(const struct route *rt, void *ctx)
{
	json_t *roles = json_array();

	for (int r = ROLE_NONE + 1; r < ROLE__COUNT; r++) {
		if (rt->roles & ROLE_BIT(r))
			json_array_append_new(roles, json_string(role_name((enum role)r)));
	}
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:o, s:b}", "method",
					     http_method_name(rt->method), "pattern", rt->pattern,
					     "roles", roles, "public", rt->roles == ROLES_PUBLIC));
}

static int cmd_routes(void)
{
	json_t *out = json_array();
	char *text;

	router_each(add_route, out);
	text = json_dumps(out, JSON_INDENT(1));
	puts(text);
	free(text);
	json_decref(out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")))
		return print_version();
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "user") && !strcmp(argv[2], "add"))
		return cmd_user_add(argc - 3, argv + 3);
	if (argc >= 2 && !strcmp(argv[1], "routes"))
		return cmd_routes();
	if (argc >= 2 && !strcmp(argv[1], "migrate"))
		return cmd_migrate(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "backup"))
		return cmd_backup(argc - 2, argv + 2);
	fprintf(stderr, "%s", USAGE);
	return argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) ? 0 : 2;
}
