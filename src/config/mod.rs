//! Configuration: raw settings as the user wrote them (`*Config`, serde), validation that collects
//! every problem with its key, and the compile step that turns settings into a ready [`Runtime`].
//!
//! `run`, `once`, `check-config`, `score` and reload all go through [`load_runtime`], which ends
//! in [`compile()`]: a config that `check-config` accepts is exactly one the daemon accepts.
//!
//! The steps, one file each: [`read`] layers the file and the environment into one tree;
//! `decode` turns that tree into [`Settings`] (`raw`), collecting unknown keys and type errors;
//! `compile` checks every value and builds each stage's own settings type, with `scoring` and
//! `webhooks` beside it. Stages never import this module: it builds their settings and hands
//! them over.

mod compile;
mod decode;
mod lexicons;
mod raw;
mod redact;
mod scoring;
#[cfg(test)]
mod tests;
mod webhooks;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

pub use self::compile::compile;
use self::decode::{Decoded, decode_settings};
pub use self::raw::{
    ActorConfig, CategoryConfig, DeliveryConfig, ExtractConfig, FeedConfig, FeedDefaultsConfig, FetchConfig,
    FrameConfig, HttpConfig, LogConfig, ScoringConfig, ServiceConfig, Settings, SiteConfig, StorageConfig,
    TermConfig, WebhookConfig,
};
pub use self::scoring::{CATEGORY_RUNGS, CATEGORY_WEIGHTS};
use crate::canon::Canonicalizer;
use crate::extract::Extractor;
use crate::feed::Feed;
use crate::fetch;
use crate::notify::Webhook;
use crate::notify::retry::Policy;
use crate::score::Scorer;

/// The environment variable prefix: `FLASHPOINT__SECTION__KEY` overrides `[section] key`.
const ENV_PREFIX: &str = "FLASHPOINT";

/// One thing wrong with a config, named by the key it sits at (`feeds[2].url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the offending key, as the user would look for it in the file.
    pub key: String,
    /// What is wrong with it, lowercase, without the key.
    pub message: String,
    /// The environment variable that set the key, when one did (the file is not to blame).
    pub env: Option<String>,
}

impl Problem {
    /// The message, with the value quoted in it left out when the key holds a secret.
    fn shown_message(&self) -> String {
        if redact::is_secret_key(&self.key) {
            redact::redact_values(&self.message)
        } else {
            self.message.clone()
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.shown_message())?;
        match &self.env {
            Some(var) => write!(f, " (set by the environment variable {var})"),
            None => Ok(()),
        }
    }
}

fn problem(key: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { key: key.into(), message: message.into(), env: None }
}

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing, unreadable or not TOML.
    #[error("cannot read config {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: config::ConfigError,
    },
    /// The file parsed but some values are wrong; every problem is listed.
    #[error("invalid config: {}", .0.len())]
    Invalid(Vec<Problem>),
    /// No `--config`, no `FLASHPOINT_CONFIG`, and none of the usual places holds a config.
    #[error("no config found")]
    NotFound { searched: Vec<PathBuf> },
}

impl ConfigError {
    /// Every problem, one per line, for `check-config` and the start-up error, each led by
    /// where it is: the config file, or the environment variable that set the key.
    #[must_use]
    pub fn lines(&self, file: &Path) -> Vec<String> {
        match self {
            Self::Invalid(problems) => problems
                .iter()
                .map(|p| match &p.env {
                    Some(var) => format!("{var}: {}: {}", p.key, p.shown_message()),
                    None => format!("{}: {p}", file.display()),
                })
                .collect(),
            Self::Read { .. } | Self::NotFound { .. } => self.problems(),
        }
    }

