/* Messages of rooms; see discussion.h. */
#include "domain/discussion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"

static const char *const KINDS[] = { "chat", "question", NULL };

#define G(field) FIELD_AT(struct message, field)

/* A message's fields, in the order DESIGN §7 shows them. Posting stores the F_INSERT ones;
 * the other columns change through votes and moderation below. */
/* clang-format off */
const struct field MESSAGE_FIELDS[] = {
	{ "id", F_ID, G(id), .sql = "m.id" },
	{ "room", F_TEXT, G(room), .flags = F_INSERT, .sql = "m.room" },
	{ "user_id", F_ID, G(user_id), .flags = F_INSERT, .sql = "m.user_id", .json = "user.id" },
	{ "user_name", F_TEXT, G(user_name), .sql = "u.name", .json = "user.name" },
	{ "user_role", F_TEXT, G(user_role), .sql = "u.role", .json = "user.role" },
	{ "client_id", F_TEXT, G(client_id), .flags = F_INSERT | F_HIDDEN, .sql = "m.client_id" },
	{ "kind", F_ENUM, G(kind), .options = KINDS, .flags = F_INSERT, .sql = "m.kind" },
	{ "text", F_TEXT, G(text), .flags = F_INSERT, .sql = "m.text" },
	{ "reply_to", F_ID, G(reply_to), .flags = F_INSERT | F_ZERO_NULL, .sql = "m.reply_to" },
	{ "created_at", F_TEXT, G(created_at), .flags = F_INSERT, .sql = "m.created_at" },
	{ "upvotes", F_INT, G(upvotes), .sql = "m.upvotes" },
	{ "pinned", F_BOOL, G(pinned), .sql = "m.pinned" },
	{ "answered", F_BOOL, G(answered), .sql = "m.answered" },
	{ "deleted", F_BOOL, G(deleted), .sql = "m.deleted" },
	FIELD_END,
};
/* clang-format on */

static struct field_cache cache;
const struct field_table MESSAGE_TABLE = { MESSAGE_FIELDS, "messages",
					   " FROM messages m JOIN users u ON u.id = m.user_id",
					   &cache };

enum err discussion_get(struct db *db, const char *room, int64_t id, struct message *out)
{
	static struct field_sql SQL =
		FIELD_SELECT(&MESSAGE_TABLE, " WHERE m.id = ?1 AND m.room = ?2");
	sqlite3_stmt *st = fields_stmt(db, &SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, room, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		fields_read(&SQL, st, out);
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : rc == SQLITE_DONE ? ERR_NOT_FOUND : db_err(rc);
}

enum err discussion_last_id(struct db *db, const char *room, int64_t *out)
{
	static const char SQL[] = "SELECT coalesce(max(id), 0) FROM messages WHERE room = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : db_err(rc);
}

/* ---- the full-text index --------------------------------------------------------------- */

/* messages_fts is an external-content FTS5 table, filled in batches: discussion_index() adds
 * the messages stored after search_progress.indexed_upto (the writer's chore, in a transaction
 * of its own). One message per commit made the index ~a fifth of the durable path's work:
 * FTS5 writes a segment per transaction and merges them, so a few big batches cost far less.
 * Search reads the index up to the mark and scans the few messages after it, so a message is
 * found as soon as it is committed. Removing text needs the indexed value, so a message that
 * is deleted is taken out of the index only if it is in it already. */
static const char SQL_INDEXED_UPTO[] = "SELECT indexed_upto FROM search_progress";

static int64_t indexed_upto(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, SQL_INDEXED_UPTO);
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	if (st)
		db_done(st);
	return n;
}

struct fts_removal {
	int64_t id;
	char text[]; /* NUL-terminated */
};

/* Deferred to the end of the writer's batch: FTS5 flushes its pending terms to a new segment
 * at every savepoint it takes part in. */
static enum err fts_apply_removal(struct db *db, void *arg)
{
	static const char SQL[] =
		"INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', ?1, ?2)";
	const struct fts_removal *c = arg;
	sqlite3_stmt *st = db_stmt(db, SQL);

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->text, -1, SQLITE_STATIC);
	return db_step_done(st);
}

