//! Wires the stages together: poller → fetcher → extractor → scorer → store → notifier, tokio
//! tasks joined by bounded channels, and the shutdown order that lets in-flight work finish.
//! [`run`] is the daemon's one entry point; [`Control`] steers it (stop, reload).
//!
//! Shutdown flows with the data: the poller stops and drops its sender, each stage drains its
//! input and drops its own sender, and once the store stage has written the last article the
//! notifier makes a final pass over the outbox. Nothing is cut off half-way.
//!
//! The work of each stage lives in `stages`, the background checks in `watch`, and the stop and
//! reload plumbing in `control`; this file only joins them.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::config::Runtime;
use crate::feed::{Feed, NewItem, Pacing, Poller, schedule};
use crate::fetch::{FetchError, Fetcher};
use crate::notify::{Notifier, NotifyError, Wakers};
use crate::score::LiveScorer;
use crate::service::{self, Health, Progress, Stage};
use crate::store::{DbLock, RunSummary, Store, StoreError};

mod control;
mod retention;
mod stages;
mod stories;
mod watch;

pub use control::{Control, unix_signals};
use stages::{StageTasks, StoreSink, extract_page, fetch_item, score_article};

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

/// What the stages and the background checks share while the daemon runs.
struct Shared {
    store: Store,
    /// The scoring rules in force; a reload swaps them between two articles.
    live: Arc<LiveScorer>,
    /// Each stage's work in hand, for the watchdog and `/healthz`.
    progress: Arc<Progress>,
    /// What `/healthz` and `STATUS=` report.
    health: Arc<Health>,
}

impl Shared {
    /// A stage doing up to `limit` items at once, its progress watched.
    fn stage(&self, stage: Stage, limit: usize) -> StageTasks {
        StageTasks { stage, limit, progress: Arc::clone(&self.progress) }
    }
}

/// Runs the daemon on the compiled config `rt` until `control.shutdown` is cancelled (daemon)
/// or until every feed was polled once and everything delivered that could be (once). Each
/// `control.reload` request re-reads `config_path` and puts its scoring rules in force if it
/// compiles; other settings take effect on restart.
///
/// Returns, for [`Mode::Once`], what the run did (read back from the database).
///
/// # Errors
/// [`AppError`] when the database, the HTTP client, the notifier or the HTTP listener cannot
/// start.
pub async fn run(
    rt: Runtime,
    config_path: &Path,
    mode: Mode,
    control: Control,
) -> Result<Option<RunSummary>, AppError> {
    let Control { shutdown, reload } = control;
    let started = chrono::Utc::now();
    // Held until this function returns: one daemon per database.
    let _lock = DbLock::acquire(&rt.storage_path)?;
    let store = open_store(&rt)?;
    let metrics = crate::http::install_metrics();
    let live = Arc::new(LiveScorer::new(rt.scorer.clone()));
    let shared = Shared { store, live, progress: Arc::default(), health: Arc::default() };
    let service_stop = CancellationToken::new();
    if let Some(addr) = rt.http_listen {
        let page = page(&rt)?;
        serve_http(addr, metrics, &shared.health, page, &service_stop).await?;
    }
    announce(&rt, &shared, mode);
    control::rules_in_force(None, shared.live.current().rules_hash());
    let (grace, feeds) = (rt.stop_grace, rt.feeds.clone());
    let drain = spawn_pipeline(rt, mode, &shared, &shutdown)?;
    service::ready();
    let services = spawn_services(&shared, feeds, config_path, reload, &service_stop);

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
    services.wait().await;
    info!("flashpoint stopped");
    if mode == Mode::Daemon {
        return Ok(None);
    }
    Ok(Some(shared.store.blocking(move |s| s.run_summary(started)).await?))
}

/// The tasks that watch and steer the running pipeline, all ending at `stop`: the systemd
/// watchdog, the service checks behind `/healthz` and `STATUS=`, reloads, and handing free
/// memory back.
fn spawn_services(
    shared: &Shared,
    feeds: Vec<Feed>,
    config_path: &Path,
    reload: mpsc::Receiver<()>,
    stop: &CancellationToken,
) -> TaskTracker {
    let services = TaskTracker::new();
    let progress = Arc::clone(&shared.progress);
    services.spawn(service::watchdog(Arc::clone(&progress), stop.clone().cancelled_owned()));
    let (store, health) = (shared.store.clone(), Arc::clone(&shared.health));
    services.spawn(watch::service_checks(store, feeds, progress, health, stop.clone()));
    let (path, live) = (config_path.to_path_buf(), Arc::clone(&shared.live));
    services.spawn(control::reload_on_request(reload, path, live, stop.clone()));
    services.spawn(watch::give_back_memory(stop.clone()));
    services.close();
    services
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

/// The page, over a database connection of its own so that page views and pipeline writes
/// never queue behind each other (WAL lets them run at once).
fn page(rt: &Runtime) -> Result<crate::web::Page, AppError> {
    let store = Store::open_existing(&rt.storage_path)?;
    let bounds = crate::feed::schedule::Bounds { min: rt.min_interval, max: rt.max_interval };
    Ok(crate::web::Page::new(store, rt.feeds.clone(), bounds, rt.http_token.clone()))
}

/// Serves `/metrics`, `/healthz` and the page on `addr` until `stop`.
async fn serve_http(
    addr: std::net::SocketAddr,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    health: &Arc<Health>,
    page: crate::web::Page,
    stop: &CancellationToken,
) -> Result<(), AppError> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|source| AppError::Listen { addr, source })?;
    info!(address = %addr, "serving the page, /metrics and /healthz");
    let (health, stop) = (Arc::clone(health), stop.clone());
    tokio::spawn(async move {
        if let Err(err) = crate::http::serve(listener, metrics, health, Some(page), stop).await {
            error!(error = %err, "HTTP listener failed");
        }
    });
    Ok(())
}

