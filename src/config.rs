//! Configuration: raw settings as the user wrote them (`*Config`, serde), validation that collects
//! every problem with its key, and the compile step that turns settings into a ready [`Runtime`].
//!
//! `run`, `once`, `check-config` and `score` all go through [`load`] and [`compile`], so a config
//! that `check-config` accepts is exactly one the daemon accepts.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::canon::Canonicalizer;
use crate::extract::{Extractor, SiteRule};
use crate::notify::{Format, Secret, Webhook};
use crate::score::{Actor, Context, Pattern, Rules, Scorer, Term, Thresholds};
use crate::types::Severity;

/// Exit code for a bad config (`EX_CONFIG` from sysexits.h); systemd units stop restarting on it.
pub const EXIT_BAD_CONFIG: u8 = 78;

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

/// `[storage]`: where alerts and articles live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct StorageConfig {
    /// SQLite file; relative paths are taken from the working directory.
    pub path: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { path: PathBuf::from("flashpoint.db") }
    }
}

/// `[fetch]`: how Flashpoint talks to the sites it reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct FetchConfig {
    /// Lets feeds and pages live on loopback/private addresses (tests, intranet feeds).
    pub allow_private: bool,
    /// Contact URL or e-mail put in the User-Agent so site operators can reach the operator.
    pub contact: String,
    /// Time allowed to open a connection.
    pub connect_timeout: String,
    /// Time allowed for a whole request, body included.
    pub timeout: String,
    /// Largest feed body accepted, in bytes, after decompression.
    pub max_feed_bytes: u64,
    /// Largest article page accepted, in bytes, after decompression.
    pub max_page_bytes: u64,
    /// Feeds polled at the same time.
    pub poll_concurrency: usize,
    /// Article pages fetched at the same time.
    pub page_concurrency: usize,
    /// Query parameters removed from article links before dedupe; a trailing `*` is a prefix.
    pub tracking_params: Vec<String>,
    /// Requests to one host at the same time.
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host.
    pub per_host_interval: String,
    /// Honour robots.txt for article pages.
    pub respect_robots: bool,
    /// Host names allowed on private addresses even when `allow_private` is off (an intranet feed).
    pub allow_private_hosts: Vec<String>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            contact: String::new(),
            connect_timeout: "10s".into(),
            timeout: "30s".into(),
            max_feed_bytes: 5 * 1024 * 1024,
            max_page_bytes: 10 * 1024 * 1024,
            poll_concurrency: 16,
            page_concurrency: 16,
            tracking_params: Canonicalizer::DEFAULT_PARAMS.iter().map(|p| (*p).to_string()).collect(),
            per_host_concurrency: 2,
            per_host_interval: "250ms".into(),
            respect_robots: true,
            allow_private_hosts: Vec::new(),
        }
    }
}

/// `[feeds_defaults]`: what a `[[feeds]]` entry gets when it says nothing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct FeedDefaultsConfig {
    /// Poll interval of a feed without its own `interval`.
    pub interval: String,
    /// Spread of first polls after start, so thousands of feeds do not fire at once.
    pub startup_spread: String,
    /// Shortest time between two polls of one feed, whatever its interval or the server says.
    pub min_interval: String,
    /// Longest time between two polls of one feed, whatever its `<ttl>`, `max-age` or
    /// `Retry-After` asks (backoff after failures may go past it, up to six hours).
    pub max_interval: String,
}

impl Default for FeedDefaultsConfig {
    fn default() -> Self {
        Self {
            interval: "10m".into(),
            startup_spread: "5s".into(),
            min_interval: "1m".into(),
            max_interval: "1h".into(),
        }
    }
}

/// One `[[feeds]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FeedConfig {
    /// Name shown in logs, alerts and the `alerts` table.
    pub name: String,
    /// RSS, Atom or JSON Feed address.
    pub url: String,
    /// Poll interval (`5m`, `90s`); `[feeds_defaults] interval` when absent.
    pub interval: Option<String>,
}

/// One `[sites."HOST"]` entry: how to find the article on that host's pages.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SiteConfig {
    /// CSS selector of the article body.
    pub body: String,
    /// CSS selectors removed from inside the body (share bars, inline promos).
    pub strip: Vec<String>,
}

/// `[extract]`: the generic path's limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ExtractConfig {
    /// Fewest characters a method must yield before the next one is tried.
    pub min_chars: usize,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self { min_chars: 200 }
    }
}