/* Takes message id, whose text was old_text, out of the index if it is there. */
static enum err fts_remove(struct db *db, int64_t id, const char *old_text)
{
	int64_t upto = indexed_upto(db);
	size_t len = strlen(old_text);
	struct fts_removal *c;

	if (upto < 0)
		return ERR_DB;
	if (id > upto)
		return ERR_OK; /* not indexed yet; the index skips deleted messages */
	c = malloc(sizeof(*c) + len + 1);
	if (!c)
		return ERR_NOMEM;
	c->id = id;
	memcpy(c->text, old_text, len + 1);
	return db_defer(db, fts_apply_removal, c);
}

enum err discussion_index(struct db *db, int max, int *indexed, bool *more)
{
	static const char ADD[] =
		"INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages"
		" WHERE id > ?1 AND id <= ?2 AND deleted = 0";
	static const char UPTO[] =
		"SELECT coalesce(max(id), 0) FROM messages WHERE id > ?1 AND id <= ?1 + ?2";
	static const char MARK[] = "UPDATE search_progress SET indexed_upto = ?1";
	static const char MORE[] = "SELECT EXISTS (SELECT 1 FROM messages WHERE id > ?1)";
	int64_t from = indexed_upto(db), to = 0;
	sqlite3_stmt *st;
	enum err r;

	*indexed = 0;
	*more = false;
	if (from < 0 || !(st = db_stmt(db, UPTO)))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, max);
	if (sqlite3_step(st) == SQLITE_ROW)
		to = sqlite3_column_int64(st, 0);
	db_done(st);
	if (to <= from)
		return ERR_OK;
	if (!(st = db_stmt(db, ADD)))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if ((r = db_step_done(st)) != ERR_OK)
		return r;
	*indexed = sqlite3_changes(db->h);
	if (!(st = db_stmt(db, MARK)))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, to);
	if ((r = db_step_done(st)) != ERR_OK)
		return r;
	if (!(st = db_stmt(db, MORE)))
		return ERR_DB;
	sqlite3_bind_int64(st, 1, to);
	*more = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	db_done(st);
	return ERR_OK;
}

/* Merges the index's segments in steps of DISCUSSION_MERGE_PAGES leaf pages until the work
 * is done or DISCUSSION_MERGE_US have passed (migration 0006 turned FTS5's automerge off);
 * *left: the time ran out first. FTS5 tells whether a step did anything only through the
 * change counter: a step that merged nothing adds less than 2 to it. */
static enum err merge_steps(struct db *db, bool *left)
{
	static const char SQL[] =
		"INSERT INTO messages_fts (messages_fts, rank) VALUES ('merge', ?1)";
	int64_t start = clock_mono_us();
	enum err r;

	*left = true;
	do {
		sqlite3_stmt *st = db_stmt(db, SQL);
		int before = sqlite3_total_changes(db->h);

		if (!st)
			return ERR_DB;
		sqlite3_bind_int(st, 1, DISCUSSION_MERGE_PAGES);
		if ((r = db_step_done(st)) != ERR_OK)
			return r;
		if (sqlite3_total_changes(db->h) - before < 2) {
			*left = false;
			break;
		}
	} while (clock_mono_us() - start < DISCUSSION_MERGE_US);
	return ERR_OK;
}

enum err discussion_index_chore(struct db *db, void *upkeep, enum chore_next *next)
{
	struct search_upkeep *u = upkeep;
	enum err r;
	bool left;
	int n;

	if (u->merge_runs > 0) {
		r = merge_steps(db, &left);
		u->merge_runs = r == ERR_OK && left ? u->merge_runs - 1 : 0;
		u->merge_left = r != ERR_OK || left;
	} else {
		r = discussion_index(db, DISCUSSION_INDEX_BATCH, &n, &u->index_left);
		if (r == ERR_OK && n > 0)
			u->merge_runs = DISCUSSION_MERGE_RUNS;
		else if (r == ERR_OK && u->merge_left) /* nothing new: tidy up meanwhile */
			r = merge_steps(db, &u->merge_left);
	}
	if (u->index_left || u->merge_runs > 0)
		*next = CHORE_SOON;
	else
		*next = u->merge_left ? CHORE_LATER : CHORE_DONE;
	return r;
}