/// The start-up line: what is watched, where it goes, and which rules score it; then a warning
/// for each setting that is probably not meant.
fn announce(rt: &Runtime, shared: &Shared, mode: Mode) {
    let scorer = shared.live.current();
    info!(
        feeds = rt.feeds.len(),
        database = %shared.store.path().display(),
        webhooks = rt.webhooks.len(),
        terms = scorer.term_count(),
        threshold = scorer.levels().threshold,
        rules_hash = %scorer.rules_hash(),
        mode = ?mode,
        "flashpoint started"
    );
    for w in &rt.warnings {
        warn!(key = %w.key, problem = %w.message, "check this setting");
    }
}

/// Starts every stage; the returned future completes once they have all drained in order.
fn spawn_pipeline(
    rt: Runtime,
    mode: Mode,
    shared: &Shared,
    shutdown: &CancellationToken,
) -> Result<impl Future<Output = ()> + use<>, AppError> {
    let fetcher = Fetcher::new(&rt.fetch)?;
    let (notifier, wakers) = Notifier::new(&rt.webhooks, &shared.store, rt.delivery, &rt.fetch.user_agent)?;
    let notifier = notifier.watched(&shared.progress, &shared.health);
    let (items_tx, items_rx) = mpsc::channel(CHANNEL);
    let store = shared.store.clone();
    let poller = Poller::new(&rt.feeds, fetcher.clone(), store, rt.canon.clone(), items_tx, pacing(&rt))
        .watched(Arc::clone(&shared.progress));
    let tracker = TaskTracker::new();
    match mode {
        Mode::Daemon => {
            tracker.spawn(poller.run(shutdown.clone()));
            tracker.spawn(watch::feed_health(shared.store.clone(), rt.feeds.clone(), shutdown.clone()));
            tracker.spawn(retention::prune_periodically(
                shared.store.clone(),
                rt.retention,
                shutdown.clone(),
            ));
        }
        Mode::Once => {
            tracker.spawn(poller.once(shutdown.clone()));
        }
    }
    let stored = spawn_stages(&tracker, rt, fetcher, wakers, shared, items_rx);
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

/// How the poller spreads its polls.
fn pacing(rt: &Runtime) -> Pacing {
    Pacing {
        concurrency: rt.fetch.poll_concurrency,
        startup_spread: rt.startup_spread,
        default_interval: rt.default_interval,
        bounds: schedule::Bounds { min: rt.min_interval, max: rt.max_interval },
    }
}

/// Fetch → extract → score → store on `tracker`, each stage fed by the one before through a
/// bounded channel; returns the store stage, which finishes last.
fn spawn_stages(
    tracker: &TaskTracker,
    rt: Runtime,
    fetcher: Fetcher,
    wakers: Wakers,
    shared: &Shared,
    items: mpsc::Receiver<NewItem>,
) -> JoinHandle<()> {
    let (pages_tx, pages_rx) = mpsc::channel(CHANNEL);
    let (articles_tx, articles_rx) = mpsc::channel(CHANNEL);
    let (scored_tx, scored_rx) = mpsc::channel(CHANNEL);

    let store = shared.store.clone();
    let fetch = shared.stage(Stage::Fetch, rt.fetch.page_concurrency);
    tracker.spawn(fetch.run(items, pages_tx, move |item| fetch_item(fetcher.clone(), store.clone(), item)));
    let extractor = Arc::new(rt.extractor);
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let extract = shared.stage(Stage::Extract, cores);
    let store = shared.store.clone();
    tracker.spawn(
        extract.run(pages_rx, articles_tx, move |f| extract_page(Arc::clone(&extractor), store.clone(), f)),
    );
    let (live, canon) = (Arc::clone(&shared.live), Arc::new(rt.canon));
    tracker.spawn(shared.stage(Stage::Score, 1).run(articles_rx, scored_tx, move |e| {
        // The rules in force when the article reaches this stage score all of it.
        let (scorer, canon) = (live.current(), Arc::clone(&canon));
        async move { Some(score_article(&scorer, &canon, e)) }
    }));
    let sink = StoreSink {
        store: shared.store.clone(),
        routing: Arc::new(crate::notify::routing(&rt.webhooks, rt.stories.resolve_after)),
        wakers,
        progress: Arc::clone(&shared.progress),
        health: Arc::clone(&shared.health),
        stories: rt.stories,
    };
    tracker.spawn(sink.run(scored_rx))
}
