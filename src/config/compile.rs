//! Compiling: [`Settings`] into the ready [`Runtime`], each section into its stage's own
//! settings type (the fetch client's limits, the feed list, the extractor's site rules, the
//! delivery policy), with every wrong value reported at its key.
//!
//! Scoring and webhooks have their own files; the duration and URL readers every section uses
//! are at the end of this one.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use super::raw::{
    DeliveryConfig, ExtractConfig, FeedConfig, FetchConfig, RetentionConfig, Settings, SiteConfig,
    StoriesConfig,
};
use super::scoring::compile_scoring;
use super::webhooks::compile_webhooks;
use super::{ConfigError, Problem, Runtime, problem};
use crate::canon::Canonicalizer;
use crate::extract::{Extractor, SiteRule};
use crate::feed::Feed;
use crate::fetch;
use crate::lang;
use crate::notify::retry::Policy;
use crate::store::Retention;
use crate::story;

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
    let feeds = compile_feeds(&settings.feeds, default_interval, &canon, &mut problems);
    let extractor = compile_sites(&settings.sites, &settings.extract, &mut problems);
    let scorer = compile_scoring(&settings.scoring, &settings.base, &mut problems);
    let feed_names: HashSet<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
    let webhooks = compile_webhooks(&settings.webhooks, &feed_names, &mut problems);
    let delivery = compile_delivery(&settings.delivery, &mut problems);
    let stories = compile_stories(&settings.stories, &mut problems);
    let retention = compile_retention(&settings.storage.retention, &mut problems);
    let (http_listen, stop_grace, log_level) = compile_service(settings, &mut problems);
    let http_token = compile_http_token(settings, http_listen, &mut problems);

    match scorer {
        Some(scorer) if problems.is_empty() => Ok(Runtime {
            storage_path: settings.storage.path.clone(),
            retention,
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
            http_token,
            stop_grace,
            log_level,
            warnings: warnings(settings),
            unreviewed_terms: 0,
            stories,
        }),
        _ => Err(ConfigError::Invalid(problems)),
    }
}

/// What a good config probably should not leave as it is: said at start, and by `check-config`.
fn warnings(settings: &Settings) -> Vec<Problem> {
    let mut out = Vec::new();
    if settings.fetch.contact.trim().is_empty() {
        out.push(problem(
            "fetch.contact",
            "empty: set a URL or e-mail address so the sites polled can reach whoever runs this",
        ));
    }
    if settings.webhooks.is_empty() {
        out.push(problem("webhooks", "none configured: alerts are only stored in the database"));
    }
    out
}

