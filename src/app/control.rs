//! Steering a running daemon from outside: [`Control`] carries the stop and reload requests,
//! [`unix_signals`] fills it from SIGTERM, SIGINT and SIGHUP, and the reload itself re-reads
//! the config file and swaps the live scoring rules when the new ones compile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::config;
use crate::score::LiveScorer;
use crate::service;

/// The log target of the signal and reload lines, which the binary wrote before they moved
/// into the library; operators' log searches find them as before.
const LOG_TARGET: &str = "flashpoint";

/// What steers a running daemon: the binary feeds it from Unix signals ([`unix_signals`]),
/// tests from their own hands.
#[derive(Debug)]
pub struct Control {
    /// Cancelled to stop: the poller stops, and work in flight drains within the stop grace.
    pub shutdown: CancellationToken,
    /// One message per reload request. Requests made while a reload runs wait for it; once
    /// every sender is gone the daemon simply takes no more.
    pub reload: mpsc::Receiver<()>,
}

/// A [`Control`] fed by Unix signals: SIGTERM or SIGINT cancels `shutdown`, each SIGHUP asks
/// for a reload. A handler that cannot be installed is logged and the daemon runs without it.
///
/// # Panics
/// Outside a tokio runtime.
#[must_use]
pub fn unix_signals() -> Control {
    let shutdown = CancellationToken::new();
    if let (Ok(term), Ok(int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        tokio::spawn(stop_on_signal(term, int, shutdown.clone()));
    } else {
        error!(target: LOG_TARGET, "cannot install signal handlers");
    }
    // One slot: SIGHUPs sent while a reload is waiting add nothing that reload will not read.
    let (requests, reload) = mpsc::channel(1);
    match signal(SignalKind::hangup()) {
        Ok(hup) => {
            tokio::spawn(forward_hangups(hup, requests));
        }
        Err(err) => {
            error!(target: LOG_TARGET, error = %err, "cannot install the SIGHUP handler; reload needs a restart");
        }
    }
    Control { shutdown, reload }
}

/// Cancels `shutdown` on the first SIGTERM or SIGINT.
async fn stop_on_signal(
    mut term: tokio::signal::unix::Signal,
    mut int: tokio::signal::unix::Signal,
    shutdown: CancellationToken,
) {
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    info!(target: LOG_TARGET, signal = name, "shutting down; finishing work in progress");
    shutdown.cancel();
}

/// Turns each SIGHUP into a reload request, until the daemon stops listening.
async fn forward_hangups(mut hup: tokio::signal::unix::Signal, requests: mpsc::Sender<()>) {
    while hup.recv().await.is_some() {
        if requests.send(()).await.is_err() {
            return;
        }
    }
}

/// Serves reload requests until `stop`, telling systemd when each starts and ends.
pub(super) async fn reload_on_request(
    mut requests: mpsc::Receiver<()>,
    path: PathBuf,
    live: Arc<LiveScorer>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            request = requests.recv() => if request.is_none() { return },
        }
        service::reloading();
        // Reading the file is I/O that may hang (a stalled network mount), and compiling the rules
        // is CPU work: neither belongs on this task, nor may either hold up a stop.
        let job = tokio::task::spawn_blocking({
            let (path, live) = (path.clone(), Arc::clone(&live));
            move || reload(&path, &live)
        });
        tokio::select! {
            () = stop.cancelled() => return,
            _ = job => {}
        }
        // Either way the service runs on, with the new rules or the old.
        service::ready();
    }
}

/// Publishes which rules are in force: `flashpoint_rules_info{rules_hash}` is 1 for `now` and 0
/// for the ones it replaces.
pub(super) fn rules_in_force(before: Option<&str>, now: &str) {
    if let Some(before) = before.filter(|b| *b != now) {
        metrics::gauge!("flashpoint_rules_info", "rules_hash" => before.to_string()).set(0.0);
    }
    metrics::gauge!("flashpoint_rules_info", "rules_hash" => now.to_string()).set(1.0);
}

/// Re-reads and compiles the config at `path`: puts its scoring rules in force when it is good,
/// and keeps the current ones (logging every problem) when it is not. Says which it did.
pub(super) fn reload(path: &Path, live: &LiveScorer) -> bool {
    match config::load_runtime(path) {
        Ok(rt) => {
            let scorer = rt.scorer;
            info!(
                target: LOG_TARGET,
                config = %path.display(),
                rules_hash = %scorer.rules_hash(),
                terms = scorer.term_count(),
                threshold = scorer.levels().threshold,
                "scoring rules reloaded; other settings take effect on restart"
            );
            rules_in_force(Some(live.current().rules_hash()), scorer.rules_hash());
            live.replace(scorer);
            metrics::counter!("flashpoint_config_reload_total", "result" => "ok").increment(1);
            true
        }
        Err(err) => {
            let problems = err.problems();
            for p in &problems {
                error!(target: LOG_TARGET, config = %path.display(), problem = %p, "config problem");
            }
            error!(
                target: LOG_TARGET,
                config = %path.display(),
                problems = problems.len(),
                rules_hash = %live.current().rules_hash(),
                "reload refused; keeping the current rules"
            );
            metrics::counter!("flashpoint_config_reload_total", "result" => "error").increment(1);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped config with one more scoring term, written to `dir`.
    fn config_with_term(dir: &Path, phrase: &str) -> PathBuf {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/flashpoint.toml");
        let mut table: toml::Table =
            std::fs::read_to_string(shipped).expect("shipped config").parse().expect("TOML");
        let scoring = table.get_mut("scoring").and_then(toml::Value::as_table_mut).expect("[scoring]");
        let terms = scoring.get_mut("terms").and_then(toml::Value::as_array_mut).expect("terms");
        terms.push(toml::Value::Table(toml::toml! { phrase = (phrase) category = "threaten" weight = 9.0 }));
        let path = dir.join("flashpoint.toml");
        std::fs::write(&path, toml::to_string(&table).expect("serialize")).expect("write config");
        path
    }

    #[test]
    fn a_good_config_swaps_the_rules_and_a_bad_one_keeps_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = config_with_term(dir.path(), "zorblat");
        let before = config::load_runtime(&path).expect("config").scorer;
        let old_hash = before.rules_hash().to_string();
        let live = LiveScorer::new(before);

        let path = config_with_term(dir.path(), "quuxite");
        assert!(reload(&path, &live));
        let new_hash = live.current().rules_hash().to_string();
        assert_ne!(new_hash, old_hash, "a changed lexicon changes the rules in force");
        assert!(live.current().score("", "The quuxite was seen.").score > 0.0, "the new term scores");

        std::fs::write(&path, "[scoring]\nthreshold = -1.0\n").expect("break config");
        assert!(!reload(&path, &live));
        assert_eq!(live.current().rules_hash(), new_hash, "a bad config keeps the rules in force");
        std::fs::write(dir.path().join("corrupt.model"), b"FLASHREL truncated").expect("write model");
        std::fs::write(&path, "[scoring.relevance]\nmodel = \"corrupt.model\"\n").expect("point at it");
        assert!(!reload(&path, &live));
        assert_eq!(
            live.current().rules_hash(),
            new_hash,
            "a corrupt model keeps the rules and model in force"
        );
        std::fs::remove_file(&path).expect("remove config");
        assert!(!reload(&path, &live));
        assert_eq!(live.current().rules_hash(), new_hash, "a missing config keeps them too");
    }
}
