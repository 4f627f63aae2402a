//! The poller: each feed on its own interval with jitter, conditional GET, parsing, and dedupe of
//! items against the store and against what is already on its way down the pipeline.

pub mod parse;
pub mod schedule;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use crate::canon::Canonicalizer;
use crate::config::Feed;
use crate::fetch::{FeedResponse, FetchError, Fetcher};
use crate::store::{Store, StoreError};

/// How long an item sent down the pipeline is not sent again while it is not yet stored. A page
/// that failed transiently is retried on the first poll after this.
const IN_FLIGHT_TTL: Duration = Duration::from_mins(15);

/// Sends of one item after which a failing page falls back to the feed's own text.
const PAGE_ATTEMPTS: u32 = 3;

/// An item not seen before, on its way to the fetcher.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub feed: Arc<Feed>,
    /// Dedupe key: canonical link, else `guid:<guid>`.
    pub key: String,
    pub link: Option<Url>,
    pub guid: String,
    pub title: String,
    pub published: Option<DateTime<Utc>>,
    /// The feed's own content or summary, possibly HTML: the last-resort body.
    pub feed_html: String,
    /// This is the last try of the page: on failure, use the feed text instead of waiting.
    pub last_attempt: bool,
}

/// Why one poll of one feed failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("fetch failed")]
    Fetch(#[from] FetchError),
    #[error("cannot parse feed")]
    Parse(#[from] parse::ParseError),
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error("pipeline closed")]
    Closed,
}

/// What one successful poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollReport {
    pub entries: usize,
    pub new: usize,
    pub not_modified: bool,
}

/// Items sent down the pipeline and not known to be stored yet, with when and how often.
#[derive(Debug, Default)]
struct InFlight {
    sent: Mutex<HashMap<String, (Instant, u32)>>,
}

impl InFlight {
    /// Claims `key` for sending; `Some(attempt)` when it may go, `None` while an earlier send
    /// is still recent.
    fn claim(&self, key: &str, now: Instant) -> Option<u32> {
        let mut sent = self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match sent.get_mut(key) {
            Some((at, _)) if now.duration_since(*at) < IN_FLIGHT_TTL => None,
            Some((at, attempts)) => {
                *at = now;
                *attempts += 1;
                Some(*attempts)
            }
            None => {
                sent.insert(key.to_string(), (now, 1));
                Some(1)
            }
        }
    }

    /// Forgets keys that are stored, and claims old enough to matter no more.
    fn forget(&self, stored: impl Iterator<Item = String>, now: Instant) {
        let mut sent = self.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in stored {
            sent.remove(&key);
        }
        sent.retain(|_, (at, _)| now.duration_since(*at) < IN_FLIGHT_TTL * 8);
    }
}

/// The feed stage.
#[derive(Debug, Clone)]
pub struct Poller {
    feeds: Vec<Arc<Feed>>,
    fetcher: Fetcher,
    store: Store,
    canon: Arc<Canonicalizer>,
    out: mpsc::Sender<NewItem>,
    in_flight: Arc<InFlight>,
    concurrency: usize,
    startup_spread: Duration,
}

impl Poller {
    #[must_use]
    pub fn new(
        feeds: &[Feed],
        fetcher: Fetcher,
        store: Store,
        canon: Canonicalizer,
        out: mpsc::Sender<NewItem>,
        concurrency: usize,
        startup_spread: Duration,
    ) -> Self {
        Self {
            feeds: feeds.iter().cloned().map(Arc::new).collect(),
            fetcher,
            store,
            canon: Arc::new(canon),
            out,
            in_flight: Arc::default(),
            concurrency: concurrency.max(1),
            startup_spread,
        }
    }

