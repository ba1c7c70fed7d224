/* Rooms, subscribers, presence and publishing; see hub.h. */
#include "api/hub.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "api/views.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "domain/discussion.h"

/* ---- state ---------------------------------------------------------------------------- */

struct hub_user {
	int64_t user_id;
	double tokens;
	int64_t at_us;
	struct hub_user *next;
};

/* A user present in a room, with how many of their connections are subscribed. */
struct hub_member {
	int64_t user_id; /* 0: empty slot */
	int conns;
	int64_t last_typing_us; /* typing is relayed at most once per user per 3 s */
	char name[257];
	char role[20];
};

struct hub_room {
	struct room_ref ref;
	struct sub *subs;
	size_t nsubs;
	struct hub_member *members; /* open addressing by user_id */
	size_t nmembers, cap_members;
	struct hub_room *next; /* hash chain */
};

#define HUB_BUCKETS 4096
/* How many freed chat jobs are kept for reuse (api/chat.c). */
#define CHAT_JOBS_KEPT 256

struct hub {
	struct app *app;
	struct hub_room *rooms[HUB_BUCKETS];
	struct hub_user *users[HUB_BUCKETS];
	size_t nrooms;
	struct client *clients; /* every open client */
	struct spares chat_jobs;
};

/* ---- presence intervals (writer jobs) ------------------------------------------------ */

/* Shared by the job that opens an interval and the one that closes it. The writer runs them
 * in order, so the close reads the id the open wrote; refs are counted on the service thread. */
struct presence_rec {
	int64_t id;
	struct room_ref ref;
	int64_t user_id;
	int refs;
};

static void rec_unref(struct presence_rec *p)
{
	assert(p->refs > 0);
	if (--p->refs == 0)
		free(p);
}

static enum err open_run(struct db *db, void *arg)
{
	struct presence_rec *p = arg;

	enum err r = discussion_presence_open(db, p->ref.name, p->user_id, &p->id);

	if (r == ERR_OK && p->ref.kind->on_presence)
		r = p->ref.kind->on_presence(db, p->ref.id, p->user_id, true);
	return r;
}

static enum err close_run(struct db *db, void *arg)
{
	struct presence_rec *p = arg;

	enum err r = p->id ? discussion_presence_close(db, p->id) : ERR_OK;

	if (r == ERR_OK && p->id && p->ref.kind->on_presence)
		r = p->ref.kind->on_presence(db, p->ref.id, p->user_id, false);
	return r;
}

static void rec_done(void *arg, enum err result)
{
	if (result != ERR_OK)
		log_warn("hub: a presence record was not written (%s)",
			 err_default_message(result));
	rec_unref(arg);
}

static struct presence_rec *presence_open(struct hub *h, const struct room_ref *ref,
					  int64_t user_id)
{
	struct presence_rec *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ref = *ref;
	p->user_id = user_id;
	p->refs = 2; /* the subscription and the job */
	if (writer_submit(&h->app->writer, open_run, rec_done, p) != ERR_OK)
		p->refs--;
	return p;
}

static void presence_close(struct hub *h, struct presence_rec *p)
{
	if (!p)
		return;
	/* the job inherits the subscription's reference */
	if (writer_submit(&h->app->writer, close_run, rec_done, p) != ERR_OK)
		rec_unref(p);
}

static enum err close_all_run(struct db *db, void *arg)
{
	char now[32];
	int n = 0;
	enum err r;

	(void)arg;
	clock_rfc3339(clock_now(), now, sizeof(now));
	r = discussion_presence_close_all(db, now, &n);
	if (n)
		log_info("hub: closed %d presence intervals left open by the last run", n);
	return r;
}

/* ---- tables -------------------------------------------------------------------------- */

static size_t hash_str(const char *s)
{
	uint32_t x = 2166136261u;

	for (; *s; s++)
		x = (x ^ (uint8_t)*s) * 16777619u;
	return x % HUB_BUCKETS;
}

struct hub *hub_new(struct app *a)
{
	struct hub *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->app = a;
	h->chat_jobs.max = CHAT_JOBS_KEPT;
	writer_submit(&a->writer, close_all_run, NULL, NULL);
	return h;
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	assert(!h->clients && h->nrooms == 0);
	for (size_t i = 0; i < HUB_BUCKETS; i++) {
		struct hub_user *u = h->users[i], *next;

		for (; u; u = next) {
			next = u->next;
			free(u);
		}
	}
	spares_release(&h->chat_jobs);
	free(h);
}