/* ---- posting ------------------------------------------------------------------------- */

static int64_t existing_id(struct db *db, const struct message *m)
{
	static const char SQL[] =
		"SELECT id FROM messages WHERE room = ?1 AND user_id = ?2 AND client_id = ?3";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int64_t id = 0;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, m->room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, m->user_id);
	sqlite3_bind_text(st, 3, m->client_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_done(st);
	return id;
}

/* The first post of (room, user, client_id), stored as id: its row into m. */
static enum err post_duplicate(struct db *db, struct message *m, int64_t id, bool *duplicate,
			       struct error *e)
{
	*duplicate = true;
	if (id && discussion_get(db, m->room, id, m) == ERR_OK)
		return ERR_OK;
	return error_set(e, ERR_DB, NULL, NULL);
}

static enum err check_reply_to(struct db *db, const struct message *m, struct error *e)
{
	static const char SQL[] = "SELECT 1 FROM messages WHERE id = ?1 AND room = ?2";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, m->reply_to);
	sqlite3_bind_text(st, 2, m->room, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_ROW)
		return ERR_OK;
	return rc == SQLITE_DONE ? error_set(e, ERR_INVALID, "reply_to",
					     "no message %lld in this room", (long long)m->reply_to)
				 : error_set(e, db_err(rc), NULL, NULL);
}

/* Completes a freshly stored m the way a read would (the author's name and role, defaults)
 * without reading the row back. */
static enum err fill_new(struct db *db, struct message *m, int64_t id)
{
	static const char SQL[] = "SELECT name, role FROM users WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, SQL);
	int rc;

	if (!st)
		return ERR_DB;
	sqlite3_bind_int64(st, 1, m->user_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_text(st, 0, m->user_name, sizeof(m->user_name));
		db_col_text(st, 1, m->user_role, sizeof(m->user_role));
	}
	db_done(st);
	m->id = id;
	m->deleted = m->pinned = m->answered = false;
	m->upvotes = 0;
	return rc == SQLITE_ROW ? ERR_OK : ERR_DB;
}

/* The common case costs one INSERT (its unique index finds a retry) and one primary-key read
 * of the author: no lookup before and no re-read after. The search index follows later
 * (discussion_index). */
