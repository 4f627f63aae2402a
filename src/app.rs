//! Wires the stages together: poller → fetcher → extractor → scorer → store → notifier, tokio
//! tasks joined by bounded channels, and the shutdown order that lets in-flight work finish.
//!
//! Shutdown flows with the data: the poller stops and drops its sender, each stage drains its
//! input and drops its own sender, and once the store stage has written the last article the
//! notifier makes a final pass over the outbox. Nothing is cut off half-way.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::canon::Canonicalizer;
use crate::config::Runtime;
use crate::extract::{self, Article, Extractor};
use crate::feed::health::{self, Flag};
use crate::feed::{NewItem, Pacing, Poller, schedule};
use crate::fetch::pages::{PageOf, PageOutcome, fetch_page};
use crate::fetch::{FetchError, Fetcher, Page};
use crate::notify::{self, Notifier, NotifyError, Wakers, Webhook};
use crate::score::NewAlert;
use crate::score::{LiveScorer, Scorer};
use crate::service::{self, Health, Progress, Stage};
use crate::store::{NewArticle, Store, StoreError};
use crate::types::chain;

/// How often the database and the stages are checked for `/healthz` and `STATUS=`.
const SERVICE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A stage holding work without finishing any for this long is unhealthy.
const STALL_LIMIT: std::time::Duration = std::time::Duration::from_mins(2);

/// How often the daemon checks feed health.
const HEALTH_EVERY: std::time::Duration = std::time::Duration::from_mins(15);

/// Capacity of each channel between stages: enough to keep every stage busy, small enough that
/// a slow stage holds the poller back instead of filling memory.
const CHANNEL: usize = 64;

