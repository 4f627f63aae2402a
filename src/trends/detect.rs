//! The spike and level-up detector of one series.
//!
//! **Spike.** A day is tested against a baseline of the 28 days that end 2 days before it (so
//! the first days of an outbreak do not raise the bar for the next), with a negative-binomial
//! upper bound (`nb`), not EARS-C2's normal one: counts of a few stories a day are skewed and
//! over-dispersed, and a normal bound on them is either blind or noisy. Four refinements over
//! the plain tail test (README.md, "Trends", measures each):
//!
//! - *Weekly rhythm.* Outlets publish less at weekends. Each weekday's share is estimated over
//!   the last 12 weeks of the same lagged history and shrunk toward 1 by 30 pseudo-stories, so a
//!   sparse pair keeps a flat week; the baseline level is the mean of rhythm-adjusted counts and
//!   the day's expectation is that level times its weekday's factor.
//! - *Dispersion over 12 weeks.* Over-dispersion is a property of the pair, and four weeks are
//!   too few to measure it: estimated on the same 12 weeks, it halves the false signals.
//! - *Estimation error.* The bound's variance is the dispersion times the expected count, plus
//!   the variance of the 28-day level as an estimate: a pair with three stories in four weeks
//!   does not get a confident bound from them. An empty window counts as half a story.
//! - *Two days.* The day summed with the day before is tested too (its own alpha) when the day
//!   itself is above expectation: an outbreak that starts in the evening, or rises over two
//!   days, stands out in the sum before it does in either day.
//!
//! A day that exceeded its bound weighs `alarmed_weight` in every later baseline, so one
//! outbreak does not mask the next; it still weighs something, so a lasting rise is learnt as
//! the new normal within weeks. A spike then needs at least `min_stories` stories, one of them
//! carried by at least `min_outlets` independent outlets, and no spike of the same series in the
//! `cooldown_days` before. A series with fewer than `min_history_days` days has
//! [`Assessment::Insufficient`] history: no guess is made.
//!
//! **Level-up.** A day whose highest rung stands above every rung of the 28 days before it, with
//! at least one earlier story in those days (a first story is no crossing), and a story at the
//! new height carried by `min_outlets` outlets. Under `min_history_days` no level-up is judged
//! either: the first rungs of a new pair are where it starts, not a crossing.

use chrono::NaiveDate;

use super::index::{Day, Series};
use super::nb;

crate::types::text_enum! {
    /// What a signal says.
    SignalKind {
        /// More stories than the baseline allows.
        Spike => "spike",
        /// A higher rung than in the weeks before.
        LevelUp => "level_up",
    }
}

/// The detector's settings; [`Settings::default`] is what the README's figures were measured
/// with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Days in the baseline window.
    pub baseline_days: usize,
    /// Days skipped between the baseline and the day tested.
    pub lag_days: usize,
    /// Weeks of lagged history the weekly rhythm is estimated on.
    pub rhythm_weeks: usize,
    /// Pseudo-stories that pull each weekday's factor toward 1.
    pub rhythm_prior: f64,
    /// Days of history before a spike can be judged.
    pub min_history_days: usize,
    /// Days after a spike during which the series raises no other.
    pub cooldown_days: usize,
    /// The tail probability a day's count must fall under.
    pub alpha: f64,
    /// The tail probability the sum of a day and the day before must fall under.
    pub alpha_two_days: f64,
    /// Weight in later baselines of a day that exceeded its bound (others weigh 1).
    pub alarmed_weight: f64,
    /// Stories a spike needs.
    pub min_stories: u32,
    /// Outlets that must have carried one of a signal's stories.
    pub min_outlets: u32,
    /// Days before a day whose highest rung a level-up must exceed.
    pub level_window_days: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            baseline_days: 28,
            lag_days: 2,
            rhythm_weeks: 12,
            rhythm_prior: 30.0,
            min_history_days: 14,
            cooldown_days: 7,
            alpha: 3e-5,
            alpha_two_days: 3e-4,
            alarmed_weight: 0.2,
            min_stories: 2,
            min_outlets: 2,
            level_window_days: 28,
        }
    }
}

/// One count against its bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    /// Stories counted.
    pub observed: u32,
    /// Stories the baseline expects on those weekdays.
    pub expected: f64,
    /// The least count that exceeds the baseline.
    pub upper: u32,
}

