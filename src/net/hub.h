/* The hub (DESIGN §4, §7): rooms and their subscribers on this node, presence, per-user rate
 * limits, and fan-out. hub_publish() is the one place a room's frames leave from — the seam
 * where a broker (Redis pub/sub, NATS) would also publish for other nodes (DESIGN §9).
 * Service thread only. */
#ifndef MINGSHI_NET_HUB_H
#define MINGSHI_NET_HUB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain/room.h"
#include "domain/user.h"

#define HUB_MAX_ROOMS_PER_CONN 50
#define HUB_TYPING_EVERY_US (3 * 1000000)

struct app;
struct ws_conn;
struct hub_room;
struct presence_rec;

/* A connection's place in one room. */
/* What the last access checks of a subscription found (net/chat.c): trusted while the
 * writer's access epoch is still `epoch`, and for at most a second (writes by another
 * process, such as `mingshi user add`, move no epoch). Zeroed: nothing known. */
struct access_memo {
	uint64_t epoch;
	int64_t at_us;
	bool may_post, unmuted;
};

struct hub_sub {
	struct hub_room *room;
	struct ws_conn *conn;
	struct hub_sub *room_prev, *room_next; /* the room's subscribers */
	struct hub_sub *conn_next;	       /* the connection's rooms */
	struct presence_rec *presence;	       /* interval being recorded, or NULL */
	int64_t history_upto; /* `joined` carried messages up to this id: skip live copies */
	struct access_memo memo;
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
	struct hub_sub *subs;
	size_t nsubs;
	struct hub_member *members; /* open addressing by user_id */
	size_t nmembers, cap_members;
	struct hub_room *next; /* hash chain */
};

struct hub_user;

#define HUB_BUCKETS 4096

struct hub {
	struct app *app;
	struct hub_room *rooms[HUB_BUCKETS];
	struct hub_user *users[HUB_BUCKETS];
	size_t nrooms;
};

void hub_init(struct hub *h, struct app *app);
void hub_free(struct hub *h);

/* c's subscription to room (canonical name), or NULL. */
struct hub_sub *hub_sub_of(struct ws_conn *c, const char *room);

/* Subscribes c to room (access already checked), records presence, tells the others and
 * answers `joined` with the members present and the history after `since`. A second join of
 * the same room only answers `joined` again. ERR_INVALID past HUB_MAX_ROOMS_PER_CONN. */
enum err hub_join(struct hub *h, struct ws_conn *c, const struct room_ref *ref, int64_t since);

/* Ends one subscription (presence leave when it was the user's last in the room). */
void hub_leave(struct hub *h, struct hub_sub *s);

/* Ends every subscription of a closing connection. */
void hub_conn_closed(struct hub *h, struct ws_conn *c);

/* Sends v to every subscriber of room (serialised once); with except_user, to everyone but
 * that user's connections. A `message` frame passes its id as message_id: a subscriber whose
 * `joined` history already held it (committed before the join, published after) is skipped,
 * so each message reaches a subscription once and in order. Other frames pass 0. */
void hub_publish(struct hub *h, const char *room, const json_t *v, int64_t except_user,
		 int64_t message_id);

struct ws_buf;

/* hub_publish() of a frame already serialised (b stays the caller's reference). */
void hub_publish_buf(struct hub *h, const char *room, struct ws_buf *b, int64_t except_user,
		     int64_t message_id);

/* May user's typing in room be relayed now? (once per user per 3 s, whatever the connection) */
bool hub_typing_allowed(struct hub *h, const char *room, int64_t user_id);

/* Takes one message token of user (5/s, burst 20 by default). false: rate limited. */
bool hub_rate_take(struct hub *h, int64_t user_id);

/* Re-checks user's subscriptions (in room, or in all rooms when room is NULL) against the
 * database and ends those the user may no longer read, telling the connection. */
void hub_recheck(struct hub *h, int64_t user_id, const char *room);

#endif
