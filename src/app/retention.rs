//! The daemon's retention task: an hourly pass (the first a minute after start) that prunes what
//! `storage.retention` says is due, in short batches with pauses between them so the pipeline
//! never waits long for the database, then gives the freed space back and checkpoints the WAL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::store::{Retention, Store, prune_all};
use crate::types::chain;

/// The first pass waits this long after start, so start-up work goes first.
const FIRST: Duration = Duration::from_mins(1);

/// Between passes.
const EVERY: Duration = Duration::from_hours(1);

/// Between two batches of one pass: the pipeline's turn at the database.
const PAUSE: Duration = Duration::from_millis(20);

/// Runs a pass every [`EVERY`] until `stop`; a pass under way stops after its current batch.
pub(super) async fn prune_periodically(store: Store, policy: Retention, stop: CancellationToken) {
    let mut wait = FIRST;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        wait = EVERY;
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopping);
        let watcher = {
            let stop = stop.clone();
            tokio::spawn(async move {
                stop.cancelled().await;
                flag.store(true, Ordering::Relaxed);
            })
        };
        let pass = store
            .blocking(move |s| {
                prune_all(s, &policy, chrono::Utc::now(), || {
                    std::thread::sleep(PAUSE);
                    !stopping.load(Ordering::Relaxed)
                })
            })
            .await;
        watcher.abort();
        match pass {
            Ok(last) if last.pruned.total() > 0 || last.freed > 0 => info!(
                bodies = last.pruned.bodies,
                articles = last.pruned.articles,
                alerts = last.pruned.alerts,
                freed_mb = last.freed / (1 << 20),
                "retention pass pruned the database"
            ),
            Ok(_) => {}
            Err(err) => warn!(error = %chain(&err), "retention pass failed; the next one tries again"),
        }
    }
}
