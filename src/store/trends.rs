//! The trend index's rows (`trend_parts`, schema v6): each story's part in the index of each
//! actor pair its alerts name. Written one part at a time as stories grow, or all at once by a
//! rebuild from the stored alerts and stories; read back whole to build the daily index.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::{Store, StoreError, parse_time};
use crate::score;
use crate::trends::{Rung, StoryPart, rung_of_event};

const INSERT: &str =
    "INSERT INTO trend_parts (story_id, source, target, day, rung, outlets) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (story_id, source, target)
     DO UPDATE SET day = excluded.day, rung = excluded.rung, outlets = excluded.outlets";

impl Store {
    /// One part per alerting article of an alerted story whose event names both a source and a
    /// target, dated by the story's first article: what a rebuild counts (parts of one story
    /// and pair are merged by [`crate::trends::merge_parts`]).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn alerted_story_parts(&self) -> Result<Vec<StoryPart>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT s.id, s.first_seen, s.outlets, json_extract(sa.event, '$.source'),
                    json_extract(sa.event, '$.target'), json_extract(sa.event, '$.rung')
             FROM story_articles sa
             JOIN stories s ON s.id = sa.story_id
             JOIN alerts al ON al.id = sa.story_id
             WHERE json_extract(sa.event, '$.source') IS NOT NULL
               AND json_extract(sa.event, '$.target') IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            let first_seen: String = r.get(1)?;
            let first_seen = parse_time(&first_seen).ok_or_else(|| {
                let message = format!("bad time {first_seen:?}");
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, message.into())
            })?;
            let outlets: i64 = r.get(2)?;
            let rung = super::text_enum(r, 5, score::Rung::parse)?;
            Ok(StoryPart {
                story: r.get(0)?,
                source: r.get(3)?,
                target: r.get(4)?,
                date: first_seen.date_naive(),
                rung: rung_of_event(rung),
                outlets: u32::try_from(outlets.max(1)).unwrap_or(u32::MAX),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts a story's part in its pair's index, or grows the part already counted (higher
    /// rung, more outlets, earlier date); a part is never counted twice.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is written then.
    pub fn put_trend_part(&self, part: &StoryPart) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let stored = tx
            .query_row(
                "SELECT day, rung, outlets FROM trend_parts WHERE story_id = ?1 AND source = ?2 AND target = ?3",
                params![part.story, part.source, part.target],
                |r| part_row(r, 0, part.story.clone(), part.source.clone(), part.target.clone()),
            )
            .optional()?;
        let part = stored.map_or_else(|| part.clone(), |stored| stored.merged(part));
        put(&tx, &part)?;
        tx.commit()?;
        Ok(())
    }

    /// Replaces every part with `parts`, in one transaction (`trends --rebuild`).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`]; nothing is written then.
    pub fn replace_trend_parts(&self, parts: &[StoryPart]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM trend_parts", [])?;
        for part in parts {
            put(&tx, part)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every part dated `since` or later, in (story, source, target) order.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn trend_parts(&self, since: Option<NaiveDate>) -> Result<Vec<StoryPart>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT story_id, source, target, day, rung, outlets FROM trend_parts
             WHERE day >= ?1 ORDER BY story_id, source, target",
        )?;
        let since = since.map(|d| d.to_string()).unwrap_or_default();
        let rows = stmt.query_map([since], |r| part_row(r, 3, r.get(0)?, r.get(1)?, r.get(2)?))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Counts an article of an alerted story in the index, inside the transaction that stores it:
/// its own event's pair when it names both sides (merged with what the story already counts
/// there), and the story's outlets, now `outlets`, in every pair it counts in.
pub(super) fn count_article(
    tx: &Connection,
    story: &str,
    event: Option<&score::Event>,
    outlets: usize,
) -> Result<(), StoreError> {
    let outlets = u32::try_from(outlets.max(1)).unwrap_or(u32::MAX);
    tx.execute(
        "UPDATE trend_parts SET outlets = max(outlets, ?2) WHERE story_id = ?1",
        params![story, outlets],
    )?;
    let Some((source, target, rung)) =
        event.and_then(|e| Some((e.source.clone()?, e.target.clone()?, rung_of_event(e.rung))))
    else {
        return Ok(());
    };
    let first_seen: String =
        tx.query_row("SELECT first_seen FROM stories WHERE id = ?1", [story], |r| r.get(0))?;
    let date = parse_time(&first_seen).unwrap_or_default().date_naive();
    let part = StoryPart { story: story.to_string(), source, target, date, rung, outlets };
    let stored = tx
        .query_row(
            "SELECT day, rung, outlets FROM trend_parts WHERE story_id = ?1 AND source = ?2 AND target = ?3",
            params![part.story, part.source, part.target],
            |r| part_row(r, 0, part.story.clone(), part.source.clone(), part.target.clone()),
        )
        .optional()?;
    put(tx, &stored.map_or_else(|| part.clone(), |stored| stored.merged(&part)))?;
    Ok(())
}

/// Writes `part` over the part of the same story and pair.
fn put(conn: &Connection, part: &StoryPart) -> rusqlite::Result<usize> {
    let day = part.date.to_string();
    conn.prepare_cached(INSERT)?.execute(params![
        part.story,
        part.source,
        part.target,
        day,
        part.rung.as_str(),
        part.outlets
    ])
}

/// A part from columns `day, rung, outlets` starting at `at`.
fn part_row(
    r: &rusqlite::Row<'_>,
    at: usize,
    story: String,
    source: String,
    target: String,
) -> rusqlite::Result<StoryPart> {
    let day: String = r.get(at)?;
    let date = day.parse::<NaiveDate>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(StoryPart {
        story,
        source,
        target,
        date,
        rung: super::text_enum(r, at + 1, Rung::parse)?,
        outlets: r.get(at + 2)?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use crate::score::NewAlert;
    use crate::store::testing::{article, open};
    use crate::store::{Store, StoryLink};
    use crate::trends::{Rung, StoryPart, merge_parts};
    use crate::types::Severity;

    /// Stores an alerted article in `story` with the event `(source, target, rung)`.
    fn alerted(store: &Store, key: &str, story_id: &str, outlets: usize, event: Option<(&str, &str, &str)>) {
        let event = event.map(|(source, target, rung)| {
            let json = serde_json::json!({
                "source": source, "target": target, "rung": rung, "act": "x",
                "level": 1, "why": [], "place": "body", "sentence": "s"
            });
            serde_json::from_value(json).expect("an event")
        });
        let alert = NewAlert {
            severity: Severity::Medium,
            threshold: 6.0,
            actors: Vec::new(),
            rules_hash: "h".into(),
            event,
            relevance: None,
        };
        let seen_at = Utc.with_ymd_and_hms(2026, 4, 6, 23, 30, 0).single().expect("time");
        let link = StoryLink {
            story: story_id.into(),
            title: "T".into(),
            outlet: format!("outlet{outlets}"),
            seen_at,
            copy: false,
            articles: outlets,
            outlets,
        };
        let routing = crate::store::Routing::default();
        store.insert_article(&article(key, 7.0), Some(&alert), &routing, || Some(link)).expect("insert");
    }

    /// Three stories: one naming two pairs as it grows, one a clash, one without a pair.
    fn stories() -> (tempfile::TempDir, Store) {
        let (dir, store) = open();
        alerted(&store, "a1", "sty_1", 1, Some(("Pakistan", "Afghanistan", "threat")));
        alerted(&store, "a2", "sty_1", 2, Some(("Pakistan", "Afghanistan", "attack")));
        alerted(&store, "a3", "sty_1", 3, Some(("Afghanistan", "Pakistan", "mobilisation")));
        alerted(&store, "a4", "sty_2", 1, Some(("India", "Pakistan", "clash")));
        alerted(&store, "a5", "sty_3", 1, None);
        (dir, store)
    }

    #[test]
    fn a_rebuild_equals_the_parts_put_one_at_a_time() {
        let (_dir, store) = stories();
        let raw = store.alerted_story_parts().expect("parts");
        assert_eq!(raw.len(), 4, "one per alert with a pair: {raw:?}");
        let rebuilt = merge_parts(raw.clone());
        assert_eq!(store.trend_parts(None).expect("read"), rebuilt, "the daemon's index, article by article");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).expect("date");
        let part = |story: &str, source: &str, target: &str, rung, outlets| StoryPart {
            story: story.into(),
            source: source.into(),
            target: target.into(),
            date: day,
            rung,
            outlets,
        };
        assert_eq!(
            rebuilt,
            [
                part("sty_1", "Afghanistan", "Pakistan", Rung::Mobilize, 3),
                part("sty_1", "Pakistan", "Afghanistan", Rung::Assault, 3),
                part("sty_2", "India", "Pakistan", Rung::Fight, 1),
            ],
            "one part per story and pair, at its highest rung, with the story's outlets, dated in UTC"
        );
        store.replace_trend_parts(&rebuilt).expect("rebuild");
        assert_eq!(store.trend_parts(None).expect("read"), rebuilt);

        let (_dir2, incremental) = stories();
        // As the daemon would see them: the first article's part, then the story grown.
        let mut first = part("sty_1", "Pakistan", "Afghanistan", Rung::Threaten, 1);
        first.date = day.succ_opt().expect("date");
        for p in std::iter::once(&first).chain(raw.iter().rev()) {
            incremental.put_trend_part(p).expect("put");
        }
        assert_eq!(
            incremental.trend_parts(None).expect("read"),
            rebuilt,
            "a part is grown, never counted twice"
        );
        assert_eq!(incremental.trend_parts(day.succ_opt()).expect("read"), [], "parts since a later day");
    }
}
