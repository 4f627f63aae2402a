//! The outbox: one delivery row per event and webhook (an alert's events, or a trend signal),
//! leased for each attempt, moved along by its result, listed and re-queued by the operator.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::events::{EventRecord, freeze};
use super::signals::SignalRecord;
use super::{Store, StoreError, parse_time, text_enum, timestamp};
use crate::types::{DeliveryState, EventKind};

/// A delivery that is due, with the event it carries.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the delivery was queued (or re-queued by `redeliver`): its age counts from here.
    pub queued_at: DateTime<Utc>,
    /// The event, as frozen at its first attempt.
    pub event: Outgoing,
}

/// What one delivery carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// An event of an alert's life.
    Alert(Box<EventRecord>),
    /// A trend signal.
    Signal(Box<SignalRecord>),
}

impl Outgoing {
    /// The `webhook-id` header, the same on every attempt.
    #[must_use]
    pub fn webhook_id(&self) -> &str {
        match self {
            Self::Alert(e) => &e.webhook_id,
            Self::Signal(s) => &s.id,
        }
    }

    /// The alert's id, or the signal's.
    #[must_use]
    pub fn subject(&self) -> &str {
        match self {
            Self::Alert(e) => &e.alert.id,
            Self::Signal(s) => &s.id,
        }
    }

    #[must_use]
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Alert(e) => e.kind,
            Self::Signal(s) => s.kind,
        }
    }

    /// The alert's event, when it is one.
    #[must_use]
    pub fn as_alert(&self) -> Option<&EventRecord> {
        match self {
            Self::Alert(e) => Some(e),
            Self::Signal(_) => None,
        }
    }

    /// Its place among the alert's events to the webhook; 1 for a signal.
    #[must_use]
    pub fn sequence(&self) -> u32 {
        match self {
            Self::Alert(e) => e.sequence,
            Self::Signal(_) => 1,
        }
    }
}

/// A pending delivery may go only when no earlier event of its alert to its webhook is still
/// pending: a webhook receives an alert's events in order. (`d` is the candidate row; a
/// signal's row has no alert, and nothing before it.)
const IN_ORDER: &str =
    "NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.alert_id = d.alert_id AND e.webhook = d.webhook
                                   AND e.sequence < d.sequence AND e.state = 'pending')";

/// A row of the `deliveries` table, for `flashpoint deliveries`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: i64,
    /// The alert's id, or the signal's for a `dyad.*` event.
    pub alert_id: String,
    pub webhook: String,
    /// `created`, `updated`, `resolved` or a signal's kind, and its place among the alert's
    /// events to this webhook.
    pub event: EventKind,
    pub sequence: u32,
    pub state: DeliveryState,
    pub attempts: u32,
    pub queued_at: String,
    pub next_attempt_at: String,
    pub last_attempt_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub title: String,
}

/// A webhook with deliveries waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWebhook {
    pub webhook: String,
    pub pending: usize,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptResult {
    Delivered,
    Retry { next_at: DateTime<Utc>, error: String, status: Option<u16> },
    Dead { error: String, status: Option<u16> },
}

