/* Discussion frames; see chat.h. */
#include "api/chat.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/client.h"
#include "api/hub.h"
#include "api/views.h"
#include "core/clock.h"
#include "core/json.h"

/* ---- frame checks -------------------------------------------------------------------- */

/* The frame's fields are exactly among `allowed` and its room parses; else an error frame
 * (echoing client_id) and false. */
static bool frame_ok(struct client *c, json_t *msg, const char *const *allowed,
		     struct room_ref *ref)
{
	const char *client_id = json_string_value(json_object_get(msg, "client_id"));
	const char *room = json_string_value(json_object_get(msg, "room"));
	struct error e;

	if (json_only_fields(msg, allowed, &e) != ERR_OK) {
		client_send_error(c, &e, client_id, room);
		return false;
	}
	if (!room || !room_parse(room, ref)) {
		error_set(&e, ERR_INVALID, "room", "room is a name like studio:3");
		client_send_error(c, &e, client_id, room);
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

static uint64_t access_epoch(const struct client *c)
{
	return atomic_load_explicit(&c->app->writer.access_epoch, memory_order_acquire);
}

/* s's memo, if it is still true for `epoch`. */
static struct access_memo *memo_valid(struct sub *s, uint64_t epoch)
{
	if (!s || s->memo.epoch != epoch || clock_mono_us() - s->memo.at_us >= ACCESS_MEMO_US)
		return NULL;
	return &s->memo;
}

/* s's memo, started afresh unless still valid for `epoch` (read before the checks ran: a
 * write committed meanwhile has moved the epoch, and the memo is then already stale). */
static struct access_memo *memo_for(struct sub *s, uint64_t epoch)
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
static bool access_ok(struct client *c, struct sub *s, const struct room_ref *ref, enum access need,
		      const char *client_id)
{
	struct app *a = c->app;
	uint64_t epoch = access_epoch(c);
	struct access_memo *m;
	struct user u;
	struct error e;
	bool ok;

	if (need == MAY_POST && (m = memo_valid(s, epoch)) && m->may_post)
		return true;
	if (user_access_by_id(&a->rdb, c->user.id, &u) != ERR_OK || u.disabled) {
		client_close(c, CLOSE_POLICY, "account disabled");
		return false;
	}
	ok = need == MAY_READ	? ref->kind->may_read(&a->rdb, &u, ref->id)
	     : need == MAY_POST ? ref->kind->may_post(&a->rdb, &u, ref->id)
				: ref->kind->may_moderate(&a->rdb, &u, ref->id);
	if (!ok && !ref->kind->exists(&a->rdb, ref->id)) {
		error_set(&e, ERR_NOT_FOUND, "room", "no room %s", ref->name);
		client_send_error(c, &e, client_id, ref->name);
		return false;
	}
	if (!ok) {
		error_set(&e, ERR_FORBIDDEN, "room",
			  need == MAY_READ   ? "you may not read %s"
			  : need == MAY_POST ? "you may not post in %s"
					     : "only the host and admins moderate %s",
			  ref->name);
		client_send_error(c, &e, client_id, ref->name);
		/* a subscriber who lost read access leaves at once */
		if (need == MAY_READ || !ref->kind->may_read(&a->rdb, &u, ref->id)) {
			if (s)
				hub_leave(c->app->hub, s);
		}
	} else if (need == MAY_POST && (m = memo_for(s, epoch))) {
		m->may_post = true;
	}
	return ok;
}

/* Whether c's user is muted in the room; "not muted" is remembered in s's memo. */
static bool muted(struct client *c, struct sub *s, const struct room_ref *ref)
{
	uint64_t epoch = access_epoch(c);
	struct access_memo *m = memo_valid(s, epoch);

	if (m && m->unmuted)
		return false;
	if (discussion_is_muted(&c->app->rdb, ref->name, c->user.id))
		return true;
	if ((m = memo_for(s, epoch)))
		m->unmuted = true;
	return false;
}

/* c's subscription to the room, or NULL after an error frame (the room is not joined). */
static struct sub *joined_or_error(struct client *c, const struct room_ref *ref,
				   const char *client_id)
{
	struct sub *s = hub_sub_of(c, ref->name);
	struct error e;

	if (s)
		return s;
	error_set(&e, ERR_INVALID, "room", "join %s first", ref->name);
	client_send_error(c, &e, client_id, ref->name);
	return NULL;
}

/* ---- join, leave, typing ------------------------------------------------------------- */

static void chat_join(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", "since", NULL };
	struct room_ref ref;
	json_int_t since = 0;
	struct error e;
	enum err r;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (json_get_int(msg, "since", false, 0, (json_int_t)1 << 53, &since, NULL, &e) != ERR_OK) {
		client_send_error(c, &e, NULL, ref.name);
		return;
	}
	/* joining again a room one has: a refusal now also ends the subscription */
	if (!access_ok(c, hub_sub_of(c, ref.name), &ref, MAY_READ, NULL))
		return;
	r = hub_join(c->app->hub, c, &ref, since);
	if (r != ERR_OK) {
		error_set(&e, r, "room",
			  r == ERR_INVALID ? "at most %d rooms per connection" : NULL,
			  HUB_MAX_ROOMS_PER_CONN);
		client_send_error(c, &e, NULL, ref.name);
	}
}

static void chat_leave(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", NULL };
	struct room_ref ref;
	struct sub *s;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	s = hub_sub_of(c, ref.name);
	if (s)
		hub_leave(c->app->hub, s);
}

static void chat_typing(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", NULL };
	struct room_ref ref;
	struct sub *s;
	json_t *v;

	if (!frame_ok(c, msg, FIELDS, &ref) || !(s = joined_or_error(c, &ref, NULL)) ||
	    !access_ok(c, s, &ref, MAY_POST, NULL))
		return;
	if (!hub_typing_allowed(c->app->hub, ref.name, c->user.id))
		return; /* at most one typing event per user per 3 s: the rest are dropped */
	v = json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "type", "typing", "room", ref.name, "user",
		      "id", (json_int_t)c->user.id, "name", c->user.name, "role",
		      role_name(c->user.role));
	hub_publish(c->app->hub, ref.name, v, c->user.id, 0);
	json_decref(v);
}

/* ---- writes: send, upvote, moderate -------------------------------------------------- */

enum err chat_write_run(struct db *db, struct chat_write *w)
{
	switch (w->op) {
	case CHAT_SEND:
		return discussion_post(db, &w->m, &w->duplicate, &w->err);
	case CHAT_UPVOTE:
		return discussion_upvote(db, w->ref.name, w->target, w->user_id, &w->m, &w->changed,
					 &w->err);
	case CHAT_MODERATE:
		return discussion_moderate(db, w->ref.name, (enum moderation)w->action, w->target,
					   w->user_id, &w->m, &w->changed, &w->err);
	case CHAT_MUTE:
		if (w->action != MOD_MUTE && w->action != MOD_UNMUTE)
			break;
		w->changed = true;
		return discussion_mute(db, w->ref.name, w->target, w->action == MOD_MUTE,
				       w->user_id, &w->err);
	}
	return error_set(&w->err, ERR_INVALID, NULL, "no such chat operation (%d, action %d)",
			 (int)w->op, w->action);
}

/* A write frame on its way through the writer. A job is ~17 KB, 16 KB of it the text buffer
 * of a 4 000-character message, so freed jobs are kept for reuse (hub_chat_jobs(),
 * core/spares.h): malloc gave such blocks back to the kernel and faulted them in again, ~3 % of
 * a chat message's work. A job is zeroed all but that buffer: calloc's memset of every job,
 * and the fresh pages it touched, were ~7 % of the event loop's time for 120-byte messages. */
struct chat_job {
	struct chat_write w;
	struct client_ref *ref; /* the sender, if still connected at completion */
	struct hub *hub;
};

static enum err job_run(struct db *db, void *arg)
{
	struct chat_job *j = arg;

