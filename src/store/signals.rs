//! Trend signals raised live: a sweep reads the trend index's recent parts with their stories'
//! times, runs the detector over the rolling day that ends now ([`crate::trends::live`]), and
//! raises each signal not raised before, in one transaction with its outbox rows. A signal's
//! record is frozen when it is raised: every webhook, and every retry, gets the same bytes
//! under the same `webhook-id` (the signal's id).
//!
//! Raised once: the id is the pair, rolling day and kind, so a second sweep of the same day
//! finds it stored. A pair that spiked raises no other spike for the detector's `cooldown_days`,
//! and a level-up is not raised again within a day unless it reaches a higher rung.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::{Routing, Store, StoreError, parse_time, timestamp};
use crate::trends::live::{Found, TimedPart, current};
use crate::trends::{Detector, Rung, SignalKind, StoryPart};
use crate::types::{EventKind, Severity};

/// A raised signal as its webhooks receive it (the JSON payload is this record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRecord {
    /// `dyad_…`: the same pair, rolling day and kind always give the same id. It is the
    /// `webhook-id` of every delivery of the signal.
    pub id: String,
    /// `dyad.spike` or `dyad.level_up`.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The pair: who acts, on whom.
    pub source: String,
    pub target: String,
    /// One line that says it: "Pakistan → Afghanistan: 9 stories in 24 h, 1.2 expected".
    pub headline: String,
    /// When it was raised (and frozen).
    pub raised_at: String,
    /// The 24 hours judged.
    pub window: Span,
    /// Spike: the window's stories. Level-up: the level of the rung reached (1 threat,
    /// 2 mobilisation or coercion, 3 assault, 4 fight).
    pub observed: u32,
    /// Spike: the stories the baseline expects. Level-up: the highest level of the weeks before.
    pub expected: f64,
    /// Spike: the least count that signals. Level-up: the level that did.
    pub upper: u32,
    /// The spike showed in the sum of the window and the day before, not in the window alone.
    pub two_days: bool,
    /// The days the expectation rests on (lagged, so an outbreak's first days do not raise it).
    pub baseline: Baseline,
    /// The window's stories against the mean day of the four weeks before, in percent; `null`
    /// when those weeks had no story.
    pub change_pct: Option<f64>,
    /// Level-up: the rung reached and the highest of the weeks before.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rung: Option<Rung>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_rung: Option<Rung>,
    /// The window's stories that drove it, most weighty first (at most 5).
    pub stories: Vec<SignalStory>,
}

/// A time span, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from: String,
    pub to: String,
}

/// The baseline window of a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub from: String,
    pub to: String,
    pub days: usize,
    pub lag_days: usize,
}

/// A story behind a signal: its alert (the story's id), its rung in the pair, its outlets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalStory {
    pub id: String,
    pub title: String,
    pub url: String,
    pub severity: Option<Severity>,
    pub rung: Rung,
    pub outlets: u32,
}

impl Store {
    /// Raises the signals of the rolling day that ends at `now` that were not raised before,
    /// each with one outbox row per webhook of `routing` that takes its kind; returns them.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`]; nothing is written then.
    pub fn raise_signals(
        &self,
        routing: &Routing,
        detector: &Detector,
        now: DateTime<Utc>,
    ) -> Result<Vec<SignalRecord>, StoreError> {
        // Only pairs with a story in the last two days can signal today. Each one's history is
        // read under the lock on its own and judged outside it: the pipeline's writes wait for
        // one pair's read or the short write at the end, never for the whole index or the
        // detector.
        let since = horizon(detector, now);
        let active = active_pairs(&self.lock(), now)?;
        let mut parts = Vec::new();
        for (source, target) in &active {
            parts.extend(timed_parts(&self.lock(), source, target, since)?);
        }
        let found = current(detector, &parts, now);
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let mut raised = Vec::new();
        for found in found {
            if already_raised(&tx, &found, detector, now)? {
                continue;
            }
            let record = record(&tx, &found, detector, now)?;
            let json = serde_json::to_string(&record)?;
            tx.execute(
                "INSERT INTO signals (id, kind, source, target, day, raised_at, observed, expected, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    record.id,
                    record.kind.as_str(),
                    record.source,
                    record.target,
                    found.signal.date.to_string(),
                    record.raised_at,
                    record.observed,
                    record.expected,
                    json
                ],
            )?;
            for sub in routing.subscribers.iter().filter(|s| s.cadence.wants(record.kind)) {
                tx.execute(
                    "INSERT INTO deliveries (signal_id, webhook, event, sequence, queued_at, next_attempt_at, payload, frozen_at)
                     VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5, ?4)",
                    params![record.id, sub.name, record.kind.as_str(), record.raised_at, json],
                )?;
            }
            raised.push(record);
        }
        tx.commit()?;
        Ok(raised)
    }

    /// The signals raised since `since`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn signals(&self, since: DateTime<Utc>) -> Result<Vec<SignalRecord>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT record FROM signals WHERE raised_at >= ?1 ORDER BY raised_at DESC, id")?;
        let rows = stmt.query_map([timestamp(since)], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for json in rows {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
    }
}

