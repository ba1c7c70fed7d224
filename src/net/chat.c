/* Discussion frames; see chat.h. */
#include "net/chat.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/views.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "domain/discussion.h"
#include "net/hub.h"
#include "net/server.h"
#include "net/ws.h"

/* ---- frame checks -------------------------------------------------------------------- */

/* The frame's fields are exactly among `allowed` and its room parses; else an error frame
 * (echoing client_id) and false. */
static bool frame_ok(struct ws_conn *c, json_t *msg, const char *const *allowed,
		     struct room_ref *ref)
{
	const char *client_id = json_string_value(json_object_get(msg, "client_id"));
	const char *room = json_string_value(json_object_get(msg, "room"));
	struct error e;

	if (json_only_fields(msg, allowed, &e) != ERR_OK) {
		ws_send_error(c, &e, client_id, room);
		return false;
	}
	if (!room || !room_parse(room, ref)) {
		error_set(&e, ERR_INVALID, "room", "room is a name like studio:3");
		ws_send_error(c, &e, client_id, room);
		return false;
	}
	return true;
}

enum access { MAY_READ, MAY_POST, MAY_MODERATE };

/* ---- the access memo ------------------------------------------------------------------ */

/* Room access is decided on every frame (DESIGN §8). Asking the database each time was over a
 * tenth of the server's work per chat message: three queries on a read connection whose page
 * cache every commit empties. So a subscription remembers the checks that passed, for as
 * long as nothing they read can have changed: the writer moves its access epoch after any
 * transaction that wrote a table they read (core/writer.h). Refusals are never remembered. */
#define ACCESS_MEMO_US 1000000

static uint64_t access_epoch(const struct ws_conn *c)
{
	return atomic_load_explicit(&c->srv->app->writer.access_epoch, memory_order_acquire);
}

/* s's memo, if it is still true for `epoch`. */
static struct access_memo *memo_valid(struct hub_sub *s, uint64_t epoch)
{
	if (!s || s->memo.epoch != epoch || clock_mono_us() - s->memo.at_us >= ACCESS_MEMO_US)
		return NULL;
	return &s->memo;
}

/* s's memo, started afresh unless still valid for `epoch` (read before the checks ran: a
 * write committed meanwhile has moved the epoch, and the memo is then already stale). */
static struct access_memo *memo_for(struct hub_sub *s, uint64_t epoch)
{
	struct access_memo *m = memo_valid(s, epoch);

	if (!m && s) {
		m = &s->memo;
		*m = (struct access_memo){ .epoch = epoch, .at_us = clock_mono_us() };
	}
	return m;
}

/* ---- checks ----------------------------------------------------------------------------- */

/* Decides against the database as it is now: the user (disabled? role?) and the room. The
 * permission is asked first: it is false for a room that does not exist (room.h), so only a
 * refusal costs the extra query that tells "no such room" from "not allowed". s is the
 * subscription (NULL before a join); a MAY_POST that passed is remembered in its memo. */
static bool access_ok(struct ws_conn *c, struct hub_sub *s, const struct room_ref *ref,
		      enum access need, const char *client_id)
{
	struct app *a = c->srv->app;
	uint64_t epoch = access_epoch(c);
	struct access_memo *m;
	struct user u;
	struct error e;
	bool ok;

	if (need == MAY_POST && (m = memo_valid(s, epoch)) && m->may_post)
		return true;
	if (user_access_by_id(&a->rdb, c->user.id, &u) != ERR_OK || u.disabled) {
		ws_close(c, 1008, "account disabled");
		return false;
	}
	ok = need == MAY_READ	? ref->kind->may_read(&a->rdb, &u, ref->id)
	     : need == MAY_POST ? ref->kind->may_post(&a->rdb, &u, ref->id)
				: ref->kind->may_moderate(&a->rdb, &u, ref->id);
	if (!ok && !ref->kind->exists(&a->rdb, ref->id)) {
		error_set(&e, ERR_NOT_FOUND, "room", "no room %s", ref->name);
		ws_send_error(c, &e, client_id, ref->name);
		return false;
	}
	if (!ok) {
		error_set(&e, ERR_FORBIDDEN, "room",
			  need == MAY_READ   ? "you may not read %s"
			  : need == MAY_POST ? "you may not post in %s"
					     : "only the host and admins moderate %s",
			  ref->name);
		ws_send_error(c, &e, client_id, ref->name);
		/* a subscriber who lost read access leaves at once */
		if (need == MAY_READ || !ref->kind->may_read(&a->rdb, &u, ref->id)) {
			if (s)
				hub_leave(&c->srv->hub, s);
		}
	} else if (need == MAY_POST && (m = memo_for(s, epoch))) {
		m->may_post = true;
	}
	return ok;
}

