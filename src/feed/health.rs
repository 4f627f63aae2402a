//! Feed health (pure): flags a feed that has gone silent for far longer than its usual gap, or
//! whose extracted bodies suddenly shrank (a site redesign broke its extraction).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::store::Sample;
use crate::store::{FeedState, Store, StoreError};

/// Articles of history needed before a feed can be judged silent or shrinking.
const MIN_HISTORY: usize = 8;

/// Recent articles whose bodies are compared with the ones before them.
const RECENT: usize = 5;

/// Recent bodies shorter than this share of the earlier mean flag a shrink.
const SHRINK_RATIO: f64 = 0.4;

/// A silence longer than this many usual gaps flags the feed.
const SILENT_GAPS: u32 = 6;

/// Never flag silence shorter than this: news feeds sleep at night.
const MIN_SILENCE: Duration = Duration::from_hours(6);

/// What is wrong with a feed, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// Its last polls failed.
    Failing,
    /// No new article for far longer than usual.
    Silent,
    /// Recent articles extract to much shorter bodies than before.
    Shrinking,
}

impl Flag {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failing => "failing",
            Self::Silent => "silent",
            Self::Shrinking => "shrinking",
        }
    }
}

/// One configured feed as `/metrics` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedGauge {
    pub name: String,
    /// Unix seconds of its last successful poll; 0 when it has never had one, so that an alert
    /// on the age of the last success fires for a feed that never worked.
    pub last_success_secs: f64,
    /// Polls failed in a row.
    pub failures: u32,
}

/// A gauge for every configured feed, the ones never polled or never successful included.
#[must_use]
pub fn gauges<S: std::hash::BuildHasher>(
    feeds: &[crate::feed::Feed],
    states: &HashMap<String, FeedState, S>,
) -> Vec<FeedGauge> {
    feeds
        .iter()
        .map(|feed| {
            let state = states.get(feed.url.as_str());
            #[expect(clippy::cast_precision_loss, reason = "Unix seconds fit an f64 exactly")]
            let last_success_secs = state
                .and_then(|s| s.last_success_at.as_deref())
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(0.0, |t| t.timestamp() as f64);
            FeedGauge {
                name: feed.name.clone(),
                last_success_secs,
                failures: state.map_or(0, |s| s.consecutive_failures),
            }
        })
        .collect()
}

/// Why the watch as a whole is degraded, if it is: every configured feed's last poll failed.
/// (A feed not yet polled is not failing.)
#[must_use]
pub fn degraded(gauges: &[FeedGauge]) -> Option<String> {
    let n = gauges.len();
    (n > 0 && gauges.iter().all(|g| g.failures > 0)).then(|| format!("every feed is failing ({n} of {n})"))
}

/// The usual gap between a feed's articles: the median gap of its history (newest first).
#[must_use]
pub fn usual_gap(history: &[Sample]) -> Option<Duration> {
    if history.len() < MIN_HISTORY {
        return None;
    }
    let mut gaps: Vec<Duration> =
        history.windows(2).filter_map(|w| (w[0].at - w[1].at).to_std().ok()).collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2).copied()
}

/// The flags of a feed, from its consecutive failures and its article history (newest first).
#[must_use]
pub fn flags(consecutive_failures: u32, history: &[Sample], now: DateTime<Utc>) -> Vec<Flag> {
    let mut flags = Vec::new();
    if consecutive_failures > 0 {
        flags.push(Flag::Failing);
    }
    if let (Some(gap), Some(last)) = (usual_gap(history), history.first()) {
        let silence = (now - last.at).to_std().unwrap_or_default();
        if silence > (gap * SILENT_GAPS).max(MIN_SILENCE) {
            flags.push(Flag::Silent);
        }
    }
    if history.len() >= MIN_HISTORY {
        let (recent, earlier) = history.split_at(RECENT);
        if mean_chars(recent) < mean_chars(earlier) * SHRINK_RATIO {
            flags.push(Flag::Shrinking);
        }
    }
    flags
}

/// Mean body length of `samples`.
#[must_use]
pub fn mean_chars(samples: &[Sample]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    #[expect(clippy::cast_precision_loss, reason = "body lengths and counts are far below 2^52")]
    let mean = samples.iter().map(|s| s.body_chars).sum::<usize>() as f64 / samples.len() as f64;
    mean
}

/// History read per feed for a report.
const HISTORY: usize = 50;

/// One feed's health, as `flashpoint feeds` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedHealth {
    pub name: String,
    pub url: String,
    /// Never polled yet when `None`.
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub consecutive_failures: u32,
    pub page_errors: u32,
    /// Articles first stored from it in the last 24 hours.
    pub items_24h: usize,
    /// Mean extracted body length of its last articles, in characters.
    pub mean_body_chars: Option<u64>,
    pub flags: Vec<Flag>,
}

