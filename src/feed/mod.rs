//! The poller: each feed on its own interval with jitter, conditional GET and parsing. New items
//! go into the store's inbox in the transaction that saves the feed's validators; the poller then
//! hands the inbox's due items to the pipeline, so an item survives crashes and failed pages.

pub mod health;
pub mod parse;
pub mod schedule;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use crate::canon::Canonicalizer;
use crate::fetch::{FeedResponse, FetchError, Fetcher};
use crate::service::{Progress, Stage};
use crate::store::{Failed, InboxItem, Store, StoreError};
use crate::types::{cause_first, chain, redact_url};

/// A feed, ready to poll.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Unique name, shown in logs, alerts and the `feeds` table.
    pub name: String,
    pub url: Url,
    /// Base time between polls, before jitter, backoff and the feed's own hints.
    pub interval: Duration,
    /// The language of its articles (ISO 639-3), when the config names it: it overrides what
    /// the feed declares and what the page says.
    pub language: Option<String>,
}

/// Inbox items handed to the pipeline per store query.
const CLAIM_BATCH: usize = 256;

/// An item on its way to the fetcher.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub feed: Arc<Feed>,
    /// Dedupe key: canonical link, else `guid:<guid>`.
    pub key: String,
    /// The link as the feed gave it, without fragment: what is fetched.
    pub link: Option<Url>,
    pub guid: String,
    pub title: String,
    pub published: Option<DateTime<Utc>>,
    /// The feed's own content or summary, possibly HTML: the last-resort body.
    pub feed_html: String,
    /// Failed page fetches so far.
    pub attempts: u32,
    /// The language (ISO 639-3) the config gives the feed, else the one the feed declared
    /// when last parsed; `None` leaves it to the page.
    pub language: Option<String>,
}

/// Why one poll of one feed failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("fetch failed")]
    Fetch(#[from] FetchError),
    #[error("malformed feed")]
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
    /// Inbox items handed to the pipeline (new ones and retries).
    pub sent: usize,
    pub not_modified: bool,
    /// The longest wait the feed asked for (`<ttl>`, `Cache-Control: max-age`).
    pub hint: Option<Duration>,
}

/// How a poll went, for the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Polled {
    ok: bool,
    /// After a success, the wait the feed asked for; after a failure, its `Retry-After`.
    hint: Option<Duration>,
}

/// How the poller paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// Feeds polled at once.
    pub concurrency: usize,
    /// Window over which first polls are spread.
    pub startup_spread: Duration,
    /// Interval of feeds that set none.
    pub default_interval: Duration,
    /// Bounds on any feed's time between polls.
    pub bounds: schedule::Bounds,
}

/// The feed stage.
#[derive(Debug, Clone)]
pub struct Poller {
    feeds: Vec<Arc<Feed>>,
    fetcher: Fetcher,
    store: Store,
    canon: Arc<Canonicalizer>,
    out: mpsc::Sender<NewItem>,
    /// Interval given to inbox items of feeds no longer configured.
    default_interval: Duration,
    bounds: schedule::Bounds,
    /// Polls in flight and finished, for the watchdog.
    progress: Arc<Progress>,
    concurrency: usize,
    startup_spread: Duration,
    /// The language each feed declared when last parsed, by feed URL. Kept in memory: an item
    /// resumed after a restart, before its feed is parsed again, is left to its page.
    declared: Arc<Mutex<HashMap<String, String>>>,
}

impl Poller {
    #[must_use]
    pub fn new(
        feeds: &[Feed],
        fetcher: Fetcher,
        store: Store,
        canon: Canonicalizer,
        out: mpsc::Sender<NewItem>,
        pacing: Pacing,
    ) -> Self {
        Self {
            feeds: feeds.iter().cloned().map(Arc::new).collect(),
            fetcher,
            store,
            canon: Arc::new(canon),
            out,
            default_interval: pacing.default_interval,
            bounds: pacing.bounds,
            progress: Arc::default(),
            concurrency: pacing.concurrency.max(1),
            startup_spread: pacing.startup_spread,
            declared: Arc::default(),
        }
    }

