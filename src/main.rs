//! The `flashpoint` binary: parse the command line, set up logging, load the config, call the
//! library, and map failures to exit codes (78 for a bad config).

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use flashpoint::app::{self, Mode};
use flashpoint::config::{self, EXIT_BAD_CONFIG};
use flashpoint::score::LiveScorer;
use flashpoint::store::{AlertFilter, Store};
use flashpoint::{commands, logging};

/// Watches news feeds for escalation language and raises alerts.
#[derive(Debug, Parser)]
#[command(name = "flashpoint", version, about)]
struct Cli {
    /// Config file (TOML); `FLASHPOINT__SECTION__KEY` environment variables override its keys.
    #[arg(long, global = true, default_value = "config/flashpoint.toml", env = "FLASHPOINT_CONFIG")]
    config: PathBuf,
    /// Log format: the journal under systemd, else human lines; or json.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    log_format: logging::Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = config::load_runtime(&cli.config);
    logging::init(cli.log_format, loaded.as_ref().map_or("info", |rt| rt.log_level.as_str()));

    let rt = match loaded {
        Ok(rt) => rt,
        Err(err) => {
            for p in err.problems() {
                eprintln!("{}: {p}", cli.config.display());
            }
            if !matches!(cli.command, Command::CheckConfig) {
                error!(config = %cli.config.display(), problems = err.problems().len(), "bad config; not starting");
            }
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };

    match cli.command {
        Command::CheckConfig => {
            println!("{}", commands::config_summary(&rt));
            ExitCode::SUCCESS
        }
        Command::Score { jsonl: Some(file), .. } => {
            jsonl(&file, |text| commands::score_jsonl(&rt.scorer, text))
        }
        Command::Score { file, url, json, .. } => {
            score(&rt, &file.unwrap_or_else(|| PathBuf::from("-")), url.as_ref(), json)
        }
        Command::Eval { file } => jsonl(&file, |text| commands::eval(&rt.scorer, text)),
        Command::Rescore { since, apply } => {
            let since = match commands::parse_since(&since, chrono::Utc::now()) {
                Ok(since) => since,
                Err(msg) => {
                    eprintln!("--since: {msg}");
                    return ExitCode::from(2);
                }
            };
            with_store(&rt, |store| rescore(&rt, store, since, apply))
        }
        Command::Extract { files, url, json, out_dir } => {
            extract(&rt, &files, url.as_ref(), json, out_dir.as_deref())
        }
        Command::Alerts { since, severity, feed, limit, json } => {
            let since =
                match since.as_deref().map(|s| commands::parse_since(s, chrono::Utc::now())).transpose() {
                    Ok(since) => since,
                    Err(msg) => {
                        eprintln!("--since: {msg}");
                        return ExitCode::from(2);
                    }
                };
            let min_severity = severity.as_deref().and_then(flashpoint::types::Severity::parse);
            let filter = AlertFilter { since, min_severity, feed, limit };
            with_store(&rt, |store| print_rows(&store.alerts(&filter)?, json, commands::alerts_table))
        }
        Command::Deliveries { all, limit, json } => with_store(&rt, |store| {
            let states: &[&str] = if all { &["pending", "dead", "delivered"] } else { &["pending", "dead"] };
            print_rows(&store.deliveries(states, limit)?, json, commands::deliveries_table)
        }),
        Command::Redeliver { id, dead: _ } => with_store(&rt, |store| {
            let n = match &id {
                Some(id) => store.redeliver_alert(id)?,
                None => store.redeliver_dead()?,
            };
            match id {
                Some(id) if n == 0 => anyhow::bail!("no deliveries for alert {id}"),
                _ => println!("{n} deliveries queued; a running daemon sends them within 30 s"),
            }
            Ok(())
        }),
        Command::Feeds { json } => with_store(&rt, |store| {
            let report = flashpoint::feed::health::report(store, &rt.feeds, chrono::Utc::now())?;
            print_rows(&report, json, commands::feeds_table)
        }),
        Command::FeedTest { target, fetch_page } => feed_test(&rt, &target, fetch_page),
        Command::Status { json } => with_store(&rt, |store| {
            let status = commands::status(&rt, store, chrono::Utc::now())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", commands::status_report(&status));
            }
            Ok(())
        }),
        Command::Run => daemon(rt, Mode::Daemon, &cli.config),
        Command::Once => daemon(rt, Mode::Once, &cli.config),
    }
}

/// JSON lines with `--json`, else the table.
fn print_rows<T: serde::Serialize>(rows: &[T], json: bool, table: fn(&[T]) -> String) -> anyhow::Result<()> {
    if json {
        for row in rows {
            println!("{}", serde_json::to_string(row)?);
        }
    } else {
        print!("{}", table(rows));
    }
    Ok(())
}