	return chat_write_run(db, &j->w);
}

/* The `message` frame of a new message, written as text: the same bytes as json_dump() of
 * {"type","room","message": view_message()} (test_views holds view_message_text to that),
 * without building and freeing a tree of ~30 values per message. */
static void publish_new(struct chat_job *j)
{
	struct json_text t = { 0 };
	struct frame *f;
	size_t n = 0;
	char *text;

	json_text_raw(&t, "{\"type\":\"message\",\"room\":");
	json_text_string(&t, j->w.ref.name);
	json_text_raw(&t, ",\"message\":");
	view_message_text(&t, &j->w.m);
	json_text_raw(&t, "}");
	text = json_text_finish(&t, &n);
	if ((f = frame_text(text, n))) {
		hub_publish_frame(j->hub, j->w.ref.name, f, 0, j->w.m.id);
		frame_unref(f);
	}
	free(text);
}

/* The sender's {"type":"ack","client_id","id"}, written as text. */
static void ack(struct client *c, const struct chat_write *w)
{
	struct json_text t = { 0 };
	size_t n = 0;
	char *text;

	json_text_raw(&t, "{\"type\":\"ack\",\"client_id\":");
	json_text_string(&t, w->m.client_id);
	json_text_raw(&t, ",\"id\":");
	json_text_int(&t, (json_int_t)w->m.id);
	json_text_raw(&t, "}");
	if ((text = json_text_finish(&t, &n)))
		client_send_text(c, text, n);
	free(text);
}

/* Publishes the committed change to the room. */
static void publish(struct chat_job *j)
{
	const struct chat_write *w = &j->w;
	json_t *v;

	if (w->op == CHAT_SEND) {
		publish_new(j);
		return;
	}
	if (w->op == CHAT_MUTE)
		v = json_pack("{s:s, s:s, s:{s:I}, s:b}", "type", "update", "room", w->ref.name,
			      "user", "id", (json_int_t)w->target, "muted", w->action == MOD_MUTE);
	else
		v = json_pack("{s:s, s:s, s:o}", "type", "update", "room", w->ref.name, "message",
			      view_message(&w->m));
	hub_publish(j->hub, w->ref.name, v, 0, 0);
	json_decref(v);
}

static void job_free(struct chat_job *j)
{
	client_ref_drop(j->ref);
	spares_put(hub_chat_jobs(j->hub), j);
}

static void job_done(void *arg, enum err result)
{
	struct chat_job *j = arg;
	struct chat_write *w = &j->w;
	struct client *c = j->ref->c;

	if (result != ERR_OK) {
		if (w->err.err == ERR_OK)
			error_set(&w->err, result, NULL, NULL);
		if (c)
			client_send_error(c, &w->err, w->op == CHAT_SEND ? w->m.client_id : NULL,
					  w->ref.name);
	} else {
		/* committed: first the sender's ack, then everyone sees it */
		if (w->op == CHAT_SEND && c)
			ack(c, w);
		if ((w->op == CHAT_SEND && !w->duplicate) || (w->op != CHAT_SEND && w->changed))
			publish(j);
	}
	job_free(j);
}

static struct chat_job *job_new(struct client *c, enum chat_op op, const struct room_ref *ref)
{
	struct hub *h = c->app->hub;
	struct chat_job *j = spares_take(hub_chat_jobs(h));
	size_t text = offsetof(struct chat_job, w.m.text), after = text + sizeof(j->w.m.text);

