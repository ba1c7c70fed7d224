/* api/client, api/chat, api/hub: WebSocket messages through the seam net/ uses, with a stand-in
 * for net/ that keeps every frame the server queues — routing by type, refusals, and a chat
 * message from frame to commit to ack and fan-out, without lws. */
#include "testutil.h"

#include <jansson.h>

#include "api/api.h"
#include "api/chat.h"
#include "api/client.h"
#include "api/hub.h"
#include "core/app.h"
#include "core/config.h"
#include "core/embed.h"

/* ---- a stand-in for net/ ------------------------------------------------------------------ */

#define SENT_MAX 32

/* A client and what was sent to it. */
struct tclient {
	struct client c; /* first: the ops get the client, and this is it */
	json_t *sent[SENT_MAX];
	bool urgent[SENT_MAX];
	int nsent;
	int closed_with;
};

static void fake_send(struct client *c, struct frame *f, bool urgent)
{
	struct tclient *t = (struct tclient *)c;

	assert_true(t->nsent < SENT_MAX);
	t->urgent[t->nsent] = urgent;
	t->sent[t->nsent] = json_loadb(frame_body(f), f->len, 0, NULL);
	assert_non_null(t->sent[t->nsent]);
	t->nsent++;
}

static void fake_close(struct client *c, int code, const char *reason)
{
	(void)reason;
	((struct tclient *)c)->closed_with = code;
}

static const struct client_ops FAKE_OPS = { fake_send, fake_close };

/* The i-th frame sent to t, and its "type". */
static json_t *sent(struct tclient *t, int i)
{
	assert_true(i < t->nsent);
	return t->sent[i];
}

static const char *type_of(json_t *v)
{
	return json_string_value(json_object_get(v, "type"));
}

static void forget_sent(struct tclient *t)
{
	for (int i = 0; i < t->nsent; i++)
		json_decref(t->sent[i]);
	t->nsent = 0;
}

/* ---- an app on a database file with the demo data, its writer run by hand --------------- */

struct fixture {
	char dir[32], path[64];
	struct app app;
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error e;
	struct db wdb;

	log_set_level(LOG_ERROR);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mingshi-c-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/c.db", f->dir);
	config_defaults(&f->app.cfg);
	metrics_init(&f->app.metrics);
	completions_init(&f->app.completions);
	assert_int_equal(db_open(&wdb, f->path, DB_READ_WRITE, &e), ERR_OK);
	assert_int_equal(db_migrate(&wdb, &e), ERR_OK);
	test_exec(&wdb, EMBED_DEMO_SQL.data);
	writer_init(&f->app.writer, &wdb, &f->app.completions, &f->app.metrics);
	assert_int_equal(db_open(&f->app.rdb, f->path, DB_READ_ONLY, &e), ERR_OK);
	assert_int_equal(api_init(&f->app), ERR_OK);
	return f;
}

/* Commits what the writer holds and runs the completions, as the threads would. */
static void settle(struct fixture *f)
{
	while (writer_run_batch(&f->app.writer) > 0)
		;
	completions_drain(&f->app.completions);
}

static void fixture_free(struct fixture *f)
{
	settle(f);
	api_free(&f->app);
	writer_stop(&f->app.writer);
	completions_drain(&f->app.completions);
	db_close(&f->app.rdb);
	writer_close(&f->app.writer);
	completions_destroy(&f->app.completions);
	metrics_free(&f->app.metrics);
	test_db_remove(f->dir, f->path);
	free(f);
}

/* A client of username, open. */
static void open_as(struct fixture *f, struct tclient *t, const char *username)
{
	static const char SQL[] = "SELECT id, role, name FROM users WHERE username = ?1";
	sqlite3_stmt *st = db_stmt(&f->app.rdb, SQL);

	memset(t, 0, sizeof(*t));
	sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	t->c.app = &f->app;
	t->c.user.id = sqlite3_column_int64(st, 0);
	t->c.user.role = role_parse((const char *)sqlite3_column_text(st, 1));
	snprintf(t->c.user.name, sizeof(t->c.user.name), "%s", sqlite3_column_text(st, 2));
	db_done(st);
	assert_int_equal(api_client_open(&t->c, &FAKE_OPS), ERR_OK);
}

static void close_client(struct tclient *t)
{
	api_client_closed(&t->c);
	forget_sent(t);
}