/// `[scoring]`: the alert threshold, severity levels, categories, context rules, actors and the
/// lexicon.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ScoringConfig {
    /// Score at or above which an article raises an alert (severity low).
    pub threshold: f64,
    /// Score at or above which an alert is medium.
    pub severity_medium: f64,
    /// Score at or above which an alert is high.
    pub severity_high: f64,
    /// `[scoring.categories.NAME]`: category weights, set or overriding the built-in ones.
    pub categories: BTreeMap<String, CategoryConfig>,
    /// `[scoring.context]`: negation, conditionals, title and lede boosts, repeats.
    pub context: Context,
    /// Phrases whose words never count as terms (sports and economy idioms).
    pub exclude: Vec<String>,
    /// `[[scoring.actors]]`: parties named in matched sentences.
    pub actors: Vec<ActorConfig>,
    /// The lexicon.
    pub terms: Vec<TermConfig>,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            threshold: 6.0,
            severity_medium: 10.0,
            severity_high: 15.0,
            categories: BTreeMap::new(),
            context: Context::default(),
            exclude: Vec::new(),
            actors: Vec::new(),
            terms: Vec::new(),
        }
    }
}

/// One `[scoring.categories.NAME]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CategoryConfig {
    /// Weight of the category's terms that set none.
    pub weight: Option<f64>,
}

/// One `[[scoring.actors]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActorConfig {
    /// Name recorded in alerts.
    pub name: String,
    /// Other words naming it (`Islamabad`, `Pakistani`).
    pub aliases: Vec<String>,
}

/// One `[[scoring.terms]]` entry: a `phrase` (where `*` stands for one word), or `near` words
/// found `within` so many words of each other.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TermConfig {
    /// Words to find, matched whole-word after normalisation.
    pub phrase: Option<String>,
    /// Words or phrases that must all occur close together.
    pub near: Vec<String>,
    /// Most words between the first `near` part and each other one (default 8).
    pub within: Option<usize>,
    /// Points one occurrence adds; negative values dampen. The category's weight when absent.
    pub weight: Option<f64>,
    /// Event category (PLOVER: threaten, mobilize, coerce, assault, fight, or your own).
    pub category: String,
}

/// One `[[webhooks]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookConfig {
    /// Endpoint receiving a POST per alert.
    pub url: String,
    /// Stable name for logs and the delivery table; defaults to the URL's host.
    pub name: Option<String>,
    /// `json` (the documented payload), `slack` or `discord`.
    pub format: String,
    /// Least severity sent: `low`, `medium` or `high`.
    pub min_severity: String,
    /// Feed names whose alerts are sent; empty for every feed.
    pub feeds: Vec<String>,
    /// Signing secret (`whsec_<base64>` or any text); prefer `secret_env` or `secret_file`.
    pub secret: Option<String>,
    /// Environment variable holding the signing secret.
    pub secret_env: Option<String>,
    /// File holding the signing secret (systemd `LoadCredential=`).
    pub secret_file: Option<PathBuf>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            name: None,
            format: "json".into(),
            min_severity: "low".into(),
            feeds: Vec::new(),
            secret: None,
            secret_env: None,
            secret_file: None,
        }
    }
}

/// `[delivery]`: how hard Flashpoint tries to hand an alert to a webhook.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DeliveryConfig {
    /// Time allowed for one POST.
    pub timeout: String,
    /// First retry delay; it doubles per failed attempt.
    pub initial_backoff: String,
    /// Longest delay between two attempts.
    pub max_backoff: String,
    /// Age after which an undelivered alert is dead-lettered.
    pub max_age: String,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            timeout: "10s".into(),
            initial_backoff: "5s".into(),
            max_backoff: "1h".into(),
            max_age: "24h".into(),
        }
    }
}

/// `[http]`: the optional metrics and health listener.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address of `/metrics` and `/healthz` (`127.0.0.1:9464`); empty for none.
    pub listen: String,
}

/// `[service]`: life under a service manager.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ServiceConfig {
    /// Time given to work in flight after SIGTERM; keep it shorter than systemd's `TimeoutStopSec`.
    pub stop_grace: String,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self { stop_grace: "20s".into() }
    }
}

/// `[log]`: what is logged and how.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LogConfig {
    /// Level filter when `RUST_LOG` is unset (`info`, `debug`, `flashpoint=debug,warn`, …).
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".into() }
    }
}

/// The whole file, as written.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub storage: StorageConfig,
    pub fetch: FetchConfig,
    pub feeds_defaults: FeedDefaultsConfig,
    pub feeds: Vec<FeedConfig>,
    pub sites: BTreeMap<String, SiteConfig>,
    pub extract: ExtractConfig,
    pub scoring: ScoringConfig,
    pub webhooks: Vec<WebhookConfig>,
    pub delivery: DeliveryConfig,
    pub http: HttpConfig,
    pub service: ServiceConfig,
    pub log: LogConfig,
}

/// Top-level keys the file may hold.
const SECTIONS: &[&str] = &[
    "storage",
    "fetch",
    "feeds_defaults",
    "feeds",
    "sites",
    "extract",
    "scoring",
    "webhooks",
    "delivery",
    "http",
    "service",
    "log",
];

