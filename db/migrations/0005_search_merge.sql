-- 0005 — FTS5 merges a level's segments once 8 of them exist, not 4 (its default). Each
-- message's index entries are then rewritten about half as often as the index grows; a search
-- reads at most a few more segments. In the durable benchmark this cut ~8 % of the
-- instructions per message (docs/BENCHMARKS.md). The setting lives in messages_fts_config.
INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 8);