fn compile_fetch(f: &FetchConfig, problems: &mut Vec<Problem>) -> fetch::Settings {
    let settings = fetch::Settings {
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
    settings
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

/// The feeds, each named once and listed once: two addresses that differ only in what
/// canonicalization drops (host case, fragment, tracking parameters) are the same feed.
fn compile_feeds(
    feeds: &[FeedConfig],
    default_interval: Duration,
    canon: &Canonicalizer,
    problems: &mut Vec<Problem>,
) -> Vec<Feed> {
    let mut names = HashSet::new();
    let mut urls = HashMap::new();
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
        let language = feed.language.as_deref().and_then(|tag| {
            let code = lang::from_tag(tag).filter(|_| !tag.contains(['-', '_']));
            if code.is_none() {
                problems.push(problem(
                    format!("{key}.language"),
                    format!(
                        "{tag:?} is not an ISO 639-1 or 639-3 code (ur, fa, ps, hi, ar, en; prs for Dari)"
                    ),
                ));
            }
            code
        });
        let Some(url) = http_url(&format!("{key}.url"), &feed.url, problems) else { continue };
        match urls.entry(canon.canonical(&url)) {
            Entry::Occupied(first) => {
                problems.push(problem(
                    format!("{key}.url"),
                    format!("is the same feed as feeds[{}]", first.get()),
                ));
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
        out.push(Feed { name: name.to_string(), url, interval, language });
    }
    out
}

fn compile_sites(
    sites: &BTreeMap<String, SiteConfig>,
    extract: &ExtractConfig,
    problems: &mut Vec<Problem>,
) -> Extractor {
    let deadline = duration_at_most("extract.deadline", &extract.deadline, Duration::from_mins(5), problems);
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
    Extractor::new(rules, extract.min_chars).with_deadline(deadline)
}

fn compile_delivery(d: &DeliveryConfig, problems: &mut Vec<Problem>) -> Policy {
    let delivery = Policy {
        timeout: duration("delivery.timeout", &d.timeout, problems),
        initial_backoff: duration("delivery.initial_backoff", &d.initial_backoff, problems),
        max_backoff: duration("delivery.max_backoff", &d.max_backoff, problems),
        max_age: duration("delivery.max_age", &d.max_age, problems),
    };
    if delivery.max_backoff < delivery.initial_backoff {
        problems.push(problem("delivery.max_backoff", "must not be shorter than delivery.initial_backoff"));
    }
    delivery
}

/// The longest `stories.archive`.
const MAX_ARCHIVE: Duration = Duration::from_hours(10 * 365 * 24);

fn compile_stories(s: &StoriesConfig, problems: &mut Vec<Problem>) -> story::Settings {
    if s.max_hamming > 16 {
        problems.push(problem("stories.max_hamming", "must be at most 16 (of 64 bits)"));
    }
    let window = duration("stories.window", &s.window, problems);
    let archive = match humantime::parse_duration(s.archive.trim()) {
        Ok(d) if d > MAX_ARCHIVE => {
            problems.push(problem("stories.archive", "must be at most ten years"));
            MAX_ARCHIVE
        }
        Ok(d) if d < window => {
            problems.push(problem("stories.archive", "must not be shorter than stories.window"));
            window
        }
        Ok(d) => d,
        Err(err) => {
            let text = &s.archive;
            problems.push(problem(
                "stories.archive",
                format!("{text:?} is not a duration ({err}); write e.g. \"1500d\" or \"4y\""),
            ));
            window
        }
    };
    story::Settings {
        window,
        archive,
        idf_half_life: duration("stories.idf_half_life", &s.idf_half_life, problems),
        max_hamming: s.max_hamming.min(16),
        max_stories: s.max_stories.max(1),
        max_bytes: s.max_memory_mb.max(1).saturating_mul(1 << 20),
        resolve_after: duration("stories.resolve_after", &s.resolve_after, problems),
    }
}

/// A duration longer than zero and at most `max`.
fn duration_at_most(key: &str, text: &str, max: Duration, problems: &mut Vec<Problem>) -> Duration {
    let d = duration(key, text, problems);
    if d > max {
        problems.push(problem(key, format!("must be at most {}", humantime::format_duration(max))));
        return max;
    }
    d
}

/// `[storage.retention]`: each span empty for ever, else at least a day.
fn compile_retention(r: &RetentionConfig, problems: &mut Vec<Problem>) -> Retention {
    let span = |key: &str, text: &str, problems: &mut Vec<Problem>| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match humantime::parse_duration(text) {
            Ok(d) if d >= Duration::from_hours(24) => Some(d),
            Ok(_) => {
                problems.push(problem(key, "must be at least a day; leave it empty to keep for ever"));
                None
            }
            Err(err) => {
                problems.push(problem(
                    key,
                    format!("{text:?} is not a duration ({err}); write e.g. \"90d\" or \"2y\""),
                ));
                None
            }
        }
    };
    let retention = Retention {
        bodies: span("storage.retention.bodies", &r.bodies, problems),
        articles: span("storage.retention.articles", &r.articles, problems),
        alerts: span("storage.retention.alerts", &r.alerts, problems),
    };
    if let (Some(bodies), Some(articles)) = (retention.bodies, retention.articles)
        && articles < bodies
    {
        problems
            .push(problem("storage.retention.articles", "must not be shorter than storage.retention.bodies"));
    }
    retention
}

/// `[http]`, `[service]` and `[log]`.
fn compile_service(
    settings: &Settings,
    problems: &mut Vec<Problem>,
) -> (Option<SocketAddr>, Duration, String) {
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

/// `http.token_file`: the page's token, read now. Listening on anything but loopback without
/// one is refused: the page shows every alert and records verdicts.
fn compile_http_token(
    settings: &Settings,
    listen: Option<SocketAddr>,
    problems: &mut Vec<Problem>,
) -> Option<crate::web::Token> {
    let path = std::path::Path::new(settings.http.token_file.trim());
    if path.as_os_str().is_empty() {
        if listen.is_some_and(|addr| !addr.ip().is_loopback()) {
            problems.push(problem(
                "http.token_file",
                "required when http.listen is not a loopback address: the page would be open to the network",
            ));
        }
        return None;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            problems.push(problem("http.token_file", format!("cannot read {}: {err}", path.display())));
            return None;
        }
    };
    match crate::web::Token::parse(&text) {
        Ok(token) => Some(token),
        Err(err) => {
            problems.push(problem("http.token_file", format!("{}: {err}", path.display())));
            None
        }
    }
}

/// Longest duration any key accepts; longer ones are mistakes and would overflow time maths.
const MAX_DURATION: Duration = Duration::from_hours(366 * 24);

pub(super) fn duration(key: &str, text: &str, problems: &mut Vec<Problem>) -> Duration {
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

/// An optional duration that may also be zero, at most `max`.
pub(super) fn short_duration(key: &str, text: &str, max: Duration, problems: &mut Vec<Problem>) -> Duration {
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

pub(super) fn http_url(key: &str, text: &str, problems: &mut Vec<Problem>) -> Option<Url> {
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

#[cfg(test)]
mod tests {
    use super::user_agent;

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