enum err discussion_post(struct db *db, struct message *m, bool *duplicate, struct error *e)
{
	static struct field_sql SQL = FIELD_INSERT(
		&MESSAGE_TABLE, 0, " ON CONFLICT (room, user_id, client_id) DO NOTHING");
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	*duplicate = false;
	/* a retry is acked even if its reply_to has become invalid, as the first post was */
	id = m->reply_to ? existing_id(db, m) : 0;
	if (id)
		return post_duplicate(db, m, id, duplicate, e);
	if (m->reply_to && check_reply_to(db, m, e) != ERR_OK)
		return e->err;
	st = fields_stmt(db, &SQL);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	/* stored as it is formatted: the new message's created_at (a duplicate reads its own) */
	clock_rfc3339(clock_now(), m->created_at, sizeof(m->created_at));
	fields_bind(&SQL, st, m);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return error_set(e, db_err(rc), NULL, NULL);
	if (sqlite3_changes(db->h) == 0)
		return post_duplicate(db, m, existing_id(db, m), duplicate, e);
	id = sqlite3_last_insert_rowid(db->h);
	if (fill_new(db, m, id) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return ERR_OK;
}

/* ---- history ------------------------------------------------------------------------- */

/* A page's kind: any (or ?4 when given), or questions only. The questions have an index of
 * their own (migration 0007), which SQLite uses only for a query naming the kind literally;
 * with the kind as a parameter it read every message of the room to find the questions. */
#define ANY_KIND " AND (?4 IS NULL OR m.kind = ?4)"
#define QUESTIONS " AND m.kind = 'question'"
#define RANGE " WHERE m.room = ?1 AND m.id > ?2 AND (?3 = 0 OR m.id < ?3)"
/* Oldest first after `after`. */
#define FORWARD(KIND) FIELD_SELECT(&MESSAGE_TABLE, RANGE KIND " ORDER BY m.id LIMIT ?5")
static struct field_sql SQL_FORWARD = FORWARD(ANY_KIND);
static struct field_sql SQL_FORWARD_QUESTIONS = FORWARD(QUESTIONS);
/* Where the newest page before `before` (or of all) starts: the ids of the newest limit + 1
 * messages, read from the index alone. With more than `limit` of them the oldest is left out
 * (older messages exist) and the page is the messages after it, read with SQL_FORWARD. Reading
 * the page newest first and sorting it back cost a copy of every row into a sorter. */
#define NEWEST_START(KIND)                                                      \
	"SELECT min(id), count(*) FROM (SELECT m.id FROM messages m" RANGE KIND \
	" ORDER BY m.id DESC LIMIT ?5)"
static const char SQL_NEWEST_START[] = NEWEST_START(ANY_KIND);
static const char SQL_NEWEST_START_QUESTIONS[] = NEWEST_START(QUESTIONS);
/* Questions by votes (most first), ties by age: the Q&A list. */
static struct field_sql SQL_VOTES =
	FIELD_SELECT(&MESSAGE_TABLE, RANGE QUESTIONS " AND (?4 IS NULL OR ?4 = 'question')"
						     " ORDER BY m.upvotes DESC, m.id LIMIT ?5");

static bool questions_only(const struct history_query *q)
{
	return q->kind && strcmp(q->kind, "question") == 0;
}

static void bind_query(sqlite3_stmt *st, const struct history_query *q, int limit)
{
	sqlite3_bind_text(st, 1, q->room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->after);
	sqlite3_bind_int64(st, 3, q->before);
	if (q->kind)
		sqlite3_bind_text(st, 4, q->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, limit);
}

/* Moves q's lower bound to just before the newest page and sets *more when older messages
 * are left out (see SQL_NEWEST_START). */
static enum err newest_start(struct db *db, struct history_query *q, bool *more)
{
	sqlite3_stmt *st =
		db_stmt(db, questions_only(q) ? SQL_NEWEST_START_QUESTIONS : SQL_NEWEST_START);
	int rc;

	if (!st)
		return ERR_DB;
	bind_query(st, q, q->limit + 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 1) > q->limit) {
		*more = true;
		q->after = sqlite3_column_int64(st, 0);
	}
	db_done(st);
	return rc == SQLITE_ROW ? ERR_OK : db_err(rc);
}

enum err discussion_history(struct db *db, const struct history_query *q,
			    void (*fn)(const struct message *m, void *ctx), void *ctx, bool *more)
{
	struct history_query page = *q;
	bool newest = q->newest && !q->by_upvotes;
	struct field_sql *sql = q->by_upvotes	    ? &SQL_VOTES
				: questions_only(q) ? &SQL_FORWARD_QUESTIONS
						    : &SQL_FORWARD;
	sqlite3_stmt *st;
	struct message *m;
	enum err r = ERR_OK;
	int rc, rows = 0;

	*more = false;
	if (newest && (r = newest_start(db, &page, more)) != ERR_OK)
		return r;
	st = fields_stmt(db, sql);
	m = malloc(sizeof(*m));
	if (!st || !m) {
		free(m);
		return st ? ERR_NOMEM : ERR_DB;
	}
	/* Going forward, one row more than the page tells whether there is more. */
	bind_query(st, &page, newest ? q->limit : q->limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!newest && ++rows > q->limit) {
			*more = true;
			break;
		}
		fields_read(sql, st, m);
		fn(m, ctx);
	}
	db_done(st);
	free(m);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? ERR_OK : db_err(rc);
}

/* ---- Q&A and moderation -------------------------------------------------------------- */

enum err discussion_upvote(struct db *db, const char *room, int64_t message_id, int64_t user_id,
			   struct message *out, bool *changed, struct error *e)
{
	static const char VOTE[] =
		"INSERT INTO message_votes (message_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
	static const char COUNT[] = "UPDATE messages SET upvotes = upvotes + 1 WHERE id = ?1";
	sqlite3_stmt *st;

