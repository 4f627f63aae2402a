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
mod raw;
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
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

fn problem(key: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { key: key.into(), message: message.into() }
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
}

impl ConfigError {
    /// Every problem, one per line, for `check-config` and the start-up error.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Read { path, source } => vec![format!("{}: {source}", path.display())],
            Self::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Everything the daemon needs, validated and compiled once.
#[derive(Debug)]
pub struct Runtime {
    pub storage_path: PathBuf,
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
    /// Time given to work in flight after SIGTERM.
    pub stop_grace: Duration,
    /// Log filter when `RUST_LOG` is unset.
    pub log_level: String,
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
        .and_then(config::Config::try_deserialize::<Value>)
        .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })
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
    match compile(&settings) {
        Ok(rt) if decoded.problems.is_empty() => Ok(rt),
        Ok(_) => Err(ConfigError::Invalid(decoded.problems)),
        Err(ConfigError::Invalid(more)) => {
            // A value that failed to decode was replaced by its default; what compile says of
            // that default would only repeat the problem.
            let mut problems = decoded.problems;
            problems
                .extend(more.into_iter().filter(|p| !decoded.defaulted.iter().any(|d| within(&p.key, d))));
            Err(ConfigError::Invalid(problems))
        }
        Err(other) => Err(other),
    }
}

/// Loads and compiles in one step, as `run`, `once` and `check-config` do.
///
/// # Errors
/// Every problem the file has, from reading to compiling.
pub fn load_runtime(path: &Path) -> Result<Runtime, ConfigError> {
    build_in(&read(path)?, path.parent().unwrap_or(Path::new("")))
}

/// Whether `key` is `prefix` or below it.
fn within(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}