/* Whether c's user is muted in the room; "not muted" is remembered in s's memo. */
static bool muted(struct ws_conn *c, struct hub_sub *s, const struct room_ref *ref)
{
	uint64_t epoch = access_epoch(c);
	struct access_memo *m = memo_valid(s, epoch);

	if (m && m->unmuted)
		return false;
	if (discussion_is_muted(&c->srv->app->rdb, ref->name, c->user.id))
		return true;
	if ((m = memo_for(s, epoch)))
		m->unmuted = true;
	return false;
}

/* c's subscription to the room, or NULL after an error frame (the room is not joined). */
static struct hub_sub *joined_or_error(struct ws_conn *c, const struct room_ref *ref,
				       const char *client_id)
{
	struct hub_sub *s = hub_sub_of(c, ref->name);
	struct error e;

	if (s)
		return s;
	error_set(&e, ERR_INVALID, "room", "join %s first", ref->name);
	ws_send_error(c, &e, client_id, ref->name);
	return NULL;
}

/* ---- join, leave, typing ------------------------------------------------------------- */

void chat_join(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", "since", NULL };
	struct room_ref ref;
	json_int_t since = 0;
	struct error e;
	enum err r;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (json_get_int(msg, "since", false, 0, (json_int_t)1 << 53, &since, NULL, &e) != ERR_OK) {
		ws_send_error(c, &e, NULL, ref.name);
		return;
	}
	/* joining again a room one has: a refusal now also ends the subscription */
	if (!access_ok(c, hub_sub_of(c, ref.name), &ref, MAY_READ, NULL))
		return;
	r = hub_join(&c->srv->hub, c, &ref, since);
	if (r != ERR_OK) {
		error_set(&e, r, "room",
			  r == ERR_INVALID ? "at most %d rooms per connection" : NULL,
			  HUB_MAX_ROOMS_PER_CONN);
		ws_send_error(c, &e, NULL, ref.name);
	}
}

void chat_leave(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", NULL };
	struct room_ref ref;
	struct hub_sub *s;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	s = hub_sub_of(c, ref.name);
	if (s)
		hub_leave(&c->srv->hub, s);
}

void chat_typing(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", NULL };
	struct room_ref ref;
	struct hub_sub *s;
	json_t *v;

	if (!frame_ok(c, msg, FIELDS, &ref) || !(s = joined_or_error(c, &ref, NULL)) ||
	    !access_ok(c, s, &ref, MAY_POST, NULL))
		return;
	if (!hub_typing_allowed(&c->srv->hub, ref.name, c->user.id))
		return; /* at most one typing event per user per 3 s: the rest are dropped */
	v = json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "type", "typing", "room", ref.name, "user",
		      "id", (json_int_t)c->user.id, "name", c->user.name, "role",
		      role_name(c->user.role));
	hub_publish(&c->srv->hub, ref.name, v, c->user.id, 0);
	json_decref(v);
}

/* ---- writes: send, upvote, moderate -------------------------------------------------- */

enum chat_op { OP_SEND, OP_UPVOTE, OP_MODERATE, OP_MUTE };

struct chat_job {
	enum chat_op op;
	struct ws_handle *handle; /* the sender, if still connected at completion */
	struct server *srv;
	struct room_ref ref;
	int64_t user_id;
	int action;	/* enum moderation */
	int64_t target; /* message or user id */
	bool duplicate, changed;
	struct message m;
	struct error err;
};

static enum err job_run(struct db *db, void *arg)
{
	struct chat_job *j = arg;

	switch (j->op) {
	case OP_SEND:
		return discussion_post(db, &j->m, &j->duplicate, &j->err);
	case OP_UPVOTE:
		return discussion_upvote(db, j->ref.name, j->target, j->user_id, &j->m, &j->changed,
					 &j->err);
	case OP_MODERATE:
		return discussion_moderate(db, j->ref.name, (enum moderation)j->action, j->target,
					   j->user_id, &j->m, &j->changed, &j->err);
	default:
		j->changed = true;
		return discussion_mute(db, j->ref.name, j->target, j->action == MOD_MUTE,
				       j->user_id, &j->err);
	}
}

