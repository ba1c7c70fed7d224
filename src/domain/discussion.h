/* Messages of rooms (DESIGN §7): durable posting with idempotent retries, history pages,
 * Q&A votes, moderation (delete as tombstone, pin, answered, mute), presence intervals and
 * full-text search. Writes run as writer jobs; reads on any connection. */
#ifndef MINGSHI_DOMAIN_DISCUSSION_H
#define MINGSHI_DOMAIN_DISCUSSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/db.h"
#include "core/err.h"
#include "core/fields.h"
#include "core/writer.h"
#include "domain/room.h"

#define MESSAGE_TEXT_MAX 4000 /* characters */
#define CLIENT_ID_MAX 64
#define HISTORY_MAX 500

struct message {
	int64_t id;
	char room[ROOM_NAME_MAX + 1];
	int64_t user_id;
	char user_name[257];
	char user_role[20];
	char client_id[CLIENT_ID_MAX * 4 + 1]; /* 64 characters of UTF-8 */
	char kind[10];			       /* chat, question */
	char text[MESSAGE_TEXT_MAX * 4 + 1];
	int64_t reply_to; /* 0: none */
	char created_at[24];
	bool deleted, pinned, answered;
	int64_t upvotes;
};

/* The fields of a message: SQL and JSON (core/fields.h). */
extern const struct field MESSAGE_FIELDS[];
extern const struct field_table MESSAGE_TABLE;

/* Stores m (room, user_id, client_id, kind, text, reply_to set by the caller) and fills id,
 * created_at and the author's name and role. A second post with the same (room, user,
 * client_id) stores nothing and returns the first message with *duplicate set. reply_to must
 * name a message of the same room (ERR_INVALID on "reply_to"). Writer thread. */
enum err discussion_post(struct db *db, struct message *m, bool *duplicate, struct error *e);

/* One message of room (ERR_NOT_FOUND if none there). */
enum err discussion_get(struct db *db, const char *room, int64_t id, struct message *out);

/* The id of room's newest message (0 when it has none) into *out. */
enum err discussion_last_id(struct db *db, const char *room, int64_t *out);

struct history_query {
	const char *room;
	int64_t after, before; /* exclusive bounds; 0: none */
	int limit;	       /* 1..HISTORY_MAX */
	const char *kind;      /* NULL: every kind; "chat" or "question" */
	bool by_upvotes;       /* questions by votes then id; else by id */
	bool newest;	       /* with before and no after: the newest page before it */
};

/* Calls fn per message in ascending id order (or by votes); *more is set when messages beyond
 * the page exist. */
enum err discussion_history(struct db *db, const struct history_query *q,
			    void (*fn)(const struct message *m, void *ctx), void *ctx, bool *more);

/* One upvote of user on a question of room; voting twice changes nothing (*changed false).
 * ERR_INVALID on "message_id" for a chat message or a deleted question. Writer thread. */
enum err discussion_upvote(struct db *db, const char *room, int64_t message_id, int64_t user_id,
			   struct message *out, bool *changed, struct error *e);

enum moderation { MOD_DELETE, MOD_PIN, MOD_UNPIN, MOD_ANSWERED, MOD_MUTE, MOD_UNMUTE };

/* Parses "delete", "pin", … ; -1 if unknown. */
int moderation_parse(const char *s);

/* Applies a message action to message_id of room and fills *out (its new state); *changed is
 * false when the message already was in that state (pinning a pinned message). Writer. */
enum err discussion_moderate(struct db *db, const char *room, enum moderation action,
			     int64_t message_id, int64_t actor, struct message *out, bool *changed,
			     struct error *e);

/* Mutes or unmutes user in room. Writer thread. */
enum err discussion_mute(struct db *db, const char *room, int64_t user_id, bool mute, int64_t actor,
			 struct error *e);

/* Is user muted in room? */
bool discussion_is_muted(struct db *db, const char *room, int64_t user_id);

/* Presence: opens an interval (sets *id) / closes it. Writer thread. */
enum err discussion_presence_open(struct db *db, const char *room, int64_t user_id, int64_t *id);
enum err discussion_presence_close(struct db *db, int64_t id);

/* Closes intervals left open by a crash, at `at` (RFC 3339). Writer thread (start-up). */
enum err discussion_presence_close_all(struct db *db, const char *at, int *n);

/* Adds to the search index the messages stored after its mark (search_progress), at most
 * `max` ids' worth, oldest first, skipping deleted ones, and moves the mark; *indexed is how
 * many, *more whether messages after the new mark remain. Writer thread, in a transaction. */
enum err discussion_index(struct db *db, int max, int *indexed, bool *more);

/* The writer's chore (core/writer.h) keeps the search index in short runs of one kind each,
 * each in its own transaction, because every ack queued behind a run waits for it:
 *  - indexing: discussion_index() of up to DISCUSSION_INDEX_BATCH messages, every
 *    DISCUSSION_INDEX_EVERY_US while messages arrive, at once again while more wait. FTS5
 *    costs about half as much per message in batches of ~1 000 as in batches of 50; a larger
 *    batch holds the acks longer, a smaller one costs throughput.
 *  - merging the index's segments (migration 0006 turned FTS5's automerge off, whose 64-page
 *    quanta held the writer 10-20 ms at a time): after a run that indexed, up to
 *    DISCUSSION_MERGE_RUNS runs of DISCUSSION_MERGE_PAGES leaf pages a step for at most
 *    DISCUSSION_MERGE_US each, until no merge work is left. Work still left then waits for the
 *    next indexing run or, when no message has come, is done DISCUSSION_MERGE_US at a time
 *    every DISCUSSION_INDEX_EVERY_US, so an idle server tidies its index too.
 * A batch of acks commits between any two runs. The commits that set these figures hold the
 * measurements behind them. */
#define DISCUSSION_INDEX_BATCH 1000
#define DISCUSSION_INDEX_EVERY_US 100000
#define DISCUSSION_MERGE_RUNS 2
#define DISCUSSION_MERGE_PAGES 16
#define DISCUSSION_MERGE_US 1000

/* What the chore remembers between runs: zeroed before the first. */
struct search_upkeep {
	bool index_left; /* the last indexing run left messages for the next */
	int merge_runs;	 /* merging runs owed before the next indexing run */
	bool merge_left; /* the last merging ran out of time before the work did */
};

/* One run of the chore, as above; upkeep is a struct search_upkeep. Writer thread, in a
 * transaction. *next: CHORE_SOON while messages wait or merging runs are owed, CHORE_LATER
 * while only merge work is left, else CHORE_DONE. */
enum err discussion_index_chore(struct db *db, void *upkeep, enum chore_next *next);

struct search_hit {
	int64_t id;
	char room[ROOM_NAME_MAX + 1];
	char user_name[257];
	char snippet[1024];
	char created_at[24];
};

/* Messages whose text contains q (3+ characters: the FTS5 trigram index up to its mark and a
 * scan of the messages after it; shorter: a substring scan), newest first, limited to rooms named in `names` or starting with a prefix in `all` (JSON arrays
 * from room_readable()), and to `room` when not NULL. */
enum err discussion_search(struct db *db, const char *q, const char *room, json_t *names,
			   json_t *all, int limit, int64_t offset,
			   void (*fn)(const struct search_hit *h, void *ctx), void *ctx,
			   int64_t *total);

#endif