/// Everything the daemon needs, validated and compiled once.
#[derive(Debug)]
pub struct Runtime {
    pub storage_path: PathBuf,
    pub fetch: crate::fetch::Settings,
    pub startup_spread: Duration,
    /// `[feeds_defaults] interval`, for feeds that set none.
    pub default_interval: Duration,
    /// Bounds on any feed's time between polls.
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub feeds: Vec<crate::feed::Feed>,
    pub canon: Canonicalizer,
    pub extractor: Extractor,
    pub scorer: Scorer,
    pub webhooks: Vec<Webhook>,
    pub delivery: crate::notify::retry::Policy,
    /// Where `/metrics` and `/healthz` listen, if anywhere.
    pub http_listen: Option<std::net::SocketAddr>,
    /// Time given to work in flight after SIGTERM.
    pub stop_grace: Duration,
    /// Log filter when `RUST_LOG` is unset.
    pub log_level: String,
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
    let mut decoded = Decoded::default();
    let settings = decode_settings(raw, &mut decoded);
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
    build(&read(path)?)
}

/// Whether `key` is `prefix` or below it.
fn within(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// Problems found while decoding, and the keys whose values were replaced by defaults.
#[derive(Debug, Default)]
struct Decoded {
    problems: Vec<Problem>,
    defaulted: Vec<String>,
}

fn decode_settings(raw: &Value, d: &mut Decoded) -> Settings {
    let empty = serde_json::Map::new();
    let root = raw.as_object().unwrap_or(&empty);
    for key in root.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            d.problems.push(problem(key, "unknown section"));
        }
    }
    Settings {
        storage: section(root, "storage", d),
        fetch: section(root, "fetch", d),
        feeds_defaults: section(root, "feeds_defaults", d),
        feeds: list(root, "feeds", d),
        sites: table(root, "sites", d),
        extract: section(root, "extract", d),
        scoring: scoring_section(root, d),
        webhooks: list(root, "webhooks", d),
        delivery: section(root, "delivery", d),
        http: section(root, "http", d),
        service: section(root, "service", d),
        log: section(root, "log", d),
    }
}

fn problem(key: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { key: key.into(), message: message.into() }
}

/// Deserializes one value, reporting unknown keys and the first type error, each at its path.
fn decode<T: DeserializeOwned + Default>(value: &Value, key: &str, d: &mut Decoded) -> T {
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let result: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut record));
    for path in unknown {
        d.problems.push(problem(format!("{key}.{path}"), "unknown key"));
    }
    match result {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let full = if path == "." { key.to_string() } else { format!("{key}.{path}") };
            d.problems.push(problem(full, err.into_inner().to_string()));
            d.defaulted.push(key.to_string());
            T::default()
        }
    }
}

fn section<T: DeserializeOwned + Default>(
    root: &serde_json::Map<String, Value>,
    key: &str,
    d: &mut Decoded,
) -> T {
    root.get(key).map_or_else(T::default, |v| decode(v, key, d))
}

/// Arrays of tables are decoded entry by entry, so one bad entry does not hide the others.
fn list<T: DeserializeOwned + Default>(
    root: &serde_json::Map<String, Value>,
    key: &str,
    d: &mut Decoded,
) -> Vec<T> {
    match root.get(key) {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            items.iter().enumerate().map(|(i, v)| decode(v, &format!("{key}[{i}]"), d)).collect()
        }
        Some(_) => {
            d.problems.push(problem(key, "expected an array of tables ([[...]])"));
            Vec::new()
        }
    }
}

fn table<T: DeserializeOwned + Default>(
    root: &serde_json::Map<String, Value>,
    key: &str,
    d: &mut Decoded,
) -> BTreeMap<String, T> {
    match root.get(key) {
        None => BTreeMap::new(),
        Some(Value::Object(entries)) => entries
            .iter()
            .map(|(name, v)| (name.clone(), decode(v, &format!("{key}.\"{name}\""), d)))
            .collect(),
        Some(_) => {
            d.problems.push(problem(key, "expected a table"));
            BTreeMap::new()
        }
    }
}

/// `[scoring]` holds the `terms` and `actors` arrays; each entry is decoded on its own.
fn scoring_section(root: &serde_json::Map<String, Value>, d: &mut Decoded) -> ScoringConfig {
    let Some(value) = root.get("scoring") else { return ScoringConfig::default() };
    let Some(map) = value.as_object() else {
        d.problems.push(problem("scoring", "expected a table"));
        d.defaulted.push("scoring".into());
        return ScoringConfig::default();
    };
    let mut rest = map.clone();
    let mut entries = serde_json::Map::new();
    for name in ["terms", "actors"] {
        if let Some(v) = rest.remove(name) {
            entries.insert(format!("scoring.{name}"), v);
        }
    }
    let mut scoring: ScoringConfig = decode(&Value::Object(rest), "scoring", d);
    scoring.terms = list(&entries, "scoring.terms", d);
    scoring.actors = list(&entries, "scoring.actors", d);
    scoring
}

/// Longest duration any key accepts; longer ones are mistakes and would overflow time maths.
const MAX_DURATION: Duration = Duration::from_hours(366 * 24);