	*changed = false;
	if (discussion_get(db, room, message_id, out) != ERR_OK)
		return error_set(e, ERR_NOT_FOUND, "message_id", "no message %lld in this room",
				 (long long)message_id);
	if (strcmp(out->kind, "question") || out->deleted)
		return error_set(e, ERR_INVALID, "message_id", "only questions take upvotes");
	st = db_stmt(db, VOTE);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, message_id);
	sqlite3_bind_int64(st, 2, user_id);
	if (db_step_done(st) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	if (sqlite3_changes(db->h) == 0)
		return ERR_OK; /* voted before: one vote per user */
	st = db_stmt(db, COUNT);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, message_id);
	if (db_step_done(st) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	*changed = true;
	return discussion_get(db, room, message_id, out);
}

int moderation_parse(const char *s)
{
	static const char *const NAMES[] = {
		"delete", "pin", "unpin", "answered", "mute", "unmute"
	};

	for (int i = 0; s && i < 6; i++) {
		if (!strcmp(s, NAMES[i]))
			return i;
	}
	return -1;
}

enum err discussion_moderate(struct db *db, const char *room, enum moderation action,
			     int64_t message_id, int64_t actor, struct message *out, bool *changed,
			     struct error *e)
{
	static const char DELETE[] =
		"UPDATE messages SET deleted = 1, text = '', pinned = 0 WHERE id = ?1";
	static const char PIN[] = "UPDATE messages SET pinned = ?2 WHERE id = ?1";
	static const char ANSWERED[] = "UPDATE messages SET answered = 1 WHERE id = ?1";
	sqlite3_stmt *st;

	(void)actor;
	*changed = false;
	if (discussion_get(db, room, message_id, out) != ERR_OK)
		return error_set(e, ERR_NOT_FOUND, "message_id", "no message %lld in this room",
				 (long long)message_id);
	if (out->deleted && action != MOD_DELETE)
		return error_set(e, ERR_INVALID, "message_id", "the message was deleted");
	if (action == MOD_ANSWERED && strcmp(out->kind, "question"))
		return error_set(e, ERR_INVALID, "message_id", "only questions are answered");
	if ((action == MOD_DELETE && out->deleted) || (action == MOD_PIN && out->pinned) ||
	    (action == MOD_UNPIN && !out->pinned) || (action == MOD_ANSWERED && out->answered))
		return ERR_OK; /* already so: nothing to write or announce */
	*changed = true;
	if (action == MOD_DELETE && !out->deleted &&
	    fts_remove(db, message_id, out->text) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	st = db_stmt(db, action == MOD_DELETE ? DELETE : action == MOD_ANSWERED ? ANSWERED : PIN);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, message_id);
	if (action == MOD_PIN || action == MOD_UNPIN)
		sqlite3_bind_int(st, 2, action == MOD_PIN);
	if (db_step_done(st) != ERR_OK)
		return error_set(e, ERR_DB, NULL, NULL);
	return discussion_get(db, room, message_id, out);
}

enum err discussion_mute(struct db *db, const char *room, int64_t user_id, bool mute, int64_t actor,
			 struct error *e)
{
	static const char MUTE[] =
		"INSERT INTO room_mutes (room, user_id, muted_by, at) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (room, user_id) DO NOTHING";
	static const char UNMUTE[] = "DELETE FROM room_mutes WHERE room = ?1 AND user_id = ?2";
	static const char USER[] = "SELECT 1 FROM users WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, USER);
	char now[32];
	int rc;

	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	sqlite3_bind_int64(st, 1, user_id);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_ROW)
		return error_set(e, ERR_NOT_FOUND, "user_id", "no user %lld", (long long)user_id);
	st = db_stmt(db, mute ? MUTE : UNMUTE);
	if (!st)
		return error_set(e, ERR_DB, NULL, NULL);
	clock_rfc3339(clock_now(), now, sizeof(now));
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	if (mute) {
		sqlite3_bind_int64(st, 3, actor);
		sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	}
	return db_step_done(st) == ERR_OK ? ERR_OK : error_set(e, ERR_DB, NULL, NULL);
}