/// The earliest story time the detector looks at: its rhythm's weeks, its windows and lag,
/// and two days to spare.
fn horizon(detector: &Detector, now: DateTime<Utc>) -> DateTime<Utc> {
    let s = detector.settings();
    let days = (7 * s.rhythm_weeks).max(s.baseline_days).max(s.level_window_days) + s.lag_days + 2;
    now - TimeDelta::days(i64::try_from(days).unwrap_or(i64::MAX / 2))
}

/// The pairs with a story counted on the last two calendar days.
fn active_pairs(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT DISTINCT source, target FROM trend_parts WHERE day >= ?1")?;
    let day = (now - TimeDelta::days(1)).date_naive().to_string();
    let rows = stmt.query_map([day], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The trend parts of the pair's stories first seen since `since`, with that time.
fn timed_parts(
    conn: &Connection,
    source: &str,
    target: &str,
    since: DateTime<Utc>,
) -> Result<Vec<TimedPart>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT tp.story_id, tp.source, tp.target, tp.rung, tp.outlets, s.first_seen
         FROM trend_parts tp JOIN stories s ON s.id = tp.story_id
         WHERE tp.source = ?1 AND tp.target = ?2 AND tp.day >= ?3",
    )?;
    let day = (since - TimeDelta::days(1)).date_naive().to_string();
    let rows = stmt.query_map(params![source, target, day], |r| {
        let first_seen: String = r.get(5)?;
        let rung = super::text_enum(r, 3, Rung::parse)?;
        let outlets: i64 = r.get(4)?;
        Ok((
            StoryPart {
                story: r.get(0)?,
                source: r.get(1)?,
                target: r.get(2)?,
                date: chrono::NaiveDate::MIN,
                rung,
                outlets: u32::try_from(outlets.max(1)).unwrap_or(u32::MAX),
            },
            first_seen,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (mut part, first_seen) = row?;
        let Some(first_seen) = parse_time(&first_seen).filter(|t| *t >= since) else { continue };
        part.date = first_seen.date_naive();
        out.push(TimedPart { part, first_seen });
    }
    Ok(out)
}

/// The signal is stored already, or its pair is cooling down: a spike within the detector's
/// `cooldown_days` of another, a level-up within a day of one as high.
fn already_raised(
    conn: &Connection,
    found: &Found,
    detector: &Detector,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let stored =
        conn.query_row("SELECT 1 FROM signals WHERE id = ?1", [found.id()], |_| Ok(())).optional()?.is_some();
    if stored {
        return Ok(true);
    }
    let (kind, since, least) = match found.signal.kind {
        SignalKind::Spike => {
            let days = i64::try_from(detector.settings().cooldown_days).unwrap_or(i64::MAX / 2);
            (EventKind::Spike, now - TimeDelta::days(days), 0)
        }
        SignalKind::LevelUp => (EventKind::LevelUp, now - TimeDelta::days(1), found.signal.observed),
    };
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM signals WHERE source = ?1 AND target = ?2 AND kind = ?3
                          AND raised_at > ?4 AND observed >= ?5)",
        params![found.source, found.target, kind.as_str(), timestamp(since), least],
        |r| r.get(0),
    )
}

/// The record of a signal found at `now`, with its stories' titles from their alerts.
fn record(
    conn: &Connection,
    found: &Found,
    detector: &Detector,
    now: DateTime<Utc>,
) -> rusqlite::Result<SignalRecord> {
    let s = detector.settings();
    let mut stories = Vec::with_capacity(found.stories.len());
    for part in &found.stories {
        let alert: Option<(String, String, String)> = conn
            .query_row("SELECT title, article_url, severity FROM alerts WHERE id = ?1", [&part.story], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (title, url, severity) = alert.unwrap_or_default();
        stories.push(SignalStory {
            id: part.story.clone(),
            title,
            url,
            severity: Severity::parse(&severity),
            rung: part.rung,
            outlets: part.outlets,
        });
    }
    let signal = &found.signal;
    let kind = match signal.kind {
        SignalKind::Spike => EventKind::Spike,
        SignalKind::LevelUp => EventKind::LevelUp,
    };
    Ok(SignalRecord {
        id: found.id(),
        kind,
        source: found.source.clone(),
        target: found.target.clone(),
        headline: headline(found),
        raised_at: timestamp(now),
        window: Span { from: timestamp(found.window.0), to: timestamp(found.window.1) },
        observed: signal.observed,
        expected: (signal.expected * 1000.0).round() / 1000.0,
        upper: signal.upper,
        two_days: signal.two_days,
        baseline: Baseline {
            from: timestamp(found.baseline.0),
            to: timestamp(found.baseline.1),
            days: s.baseline_days,
            lag_days: s.lag_days,
        },
        change_pct: found.change_pct,
        rung: found.rungs.map(|r| r.0),
        previous_rung: found.rungs.map(|r| r.1),
        stories,
    })
}

/// "Pakistan → Afghanistan: 9 stories in 24 h, 1.2 expected (+650 % on 4 weeks)", or
/// "Pakistan → Afghanistan: up to assault, from threaten".
#[must_use]
pub fn headline(found: &Found) -> String {
    let key = format!("{} → {}", found.source, found.target);
    let signal = &found.signal;
    match (signal.kind, found.rungs) {
        (SignalKind::LevelUp, Some((reached, previous))) => {
            format!("{key}: up to {reached}, from {previous}")
        }
        (SignalKind::LevelUp, None) => format!("{key}: up to level {}", signal.observed),
        (SignalKind::Spike, _) => {
            let stories = if signal.observed == 1 { "story" } else { "stories" };
            let change = found.change_pct.map(|p| format!(" ({p:+.0} % on 4 weeks)")).unwrap_or_default();
            format!("{key}: {} {stories} in 24 h, {:.1} expected{change}", signal.observed, signal.expected)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};
    use rusqlite::params;

    use super::super::testing::{open, routing};
    use super::super::{AttemptResult, Outgoing, Store, timestamp};
    use crate::story::lifecycle::Cadence;
    use crate::trends::{Detector, Rung};
    use crate::types::{DeliveryState, EventKind};

    const LEASE: TimeDelta = TimeDelta::seconds(30);

    /// `n` stories of Pakistan → Afghanistan at `rung`, carried by `outlets`, first seen at `at`.
    fn stories(store: &Store, at: DateTime<Utc>, n: u32, rung: Rung, outlets: u32) {
        let conn = store.lock();
        for i in 0..n {
            let first_seen = at - TimeDelta::minutes(i64::from(i));
            let id = format!("alrt_{}_{i}_{}", first_seen.timestamp(), rung.as_str());
            conn.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, articles, outlets) VALUES (?1, 'T', ?2, ?2, 1, ?3)",
                params![id, timestamp(first_seen), outlets],
            )
            .expect("story");
            conn.execute(
                "INSERT INTO trend_parts (story_id, source, target, day, rung, outlets)
                 VALUES (?1, 'Pakistan', 'Afghanistan', ?2, ?3, ?4)",
                params![id, first_seen.date_naive().to_string(), rung.as_str(), outlets],
            )
            .expect("part");
        }
    }

    /// Six weeks of one threat a day before `now`.
    fn history(store: &Store, now: DateTime<Utc>) {
        for day in 1..=42 {
            stories(store, now - TimeDelta::days(day) - TimeDelta::hours(3), 1, Rung::Threaten, 1);
        }
    }

    /// Webhook "trends" takes every event; "alerts" the default, an alert's events.
    fn two_hooks() -> super::Routing {
        let mut routing = routing(&["trends", "alerts"]);
        routing.subscribers[0].cadence = Cadence { events: EventKind::ALL.to_vec(), ..Cadence::default() };
        routing
    }

    fn raise(store: &Store, now: DateTime<Utc>) -> Vec<(EventKind, String)> {
        store
            .raise_signals(&two_hooks(), &Detector::default(), now)
            .expect("raise")
            .into_iter()
            .map(|s| (s.kind, s.id))
            .collect()
    }

    #[test]
    fn a_spike_is_raised_once_and_delivered_once_by_id() {
        let (_dir, store) = open();
        let now = "2026-03-10T10:00:00Z".parse::<DateTime<Utc>>().expect("time");
        history(&store, now);
        assert!(raise(&store, now).is_empty(), "an ordinary day");
        stories(&store, now - TimeDelta::hours(2), 9, Rung::Threaten, 3);
        let raised = raise(&store, now);
        assert_eq!(raised.len(), 1, "{raised:?}");
        let (kind, id) = raised[0].clone();
        assert_eq!(kind, EventKind::Spike);
        assert!(id.starts_with("dyad_"));

        // Judged again, within the hour and the next day: the same signal, or a pair cooling down.
        assert!(raise(&store, now).is_empty());
        assert!(raise(&store, now + TimeDelta::hours(1)).is_empty());
        stories(&store, now + TimeDelta::hours(20), 9, Rung::Threaten, 3);
        assert!(raise(&store, now + TimeDelta::hours(22)).is_empty(), "a week's cool-down");

        // Only the webhook that asked for it has a row; the record is what it receives.
        assert!(store.claim_delivery("alerts", now, LEASE).expect("claim").is_none());
        let due = store.claim_delivery("trends", now, LEASE).expect("claim").expect("due");
        let Outgoing::Signal(signal) = &due.event else { panic!("a signal: {:?}", due.event) };
        assert_eq!((signal.id.as_str(), due.event.webhook_id()), (id.as_str(), id.as_str()));
        assert_eq!((signal.source.as_str(), signal.target.as_str()), ("Pakistan", "Afghanistan"));
        assert_eq!(signal.observed, 9);
        assert!(signal.expected < f64::from(signal.upper) && f64::from(signal.upper) <= 9.0);
        assert_eq!(signal.stories.len(), 5);
        assert!(
            signal.headline.starts_with("Pakistan → Afghanistan: 9 stories in 24 h"),
            "{}",
            signal.headline
        );
        store
            .record_attempt(
                due.id,
                &AttemptResult::Retry { next_at: now, error: "503".into(), status: Some(503) },
            )
            .expect("record");
        let again = store.claim_delivery("trends", now + LEASE, LEASE).expect("claim").expect("retried");
        assert_eq!(again.event, due.event, "a retry carries the same bytes");
        store.record_attempt(again.id, &AttemptResult::Delivered).expect("record");
        assert!(store.claim_delivery("trends", now + LEASE * 2, LEASE).expect("claim").is_none());

        // The operator sees it, and can send it again.
        let all = [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];
        let listed = store.deliveries(&all, 10).expect("deliveries");
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].alert_id.as_str(), listed[0].event), (id.as_str(), EventKind::Spike));
        assert!(listed[0].title.starts_with("Pakistan → Afghanistan"), "{}", listed[0].title);
        assert_eq!(store.alert_deliveries(&id).expect("events").len(), 1);
        assert_eq!(store.redeliver_alert(&id).expect("requeue"), 1);

        // After the cool-down a new outbreak is a new signal.
        let week = now + TimeDelta::days(8);
        stories(&store, week - TimeDelta::hours(1), 12, Rung::Threaten, 3);
        let later = raise(&store, week);
        assert_eq!(later.iter().map(|r| r.0).collect::<Vec<_>>(), [EventKind::Spike]);
        assert_ne!(later[0].1, id);
        assert_eq!(store.signals(now - TimeDelta::days(1)).expect("signals").len(), 2);
    }

    #[test]
    fn a_level_up_is_raised_once_unless_it_climbs_again() {
        let (_dir, store) = open();
        let now = "2026-03-10T10:00:00Z".parse::<DateTime<Utc>>().expect("time");
        history(&store, now);
        stories(&store, now - TimeDelta::hours(1), 1, Rung::Assault, 2);
        let raised = raise(&store, now);
        assert_eq!(raised.iter().map(|r| r.0).collect::<Vec<_>>(), [EventKind::LevelUp]);
        let record = &store.signals(now).expect("signals")[0];
        assert_eq!((record.rung, record.previous_rung), (Some(Rung::Assault), Some(Rung::Threaten)));
        assert_eq!(record.headline, "Pakistan → Afghanistan: up to assault, from threaten");
        // Past midnight the same attack is still in the rolling day: not raised again.
        assert!(raise(&store, now + TimeDelta::hours(15)).is_empty());
        // A clash is a higher rung still.
        stories(&store, now + TimeDelta::hours(16), 1, Rung::Fight, 2);
        let fight = raise(&store, now + TimeDelta::hours(17));
        assert_eq!(fight.iter().map(|r| r.0).collect::<Vec<_>>(), [EventKind::LevelUp]);
    }
}