struct spares *hub_chat_jobs(struct hub *h)
{
	return &h->chat_jobs;
}

static struct hub_room *room_find(struct hub *h, const char *name, bool create,
				  const struct room_ref *ref)
{
	struct hub_room **pp = &h->rooms[hash_str(name)];

	for (; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->ref.name, name))
			return *pp;
	}
	if (!create || !(*pp = calloc(1, sizeof(**pp))))
		return NULL;
	(*pp)->ref = *ref;
	h->nrooms++;
	return *pp;
}

static void room_drop(struct hub *h, struct hub_room *r)
{
	struct hub_room **pp = &h->rooms[hash_str(r->ref.name)];

	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	free(r->members);
	free(r);
	h->nrooms--;
}

/* ---- members present ----------------------------------------------------------------- */

static struct hub_member *member_slot(struct hub_room *r, int64_t user_id)
{
	size_t i = (size_t)user_id * 2654435761u % r->cap_members;

	while (r->members[i].user_id && r->members[i].user_id != user_id)
		i = (i + 1) % r->cap_members;
	return &r->members[i];
}

static int members_grow(struct hub_room *r)
{
	size_t cap = r->cap_members ? r->cap_members * 2 : 16;
	struct hub_member *old = r->members;
	size_t old_cap = r->cap_members;

	r->members = calloc(cap, sizeof(*r->members));
	if (!r->members) {
		r->members = old;
		return -1;
	}
	r->cap_members = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].user_id)
			*member_slot(r, old[i].user_id) = old[i];
	}
	free(old);
	return 0;
}

/* Counts one more connection of u; returns true when u was not present before. */
static bool member_add(struct hub_room *r, const struct client_user *u)
{
	struct hub_member *m;

	if ((r->nmembers + 1) * 2 > r->cap_members && members_grow(r) != 0)
		return false;
	m = member_slot(r, u->id);
	if (m->user_id) {
		m->conns++;
		return false;
	}
	m->user_id = u->id;
	m->conns = 1;
	snprintf(m->name, sizeof(m->name), "%s", u->name);
	snprintf(m->role, sizeof(m->role), "%s", role_name(u->role));
	r->nmembers++;
	return true;
}

/* Removes slot i keeping every probe chain intact (backward-shift deletion). */
static void member_erase(struct hub_room *r, size_t i)
{
	size_t j = i;

	r->members[i].user_id = 0;
	for (;;) {
		size_t home;

		j = (j + 1) % r->cap_members;
		if (!r->members[j].user_id)
			return;
		home = (size_t)r->members[j].user_id * 2654435761u % r->cap_members;
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			r->members[i] = r->members[j];
			r->members[j].user_id = 0;
			i = j;
		}
	}
}

/* Counts one connection fewer; returns true when u is no longer present. */
static bool member_remove(struct hub_room *r, int64_t user_id)
{
	struct hub_member *m;

	if (!r->cap_members)
		return false;
	m = member_slot(r, user_id);
	if (!m->user_id || --m->conns > 0)
		return false;
	member_erase(r, (size_t)(m - r->members));
	r->nmembers--;
	return true;
}

static json_t *member_json(int64_t id, const char *name, const char *role)
{
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name, "role", role);
}

/* ---- publishing ---------------------------------------------------------------------- */

/* Queues f on every subscriber of r but except_user's, and those whose history held it. */
static void publish_to(struct hub_room *r, struct frame *f, int64_t except_user, int64_t message_id)
{
	for (struct sub *s = r->subs, *next; s; s = next) {
		next = s->room_next; /* a send may close the client and unsubscribe s */
		if (except_user && s->client->user.id == except_user)
			continue;
		if (message_id && message_id <= s->history_upto)
			continue;
		s->ops->send(s->client, f, false);
	}
}

void hub_publish_frame(struct hub *h, const char *room, struct frame *f, int64_t except_user,
		       int64_t message_id)
{
	struct hub_room *r = room_find(h, room, false, NULL);

	assert(thread_is(THREAD_SERVICE));
	if (r)
		publish_to(r, f, except_user, message_id);
}