    /// Polls every feed once, `concurrency` at a time, and returns when all are done.
    pub async fn once(self) {
        let mut tasks = JoinSet::new();
        for feed in self.feeds.clone() {
            while tasks.len() >= self.concurrency {
                tasks.join_next().await;
            }
            let this = self.clone();
            tasks.spawn(async move { this.poll_logged(&feed).await });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Polls each feed on its interval until `shutdown`, then waits for polls in progress.
    /// First polls are spread over `startup_spread` so a large config does not fire at once.
    pub async fn run(self, shutdown: CancellationToken) {
        let start = Instant::now();
        let mut queue: BinaryHeap<Reverse<(Instant, usize)>> = self
            .feeds
            .iter()
            .enumerate()
            .map(|(i, feed)| {
                Reverse((
                    start + schedule::first_delay(self.startup_spread, feed.interval, fastrand::f64()),
                    i,
                ))
            })
            .collect();
        let mut failures = vec![0u32; self.feeds.len()];
        let mut tasks: JoinSet<bool> = JoinSet::new();
        // Which feed each poll task serves, so even a poll that panicked is rescheduled.
        let mut polling: HashMap<tokio::task::Id, usize> = HashMap::new();
        loop {
            let next = queue.peek().map(|Reverse((at, _))| *at);
            let can_start = tasks.len() < self.concurrency;
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(done) = tasks.join_next_with_id() => {
                    let (id, ok) = match done {
                        Ok((id, ok)) => (id, ok),
                        Err(err) => (err.id(), false),
                    };
                    let Some(i) = polling.remove(&id) else { continue };
                    failures[i] = if ok { 0 } else { failures[i].saturating_add(1) };
                    let delay = schedule::next_delay(self.feeds[i].interval, failures[i], fastrand::f64());
                    queue.push(Reverse((Instant::now() + delay, i)));
                }
                () = sleep_until(next), if can_start && next.is_some() => {
                    let Some(Reverse((_, i))) = queue.pop() else { continue };
                    let this = self.clone();
                    let feed = Arc::clone(&self.feeds[i]);
                    let handle = tasks.spawn(async move { this.poll_logged(&feed).await });
                    polling.insert(handle.id(), i);
                }
            }
        }
        debug!(in_progress = tasks.len(), "poller stopping; finishing polls in progress");
        while tasks.join_next().await.is_some() {}
    }

    /// Polls one feed, logging and recording the outcome; true on success.
    async fn poll_logged(&self, feed: &Arc<Feed>) -> bool {
        match self.poll(feed).await {
            Ok(report) => {
                debug!(feed = %feed.name, entries = report.entries, new = report.new, not_modified = report.not_modified, "feed polled");
                let (store, url, name) = (self.store.clone(), feed.url.to_string(), feed.name.clone());
                if let Err(err) = store.blocking(move |s| s.record_poll_ok(&url, &name, None)).await {
                    warn!(feed = %feed.name, error = %chain(&err), "cannot record poll");
                }
                true
            }
            Err(PollError::Closed) => false,
            Err(err) => {
                let message = chain(&err);
                let (store, url, name, msg) =
                    (self.store.clone(), feed.url.to_string(), feed.name.clone(), message.clone());
                let failures =
                    store.blocking(move |s| s.record_feed_error(&url, &name, &msg, true)).await.unwrap_or(0);
                warn!(feed = %feed.name, url = %feed.url, error = %message, consecutive_failures = failures, "feed poll failed; backing off");
                false
            }
        }
    }

    /// One poll: conditional GET, parse, dedupe, send new items on.
    async fn poll(&self, feed: &Arc<Feed>) -> Result<PollReport, PollError> {
        let url = feed.url.to_string();
        let validators = self.store.blocking(move |s| s.validators(&url)).await?;
        let (body, new_validators) = match self.fetcher.feed(&feed.url, &validators).await? {
            FeedResponse::NotModified => return Ok(PollReport { entries: 0, new: 0, not_modified: true }),
            FeedResponse::Fetched { body, validators } => (body, validators),
        };
        let base = feed.url.clone();
        let entries = tokio::task::spawn_blocking(move || parse::parse(&body, &base))
            .await
            .map_err(|_| PollError::Parse(parse::ParseError::Crashed))??;
        let total = entries.len();
        let mut items: Vec<NewItem> = Vec::with_capacity(total);
        for e in entries {
            let key = self.canon.item_key(e.link.as_ref(), &e.guid);
            if items.iter().any(|i| i.key == key) {
                continue;
            }
            items.push(NewItem {
                feed: Arc::clone(feed),
                link: e.link.map(|l| self.canon.canonical(&l)),
                key,
                guid: e.guid,
                title: e.title,
                published: e.published,
                feed_html: e.html,
                last_attempt: false,
            });
        }
        let keys: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
        let known = self.store.blocking(move |s| s.known_keys(&keys)).await?;
        let now = Instant::now();
        self.in_flight.forget(known.iter().cloned(), now);
        let mut new = 0;
        for mut item in items.into_iter().filter(|i| !known.contains(&i.key)) {
            let Some(attempt) = self.in_flight.claim(&item.key, now) else { continue };
            item.last_attempt = attempt >= PAGE_ATTEMPTS;
            self.out.send(item).await.map_err(|_| PollError::Closed)?;
            new += 1;
        }
        // Validators are saved only once every new item is handed on: a crash before this point
        // re-fetches the feed in full instead of skipping what it held.
        let (url, name) = (feed.url.to_string(), feed.name.clone());
        self.store.blocking(move |s| s.record_poll_ok(&url, &name, Some(&new_validators))).await?;
        if new > 0 {
            info!(feed = %feed.name, new, "new items");
        }
        Ok(PollReport { entries: total, new, not_modified: false })
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// An error and its causes on one line: `fetch failed: server answered 503`.
#[must_use]
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_claims_expire() {
        let f = InFlight::default();
        let t0 = Instant::now();
        assert_eq!(f.claim("k", t0), Some(1));
        assert_eq!(f.claim("k", t0 + Duration::from_mins(1)), None);
        assert_eq!(f.claim("k", t0 + IN_FLIGHT_TTL), Some(2));
        f.forget(std::iter::once("k".to_string()), t0 + IN_FLIGHT_TTL);
        assert_eq!(f.claim("k", t0 + IN_FLIGHT_TTL), Some(1), "a stored key starts over");
    }
}