/* The `message` frame of a new message, written as text: the same bytes as json_dump() of
 * {"type","room","message": view_message()} (test_views holds view_message_text to that),
 * without building and freeing a tree of ~30 values per message. */
static void publish_new(struct chat_job *j)
{
	struct json_text t = { 0 };
	struct ws_buf *b;
	size_t n = 0;
	char *text;

	json_text_raw(&t, "{\"type\":\"message\",\"room\":");
	json_text_string(&t, j->ref.name);
	json_text_raw(&t, ",\"message\":");
	view_message_text(&t, &j->m);
	json_text_raw(&t, "}");
	text = json_text_finish(&t, &n);
	if ((b = ws_buf_text(text, n))) {
		hub_publish_buf(&j->srv->hub, j->ref.name, b, 0, j->m.id);
		ws_buf_unref(b);
	}
	free(text);
}

/* The sender's {"type":"ack","client_id","id"}, written as text. */
static void ack(struct ws_conn *c, const struct chat_job *j)
{
	struct json_text t = { 0 };
	size_t n = 0;
	char *text;

	json_text_raw(&t, "{\"type\":\"ack\",\"client_id\":");
	json_text_string(&t, j->m.client_id);
	json_text_raw(&t, ",\"id\":");
	json_text_int(&t, (json_int_t)j->m.id);
	json_text_raw(&t, "}");
	if ((text = json_text_finish(&t, &n)))
		ws_send_text(c, text, n);
	free(text);
}

/* Publishes the committed change to the room. */
static void publish(struct chat_job *j)
{
	json_t *v;

	if (j->op == OP_SEND) {
		publish_new(j);
		return;
	}
	if (j->op == OP_MUTE)
		v = json_pack("{s:s, s:s, s:{s:I}, s:b}", "type", "update", "room", j->ref.name,
			      "user", "id", (json_int_t)j->target, "muted", j->action == MOD_MUTE);
	else
		v = json_pack("{s:s, s:s, s:o}", "type", "update", "room", j->ref.name, "message",
			      view_message(&j->m));
	hub_publish(&j->srv->hub, j->ref.name, v, 0, 0);
	json_decref(v);
}

/* A job is ~17 KB, 16 KB of it the text buffer of a 4 000-character message. Freed jobs are
 * kept for reuse (up to CHAT_JOBS_KEPT, core/spares.h): malloc gave such blocks back to the
 * kernel and faulted them in again, ~3 % of a chat message's work. A job is zeroed all but
 * that buffer: calloc's memset of every job, and the fresh pages it touched, were ~7 % of the
 * event loop's time for 120-byte chat messages. */

static void job_done(void *arg, enum err result)
{
	struct chat_job *j = arg;
	struct ws_conn *c = j->handle->conn;

	if (result != ERR_OK) {
		if (j->err.err == ERR_OK)
			error_set(&j->err, result, NULL, NULL);
		if (c)
			ws_send_error(c, &j->err, j->op == OP_SEND ? j->m.client_id : NULL,
				      j->ref.name);
	} else {
		/* committed: first the sender's ack, then everyone sees it */
		if (j->op == OP_SEND && c)
			ack(c, j);
		if ((j->op == OP_SEND && !j->duplicate) || (j->op != OP_SEND && j->changed))
			publish(j);
	}
	ws_handle_unref(j->handle);
	spares_put(&j->srv->chat_jobs, j);
}

static struct chat_job *job_new(struct ws_conn *c, enum chat_op op, const struct room_ref *ref)
{
	struct server *s = c->srv;
	struct chat_job *j = spares_take(&s->chat_jobs);
	size_t text = offsetof(struct chat_job, m.text), after = text + sizeof(j->m.text);

	if (!j && !(j = malloc(sizeof(*j))))
		return NULL;
	memset(j, 0, text);
	j->m.text[0] = '\0';
	memset((char *)j + after, 0, sizeof(*j) - after);
	j->op = op;
	j->srv = s;
	j->ref = *ref;
	j->user_id = c->user.id;
	j->handle = ws_handle_ref(c);
	return j;
}

static void job_submit(struct ws_conn *c, struct chat_job *j, const char *client_id)
{
	enum err r = writer_submit(&c->srv->app->writer, job_run, job_done, j);
	struct error e;

	if (r != ERR_OK) {
		error_set(&e, r, NULL, NULL);
		ws_send_error(c, &e, client_id, j->ref.name);
		ws_handle_unref(j->handle);
		spares_put(&c->srv->chat_jobs, j);
	}
}