    /// Every problem, one per line, for `check-config` and the start-up error.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        match self {
            // The parser's own text names neither the file nor, once the `in FILE` the config
            // crate appends is left out, anything twice.
            Self::Read { path, source: config::ConfigError::FileParse { cause, .. } } => {
                let text = redact::redact_assignments(cause.to_string().trim_end());
                vec![format!("{}: {text}", path.display())]
            }
            Self::Read { path, source } => {
                let text = redact::redact_assignments(&source.to_string());
                if text.contains(&path.display().to_string()) {
                    vec![text]
                } else {
                    vec![format!("{}: {text}", path.display())]
                }
            }
            Self::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
            Self::NotFound { searched } => vec![format!(
                "no config at {}; pass --config PATH or set FLASHPOINT_CONFIG",
                searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" or ")
            )],
        }
    }
}

/// Where a config is looked for when neither `--config` nor `FLASHPOINT_CONFIG` names one, in
/// order: the one in a clone of the repository, then the packaged one.
pub const SEARCH_PATH: [&str; 2] = ["config/flashpoint.toml", "/etc/flashpoint/flashpoint.toml"];

/// The config to use: `given` (`--config`, else `FLASHPOINT_CONFIG`) when set, else the first
/// of [`SEARCH_PATH`] for which `exists` holds.
///
/// # Errors
/// [`ConfigError::NotFound`] naming every place looked at.
pub fn locate(given: Option<&Path>, exists: impl Fn(&Path) -> bool) -> Result<PathBuf, ConfigError> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let searched: Vec<PathBuf> = SEARCH_PATH.iter().map(PathBuf::from).collect();
    searched.iter().find(|p| exists(p)).cloned().ok_or(ConfigError::NotFound { searched })
}

/// Everything the daemon needs, validated and compiled once.
#[derive(Debug)]
pub struct Runtime {
    pub storage_path: PathBuf,
    /// How long bodies, articles and alerts are kept.
    pub retention: crate::store::Retention,
    pub fetch: fetch::Settings,
    pub startup_spread: Duration,
    /// `[feeds_defaults] interval`, for feeds that set none.
    pub default_interval: Duration,
    /// Bounds on any feed's time between polls.
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub feeds: Vec<Feed>,
    pub canon: Canonicalizer,
    pub extractor: Extractor,
    pub scorer: Scorer,
    pub webhooks: Vec<Webhook>,
    pub delivery: Policy,
    /// Where `/metrics` and `/healthz` listen, if anywhere.
    pub http_listen: Option<SocketAddr>,
    /// The token the page asks for (`http.token_file`); required off loopback.
    pub http_token: Option<crate::web::Token>,
    /// Time given to work in flight after SIGTERM.
    pub stop_grace: Duration,
    /// Log filter when `RUST_LOG` is unset.
    pub log_level: String,
    /// Settings that are valid but probably not meant (no contact, no webhook), said at start.
    pub warnings: Vec<Problem>,
    /// Lexicon terms no native speaker has reviewed yet (`reviewed = false`).
    pub unreviewed_terms: usize,
    /// Story clustering: window, IDF memory, near-duplicate distance.
    pub stories: crate::story::Settings,
}

/// Reads the TOML file at `path` and applies `FLASHPOINT__*` environment overrides.
///
/// # Errors
/// [`ConfigError::Read`] when the file cannot be read or parsed.
pub fn read(path: &Path) -> Result<Value, ConfigError> {
    config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml).required(true))
        .add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        )
        .build()
        .and_then(to_json)
        .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })
}

/// The layered config as JSON, for decoding.
fn to_json(mut built: config::Config) -> Result<Value, config::ConfigError> {
    finite_floats(&mut built.cache);
    built.try_deserialize()
}

/// Replaces `nan` and `inf` (TOML allows both) by the largest finite number of their sign: JSON has
/// no room for them, so they became `null` and a term's `weight = nan` silently took its
/// category's weight. As the largest number, every range check rejects them, naming the key.
fn finite_floats(value: &mut config::Value) {
    match &mut value.kind {
        config::ValueKind::Float(f) if f.is_nan() || *f == f64::INFINITY => *f = f64::MAX,
        config::ValueKind::Float(f) if *f == f64::NEG_INFINITY => *f = f64::MIN,
        config::ValueKind::Table(table) => table.values_mut().for_each(finite_floats),
        config::ValueKind::Array(items) => items.iter_mut().for_each(finite_floats),
        _ => {}
    }
}

