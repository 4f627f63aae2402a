//! Retry classification and backoff for webhook deliveries (pure).
//!
//! 2xx is delivered. 408, 429, 5xx and network errors are retried with exponential backoff and
//! jitter, honouring `Retry-After` (never sooner than the first backoff step, so `Retry-After: 0`
//! cannot make a busy loop). Any other status dead-letters a delivery that has had three
//! attempts. Whatever the cause, a delivery older than `max_age` is dead-lettered.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::store::AttemptResult;

/// How deliveries are timed and given up on (`[delivery]`, compiled).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// For one POST, answer included.
    pub timeout: Duration,
    /// Backoff after the first failure; it doubles per attempt up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A delivery still failing this long after it was queued is dead-lettered.
    pub max_age: Duration,
}

/// Attempts allowed for a delivery answered with a non-retryable 4xx.
const CLIENT_ERROR_ATTEMPTS: u32 = 3;

/// What one attempt produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The receiver answered; `detail` is what a 4xx said why (its body, cut short).
    Status { status: u16, retry_after: Option<Duration>, detail: Option<String> },
    /// No answer: connection refused, reset, timed out.
    Network(String),
}

/// Whether a status is worth retrying as such.
#[must_use]
pub fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The backoff before attempt `attempts + 1`: `initial × 2^(attempts−1)` capped at `max`, with
/// "equal jitter" (between half and all of it) drawn from `unit` in `[0, 1)`.
#[must_use]
pub fn backoff(attempts: u32, initial: Duration, max: Duration, unit: f64) -> Duration {
    let exp = attempts.saturating_sub(1).min(30);
    let full = initial.saturating_mul(1u32 << exp).min(max);
    full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// Decides what becomes of a delivery after its `attempts`-th attempt (counting this one).
#[must_use]
pub fn decide(
    outcome: &Outcome,
    attempts: u32,
    age: TimeDelta,
    policy: &Policy,
    now: DateTime<Utc>,
    unit: f64,
) -> AttemptResult {
    let (error, status, retry_after, retryable) = match outcome {
        Outcome::Status { status, .. } if (200..300).contains(status) => return AttemptResult::Delivered,
        Outcome::Status { status, retry_after, detail } => {
            let described = super::describe_status(*status);
            let error = detail.as_ref().map_or(described.clone(), |d| format!("{described}: {d}"));
            (error, Some(*status), *retry_after, is_retryable_status(*status))
        }
        Outcome::Network(err) => (err.clone(), None, None, true),
    };
    let too_old = age.to_std().is_ok_and(|a| a >= policy.max_age);
    if too_old {
        return AttemptResult::Dead {
            error: format!("{error}; undelivered after {}", humantime::format_duration(policy.max_age)),
            status,
        };
    }
    if !retryable && attempts >= CLIENT_ERROR_ATTEMPTS {
        return AttemptResult::Dead { error, status };
    }
    let wait = retry_after.map_or_else(
        || backoff(attempts, policy.initial_backoff, policy.max_backoff, unit),
        |ra| ra.clamp(policy.initial_backoff, policy.max_backoff),
    );
    let next_at = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
    AttemptResult::Retry { next_at, error, status }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            initial_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_hours(1),
            max_age: Duration::from_hours(24),
        }
    }

    fn status(s: u16) -> Outcome {
        Outcome::Status { status: s, retry_after: None, detail: None }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let s = Duration::from_secs;
        let cases = [
            (1, 1.0, s(5)),
            (2, 1.0, s(10)),
            (3, 1.0, s(20)),
            (1, 0.0, Duration::from_millis(2500)),
            (20, 1.0, s(3600)),
            (u32::MAX, 1.0, s(3600)),
        ];
        for (attempts, unit, want) in cases {
            assert_eq!(backoff(attempts, s(5), s(3600), unit), want, "{attempts} {unit}");
        }
    }

    #[test]
    fn decisions() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T00:00:00Z").expect("time").with_timezone(&Utc);
        let young = TimeDelta::seconds(10);
        let old = TimeDelta::hours(25);
        let retry_in = |secs: i64| now + TimeDelta::seconds(secs);
        let cases: Vec<(Outcome, u32, TimeDelta, &str)> = vec![
            (status(200), 1, young, "delivered"),
            (status(204), 7, old, "delivered"),
            (status(503), 1, young, "retry 5"),
            (status(503), 3, young, "retry 20"),
            (status(429), 1, young, "retry 5"),
            (status(408), 1, young, "retry 5"),
            (Outcome::Network("refused".into()), 2, young, "retry 10"),
            (
                Outcome::Status { status: 503, retry_after: Some(Duration::from_mins(2)), detail: None },
                1,
                young,
                "retry 120",
            ),
            (
                Outcome::Status { status: 429, retry_after: Some(Duration::from_secs(99_999)), detail: None },
                1,
                young,
                "retry 3600",
            ),
            (
                Outcome::Status { status: 503, retry_after: Some(Duration::ZERO), detail: None },
                1,
                young,
                "retry 5",
            ),
            (status(410), 1, young, "retry 5"),
            (status(410), 2, young, "retry 10"),
            (status(410), 3, young, "dead"),
            (status(404), 3, young, "dead"),
            (status(503), 40, old, "dead"),
            (Outcome::Network("refused".into()), 2, old, "dead"),
        ];
        for (outcome, attempts, age, want) in cases {
            let got = decide(&outcome, attempts, age, &policy(), now, 1.0);
            let got = match got {
                AttemptResult::Delivered => "delivered".to_string(),
                AttemptResult::Dead { .. } => "dead".to_string(),
                AttemptResult::Retry { next_at, .. } => format!("retry {}", (next_at - now).num_seconds()),
            };
            assert_eq!(got, want, "{outcome:?} attempt {attempts}");
            let _ = retry_in;
        }
    }

    /// Issue 20: Slack says why it refused a message in the body of its 400; it was dropped.
    #[test]
    fn a_client_error_keeps_what_the_receiver_said() {
        let now = Utc::now();
        let said = Outcome::Status { status: 400, retry_after: None, detail: Some("invalid_blocks".into()) };
        let AttemptResult::Retry { error, .. } = decide(&said, 1, TimeDelta::zero(), &policy(), now, 1.0)
        else {
            panic!("a first 400 is retried")
        };
        assert_eq!(error, "HTTP 400 Bad Request: invalid_blocks");
        let AttemptResult::Dead { error, .. } = decide(&said, 3, TimeDelta::zero(), &policy(), now, 1.0)
        else {
            panic!("a third 400 is dead")
        };
        assert_eq!(error, "HTTP 400 Bad Request: invalid_blocks");
    }
}