static void say(struct tclient *t, const char *text)
{
	api_client_message(&t->c, text, strlen(text), false);
}

/* The error frame t got last: its code and message. */
static void assert_error(struct tclient *t, const char *code, const char *message_part)
{
	json_t *v = sent(t, t->nsent - 1);

	assert_string_equal(type_of(v), "error");
	assert_string_equal(json_string_value(json_object_get(v, "code")), code);
	assert_non_null(strstr(json_string_value(json_object_get(v, "message")), message_part));
	assert_true(t->urgent[t->nsent - 1]);
}

/* ---- the cases ---------------------------------------------------------------------------- */

/* Messages are routed by type; what no table names, or is not a JSON object with a type, is
 * refused with an error frame, and the client stays open. */
static void routes_by_type(void **state)
{
	struct fixture *f = fixture_new();
	struct tclient t;

	(void)state;
	open_as(f, &t, "teacher_wang");
	say(&t, "{\"type\":\"ping\"}");
	assert_int_equal(t.nsent, 1);
	assert_string_equal(type_of(sent(&t, 0)), "pong");
	say(&t, "{\"type\":\"shout\",\"client_id\":\"c9\"}");
	assert_int_equal(t.nsent, 2);
	assert_error(&t, "invalid", "unknown type 'shout'");
	assert_string_equal(json_string_value(json_object_get(sent(&t, 1), "client_id")), "c9");
	say(&t, "[1,2]");
	assert_error(&t, "invalid", "one JSON object");
	say(&t, "{\"type\":7}");
	assert_error(&t, "invalid", "one JSON object");
	say(&t, "{\"type\":\"ping\",\"type\":\"ping\"}"); /* duplicate keys are not one object */
	assert_error(&t, "invalid", "one JSON object");
	api_client_message(&t.c, "{}", 2, true);
	assert_error(&t, "invalid", "text frames");
	say(&t, "{\"type\":\"ping\",\"extra\":1}");
	assert_error(&t, "invalid", "extra");
	assert_int_equal(t.nsent, 7);
	assert_int_equal(t.closed_with, 0);
	f->app.stopping = true; /* shutting down: only ping is served */
	say(&t, "{\"type\":\"join\",\"room\":\"studio:1\"}");
	assert_error(&t, "unavailable", "shutting down");
	say(&t, "{\"type\":\"ping\"}");
	assert_string_equal(type_of(sent(&t, t.nsent - 1)), "pong");
	close_client(&t);
	fixture_free(f);
}

/* A write op that no case names is refused and writes nothing (a default used to mute). */
static void unknown_op_refused(void **state)
{
	struct fixture *f = fixture_new();
	struct chat_write w;
	struct db *db = &f->app.writer.db;
	int mutes = test_int(db, "SELECT count(*) FROM room_mutes");
	int messages = test_int(db, "SELECT count(*) FROM messages");

	(void)state;
	for (int op = 0; op <= CHAT_MUTE + 1; op += CHAT_MUTE + 1) {
		memset(&w, 0, sizeof(w));
		w.op = (enum chat_op)op;
		assert_true(room_parse("studio:1", &w.ref));
		w.user_id = 3;
		w.target = 4;
		w.action = MOD_MUTE;
		assert_int_equal(chat_write_run(db, &w), ERR_INVALID);
		assert_non_null(strstr(w.err.message, "no such chat operation"));
	}
	/* a mute op with an action that is not mute or unmute, too */
	memset(&w, 0, sizeof(w));
	w.op = CHAT_MUTE;
	assert_true(room_parse("studio:1", &w.ref));
	w.user_id = 3;
	w.target = 4;
	w.action = MOD_PIN;
	assert_int_equal(chat_write_run(db, &w), ERR_INVALID);
	assert_int_equal(test_int(db, "SELECT count(*) FROM room_mutes"), mutes);
	assert_int_equal(test_int(db, "SELECT count(*) FROM messages"), messages);
	fixture_free(f);
}

/* join → joined; send → nothing until the writer commits, then the sender's ack and the
 * message to every subscriber, the sender included; a moderate action a member may not take
 * and an unknown one are refused. */