/// Deserializes and compiles a layered config tree, reporting every problem at once: unknown
/// keys, mistyped values and invalid values alike.
///
/// # Errors
/// [`ConfigError::Invalid`] listing every problem.
pub fn build(raw: &Value) -> Result<Runtime, ConfigError> {
    build_in(raw, Path::new(""))
}

/// [`build`], reading the file's relative paths (the relevance model) from `base`, the config
/// file's directory.
///
/// # Errors
/// [`ConfigError::Invalid`] listing every problem.
pub fn build_in(raw: &Value, base: &Path) -> Result<Runtime, ConfigError> {
    let mut decoded = Decoded::default();
    let mut settings = decode_settings(raw, &mut decoded);
    settings.base = base.to_path_buf();
    let merged = lexicons::merge(&mut settings.scoring, base, &mut decoded.problems);
    match compile(&settings) {
        Ok(mut rt) if decoded.problems.is_empty() => {
            rt.unreviewed_terms = merged.unreviewed;
            Ok(rt)
        }
        Ok(_) => Err(ConfigError::Invalid(name_terms(raw, decoded.problems))),
        Err(ConfigError::Invalid(more)) => {
            // A value that failed to decode was replaced by its default; what compile says of
            // that default would only repeat the problem.
            let mut problems = decoded.problems;
            problems
                .extend(more.into_iter().filter(|p| !decoded.defaulted.iter().any(|d| within(&p.key, d))));
            Err(ConfigError::Invalid(name_terms(raw, problems)))
        }
        Err(other) => Err(other),
    }
}

/// Loads and compiles in one step, as `run`, `once` and `check-config` do.
///
/// # Errors
/// Every problem the file has, from reading to compiling.
pub fn load_runtime(path: &Path) -> Result<Runtime, ConfigError> {
    build_in(&read(path)?, path.parent().unwrap_or(Path::new(""))).map_err(|err| match err {
        ConfigError::Invalid(problems) => ConfigError::Invalid(blame_env(problems, std::env::vars())),
        other => other,
    })
}

/// The key a `FLASHPOINT__SECTION__KEY` variable sets (`section.key`), if it is one of ours.
fn env_key(var: &str) -> Option<String> {
    let rest = var.strip_prefix(ENV_PREFIX)?.strip_prefix("__")?;
    let parts: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
    (!parts.iter().any(String::is_empty)).then(|| parts.join("."))
}

/// Marks each problem at (or below) a key an environment variable set as that variable's.
fn blame_env(mut problems: Vec<Problem>, vars: impl Iterator<Item = (String, String)>) -> Vec<Problem> {
    let set: Vec<(String, String)> =
        vars.filter_map(|(var, _)| env_key(&var).map(|key| (var, key))).collect();
    for p in &mut problems {
        p.env = set.iter().find(|(_, key)| within(&p.key, key)).map(|(var, _)| var.clone());
    }
    problems
}

/// Problems of `[[scoring.terms]]` entries named by their phrase (`scoring.terms["strike
/// deep"].weight`) rather than by their place in a list of hundreds; by place only when the
/// phrase is missing or not unique.
fn name_terms(raw: &Value, mut problems: Vec<Problem>) -> Vec<Problem> {
    let phrases: Vec<Option<&str>> = raw
        .pointer("/scoring/terms")
        .and_then(Value::as_array)
        .map(|terms| terms.iter().map(|t| t.get("phrase").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    for p in &mut problems {
        let Some(rest) = p.key.strip_prefix("scoring.terms[") else { continue };
        let Some((index, tail)) = rest.split_once(']') else { continue };
        let Some(Some(phrase)) = index.parse::<usize>().ok().and_then(|i| phrases.get(i)) else { continue };
        if !phrase.trim().is_empty() && phrases.iter().filter(|other| **other == Some(*phrase)).count() == 1 {
            p.key = format!("scoring.terms[{phrase:?}]{tail}");
        }
    }
    problems
}

/// Whether `key` is `prefix` or below it.
fn within(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}