impl Test {
    /// The count reached the bound.
    #[must_use]
    pub fn exceeded(&self) -> bool {
        self.observed >= self.upper
    }
}

/// The judgement of one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Assessment {
    /// Under `min_history_days` of history: the pair is too new to have a normal.
    Insufficient { days: usize },
    /// Tested against its baseline.
    Tested {
        /// The day alone.
        day: Test,
        /// The day and the day before, summed: an outbreak that starts in the evening, or
        /// rises over two days, stands out in the sum before it does in either day.
        two_days: Test,
    },
}

impl Assessment {
    /// The day alone exceeded its bound, or it was above expectation and the two days' sum
    /// exceeded theirs.
    #[must_use]
    pub fn exceeded(&self) -> bool {
        match self {
            Self::Insufficient { .. } => false,
            Self::Tested { day, two_days } => {
                day.exceeded() || (two_days.exceeded() && f64::from(day.observed) > day.expected)
            }
        }
    }
}

/// What the history before a day says to expect.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    /// Stories on an average weekday, rhythm taken out.
    level: f64,
    /// Each weekday's factor, Monday first.
    factors: [f64; 7],
    /// Variance over mean of the rhythm-adjusted counts, at least 1 (Poisson).
    dispersion: f64,
    /// The variance of `level` as an estimate.
    level_var: f64,
}

impl Baseline {
    /// The mean and variance of the stories over days whose weekday factors sum to `f`.
    fn predict(&self, f: f64) -> (f64, f64) {
        let expected = self.level * f;
        (expected, expected * self.dispersion + f * f * self.level_var)
    }
}

/// A signal of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signal {
    /// The index of the day in its series.
    pub day: usize,
    pub date: NaiveDate,
    pub kind: SignalKind,
    /// Stories of the day (spike) or the rung level reached (level-up).
    pub observed: u32,
    /// Stories expected (spike) or the highest level of the window before (level-up).
    pub expected: f64,
    /// The day's least count that signals (spike) or the level that did (level-up).
    pub upper: u32,
    /// The spike showed in the sum of the day and the day before, not in the day alone.
    pub two_days: bool,
}

impl Signal {
    /// A stable id for the signal of the pair `source>target`: the same pair, day and kind
    /// always get the same id, so a receiver (or the outbox) can deliver it once however often
    /// the index is rebuilt or the day re-judged.
    #[must_use]
    pub fn id(&self, source: &str, target: &str) -> String {
        use sha2::{Digest as _, Sha256};
        use std::fmt::Write as _;
        let key = format!("{source}\u{1f}{target}\u{1f}{}\u{1f}{}", self.date, self.kind);
        Sha256::digest(key.as_bytes()).iter().take(12).fold(String::from("dyad_"), |mut id, b| {
            let _ = write!(id, "{b:02x}");
            id
        })
    }
}

/// Judges series with fixed settings.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    settings: Settings,
}