/// How the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Poll every feed on its interval until shut down.
    Daemon,
    /// Poll every feed once, process and deliver everything, return.
    Once,
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot open storage")]
    Store(#[from] StoreError),
    #[error("cannot start the fetcher")]
    Fetch(#[from] FetchError),
    #[error("cannot start the notifier")]
    Notify(#[from] NotifyError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A page fetched (or given up on) for an item.
#[derive(Debug)]
struct Fetched {
    item: NewItem,
    /// `None` when the item has no link or its page failed for good: the feed text is used.
    page: Option<Page>,
}

/// An item with its extracted article.
#[derive(Debug)]
struct Extracted {
    item: NewItem,
    article: Article,
    /// Where the page's link led after redirects.
    final_url: Option<url::Url>,
}

/// A scored article, ready to store.
#[derive(Debug)]
struct Scored {
    article: NewArticle,
    alert: Option<NewAlert>,
}

/// Runs the pipeline until `shutdown` (daemon) or until every feed was polled once and
/// everything delivered that could be (once).
///
/// # Errors
/// [`AppError`] when the database, the HTTP client, the notifier or the HTTP listener cannot
/// start.
pub async fn run(rt: Runtime, mode: Mode, shutdown: CancellationToken) -> Result<(), AppError> {
    let live = Arc::new(LiveScorer::new(rt.scorer.clone()));
    run_with(rt, mode, shutdown, live).await
}

/// [`run`] with the scorer read from `live` for each article, so a reload can swap the rules
/// while the pipeline runs (`rt.scorer` is not used).
///
/// # Errors
/// [`AppError`] when the database, the HTTP client, the notifier or the HTTP listener cannot
/// start.
pub async fn run_with(
    rt: Runtime,
    mode: Mode,
    shutdown: CancellationToken,
    live: Arc<LiveScorer>,
) -> Result<(), AppError> {
    let store = open_store(&rt)?;
    let metrics = crate::http::install_metrics();
    let health = Arc::new(Health::default());
    let progress = Arc::new(Progress::default());
    let service_stop = CancellationToken::new();
    if let Some(addr) = rt.http_listen {
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|source| AppError::Listen { addr, source })?;
        info!(address = %addr, "serving /metrics and /healthz");
        let (health, stop) = (Arc::clone(&health), service_stop.clone());
        tokio::spawn(async move {
            if let Err(err) = crate::http::serve(listener, metrics.clone(), health, stop).await {
                error!(error = %err, "HTTP listener failed");
            }
        });
    }
    info!(
        feeds = rt.feeds.len(),
        database = %store.path().display(),
        webhooks = rt.webhooks.len(),
        terms = live.current().term_count(),
        threshold = live.current().levels().threshold,
        rules_hash = %live.current().rules_hash(),
        mode = ?mode,
        "flashpoint started"
    );
    let grace = rt.stop_grace;
    let feeds = rt.feeds.clone();
    let drain = spawn_pipeline(rt, mode, &store, &live, &progress, &health, &shutdown)?;
    service::ready();
    tokio::spawn(service::watchdog(Arc::clone(&progress), service_stop.clone().cancelled_owned()));
    tokio::spawn(watch_service(
        store.clone(),
        feeds,
        Arc::clone(&progress),
        Arc::clone(&health),
        service_stop.clone(),
    ));

    let stopping = async {
        shutdown.cancelled().await;
        service::stopping();
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        () = drain => {}
        () = stopping => warn!(grace = ?grace, "work in flight outlived the stop grace; it resumes at the next start"),
    }
    service_stop.cancel();
    info!("flashpoint stopped");
    Ok(())
}

/// Opens the database and frees what an earlier process left leased.
fn open_store(rt: &Runtime) -> Result<Store, AppError> {
    let store = Store::open(&rt.storage_path)?;
    // One process works on a database: whatever a previous one had leased is free again.
    store.release_deliveries()?;
    for waiting in store.pending_webhooks()? {
        if !rt.webhooks.iter().any(|w| w.name == waiting.webhook) {
            warn!(webhook = %waiting.webhook, pending = waiting.pending, "deliveries wait for a webhook that is no longer configured");
        }
    }
    Ok(store)
}

/// Starts every stage; the returned future completes once they have all drained in order.
fn spawn_pipeline(
    rt: Runtime,
    mode: Mode,
    store: &Store,
    live: &Arc<LiveScorer>,
    progress: &Arc<Progress>,
    health: &Arc<Health>,
    shutdown: &CancellationToken,
) -> Result<impl Future<Output = ()> + use<>, AppError> {
    let fetcher = Fetcher::new(&rt.fetch)?;
    let (notifier, wakers) = Notifier::new(&rt.webhooks, store, rt.delivery, &rt.fetch.user_agent)?;
    let notifier = notifier.watched(progress);
    let (items_tx, items_rx) = mpsc::channel(CHANNEL);
    let (pages_tx, pages_rx) = mpsc::channel(CHANNEL);
    let (articles_tx, articles_rx) = mpsc::channel(CHANNEL);
    let (scored_tx, scored_rx) = mpsc::channel(CHANNEL);

    let pacing = Pacing {
        concurrency: rt.fetch.poll_concurrency,
        startup_spread: rt.startup_spread,
        default_interval: rt.default_interval,
        bounds: schedule::Bounds { min: rt.min_interval, max: rt.max_interval },
    };
    let poller = Poller::new(&rt.feeds, fetcher.clone(), store.clone(), rt.canon.clone(), items_tx, pacing)
        .watched(Arc::clone(progress));
    let tracker = TaskTracker::new();
    match mode {
        Mode::Daemon => tracker.spawn(poller.run(shutdown.clone())),
        Mode::Once => tracker.spawn(poller.once(shutdown.clone())),
    };
    let fetch_store = store.clone();
    let fetch =
        StageTasks { stage: Stage::Fetch, limit: rt.fetch.page_concurrency, progress: Arc::clone(progress) };
    tracker.spawn(
        fetch.run(items_rx, pages_tx, move |item| fetch_item(fetcher.clone(), fetch_store.clone(), item)),
    );
    let extractor = Arc::new(rt.extractor);
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let extract = StageTasks { stage: Stage::Extract, limit: cores, progress: Arc::clone(progress) };
    tracker.spawn(extract.run(pages_rx, articles_tx, move |f| extract_page(Arc::clone(&extractor), f)));
    let canon = Arc::new(rt.canon);
    let scoring = StageTasks { stage: Stage::Score, limit: 1, progress: Arc::clone(progress) };
    let live = Arc::clone(live);
    tracker.spawn(scoring.run(articles_rx, scored_tx, move |e| {
        // The rules in force when the article reaches this stage score all of it.
        let (scorer, canon) = (live.current(), Arc::clone(&canon));
        async move { Some(score_article(&scorer, &canon, e)) }
    }));
    let sink = StoreSink {
        store: store.clone(),
        hooks: Arc::new(rt.webhooks),
        wakers,
        progress: Arc::clone(progress),
        health: Arc::clone(health),
    };
    let stored = tracker.spawn(sink.run(scored_rx));
    if mode == Mode::Daemon {
        tracker.spawn(watch_health(store.clone(), rt.feeds.clone(), shutdown.clone()));
    }
    tracker.close();

    let pipeline_done = CancellationToken::new();
    let notifier = tokio::spawn(notifier.run(pipeline_done.clone()));
    Ok(async move {
        if stored.await.is_err() {
            error!("store stage panicked");
        }
        tracker.wait().await;
        pipeline_done.cancel();
        if notifier.await.is_err() {
            error!("notifier panicked");
        }
    })
}

/// Every few seconds: proves the database writable, checks that no stage is stuck, publishes
/// backlog gauges and the systemd `STATUS=` line.
async fn watch_service(
    store: Store,
    feeds: Vec<crate::feed::Feed>,
    progress: Arc<Progress>,
    health: Arc<Health>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(SERVICE_CHECK_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let checked = store
            .blocking(|s| {
                s.probe()?;
                s.backlog()
            })
            .await;
        let problem = match &checked {
            Err(err) => Some(format!("database: {}", chain(err))),
            Ok(_) => progress
                .stalled(STALL_LIMIT)
                .map(|s| format!("{} stage made no progress for {} s", s.stage.as_str(), s.idle.as_secs())),
        };
        if let Ok(backlog) = checked {
            metrics::gauge!("flashpoint_outbox_pending").set(count_f64(backlog.pending));
            metrics::gauge!("flashpoint_outbox_dead").set(count_f64(backlog.dead));
            metrics::gauge!("flashpoint_inbox_items").set(count_f64(backlog.inbox));
        }
        if let Some(p) = &problem {
            warn!(problem = %p, "unhealthy");
        }
        health.set(problem);
        service::status(&format!(
            "watching {} feeds; {} items in hand; last alert {}",
            feeds.len(),
            progress.in_hand(),
            health.last_alert().as_deref().unwrap_or("none yet")
        ));
    }
}

#[expect(clippy::cast_precision_loss, reason = "queue lengths are far below 2^52")]
fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Checks feed health now and then and warns once when a feed goes silent or its bodies shrink
/// (failing polls are logged as they happen).
async fn watch_health(store: Store, feeds: Vec<crate::feed::Feed>, shutdown: CancellationToken) {
    let mut warned: HashSet<(String, Flag)> = HashSet::new();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + HEALTH_EVERY, HEALTH_EVERY);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let feeds = feeds.clone();
        let report = store.blocking(move |s| health::report(s, &feeds, chrono::Utc::now())).await;
        let Ok(report) = report else { continue };
        let mut now_flagged = HashSet::new();
        for feed in report {
            for flag in feed.flags.iter().copied().filter(|f| *f != Flag::Failing) {
                let key = (feed.name.clone(), flag);
                if !warned.contains(&key) {
                    warn!(feed = %feed.name, flag = flag.as_str(), mean_body_chars = ?feed.mean_body_chars, items_24h = feed.items_24h, "feed health: {}", match flag {
                        Flag::Silent => "no new article for far longer than usual",
                        Flag::Shrinking => "extracted bodies shrank; has the site changed its markup?",
                        Flag::Failing => "failing",
                    });
                }
                now_flagged.insert(key);
            }
        }
        warned = now_flagged;
    }
}

