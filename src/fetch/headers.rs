//! Reading scheduling hints from response headers (pure).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Reads `Retry-After` as seconds or an HTTP date (a date in the past is zero).
#[must_use]
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Reads `max-age` from `Cache-Control` (`no-cache`/`no-store` give none).
#[must_use]
pub fn max_age(cache_control: &str) -> Option<Duration> {
    let mut age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-cache" || directive == "no-store" {
            return None;
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            age = secs.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z").expect("time").with_timezone(&Utc);
        let cases = [
            ("120", Some(Duration::from_mins(2))),
            (" 0 ", Some(Duration::ZERO)),
            ("Sat, 28 Nov 2026 00:01:00 GMT", Some(Duration::from_mins(1))),
            ("Fri, 27 Nov 2026 00:01:00 GMT", Some(Duration::ZERO)),
            ("soon", None),
            ("-5", None),
        ];
        for (value, want) in cases {
            assert_eq!(retry_after(value, now), want, "{value}");
        }
    }

    #[test]
    fn max_age_forms() {
        let cases = [
            ("max-age=300", Some(Duration::from_mins(5))),
            ("public, max-age=600, must-revalidate", Some(Duration::from_mins(10))),
            ("no-cache, max-age=600", None),
            ("private", None),
            ("max-age=abc", None),
        ];
        for (value, want) in cases {
            assert_eq!(max_age(value), want, "{value}");
        }
    }
}
