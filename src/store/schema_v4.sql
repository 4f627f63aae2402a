-- Stories: the real-world events articles report, as the story stage clusters them. A story's
-- id is derived from its first article's key and never changes (the alert of a story will
-- carry it); `outlets` counts independent sites, a near-duplicate copy of another site's
-- article not counted. `state` is open until the story goes quiet.
CREATE TABLE stories (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    articles   INTEGER NOT NULL,
    outlets    INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved'))
) STRICT;
CREATE INDEX stories_last_seen ON stories (last_seen);

-- Each clustered article's story. `seen_at` is its time on the story clock (published, else
-- fetched), `outlet` its site, `copy` 1 when it is a near-duplicate of another site's article
-- in the story. The window of recent stories is rebuilt from these rows at start.
CREATE TABLE story_articles (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id),
    story_id   TEXT NOT NULL REFERENCES stories (id),
    seen_at    TEXT NOT NULL,
    outlet     TEXT NOT NULL,
    copy       INTEGER NOT NULL CHECK (copy IN (0, 1))
) STRICT;
CREATE INDEX story_articles_story ON story_articles (story_id, seen_at);