/// The health of every configured feed.
///
/// # Errors
/// The store's.
pub fn report(
    store: &Store,
    feeds: &[crate::feed::Feed],
    now: DateTime<Utc>,
) -> Result<Vec<FeedHealth>, StoreError> {
    // Every feed's state in one query: a thousand feeds made a thousand lookups.
    let states = store.feed_states()?;
    feeds
        .iter()
        .map(|feed| {
            let state = states.get(feed.url.as_str()).cloned().unwrap_or_default();
            let history = store.feed_history(&feed.name, HISTORY)?;
            let items_24h = store.feed_items_since(&feed.name, now - chrono::TimeDelta::hours(24))?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a positive mean of lengths"
            )]
            let mean_body_chars = (!history.is_empty()).then(|| mean_chars(&history).round() as u64);
            Ok(FeedHealth {
                name: feed.name.clone(),
                url: feed.url.to_string(),
                flags: flags(state.consecutive_failures, &history, now),
                last_success_at: state.last_success_at,
                last_error: state.last_error,
                last_error_at: state.last_error_at,
                consecutive_failures: state.consecutive_failures,
                page_errors: state.page_errors,
                items_24h,
                mean_body_chars,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(now: DateTime<Utc>, hours_apart: i64, lengths: &[usize]) -> Vec<Sample> {
        lengths
            .iter()
            .enumerate()
            .map(|(i, len)| Sample {
                at: now - chrono::TimeDelta::hours(hours_apart * i64::try_from(i).expect("small") + 1),
                body_chars: *len,
            })
            .collect()
    }

    #[test]
    fn flag_table() {
        let now = Utc::now();
        let steady = [3000; 10];
        let mut shrunk = [3000; 10];
        shrunk[..5].copy_from_slice(&[200; 5]);
        let days_old: Vec<Sample> = history(now, 1, &steady)
            .into_iter()
            .map(|s| Sample { at: s.at - chrono::TimeDelta::days(2), ..s })
            .collect();
        let cases: Vec<(&str, u32, Vec<Sample>, Vec<Flag>)> = vec![
            ("healthy", 0, history(now, 1, &steady), vec![]),
            ("failing", 2, history(now, 1, &steady), vec![Flag::Failing]),
            ("too little history to judge", 0, history(now, 1, &[100, 3000, 3000]), vec![]),
            ("silent for two days, usually hourly", 0, days_old, vec![Flag::Silent]),
            ("bodies shrank", 0, history(now, 1, &shrunk), vec![Flag::Shrinking]),
            (
                "a quiet night is not silence",
                0,
                history(now, 1, &steady)
                    .into_iter()
                    .map(|s| Sample { at: s.at - chrono::TimeDelta::hours(5), ..s })
                    .collect(),
                vec![],
            ),
        ];
        for (name, failures, samples, want) in cases {
            assert_eq!(flags(failures, &samples, now), want, "{name}");
        }
    }

    /// Issue 20: a feed that never succeeded had no last-success series, so an alert on its age
    /// never fired; and nothing said that every feed was failing.
    #[test]
    fn every_configured_feed_has_gauges_and_all_failing_is_degraded() {
        let feed = |name: &str| crate::feed::Feed {
            name: name.into(),
            url: url::Url::parse(&format!("https://{name}.example/rss")).expect("url"),
            interval: Duration::from_mins(10),
            language: None,
        };
        let feeds = [feed("ok"), feed("dead"), feed("new")];
        let state = |success: Option<&str>, failures| FeedState {
            last_success_at: success.map(str::to_string),
            consecutive_failures: failures,
            ..FeedState::default()
        };
        let mut states = HashMap::from([
            ("https://ok.example/rss".to_string(), state(Some("2026-11-28T00:00:00.000Z"), 0)),
            ("https://dead.example/rss".to_string(), state(None, 4)),
        ]);
        let g = gauges(&feeds, &states);
        let seen: Vec<(&str, f64, u32)> =
            g.iter().map(|g| (g.name.as_str(), g.last_success_secs, g.failures)).collect();
        assert_eq!(seen, [("ok", 1_795_824_000.0, 0), ("dead", 0.0, 4), ("new", 0.0, 0)]);
        assert_eq!(degraded(&g), None, "one feed works, one is not polled yet");
        states.insert("https://ok.example/rss".into(), state(Some("2026-11-28T00:00:00.000Z"), 1));
        states.insert("https://new.example/rss".into(), state(None, 1));
        assert_eq!(degraded(&gauges(&feeds, &states)).as_deref(), Some("every feed is failing (3 of 3)"));
        assert_eq!(degraded(&[]), None, "no feeds, nothing failing");
    }

    #[test]
    fn usual_gap_is_the_median() {
        let now = Utc::now();
        let h = history(now, 2, &[1; 9]);
        assert_eq!(usual_gap(&h), Some(Duration::from_hours(2)));
        assert_eq!(usual_gap(&h[..3]), None);
        assert!((mean_chars(&history(now, 1, &[10, 20])) - 15.0).abs() < f64::EPSILON);
    }
}