fn duration(key: &str, text: &str, problems: &mut Vec<Problem>) -> Duration {
    match humantime::parse_duration(text) {
        Ok(d) if d > MAX_DURATION => {
            problems.push(problem(key, "must be at most a year"));
            MAX_DURATION
        }
        Ok(d) if !d.is_zero() => d,
        Ok(_) => {
            problems.push(problem(key, "must be longer than zero"));
            Duration::from_secs(1)
        }
        Err(err) => {
            problems.push(problem(
                key,
                format!("{text:?} is not a duration ({err}); write e.g. \"5m\" or \"30s\""),
            ));
            Duration::from_secs(1)
        }
    }
}

fn http_url(key: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Url> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(_) => {
            problems.push(problem(key, format!("{text:?} is not an http(s) URL")));
            None
        }
        Err(err) => {
            problems.push(problem(key, format!("{text:?} is not a URL ({err})")));
            None
        }
    }
}

/// Validates settings and compiles them into a [`Runtime`], reporting every problem at once.
///
/// # Errors
/// [`ConfigError::Invalid`] with every problem found.
pub fn compile(settings: &Settings) -> Result<Runtime, ConfigError> {
    let mut problems = Vec::new();

    if settings.storage.path.as_os_str().is_empty() {
        problems.push(problem("storage.path", "must not be empty"));
    }

    let fetch = compile_fetch(&settings.fetch, &mut problems);
    let canon = Canonicalizer::new(&settings.fetch.tracking_params);

    let default_interval =
        duration("feeds_defaults.interval", &settings.feeds_defaults.interval, &mut problems);
    let startup_spread = short_duration(
        "feeds_defaults.startup_spread",
        &settings.feeds_defaults.startup_spread,
        Duration::from_hours(1),
        &mut problems,
    );
    let min_interval =
        duration("feeds_defaults.min_interval", &settings.feeds_defaults.min_interval, &mut problems);
    let max_interval =
        duration("feeds_defaults.max_interval", &settings.feeds_defaults.max_interval, &mut problems);
    if max_interval < min_interval {
        problems.push(problem(
            "feeds_defaults.max_interval",
            "must not be shorter than feeds_defaults.min_interval",
        ));
    }
    let feeds = compile_feeds(&settings.feeds, default_interval, &mut problems);
    let extractor = compile_sites(&settings.sites, settings.extract.min_chars, &mut problems);
    let scorer = compile_scoring(&settings.scoring, &mut problems);
    let feed_names: HashSet<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
    let webhooks = compile_webhooks(&settings.webhooks, &feed_names, &mut problems);

    let d = &settings.delivery;
    let delivery = crate::notify::retry::Policy {
        timeout: duration("delivery.timeout", &d.timeout, &mut problems),
        initial_backoff: duration("delivery.initial_backoff", &d.initial_backoff, &mut problems),
        max_backoff: duration("delivery.max_backoff", &d.max_backoff, &mut problems),
        max_age: duration("delivery.max_age", &d.max_age, &mut problems),
    };
    if delivery.max_backoff < delivery.initial_backoff {
        problems.push(problem("delivery.max_backoff", "must not be shorter than delivery.initial_backoff"));
    }
    let (http_listen, stop_grace, log_level) = compile_service(settings, &mut problems);

    match scorer {
        Some(scorer) if problems.is_empty() => Ok(Runtime {
            storage_path: settings.storage.path.clone(),
            fetch,
            startup_spread,
            default_interval,
            min_interval,
            max_interval,
            feeds,
            canon,
            extractor,
            scorer,
            webhooks,
            delivery,
            http_listen,
            stop_grace,
            log_level,
        }),
        _ => Err(ConfigError::Invalid(problems)),
    }
}

/// An optional duration that may also be zero, at most `max`.
fn short_duration(key: &str, text: &str, max: Duration, problems: &mut Vec<Problem>) -> Duration {
    match humantime::parse_duration(text) {
        Ok(d) if d <= max => d,
        Ok(_) => {
            problems.push(problem(key, format!("must be at most {}", humantime::format_duration(max))));
            Duration::ZERO
        }
        Err(err) => {
            problems.push(problem(key, format!("{text:?} is not a duration ({err})")));
            Duration::ZERO
        }
    }
}

