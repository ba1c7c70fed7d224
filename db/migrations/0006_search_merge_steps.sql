-- 0006 — the search index's segments are merged by the writer's chore in small steps
-- (domain/discussion.c, discussion_index_chore), no longer by FTS5 itself. FTS5's automerge
-- works in quanta of 64 leaf pages times the number of levels: every few chores one of them
-- rewrote a few hundred pages at once, 10-20 ms of the writer during which every ack waited.
-- The chore asks for 16 pages at a time, merging 8 segments of a level as automerge did
-- (usermerge), for at most ~2 ms after each batch it indexes. crisismerge stays the backstop
-- should merging fall behind: a level with 32 segments is merged whole.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('usermerge', 8);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 32);
