-- 0007 — the Q&A list's index holds questions only. messages_questions was on
-- (room, kind, upvotes) for every message, so each chat message (nearly all of them) paid an
-- index insert it never used; and the Q&A query, which ranges over ids, was planned on
-- messages_room instead, reading every message of the room to find its questions. A partial
-- index on (room, id) for kind = 'question' serves the question lists, by votes and by id
-- (domain/discussion.c names the kind in them as a literal, so the planner may use it), and
-- costs chat messages nothing. Upvotes reorder the few questions of a page in a sorter.
DROP INDEX messages_questions;
CREATE INDEX messages_questions ON messages(room, id) WHERE kind = 'question';
