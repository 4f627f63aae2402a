-- Retention: when an article's body was dropped (`storage.retention.bodies`); its metadata,
-- score and matches stay. NULL while the body is kept.
ALTER TABLE articles ADD COLUMN pruned_at TEXT;