bool discussion_is_muted(struct db *db, const char *room, int64_t user_id)
{
	static const char SQL[] = "SELECT 1 FROM room_mutes WHERE room = ?1 AND user_id = ?2";
	sqlite3_stmt *st = db_stmt(db, SQL);
	bool muted;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	muted = sqlite3_step(st) == SQLITE_ROW;
	db_done(st);
	return muted;
}

/* ---- presence ------------------------------------------------------------------------ */

enum err discussion_presence_open(struct db *db, const char *room, int64_t user_id, int64_t *id)
{
	static const char SQL[] =
		"INSERT INTO presence (room, user_id, joined_at) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st = db_stmt(db, SQL);
	char now[32];
	enum err r;

	if (!st)
		return ERR_DB;
	clock_rfc3339(clock_now(), now, sizeof(now));
	sqlite3_bind_text(st, 1, room, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
	r = db_step_done(st);
	if (r == ERR_OK)
		*id = sqlite3_last_insert_rowid(db->h);
	return r;
}

enum err discussion_presence_close(struct db *db, int64_t id)
{
	static const char SQL[] =
		"UPDATE presence SET left_at = ?2 WHERE id = ?1 AND left_at IS NULL";
	sqlite3_stmt *st = db_stmt(db, SQL);
	char now[32];

	if (!st)
		return ERR_DB;
	clock_rfc3339(clock_now(), now, sizeof(now));
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_TRANSIENT);
	return db_step_done(st);
}

enum err discussion_presence_close_all(struct db *db, const char *at, int *n)
{
	static const char SQL[] = "UPDATE presence SET left_at = ?1 WHERE left_at IS NULL";
	sqlite3_stmt *st = db_stmt(db, SQL);
	enum err r;

	*n = 0;
	if (!st)
		return ERR_DB;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
	r = db_step_done(st);
	if (r == ERR_OK)
		*n = sqlite3_changes(db->h);
	return r;
}

/* ---- search -------------------------------------------------------------------------- */

#define SEARCH_SCOPE                                         \
	" AND m.deleted = 0 AND (?2 IS NULL OR m.room = ?2)" \
	" AND (m.room IN (SELECT value FROM json_each(?3))"  \
	"      OR EXISTS (SELECT 1 FROM json_each(?4) WHERE substr(m.room, 1, length(value)) = value))"

/* Three or more characters: the trigram index up to its mark, and LIKE over the messages stored
 * after it (?7: the query as a LIKE pattern). The two are disjoint, and both fold ASCII case.
 * The index (detail=none, migration 0008) answers LIKE ?1 from trigrams, and SQLite checks each
 * candidate against its text. ?1 is the query's longest run without % and _ (LIKE's wildcards,
 * which FTS5 cannot take escaped); when it is not the whole query, ?8 (= ?7) checks the rest.
 * A run under three characters has no trigram, and FTS5 then scans its content table, the
 * messages, whole: hence the bound on rowid, which keeps the two parts disjoint.
 * The text is returned whole: the snippet is cut in C for both, so a hit reads the same before
 * and after it is indexed. */
#define FTS_HITS                                                                                     \
	" FROM (SELECT rowid AS id FROM messages_fts"                                                \
	"       WHERE text LIKE ?1 AND rowid <= (SELECT indexed_upto FROM search_progress)"          \
	"       UNION ALL SELECT id FROM messages"                                                   \
	"       WHERE id > (SELECT indexed_upto FROM search_progress) AND text LIKE ?7 ESCAPE '\\')" \
	" h JOIN messages m ON m.id = h.id"
#define FTS_EXACT " AND (?8 IS NULL OR m.text LIKE ?8 ESCAPE '\\')"
static const char SQL_FTS[] = "SELECT m.id, m.room, u.name, m.text, m.created_at" FTS_HITS
			      " JOIN users u ON u.id = m.user_id WHERE 1" SEARCH_SCOPE FTS_EXACT
			      " ORDER BY m.id DESC LIMIT ?5 OFFSET ?6";
static const char SQL_FTS_COUNT[] =
	"SELECT count(*)" FTS_HITS " WHERE 1" SEARCH_SCOPE FTS_EXACT " AND ?5 >= 0 AND ?6 >= 0";
