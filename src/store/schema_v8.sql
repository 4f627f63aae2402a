-- Feed health reads each feed's latest articles and counts its last day, every 15 minutes and
-- for `flashpoint feeds`: without this index each of those reads scanned every article, which
-- at 10,000 feeds kept a core busy for minutes and held the store from the pipeline.
CREATE INDEX articles_feed ON articles (feed, fetched_at);
