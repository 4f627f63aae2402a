//! The command line: the global options and one subcommand, as clap reads them. What each
//! command does lives in the file for its group; this file only says what can be typed.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};

use crate::logging;
use crate::relevance::TrainOptions;
use crate::types::Verdict;

/// Watches news feeds for escalation language and raises alerts.
#[derive(Debug, Parser)]
#[command(name = "flashpoint", version, about)]
pub struct Args {
    /// Config file (TOML); else `FLASHPOINT_CONFIG`, else ./config/flashpoint.toml, else
    /// /etc/flashpoint/flashpoint.toml. `FLASHPOINT__SECTION__KEY` variables override its keys.
    #[arg(long, global = true, env = "FLASHPOINT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format: auto (the journal under systemd, else human lines), human, json or journal.
    // Listed in the line above: clap's own list, with a line per value, was repeated in every
    // subcommand's `--help`.
    #[arg(long, global = true, value_enum, default_value = "auto", hide_possible_values = true)]
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
    /// Record the analyst's verdict on an alert: useful, or noise. A second verdict on the same
    /// alert replaces the first.
    Label {
        /// Alert id (`alrt_…`), as `alerts` lists it.
        id: String,
        /// `useful`: alerts like it should be raised; `noise`: they should not.
        #[arg(value_parser = verdict_parser())]
        verdict: Verdict,
        /// Why, in a few words.
        #[arg(long)]
        note: Option<String>,
    },
    /// List the verdicts given with `label`, newest first.
    Labels {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Train a relevance model on labelled `{"id","text","label"}` lines (escalation/conflict or
    /// other) and, with `--with-labels`, the verdicts given with `label`; print cross-validated
    /// precision, recall and F1, then write the model.
    Train(TrainArgs),
    /// List recent stories with their outlets, articles, severity and state (those with an
    /// alert, or all with `--all`). With `--replay FILE`: read `{"id","title","text",
    /// "published","url"}` lines in publication order, cluster them with each article's
    /// `published` as the clock, print `{"id","story"}` lines; no database is touched.
    Stories {
        /// JSONL file to replay instead of listing.
        #[arg(long, value_name = "FILE")]
        replay: Option<PathBuf>,
        /// Stories with an article since this long ago (`24h`, `7d`) or this RFC 3339 time.
        #[arg(long, default_value = "24h", conflicts_with = "replay")]
        since: String,
        /// Stories without an alert too.
        #[arg(long, conflicts_with = "replay")]
        all: bool,
        /// At most this many, latest first.
        #[arg(long, default_value_t = 50, conflicts_with = "replay")]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long, conflicts_with = "replay")]
        json: bool,
    },
    /// Show one story: its articles by time and outlet, and every event sent for its alert.
    Story {
        /// Story id, the same as its alert's (`alrt_…`).
        id: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Escalation trends per actor pair: each pair's recent daily index with a sparkline, and
    /// its spike and level-up signals. `--rebuild` recomputes the index from the stored alerts
    /// and stories. With `--replay FILE`: read `{"date","source","target","rung","outlets"}`
    /// lines (one per story), run the same index and detector without a database, and print
    /// `{"date","source","target","kind","observed","expected"}` lines.
    Trends {
        /// Only this ordered pair, as `SOURCE>TARGET` ("Pakistan>Afghanistan").
        #[arg(long, value_name = "SOURCE>TARGET")]
        pair: Option<String>,
        /// Only this actor's index alone: its stories with any other, as source or target.
        #[arg(long, value_name = "NAME", conflicts_with = "pair")]
        actor: Option<String>,
        /// Days shown, ending today (UTC).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// One JSON object per pair per line.
        #[arg(long)]
        json: bool,
        /// Recompute the index from the stored alerts and stories.
        #[arg(long, conflicts_with_all = ["pair", "actor", "json"])]
        rebuild: bool,
        /// JSONL file of stories to replay; no database is touched.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["pair", "actor", "json", "rebuild"])]
        replay: Option<PathBuf>,
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

/// What `train` reads, where it writes, and how it measures.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Labelled JSONL files; may be left out with `--with-labels`.
    #[arg(required_unless_present = "with_labels")]
    pub files: Vec<PathBuf>,
    /// Write the model here.
    #[arg(long, value_name = "MODEL")]
    pub out: PathBuf,
    /// Learn from the verdicts in the configured database too: a useful alert's article as
    /// conflict, a noise alert's as other. The figures are printed without and with them.
    #[arg(long)]
    pub with_labels: bool,
    /// Then copy the model to `[scoring.relevance] model`, or to relevance.model beside the
    /// config when that names none.
    #[arg(long)]
    pub install: bool,
    /// Cross-validation folds.
    #[arg(long, default_value_t = u16::try_from(TrainOptions::default().folds).unwrap_or(5),
          value_parser = clap::value_parser!(u16).range(2..))]
    pub folds: u16,
}

/// Reads `useful` or `noise`, listing both in `--help` and in the error for anything else.
fn verdict_parser() -> impl TypedValueParser<Value = Verdict> {
    PossibleValuesParser::new(Verdict::ALL.iter().map(|v| v.as_str()))
        .map(|text| Verdict::parse(&text).expect("a possible value is a verdict"))
}
