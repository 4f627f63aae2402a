//! Webhook delivery from the outbox: one worker per webhook, so a slow or dead endpoint never
//! delays another; retries with backoff, `Retry-After`, and dead-lettering ([`retry`]).
//!
//! Each webhook receives an alert's events (`alert.created`, `alert.updated`, `alert.resolved`)
//! in order. A delivery is marked done only after a 2xx, so a crash between sending and
//! recording resends it: receivers deduplicate on its `webhook-id`, the same on every attempt.

mod chat;
pub mod payload;
pub mod retry;
pub mod sign;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use crate::notify::retry::Policy;
use crate::service::{Health, Progress, Stage};
use crate::store::{AttemptResult, DueDelivery, Routing, Store, StoreError};
use crate::story::lifecycle::{Cadence, Subscriber};
use crate::types::{Severity, cause_first, strip_urls};

pub use payload::Format;
use retry::Outcome;
pub use sign::Secret;

/// Deliveries read from the outbox per query.
const BATCH: usize = 50;

/// Longest sleep of an idle worker; it rechecks the outbox then (new rows from another process).
const IDLE_RECHECK: Duration = Duration::from_secs(30);

/// Longest final delivery pass at shutdown.
const FINAL_PASS: Duration = Duration::from_secs(10);

/// First wait after the outbox failed (a full disk, a lock held too long); it doubles with each
/// failure in a row up to [`STORE_BACKOFF_MAX`].
const STORE_BACKOFF: Duration = Duration::from_secs(1);
const STORE_BACKOFF_MAX: Duration = Duration::from_mins(1);

/// A delivery's lease lasts twice the request timeout plus this.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// The wait after `failures` store errors in a row: doubling from [`STORE_BACKOFF`], at most
/// [`STORE_BACKOFF_MAX`].
fn store_backoff(failures: u32) -> Duration {
    STORE_BACKOFF.saturating_mul(1 << failures.saturating_sub(1).min(16)).min(STORE_BACKOFF_MAX)
}

/// Why the notifier could not start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot build the webhook client")]
    Client(#[source] reqwest::Error),
    #[error("outbox unavailable")]
    Store(#[from] StoreError),
}

/// A webhook, ready to POST to.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Unique name; the key of its rows in `deliveries` and what logs show (never the URL,
    /// which for Slack and Discord is itself a credential).
    pub name: String,
    pub url: Url,
    pub format: Format,
    /// Alerts below this severity are not sent here.
    pub min_severity: Severity,
    /// Only alerts from these feeds (by name); empty for all.
    pub feeds: Vec<String>,
    /// Signs each request (Standard Webhooks) when set.
    pub secret: Option<Secret>,
    /// Which events it takes, how long a new alert is held, how often an alert is updated.
    pub cadence: Cadence,
}

impl Webhook {
    /// The webhook as the outbox routes alert events to it.
    #[must_use]
    pub fn subscriber(&self) -> Subscriber {
        Subscriber {
            name: self.name.clone(),
            min_severity: self.min_severity,
            feeds: self.feeds.clone(),
            cadence: self.cadence.clone(),
        }
    }
}

/// How alert events are routed to `hooks`; stories with no article for `resolve_after` are
/// resolved. The outbox rows of each event are decided when it is written, never changed after.
#[must_use]
pub fn routing(hooks: &[Webhook], resolve_after: Duration) -> Routing {
    Routing { subscribers: hooks.iter().map(Webhook::subscriber).collect(), resolve_after }
}

/// Wakes webhook workers when new alerts are written.
#[derive(Debug, Clone, Default)]
pub struct Wakers(Arc<Vec<Arc<Notify>>>);

impl Wakers {
    /// Wakes every worker; a worker busy sending finds the new rows on its next look.
    pub fn wake_all(&self) {
        for n in self.0.iter() {
            n.notify_one();
        }
    }
}

/// The webhook stage.
#[derive(Debug)]
pub struct Notifier {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    hook: Webhook,
    client: reqwest::Client,
    store: Store,
    policy: Policy,
    wake: Arc<Notify>,
    /// Attempts in flight and finished, for the watchdog.
    progress: Arc<Progress>,
    /// Where an outbox that keeps failing is reported, for `/healthz`.
    health: Arc<Health>,
    /// An attempt made but not yet recorded (the store failed): recorded before anything else is
    /// claimed, so the alert is not sent again.
    unrecorded: std::sync::Mutex<Option<(i64, AttemptResult)>>,
}