fn compile_fetch(f: &FetchConfig, problems: &mut Vec<Problem>) -> crate::fetch::Settings {
    let fetch = crate::fetch::Settings {
        allow_private: f.allow_private,
        user_agent: user_agent(&f.contact),
        connect_timeout: duration("fetch.connect_timeout", &f.connect_timeout, problems),
        timeout: duration("fetch.timeout", &f.timeout, problems),
        max_feed_bytes: f.max_feed_bytes,
        max_page_bytes: f.max_page_bytes,
        poll_concurrency: f.poll_concurrency,
        page_concurrency: f.page_concurrency,
        per_host_concurrency: f.per_host_concurrency,
        per_host_interval: short_duration(
            "fetch.per_host_interval",
            &f.per_host_interval,
            Duration::from_mins(10),
            problems,
        ),
        respect_robots: f.respect_robots,
        allow_private_hosts: f.allow_private_hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
    };
    for (key, value) in
        [("fetch.max_feed_bytes", f.max_feed_bytes), ("fetch.max_page_bytes", f.max_page_bytes)]
    {
        if value == 0 {
            problems.push(problem(key, "must be greater than zero"));
        }
    }
    for (key, value) in [
        ("fetch.poll_concurrency", f.poll_concurrency),
        ("fetch.page_concurrency", f.page_concurrency),
        ("fetch.per_host_concurrency", f.per_host_concurrency),
    ] {
        if value == 0 {
            problems.push(problem(key, "must be at least 1"));
        }
    }
    if f.contact.chars().any(char::is_control) {
        problems.push(problem("fetch.contact", "must not contain control characters"));
    }
    fetch
}

