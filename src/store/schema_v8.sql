-- Trend signals: a spike or a level-up of an actor pair, raised once per pair, rolling day and
-- kind (`id`), with the record its webhooks are sent, frozen when it was raised.
CREATE TABLE signals (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('dyad.spike', 'dyad.level_up')),
    source    TEXT NOT NULL,
    target    TEXT NOT NULL,
    day       TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    observed  INTEGER NOT NULL,
    expected  REAL NOT NULL,
    record    TEXT NOT NULL
) STRICT;
CREATE INDEX signals_key ON signals (source, target, kind, raised_at);
CREATE INDEX signals_raised ON signals (raised_at);

-- The outbox carries signals too: a row names an alert or a signal, never both. A signal's
-- event is frozen when it is queued (`payload`), and goes once to each webhook that takes it.
CREATE TABLE deliveries_v8 (
    id              INTEGER PRIMARY KEY,
    alert_id        TEXT REFERENCES alerts (id),
    signal_id       TEXT REFERENCES signals (id),
    webhook         TEXT NOT NULL,
    event           TEXT NOT NULL DEFAULT 'created'
                    CHECK (event IN ('created', 'updated', 'resolved', 'dyad.spike', 'dyad.level_up')),
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
    CHECK ((alert_id IS NULL) <> (signal_id IS NULL)),
    UNIQUE (alert_id, webhook, sequence),
    UNIQUE (signal_id, webhook)
) STRICT;
INSERT INTO deliveries_v8 (id, alert_id, webhook, event, sequence, state, attempts, queued_at, next_attempt_at,
                           last_attempt_at, last_status, last_error, delivered_at, leased_until, payload, frozen_at)
    SELECT id, alert_id, webhook, event, sequence, state, attempts, queued_at, next_attempt_at,
           last_attempt_at, last_status, last_error, delivered_at, leased_until, payload, frozen_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v8 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (webhook, state, next_attempt_at);