impl Detector {
    #[must_use]
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }

    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every signal of a series, day by day, oldest first.
    #[must_use]
    pub fn scan(&self, series: &Series) -> Vec<Signal> {
        let s = &self.settings;
        let mut alarmed = vec![false; series.days.len()];
        let mut last_spike: Option<usize> = None;
        let mut out = Vec::new();
        for t in 0..series.days.len() {
            if let Some(signal) = self.level_up(series, t) {
                out.push(signal);
            }
            let day = &series.days[t];
            if day.stories() < s.min_stories {
                continue;
            }
            let assessment = self.assess(series, &alarmed, t);
            let Assessment::Tested { day: test, two_days } = assessment else { continue };
            if !assessment.exceeded() {
                continue;
            }
            alarmed[t] = true;
            let cooling = last_spike.is_some_and(|at| t - at < s.cooldown_days);
            if !cooling && day.outlets_from(0) >= s.min_outlets {
                last_spike = Some(t);
                out.push(Signal {
                    day: t,
                    date: series.date(t),
                    kind: SignalKind::Spike,
                    observed: test.observed,
                    expected: test.expected,
                    upper: test.upper,
                    two_days: !test.exceeded() && two_days.exceeded(),
                });
            }
        }
        out
    }

    /// Each day's own test against its baseline, as [`Detector::scan`] judges the days (days
    /// that exceeded weigh less in the baselines after them); `None` while the history is too
    /// short. What a chart draws as the expected band.
    #[must_use]
    pub fn tests(&self, series: &Series) -> Vec<Option<Test>> {
        let mut alarmed = vec![false; series.days.len()];
        let mut out = Vec::with_capacity(series.days.len());
        for t in 0..series.days.len() {
            let assessment = self.assess(series, &alarmed, t);
            alarmed[t] = series.days[t].stories() >= self.settings.min_stories && assessment.exceeded();
            out.push(match assessment {
                Assessment::Tested { day, .. } => Some(day),
                Assessment::Insufficient { .. } => None,
            });
        }
        out
    }

    /// Day `t` of `series` against its baseline; `alarmed[i]` says day `i` exceeded its own.
    #[must_use]
    pub fn assess(&self, series: &Series, alarmed: &[bool], t: usize) -> Assessment {
        let s = &self.settings;
        // Day 0 has no day before it to sum with, whatever the settings say.
        if t < s.min_history_days.max(1) {
            return Assessment::Insufficient { days: t };
        }
        let baseline = self.baseline(series, alarmed, t.saturating_sub(s.lag_days));
        let f = baseline.factors[series.weekday(t)];
        let observed = series.days[t].stories();
        let (expected, var) = baseline.predict(f);
        let day = Test { observed, expected, upper: nb::upper(expected, var, s.alpha).max(s.min_stories) };
        let f2 = f + baseline.factors[series.weekday(t - 1)];
        let observed = observed + series.days[t - 1].stories();
        let (expected, var) = baseline.predict(f2);
        let two_days = Test { observed, expected, upper: nb::upper(expected, var, s.alpha_two_days) };
        Assessment::Tested { day, two_days }
    }

    /// The baseline of the days before `end`: its level from the last `baseline_days`, its
    /// weekly rhythm and dispersion from the last `rhythm_weeks`.
    fn baseline(&self, series: &Series, alarmed: &[bool], end: usize) -> Baseline {
        let s = &self.settings;
        let weight = |i: usize| if alarmed.get(i).copied().unwrap_or(false) { s.alarmed_weight } else { 1.0 };
        let long = end.saturating_sub(7 * s.rhythm_weeks)..end;
        let (mut stories, mut days) = ([0.0; 7], [0.0; 7]);
        for i in long.clone() {
            let (wd, w) = (series.weekday(i), weight(i));
            stories[wd] += w * f64::from(series.days[i].stories());
            days[wd] += w;
        }
        let total_days: f64 = days.iter().sum();
        let rate = stories.iter().sum::<f64>() / total_days.max(1.0);
        let prior = s.rhythm_prior;
        let factors: [f64; 7] = std::array::from_fn(|wd| (stories[wd] + prior) / (days[wd] * rate + prior));
        // Rhythm-adjusted counts: their weighted mean and variance over a window.
        let moments = |range: std::ops::Range<usize>| {
            let (mut sum_w, mut sum, mut squares) = (0.0, 0.0, 0.0);
            for i in range {
                let (x, w) = (f64::from(series.days[i].stories()) / factors[series.weekday(i)], weight(i));
                sum_w += w;
                sum += w * x;
                squares += w * x * x;
            }
            let mean = (sum / sum_w.max(1.0)).max(0.5 / sum_w.max(1.0));
            let var = ((squares - sum_w * mean * mean) / (sum_w - 1.0).max(1.0)).max(0.0);
            (sum_w, mean, var)
        };
        let (_, long_mean, long_var) = moments(long);
        let (sum_w, level, _) = moments(end.saturating_sub(s.baseline_days)..end);
        let dispersion = (long_var / long_mean).max(1.0);
        Baseline { level, factors, dispersion, level_var: level * dispersion / sum_w.max(1.0) }
    }

    /// The level-up of day `t`, if it is one.
    #[must_use]
    pub fn level_up(&self, series: &Series, t: usize) -> Option<Signal> {
        let s = &self.settings;
        if t < s.min_history_days {
            return None;
        }
        let day: &Day = &series.days[t];
        let level = day.level();
        let before = series.days[t.saturating_sub(s.level_window_days)..t].iter().map(Day::level).max()?;
        let crossed = before > 0 && level > before && day.outlets_from(before + 1) >= s.min_outlets;
        crossed.then(|| Signal {
            day: t,
            date: series.date(t),
            kind: SignalKind::LevelUp,
            observed: u32::from(level),
            expected: f64::from(before),
            upper: u32::from(before + 1),
            two_days: false,
        })
    }
}
