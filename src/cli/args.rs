//! The command line: the global options and one subcommand, as clap reads them. What each
//! command does lives in the file for its group; this file only says what can be typed.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::logging;

/// Watches news feeds for escalation language and raises alerts.
#[derive(Debug, Parser)]
#[command(name = "flashpoint", version, about)]
pub struct Args {
    /// Config file (TOML); `FLASHPOINT__SECTION__KEY` environment variables override its keys.
    #[arg(long, global = true, default_value = "config/flashpoint.toml", env = "FLASHPOINT_CONFIG")]
    pub config: PathBuf,
    /// Log format: the journal under systemd, else human lines; or json.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub log_format: logging::Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every feed on its interval until SIGTERM or SIGINT.
    Run,
    /// Poll every feed once, process and deliver everything, and exit.
    Once,
    /// Validate the config, print every problem with its key; exit 78 when it is bad.
    CheckConfig,
    /// Score one article (text or HTML) from FILE, or standard input for `-`.
    Score {
        /// Article file, or `-` for standard input.
        #[arg(required_unless_present = "jsonl")]
        file: Option<PathBuf>,
        /// The page's URL, so the site rule for its host applies to HTML input.
        #[arg(long)]
        url: Option<url::Url>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Score every `{"id","text"}` line of FILE; print `{"id","score","alert","severity","matches"}` lines.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["file", "url", "json"])]
        jsonl: Option<PathBuf>,
    },
    /// Measure the scoring rules on labelled `{"id","text","label"}` lines (escalation/other):
    /// precision, recall, F1, then every false positive and negative with its explanation.
    Eval {
        /// Labelled JSONL file.
        file: PathBuf,
    },
    /// Re-score stored articles with the current rules and list the alerts gained and lost.
    Rescore {
        /// Articles fetched since this long ago (`24h`, `7d`) or this RFC 3339 time.
        #[arg(long, default_value = "7d")]
        since: String,
        /// Raise the gained alerts (and queue their webhooks); lost ones are only listed.
        #[arg(long)]
        apply: bool,
    },
    /// List recent alerts.
    Alerts {
        /// Only alerts since this long ago (`24h`, `7d`) or this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// Only alerts of at least this severity.
        #[arg(long, value_parser = ["low", "medium", "high"])]
        severity: Option<String>,
        /// Only alerts from this feed (its configured name).
        #[arg(long)]
        feed: Option<String>,
        /// At most this many alerts, newest first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List webhook deliveries that are pending or dead-lettered, with their last error.
    Deliveries {
        /// Include delivered ones too.
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Queue an alert's deliveries again (any state), or every dead-lettered delivery.
    Redeliver {
        /// Alert id (`alrt_…`).
        #[arg(required_unless_present = "dead", conflicts_with = "dead")]
        id: Option<String>,
        /// Queue every dead-lettered delivery again.
        #[arg(long)]
        dead: bool,
    },
    /// The service at a glance: feeds, articles and alerts in 24 h, deliveries, inbox.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show each feed's health: last success, failures, items in 24 h, mean body length, flags.
    Feeds {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Parse one feed (URL or file) and print what the daemon would see of it.
    FeedTest {
        /// Feed URL, or a file holding a feed.
        target: String,
        /// For a file, fetch its first item's page too (a URL's always is).
        #[arg(long)]
        fetch_page: bool,
    },
    /// Extract the article text of saved HTML pages.
    Extract {
        /// HTML files; with `--out-dir`, any number.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The page's URL, so the site rule for its host applies (one file only).
        #[arg(long)]
        url: Option<url::Url>,
        /// Print the text with the metadata and the method used, as JSON.
        #[arg(long)]
        json: bool,
        /// Write DIR/<file stem>.txt for each file, using every core.
        #[allow(rustdoc::invalid_html_tags, reason = "this text is `--help`, not HTML")]
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}
