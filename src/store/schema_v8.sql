-- The page (issue 16): each feed poll's outcome, for the strip of recent polls on /feeds. Kept
-- for a week per feed (older rows are dropped as new ones are written).
CREATE TABLE polls (
    feed_url TEXT NOT NULL,
    at       TEXT NOT NULL,
    result   TEXT NOT NULL CHECK (result IN ('ok', 'error'))
) STRICT;
CREATE INDEX polls_feed_at ON polls (feed_url, at);

-- A feed's latest articles without scanning every article: the feed health of /feeds and
-- `flashpoint feeds` reads them per feed.
CREATE INDEX articles_feed_fetched_at ON articles (feed, fetched_at);
