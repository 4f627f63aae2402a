-- Flashpoint schema, version 1.

-- Small facts about the database itself; the health check writes its heartbeat here.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per configured feed that has been polled: conditional-GET validators and health.
CREATE TABLE feeds (
    url                  TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    last_polled_at       TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    page_errors          INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every article processed, alert or not; `key` is the dedupe key (canonical link, else guid).
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    url          TEXT NOT NULL,
    guid         TEXT NOT NULL,
    feed         TEXT NOT NULL,
    title        TEXT NOT NULL,
    published_at TEXT,
    fetched_at   TEXT NOT NULL,
    body         TEXT NOT NULL,
    method       TEXT NOT NULL,
    canonical    TEXT,
    author       TEXT,
    language     TEXT,
    score        REAL NOT NULL,
    matches      TEXT NOT NULL
) STRICT;
CREATE INDEX articles_fetched_at ON articles (fetched_at);

-- Other keys a stored article is known by: its page's canonical URL, where its link redirected,
-- a second feed's link to the same story.
CREATE TABLE aliases (
    key        TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id)
) STRICT;

-- Items seen in a feed and not yet stored as articles. Written in the transaction that saves the
-- feed's validators, so neither a crash nor a failing page loses an item; deleted in the
-- transaction that stores the article. `leased_until` marks an item on its way down the pipeline.
CREATE TABLE inbox (
    key             TEXT PRIMARY KEY,
    feed_url        TEXT NOT NULL,
    feed            TEXT NOT NULL,
    link            TEXT,
    guid            TEXT NOT NULL,
    title           TEXT NOT NULL,
    published_at    TEXT,
    feed_html       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    added_at        TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    leased_until    TEXT
) STRICT;
CREATE INDEX inbox_due ON inbox (feed_url, next_attempt_at);

-- One row per article at or above the threshold. A public interface: users query it directly.
CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    article_id   INTEGER NOT NULL UNIQUE REFERENCES articles (id),
    created_at   TEXT NOT NULL,
    article_url  TEXT NOT NULL,
    title        TEXT NOT NULL,
    feed         TEXT NOT NULL,
    published_at TEXT,
    score        REAL NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    threshold    REAL NOT NULL,
    -- Every match: term, category, weight, contribution, flags, sentence (JSON array).
    matches      TEXT NOT NULL,
    -- Who acts on whom in the matched sentences: [{"source": …, "target": …}] (JSON array).
    actors       TEXT NOT NULL DEFAULT '[]',
    -- Hash of the compiled scoring rules that raised the alert.
    rules_hash   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX alerts_created_at ON alerts (created_at);

-- The outbox: one row per alert and webhook, written with the alert, never deleted.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    alert_id        TEXT NOT NULL REFERENCES alerts (id),
    webhook         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    queued_at       TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    -- Set while an attempt is under way, so no second worker or process sends it too.
    leased_until    TEXT,
    UNIQUE (alert_id, webhook)
) STRICT;
CREATE INDEX deliveries_due ON deliveries (webhook, state, next_attempt_at);