/* Shorter queries: a substring scan (trigrams need three characters). */
static const char SQL_SCAN[] =
	"SELECT m.id, m.room, u.name,"
	" substr(m.text, max(1, instr(m.text, ?1) - 16), 48), m.created_at"
	" FROM messages m JOIN users u ON u.id = m.user_id WHERE instr(m.text, ?1) > 0" SEARCH_SCOPE
	" ORDER BY m.id DESC LIMIT ?5 OFFSET ?6";
static const char SQL_SCAN_COUNT[] =
	"SELECT count(*) FROM messages m WHERE instr(m.text, ?1) > 0" SEARCH_SCOPE
	" AND ?5 >= 0 AND ?6 >= 0";

/* like: the LIKE pattern of the whole query (FTS only); exact: the same, when term is not. */
static sqlite3_stmt *search_stmt(struct db *db, const char *sql, const char *term, const char *like,
				 const char *exact, const char *room, const char *names,
				 const char *all, int limit, int64_t offset)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, term, -1, SQLITE_TRANSIENT);
	if (room)
		sqlite3_bind_text(st, 2, room, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, names, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, all, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, limit);
	sqlite3_bind_int64(st, 6, offset);
	if (like)
		sqlite3_bind_text(st, 7, like, -1, SQLITE_STATIC);
	if (exact)
		sqlite3_bind_text(st, 8, exact, -1, SQLITE_STATIC);
	return st;
}

/* q between two `edge` characters, every character of `special` in it preceded by `esc`. */
static char *wrap_escaped(const char *q, char edge, const char *special, char esc)
{
	size_t n = strlen(q), j = 0;
	char *out = malloc(2 * n + 3);

	if (!out)
		return NULL;
	out[j++] = edge;
	for (size_t i = 0; i < n; i++) {
		if (strchr(special, q[i]))
			out[j++] = esc;
		out[j++] = q[i];
	}
	out[j++] = edge;
	out[j] = '\0';
	return out;
}

/* "%run%" for q's longest run of characters without % or _ (the first of equal length), and
 * whether that run is all of q. FTS5 takes no escapes in a LIKE pattern, so the index can only
 * look for a run free of them; a run under three characters makes FTS5 scan every message. */
static char *fts_prefilter(const char *q, bool *whole)
{
	size_t n = strlen(q), best = 0, best_len = 0, best_chars = 0;
	char *out;

	for (size_t i = 0, len; i <= n; i += len + 1) {
		size_t chars = 0;

		len = strcspn(q + i, "%_");
		for (size_t k = i; k < i + len; k++)
			chars += ((unsigned char)q[k] & 0xC0) != 0x80; /* as utf8_chars() counts */
		if (chars > best_chars) {
			best = i;
			best_len = len;
			best_chars = chars;
		}
	}
	*whole = best_len == n;
	if (!(out = malloc(best_len + 3)))
		return NULL;
	out[0] = '%';
	memcpy(out + 1, q + best, best_len);
	memcpy(out + 1 + best_len, "%", 2);
	return out;
}

/* "q" → "%q%" with %, _ and \ escaped by \: a LIKE pattern for the substring q. */
static char *like_pattern(const char *q)
{
	return wrap_escaped(q, '%', "%_\\", '\\');
}

static const char *text_or_empty(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	return t ? t : "";
}

/* ---- snippets -------------------------------------------------------------------------- */

/* About as much text as FTS5's snippet() shows for 16 trigram tokens. */
#define SNIPPET_CHARS 18

/* Does s start with q (qlen bytes), ASCII case folded as LIKE folds it? */
static bool starts_folded(const char *s, const char *q, size_t qlen)
{
	for (size_t i = 0; i < qlen; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)q[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b + 32);
		if (a != b || !a)
			return false;
	}
	return true;
}

/* Character i of text starts at off[i] (a byte that is not a UTF-8 continuation byte, as
 * utf8_chars() counts); returns the count, off[count] = strlen(text). */
