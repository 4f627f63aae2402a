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
use crate::feed::{NewItem, Pacing, Poller, chain, schedule};
use crate::fetch::{FetchError, Fetcher, Page};
use crate::notify::{Notifier, NotifyError, Wakers, Webhook};
use crate::score::{LiveScorer, Scorer};
use crate::store::{NewAlert, NewArticle, Store, StoreError};

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
/// [`AppError`] when the database, the HTTP client or the notifier cannot start.
pub async fn run(rt: Runtime, mode: Mode, shutdown: CancellationToken) -> Result<(), AppError> {
    let live = Arc::new(LiveScorer::new(rt.scorer.clone()));
    run_with(rt, mode, shutdown, live).await
}

/// [`run`] with the scorer read from `live` for each article, so a reload can swap the rules
/// while the pipeline runs (`rt.scorer` is not used).
///
/// # Errors
/// [`AppError`] when the database, the HTTP client or the notifier cannot start.
pub async fn run_with(
    rt: Runtime,
    mode: Mode,
    shutdown: CancellationToken,
    live: Arc<LiveScorer>,
) -> Result<(), AppError> {
    let store = Store::open(&rt.storage_path)?;
    // One process works on a database: whatever a previous one had leased is free again.
    store.release_deliveries()?;
    for (name, pending) in store.pending_webhooks()? {
        if !rt.webhooks.iter().any(|w| w.name == name) {
            warn!(webhook = %name, pending, "deliveries wait for a webhook that is no longer configured");
        }
    }
    let fetcher = Fetcher::new(&rt.fetch)?;
    let (notifier, wakers) = Notifier::new(&rt.webhooks, &store, rt.delivery, &rt.fetch.user_agent)?;
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

    let (items_tx, items_rx) = mpsc::channel(CHANNEL);
    let (pages_tx, pages_rx) = mpsc::channel(CHANNEL);
    let (articles_tx, articles_rx) = mpsc::channel(CHANNEL);
    let (scored_tx, scored_rx) = mpsc::channel(CHANNEL);

    let poller = Poller::new(
        &rt.feeds,
        fetcher.clone(),
        store.clone(),
        rt.canon.clone(),
        items_tx,
        Pacing {
            concurrency: rt.fetch.poll_concurrency,
            startup_spread: rt.startup_spread,
            default_interval: rt.default_interval,
            bounds: schedule::Bounds { min: rt.min_interval, max: rt.max_interval },
        },
    );
    let tracker = TaskTracker::new();
    match mode {
        Mode::Daemon => tracker.spawn(poller.run(shutdown.clone())),
        Mode::Once => tracker.spawn(poller.once(shutdown.clone())),
    };
    let page_limit = rt.fetch.page_concurrency;
    let fetch_store = store.clone();
    tracker.spawn(stage(items_rx, pages_tx, page_limit, move |item| {
        fetch_page(fetcher.clone(), fetch_store.clone(), item)
    }));
    let extractor = Arc::new(rt.extractor);
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tracker.spawn(stage(pages_rx, articles_tx, cores, move |f| extract_page(Arc::clone(&extractor), f)));
    let canon = Arc::new(rt.canon);
    tracker.spawn(stage(articles_rx, scored_tx, 1, move |e| {
        // The rules in force when the article reaches this stage score all of it.
        let (scorer, canon) = (live.current(), Arc::clone(&canon));
        async move { Some(score_article(&scorer, &canon, e)) }
    }));
    let hooks = Arc::new(rt.webhooks);
    let stored = tracker.spawn(store_articles(scored_rx, store.clone(), hooks, wakers));
    if mode == Mode::Daemon {
        tracker.spawn(watch_health(store.clone(), rt.feeds.clone(), shutdown.clone()));
    }
    tracker.close();

    let pipeline_done = CancellationToken::new();
    let notifier = tokio::spawn(notifier.run(pipeline_done.clone()));
    if stored.await.is_err() {
        error!("store stage panicked");
    }
    tracker.wait().await;
    pipeline_done.cancel();
    if notifier.await.is_err() {
        error!("notifier panicked");
    }
    info!("flashpoint stopped");
    Ok(())
}

