-- Each alert's explanation beyond its matches: the event that raised it (who did what to whom,
-- its rung and ladder level) and the relevance gate's verdict (probability and the features
-- that moved it), as JSON; NULL for alerts raised before they were recorded.
ALTER TABLE alerts ADD COLUMN event TEXT;
ALTER TABLE alerts ADD COLUMN relevance TEXT;
