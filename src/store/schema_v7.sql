-- Retention: when an article's body was dropped (`storage.retention.bodies`); its metadata,
-- score and matches stay. NULL while the body is kept.
ALTER TABLE articles ADD COLUMN pruned_at TEXT;
-- The bodies still kept, oldest first: what each retention batch looks for.
CREATE INDEX articles_unpruned ON articles (fetched_at) WHERE pruned_at IS NULL;
-- The event each clustered article raised by itself (JSON, as in `alerts.event`; NULL when it
-- raised none): what the trend index counts per story and actor pair.
ALTER TABLE story_articles ADD COLUMN event TEXT;
