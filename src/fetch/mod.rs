//! The HTTP client: an honest User-Agent, timeouts, conditional GET, per-host politeness
//! ([`polite`]), robots.txt for article pages ([`robots`]), body caps enforced while streaming
//! (after decompression), at most five redirects, address safety ([`guard`]), and retry
//! classification of failures.

pub mod guard;
pub mod headers;
pub mod pages;
pub mod polite;
pub mod robots;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::{StatusCode, redirect};
use url::Url;

use crate::types::Validators;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// The client's settings (`[fetch]`, compiled).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Allow every private, loopback and link-local address (tests, intranets).
    pub allow_private: bool,
    /// `Flashpoint/VERSION (…; +CONTACT)`: sites know who reads them and how to reach us.
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// For a whole request, body included.
    pub timeout: Duration,
    /// Caps on a body after decompression, so a hostile server cannot balloon memory.
    pub max_feed_bytes: u64,
    pub max_page_bytes: u64,
    /// Feeds polled at once.
    pub poll_concurrency: usize,
    /// Article pages fetched at once.
    pub page_concurrency: usize,
    /// Requests to one host at the same time.
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host.
    pub per_host_interval: Duration,
    /// Honour robots.txt for article pages.
    pub respect_robots: bool,
    /// Hosts allowed on private addresses even when `allow_private` is off.
    pub allow_private_hosts: Vec<String>,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The target is on a private, loopback or link-local address.
    #[error("address refused")]
    Blocked(#[source] guard::Blocked),
    /// The server answered with an error status.
    #[error("server answered {status}")]
    Status {
        status: StatusCode,
        /// `Retry-After` of a 429 or 503.
        retry_after: Option<Duration>,
    },
    /// The body exceeded the configured cap.
    #[error("body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Connect or total timeout.
    #[error("timed out")]
    Timeout,
    /// The site's robots.txt disallows the page.
    #[error("disallowed by robots.txt")]
    Disallowed,
    /// The site's robots.txt could not be had, so no page may be fetched for now.
    #[error("robots.txt unavailable")]
    RobotsUnavailable,
    /// Anything else the client reports (DNS, TLS, connection reset, too many redirects).
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    /// The client could not be built (bad TLS roots, bad User-Agent).
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The budget of bytes in flight was closed: the fetcher is going away.
    #[error("fetcher closed")]
    Closed,
}

impl FetchError {
    /// Whether trying again later may succeed: timeouts, connection trouble, 408, 429, 5xx and
    /// an unavailable robots.txt.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Request(_) | Self::RobotsUnavailable | Self::Closed => true,
            Self::Status { status, .. } => {
                *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            Self::Blocked(_) | Self::TooLarge { .. } | Self::Disallowed | Self::Client(_) => false,
        }
    }

    /// The wait the server asked for, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            return Self::Timeout;
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(blocked) = e.downcast_ref::<guard::Blocked>() {
                return Self::Blocked(guard::Blocked { host: blocked.host.clone() });
            }
            source = e.source();
        }
        // The caller names the URL beside the error; said again inside it, it hid the cause.
        Self::Request(err.without_url())
    }
}

/// A feed response.
#[derive(Debug)]
pub enum FeedResponse {
    /// 304: nothing new, nothing to parse.
    NotModified {
        /// `Cache-Control: max-age`.
        max_age: Option<Duration>,
    },
    Fetched {
        body: Vec<u8>,
        validators: Validators,
        /// `Cache-Control: max-age`.
        max_age: Option<Duration>,
        content_type: Option<String>,
    },
}

/// A fetched article page.
#[derive(Debug)]
pub struct Page {
    /// Where the redirects ended.
    pub final_url: Url,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// The page's share of [`PAGE_BYTES_IN_FLIGHT`], given back when the page is dropped: after
    /// its extraction, whose tree the caps of the extract stage keep within a few times it.
    pub held: tokio::sync::OwnedSemaphorePermit,
}

