-- 0003 — the live discussion (DESIGN §7): messages of rooms, Q&A votes, mutes, presence
-- intervals, and a trigram full-text index for Chinese search.

-- A room is named "<kind>:<id>" (studio:3, activity:12); rooms need no table of their own.
-- Ids come from AUTOINCREMENT, so they only grow: within a room they order the messages and a
-- client resumes with "since = the last id I hold". (room, user_id, client_id) is unique so a
-- retried send is stored once. A deleted message stays as a tombstone: text '' and deleted 1.
CREATE TABLE messages (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	room       TEXT NOT NULL CHECK (length(room) BETWEEN 3 AND 40),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	client_id  TEXT NOT NULL CHECK (length(client_id) BETWEEN 1 AND 64),
	kind       TEXT NOT NULL CHECK (kind IN ('chat', 'question')),
	text       TEXT NOT NULL CHECK (length(text) <= 4000),
	reply_to   INTEGER REFERENCES messages(id),
	created_at TEXT NOT NULL,
	deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
	pinned     INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
	answered   INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
	upvotes    INTEGER NOT NULL DEFAULT 0 CHECK (upvotes >= 0),
	UNIQUE (room, user_id, client_id)
) STRICT;
CREATE INDEX messages_room ON messages(room, id);
CREATE INDEX messages_questions ON messages(room, kind, upvotes);

-- One upvote per user per question.
CREATE TABLE message_votes (
	message_id INTEGER NOT NULL REFERENCES messages(id),
	user_id    INTEGER NOT NULL REFERENCES users(id),
	PRIMARY KEY (message_id, user_id)
) STRICT, WITHOUT ROWID;

-- Who may not post in a room, set by its host or an admin.
CREATE TABLE room_mutes (
	room     TEXT NOT NULL,
	user_id  INTEGER NOT NULL REFERENCES users(id),
	muted_by INTEGER NOT NULL REFERENCES users(id),
	at       TEXT NOT NULL,
	PRIMARY KEY (room, user_id)
) STRICT, WITHOUT ROWID;

-- Presence intervals: one row per join of a room by a connection; left_at is set at leave or
-- disconnect (and, for intervals a crash left open, at the next start). Online attendance of
-- activities is computed from these.
CREATE TABLE presence (
	id        INTEGER PRIMARY KEY,
	room      TEXT NOT NULL,
	user_id   INTEGER NOT NULL REFERENCES users(id),
	joined_at TEXT NOT NULL,
	left_at   TEXT
) STRICT;
CREATE INDEX presence_room_user ON presence(room, user_id);

-- Full-text search over message text; the trigram tokenizer matches any substring of three
-- or more characters, which is what Chinese needs (there are no spaces between words). It is an
-- external-content index kept by domain/discussion.c in the same transaction as each change:
-- with trusted_schema=OFF (our pragma) SQLite refuses triggers that write virtual tables.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
                                             tokenize='trigram');
