//! The settings as the user wrote them: one serde type per section of the TOML file (`*Config`),
//! each with its defaults in one place, gathered in [`Settings`].
//!
//! Nothing here checks a value; decoding reports type errors and unknown keys, and compiling
//! reports values that are wrong.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::canon::Canonicalizer;
use crate::score::{Context, Events};

/// `[storage]`: where alerts and articles live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct StorageConfig {
    /// SQLite file; relative paths are taken from the working directory.
    pub path: PathBuf,
    pub retention: RetentionConfig,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { path: PathBuf::from("flashpoint.db"), retention: RetentionConfig::default() }
    }
}

/// `[storage.retention]`: how long bodies, articles and alerts are kept; empty for ever.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RetentionConfig {
    /// Article bodies older than this are dropped; metadata, scores and matches stay.
    pub bodies: String,
    /// Articles older than this that raised no alert are dropped whole.
    pub articles: String,
    /// Alerts older than this are dropped with their deliveries and verdicts.
    pub alerts: String,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self { bodies: "90d".into(), articles: "2y".into(), alerts: String::new() }
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
    /// Language of its articles (ISO 639-1 or 639-3: `ur`, `prs`); when absent, the language
    /// the feed declares, else the page's, else detected.
    pub language: Option<String>,
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
    /// Time one page may take before it counts as a failed try.
    pub deadline: String,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        Self { min_chars: 200, deadline: "5s".into() }
    }
}

/// `[scoring]`: the alert threshold, severity levels, categories, context rules, actors and the
/// lexicon.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ScoringConfig {
    /// Score at or above which an article raises an alert; its severity comes from the ladder.
    pub threshold: f64,
    /// `[scoring.categories.NAME]`: category weights, set or overriding the built-in ones.
    pub categories: BTreeMap<String, CategoryConfig>,
    /// `[scoring.context]`: negation, conditionals, title and lede boosts, repeats.
    pub context: Context,
    /// Phrases whose words never count as terms (sports and economy idioms).
    pub exclude: Vec<String>,
    /// `[[scoring.actors]]`: parties named in matched sentences.
    pub actors: Vec<ActorConfig>,
    /// `[[scoring.frames]]`: frames that turn violent words into something else.
    pub frames: Vec<FrameConfig>,
    /// `[scoring.events]`: what makes a match an event, and the ladder's levels.
    pub events: Events,
    /// `[scoring.relevance]`: the learned gate an alert must also pass.
    pub relevance: RelevanceConfig,
    /// The lexicon.
    pub terms: Vec<TermConfig>,
    /// Lexicon files of other languages (`lexicons/ur.toml`), from the config file's directory:
    /// their terms, cues, frame cues and actor names are added to these.
    pub lexicons: Vec<PathBuf>,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        Self {
            threshold: 6.0,
            categories: BTreeMap::new(),
            context: Context::default(),
            exclude: Vec::new(),
            actors: Vec::new(),
            frames: Vec::new(),
            events: Events::default(),
            relevance: RelevanceConfig::default(),
            terms: Vec::new(),
            lexicons: Vec::new(),
        }
    }
}

/// One `[scoring.categories.NAME]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CategoryConfig {
    /// Weight of the category's terms that set none.
    pub weight: Option<f64>,
    /// Its step on the escalation ladder: threat, mobilisation, attack or clash; none for
    /// categories that are no escalation.
    pub rung: Option<String>,
}

/// One `[[scoring.actors]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActorConfig {
    /// Name recorded in alerts.
    pub name: String,
    /// Other words naming it (`Islamabad`, `Pakistani`).
    pub aliases: Vec<String>,
    /// `country`, `state`, `military`, `police`, `armed_group` or `other` (the default).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The state it belongs to or acts for; a country's own name when unset on a country.
    pub country: Option<String>,
}

