/* The hub (DESIGN §4, §7): the rooms of this node and the clients in them, the members present,
 * presence intervals, per-user rate limits, and publishing. hub_publish() is the one place a
 * room's frames leave from — serialised once and queued on every subscriber's connection — the
 * seam where a broker (Redis pub/sub, NATS) would also publish for other nodes (DESIGN §9).
 * The REST handlers call hub_recheck() and hub_end_*() after writes that change who may be
 * connected or read a room. Service thread only. */
#ifndef MINGSHI_API_HUB_H
#define MINGSHI_API_HUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/client.h"
#include "core/frame.h"
#include "core/spares.h"
#include "domain/room.h"

#define HUB_MAX_ROOMS_PER_CONN 50
#define HUB_TYPING_EVERY_US (3 * 1000000)

struct hub;
struct hub_room;
struct presence_rec;

/* What the last access checks of a subscription found (api/chat.c): trusted while the writer's
 * access epoch is still `epoch`, and for at most a second (writes by another process, such as
 * `mingshi user add`, move no epoch). Zeroed: nothing known. */
struct access_memo {
	uint64_t epoch;
	int64_t at_us;
	bool may_post, unmuted;
};

/* A client's place in one room. */
struct sub {
	struct hub_room *room;
	struct client *client;
	/* client->ops, kept here: publishing to a room of thousands then reads the subscriptions
	 * alone, not a line of every client's memory as well */
	const struct client_ops *ops;
	struct sub *room_prev, *room_next; /* the room's subscribers */
	struct sub *client_next;	   /* the client's rooms */
	struct presence_rec *presence;	   /* interval being recorded, or NULL */
	int64_t history_upto; /* `joined` carried messages up to this id: skip live copies */
	struct access_memo memo;
};

/* A new hub for a; queues the closing of presence intervals a previous run left open. NULL
 * when out of memory. */
struct hub *hub_new(struct app *a);

/* Frees h; every client must have left (api_client_closed). NULL is ignored. */
void hub_free(struct hub *h);

/* Freed chat jobs kept for reuse (api/chat.c). */
struct spares *hub_chat_jobs(struct hub *h);

/* Registers / unregisters an open client; removing it ends its subscriptions. */
void hub_client_add(struct hub *h, struct client *c);
void hub_client_remove(struct hub *h, struct client *c);

/* c's subscription to room (canonical name), or NULL. */
struct sub *hub_sub_of(struct client *c, const char *room);

/* Subscribes c to room (access already checked), records presence, tells the others and
 * answers `joined` with the members present and the history after `since`. A second join of
 * the same room only answers `joined` again. ERR_INVALID past HUB_MAX_ROOMS_PER_CONN. */
enum err hub_join(struct hub *h, struct client *c, const struct room_ref *ref, int64_t since);

/* Ends one subscription (presence leave when it was the user's last in the room). */
void hub_leave(struct hub *h, struct sub *s);

/* Sends v to every subscriber of room (serialised once); with except_user, to everyone but
 * that user's connections. A `message` frame passes its id as message_id: a subscriber whose
 * `joined` history already held it (committed before the join, published after) is skipped,
 * so each message reaches a subscription once and in order. Other frames pass 0. */
void hub_publish(struct hub *h, const char *room, const json_t *v, int64_t except_user,
		 int64_t message_id);

/* hub_publish() of a frame already serialised (f stays the caller's reference). */
void hub_publish_frame(struct hub *h, const char *room, struct frame *f, int64_t except_user,
		       int64_t message_id);

/* May user's typing in room be relayed now? (once per user per 3 s, whatever the connection) */
bool hub_typing_allowed(struct hub *h, const char *room, int64_t user_id);

/* Takes one message token of user (5/s, burst 20 by default). false: rate limited. */
bool hub_rate_take(struct hub *h, int64_t user_id);

/* Re-checks user's subscriptions (in room, or in all rooms when room is NULL) against the
 * database and ends those the user may no longer read, telling the client. */
void hub_recheck(struct hub *h, int64_t user_id, const char *room);

/* Closes every connection of user_id's sessions except keep_session_id (0: none kept) /
 * of one session (DESIGN §8: ending a session ends its sockets). */
void hub_end_user(struct hub *h, int64_t user_id, int64_t keep_session_id);
void hub_end_session(struct hub *h, int64_t session_id);

#endif
