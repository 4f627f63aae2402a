//! Webhook delivery from the outbox: one worker per webhook, so a slow or dead endpoint never
//! delays another; retries with backoff, `Retry-After`, and dead-lettering ([`retry`]).
//!
//! A delivery is marked done only after a 2xx, so a crash between sending and recording resends
//! it: receivers deduplicate on the alert id, which is the same on every attempt.

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
use crate::service::{Progress, Stage};
use crate::store::{AttemptResult, DueDelivery, Store, StoreError};
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

/// A delivery's lease lasts twice the request timeout plus this.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

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
}

impl Webhook {
    /// Whether an alert of `severity` from `feed` goes to this webhook.
    #[must_use]
    pub fn wants(&self, severity: Severity, feed: &str) -> bool {
        severity >= self.min_severity && (self.feeds.is_empty() || self.feeds.iter().any(|f| f == feed))
    }
}

/// The webhooks an alert of `severity` from `feed` goes to, by name: its outbox rows, decided
/// when the alert is written and never changed after.
#[must_use]
pub fn route(hooks: &[Webhook], severity: Severity, feed: &str) -> Vec<String> {
    hooks.iter().filter(|h| h.wants(severity, feed)).map(|h| h.name.clone()).collect()
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
            })
            .collect();
        let wakers = Wakers(Arc::new(workers.iter().map(|w| Arc::clone(&w.wake)).collect()));
        Ok((Self { workers }, wakers))
    }

    /// Reports delivery attempts to `progress`, which the watchdog watches.
    #[must_use]
    pub fn watched(mut self, progress: &Arc<Progress>) -> Self {
        for w in &mut self.workers {
            w.progress = Arc::clone(progress);
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
            let sent = match self.deliver_due().await {
                Ok(n) => n,
                Err(err) => {
                    warn!(webhook = %self.hook.name, error = %crate::types::chain(&err), "outbox read failed");
                    0
                }
            };
            if sent >= BATCH {
                continue;
            }
            let name = self.hook.name.clone();
            let next = self.store.blocking(move |s| s.next_due(&name)).await.ok().flatten();
            let wait = next.map_or(IDLE_RECHECK, |at| {
                (at - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(IDLE_RECHECK)
            });
            tokio::select! {
                () = done.cancelled() => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Sends everything due now, batch after batch.
    async fn deliver_all_due(&self) -> Result<(), StoreError> {
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
                    info!(webhook = %self.hook.name, alert = %delivery.alert.id, attempts = delivery.attempts + 1, "alert delivered");
                }
                AttemptResult::Retry { next_at, error, .. } => {
                    warn!(webhook = %self.hook.name, alert = %delivery.alert.id, error = %error, retry_at = %crate::store::timestamp(*next_at), "delivery failed; will retry");
                }
                AttemptResult::Dead { error, .. } => {
                    warn!(webhook = %self.hook.name, alert = %delivery.alert.id, error = %error, "delivery dead-lettered");
                }
            }
            self.store.blocking(move |s| s.record_attempt(id, &result)).await?;
        }
        Ok(count)
    }

    async fn attempt(&self, delivery: &DueDelivery) -> AttemptResult {
        let body = self.hook.format.render(&delivery.alert);
        debug!(webhook = %self.hook.name, alert = %delivery.alert.id, "posting alert");
        let timestamp = Utc::now().timestamp();
        let mut request = self
            .client
            .post(self.hook.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.alert.id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(secret) = &self.hook.secret {
            request = request.header("webhook-signature", secret.sign(&delivery.alert.id, timestamp, &body));
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