void hub_publish(struct hub *h, const char *room, const json_t *v, int64_t except_user,
		 int64_t message_id)
{
	struct hub_room *r = room_find(h, room, false, NULL);
	struct frame *f;

	assert(thread_is(THREAD_SERVICE));
	if (!r || !r->subs)
		return;
	f = frame_json(v); /* serialised once, shared by every queue (DESIGN §4) */
	if (!f)
		return;
	publish_to(r, f, except_user, message_id);
	frame_unref(f);
}

static void publish_presence(struct hub *h, struct hub_room *r, const struct client_user *u,
			     const char *state)
{
	json_t *v =
		json_pack("{s:s, s:s, s:o, s:s}", "type", "presence", "room", r->ref.name, "user",
			  member_json(u->id, u->name, role_name(u->role)), "state", state);

	hub_publish(h, r->ref.name, v, u->id, 0);
	json_decref(v);
}

/* ---- join and leave ------------------------------------------------------------------ */

struct sub *hub_sub_of(struct client *c, const char *room)
{
	for (struct sub *s = c->subs; s; s = s->client_next) {
		if (!strcmp(s->room->ref.name, room))
			return s;
	}
	return NULL;
}

struct history_ctx {
	json_t *items;
	int64_t last_id;
};

static void add_history(const struct message *m, void *arg)
{
	struct history_ctx *h = arg;

	json_array_append_new(h->items, view_message(m));
	h->last_id = m->id;
}

static void send_joined(struct hub *h, struct sub *s, int64_t since)
{
	struct hub_room *r = s->room;
	struct history_query q = { r->ref.name, since, 0, HISTORY_MAX, NULL, false, false };
	struct history_ctx hist = { json_array(), 0 };
	int64_t last = 0;
	json_t *members = json_array(), *v;
	bool more = false;

	for (size_t i = 0; i < r->cap_members; i++) {
		const struct hub_member *m = &r->members[i];

		if (m->user_id)
			json_array_append_new(members, member_json(m->user_id, m->name, m->role));
	}
	if (discussion_history(&h->app->rdb, &q, add_history, &hist, &more) != ERR_OK)
		log_error("hub: cannot read the history of %s", r->ref.name);
	/* Messages committed but not yet published are in this history: their live copies, and
	 * anything at or below `since`, are not sent again. A `since` beyond the room's newest
	 * message (a client that held ids from a restored backup, say) must not silence the
	 * messages still to come, so it counts only up to that newest id. */
	if (!hist.last_id && discussion_last_id(&h->app->rdb, r->ref.name, &last) == ERR_OK)
		hist.last_id = since < last ? since : last;
	if (hist.last_id > s->history_upto)
		s->history_upto = hist.last_id;
	v = json_pack("{s:s, s:s, s:o, s:o, s:b}", "type", "joined", "room", r->ref.name, "members",
		      members, "history", hist.items, "more", more);
	client_send_json(s->client, v);
	json_decref(v);
}

enum err hub_join(struct hub *h, struct client *c, const struct room_ref *ref, int64_t since)
{
	struct sub *s = hub_sub_of(c, ref->name);
	struct hub_room *r;

	if (s) {
		send_joined(h, s, since);
		return ERR_OK;
	}
	if (c->nsubs >= HUB_MAX_ROOMS_PER_CONN)
		return ERR_INVALID;
	r = room_find(h, ref->name, true, ref);
	s = r ? calloc(1, sizeof(*s)) : NULL;
	if (!s) {
		if (r && !r->subs)
			room_drop(h, r);
		return ERR_NOMEM;
	}
	s->room = r;
	s->client = c;
	s->ops = c->ops;
	s->room_next = r->subs;
	if (r->subs)
		r->subs->room_prev = s;
	r->subs = s;
	r->nsubs++;
	s->client_next = c->subs;
	c->subs = s;
	c->nsubs++;
	s->presence = presence_open(h, &r->ref, c->user.id);
	if (member_add(r, &c->user))
		publish_presence(h, r, &c->user, "join");
	send_joined(h, s, since);
	return ERR_OK;
}