static size_t char_starts(const char *text, size_t *off, size_t cap)
{
	size_t n = 0, b = 0;

	for (; text[b]; b++)
		if (((unsigned char)text[b] & 0xC0) != 0x80 && n + 1 < cap)
			off[n++] = b;
	off[n] = b;
	return n;
}

struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	/* room is kept for a closing 】… and the NUL */
	if (o->full || o->len + n + 7 > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* The part of text around the first match of q (q's character count: qchars), every match in
 * it marked 【…】, with … where text was cut; the start of text if q is not found (every hit
 * passed LIKE, which matches as starts_folded does, so only defensively). off: scratch of
 * MESSAGE_TEXT_MAX + 2. */
static void snippet(const char *text, const char *q, size_t qchars, size_t *off, char *dst,
		    size_t cap)
{
	size_t n = char_starts(text, off, MESSAGE_TEXT_MAX + 2), qlen = strlen(q);
	size_t w = qchars > SNIPPET_CHARS ? qchars : SNIPPET_CHARS, first = n, start = 0, i;
	struct out o = { dst, 0, cap, false };

	dst[0] = '\0';
	for (i = 0; i + qchars <= n && first == n; i++)
		if (starts_folded(text + off[i], q, qlen))
			first = i;
	if (first < n && first + qchars > w)
		start = first - (w - qchars) / 2; /* the match, with context on both sides */
	if (start + w > n)
		start = n > w ? n - w : 0; /* still before first: first + qchars <= n */
	if (start > 0)
		put(&o, "…", strlen("…"));
	for (i = start; i < n && i < start + w && !o.full;) {
		if (i + qchars <= n && starts_folded(text + off[i], q, qlen)) {
			put(&o, "【", strlen("【"));
			put(&o, text + off[i], off[i + qchars] - off[i]);
			put(&o, "】", strlen("】"));
			i += qchars;
		} else {
			put(&o, text + off[i], off[i + 1] - off[i]);
			i++;
		}
	}
	if (i < n || o.full) {
		o.full = false;
		put(&o, "…", strlen("…"));
	}
}

enum err discussion_search(struct db *db, const char *q, const char *room, json_t *names,
			   json_t *all, int limit, int64_t offset,
			   void (*fn)(const struct search_hit *h, void *ctx), void *ctx,
			   int64_t *total)
{
	size_t qchars = utf8_chars(q);
	bool fts = qchars >= 3;
	bool whole = true;
	char *term = fts ? fts_prefilter(q, &whole) : strdup(q),
	     *like = fts ? like_pattern(q) : NULL;
	const char *exact = whole ? NULL : like;
	char *names_text = json_dumps(names, JSON_COMPACT),
	     *all_text = json_dumps(all, JSON_COMPACT);
	size_t *off = fts ? malloc((MESSAGE_TEXT_MAX + 2) * sizeof(*off)) : NULL;
	struct search_hit h;
	sqlite3_stmt *st = NULL;
	enum err r = ERR_NOMEM;
	int rc;

	*total = 0;
	if (!term || (fts && (!like || !off)) || !names_text || !all_text)
		goto out;
	r = ERR_DB;
	st = search_stmt(db, fts ? SQL_FTS_COUNT : SQL_SCAN_COUNT, term, like, exact, room,
			 names_text, all_text, limit, offset);
	if (!st)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	db_done(st);
	st = search_stmt(db, fts ? SQL_FTS : SQL_SCAN, term, like, exact, room, names_text,
			 all_text, limit, offset);
	if (!st)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.id = sqlite3_column_int64(st, 0);
		db_col_text(st, 1, h.room, sizeof(h.room));
		db_col_text(st, 2, h.user_name, sizeof(h.user_name));
		if (fts)
			snippet(text_or_empty(st, 3), q, qchars, off, h.snippet, sizeof(h.snippet));
		else
			db_col_text(st, 3, h.snippet, sizeof(h.snippet));
		db_col_text(st, 4, h.created_at, sizeof(h.created_at));
		fn(&h, ctx);
	}
	db_done(st);
	r = rc == SQLITE_DONE ? ERR_OK : db_err(rc);
out:
	free(term);
	free(like);
	free(off);
	free(names_text);
	free(all_text);
	return r;
}