/* Fills the message of a send frame; false after an error frame. */
static bool parse_send(struct ws_conn *c, json_t *msg, struct chat_job *j)
{
	const char *client_id, *text, *kind;
	json_int_t reply_to = 0;
	struct error e;

	if (json_get_string(msg, "client_id", true, 1, CLIENT_ID_MAX, &client_id, &e) != ERR_OK ||
	    json_get_string(msg, "text", true, 1, MESSAGE_TEXT_MAX, &text, &e) != ERR_OK ||
	    json_get_string(msg, "kind", false, 1, 10, &kind, &e) != ERR_OK ||
	    json_get_int(msg, "reply_to", false, 1, (json_int_t)1 << 53, &reply_to, NULL, &e) !=
		    ERR_OK ||
	    (kind && strcmp(kind, "chat") && strcmp(kind, "question") &&
	     error_set(&e, ERR_INVALID, "kind", "kind is chat or question"))) {
		ws_send_error(c, &e, json_string_value(json_object_get(msg, "client_id")),
			      j->ref.name);
		return false;
	}
	snprintf(j->m.room, sizeof(j->m.room), "%s", j->ref.name);
	snprintf(j->m.client_id, sizeof(j->m.client_id), "%s", client_id);
	snprintf(j->m.kind, sizeof(j->m.kind), "%s", kind ? kind : "chat");
	snprintf(j->m.text, sizeof(j->m.text), "%s", text);
	j->m.user_id = c->user.id;
	j->m.reply_to = reply_to;
	return true;
}

void chat_send(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room",	  "client_id", "kind",
					      "text", "reply_to", NULL };
	const char *client_id = json_string_value(json_object_get(msg, "client_id"));
	struct room_ref ref;
	struct hub_sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref) || !(s = joined_or_error(c, &ref, client_id)) ||
	    !access_ok(c, s, &ref, MAY_POST, client_id))
		return;
	if (muted(c, s, &ref)) {
		error_set(&e, ERR_FORBIDDEN, NULL, "you are muted in %s", ref.name);
		e.code = "muted";
		ws_send_error(c, &e, client_id, ref.name);
		return;
	}
	j = job_new(c, OP_SEND, &ref);
	if (!j)
		return;
	if (!parse_send(c, msg, j)) {
		ws_handle_unref(j->handle);
		spares_put(&c->srv->chat_jobs, j);
		return;
	}
	/* only a valid message spends a token */
	if (!hub_rate_take(&c->srv->hub, c->user.id)) {
		error_set(&e, ERR_RATE_LIMITED, NULL, "too many messages; slow down");
		ws_send_error(c, &e, client_id, ref.name);
		ws_handle_unref(j->handle);
		spares_put(&c->srv->chat_jobs, j);
		return;
	}
	job_submit(c, j, client_id);
}

void chat_upvote(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", "message_id", NULL };
	json_int_t id;
	struct room_ref ref;
	struct hub_sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (json_get_int(msg, "message_id", true, 1, (json_int_t)1 << 53, &id, NULL, &e) !=
	    ERR_OK) {
		ws_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (!(s = joined_or_error(c, &ref, NULL)) || !access_ok(c, s, &ref, MAY_POST, NULL))
		return;
	j = job_new(c, OP_UPVOTE, &ref);
	if (j) {
		j->target = id;
		job_submit(c, j, NULL);
	}
}

void chat_moderate(struct ws_conn *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type",	    "room",    "action",
					      "message_id", "user_id", NULL };
	const char *action = json_string_value(json_object_get(msg, "action"));
	int act = moderation_parse(action);
	bool on_user = act == MOD_MUTE || act == MOD_UNMUTE;
	json_int_t target = 0;
	struct room_ref ref;
	struct hub_sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (act < 0) {
		error_set(&e, ERR_INVALID, "action",
			  "action is delete, pin, unpin, answered, mute or unmute");
		ws_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (json_get_int(msg, on_user ? "user_id" : "message_id", true, 1, (json_int_t)1 << 53,
			 &target, NULL, &e) != ERR_OK) {
		ws_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (!(s = joined_or_error(c, &ref, NULL)) || !access_ok(c, s, &ref, MAY_MODERATE, NULL))
		return;
	j = job_new(c, on_user ? OP_MUTE : OP_MODERATE, &ref);
	if (j) {
		j->action = act;
		j->target = target;
		job_submit(c, j, NULL);
	}
}
