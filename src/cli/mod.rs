//! The command line behind the `flashpoint` binary: load the config, set up logging, run one
//! command, and say how the process should exit. Each command group has its own file; each
//! returns what it prints where it can, so tests call the same code the binary does.
//!
//! `args` says what can be typed ([`Args`]); `daemon` starts the pipeline ([`crate::app::run`]);
//! `scoring`, `ops` and `pages` are the one-shot commands; `labels` records and lists the
//! analyst's verdicts on alerts and `train` learns a relevance model from them; `table` lays out
//! their text.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use tracing::error;
use url::Url;

use crate::app::Mode;
use crate::config::{self, ConfigError, Runtime};
use crate::logging;
use crate::store::Store;

/// `println!` for the commands' output: a reader that went away (`flashpoint alerts --json |
/// head -1`) ends the process quietly instead of in a panic.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for the commands' output; see [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(format_args!($($arg)*)) };
}

mod args;
mod daemon;
mod labels;
mod ops;
mod pages;
mod scoring;
mod stories;
mod table;
mod train;
mod trends;

pub use args::{Args, Command, TrainArgs};
pub use daemon::config_summary;

/// The log target of the lines the binary itself writes, so they read as they did when the CLI
/// lived in `main.rs` (`ERROR flashpoint: bad config; not starting`).
const LOG_TARGET: &str = "flashpoint";

/// The page address assumed when none is given: no site rule matches it.
static NO_URL: std::sync::LazyLock<Url> =
    std::sync::LazyLock::new(|| Url::parse("http://article.invalid/").expect("static URL"));

/// How the process ends. Scripts and systemd read these, so each outcome keeps its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The command did what was asked.
    Ok = 0,
    /// It could not: a file unreadable, the database unavailable, the daemon failed.
    Failure = 1,
    /// The arguments make no sense together (clap's own usage errors exit 2 as well).
    Usage = 2,
    /// `once` ran, but nothing worked: every feed failed, or a delivery was dead-lettered.
    Incomplete = 3,
    /// The config is bad (`EX_CONFIG` from sysexits.h): systemd units stop restarting on it.
    BadConfig = 78,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        Self::from(exit as u8)
    }
}

/// Runs the command `args` names on the config it points at (or the first one found).
#[must_use]
pub fn run(args: Args) -> Exit {
    let (config, loaded) = match config::locate(args.config.as_deref(), Path::exists) {
        Ok(path) => {
            let loaded = config::load_runtime(&path);
            (path, loaded)
        }
        Err(err) => (PathBuf::new(), Err(err)),
    };
    logging::init(args.log_format, loaded.as_ref().map_or("info", |rt| rt.log_level.as_str()));
    match loaded {
        Ok(rt) => dispatch(rt, &config, args.command),
        Err(err) => bad_config(&config, &args.command, &err),
    }
}

/// Every problem on stderr, one a line, named by the file; a log line too unless the command
/// was only asked to check.
fn bad_config(config: &Path, command: &Command, err: &ConfigError) -> Exit {
    let problems = err.lines(config);
    for p in &problems {
        eprintln!("{p}");
    }
    if !matches!(command, Command::CheckConfig) {
        error!(target: LOG_TARGET, config = %config.display(), problems = problems.len(), "bad config; not starting");
    }
    Exit::BadConfig
}

/// What a command does with the configured database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    /// Nothing: it works on files and the config alone.
    Unused,
    /// Reads or nudges what a daemon wrote; it never creates a database.
    Existing,
    /// Creates it when missing (`run`, `once`), or only names it (`check-config`).
    Own,
}

fn database_use(command: &Command) -> Database {
    match command {
        Command::Run | Command::Once | Command::CheckConfig => Database::Own,
        Command::Alerts { .. }
        | Command::Deliveries { .. }
        | Command::Redeliver { .. }
        | Command::Status { .. }
        | Command::Feeds { .. }
        | Command::Rescore { .. }
        | Command::Label { .. }
        | Command::Labels { .. }
        | Command::Story { .. }
        | Command::Stories { replay: None, .. }
        | Command::Trends { replay: None, .. } => Database::Existing,
        Command::Train(train) if train.with_labels => Database::Existing,
        Command::Score { .. }
        | Command::Eval { .. }
        | Command::FeedTest { .. }
        | Command::Extract { .. }
        | Command::Stories { replay: Some(_), .. }
        | Command::Trends { replay: Some(_), .. }
        | Command::Train(_) => Database::Unused,
    }
}