fn score(rt: &config::Runtime, file: &std::path::Path, url: Option<&url::Url>, json: bool) -> ExitCode {
    let mut input = String::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut input).map(|_| ())
    } else {
        std::fs::read(file).map(|bytes| input = flashpoint::extract::decode(&bytes, None))
    };
    if let Err(err) = read {
        eprintln!("cannot read {}: {err}", file.display());
        return ExitCode::FAILURE;
    }
    let (_, _, scored) = commands::score_input(rt, &input, url);
    if json {
        println!("{}", serde_json::to_string_pretty(&scored).expect("scores serialize"));
    } else {
        print!("{}", commands::score_report(&rt.scorer, &scored));
    }
    ExitCode::SUCCESS
}

/// Reads a JSONL file and prints what `run` makes of it.
fn jsonl(file: &std::path::Path, run: impl FnOnce(&str) -> Result<String, commands::JsonlError>) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("cannot read {}: {err}", file.display());
            return ExitCode::FAILURE;
        }
    };
    match run(&text) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{}: {}", file.display(), flashpoint::types::chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// `rescore`, with a progress bar on a terminal.
fn rescore(
    rt: &config::Runtime,
    store: &Store,
    since: chrono::DateTime<chrono::Utc>,
    apply: bool,
) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let tick = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = commands::rescore(store, &rt.scorer, &rt.webhooks, since, apply, &tick)?;
    bar.finish_and_clear();
    print!("{}", commands::rescore_report(&report, apply));
    Ok(())
}

fn feed_test(rt: &config::Runtime, target: &str, fetch_page: bool) -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        eprintln!("cannot start the async runtime");
        return ExitCode::FAILURE;
    };
    match runtime.block_on(commands::feed_test(rt, target, fetch_page)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{target}: {}", flashpoint::types::chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// Opens the configured database for an operator command.
fn with_store(rt: &config::Runtime, f: impl FnOnce(&Store) -> anyhow::Result<()>) -> ExitCode {
    let result = Store::open(&rt.storage_path).map_err(anyhow::Error::from).and_then(|store| f(&store));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

fn extract(
    rt: &config::Runtime,
    files: &[PathBuf],
    url: Option<&url::Url>,
    json: bool,
    out_dir: Option<&std::path::Path>,
) -> ExitCode {
    if let Some(dir) = out_dir {
        return match commands::extract_many(&rt.extractor, files, dir) {
            Ok(failures) if failures.is_empty() => ExitCode::SUCCESS,
            Ok(failures) => {
                for (path, err) in failures {
                    eprintln!("{}: {err}", path.display());
                }
                ExitCode::FAILURE
            }
            Err(err) => {
                eprintln!("cannot write to {}: {err}", dir.display());
                ExitCode::FAILURE
            }
        };
    }
    let [file] = files else {
        eprintln!("give one file, or --out-dir DIR for several");
        return ExitCode::from(2);
    };
    match commands::extract_file(&rt.extractor, file, url) {
        Ok(article) if json => {
            println!("{}", serde_json::to_string_pretty(&article).expect("article serializes"));
            ExitCode::SUCCESS
        }
        Ok(article) => {
            println!("{}", article.body);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("cannot read {}: {err}", file.display());
            ExitCode::FAILURE
        }
    }
}

fn daemon(rt: config::Runtime, mode: Mode, config_path: &std::path::Path) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(err) => {
            eprintln!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(wait_for_signal(shutdown.clone()));
        let live = Arc::new(LiveScorer::new(rt.scorer.clone()));
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(hup) => {
                tokio::spawn(reload_on_hangup(hup, config_path.to_path_buf(), Arc::clone(&live)));
            }
            Err(err) => error!(error = %err, "cannot install the SIGHUP handler; reload needs a restart"),
        }
        match app::run_with(rt, mode, shutdown, live).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                error!(error = %flashpoint::types::chain(&err), "flashpoint failed");
                ExitCode::FAILURE
            }
        }
    })
}

/// On each SIGHUP, re-reads and compiles the config; swaps in the new scoring rules when it is
/// good, and keeps the old ones (logging every problem) when it is not.
async fn reload_on_hangup(mut hup: tokio::signal::unix::Signal, path: PathBuf, live: Arc<LiveScorer>) {
    while hup.recv().await.is_some() {
        flashpoint::service::reloading();
        // Reading a small file and compiling the rules takes milliseconds: fine on this task.
        match config::load_runtime(&path) {
            Ok(rt) => {
                let scorer = rt.scorer;
                info!(
                    config = %path.display(),
                    rules_hash = %scorer.rules_hash(),
                    terms = scorer.term_count(),
                    threshold = scorer.levels().threshold,
                    "scoring rules reloaded; other settings take effect on restart"
                );
                live.replace(scorer);
            }
            Err(err) => {
                let problems = err.problems();
                for p in &problems {
                    error!(config = %path.display(), problem = %p, "config problem");
                }
                error!(
                    config = %path.display(),
                    problems = problems.len(),
                    rules_hash = %live.current().rules_hash(),
                    "reload refused; keeping the current rules"
                );
            }
        }
        // Either way the service runs on, with the new rules or the old.
        flashpoint::service::ready();
    }
}

/// Cancels `shutdown` on SIGTERM or SIGINT.
async fn wait_for_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        error!("cannot install signal handlers");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    info!(signal = name, "shutting down; finishing work in progress");
    shutdown.cancel();
}
