-- 0001 — the foundation: universities, users, sessions and the audit log.
--
-- Conventions for every migration (DESIGN §8): STRICT tables, foreign keys on, times that
-- users see are RFC 3339 UTC text ('2026-11-27T08:00:00Z'), times used only for expiry are
-- integer Unix seconds, money is integer fen. Each file runs in one transaction and is
-- recorded in schema_migrations; never edit a migration that has shipped — add the next one.

-- A university that hosts studios (e.g. 郑州大学, code 10459 — the Ministry of Education code).
CREATE TABLE universities (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
	code       TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 20),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

-- Everyone who signs in. `role` is one of the five of DESIGN §1; a university_admin belongs
-- to a university. Usernames are unique regardless of case. password_hash holds
-- $pbkdf2-sha256$<iterations>$<salt b64>$<hash b64> (DESIGN §8). A disabled user cannot
-- sign in and has no sessions.
CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(username) BETWEEN 3 AND 32),
	name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	role          TEXT NOT NULL CHECK (role IN ('admin', 'university_admin', 'master', 'teacher', 'expert')),
	university_id INTEGER REFERENCES universities(id),
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (role <> 'university_admin' OR university_id IS NOT NULL)
) STRICT;
CREATE INDEX users_university ON users(university_id);

-- A signed-in browser. Only SHA-256 of the cookie token is stored, so a copy of the database
-- does not let anyone sign in. Sessions end after 12 h idle or 7 days (enforced on lookup and
-- purged by the writer). AUTOINCREMENT: open WebSockets are matched to their session by id,
-- so an id must never be handed out again after its session ends.
CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	token_hash   BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token   TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

-- Append-only, hash-chained audit log (DESIGN §8). hash = SHA-256(prev_hash ‖ canonical
-- entry), hex; the first entry's prev_hash is 64 zeros. user_id and entity_id carry no foreign
-- key on purpose: the log outlives what it describes.
CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	at        TEXT NOT NULL,
	user_id   INTEGER,
	action    TEXT NOT NULL,
	entity    TEXT NOT NULL,
	entity_id INTEGER,
	detail    TEXT NOT NULL DEFAULT '{}',
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_entity ON audit(entity, entity_id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit entries are immutable');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit entries are immutable');
END;
