-- 0008 — the search index records which messages hold each trigram, not where (detail=none).
-- Search only asks whether a message contains a substring, which FTS5 answers for LIKE from
-- the trigrams alone and SQLite then checks against the text; the positions that detail=full
-- kept (for phrase queries) were about half of the index, and writing and merging them was
-- over a tenth of each durable message's cost. The index is rebuilt by the writer's chore
-- from the mark, which starts again at 0 (search scans the messages after it meanwhile, so
-- results do not change while it catches up). The merge settings are 0006's.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
                                             tokenize='trigram', detail='none');
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('usermerge', 8);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 32);
UPDATE search_progress SET indexed_upto = 0;
