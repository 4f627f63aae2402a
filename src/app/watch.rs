//! Background checks while the daemon runs: the service check behind `/healthz`, the backlog
//! gauges and `STATUS=`, and the feed-health check that warns when a feed goes quiet.

use std::collections::HashSet;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::warn;

use crate::feed::Feed;
use crate::feed::health::{self, Flag};
use crate::service::{self, Health, Progress};
use crate::store::Store;
use crate::types::chain;

/// How often the database and the stages are checked for `/healthz` and `STATUS=`.
const SERVICE_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A stage holding work without finishing any for this long is unhealthy.
const STALL_LIMIT: std::time::Duration = std::time::Duration::from_mins(2);

/// How often the daemon checks feed health.
const HEALTH_EVERY: std::time::Duration = std::time::Duration::from_mins(15);

/// How often the allocator's free pages are handed back to the system.
const GIVE_BACK_EVERY: std::time::Duration = std::time::Duration::from_mins(1);

/// Every minute: hands the heap's free pages back ([`crate::memory::give_back`]), so the
/// resident size follows what the daemon holds rather than its busiest minute.
pub(super) async fn give_back_memory(stop: CancellationToken) {
    let mut tick = tokio::time::interval(GIVE_BACK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // It walks the heap under the allocator's locks: a blocking thread's work.
        if tokio::task::spawn_blocking(crate::memory::give_back).await.is_err() {
            return;
        }
    }
}

/// Every few seconds: proves the database writable, checks that no stage is stuck, publishes
/// backlog gauges and the systemd `STATUS=` line.
pub(super) async fn service_checks(
    store: Store,
    feeds: Vec<Feed>,
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
        let degraded = feed_gauges(&store, &feeds).await;
        if degraded.is_some() && health.degraded().is_none() {
            warn!(problem = degraded.as_deref().unwrap_or_default(), "degraded");
        }
        health.set_degraded(degraded);
        process_gauges();
        service::status(&format!(
            "watching {} feeds{}; {} items in hand; last alert {}",
            feeds.len(),
            health.degraded().map(|d| format!(" (degraded: {d})")).unwrap_or_default(),
            progress.in_hand(),
            health.last_alert().as_deref().unwrap_or("none yet")
        ));
    }
}

/// Publishes every configured feed's last success (0 for never) and failures in a row, read
/// from the database, so a feed that never worked has a series too; returns why the watch is
/// degraded (every feed failing), if it is.
async fn feed_gauges(store: &Store, feeds: &[Feed]) -> Option<String> {
    let states = store.blocking(Store::feed_states).await.ok()?;
    let gauges = health::gauges(feeds, &states);
    for g in &gauges {
        metrics::gauge!("flashpoint_feed_last_success_timestamp_seconds", "feed" => g.name.clone())
            .set(g.last_success_secs);
        metrics::gauge!("flashpoint_feed_consecutive_failures", "feed" => g.name.clone())
            .set(f64::from(g.failures));
    }
    let degraded = health::degraded(&gauges);
    metrics::gauge!("flashpoint_degraded").set(if degraded.is_some() { 1.0 } else { 0.0 });
    degraded
}

/// Publishes the process's resident memory, CPU time and open files.
fn process_gauges() {
    if let Some(usage) = crate::process::usage() {
        #[expect(clippy::cast_precision_loss, reason = "byte counts of a process fit an f64's 2^52")]
        metrics::gauge!("process_resident_memory_bytes").set(usage.rss_bytes as f64);
        metrics::gauge!("process_cpu_seconds_total").set(usage.cpu.as_secs_f64());
        metrics::gauge!("process_open_fds").set(count_f64(usage.open_fds));
    }
}

#[expect(clippy::cast_precision_loss, reason = "queue lengths are far below 2^52")]
fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Checks feed health now and then and warns once when a feed goes silent or its bodies shrink
/// (failing polls are logged as they happen).
pub(super) async fn feed_health(store: Store, feeds: Vec<Feed>, shutdown: CancellationToken) {
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