/// `[http]`, `[service]` and `[log]`.
fn compile_service(
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> (Option<std::net::SocketAddr>, Duration, String) {
    let listen = settings.http.listen.trim();
    let http_listen = if listen.is_empty() {
        None
    } else if let Ok(addr) = listen.parse() {
        Some(addr)
    } else {
        problems
            .push(problem("http.listen", format!("{listen:?} is not an address such as \"127.0.0.1:9464\"")));
        None
    };
    let stop_grace = duration("service.stop_grace", &settings.service.stop_grace, problems);
    let level = settings.log.level.trim().to_string();
    if let Err(err) = tracing_subscriber::EnvFilter::try_new(&level) {
        problems.push(problem("log.level", format!("{level:?} is not a log filter ({err})")));
    }
    (http_listen, stop_grace, level)
}

/// An honest User-Agent: product, version, and how to reach whoever runs it.
fn user_agent(contact: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    if contact.trim().is_empty() {
        format!("Flashpoint/{version} (news-escalation monitor)")
    } else {
        format!("Flashpoint/{version} (news-escalation monitor; +{})", contact.trim())
    }
}

fn compile_feeds(
    feeds: &[FeedConfig],
    default_interval: Duration,
    problems: &mut Vec<Problem>,
) -> Vec<crate::feed::Feed> {
    let mut names = HashSet::new();
    let mut urls = HashSet::new();
    let mut out = Vec::new();
    for (i, feed) in feeds.iter().enumerate() {
        let key = format!("feeds[{i}]");
        let name = feed.name.trim();
        if name.is_empty() {
            problems.push(problem(format!("{key}.name"), "must not be empty"));
        } else if !names.insert(name.to_string()) {
            problems.push(problem(format!("{key}.name"), format!("{name:?} is used by another feed")));
        }
        let interval = feed
            .interval
            .as_deref()
            .map_or(default_interval, |t| duration(&format!("{key}.interval"), t, problems));
        let Some(url) = http_url(&format!("{key}.url"), &feed.url, problems) else { continue };
        if !urls.insert(url.clone()) {
            problems.push(problem(format!("{key}.url"), format!("{url} is listed twice")));
            continue;
        }
        out.push(crate::feed::Feed { name: name.to_string(), url, interval });
    }
    out
}

fn compile_sites(
    sites: &BTreeMap<String, SiteConfig>,
    min_chars: usize,
    problems: &mut Vec<Problem>,
) -> Extractor {
    let mut rules = Vec::new();
    for (host, site) in sites {
        let key = format!("sites.\"{host}\"");
        if host.is_empty() || host.contains('/') || host.contains(':') && !host.starts_with('[') {
            problems
                .push(problem(&key, "must be a host name such as \"dawn.com\" (no scheme, port or path)"));
            continue;
        }
        match SiteRule::new(host, &site.body, &site.strip) {
            Ok(rule) => rules.push(rule),
            Err(err) => problems.push(problem(format!("{key}.{}", err.key()), err.to_string())),
        }
    }
    Extractor::new(rules, min_chars)
}

fn compile_scoring(scoring: &ScoringConfig, problems: &mut Vec<Problem>) -> Option<Scorer> {
    let levels = [
        ("scoring.threshold", scoring.threshold),
        ("scoring.severity_medium", scoring.severity_medium),
        ("scoring.severity_high", scoring.severity_high),
    ];
    for (key, value) in levels {
        if !value.is_finite() || value <= 0.0 {
            problems.push(problem(key, "must be a number above zero"));
        }
    }
    if scoring.severity_medium < scoring.threshold {
        problems.push(problem("scoring.severity_medium", "must not be below scoring.threshold"));
    }
    if scoring.severity_high < scoring.severity_medium {
        problems.push(problem("scoring.severity_high", "must not be below scoring.severity_medium"));
    }
    let mut categories: BTreeMap<&str, f64> = CATEGORY_WEIGHTS.iter().copied().collect();
    for (name, category) in &scoring.categories {
        let key = format!("scoring.categories.{name}.weight");
        match category.weight {
            Some(w) if w.is_finite() && w != 0.0 => {
                categories.insert(name.as_str(), w);
            }
            Some(_) => problems.push(problem(key, "must be a non-zero number")),
            None => problems.push(problem(key, "is missing")),
        }
    }
    check_context(&scoring.context, problems);
    non_empty("scoring.exclude", &scoring.exclude, problems);
    let actors = compile_actors(&scoring.actors, problems);
    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    for (i, t) in scoring.terms.iter().enumerate() {
        if let Some(term) = compile_term(&format!("scoring.terms[{i}]"), t, &categories, &mut seen, problems)
        {
            terms.push(term);
        }
    }
    let severity = Thresholds {
        threshold: scoring.threshold,
        medium: scoring.severity_medium,
        high: scoring.severity_high,
    };
    let rules = Rules {
        terms,
        exclude: scoring.exclude.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect(),
        context: scoring.context.clone(),
        actors,
        severity,
    };
    match Scorer::new(rules) {
        Ok(scorer) => Some(scorer),
        Err(err) => {
            problems.push(problem("scoring.terms", err.to_string()));
            None
        }
    }
}

/// One `[[scoring.terms]]` entry, its weight resolved; `None` (with problems) when it is bad.
fn compile_term(
    key: &str,
    t: &TermConfig,
    categories: &BTreeMap<&str, f64>,
    seen: &mut HashSet<String>,
    problems: &mut Vec<Problem>,
) -> Option<Term> {
    let category = t.category.trim();
    let weight = match (t.weight, categories.get(category)) {
        (Some(w), _) if !w.is_finite() || w == 0.0 => {
            problems.push(problem(format!("{key}.weight"), "must be a non-zero number"));
            None
        }
        (Some(w), _) | (None, Some(&w)) => Some(w),
        (None, None) if category.is_empty() => None,
        (None, None) => {
            problems.push(problem(
                format!("{key}.weight"),
                format!("is needed: category {category:?} has no weight (set [scoring.categories.{category}] weight)"),
            ));
            None
        }
    };
    if category.is_empty() {
        problems.push(problem(format!("{key}.category"), "must not be empty"));
    }
    let (pattern, label) = match (&t.phrase, t.near.is_empty()) {
        (Some(phrase), true) => {
            if t.within.is_some() {
                problems.push(problem(format!("{key}.within"), "goes with near, not phrase"));
            }
            (Pattern::phrase(phrase).map_err(|m| (format!("{key}.phrase"), m)), phrase.trim().to_string())
        }
        (None, false) => {
            let within = t.within.unwrap_or(DEFAULT_WITHIN);
            let label = format!("{} within {within}", t.near.join(" ~ "));
            (Pattern::near(&t.near, within).map_err(|m| (format!("{key}.near"), m)), label)
        }
        (Some(_), false) => (Err((key.to_string(), "set phrase or near, not both".into())), String::new()),
        (None, true) => (Err((format!("{key}.phrase"), "is missing (or set near)".into())), String::new()),
    };
    let pattern = match pattern {
        Ok(p) => p,
        Err((key, message)) => {
            problems.push(problem(key, message));
            return None;
        }
    };
    if !seen.insert(format!("{pattern:?}")) {
        problems.push(problem(key, format!("{label:?} is listed twice")));
    }
    weight.map(|weight| Term { label, pattern, weight, category: category.to_string() })
}

/// Built-in category weights, from the conflict intensity of the matching CAMEO roots on the
/// Goldstein scale (13 threaten -7, 15 force posture -7.2, 17 coerce -7, 18 assault -9,
/// 19 fight -10), set so one unambiguous assault or fight verb reaches the default threshold (6)
/// on its own, a threat just does, and coercion needs company.
pub const CATEGORY_WEIGHTS: &[(&str, f64)] =
    &[("threaten", 6.0), ("mobilize", 5.0), ("coerce", 3.0), ("assault", 7.0), ("fight", 7.0)];

/// Words between `near` parts when a term sets no `within`.
const DEFAULT_WITHIN: usize = 8;

fn non_empty(key: &str, items: &[String], problems: &mut Vec<Problem>) {
    for (i, item) in items.iter().enumerate() {
        if crate::score::normalize(item).is_empty() {
            problems.push(problem(format!("{key}[{i}]"), "must not be empty"));
        }
    }
}

fn check_context(c: &Context, problems: &mut Vec<Problem>) {
    non_empty("scoring.context.negation", &c.negation, problems);
    non_empty("scoring.context.negation_exceptions", &c.negation_exceptions, problems);
    non_empty("scoring.context.conditional", &c.conditional, problems);
    non_empty("scoring.context.allegation", &c.allegation, problems);
    non_empty("scoring.context.background", &c.background, problems);
    let ranges = [
        ("negation_factor", c.negation_factor, 0.0, 1.0),
        ("conditional_factor", c.conditional_factor, 0.0, 10.0),
        ("allegation_factor", c.allegation_factor, 0.0, 1.0),
        ("background_factor", c.background_factor, 0.0, 1.0),
        ("title_boost", c.title_boost, 0.0, 10.0),
        ("lede_boost", c.lede_boost, 0.0, 10.0),
        ("body_weight", c.body_weight, 0.0, 10.0),
        ("repeat_decay", c.repeat_decay, 0.0, 1.0),
    ];
    for (name, value, low, high) in ranges {
        if !(low..=high).contains(&value) {
            problems.push(problem(
                format!("scoring.context.{name}"),
                format!("must be between {low} and {high}"),
            ));
        }
    }
    if c.negation_scope == 0 {
        problems.push(problem("scoring.context.negation_scope", "must be at least 1"));
    }
}

fn compile_actors(actors: &[ActorConfig], problems: &mut Vec<Problem>) -> Vec<Actor> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, a) in actors.iter().enumerate() {
        let key = format!("scoring.actors[{i}]");
        let name = a.name.trim();
        if name.is_empty() {
            problems.push(problem(format!("{key}.name"), "must not be empty"));
            continue;
        }
        if !names.insert(name.to_string()) {
            problems.push(problem(format!("{key}.name"), format!("{name:?} is listed twice")));
        }
        non_empty(&format!("{key}.aliases"), &a.aliases, problems);
        out.push(Actor { name: name.to_string(), aliases: a.aliases.clone() });
    }
    out
}