/// Checks feed health now and then and warns once when a feed goes silent or its bodies shrink
/// (failing polls are logged as they happen).
async fn watch_health(store: Store, feeds: Vec<crate::config::Feed>, shutdown: CancellationToken) {
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

/// Runs `work` on every input, up to `limit` at a time, and sends what it returns on. Ends when
/// the input closes and all work in hand is done.
async fn stage<I, O, F, Fut>(mut rx: mpsc::Receiver<I>, tx: mpsc::Sender<O>, limit: usize, work: F)
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Option<O>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = JoinSet::new();
    while let Some(input) = rx.recv().await {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
        let fut = work(input);
        let tx = tx.clone();
        tasks.spawn(async move {
            let _permit = permit;
            if let Some(out) = fut.await {
                // A closed receiver means the next stage is gone; nothing more to do.
                let _ = tx.send(out).await;
            }
        });
        while let Some(done) = tasks.try_join_next() {
            if let Err(err) = done {
                error!(error = %err, "pipeline task panicked");
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(err) = done {
            error!(error = %err, "pipeline task panicked");
        }
    }
}

/// Fetches an item's page. A transient failure drops the item, so a later poll retries it;
/// a permanent one (or the last try) goes on with the feed's own text.
async fn fetch_page(fetcher: Fetcher, store: Store, item: NewItem) -> Option<Fetched> {
    let Some(link) = item.link.clone() else { return Some(Fetched { item, page: None }) };
    match fetcher.page(&link).await {
        Ok(page) => Some(Fetched { item, page: Some(page) }),
        Err(err) => {
            let message = chain(&err);
            let retry = err.is_transient() && !item.last_attempt();
            warn!(feed = %item.feed.name, url = %link, error = %message, retry, "page fetch failed");
            let (url, name, key) = (item.feed.url.to_string(), item.feed.name.clone(), item.key.clone());
            let error = format!("page {link}: {message}");
            let next_at = chrono::Utc::now()
                + chrono::TimeDelta::from_std(schedule::page_retry_delay(item.attempts + 1))
                    .unwrap_or_default();
            let recorded = store
                .blocking(move |s| {
                    s.record_feed_error(&url, &name, &error, false)?;
                    if retry { s.inbox_failed(&key, &error, next_at) } else { Ok(()) }
                })
                .await;
            if let Err(e) = recorded {
                warn!(error = %chain(&e), "cannot record page error");
            }
            if retry { None } else { Some(Fetched { item, page: None }) }
        }
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
    let alert = scorer.severity(result.score).map(|level| NewAlert {
        severity: level,
        threshold: scorer.levels().threshold,
        actors: result.actors.clone(),
        rules_hash: scorer.rules_hash().to_string(),
    });
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
            method: article.method.as_str().to_string(),
            canonical: article.canonical.map(String::from),
            author: article.author,
            language: article.language,
            score: result.score,
            matches: result.matches,
        },
        alert,
    }
}

/// Writes each article (and its alert and outbox rows) and wakes the notifier for new alerts.
async fn store_articles(
    mut rx: mpsc::Receiver<Scored>,
    store: Store,
    hooks: Arc<Vec<Webhook>>,
    wakers: Wakers,
) {
    while let Some(Scored { article, alert }) = rx.recv().await {
        let (feed, url, key) = (article.feed.clone(), article.url.clone(), article.key.clone());
        // The outbox rows are decided now, by each webhook's routing, and never change after.
        let targets: Vec<String> = alert
            .as_ref()
            .map(|a| {
                hooks.iter().filter(|h| h.wants(a.severity, &article.feed)).map(|h| h.name.clone()).collect()
            })
            .unwrap_or_default();
        match store.blocking(move |s| s.insert_article(&article, alert.as_ref(), &targets)).await {
            Ok(Some(alert)) => {
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
                wakers.wake_all();
            }
            Ok(None) => {}
            Err(err) => {
                error!(feed = %feed, url = %url, key = %key, error = %chain(&err), "cannot store article; it will be retried");
            }
        }
    }
}
