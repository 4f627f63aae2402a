-- The trend index (issue 19; version 5 is another change's): each story's part in the daily
-- index of each actor pair its alerts name, at the highest rung they reached. A story's rung and
-- outlets grow as articles join it, so its part is kept per story and replaced when it grows,
-- never added twice; a day of the index is the sum of the parts dated that day (`trend_days`).
-- `day` is the UTC date of the story's first article; `outlets` its independent outlets.
CREATE TABLE trend_parts (
    story_id TEXT NOT NULL REFERENCES stories (id),
    source   TEXT NOT NULL,
    target   TEXT NOT NULL,
    day      TEXT NOT NULL,
    rung     TEXT NOT NULL CHECK (rung IN ('threaten', 'mobilize', 'coerce', 'assault', 'fight')),
    outlets  INTEGER NOT NULL CHECK (outlets >= 1),
    PRIMARY KEY (story_id, source, target)
) STRICT;
CREATE INDEX trend_parts_pair_day ON trend_parts (source, target, day);
CREATE INDEX trend_parts_day ON trend_parts (day);

-- The daily index per ordered pair and rung, for reading: stories, and the most outlets that
-- carried one of them. The conflict score is computed from the parts (README.md, "Trends").
CREATE VIEW trend_days AS
    SELECT source, target, day, rung, COUNT(*) AS stories, MAX(outlets) AS outlets
    FROM trend_parts
    GROUP BY source, target, day, rung;
