-- 0004 — the search index is filled in batches (issue 5): the writer's chore adds the messages
-- stored after indexed_upto to messages_fts and moves the mark in the same transaction, so a
-- crash loses no work and repeats none. Search scans the messages after the mark itself.
-- Every message stored so far was indexed when it was stored.
CREATE TABLE search_progress (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	indexed_upto INTEGER NOT NULL CHECK (indexed_upto >= 0)
) STRICT;
INSERT INTO search_progress VALUES (1, (SELECT coalesce(max(id), 0) FROM messages));
