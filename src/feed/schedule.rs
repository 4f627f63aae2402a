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

/// Bounds on the time between two polls of one feed (`[feeds_defaults] min_interval`,
/// `max_interval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub min: Duration,
    pub max: Duration,
}

/// Delay before the next poll, with ±10 % jitter from `unit` in `[0, 1)`.
///
/// - After a success: the feed's interval, or longer when the feed asks for it (`<ttl>`,
///   `Cache-Control: max-age`, given as `hint`), within `bounds`.
/// - After failures: the interval doubled per consecutive failure, up to 16× and six hours (so
///   a feed never drops out), and never sooner than a `Retry-After` (`hint`, within `bounds`).
#[must_use]
pub fn next_delay(
    interval: Duration,
    failures: u32,
    hint: Option<Duration>,
    bounds: Bounds,
    unit: f64,
) -> Duration {
    let clamp = |d: Duration| d.clamp(bounds.min, bounds.max.max(bounds.min));
    let interval = clamp(interval);
    let base = if failures == 0 {
        clamp(interval.max(hint.unwrap_or_default()))
    } else {
        let factor = 2u32.saturating_pow(failures).min(MAX_BACKOFF_FACTOR);
        let backoff = (interval * factor).min(MAX_BACKOFF.max(interval));
        backoff.max(hint.map(clamp).unwrap_or_default())
    };
    base.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_mins(1);

    const BOUNDS: Bounds = Bounds { min: MIN, max: Duration::from_hours(1) };

    #[test]
    fn delays() {
        let cases = [
            // (interval, failures, hint, unit, expected)
            (5 * MIN, 0, None, 0.5, 5 * MIN),
            (5 * MIN, 0, None, 0.0, Duration::from_secs(270)),
            (5 * MIN, 0, None, 1.0, Duration::from_secs(330)),
            // <ttl> or max-age longer than the interval is honoured, up to max_interval.
            (5 * MIN, 0, Some(30 * MIN), 0.5, 30 * MIN),
            (5 * MIN, 0, Some(24 * 60 * MIN), 0.5, 60 * MIN),
            (5 * MIN, 0, Some(MIN), 0.5, 5 * MIN),
            // Intervals outside the bounds are brought inside.
            (Duration::from_secs(10), 0, None, 0.5, MIN),
            (3 * 60 * MIN, 0, None, 0.5, 60 * MIN),
            // Backoff doubles per failure, up to 16x and six hours.
            (5 * MIN, 1, None, 0.5, 10 * MIN),
            (5 * MIN, 3, None, 0.5, 40 * MIN),
            (5 * MIN, 10, None, 0.5, 80 * MIN),
            (60 * MIN, 10, None, 0.5, 6 * 60 * MIN),
            // Retry-After is honoured within the bounds, never undercutting backoff.
            (5 * MIN, 1, Some(2 * MIN), 0.5, 10 * MIN),
            (5 * MIN, 1, Some(30 * MIN), 0.5, 30 * MIN),
            (5 * MIN, 1, Some(24 * 60 * MIN), 0.5, 60 * MIN),
        ];
        for (interval, failures, hint, unit, want) in cases {
            assert_eq!(
                next_delay(interval, failures, hint, BOUNDS, unit),
                want,
                "{interval:?} {failures} {hint:?} {unit}"
            );
        }
    }

    #[test]
    fn first_polls_spread_within_bounds() {
        assert_eq!(first_delay(Duration::from_secs(5), 5 * MIN, 0.0), Duration::ZERO);
        assert_eq!(first_delay(Duration::from_secs(5), 5 * MIN, 0.5), Duration::from_millis(2500));
        assert_eq!(first_delay(Duration::from_secs(5), Duration::from_secs(2), 1.0), Duration::from_secs(2));
    }
}
