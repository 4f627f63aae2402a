//! What the page reads beyond the commands' queries: alert cards with their story's span and the
//! analyst's verdict, filtered the ways the page filters; the last polls of every feed; the
//! extraction methods of a feed's latest articles.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::articles::{ALERT_COLUMNS, alert_from_row};
use super::{Alert, Store, StoreError, text_enum, timestamp};
use crate::types::{AlertState, Method, Severity, Verdict};

/// Polls kept per feed: the strip on `/feeds` shows no more.
pub const POLLS_KEPT: usize = 48;

/// Which alerts the page lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Alerts of exactly this severity.
    pub severity: Option<Severity>,
    /// Alerts whose lead article came from this feed (by name).
    pub feed: Option<String>,
    /// Alerts naming this actor pair (source, target).
    pub pair: Option<(String, String)>,
    pub state: Option<AlertState>,
    /// Alerts raised at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// An alert as a card shows it: the alert, its story's span, and the analyst's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCard {
    pub alert: Alert,
    /// The story clock of its first and last article (the alert's own times for an alert
    /// raised before stories).
    pub first_seen: String,
    pub last_seen: String,
    pub verdict: Option<Verdict>,
}

crate::types::text_enum! {
    /// How one poll of a feed ended.
    PollResult {
        /// The feed answered (a 304 included).
        Ok => "ok",
        /// The poll failed.
        Error => "error",
    }
}

/// One poll of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    pub at: String,
    pub result: PollResult,
}

/// Stories of the trend index with the same pair, day, rung and outlets, and how many: the
/// index built from these equals the one built from every story's part, from far fewer rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendCount {
    pub source: String,
    pub target: String,
    pub date: NaiveDate,
    pub rung: crate::trends::Rung,
    pub outlets: u32,
    pub stories: u32,
}

/// How a feed's latest articles were extracted: each method and how many used it, most first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedExtraction {
    pub methods: Vec<(Method, usize)>,
}

const CARD_COLUMNS: &str = "coalesce(s.first_seen, a.published_at, a.created_at),
    coalesce(s.last_seen, a.updated_at, a.created_at), v.verdict";

const CARD_FROM: &str =
    "alerts a LEFT JOIN stories s ON s.id = a.id LEFT JOIN verdicts v ON v.alert_id = a.id";

fn card_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(super::articles::AlertRow, String, String, Option<String>)> {
    let at = 19;
    Ok((alert_from_row(r, 0)?, r.get(at)?, r.get(at + 1)?, r.get(at + 2)?))
}

fn card(
    (row, first_seen, last_seen, verdict): (super::articles::AlertRow, String, String, Option<String>),
) -> Result<AlertCard, StoreError> {
    Ok(AlertCard {
        alert: row.parse()?,
        first_seen,
        last_seen,
        verdict: verdict.as_deref().and_then(Verdict::parse),
    })
}

