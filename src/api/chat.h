/* The discussion frames of the mingshi.v1 protocol (DESIGN §7): join, leave, send, upvote,
 * moderate and typing, routed here by chat.c's API_FRAMES table. Each handler validates its
 * frame and re-checks room access against the database (not only at join); a write becomes a
 * writer job, and the sender's ack and the room's fan-out happen only after COMMIT. */
#ifndef MINGSHI_API_CHAT_H
#define MINGSHI_API_CHAT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "domain/discussion.h"
#include "domain/room.h"

/* What a write frame asks of the writer. 0 names none. */
enum chat_op { CHAT_SEND = 1, CHAT_UPVOTE, CHAT_MODERATE, CHAT_MUTE };

/* A write, and what the writer found. */
struct chat_write {
	enum chat_op op;
	struct room_ref ref;
	int64_t user_id; /* the sender */
	int action;	 /* CHAT_MODERATE, CHAT_MUTE: enum moderation */
	int64_t target;	 /* the message (upvote, moderate) or user (mute) */
	bool duplicate;	 /* CHAT_SEND: the client_id was seen before; m is the first message */
	bool changed;	 /* anything else: the room must hear of it */
	struct message m;
	struct error err;
};

/* Runs w on the writer's connection (inside the job's savepoint). An op that no case names is
 * refused with ERR_INVALID and writes nothing. */
enum err chat_write_run(struct db *db, struct chat_write *w);

#endif