	if (!j && !(j = malloc(sizeof(*j))))
		return NULL;
	memset(j, 0, text);
	j->w.m.text[0] = '\0';
	memset((char *)j + after, 0, sizeof(*j) - after);
	j->w.op = op;
	j->w.ref = *ref;
	j->w.user_id = c->user.id;
	j->hub = h;
	j->ref = client_ref_take(c);
	return j;
}

static void job_submit(struct client *c, struct chat_job *j, const char *client_id)
{
	enum err r = writer_submit(&c->app->writer, job_run, job_done, j);
	struct error e;

	if (r != ERR_OK) {
		error_set(&e, r, NULL, NULL);
		client_send_error(c, &e, client_id, j->w.ref.name);
		job_free(j);
	}
}

/* Fills the message of a send frame; false after an error frame. */
static bool parse_send(struct client *c, json_t *msg, struct chat_write *w)
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
		client_send_error(c, &e, json_string_value(json_object_get(msg, "client_id")),
				  w->ref.name);
		return false;
	}
	snprintf(w->m.room, sizeof(w->m.room), "%s", w->ref.name);
	snprintf(w->m.client_id, sizeof(w->m.client_id), "%s", client_id);
	snprintf(w->m.kind, sizeof(w->m.kind), "%s", kind ? kind : "chat");
	snprintf(w->m.text, sizeof(w->m.text), "%s", text);
	w->m.user_id = c->user.id;
	w->m.reply_to = reply_to;
	return true;
}

