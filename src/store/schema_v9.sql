-- The page: each feed poll's outcome, for the strip of recent polls on /feeds. Each
-- feed keeps its last 48 (older rows are dropped as new ones are written).
CREATE TABLE polls (
    feed_url TEXT NOT NULL,
    at       TEXT NOT NULL,
    result   TEXT NOT NULL CHECK (result IN ('ok', 'error'))
) STRICT;
CREATE INDEX polls_feed_at ON polls (feed_url, at, result);

-- Each article's body length in characters, written with it: feed health compares recent bodies
-- with earlier ones, and reading the length from here spares reading every body (and a body
-- pruned by retention keeps the length it had).
ALTER TABLE articles ADD COLUMN body_chars INTEGER;
UPDATE articles SET body_chars = length(body) WHERE pruned_at IS NULL;

-- A feed's latest articles, their lengths and extraction methods from the index alone: feed
-- health (/feeds, `flashpoint feeds`) reads them per feed.
CREATE INDEX articles_feed_fetched_at ON articles (feed, fetched_at, body_chars, method);

-- The page's feed filter: a feed's alerts, newest first.
CREATE INDEX alerts_feed_created_at ON alerts (feed, created_at);

-- The trend index counted per pair, day, rung and outlets (/trends) from the index alone; it
-- serves the pair-and-day lookups of the index it replaces too.
DROP INDEX trend_parts_pair_day;
CREATE INDEX trend_parts_pair_day_rung ON trend_parts (source, target, day, rung, outlets);