void hub_leave(struct hub *h, struct sub *s)
{
	struct hub_room *r = s->room;
	struct client *c = s->client;
	struct sub **pp = &c->subs;

	while (*pp && *pp != s)
		pp = &(*pp)->client_next;
	assert(*pp && c->nsubs > 0 && r->nsubs > 0);
	if (*pp)
		*pp = s->client_next;
	c->nsubs--;
	if (s->room_prev)
		s->room_prev->room_next = s->room_next;
	else
		r->subs = s->room_next;
	if (s->room_next)
		s->room_next->room_prev = s->room_prev;
	r->nsubs--;
	presence_close(h, s->presence);
	if (member_remove(r, c->user.id))
		publish_presence(h, r, &c->user, "leave");
	free(s);
	if (!r->subs)
		room_drop(h, r);
}

void hub_client_add(struct hub *h, struct client *c)
{
	c->prev = NULL;
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
}

void hub_client_remove(struct hub *h, struct client *c)
{
	while (c->subs)
		hub_leave(h, c->subs);
	if (c->prev)
		c->prev->next = c->next;
	else if (h->clients == c)
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

bool hub_typing_allowed(struct hub *h, const char *room, int64_t user_id)
{
	struct hub_room *r = room_find(h, room, false, NULL);
	struct hub_member *m;
	int64_t now = clock_mono_us();

	if (!r || !r->cap_members)
		return false;
	m = member_slot(r, user_id);
	if (!m->user_id || (m->last_typing_us && now - m->last_typing_us < HUB_TYPING_EVERY_US))
		return false;
	m->last_typing_us = now;
	return true;
}

/* ---- rate limits --------------------------------------------------------------------- */

bool hub_rate_take(struct hub *h, int64_t user_id)
{
	struct hub_user **pp = &h->users[(size_t)user_id % HUB_BUCKETS], *u;
	double rate = h->app->cfg.ws_rate_per_sec, burst = h->app->cfg.ws_rate_burst;
	int64_t now = clock_mono_us();

	while (*pp && (*pp)->user_id != user_id)
		pp = &(*pp)->next;
	u = *pp;
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return true; /* fail open: the limit protects, it must not break chat */
		u->user_id = user_id;
		u->tokens = burst;
		u->at_us = now;
		*pp = u;
	}
	u->tokens += (double)(now - u->at_us) * rate / 1e6;
	if (u->tokens > burst)
		u->tokens = burst;
	u->at_us = now;
	if (u->tokens < 1.0)
		return false;
	u->tokens -= 1.0;
	return true;
}

/* ---- access changes ------------------------------------------------------------------ */

static void revoke_sub(struct hub *h, struct sub *s)
{
	json_t *v =
		json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", "forbidden", "message",
			  "you no longer have access to this room", "room", s->room->ref.name);

	client_send_json(s->client, v);
	json_decref(v);
	hub_leave(h, s);
}

void hub_recheck(struct hub *h, int64_t user_id, const char *room)
{
	struct user u;
	bool found = user_access_by_id(&h->app->rdb, user_id, &u) == ERR_OK;

	for (size_t i = 0; i < HUB_BUCKETS; i++) {
		for (struct hub_room *r = h->rooms[i], *rnext; r; r = rnext) {
			rnext = r->next;
			if (room && strcmp(r->ref.name, room))
				continue;
			for (struct sub *s = r->subs, *next; s; s = next) {
				next = s->room_next;
				if (s->client->user.id != user_id)
					continue;
				if (!found || !r->ref.kind->may_read(&h->app->rdb, &u, r->ref.id)) {
					/* revoke_sub may drop the room when s was its last subscriber */
					bool last = r->nsubs == 1;

					revoke_sub(h, s);
					if (last)
						break;
				}
			}
		}
	}
}

/* ---- ended sessions ------------------------------------------------------------------- */

void hub_end_user(struct hub *h, int64_t user_id, int64_t keep_session_id)
{
	for (struct client *c = h->clients; c; c = c->next) {
		if (c->user.id == user_id && c->session_id != keep_session_id)
			client_close(c, CLOSE_POLICY, "session ended");
	}
}

void hub_end_session(struct hub *h, int64_t session_id)
{
	for (struct client *c = h->clients; c; c = c->next) {
		if (c->session_id == session_id)
			client_close(c, CLOSE_POLICY, "signed out");
	}
}