impl Notifier {
    /// One worker per webhook.
    ///
    /// # Errors
    /// [`NotifyError::Client`] when the HTTP client cannot be built.
    pub fn new(
        webhooks: &[Webhook],
        store: &Store,
        policy: Policy,
        user_agent: &str,
    ) -> Result<(Self, Wakers), NotifyError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(NotifyError::Client)?;
        let workers: Vec<Worker> = webhooks
            .iter()
            .map(|hook| Worker {
                hook: hook.clone(),
                client: client.clone(),
                store: store.clone(),
                policy,
                wake: Arc::new(Notify::new()),
                progress: Arc::default(),
                health: Arc::default(),
                unrecorded: std::sync::Mutex::default(),
            })
            .collect();
        let wakers = Wakers(Arc::new(workers.iter().map(|w| Arc::clone(&w.wake)).collect()));
        Ok((Self { workers }, wakers))
    }

    /// Reports delivery attempts to `progress`, which the watchdog watches, and an outbox that
    /// keeps failing to `health`.
    #[must_use]
    pub fn watched(mut self, progress: &Arc<Progress>, health: &Arc<Health>) -> Self {
        for w in &mut self.workers {
            w.progress = Arc::clone(progress);
            w.health = Arc::clone(health);
        }
        self
    }

    /// Delivers until `done` is cancelled (the pipeline has drained), then makes one last pass
    /// over what is due and returns. Undelivered rows stay in the outbox for the next start.
    pub async fn run(self, done: CancellationToken) {
        let mut tasks = tokio::task::JoinSet::new();
        for worker in self.workers {
            tasks.spawn(worker.run(done.clone()));
        }
        while tasks.join_next().await.is_some() {}
    }
}