fn dispatch(rt: Runtime, config: &Path, command: Command) -> Exit {
    let database = database_use(&command);
    announce(config, (database != Database::Unused).then_some(rt.storage_path.as_path()));
    if database == Database::Existing && !rt.storage_path.exists() {
        eprintln!(
            "database {} does not exist: it is storage.path in {}; only `run` and `once` create it. \
             Is this the config the daemon runs with?",
            absolute(&rt.storage_path).display(),
            config.display()
        );
        return Exit::Failure;
    }
    match command {
        Command::Run => daemon::run(rt, Mode::Daemon, config),
        Command::Once => daemon::run(rt, Mode::Once, config),
        Command::CheckConfig => daemon::check_config(&rt),
        Command::Score { jsonl: Some(file), .. } => scoring::score_jsonl_file(&rt, &file),
        Command::Score { file, url, json, .. } => {
            scoring::score(&rt, &file.unwrap_or_else(|| PathBuf::from("-")), url.as_ref(), json)
        }
        Command::Eval { file } => scoring::eval(&rt, &file),
        Command::Rescore { since, apply } => scoring::rescore(&rt, &since, apply),
        Command::Alerts { since, severity, feed, limit, json } => {
            ops::alerts(&rt, since.as_deref(), severity.as_deref(), feed, limit, json)
        }
        Command::Deliveries { all, limit, json } => ops::deliveries(&rt, all, limit, json),
        Command::Redeliver { id, dead: _ } => ops::redeliver(&rt, id),
        Command::Status { json } => ops::status(&rt, json),
        Command::Feeds { json } => ops::feeds(&rt, json),
        Command::FeedTest { target, fetch_page } => pages::feed_test(&rt, &target, fetch_page),
        Command::Extract { files, url, json, out_dir } => {
            pages::extract(&rt, &files, url.as_ref(), json, out_dir.as_deref())
        }
        Command::Label { id, verdict, note } => labels::label(&rt, &id, verdict, note.as_deref()),
        Command::Labels { json } => labels::labels(&rt, json),
        Command::Train(train) => train::train(&rt, config, &train),
        Command::Stories { replay: Some(file), .. } => stories::replay(&rt, &file),
        Command::Stories { replay: None, since, all, limit, json } => {
            stories::list(&rt, &since, all, limit, json)
        }
        Command::Story { id, json } => stories::show(&rt, &id, json),
        Command::Trends { replay: Some(file), .. } => trends::replay(&file),
        Command::Trends { rebuild: true, .. } => trends::rebuild(&rt),
        Command::Trends { pair, actor, days, json, .. } => {
            trends::show(&rt, pair.as_deref(), actor.as_deref(), days, json)
        }
    }
}

/// `path` from the root, so the line says which file whatever the working directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Says on stderr, in one line and before anything else, which config a command runs on and
/// which database it uses, so that stdout holds only what the command prints (JSON lines with
/// `--json`).
fn announce(config: &Path, database: Option<&Path>) {
    let config = absolute(config);
    match database {
        Some(db) => eprintln!("config {}, database {}", config.display(), absolute(db).display()),
        None => eprintln!("config {}, no database", config.display()),
    }
}

/// Opens the configured database for an operator command; any error is printed as one chain.
fn with_store(rt: &Runtime, f: impl FnOnce(&Store) -> anyhow::Result<()>) -> Exit {
    let result =
        Store::open_existing(&rt.storage_path).map_err(anyhow::Error::from).and_then(|store| f(&store));
    match result {
        Ok(()) => Exit::Ok,
        Err(err) => {
            eprintln!("{err:#}");
            Exit::Failure
        }
    }
}

/// Writes a command's output to stdout. When the reader has gone (a closed pipe) the process
/// exits 0 at once, as `cat` and `grep` do: the rest of the output has nobody to read it. Any
/// other write error exits 1, said on stderr.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    // Titles, page text and feed names are anyone's: no escape sequence of theirs reaches the
    // terminal.
    let text = args.to_string();
    let text = crate::logging::printable(&text, true);
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("cannot write to standard output: {err}");
        std::process::exit(i32::from(Exit::Failure as u8));
    }
}

/// JSON lines with `--json`, else the table.
fn print_rows<T: serde::Serialize>(rows: &[T], json: bool, table: fn(&[T]) -> String) -> anyhow::Result<()> {
    if json {
        for row in rows {
            outln!("{}", serde_json::to_string(row)?);
        }
    } else {
        out!("{}", table(rows));
    }
    Ok(())
}

/// `--since` read against the clock, or the usage error printed.
fn since_arg(text: &str) -> Result<DateTime<Utc>, Exit> {
    parse_since(text, Utc::now()).map_err(|msg| {
        eprintln!("--since: {msg}");
        Exit::Usage
    })
}

/// Reads `--since`: a duration back from `now` (`24h`, `7d`) or an RFC 3339 time.
///
/// # Errors
/// A message saying what was expected.
fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = humantime::parse_duration(text) {
        return chrono::TimeDelta::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{text:?} is too long ago"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is neither a duration (24h, 7d) nor an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").expect("time").with_timezone(&Utc);
        let cases = [
            ("24h", Some("2026-11-27T12:00:00+00:00")),
            ("7d", Some("2026-11-21T12:00:00+00:00")),
            ("2026-11-01T00:00:00Z", Some("2026-11-01T00:00:00+00:00")),
            ("yesterday", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_since(text, now).ok().map(|t| t.to_rfc3339()),
                want.map(str::to_string),
                "{text}"
            );
        }
    }

    #[test]
    fn exit_codes_keep_their_numbers() {
        let cases = [
            (Exit::Ok, 0_u8),
            (Exit::Failure, 1),
            (Exit::Usage, 2),
            (Exit::Incomplete, 3),
            (Exit::BadConfig, 78),
        ];
        for (exit, want) in cases {
            assert_eq!(exit as u8, want, "{exit:?}");
            assert_eq!(ExitCode::from(exit), ExitCode::from(want), "{exit:?}");
        }
    }
}