static void chat_send(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room",	  "client_id", "kind",
					      "text", "reply_to", NULL };
	const char *client_id = json_string_value(json_object_get(msg, "client_id"));
	struct room_ref ref;
	struct sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref) || !(s = joined_or_error(c, &ref, client_id)) ||
	    !access_ok(c, s, &ref, MAY_POST, client_id))
		return;
	if (muted(c, s, &ref)) {
		error_set(&e, ERR_FORBIDDEN, NULL, "you are muted in %s", ref.name);
		e.code = "muted";
		client_send_error(c, &e, client_id, ref.name);
		return;
	}
	j = job_new(c, CHAT_SEND, &ref);
	if (!j)
		return;
	if (!parse_send(c, msg, &j->w)) {
		job_free(j);
		return;
	}
	/* only a valid message spends a token */
	if (!hub_rate_take(c->app->hub, c->user.id)) {
		error_set(&e, ERR_RATE_LIMITED, NULL, "too many messages; slow down");
		client_send_error(c, &e, client_id, ref.name);
		job_free(j);
		return;
	}
	job_submit(c, j, client_id);
}

static void chat_upvote(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type", "room", "message_id", NULL };
	json_int_t id;
	struct room_ref ref;
	struct sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (json_get_int(msg, "message_id", true, 1, (json_int_t)1 << 53, &id, NULL, &e) !=
	    ERR_OK) {
		client_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (!(s = joined_or_error(c, &ref, NULL)) || !access_ok(c, s, &ref, MAY_POST, NULL))
		return;
	j = job_new(c, CHAT_UPVOTE, &ref);
	if (j) {
		j->w.target = id;
		job_submit(c, j, NULL);
	}
}

static void chat_moderate(struct client *c, json_t *msg)
{
	static const char *const FIELDS[] = { "type",	    "room",    "action",
					      "message_id", "user_id", NULL };
	const char *action = json_string_value(json_object_get(msg, "action"));
	int act = moderation_parse(action);
	bool on_user = act == MOD_MUTE || act == MOD_UNMUTE;
	json_int_t target = 0;
	struct room_ref ref;
	struct sub *s;
	struct chat_job *j;
	struct error e;

	if (!frame_ok(c, msg, FIELDS, &ref))
		return;
	if (act < 0) {
		error_set(&e, ERR_INVALID, "action",
			  "action is delete, pin, unpin, answered, mute or unmute");
		client_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (json_get_int(msg, on_user ? "user_id" : "message_id", true, 1, (json_int_t)1 << 53,
			 &target, NULL, &e) != ERR_OK) {
		client_send_error(c, &e, NULL, ref.name);
		return;
	}
	if (!(s = joined_or_error(c, &ref, NULL)) || !access_ok(c, s, &ref, MAY_MODERATE, NULL))
		return;
	j = job_new(c, on_user ? CHAT_MUTE : CHAT_MODERATE, &ref);
	if (j) {
		j->w.action = act;
		j->w.target = target;
		job_submit(c, j, NULL);
	}
}

API_FRAMES(chat) = {
	{ "join", chat_join },
	{ "leave", chat_leave },
	{ "send", chat_send },
	{ "upvote", chat_upvote },
	{ "moderate", chat_moderate },
	{ "typing", chat_typing },
	FRAMES_END,
};
