-- The analyst's verdict on an alert (`flashpoint label`): was it worth raising? One per alert; a
-- second replaces the first. `flashpoint train --with-labels` learns from them: the article of a
-- useful alert as conflict, that of a noise alert as other.
CREATE TABLE verdicts (
    id         INTEGER PRIMARY KEY,
    alert_id   TEXT NOT NULL UNIQUE REFERENCES alerts (id),
    verdict    TEXT NOT NULL CHECK (verdict IN ('useful', 'noise')),
    note       TEXT,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX verdicts_created_at ON verdicts (created_at);