impl Store {
    /// Leases the oldest pending delivery to `webhook` that is due by `now`, not leased, and
    /// next in its alert's order, for `lease`; the lease ends when its attempt is recorded. An
    /// event is frozen at its first claim: every attempt sends what the first one did.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn claim_delivery(
        &self,
        webhook: &str,
        now: DateTime<Utc>,
        lease: chrono::TimeDelta,
    ) -> Result<Option<DueDelivery>, StoreError> {
        let now_s = timestamp(now);
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let claimed = tx
            .query_row(
                &format!(
                    "UPDATE deliveries SET leased_until = ?3
                     WHERE id = (SELECT d.id FROM deliveries d
                                 WHERE d.webhook = ?1 AND d.state = 'pending' AND d.next_attempt_at <= ?2
                                   AND (d.leased_until IS NULL OR d.leased_until <= ?2) AND {IN_ORDER}
                                 ORDER BY d.next_attempt_at, d.id LIMIT 1)
                     RETURNING id, attempts, queued_at, payload, event"
                ),
                params![webhook, now_s, timestamp(now + lease)],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        text_enum(r, 4, EventKind::parse)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, attempts, queued_at, payload, kind)) = claimed else { return Ok(None) };
        let event = match payload {
            Some(json) if kind.is_signal() => Outgoing::Signal(Box::new(serde_json::from_str(&json)?)),
            Some(json) => Outgoing::Alert(Box::new(serde_json::from_str(&json)?)),
            None => Outgoing::Alert(Box::new(freeze(&tx, id, now)?)),
        };
        tx.commit()?;
        let queued_at = parse_time(&queued_at).unwrap_or(now);
        Ok(Some(DueDelivery { id, webhook: webhook.to_string(), attempts, queued_at, event }))
    }

    /// Ends every delivery lease: at start, no attempt is under way any more.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn release_deliveries(&self) -> Result<usize, StoreError> {
        Ok(self
            .lock()
            .execute("UPDATE deliveries SET leased_until = NULL WHERE leased_until IS NOT NULL", [])?)
    }

    /// Webhook names with pending deliveries, for a warning about ones no longer configured.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn pending_webhooks(&self) -> Result<Vec<PendingWebhook>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT webhook, count(*) FROM deliveries WHERE state = 'pending' GROUP BY webhook ORDER BY webhook",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows.map(|r| {
            r.map(|(webhook, n)| PendingWebhook { webhook, pending: usize::try_from(n).unwrap_or(0) })
                .map_err(StoreError::from)
        })
        .collect()
    }

    /// When the next pending delivery to `webhook` falls due.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn next_due(&self, webhook: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let conn = self.lock();
        let next: Option<String> = conn.query_row(
            &format!(
                "SELECT min(max(d.next_attempt_at, coalesce(d.leased_until, ''))) FROM deliveries d
                 WHERE d.webhook = ?1 AND d.state = 'pending' AND {IN_ORDER}"
            ),
            [webhook],
            |r| r.get(0),
        )?;
        Ok(next.as_deref().and_then(parse_time))
    }

    /// Records the result of one attempt.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn record_attempt(&self, delivery_id: i64, result: &AttemptResult) -> Result<(), StoreError> {
        let now = timestamp(Utc::now());
        let conn = self.lock();
        match result {
            AttemptResult::Delivered => conn.execute(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?2, leased_until = NULL,
                   last_attempt_at = ?2, last_status = NULL, last_error = NULL WHERE id = ?1",
                params![delivery_id, now],
            ),
            AttemptResult::Retry { next_at, error, status } => conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?2, last_attempt_at = ?3, leased_until = NULL,
                   last_error = ?4, last_status = ?5 WHERE id = ?1",
                params![delivery_id, timestamp(*next_at), now, error, status],
            ),
            AttemptResult::Dead { error, status } => conn.execute(
                "UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_attempt_at = ?2, leased_until = NULL,
                   last_error = ?3, last_status = ?4 WHERE id = ?1",
                params![delivery_id, now, error, status],
            ),
        }?;
        Ok(())
    }

    /// Deliveries in the given states, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] or [`StoreError::Json`].
    pub fn deliveries(&self, states: &[DeliveryState], limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_TABLES}
                 WHERE d.state IN (SELECT value FROM json_each(?1))
                 ORDER BY d.queued_at, d.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(
            params![serde_json::to_string(states)?, i64::try_from(limit).unwrap_or(i64::MAX)],
            delivery_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every event of alert (or signal) `alert_id`, in the order they were queued.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn alert_deliveries(&self, alert_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM {DELIVERY_TABLES}
             WHERE d.alert_id = ?1 OR d.signal_id = ?1 ORDER BY d.queued_at, d.sequence, d.webhook"
        ))?;
        let rows = stmt.query_map([alert_id], delivery_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Queues every delivery of alert (or signal) `alert_id` again, whatever its state (a skipped event
    /// stays skipped); each carries what it carried the first time: attempts start over
    /// and its age counts from now. Returns how many deliveries were queued.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn redeliver_alert(&self, alert_id: &str) -> Result<usize, StoreError> {
        self.requeue("(alert_id = ?1 OR signal_id = ?1)", alert_id)
    }

    /// Queues every dead-lettered delivery again. Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`].
    pub fn redeliver_dead(&self) -> Result<usize, StoreError> {
        self.requeue("state = ?1", "dead")
    }

    fn requeue(&self, condition: &str, value: &str) -> Result<usize, StoreError> {
        let now = timestamp(Utc::now());
        let conn = self.lock();
        let n = conn.execute(
            &format!(
                "UPDATE deliveries SET state = 'pending', attempts = 0, queued_at = ?2, next_attempt_at = ?2, leased_until = NULL,
                   delivered_at = NULL WHERE state != 'skipped' AND {condition}"
            ),
            params![value, now],
        )?;
        Ok(n)
    }
}

/// The columns [`delivery_from_row`] reads, of [`DELIVERY_TABLES`]; a signal's title is its
/// headline.
const DELIVERY_COLUMNS: &str =
    "d.id, coalesce(d.alert_id, d.signal_id), d.webhook, d.event, d.sequence, d.state, d.attempts, d.queued_at,
    d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error,
    coalesce(a.title, json_extract(s.record, '$.headline'), '')";

/// Deliveries with their alert or signal.
const DELIVERY_TABLES: &str =
    "deliveries d LEFT JOIN alerts a ON a.id = d.alert_id LEFT JOIN signals s ON s.id = d.signal_id";

fn delivery_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        alert_id: r.get(1)?,
        webhook: r.get(2)?,
        event: text_enum(r, 3, EventKind::parse)?,
        sequence: r.get(4)?,
        state: text_enum(r, 5, DeliveryState::parse)?,
        attempts: r.get(6)?,
        queued_at: r.get(7)?,
        next_attempt_at: r.get(8)?,
        last_attempt_at: r.get(9)?,
        last_status: r.get(10)?,
        last_error: r.get(11)?,
        title: r.get(12)?,
    })
}
