-- Bodies in a table of their own, keyed by the article's id. Bodies are most of the file, and
-- retention drops them oldest first: here a dropped body empties whole pages, which go to the
-- free list and back to the file system (incremental vacuum). Emptied in the articles table,
-- the same bytes stayed as holes in pages that new rows never reuse.
CREATE TABLE bodies (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body       TEXT NOT NULL
) STRICT;
INSERT INTO bodies (article_id, body) SELECT id, body FROM articles WHERE pruned_at IS NULL;
ALTER TABLE articles DROP COLUMN body;
