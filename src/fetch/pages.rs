//! An item's page, fetched with its retry policy. A transient failure (timeout, connection
//! trouble, 408, 429, 5xx) leaves the item in the store's inbox, to be tried again by a later
//! poll of its feed after a minute, then two; after [`PAGE_ATTEMPTS`] tries, or at once on a
//! permanent failure (404, too large, refused), the pipeline goes on with the feed's own text.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::warn;
use url::Url;

use super::{FetchError, Fetcher, Page};
use crate::store::{Failed, Store};
use crate::types::{cause_first, chain, redact_url};

/// Page fetches of one item after which a failing page gives way to the feed's own text.
pub const PAGE_ATTEMPTS: u32 = 3;

/// Delay before an item whose page failed `attempts` times (counting this one) is tried again:
/// a minute, doubling, at most an hour. It is picked up by the first poll of its feed after that.
#[must_use]
pub fn retry_delay(attempts: u32) -> Duration {
    Duration::from_mins(1).saturating_mul(1 << attempts.saturating_sub(1).min(6)).min(Duration::from_hours(1))
}

/// When a page that failed with `err`, after `attempts` earlier failures, is tried again;
/// `None` when it is not (a permanent failure, or the last try).
#[must_use]
pub fn retry_at(err: &FetchError, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    err.is_transient().then(|| next_try(attempts, now)).flatten()
}

/// When a page that failed for a passing reason, after `attempts` earlier failures, is tried
/// again; `None` after the last try.
#[must_use]
pub fn next_try(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (attempts + 1 < PAGE_ATTEMPTS)
        .then(|| now + TimeDelta::from_std(retry_delay(attempts + 1)).unwrap_or_default())
}

/// The item whose page is fetched, as the fetch stage needs to know it.
#[derive(Debug, Clone, Copy)]
pub struct PageOf<'a> {
    /// The feed's name and address, against which a failure is recorded.
    pub feed_name: &'a str,
    pub feed_url: &'a Url,
    /// The item's inbox key.
    pub key: &'a str,
    /// Failed fetches of this page so far.
    pub attempts: u32,
}

/// What became of one page fetch.
#[derive(Debug)]
pub enum PageOutcome {
    Fetched(Page),
    /// Failed for now; the item stays in the inbox for a later try.
    Later,
    /// Failed for good: use the feed's own text.
    GaveUp,
}

/// Fetches `link` for `item`, recording a failure against its feed (and, when it will be tried
/// again, against its inbox row).
pub async fn fetch_page(fetcher: &Fetcher, store: &Store, link: &Url, item: PageOf<'_>) -> PageOutcome {
    let page = fetcher.page(link).await;
    let result = if page.is_ok() { "ok" } else { "error" };
    metrics::counter!("flashpoint_page_fetches_total", "result" => result).increment(1);
    let err = match page {
        Ok(page) => return PageOutcome::Fetched(page),
        Err(err) => err,
    };
    let message = cause_first(&err);
    let retry_at = retry_at(&err, item.attempts, Utc::now());
    warn!(feed = %item.feed_name, url = %redact_url(link), error = %message, retry = retry_at.is_some(), "page fetch failed");
    let (url, name, key) = (item.feed_url.to_string(), item.feed_name.to_string(), item.key.to_string());
    // The cause first: a column cut short keeps what went wrong rather than the address.
    let error = format!("{message} (page {link})");
    let recorded = store
        .blocking(move |s| {
            s.record_feed_error(&url, &name, &error, Failed::Page)?;
            retry_at.map_or(Ok(()), |at| s.inbox_failed(&key, &error, at))
        })
        .await;
    if let Err(e) = recorded {
        warn!(error = %chain(&e), "cannot record page error");
    }
    if retry_at.is_some() { PageOutcome::Later } else { PageOutcome::GaveUp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_retries_back_off() {
        let cases = [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)];
        for (attempts, minutes) in cases {
            assert_eq!(retry_delay(attempts), Duration::from_mins(minutes), "{attempts}");
        }
    }

    #[test]
    fn transient_failures_are_retried_until_the_last_try() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("time").with_timezone(&Utc);
        let transient = || FetchError::Timeout;
        let permanent = || FetchError::Disallowed;
        let cases: [(FetchError, u32, Option<i64>); 5] = [
            (transient(), 0, Some(1)),
            (transient(), 1, Some(2)),
            (transient(), PAGE_ATTEMPTS - 1, None),
            (permanent(), 0, None),
            (permanent(), 1, None),
        ];
        for (err, attempts, minutes) in cases {
            let want = minutes.map(|m| now + TimeDelta::minutes(m));
            assert_eq!(retry_at(&err, attempts, now), want, "{err} after {attempts}");
        }
    }
}
