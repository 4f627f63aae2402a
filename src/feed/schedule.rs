//! Poll schedule maths (pure): first-poll spread, jitter, and backoff on consecutive failures.

use std::time::Duration;

/// Jitter applied to every interval: ±10 %, so feeds polled together drift apart.
const JITTER: f64 = 0.1;

/// Longest backoff multiple of a feed's interval after repeated failures.
const MAX_BACKOFF_FACTOR: u32 = 16;

/// Backoff never waits longer than this, however long the interval: a feed never drops out.
const MAX_BACKOFF: Duration = Duration::from_hours(6);

/// Delay before a feed's first poll: a point in `spread` (never past its own interval), picked by
/// `unit` in `[0, 1)`.
#[must_use]
pub fn first_delay(spread: Duration, interval: Duration, unit: f64) -> Duration {
    spread.min(interval).mul_f64(unit.clamp(0.0, 1.0))
}

/// Delay before the next poll: the interval with ±10 % jitter (`unit` in `[0, 1)`), doubled per
/// consecutive failure up to 16× (and at most six hours, unless the interval itself is longer).
#[must_use]
pub fn next_delay(interval: Duration, failures: u32, unit: f64) -> Duration {
    let factor = 2u32.saturating_pow(failures).min(MAX_BACKOFF_FACTOR);
    let base = if failures == 0 { interval } else { (interval * factor).min(MAX_BACKOFF.max(interval)) };
    base.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0))
}

/// Delay before an item whose page failed `attempts` times (counting this one) is tried again:
/// a minute, doubling, at most an hour. It is picked up by the first poll of its feed after that.
#[must_use]
pub fn page_retry_delay(attempts: u32) -> Duration {
    Duration::from_mins(1).saturating_mul(1 << attempts.saturating_sub(1).min(6)).min(Duration::from_hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_mins(1);

    #[test]
    fn delays() {
        let cases = [
            // (interval, failures, unit, expected)
            (5 * MIN, 0, 0.5, 5 * MIN),
            (5 * MIN, 0, 0.0, Duration::from_secs(270)),
            (5 * MIN, 0, 1.0, Duration::from_secs(330)),
            (5 * MIN, 1, 0.5, 10 * MIN),
            (5 * MIN, 3, 0.5, 40 * MIN),
            (5 * MIN, 10, 0.5, 80 * MIN),
            (60 * MIN, 10, 0.5, 6 * 60 * MIN),
            (24 * 60 * MIN, 5, 0.5, 24 * 60 * MIN),
        ];
        for (interval, failures, unit, want) in cases {
            assert_eq!(next_delay(interval, failures, unit), want, "{interval:?} {failures} {unit}");
        }
    }

    #[test]
    fn page_retries_back_off() {
        let cases = [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (40, 60)];
        for (attempts, minutes) in cases {
            assert_eq!(page_retry_delay(attempts), Duration::from_mins(minutes), "{attempts}");
        }
    }

    #[test]
    fn first_polls_spread_within_bounds() {
        assert_eq!(first_delay(Duration::from_secs(5), 5 * MIN, 0.0), Duration::ZERO);
        assert_eq!(first_delay(Duration::from_secs(5), 5 * MIN, 0.5), Duration::from_millis(2500));
        assert_eq!(first_delay(Duration::from_secs(5), Duration::from_secs(2), 1.0), Duration::from_secs(2));
    }
}
