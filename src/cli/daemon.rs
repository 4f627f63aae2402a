//! The commands about the daemon itself: `run` and `once` start the pipeline on a runtime of
//! their own, steered by Unix signals; `check-config` vouches for the config they would run on.

use std::path::Path;

use tracing::error;

use super::table::once_summary;
use super::{Exit, LOG_TARGET};
use crate::app::{self, Mode};
use crate::config::Runtime;
use crate::store::RunSummary;
use crate::types::cause_first;

/// `run` or `once`: the pipeline until SIGTERM or SIGINT (or, once, until every feed was
/// polled), reloading the scoring rules from `config_path` on SIGHUP.
pub fn run(rt: Runtime, mode: Mode, config_path: &Path) -> Exit {
    crate::memory::tune();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(blocking_threads())
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return Exit::Failure;
        }
    };
    let exit = runtime.block_on(async {
        match app::run(rt, config_path, mode, app::unix_signals()).await {
            Ok(None) => Exit::Ok,
            Ok(Some(summary)) => {
                outln!("{}", once_summary(&summary));
                once_exit(&summary)
            }
            Err(err) => {
                error!(target: LOG_TARGET, error = %cause_first(&err), "flashpoint failed");
                Exit::Failure
            }
        }
    });
    // The stop grace is spent: a blocking task still running (a database call waiting on a lock,
    // a page being parsed) must not hold the process, and dropping the runtime would wait for it.
    // What it was doing stays in the inbox or the outbox for the next start.
    runtime.shutdown_timeout(LEFTOVER_GRACE);
    exit
}

/// Threads for blocking work: page extraction (one per core at most), the retention pass, and
/// database calls and name lookups beside them. Not tokio's 512: each thread that allocates can
/// get a malloc arena of its own, and a pool of dozens held a bulk `once` (100 feeds × 20 pages
/// of 180 KB) at 110 MB where four extra threads peak near 88 MB, at the same articles/s.
fn blocking_threads() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get) + 4
}

/// How long blocking tasks still running after the pipeline stopped are waited for.
const LEFTOVER_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How `once` exits: [`Exit::Incomplete`] when every feed it polled failed or a delivery was
/// dead-lettered, so that cron and timers see that nothing (or not everything) worked.
fn once_exit(s: &RunSummary) -> Exit {
    if (s.feeds_polled > 0 && s.feeds_failed == s.feeds_polled) || s.dead > 0 {
        Exit::Incomplete
    } else {
        Exit::Ok
    }
}

/// `check-config` on a config that compiled: its summary. (A bad one never gets here: its
/// problems are printed and the process exits 78 before any command runs.)
pub fn check_config(rt: &Runtime) -> Exit {
    for w in &rt.warnings {
        eprintln!("warning: {w}");
    }
    outln!("{}", config_summary(rt));
    Exit::Ok
}

/// The summary `check-config` prints for a good config.
#[must_use]
pub fn config_summary(rt: &Runtime) -> String {
    let unreviewed = match rt.unreviewed_terms {
        0 => String::new(),
        n => format!(", {n} of them in lexicons no native speaker has reviewed yet"),
    };
    format!(
        "config OK: {} feeds, {} terms{unreviewed} (rules {}), {} webhooks, database {}",
        rt.feeds.len(),
        rt.scorer.term_count(),
        rt.scorer.rules_hash(),
        rt.webhooks.len(),
        rt.storage_path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_exits_incomplete_when_nothing_worked() {
        let run = |feeds_polled, feeds_failed, dead| RunSummary {
            feeds_polled,
            feeds_failed,
            dead,
            ..RunSummary::default()
        };
        let cases = [
            (run(0, 0, 0), Exit::Ok),
            (run(3, 0, 0), Exit::Ok),
            (run(3, 2, 0), Exit::Ok),
            (run(3, 3, 0), Exit::Incomplete),
            (run(1, 1, 0), Exit::Incomplete),
            (run(3, 0, 1), Exit::Incomplete),
        ];
        for (summary, want) in cases {
            assert_eq!(once_exit(&summary), want, "{summary:?}");
        }
    }

    #[test]
    fn the_summary_names_every_count_once() {
        let s = RunSummary {
            feeds_polled: 1,
            feeds_failed: 1,
            articles: 1,
            alerts: 2,
            delivered: 1,
            dead: 1,
            pending: 0,
        };
        assert_eq!(
            once_summary(&s),
            "once: 1 feed polled, 1 failed; 1 article, 2 alerts; deliveries: 1 delivered, 1 dead-lettered, 0 pending"
        );
    }
}
