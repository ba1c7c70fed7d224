-- 0009 — the search index keeps no token counts (columnsize=0). FTS5 wrote a row of them to
-- messages_fts_docsize for every message it indexed; only ranking functions (bm25, and
-- snippet/highlight's scoring) read them, and search uses none: it orders by id and cuts its
-- snippets in C. The row was about a tenth of the index's work per message (docs/BENCHMARKS.md).
-- As in 0008, the index is rebuilt by the writer's chore from a mark at 0, and search scans
-- the messages after the mark meanwhile, so results do not change while it catches up.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
                                             tokenize='trigram', detail='none', columnsize=0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 0);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('usermerge', 8);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('crisismerge', 32);
UPDATE search_progress SET indexed_upto = 0;
