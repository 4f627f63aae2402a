//! The outbox's events as sent: each frozen at its first attempt (what it says of the alert and
//! its story, what changed since the webhook's last event), so every retry sends the same.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::alerts::read_alert;
use super::{Alert, StoreError, text_enum, timestamp};
use crate::story::lifecycle::{Change, Snapshot, changes};
use crate::types::EventKind;

/// One webhook event as frozen at its first attempt: what the payload says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The `webhook-id` header: the alert id for `alert.created`, the alert id and the
    /// sequence number after it for later events.
    pub webhook_id: String,
    pub kind: EventKind,
    /// 1 for `alert.created`, then one more per event to this webhook.
    pub sequence: u32,
    /// When it was frozen (its first attempt).
    pub sent_at: String,
    pub alert: Alert,
    pub story: StoryFacts,
    /// What the webhook is shown; the next event is compared with it.
    pub snapshot: Snapshot,
    /// What changed since the last event this webhook was sent.
    pub changes: Vec<Change>,
}

/// The story behind an alert, as an event shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryFacts {
    /// Independent outlets and articles.
    pub outlets: usize,
    pub articles: usize,
    /// The independent outlets' sites, first reporter first.
    pub sites: Vec<String>,
    /// The story clock of its first and last article.
    pub first_seen: String,
    pub last_seen: String,
}

/// The `webhook-id` of event `sequence` of `alert_id`.
#[must_use]
pub fn webhook_id(alert_id: &str, sequence: u32) -> String {
    if sequence <= 1 { alert_id.to_string() } else { format!("{alert_id}.{sequence}") }
}

/// What an event shows of `alert`.
pub(super) fn snapshot(alert: &Alert) -> Snapshot {
    Snapshot {
        state: alert.state,
        severity: alert.severity,
        outlets: alert.outlets,
        articles: alert.articles,
        pairs: alert.actors.clone(),
        languages: alert.languages.clone(),
    }
}

/// Freezes delivery `id`: builds its event from the alert as it now stands, compared with the
/// last event frozen for the same alert and webhook, and stores it with the row.
pub(super) fn freeze(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<EventRecord, StoreError> {
    let (alert_id, webhook, kind, sequence): (String, String, EventKind, u32) = conn.query_row(
        "SELECT alert_id, webhook, event, sequence FROM deliveries WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, text_enum(r, 2, EventKind::parse)?, r.get(3)?)),
    )?;
    let alert = read_alert(conn, &alert_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let previous: Option<String> = conn
        .query_row(
            "SELECT payload FROM deliveries WHERE alert_id = ?1 AND webhook = ?2 AND sequence < ?3 AND payload IS NOT NULL
             ORDER BY sequence DESC LIMIT 1",
            params![alert_id, webhook, sequence],
            |r| r.get(0),
        )
        .optional()?;
    let previous: Option<EventRecord> = previous.as_deref().map(serde_json::from_str).transpose()?;
    let snapshot = snapshot(&alert);
    let changes = previous.map(|p| changes(&p.snapshot, &snapshot)).unwrap_or_default();
    let record = EventRecord {
        webhook_id: webhook_id(&alert_id, sequence),
        kind,
        sequence,
        sent_at: timestamp(now),
        story: story_facts(conn, &alert)?,
        alert,
        snapshot,
        changes,
    };
    conn.execute(
        "UPDATE deliveries SET payload = ?2, frozen_at = ?3 WHERE id = ?1",
        params![id, serde_json::to_string(&record)?, record.sent_at],
    )?;
    Ok(record)
}

/// The story of `alert`; an alert raised before stories is a story of its one article.
fn story_facts(conn: &Connection, alert: &Alert) -> rusqlite::Result<StoryFacts> {
    let seen: Option<(String, String)> = conn
        .query_row("SELECT first_seen, last_seen FROM stories WHERE id = ?1", [&alert.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((first_seen, last_seen)) = seen else {
        let at = alert.published_at.clone().unwrap_or_else(|| alert.created_at.clone());
        return Ok(StoryFacts {
            outlets: alert.outlets,
            articles: alert.articles,
            sites: vec![crate::story::outlet_of(&alert.article_url)],
            first_seen: at.clone(),
            last_seen: at,
        });
    };
    let mut stmt = conn.prepare_cached(
        "SELECT outlet FROM story_articles WHERE story_id = ?1 AND copy = 0 GROUP BY outlet ORDER BY min(seen_at), outlet",
    )?;
    let sites: Vec<String> = stmt.query_map([&alert.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(StoryFacts { outlets: alert.outlets, articles: alert.articles, sites, first_seen, last_seen })
}
