-- Alerts become story alerts: one alert per story, whose id is the story's id, updated as more
-- outlets report it and resolved when it goes quiet. Alerts raised before keep their ids
-- (`alrt_…`), their one article and the state `open`; no story carries their id.
ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'updated', 'resolved'));
-- Independent outlets and articles of the story when the alert last changed.
ALTER TABLE alerts ADD COLUMN outlets INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN articles INTEGER NOT NULL DEFAULT 1;
-- Languages of the story's articles (JSON array of ISO 639-3 codes).
ALTER TABLE alerts ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
-- When the alert last changed, and when its story last took an article (wall clock): the story
-- is resolved `stories.resolve_after` after that.
ALTER TABLE alerts ADD COLUMN updated_at TEXT;
ALTER TABLE alerts ADD COLUMN last_article_at TEXT;
UPDATE alerts SET updated_at = created_at, last_article_at = created_at;
CREATE INDEX alerts_open ON alerts (state, last_article_at);

-- Each clustered article's own verdict: the severity of the alert it raised by itself (NULL
-- when it raised none) and its language. The story's severity is the highest of its recent
-- alerting articles.
ALTER TABLE story_articles ADD COLUMN severity TEXT CHECK (severity IN ('low', 'medium', 'high'));
ALTER TABLE story_articles ADD COLUMN language TEXT;

-- The outbox holds events now: per alert and webhook, `alert.created` (sequence 1), then
-- `alert.updated` and `alert.resolved` events, sent in sequence order. `payload` is the event
-- as frozen at its first attempt (every retry sends it again); `skipped` marks a `created`
-- event the webhook did not ask for, kept so later events say what changed since.
CREATE TABLE deliveries_v5 (
    id              INTEGER PRIMARY KEY,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    webhook         TEXT NOT NULL,
    event           TEXT NOT NULL DEFAULT 'created' CHECK (event IN ('created', 'updated', 'resolved')),
    sequence        INTEGER NOT NULL DEFAULT 1,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    queued_at       TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    leased_until    TEXT,
    payload         TEXT,
    frozen_at       TEXT,
    UNIQUE (alert_id, webhook, sequence)
) STRICT;
INSERT INTO deliveries_v5 (id, alert_id, webhook, state, attempts, queued_at, next_attempt_at, last_attempt_at,
                           last_status, last_error, delivered_at, leased_until)
    SELECT id, alert_id, webhook, state, attempts, queued_at, next_attempt_at, last_attempt_at,
           last_status, last_error, delivered_at, leased_until
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v5 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (webhook, state, next_attempt_at);