    /// Reports polls to `progress`, which the watchdog watches.
    #[must_use]
    pub fn watched(mut self, progress: Arc<Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// Hands the pipeline what a previous run left in the inbox (a crash, failed pages).
    async fn recover(&self) {
        let released = self.store.blocking(Store::release_inbox).await;
        match self.dispatch(None).await {
            Ok(0) => {}
            Ok(n) => info!(items = n, "resuming items left from an earlier run"),
            Err(err) => warn!(error = %chain(&err), released = ?released.ok(), "cannot resume inbox items"),
        }
    }

    /// Polls every feed once, `concurrency` at a time, and returns when all are done or
    /// `shutdown` is cancelled.
    pub async fn once(self, shutdown: CancellationToken) {
        self.recover().await;
        let mut tasks = JoinSet::new();
        for feed in self.feeds.clone() {
            while tasks.len() >= self.concurrency {
                tasks.join_next().await;
            }
            if shutdown.is_cancelled() {
                break;
            }
            let this = self.clone();
            tasks.spawn(async move { this.poll_logged(&feed).await });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Polls each feed on its interval until `shutdown`, then waits for polls in progress.
    /// First polls are spread over `startup_spread` so a large config does not fire at once.
    pub async fn run(self, shutdown: CancellationToken) {
        self.recover().await;
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
        let mut tasks: JoinSet<Polled> = JoinSet::new();
        // Which feed each poll task serves, so even a poll that panicked is rescheduled.
        let mut polling: HashMap<tokio::task::Id, usize> = HashMap::new();
        loop {
            let next = queue.peek().map(|Reverse((at, _))| *at);
            let can_start = tasks.len() < self.concurrency;
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(done) = tasks.join_next_with_id() => {
                    let (id, polled) = match done {
                        Ok((id, polled)) => (id, polled),
                        Err(err) => (err.id(), Polled { ok: false, hint: None }),
                    };
                    let Some(i) = polling.remove(&id) else { continue };
                    failures[i] = if polled.ok { 0 } else { failures[i].saturating_add(1) };
                    let delay = schedule::next_delay(
                        self.feeds[i].interval, failures[i], polled.hint, self.bounds, fastrand::f64(),
                    );
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

    /// Polls one feed, logging and recording the outcome.
    async fn poll_logged(&self, feed: &Arc<Feed>) -> Polled {
        let _working = self.progress.working(Stage::Poll);
        let result = self.poll(feed).await;
        let outcome = match &result {
            Ok(report) if report.not_modified => "not_modified",
            Ok(_) => "ok",
            Err(_) => "error",
        };
        metrics::counter!("flashpoint_feed_polls_total", "result" => outcome).increment(1);
        match result {
            Ok(report) => {
                #[expect(clippy::cast_precision_loss, reason = "Unix seconds fit an f64 exactly")]
                let now = chrono::Utc::now().timestamp() as f64;
                metrics::gauge!("flashpoint_feed_last_success_timestamp_seconds", "feed" => feed.name.clone()).set(now);
                debug!(feed = %feed.name, entries = report.entries, new = report.new, sent = report.sent, not_modified = report.not_modified, "feed polled");
                if report.new > 0 {
                    info!(feed = %feed.name, new = report.new, "new items");
                }
                Polled { ok: true, hint: report.hint }
            }
            Err(PollError::Closed) => Polled { ok: false, hint: None },
            Err(err) => {
                let message = cause_first(&err);
                let (store, url, name, msg) =
                    (self.store.clone(), feed.url.to_string(), feed.name.clone(), message.clone());
                let failures = store
                    .blocking(move |s| s.record_feed_error(&url, &name, &msg, Failed::Poll))
                    .await
                    .unwrap_or(0);
                warn!(feed = %feed.name, url = %redact_url(&feed.url), error = %message, consecutive_failures = failures, "feed poll failed; backing off");
                let hint = if let PollError::Fetch(e) = &err { e.retry_after() } else { None };
                Polled { ok: false, hint }
            }
        }
    }

    /// One poll: conditional GET, parse, record new items with the validators, hand on what is due.
    async fn poll(&self, feed: &Arc<Feed>) -> Result<PollReport, PollError> {
        let url = feed.url.to_string();
        let validators = self.store.blocking(move |s| s.validators(&url)).await?;
        let (url, name) = (feed.url.to_string(), feed.name.clone());
        let (entries, new, not_modified, hint) = match self.fetcher.feed(&feed.url, &validators).await? {
            FeedResponse::NotModified { max_age } => {
                self.store.blocking(move |s| s.record_poll(&url, &name, &[], None)).await?;
                (0, 0, true, max_age)
            }
            FeedResponse::Fetched { body, validators, max_age, .. } => {
                let base = feed.url.clone();
                let parsed = tokio::task::spawn_blocking(move || parse::parse(&body, &base))
                    .await
                    .map_err(|_| PollError::Parse(parse::ParseError::Crashed))??;
                let total = parsed.entries.len();
                if let Some(language) = parsed.language {
                    self.declared
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(url.clone(), language);
                }
                let items = inbox_items(&self.canon, feed, parsed.entries);
                let new = self
                    .store
                    .blocking(move |s| s.record_poll(&url, &name, &items, Some(&validators)))
                    .await?;
                (total, new, false, max_age.max(parsed.ttl))
            }
        };
        let sent = self.dispatch(Some(feed.url.as_str())).await?;
        Ok(PollReport { entries, new, sent, not_modified, hint })
    }

    /// Leases the due inbox items of one feed (of every feed for `None`) and sends them on.
    async fn dispatch(&self, feed_url: Option<&str>) -> Result<usize, PollError> {
        let mut sent = 0;
        loop {
            let url = feed_url.map(str::to_string);
            let batch = self.store.blocking(move |s| s.claim_inbox(url.as_deref(), CLAIM_BATCH)).await?;
            let n = batch.len();
            for item in batch {
                let item = self.new_item(item);
                self.out.send(item).await.map_err(|_| PollError::Closed)?;
            }
            sent += n;
            if n < CLAIM_BATCH {
                return Ok(sent);
            }
        }
    }

    fn new_item(&self, item: InboxItem) -> NewItem {
        let feed = self.feeds.iter().find(|f| f.url.as_str() == item.feed_url).map_or_else(
            || {
                Arc::new(Feed {
                    name: item.feed.clone(),
                    url: Url::parse(&item.feed_url)
                        .unwrap_or_else(|_| Url::parse("http://feed.invalid/").expect("static")),
                    interval: self.default_interval,
                    language: None,
                })
            },
            Arc::clone,
        );
        let language = feed.language.clone().or_else(|| {
            self.declared.lock().unwrap_or_else(PoisonError::into_inner).get(&item.feed_url).cloned()
        });
        NewItem {
            feed,
            key: item.key,
            link: item.link.as_deref().and_then(|l| Url::parse(l).ok()),
            guid: item.guid,
            title: item.title,
            published: item.published_at,
            feed_html: item.feed_html,
            attempts: item.attempts,
            language,
        }
    }
}

/// A parsed feed's entries as inbox items, each key once.
fn inbox_items(canon: &Canonicalizer, feed: &Feed, entries: Vec<parse::Entry>) -> Vec<InboxItem> {
    let mut seen = HashSet::new();
    entries
        .into_iter()
        .filter_map(|e| {
            let key = canon.item_key(e.link.as_ref(), &e.guid);
            seen.insert(key.clone()).then(|| InboxItem {
                key,
                feed_url: feed.url.to_string(),
                feed: feed.name.clone(),
                link: e.link.map(|mut l| {
                    l.set_fragment(None);
                    l.to_string()
                }),
                guid: e.guid,
                title: e.title,
                published_at: e.published,
                feed_html: e.html,
                attempts: 0,
            })
        })
        .collect()
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_items_are_keyed_once_and_keep_their_link() {
        let feed = Feed {
            name: "F".into(),
            url: Url::parse("https://f.example/rss").expect("url"),
            interval: Duration::from_mins(5),
            language: None,
        };
        let entry = |link: &str, guid: &str| parse::Entry {
            link: Some(Url::parse(link).expect("url")),
            guid: guid.into(),
            title: "T".into(),
            published: None,
            html: String::new(),
        };
        let items = inbox_items(
            &Canonicalizer::default(),
            &feed,
            vec![
                entry("https://a.example/story.aspx?12345&utm_source=rss#top", "1"),
                entry("https://a.example/story.aspx?12345", "2"),
                entry("https://a.example/other?id=a;b", "3"),
            ],
        );
        assert_eq!(items.len(), 2, "the tracking copy is the same story");
        assert_eq!(items[0].key, "https://a.example/story.aspx?12345");
        assert_eq!(items[0].link.as_deref(), Some("https://a.example/story.aspx?12345&utm_source=rss"));
        assert_eq!(items[1].link.as_deref(), Some("https://a.example/other?id=a;b"));
        assert_eq!(items[1].key, "https://a.example/other?id=a;b");
    }
}
