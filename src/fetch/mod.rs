//! The HTTP client: an honest User-Agent, timeouts, conditional GET, body caps enforced while
//! streaming (after decompression), at most five redirects, address safety ([`guard`]), and
//! retry classification of failures.

pub mod guard;

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::{StatusCode, redirect};
use url::Url;

use crate::config::FetchSettings;

/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The target is on a private, loopback or link-local address.
    #[error("refused: {0}")]
    Blocked(#[source] guard::Blocked),
    /// The server answered with an error status.
    #[error("server answered {0}")]
    Status(StatusCode),
    /// The body exceeded the configured cap.
    #[error("body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Connect or total timeout.
    #[error("timed out")]
    Timeout,
    /// Anything else the client reports (DNS, TLS, connection reset, too many redirects).
    #[error("request failed")]
    Request(#[source] reqwest::Error),
    /// The client could not be built (bad TLS roots, bad User-Agent).
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

impl FetchError {
    /// Whether trying again later may succeed: timeouts, connection trouble, 408, 429 and 5xx.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Request(_) => true,
            Self::Status(s) => {
                *s == StatusCode::REQUEST_TIMEOUT
                    || *s == StatusCode::TOO_MANY_REQUESTS
                    || s.is_server_error()
            }
            Self::Blocked(_) | Self::TooLarge { .. } | Self::Client(_) => false,
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
        Self::Request(err)
    }
}

/// Validators of a feed's last response, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A feed response.
#[derive(Debug)]
pub enum FeedResponse {
    /// 304: nothing new, nothing to parse.
    NotModified,
    Fetched {
        body: Vec<u8>,
        validators: Validators,
    },
}

/// A fetched article page.
#[derive(Debug)]
pub struct Page {
    /// Where the redirects ended.
    pub final_url: Url,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// The shared HTTP client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: Arc<FetchSettings>,
}

impl Fetcher {
    /// Builds the client from `[fetch]`.
    ///
    /// # Errors
    /// [`FetchError::Client`] when the TLS backend or User-Agent is unusable.
    pub fn new(settings: &FetchSettings) -> Result<Self, FetchError> {
        let allow_private = settings.allow_private;
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if !matches!(attempt.url().scheme(), "http" | "https") {
                let scheme = attempt.url().scheme().to_string();
                attempt.error(format!("redirect to a {scheme} URL"))
            } else if let (false, Err(blocked)) = (allow_private, guard::check_literal(attempt.url())) {
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
            .pool_idle_timeout(std::time::Duration::from_secs(30));
        if !allow_private {
            // A proxy would resolve names itself, past the address check: no proxies then.
            builder = builder.dns_resolver(Arc::new(guard::PublicOnlyResolver)).no_proxy();
        }
        let client = builder.build().map_err(FetchError::Client)?;
        Ok(Self { client, settings: Arc::new(settings.clone()) })
    }

    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if self.settings.allow_private {
            Ok(())
        } else {
            guard::check_literal(url).map_err(FetchError::Blocked)
        }
    }

    /// Fetches a feed, conditionally when `validators` holds an ETag or Last-Modified.
    ///
    /// # Errors
    /// Any [`FetchError`]; non-2xx answers other than 304 are [`FetchError::Status`].
    pub async fn feed(&self, url: &Url, validators: &Validators) -> Result<FeedResponse, FetchError> {
        self.check(url)?;
        let mut req = self.client.get(url.clone()).header(
            reqwest::header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let resp = req.send().await.map_err(FetchError::from_reqwest)?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(FeedResponse::NotModified);
        }
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let validators = Validators {
            etag: header_string(resp.headers(), &ETAG),
            last_modified: header_string(resp.headers(), &LAST_MODIFIED),
        };
        let body = read_capped(resp, self.settings.max_feed_bytes).await?;
        Ok(FeedResponse::Fetched { body, validators })
    }

    /// Fetches an article page.
    ///
    /// # Errors
    /// Any [`FetchError`]; non-2xx answers are [`FetchError::Status`].
    pub async fn page(&self, url: &Url) -> Result<Page, FetchError> {
        self.check(url)?;
        let resp = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "text/html, application/xhtml+xml;q=0.9, */*;q=0.5")
            .send()
            .await
            .map_err(FetchError::from_reqwest)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let final_url = resp.url().clone();
        let content_type = header_string(resp.headers(), &CONTENT_TYPE);
        let body = read_capped(resp, self.settings.max_page_bytes).await?;
        Ok(Page { final_url, body, content_type })
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
    let mut body = Vec::new();
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

    #[test]
    fn transient_errors() {
        let cases = [
            (FetchError::Status(StatusCode::SERVICE_UNAVAILABLE), true),
            (FetchError::Status(StatusCode::TOO_MANY_REQUESTS), true),
            (FetchError::Status(StatusCode::REQUEST_TIMEOUT), true),
            (FetchError::Status(StatusCode::NOT_FOUND), false),
            (FetchError::Status(StatusCode::GONE), false),
            (FetchError::Timeout, true),
            (FetchError::TooLarge { limit: 1 }, false),
            (FetchError::Blocked(guard::Blocked { host: "127.0.0.1".into() }), false),
        ];
        for (err, want) in cases {
            assert_eq!(err.is_transient(), want, "{err}");
        }
    }
}