impl Store {
    /// The alerts `query` selects, newest first, as cards.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn alert_cards(&self, query: &AlertQuery) -> Result<Vec<AlertCard>, StoreError> {
        // Only the filters given become conditions: `(?1 IS NULL OR a.feed = ?1)` would keep
        // SQLite from the feed's index.
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut given = |condition: &'static str, value: Option<String>| {
            if let Some(value) = value {
                conditions.push(condition);
                values.push(rusqlite::types::Value::Text(value));
            }
        };
        given("a.created_at >= ?", query.since.map(timestamp));
        given("a.feed = ?", query.feed.clone());
        given("a.severity = ?", query.severity.map(|s| s.as_str().to_string()));
        given("a.state = ?", query.state.map(|s| s.as_str().to_string()));
        if let Some((source, target)) = query.pair.clone() {
            conditions.push(
                "EXISTS (SELECT 1 FROM json_each(a.actors) j
                         WHERE json_extract(j.value, '$.source') = ? AND json_extract(j.value, '$.target') = ?)",
            );
            values.push(rusqlite::types::Value::Text(source));
            values.push(rusqlite::types::Value::Text(target));
        }
        let filter =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        values.push(rusqlite::types::Value::Integer(i64::try_from(query.limit).unwrap_or(i64::MAX)));
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ALERT_COLUMNS}, {CARD_COLUMNS} FROM {CARD_FROM} {filter}
             ORDER BY a.created_at DESC, a.id LIMIT ?"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), card_from_row)?;
        rows.map(|row| card(row?)).collect()
    }

    /// Alert `id` as a card; `None` when there is no such alert.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn alert_card(&self, id: &str) -> Result<Option<AlertCard>, StoreError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                &format!("SELECT {ALERT_COLUMNS}, {CARD_COLUMNS} FROM {CARD_FROM} WHERE a.id = ?1"),
                [id],
                card_from_row,
            )
            .optional()?;
        row.map(card).transpose()
    }

    /// Every actor pair the trend index counts, in name order: the choices of the pair filter.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn trend_pairs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT DISTINCT source, target FROM trend_parts ORDER BY source, target")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The trend index's stories, counted per pair, day, rung and outlets.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn trend_counts(&self) -> Result<Vec<TrendCount>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT source, target, day, rung, outlets, count(*) FROM trend_parts
             GROUP BY source, target, day, rung, outlets",
        )?;
        let rows = stmt.query_map([], |r| {
            let day: String = r.get(2)?;
            let date = day.parse::<NaiveDate>().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
            })?;
            Ok(TrendCount {
                source: r.get(0)?,
                target: r.get(1)?,
                date,
                rung: text_enum(r, 3, crate::trends::Rung::parse)?,
                outlets: r.get(4)?,
                stories: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last [`POLLS_KEPT`] polls of the feed at `feed_url`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn polls(&self, feed_url: &str) -> Result<Vec<Poll>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached("SELECT at, result FROM polls WHERE feed_url = ?1 ORDER BY at")?;
        let rows = stmt.query_map([feed_url], |r| {
            Ok(Poll { at: r.get(0)?, result: text_enum(r, 1, PollResult::parse)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How the latest `limit` articles of feed `name` were extracted.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn feed_extraction(&self, name: &str, limit: usize) -> Result<FeedExtraction, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT method, count(*) AS n FROM
               (SELECT method FROM articles WHERE feed = ?1 ORDER BY fetched_at DESC LIMIT ?2)
             GROUP BY method ORDER BY n DESC, method",
        )?;
        let rows = stmt.query_map(params![name, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok((text_enum(r, 0, Method::parse)?, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
        })?;
        Ok(FeedExtraction { methods: rows.collect::<Result<_, _>>()? })
    }
}

/// Records a poll of `feed_url` and forgets its polls older than the last [`POLLS_KEPT`].
pub(super) fn log_poll(
    conn: &Connection,
    feed_url: &str,
    result: PollResult,
    at: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO polls (feed_url, at, result) VALUES (?1, ?2, ?3)")?.execute(params![
        feed_url,
        at,
        result.as_str()
    ])?;
    conn.prepare_cached(
        "DELETE FROM polls WHERE feed_url = ?1
           AND rowid < (SELECT rowid FROM polls WHERE feed_url = ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![feed_url, i64::try_from(POLLS_KEPT - 1).unwrap_or(0)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{ActorPair, NewAlert};
    use crate::store::testing::{article, open};

    fn raise(store: &Store, key: &str, severity: Severity, pair: Option<(&str, &str)>) -> String {
        let alert = NewAlert {
            severity,
            threshold: 6.0,
            actors: pair
                .map(|(s, t)| vec![ActorPair { source: Some(s.into()), target: Some(t.into()) }])
                .unwrap_or_default(),
            rules_hash: "h".into(),
            event: None,
            relevance: None,
        };
        let raised = store
            .insert_article(&article(key, 9.0), Some(&alert), &crate::store::Routing::default(), || None)
            .expect("insert")
            .expect("raised");
        raised.alert.id
    }

    #[test]
    fn cards_filter_by_severity_pair_state_and_carry_the_verdict() {
        let (_dir, store) = open();
        let a = raise(&store, "a", Severity::High, Some(("India", "Pakistan")));
        let b = raise(&store, "b", Severity::Low, Some(("Pakistan", "India")));
        let _c = raise(&store, "c", Severity::High, None);
        store.label(&b, Verdict::Noise, None).expect("label");
        let all = AlertQuery { limit: 10, ..AlertQuery::default() };
        let ids = |q: &AlertQuery| -> Vec<String> {
            store.alert_cards(q).expect("cards").into_iter().map(|c| c.alert.id).collect()
        };
        assert_eq!(ids(&all).len(), 3);
        let cases: Vec<(&str, AlertQuery, usize)> = vec![
            ("high", AlertQuery { severity: Some(Severity::High), ..all.clone() }, 2),
            (
                "pair, ordered",
                AlertQuery { pair: Some(("India".into(), "Pakistan".into())), ..all.clone() },
                1,
            ),
            ("state", AlertQuery { state: Some(AlertState::Resolved), ..all.clone() }, 0),
            ("feed", AlertQuery { feed: Some("Feed".into()), ..all.clone() }, 3),
            ("limit", AlertQuery { limit: 1, ..all.clone() }, 1),
        ];
        for (name, q, n) in cases {
            assert_eq!(ids(&q).len(), n, "{name}");
        }
        assert_eq!(ids(&AlertQuery { pair: Some(("India".into(), "Pakistan".into())), ..all.clone() }), [a]);
        let card = store.alert_card(&b).expect("card").expect("known");
        assert_eq!(card.verdict, Some(Verdict::Noise));
        assert!(store.alert_card("alrt_none").expect("card").is_none());
    }

    #[test]
    fn trend_counts_build_the_index_the_parts_do() {
        use crate::trends::{Index, Rung, StoryPart};
        let (_dir, store) = open();
        let day = NaiveDate::from_ymd_opt(2026, 4, 6).expect("date");
        let part = |story: &str, rung, outlets, date| StoryPart {
            story: story.into(),
            source: "India".into(),
            target: "Pakistan".into(),
            date,
            rung,
            outlets,
        };
        let parts = [
            part("s1", Rung::Threaten, 1, day),
            part("s2", Rung::Threaten, 1, day),
            part("s3", Rung::Fight, 3, day),
            part("s4", Rung::Threaten, 1, day.succ_opt().expect("date")),
        ];
        for p in &parts {
            store.lock().execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, 't', '', '', 1, 1)",
                [&p.story],
            ).expect("story");
        }
        store.replace_trend_parts(&parts).expect("parts");
        let counts = store.trend_counts().expect("counts");
        assert_eq!(counts.len(), 3, "{counts:?}");
        let mut by_parts = Index::pairs_only();
        for p in &parts {
            by_parts.add(&p.as_story()).expect("add");
        }
        let mut by_counts = Index::pairs_only();
        for c in &counts {
            let counted = crate::trends::Story {
                date: c.date,
                source: &c.source,
                target: &c.target,
                rung: c.rung,
                outlets: c.outlets,
            };
            for _ in 0..c.stories {
                by_counts.add(&counted).expect("add");
            }
        }
        assert_eq!(by_parts.pair("India", "Pakistan"), by_counts.pair("India", "Pakistan"));
    }

    #[test]
    fn a_feed_keeps_its_last_polls_only() {
        let (_dir, store) = open();
        for i in 0..POLLS_KEPT + 5 {
            if i % 7 == 0 {
                store.record_feed_error("u", "F", "boom", crate::store::Failed::Poll).expect("error");
            } else {
                store.record_poll("u", "F", &[], None).expect("poll");
            }
        }
        store.record_feed_error("u", "F", "page", crate::store::Failed::Page).expect("a page is no poll");
        let polls = store.polls("u").expect("polls");
        assert_eq!(polls.len(), POLLS_KEPT);
        assert!(polls.iter().any(|p| p.result == PollResult::Error));
        assert!(polls.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    }
}