static void chat_through_the_seam(void **state)
{
	struct fixture *f = fixture_new();
	struct tclient wang, li;
	json_t *m;
	int64_t id;

	(void)state;
	open_as(f, &wang, "teacher_wang");
	open_as(f, &li, "master_li");
	say(&wang, "{\"type\":\"join\",\"room\":\"studio:1\"}");
	assert_string_equal(type_of(sent(&wang, 0)), "joined");
	say(&li, "{\"type\":\"join\",\"room\":\"studio:1\"}");
	assert_string_equal(type_of(sent(&li, 0)), "joined");
	assert_int_equal(json_array_size(json_object_get(sent(&li, 0), "members")), 2);
	assert_string_equal(type_of(sent(&wang, 1)), "presence"); /* li joined */
	forget_sent(&wang);
	forget_sent(&li);
	say(&wang,
	    "{\"type\":\"send\",\"room\":\"studio:1\",\"client_id\":\"a1\",\"text\":\"你好\"}");
	assert_int_equal(wang.nsent, 0); /* nothing before COMMIT */
	settle(f);
	assert_int_equal(wang.nsent, 2);
	assert_string_equal(type_of(sent(&wang, 0)), "ack");
	id = json_integer_value(json_object_get(sent(&wang, 0), "id"));
	assert_true(id > 0);
	assert_true(wang.urgent[0]);
	m = json_object_get(sent(&wang, 1), "message");
	assert_string_equal(type_of(sent(&wang, 1)), "message");
	assert_false(wang.urgent[1]); /* a broadcast may rest */
	assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
	assert_string_equal(json_string_value(json_object_get(m, "text")), "你好");
	assert_int_equal(li.nsent, 1);
	assert_true(json_equal(sent(&li, 0), sent(&wang, 1)));
	say(&wang, "{\"type\":\"moderate\",\"room\":\"studio:1\",\"action\":\"pin\","
		   "\"message_id\":1}");
	assert_error(&wang, "forbidden", "only the host and admins");
	say(&li, "{\"type\":\"moderate\",\"room\":\"studio:1\",\"action\":\"shout\","
		 "\"message_id\":1}");
	assert_error(&li, "invalid", "action is delete, pin");
	close_client(&wang);
	close_client(&li);
	fixture_free(f);
}

/* A client that closes before its write commits: the job finds it gone, and the others still
 * hear the message. */
static void gone_before_commit(void **state)
{
	struct fixture *f = fixture_new();
	struct tclient wang, li;

	(void)state;
	open_as(f, &wang, "teacher_wang");
	open_as(f, &li, "master_li");
	say(&wang, "{\"type\":\"join\",\"room\":\"studio:1\"}");
	say(&li, "{\"type\":\"join\",\"room\":\"studio:1\"}");
	forget_sent(&li);
	say(&wang,
	    "{\"type\":\"send\",\"room\":\"studio:1\",\"client_id\":\"a2\",\"text\":\"走了\"}");
	close_client(&wang);
	settle(f);
	assert_int_equal(li.nsent, 2); /* wang's leave, then the message */
	assert_string_equal(type_of(sent(&li, 0)), "presence");
	assert_string_equal(type_of(sent(&li, 1)), "message");
	close_client(&li);
	fixture_free(f);
}

/* Ending a user's sessions closes their clients with 1008, and only theirs. */
static void ending_sessions_closes(void **state)
{
	struct fixture *f = fixture_new();
	struct tclient wang, li;

	(void)state;
	open_as(f, &wang, "teacher_wang");
	open_as(f, &li, "master_li");
	wang.c.session_id = 11;
	li.c.session_id = 12;
	hub_end_user(f->app.hub, wang.c.user.id, 0);
	assert_int_equal(wang.closed_with, CLOSE_POLICY);
	assert_int_equal(li.closed_with, 0);
	hub_end_session(f->app.hub, 12);
	assert_int_equal(li.closed_with, CLOSE_POLICY);
	close_client(&wang);
	close_client(&li);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST("client-1.1 messages are routed by type; an unknown or malformed one is an "
		     "error frame",
		     routes_by_type),
		TEST("client-1.2 a chat write op that no case names is refused and writes nothing",
		     unknown_op_refused),
		TEST("client-1.3 join, send, ack after commit, fan-out; refused moderation",
		     chat_through_the_seam),
		TEST("client-1.4 a client gone before its write commits: the room still hears it",
		     gone_before_commit),
		TEST("client-1.5 ending a user's or a session's sockets closes those clients only",
		     ending_sessions_closes),
	};
	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