impl Worker {
    async fn run(self, done: CancellationToken) {
        // Store errors in a row.
        let mut failures = 0;
        loop {
            if done.is_cancelled() {
                // The pipeline has drained: one last pass, bounded so a slow webhook cannot hold
                // the shutdown; whatever is left stays in the outbox for the next start.
                match tokio::time::timeout(FINAL_PASS, self.deliver_all_due()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => {
                        warn!(webhook = %self.hook.name, error = %crate::types::chain(&err), "outbox read failed");
                    }
                    Err(_) => {
                        warn!(webhook = %self.hook.name, "final delivery pass cut short; the rest waits in the outbox");
                    }
                }
                return;
            }
            let wait = match self.pass().await {
                Ok(wait) => {
                    if failures > 0 {
                        info!(webhook = %self.hook.name, "outbox usable again; delivering");
                        self.health.set_outbox(None);
                    }
                    failures = 0;
                    wait
                }
                Err(err) => {
                    // Any store error backs off: a full disk once made one alert go out 18,427
                    // times in 82 s, its attempt never recorded and its row claimed again at once.
                    failures += 1;
                    if failures == 1 {
                        let error = crate::types::chain(&err);
                        warn!(webhook = %self.hook.name, error = %error, "outbox unusable; backing off");
                        self.health
                            .set_outbox(Some(format!("outbox of webhook {}: {error}", self.hook.name)));
                    }
                    store_backoff(failures)
                }
            };
            if wait.is_zero() {
                continue;
            }
            // A new alert wakes an idle worker, not one backing off.
            let woken = async {
                if failures == 0 { self.wake.notified().await } else { std::future::pending().await }
            };
            tokio::select! {
                () = done.cancelled() => {}
                () = woken => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass over what is due; how long to wait before the next (zero when a full batch went).
    async fn pass(&self) -> Result<Duration, StoreError> {
        self.record_unrecorded().await?;
        if self.deliver_due().await? >= BATCH {
            return Ok(Duration::ZERO);
        }
        let name = self.hook.name.clone();
        let next = self.store.blocking(move |s| s.next_due(&name)).await?;
        Ok(next.map_or(IDLE_RECHECK, |at| {
            (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE_RECHECK)
        }))
    }

    /// Sends everything due now, batch after batch.
    async fn deliver_all_due(&self) -> Result<(), StoreError> {
        self.record_unrecorded().await?;
        while self.deliver_due().await? >= BATCH {}
        Ok(())
    }

    /// Sends the deliveries that were due when the pass began, one at a time in order, at most
    /// `BATCH`; returns how many were tried. Each is leased while its attempt is under way; a
    /// retry scheduled during the pass waits for the next one.
    async fn deliver_due(&self) -> Result<usize, StoreError> {
        let lease = chrono::TimeDelta::from_std(self.policy.timeout * 2 + LEASE_MARGIN)
            .unwrap_or(chrono::TimeDelta::MAX);
        let pass_start = Utc::now();
        let mut count = 0;
        while count < BATCH {
            let name = self.hook.name.clone();
            let claimed = self.store.blocking(move |s| s.claim_delivery(&name, pass_start, lease)).await?;
            let Some(delivery) = claimed else { break };
            count += 1;
            let working = self.progress.working(Stage::Deliver);
            let result = self.attempt(&delivery).await;
            drop(working);
            let outcome = match &result {
                AttemptResult::Delivered => "delivered",
                AttemptResult::Retry { .. } => "retry",
                AttemptResult::Dead { .. } => "dead",
            };
            metrics::counter!("flashpoint_webhook_deliveries_total", "webhook" => self.hook.name.clone(), "result" => outcome)
                .increment(1);
            let id = delivery.id;
            match &result {
                AttemptResult::Delivered => {
                    info!(webhook = %self.hook.name, alert = %delivery.event.subject(), event = %delivery.event.kind(), sequence = delivery.event.sequence(), attempts = delivery.attempts + 1, "alert delivered");
                }
                AttemptResult::Retry { next_at, error, .. } => {
                    warn!(webhook = %self.hook.name, alert = %delivery.event.subject(), event = %delivery.event.kind(), error = %error, retry_at = %crate::store::timestamp(*next_at), "delivery failed; will retry");
                }
                AttemptResult::Dead { error, .. } => {
                    warn!(webhook = %self.hook.name, alert = %delivery.event.subject(), event = %delivery.event.kind(), error = %error, "delivery dead-lettered");
                }
            }
            self.record(id, result).await?;
        }
        Ok(count)
    }

    /// Records the attempt the store failed to record last time, if any.
    async fn record_unrecorded(&self) -> Result<(), StoreError> {
        let unrecorded = self.unrecorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        match unrecorded {
            Some((id, result)) => self.record(id, result).await,
            None => Ok(()),
        }
    }

    /// Records an attempt; when the store fails, keeps it to record first on the next pass.
    async fn record(&self, id: i64, result: AttemptResult) -> Result<(), StoreError> {
        let kept = result.clone();
        let recorded = self.store.blocking(move |s| s.record_attempt(id, &result)).await;
        if recorded.is_err() {
            *self.unrecorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some((id, kept));
        }
        recorded
    }

    async fn attempt(&self, delivery: &DueDelivery) -> AttemptResult {
        let event = &delivery.event;
        let body = self.hook.format.render_outgoing(event);
        debug!(webhook = %self.hook.name, alert = %event.subject(), event = %event.kind(), "posting alert event");
        let timestamp = Utc::now().timestamp();
        let mut request = self
            .client
            .post(self.hook.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", event.webhook_id())
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(secret) = &self.hook.secret {
            request = request.header("webhook-signature", secret.sign(event.webhook_id(), timestamp, &body));
        }
        let response = request.body(body).send().await;
        let outcome = match response {
            Ok(resp) => {
                let status = resp.status();
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| crate::fetch::headers::retry_after(v, Utc::now()));
                let detail = if status.is_client_error() { said(resp).await } else { None };
                Outcome::Status { status: status.as_u16(), retry_after, detail }
            }
            Err(err) if err.is_timeout() => Outcome::Network("timed out".into()),
            // For Slack and Discord the URL is the credential: it never reaches a log or the
            // outbox, whatever the error quotes.
            Err(err) => Outcome::Network(strip_urls(&cause_first(&err.without_url()))),
        };
        let now = Utc::now();
        retry::decide(
            &outcome,
            delivery.attempts + 1,
            now - delivery.queued_at,
            &self.policy,
            now,
            fastrand::f64(),
        )
    }
}

/// Bytes of a 4xx body read for [`said`].
const BODY_READ: usize = 4096;

/// Characters of a 4xx body kept in `last_error`.
const BODY_KEPT: usize = 300;

/// What a receiver said in the body of a 4xx (Slack's `invalid_blocks`, Discord's JSON message):
/// whitespace collapsed, URLs stripped, cut to [`BODY_KEPT`] characters; `None` when empty.
async fn said(mut resp: reqwest::Response) -> Option<String> {
    let mut body = Vec::new();
    while body.len() < BODY_READ {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(BODY_READ);
    let text = String::from_utf8_lossy(&body).split_whitespace().collect::<Vec<_>>().join(" ");
    let text = strip_urls(&text);
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(BODY_KEPT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

/// Short description of a status for the delivery table.
#[must_use]
pub fn describe_status(status: u16) -> String {
    StatusCode::from_u16(status).map_or_else(|_| format!("HTTP {status}"), |s| format!("HTTP {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_back_off() {
        let cases = [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)];
        for (failures, secs) in cases {
            assert_eq!(store_backoff(failures), Duration::from_secs(secs), "{failures}");
        }
    }
}