fn compile_webhooks(
    webhooks: &[WebhookConfig],
    feeds: &HashSet<&str>,
    problems: &mut Vec<Problem>,
) -> Vec<Webhook> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, hook) in webhooks.iter().enumerate() {
        let key = format!("webhooks[{i}]");
        let before = problems.len();
        let url = http_url(&format!("{key}.url"), &hook.url, problems);
        let format = Format::parse(&hook.format);
        if format.is_none() {
            problems.push(problem(
                format!("{key}.format"),
                format!("{:?} is not one of json, slack, discord", hook.format),
            ));
        }
        let min_severity = Severity::parse(&hook.min_severity);
        if min_severity.is_none() {
            problems.push(problem(
                format!("{key}.min_severity"),
                format!("{:?} is not one of low, medium, high", hook.min_severity),
            ));
        }
        for (j, feed) in hook.feeds.iter().enumerate() {
            if !feeds.contains(feed.as_str()) {
                problems
                    .push(problem(format!("{key}.feeds[{j}]"), format!("{feed:?} names no configured feed")));
            }
        }
        let secret = webhook_secret(hook, &key, problems);
        let name = hook
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| url.as_ref().and_then(Url::host_str).map(str::to_string))
            .unwrap_or_else(|| format!("webhook{i}"));
        if !names.insert(name.clone()) {
            problems.push(problem(
                format!("{key}.name"),
                format!("{name:?} names another webhook too; give each a distinct name"),
            ));
        }
        if let (Some(url), Some(format), Some(min_severity), true) =
            (url, format, min_severity, problems.len() == before)
        {
            out.push(Webhook { name, url, format, min_severity, feeds: hook.feeds.clone(), secret });
        }
    }
    out
}