/// `[scoring.relevance]`: the learned relevance gate.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RelevanceConfig {
    /// Whether an alert must also pass the gate.
    pub enabled: bool,
    /// The model file, relative to the config file's directory; empty for the model built into
    /// Flashpoint (the shipped config/relevance.model).
    pub model: PathBuf,
    /// Least relevance (probability that the article is about armed conflict, political
    /// violence or security) an alert needs.
    pub min: f64,
}

impl Default for RelevanceConfig {
    fn default() -> Self {
        Self { enabled: true, model: PathBuf::new(), min: 0.4 }
    }
}

/// One `[[scoring.frames]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FrameConfig {
    /// Shown in explanations: `suppressed: sport frame`.
    pub name: String,
    /// Words and phrases that put an article (or sentence) in the frame.
    pub cues: Vec<String>,
    /// `article` (the default) or `sentence`.
    pub scope: Option<String>,
    /// Distinct cues an article needs (default 3; a sentence frame needs one).
    pub min_cues: Option<usize>,
    /// What a match in the frame keeps of its weight (default 0).
    pub factor: Option<f64>,
    /// Actor types whose presence in a match's sentence keeps it out of the frame.
    pub unless: Vec<String>,
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
    /// A military act by itself ("airstrike"): an event with no actor named near it.
    pub standalone: bool,
    /// Whether a native speaker has checked the term (`false` in a lexicon until one has;
    /// `check-config` counts those); the English lexicon leaves it out.
    pub reviewed: Option<bool>,
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
    /// Events sent: any of `created`, `updated`, `resolved` (an alert's), `dyad.spike`,
    /// `dyad.level_up` (an actor pair's trend signals).
    pub events: Vec<String>,
    /// How long a new alert is held so other outlets can join it before the first message.
    pub group_wait: String,
    /// Least time between two updates of one alert; a severity increase goes at once.
    pub update_interval: String,
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
            events: vec!["created".into(), "updated".into(), "resolved".into()],
            group_wait: "0s".into(),
            update_interval: "0s".into(),
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

/// `[stories]`: how articles are clustered into stories.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct StoriesConfig {
    /// How long a story takes articles through its title and entity words after its last one.
    pub window: String,
    /// How long a story takes articles through a rare full name after its last one.
    pub archive: String,
    /// Document frequencies halve every this long.
    pub idf_half_life: String,
    /// Most differing simhash bits (of 64) of two bodies that are one text.
    pub max_hamming: u32,
    /// Most stories held in the window; the least recently seen go first past it.
    pub max_stories: usize,
    /// Most memory the window's stories may take, in MB (estimated); the least recently seen
    /// go first past it.
    pub max_memory_mb: usize,
    /// A story's alert is resolved after this long without a new article.
    pub resolve_after: String,
}

impl Default for StoriesConfig {
    fn default() -> Self {
        Self {
            window: "30d".into(),
            archive: "1500d".into(),
            idf_half_life: "365d".into(),
            max_hamming: 3,
            max_stories: 5_000,
            max_memory_mb: 32,
            resolve_after: "72h".into(),
        }
    }
}

/// `[http]`: the optional metrics and health listener.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Address of `/metrics`, `/healthz` and the page (`127.0.0.1:9464`); empty for none.
    pub listen: String,
    /// File holding the token the page asks for (empty for none); required when `listen` is not
    /// a loopback address, so that the alerts and the verdict buttons are not open to the network.
    pub token_file: String,
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
    /// The directory relative paths of the file are read from (the relevance model): the
    /// config file's own.
    pub base: PathBuf,
    pub storage: StorageConfig,
    pub fetch: FetchConfig,
    pub feeds_defaults: FeedDefaultsConfig,
    pub feeds: Vec<FeedConfig>,
    pub sites: BTreeMap<String, SiteConfig>,
    pub extract: ExtractConfig,
    pub scoring: ScoringConfig,
    pub webhooks: Vec<WebhookConfig>,
    pub delivery: DeliveryConfig,
    pub stories: StoriesConfig,
    pub http: HttpConfig,
    pub service: ServiceConfig,
    pub log: LogConfig,
}
