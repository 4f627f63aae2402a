//! The detector run live, over the index as it stands at a moment `now` (pure): "today" is the
//! rolling 24 hours up to `now`, not the calendar day, so a spike that starts at 23:00 is seen
//! at 23:10, and a sweep at 00:10 still sees it. Each story is dated on a calendar shifted so
//! that its last day ends at `now` ([`rolling_day`]); the detector then judges that last day
//! exactly as it judges any day of a replay.
//!
//! Signals are judged per ordered pair (the index of an actor alone is for reading: a pair's
//! spike is its actors' spike too, and one event should say so once). What it finds is a
//! [`Found`]: the signal, the pair, the baseline window, the change against the four weeks before, and the stories of the day that
//! drove it. Deciding whether it was already raised, and raising it, is the store's part.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{Detector, Index, Rung, Series, Signal, SignalKind, Story, StoryPart, story_score};

/// Stories of the day a signal lists, most weighty first.
pub const TOP_STORIES: usize = 5;

/// The day of `at` on the calendar whose last day is the 24 hours up to `now`: `now` itself
/// and the 24 hours before it fall on `now`'s calendar date, the 24 hours before those on the
/// date before, and so on.
#[must_use]
pub fn rolling_day(at: DateTime<Utc>, now: DateTime<Utc>) -> NaiveDate {
    let today = now.date_naive();
    let end = today.and_hms_milli_opt(23, 59, 59, 999).map_or(now, |t| t.and_utc());
    (at + (end - now)).date_naive()
}

/// The start of rolling day `day` (it ends 24 hours later), for `now`.
#[must_use]
pub fn rolling_start(day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::days((now.date_naive() - day).num_days() + 1)
}

/// A story's part dated by its first article's time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedPart {
    pub part: StoryPart,
    /// The story's first article, on the story clock.
    pub first_seen: DateTime<Utc>,
}

/// A signal of the last rolling day, found but not yet raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub signal: Signal,
    pub source: String,
    pub target: String,
    /// The 24 hours judged.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// The baseline's days: from, to (exclusive).
    pub baseline: (DateTime<Utc>, DateTime<Utc>),
    /// The day's stories against the mean day of the 28 before it, in percent; `None` when
    /// those days had no story.
    pub change_pct: Option<f64>,
    /// For a level-up: the rung reached and the highest of the weeks before.
    pub rungs: Option<(Rung, Rung)>,
    /// The day's stories that drove it, most weighty first, at most [`TOP_STORIES`].
    pub stories: Vec<StoryPart>,
}

impl Found {
    /// The signal's id: the same pair, rolling day and kind give the same id.
    #[must_use]
    pub fn id(&self) -> String {
        self.signal.id(&self.source, &self.target)
    }
}

/// Every signal the detector gives the rolling day that ends at `now`, for every pair, in pair
/// order. Parts dated after `now` are left out.
#[must_use]
pub fn current(detector: &Detector, parts: &[TimedPart], now: DateTime<Utc>) -> Vec<Found> {
    let today = now.date_naive();
    let mut index = Index::pairs_only();
    let mut dated: Vec<(NaiveDate, &StoryPart)> = Vec::with_capacity(parts.len());
    for timed in parts.iter().filter(|t| t.first_seen <= now) {
        let date = rolling_day(timed.first_seen, now);
        let part = &timed.part;
        let story = Story {
            date,
            source: &part.source,
            target: &part.target,
            rung: part.rung,
            outlets: part.outlets,
        };
        if index.add(&story).is_ok() {
            dated.push((date, part));
        }
    }
    let mut out = Vec::new();
    for (source, target, series) in index.pairs() {
        let Some(last) = series.days.len().checked_sub(1) else { continue };
        if series.date(last) != today {
            continue;
        }
        for signal in detector.scan(series).into_iter().filter(|s| s.day == last) {
            let stories = top_stories(&dated, today, source, target);
            out.push(found(detector, series, signal, source, target, now, stories));
        }
    }
    out
}

/// The stories of `day` of the pair, most weighty first.
fn top_stories(
    dated: &[(NaiveDate, &StoryPart)],
    day: NaiveDate,
    source: &str,
    target: &str,
) -> Vec<StoryPart> {
    let mut stories: Vec<&StoryPart> = dated
        .iter()
        .filter(|(d, p)| *d == day && p.source == source && p.target == target)
        .map(|(_, p)| *p)
        .collect();
    stories.sort_by(|a, b| {
        story_score(b.rung, b.outlets)
            .total_cmp(&story_score(a.rung, a.outlets))
            .then_with(|| a.story.cmp(&b.story))
    });
    stories.into_iter().take(TOP_STORIES).cloned().collect()
}

fn found(
    detector: &Detector,
    series: &Series,
    signal: Signal,
    source: &str,
    target: &str,
    now: DateTime<Utc>,
    stories: Vec<StoryPart>,
) -> Found {
    let s = detector.settings();
    let t = signal.day;
    let day_start = |i: usize| rolling_start(series.date(i), now);
    let end = t.saturating_sub(s.lag_days);
    let start = end.saturating_sub(s.baseline_days);
    let before = &series.days[t.saturating_sub(28)..t];
    let mean = f64::from(before.iter().map(super::Day::stories).sum::<u32>()) / 28.0;
    let observed = f64::from(series.days[t].stories());
    let change_pct = (mean > 0.0).then(|| ((observed / mean - 1.0) * 1000.0).round() / 10.0);
    let rungs = (signal.kind == SignalKind::LevelUp)
        .then(|| {
            let reached = series.days[t].highest()?;
            let window = &series.days[t.saturating_sub(s.level_window_days)..t];
            let previous = window.iter().filter_map(super::Day::highest).max_by_key(|r| r.level())?;
            Some((reached, previous))
        })
        .flatten();
    Found {
        signal,
        source: source.to_string(),
        target: target.to_string(),
        window: (now - TimeDelta::days(1), now),
        baseline: (day_start(start), day_start(end)),
        change_pct,
        rungs,
        stories,
    }
}