/// The signing secret of a webhook from exactly one of `secret`, `secret_env`, `secret_file`.
/// Problems name where the secret should be, never what it is.
fn webhook_secret(hook: &WebhookConfig, key: &str, problems: &mut Vec<Problem>) -> Option<Secret> {
    let sources = [hook.secret.is_some(), hook.secret_env.is_some(), hook.secret_file.is_some()];
    if sources.iter().filter(|s| **s).count() > 1 {
        problems.push(problem(key, "set only one of secret, secret_env, secret_file"));
        return None;
    }
    let (sub_key, text) = if let Some(text) = &hook.secret {
        ("secret", text.clone())
    } else if let Some(var) = &hook.secret_env {
        let Ok(text) = std::env::var(var) else {
            problems
                .push(problem(format!("{key}.secret_env"), format!("environment variable {var} is not set")));
            return None;
        };
        ("secret_env", text)
    } else if let Some(path) = &hook.secret_file {
        match std::fs::read_to_string(path) {
            Ok(text) => ("secret_file", text),
            Err(err) => {
                problems.push(problem(
                    format!("{key}.secret_file"),
                    format!("cannot read {}: {err}", path.display()),
                ));
                return None;
            }
        }
    } else {
        return None;
    };
    match Secret::parse(&text) {
        Ok(secret) => Some(secret),
        Err(err) => {
            problems.push(problem(format!("{key}.{sub_key}"), format!("the secret {err}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<Runtime, ConfigError> {
        let value: Value = config::Config::builder()
            .add_source(config::File::from_str(toml_text, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("test toml parses");
        build(&value)
    }

    fn keys(err: &ConfigError) -> Vec<String> {
        match err {
            ConfigError::Invalid(p) => p.iter().map(|p| p.key.clone()).collect(),
            ConfigError::Read { .. } => vec!["<read>".into()],
        }
    }

    #[test]
    fn empty_config_takes_defaults() {
        let rt = parse("").expect("defaults are valid");
        assert_eq!(rt.storage_path, PathBuf::from("flashpoint.db"));
        assert!(!rt.fetch.allow_private);
        assert!(rt.fetch.user_agent.starts_with("Flashpoint/"));
        assert_eq!(rt.delivery.max_age, Duration::from_hours(24));
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let err = parse(
            r#"
            [fetch]
            timeout = "soon"
            colour = "red"
            [[feeds]]
            name = "A"
            url = "ftp://example.org/feed"
            [[feeds]]
            name = "B"
            url = "https://example.org/feed"
            interval = "often"
            [sites."example.org"]
            body = "div[["
            [scoring]
            threshold = -1
            [[scoring.terms]]
            phrase = ""
            weight = 1.0
            category = "threaten"
            [[webhooks]]
            url = "not a url"
            "#,
        )
        .expect_err("config is bad");
        let mut got = keys(&err);
        got.sort();
        assert_eq!(
            got,
            [
                "feeds[0].url",
                "feeds[1].interval",
                "fetch.colour",
                "fetch.timeout",
                "scoring.terms[0].phrase",
                "scoring.threshold",
                "sites.\"example.org\".body",
                "webhooks[0].url",
            ]
        );
    }

    #[test]
    fn type_errors_in_two_feeds_are_both_reported() {
        let err = parse(
            r#"
            [[feeds]]
            name = "A"
            url = 5
            [[feeds]]
            name = "B"
            url = "https://example.org/b"
            interval = 10
            [[feeds]]
            name = "C"
            url = "https://example.org/c"
            wat = true
            "#,
        )
        .expect_err("bad");
        let got = keys(&err);
        assert!(got.contains(&"feeds[0].url".to_string()), "{got:?}");
        assert!(got.contains(&"feeds[1].interval".to_string()), "{got:?}");
        assert!(got.contains(&"feeds[2].wat".to_string()), "{got:?}");
        assert_eq!(got.len(), 3, "no follow-on problems from defaulted entries: {got:?}");
    }

    #[test]
    fn duplicate_feed_urls_and_webhook_names_are_refused() {
        let err = parse(
            r#"
            [[feeds]]
            name = "A"
            url = "https://example.org/feed"
            [[feeds]]
            name = "B"
            url = "https://example.org/feed"
            [[webhooks]]
            url = "https://hooks.example.org/1"
            [[webhooks]]
            url = "https://hooks.example.org/2"
            "#,
        )
        .expect_err("bad");
        assert_eq!(keys(&err), ["feeds[1].url", "webhooks[1].name"]);
    }

    #[test]
    fn webhook_secrets_and_routing_are_checked_without_revealing_secrets() {
        let err = parse(
            r#"
            [[feeds]]
            name = "A"
            url = "https://example.org/a"
            [[webhooks]]
            url = "https://hooks.example.org/1"
            name = "w1"
            secret_env = "FLASHPOINT_TEST_UNSET_VARIABLE"
            [[webhooks]]
            url = "https://hooks.example.org/2"
            name = "w2"
            secret = "whsec_not*base64"
            [[webhooks]]
            url = "https://hooks.example.org/3"
            name = "w3"
            secret = "a"
            secret_file = "/nonexistent"
            [[webhooks]]
            url = "https://hooks.example.org/4"
            name = "w4"
            format = "xml"
            min_severity = "urgent"
            feeds = ["A", "B"]
            "#,
        )
        .expect_err("bad");
        let ConfigError::Invalid(problems) = &err else { panic!("{err}") };
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            keys(&err),
            [
                "webhooks[0].secret_env",
                "webhooks[1].secret",
                "webhooks[2]",
                "webhooks[3].format",
                "webhooks[3].min_severity",
                "webhooks[3].feeds[1]",
            ],
            "{text:?}"
        );
        assert!(!text.iter().any(|t| t.contains("not*base64")), "{text:?}");

        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("secret");
        std::fs::write(&file, "whsec_c2VjcmV0\n").expect("write");
        let rt = parse(&format!(
            "[[webhooks]]\nurl = \"https://hooks.example.org/1\"\nsecret_file = \"{}\"\nformat = \"slack\"\nmin_severity = \"high\"\n",
            file.display()
        ))
        .expect("valid");
        let hook = &rt.webhooks[0];
        assert_eq!(hook.name, "hooks.example.org");
        assert_eq!(hook.secret, Some(Secret::parse("whsec_c2VjcmV0").expect("secret")));
        assert!(!hook.wants(Severity::Medium, "any") && hook.wants(Severity::High, "any"));
        assert!(!format!("{rt:?}").contains("c2VjcmV0"), "Debug output hides the secret");
    }

    #[test]
    fn user_agent_names_product_version_and_contact() {
        let ua = user_agent("https://example.org/contact");
        assert_eq!(
            ua,
            format!(
                "Flashpoint/{} (news-escalation monitor; +https://example.org/contact)",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
