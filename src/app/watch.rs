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
