//! The commands about the daemon itself: `run` and `once` start the pipeline on a runtime of
//! their own, steered by Unix signals; `check-config` vouches for the config they would run on.

use std::path::Path;

use tracing::error;

use super::{Exit, LOG_TARGET};
use crate::app::{self, Mode};
use crate::config::Runtime;
use crate::types::chain;

/// `run` or `once`: the pipeline until SIGTERM or SIGINT (or, once, until every feed was
/// polled), reloading the scoring rules from `config_path` on SIGHUP.
pub fn run(rt: Runtime, mode: Mode, config_path: &Path) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return Exit::Failure;
        }
    };
    runtime.block_on(async {
        match app::run(rt, config_path, mode, app::unix_signals()).await {
            Ok(()) => Exit::Ok,
            Err(err) => {
                error!(target: LOG_TARGET, error = %chain(&err), "flashpoint failed");
                Exit::Failure
            }
        }
    })
}

/// `check-config` on a config that compiled: its summary. (A bad one never gets here: its
/// problems are printed and the process exits 78 before any command runs.)
pub fn check_config(rt: &Runtime) -> Exit {
    println!("{}", config_summary(rt));
    Exit::Ok
}

/// The summary `check-config` prints for a good config.
#[must_use]
pub fn config_summary(rt: &Runtime) -> String {
    format!(
        "config OK: {} feeds, {} terms (rules {}), {} webhooks, database {}",
        rt.feeds.len(),
        rt.scorer.term_count(),
        rt.scorer.rules_hash(),
        rt.webhooks.len(),
        rt.storage_path.display()
    )
}