/// Bytes of page bodies held at once, from the start of their fetch to the end of their
/// extraction. Counting pages was not enough: 120 items of a 9.45 MB page peaked at 1.65 GB,
/// every body waiting whole between fetch and extraction. A fetch reserves
/// `fetch.max_page_bytes` (at most all of this) before it starts and gives back what its body
/// did not use once it is read; this lets the default 16 fetches of 10 MB pages run at once.
pub const PAGE_BYTES_IN_FLIGHT: u32 = 160 << 20;

/// The shared HTTP client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: Arc<Settings>,
    /// Hosts allowed on private addresses.
    exempt: Arc<[String]>,
    hosts: Arc<polite::HostLimiter>,
    robots: Arc<robots::RobotsCache>,
    /// [`PAGE_BYTES_IN_FLIGHT`], shared by every clone.
    page_bytes: Arc<tokio::sync::Semaphore>,
}

impl Fetcher {
    /// Builds the client from `[fetch]`.
    ///
    /// # Errors
    /// [`FetchError::Client`] when the TLS backend or User-Agent is unusable.
    pub fn new(settings: &Settings) -> Result<Self, FetchError> {
        let allow_private = settings.allow_private;
        let exempt: Arc<[String]> = settings.allow_private_hosts.clone().into();
        let redirect_exempt = Arc::clone(&exempt);
        let policy = redirect::Policy::custom(move |attempt| {
            // `previous` holds every URL requested so far, the first included.
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !matches!(attempt.url().scheme(), "http" | "https") {
                let scheme = attempt.url().scheme().to_string();
                attempt.error(format!("redirect to a {scheme} URL"))
            } else if let (false, Err(blocked)) =
                (allow_private, guard::check_literal(attempt.url(), &redirect_exempt))
            {
                attempt.error(blocked)
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(policy)
            .pool_idle_timeout(Duration::from_secs(30));
        if !allow_private {
            // A proxy would resolve names itself, past the address check: no proxies then.
            let resolver = guard::PublicOnlyResolver { exempt: Arc::clone(&exempt) };
            builder = builder.dns_resolver(Arc::new(resolver)).no_proxy();
        }
        let client = builder.build().map_err(FetchError::Client)?;
        Ok(Self {
            client,
            settings: Arc::new(settings.clone()),
            exempt,
            hosts: Arc::new(polite::HostLimiter::new(
                settings.per_host_concurrency,
                settings.per_host_interval,
            )),
            robots: Arc::default(),
            page_bytes: Arc::new(tokio::sync::Semaphore::new(PAGE_BYTES_IN_FLIGHT as usize)),
        })
    }

    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if self.settings.allow_private {
            Ok(())
        } else {
            guard::check_literal(url, &self.exempt).map_err(FetchError::Blocked)
        }
    }

    /// A GET to `url` under its host's limits; non-2xx (other than 304) is an error.
    async fn get(&self, url: &Url, headers: HeaderMap) -> Result<reqwest::Response, FetchError> {
        self.check(url)?;
        let _permit = self.hosts.acquire(url.host_str().unwrap_or_default()).await;
        let resp =
            self.client.get(url.clone()).headers(headers).send().await.map_err(FetchError::from_reqwest)?;
        let status = resp.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::SERVICE_UNAVAILABLE)
            .then(|| header_string(resp.headers(), &RETRY_AFTER))
            .flatten()
            .and_then(|v| headers::retry_after(&v, chrono::Utc::now()));
        Err(FetchError::Status { status, retry_after })
    }

    /// Fetches a feed, conditionally when `validators` holds an ETag or Last-Modified.
    ///
    /// # Errors
    /// Any [`FetchError`]; non-2xx answers other than 304 are [`FetchError::Status`].
    pub async fn feed(&self, url: &Url, validators: &Validators) -> Result<FeedResponse, FetchError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            ),
        );
        for (name, value) in
            [(IF_NONE_MATCH, &validators.etag), (IF_MODIFIED_SINCE, &validators.last_modified)]
        {
            if let Some(v) = value.as_deref().and_then(|v| reqwest::header::HeaderValue::from_str(v).ok()) {
                headers.insert(name, v);
            }
        }
        let resp = self.get(url, headers).await?;
        let max_age = header_string(resp.headers(), &CACHE_CONTROL).and_then(|v| headers::max_age(&v));
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(FeedResponse::NotModified { max_age });
        }
        let validators = Validators {
            etag: header_string(resp.headers(), &ETAG),
            last_modified: header_string(resp.headers(), &LAST_MODIFIED),
        };
        let content_type = header_string(resp.headers(), &CONTENT_TYPE);
        let body = read_capped(resp, self.settings.max_feed_bytes).await?;
        Ok(FeedResponse::Fetched { body, validators, max_age, content_type })
    }

    /// Fetches an article page, if the site's robots.txt allows it (`fetch.respect_robots`).
    ///
    /// # Errors
    /// Any [`FetchError`]; non-2xx answers are [`FetchError::Status`].
    pub async fn page(&self, url: &Url) -> Result<Page, FetchError> {
        if self.settings.respect_robots {
            match self.robots_rules(url).await.allows(url) {
                Some(true) => {}
                Some(false) => return Err(FetchError::Disallowed),
                None => return Err(FetchError::RobotsUnavailable),
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("text/html, application/xhtml+xml;q=0.9, */*;q=0.5"),
        );
        let limit = self.settings.max_page_bytes;
        let reserve = u32::try_from(limit).unwrap_or(u32::MAX).min(PAGE_BYTES_IN_FLIGHT);
        let mut held =
            Arc::clone(&self.page_bytes).acquire_many_owned(reserve).await.map_err(|_| FetchError::Closed)?;
        let resp = self.get(url, headers).await?;
        let final_url = resp.url().clone();
        let content_type = header_string(resp.headers(), &CONTENT_TYPE);
        let mut body = read_capped(resp, limit).await?;
        body.shrink_to_fit();
        let used = u32::try_from(body.len()).unwrap_or(u32::MAX).max(1);
        if let Some(unused) = held.split(held.num_permits().saturating_sub(used as usize)) {
            drop(unused);
        }
        Ok(Page { final_url, body, content_type, held })
    }

    async fn robots_rules(&self, url: &Url) -> robots::Rules {
        let Some((origin, robots_url)) = robots::robots_url(url) else { return robots::Rules::AllowAll };
        self.robots
            .rules(&origin, || async {
                match self.get(&robots_url, HeaderMap::new()).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        match read_capped(resp, robots::MAX_BYTES).await {
                            Ok(body) => robots::Rules::from_response(status, &body),
                            Err(_) => robots::Rules::Unavailable,
                        }
                    }
                    Err(FetchError::Status { status, .. }) => {
                        robots::Rules::from_response(status.as_u16(), b"")
                    }
                    // A site we may not reach at all has no rules to keep us from its pages; the
                    // page fetch itself will be refused the same way.
                    Err(FetchError::Blocked(_)) => robots::Rules::AllowAll,
                    Err(_) => robots::Rules::Unavailable,
                }
            })
            .await
    }
}

fn header_string(headers: &HeaderMap, name: &reqwest::header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Reads a body chunk by chunk and stops as soon as it passes `limit`, so a huge or
/// decompression-bomb body never sits in memory whole.
async fn read_capped(mut resp: reqwest::Response, limit: u64) -> Result<Vec<u8>, FetchError> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    // Sized from the declared length when there is one: growing by doubling would hold up to
    // twice the body.
    let declared = resp.content_length().and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    let mut body = Vec::with_capacity(declared);
    while let Some(chunk) = resp.chunk().await.map_err(FetchError::from_reqwest)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> FetchError {
        FetchError::Status { status: StatusCode::from_u16(code).expect("status"), retry_after: None }
    }

    #[test]
    fn transient_errors() {
        let cases = [
            (status(503), true),
            (status(429), true),
            (status(408), true),
            (status(404), false),
            (status(410), false),
            (FetchError::Timeout, true),
            (FetchError::RobotsUnavailable, true),
            (FetchError::Disallowed, false),
            (FetchError::TooLarge { limit: 1 }, false),
            (FetchError::Blocked(guard::Blocked { host: "127.0.0.1".into() }), false),
        ];
        for (err, want) in cases {
            assert_eq!(err.is_transient(), want, "{err}");
        }
    }
}
