//! robots.txt for article pages (RFC 9309), fetched once per origin and cached for a day.
//!
//! 2xx: its rules apply. 4xx: everything is allowed. 5xx or no answer: nothing is allowed for now
//! (the RFC's rule), which the fetcher reports as a transient failure, so the page is tried again
//! later rather than given up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// The product token matched against `User-agent:` lines.
pub const AGENT: &str = "Flashpoint";

/// How long fetched rules are kept.
const TTL: Duration = Duration::from_hours(24);

/// How long an unreachable robots.txt is remembered before it is asked for again.
const RETRY: Duration = Duration::from_mins(10);

/// Largest robots.txt read; Google reads 500 KiB.
pub const MAX_BYTES: u64 = 500 * 1024;

/// What a site's robots.txt says.
#[derive(Debug, Clone)]
pub enum Rules {
    AllowAll,
    /// The robots.txt could not be had (5xx, network): nothing may be fetched for now.
    Unavailable,
    Parsed(Arc<texting_robots::Robot>),
}

impl Rules {
    /// Rules from a robots.txt response.
    #[must_use]
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        match status {
            200..=299 => {
                texting_robots::Robot::new(AGENT, body).map_or(Self::AllowAll, |r| Self::Parsed(Arc::new(r)))
            }
            400..=499 => Self::AllowAll,
            _ => Self::Unavailable,
        }
    }

    /// Whether `url` may be fetched; `None` while the rules are unavailable.
    #[must_use]
    pub fn allows(&self, url: &Url) -> Option<bool> {
        match self {
            Self::AllowAll => Some(true),
            Self::Unavailable => None,
            Self::Parsed(robot) => Some(robot.allowed(url.as_str())),
        }
    }

    fn ttl(&self) -> Duration {
        if matches!(self, Self::Unavailable) { RETRY } else { TTL }
    }
}

/// The origin (`scheme://host:port`) whose robots.txt governs `url`, and that file's URL.
#[must_use]
pub fn robots_url(url: &Url) -> Option<(String, Url)> {
    let origin = url.origin().ascii_serialization();
    let robots = Url::parse(&origin).ok()?.join("/robots.txt").ok()?;
    Some((origin, robots))
}

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Rules)>>>;

/// Rules per origin; one fetch of an origin's robots.txt at a time.
#[derive(Debug, Default)]
pub struct RobotsCache {
    origins: Mutex<HashMap<String, Slot>>,
}

impl RobotsCache {
    /// The rules for `origin`, fetching them with `fetch` when absent or stale.
    pub async fn rules<F, Fut>(&self, origin: &str, fetch: F) -> Rules
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Rules>,
    {
        let slot = {
            let mut origins = self.origins.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(origins.entry(origin.to_string()).or_default())
        };
        let mut entry = slot.lock().await;
        if let Some((at, rules)) = entry.as_ref()
            && at.elapsed() < rules.ttl()
        {
            return rules.clone();
        }
        let rules = fetch().await;
        *entry = Some((Instant::now(), rules.clone()));
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn rules_by_status_and_content() {
        let txt = b"User-agent: *\nDisallow: /private/\n\nUser-agent: Flashpoint\nDisallow: /news/print/\n";
        let rules = Rules::from_response(200, txt);
        assert_eq!(rules.allows(&url("https://a.example/news/1")), Some(true));
        assert_eq!(rules.allows(&url("https://a.example/news/print/1")), Some(false));
        // The group naming Flashpoint replaces the `*` group.
        assert_eq!(rules.allows(&url("https://a.example/private/x")), Some(true));
        assert_eq!(Rules::from_response(404, b"").allows(&url("https://a.example/x")), Some(true));
        assert_eq!(Rules::from_response(503, b"").allows(&url("https://a.example/x")), None);
        assert_eq!(
            Rules::from_response(200, b"\xff\xfe garbage").allows(&url("https://a.example/x")),
            Some(true)
        );
    }

    #[test]
    fn robots_urls() {
        let (origin, robots) = robots_url(&url("https://www.dawn.com:443/news/1?x=1")).expect("http url");
        assert_eq!(origin, "https://www.dawn.com");
        assert_eq!(robots.as_str(), "https://www.dawn.com/robots.txt");
        let (origin, _) = robots_url(&url("http://127.0.0.1:8080/a")).expect("http url");
        assert_eq!(origin, "http://127.0.0.1:8080");
    }

    #[tokio::test(start_paused = true)]
    async fn rules_are_cached_per_origin() {
        let cache = RobotsCache::default();
        let fetches = std::sync::atomic::AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Rules::Unavailable
        };
        cache.rules("https://a.example", fetch).await;
        cache.rules("https://a.example", fetch).await;
        assert_eq!(fetches.load(std::sync::atomic::Ordering::Relaxed), 1);
        tokio::time::advance(RETRY).await;
        cache.rules("https://a.example", fetch).await;
        cache.rules("https://b.example", fetch).await;
        assert_eq!(
            fetches.load(std::sync::atomic::Ordering::Relaxed),
            3,
            "unavailable rules are asked for again"
        );
    }
}