/// A pipeline stage: runs its work on every input, up to `limit` at a time, and sends what it
/// returns on. Ends when the input closes and all work in hand is done.
struct StageTasks {
    stage: Stage,
    limit: usize,
    progress: Arc<Progress>,
}

impl StageTasks {
    async fn run<I, O, F, Fut>(self, mut rx: mpsc::Receiver<I>, tx: mpsc::Sender<O>, work: F)
    where
        I: Send + 'static,
        O: Send + 'static,
        F: Fn(I) -> Fut,
        Fut: Future<Output = Option<O>> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(self.limit.max(1)));
        let mut tasks = JoinSet::new();
        while let Some(input) = rx.recv().await {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
            let working = self.progress.working(self.stage);
            let fut = work(input);
            let tx = tx.clone();
            tasks.spawn(async move {
                let _permit = permit;
                let out = fut.await;
                drop(working);
                if let Some(out) = out {
                    // A closed receiver means the next stage is gone; nothing more to do.
                    let _ = tx.send(out).await;
                }
            });
            while let Some(done) = tasks.try_join_next() {
                if let Err(err) = done {
                    error!(stage = self.stage.as_str(), error = %err, "pipeline task panicked");
                }
            }
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(err) = done {
                error!(stage = self.stage.as_str(), error = %err, "pipeline task panicked");
            }
        }
    }
}

/// Fetches an item's page; an item whose page will be tried again later goes no further now.
async fn fetch_item(fetcher: Fetcher, store: Store, item: NewItem) -> Option<Fetched> {
    let Some(link) = item.link.clone() else { return Some(Fetched { item, page: None }) };
    let of = PageOf {
        feed_name: &item.feed.name,
        feed_url: &item.feed.url,
        key: &item.key,
        attempts: item.attempts,
    };
    match fetch_page(&fetcher, &store, &link, of).await {
        PageOutcome::Fetched(page) => Some(Fetched { item, page: Some(page) }),
        PageOutcome::GaveUp => Some(Fetched { item, page: None }),
        PageOutcome::Later => None,
    }
}

/// Decodes and extracts on a blocking thread: parsing is CPU work.
async fn extract_page(extractor: Arc<Extractor>, fetched: Fetched) -> Option<Extracted> {
    let feed = fetched.item.feed.name.clone();
    let result = tokio::task::spawn_blocking(move || {
        let Fetched { item, page } = fetched;
        let feed_text = extract::html_to_text(&item.feed_html);
        let final_url = page.as_ref().map(|p| p.final_url.clone());
        let article = match page {
            Some(page) => {
                let html = extract::decode(&page.body, page.content_type.as_deref());
                extractor.extract(&html, &page.final_url, &feed_text)
            }
            None => Article::from_feed(feed_text),
        };
        Extracted { item, article, final_url }
    })
    .await;
    match result {
        Ok(extracted) => Some(extracted),
        Err(err) => {
            error!(feed = %feed, error = %err, "extraction panicked");
            None
        }
    }
}

/// Other keys the story is known by: where its link redirected, and its page's canonical URL.
fn aliases(
    canon: &Canonicalizer,
    key: &str,
    final_url: Option<&url::Url>,
    canonical: Option<&url::Url>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(page) = final_url {
        out.push(canon.canonical(page).to_string());
        if let Some(c) = canonical.filter(|c| Canonicalizer::usable_canonical(page, c)) {
            out.push(canon.canonical(c).to_string());
        }
    }
    out.retain(|a| a != key);
    out.dedup();
    out
}

fn score_article(scorer: &Scorer, canon: &Canonicalizer, e: Extracted) -> Scored {
    let Extracted { item, article, final_url } = e;
    let aliases = aliases(canon, &item.key, final_url.as_ref(), article.canonical.as_ref());
    let title =
        if item.title.trim().is_empty() { article.title.unwrap_or_default() } else { item.title.clone() };
    let result = scorer.score(&title, &article.body);
    let alert = scorer.alert(&result);
    // The stored address is the canonical one (no tracking parameters), unless only a guid keys it.
    let url = if item.key.starts_with("guid:") {
        item.link.as_ref().map_or_else(String::new, ToString::to_string)
    } else {
        item.key.clone()
    };
    Scored {
        article: NewArticle {
            key: item.key,
            aliases,
            url,
            guid: item.guid,
            feed: item.feed.name.clone(),
            title,
            // The feed's date, else the page's own.
            published_at: item.published.or_else(|| article.published.map(|t| t.with_timezone(&chrono::Utc))),
            body: article.body,
            method: article.method,
            canonical: article.canonical.map(String::from),
            author: article.author,
            language: article.language,
            score: result.score,
            matches: result.matches,
        },
        alert,
    }
}

/// The store stage: writes each article (and its alert and outbox rows) and wakes the notifier
/// for new alerts.
struct StoreSink {
    store: Store,
    hooks: Arc<Vec<Webhook>>,
    wakers: Wakers,
    progress: Arc<Progress>,
    health: Arc<Health>,
}

impl StoreSink {
    async fn run(self, mut rx: mpsc::Receiver<Scored>) {
        while let Some(Scored { article, alert }) = rx.recv().await {
            let working = self.progress.working(Stage::Store);
            let (feed, url, key, method) =
                (article.feed.clone(), article.url.clone(), article.key.clone(), article.method);
            // The outbox rows are decided now, by each webhook's routing, and never change after.
            let targets = alert
                .as_ref()
                .map(|a| notify::route(&self.hooks, a.severity, &article.feed))
                .unwrap_or_default();
            let stored =
                self.store.blocking(move |s| s.insert_article(&article, alert.as_ref(), &targets)).await;
            drop(working);
            match stored {
                Ok(Some(alert)) => {
                    metrics::counter!("flashpoint_articles_processed_total", "method" => method.as_str())
                        .increment(1);
                    metrics::counter!("flashpoint_alerts_total", "severity" => alert.severity.clone())
                        .increment(1);
                    self.health.alert_raised(&alert.created_at);
                    let top = alert.matches.first().map(|m| m.term.as_str()).unwrap_or_default();
                    info!(
                        alert = %alert.id,
                        severity = %alert.severity,
                        score = alert.score,
                        feed = %alert.feed,
                        title = %alert.title,
                        url = %alert.article_url,
                        top_term = %top,
                        "alert raised"
                    );
                    self.wakers.wake_all();
                }
                Ok(None) => {
                    metrics::counter!("flashpoint_articles_processed_total", "method" => method.as_str())
                        .increment(1);
                }
                Err(err) => {
                    error!(feed = %feed, url = %url, key = %key, error = %chain(&err), "cannot store article; it will be retried");
                }
            }
        }
    }
}
