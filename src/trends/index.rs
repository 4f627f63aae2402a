//! The daily index: for each ordered actor pair and each actor alone, one [`Day`] per calendar
//! day from its first story on, with the stories per rung, the most outlets that carried one
//! story at each rung, and the conflict score.
//!
//! The conflict score of a day is the sum over its stories of
//! `level(rung) × (1 + log2(outlets))`: a threat counts 1, mobilisation or coercion 2, an
//! assault 3, a fight 4, and a story counts once more each time the independent outlets that
//! carried it double (1 outlet ×1, 2 ×2, 4 ×3, 8 ×4). Outlets weigh logarithmically because a
//! story every outlet carries is better attested, not seven times the event; copies of one wire
//! text are one outlet (the story stage counts them so).

use std::collections::HashMap;

use chrono::{Datelike as _, NaiveDate, TimeDelta};

use super::{Rung, Story, TrendsError};

/// Rungs on the ladder, the length of the per-rung arrays.
const RUNGS: usize = Rung::ALL.len();

/// One key's stories on one calendar day.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Day {
    /// Stories per rung, in [`Rung::ALL`] order.
    pub counts: [u32; RUNGS],
    /// The most independent outlets that carried one story of each rung: a signal needs
    /// corroboration, and two stories from one outlet are not two witnesses.
    pub outlets: [u32; RUNGS],
    /// The conflict score (module docs).
    pub score: f64,
}

impl Day {
    /// Counts one story.
    pub fn add(&mut self, rung: Rung, outlets: u32) {
        let i = rung.index();
        self.counts[i] += 1;
        self.outlets[i] = self.outlets[i].max(outlets);
        self.score += story_score(rung, outlets);
    }

    /// Stories of every rung.
    #[must_use]
    pub fn stories(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// The highest rung any story reached (coercion over mobilisation on a tie, as it is
    /// listed later); `None` on a day without stories.
    #[must_use]
    pub fn highest(&self) -> Option<Rung> {
        Rung::ALL.iter().copied().filter(|r| self.counts[r.index()] > 0).max_by_key(|r| r.level())
    }

    /// [`Rung::level`] of [`Day::highest`], 0 on a day without stories.
    #[must_use]
    pub fn level(&self) -> u8 {
        self.highest().map_or(0, Rung::level)
    }

    /// The most outlets that carried one story at `level` or above.
    #[must_use]
    pub fn outlets_from(&self, level: u8) -> u32 {
        Rung::ALL.iter().filter(|r| r.level() >= level).map(|r| self.outlets[r.index()]).max().unwrap_or(0)
    }
}

/// One story's part of the conflict score (module docs).
#[must_use]
pub fn story_score(rung: Rung, outlets: u32) -> f64 {
    f64::from(rung.level()) * (1.0 + f64::from(outlets.max(1)).log2())
}

/// One key's days, without gaps, from its first story on.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The date of `days[0]`.
    pub first: NaiveDate,
    /// One entry per calendar day; a day without stories is a default [`Day`].
    pub days: Vec<Day>,
}

impl Series {
    fn new(first: NaiveDate) -> Self {
        Self { first, days: Vec::new() }
    }

    /// The day at `date`, growing the series either way to reach it.
    fn day_mut(&mut self, date: NaiveDate) -> &mut Day {
        if self.days.is_empty() {
            self.first = date;
        }
        let offset = (date - self.first).num_days();
        if offset < 0 {
            let before = usize::try_from(-offset).unwrap_or(usize::MAX);
            self.days.splice(0..0, std::iter::repeat_n(Day::default(), before));
            self.first = date;
        }
        let at = usize::try_from((date - self.first).num_days()).unwrap_or(0);
        if at >= self.days.len() {
            self.days.resize(at + 1, Day::default());
        }
        &mut self.days[at]
    }

    /// The calendar date of `days[i]`.
    #[must_use]
    pub fn date(&self, i: usize) -> NaiveDate {
        self.first + TimeDelta::days(i64::try_from(i).unwrap_or(i64::MAX))
    }

    /// The weekday of `days[i]`, Monday 0 to Sunday 6.
    #[must_use]
    pub fn weekday(&self, i: usize) -> usize {
        (self.first.weekday().num_days_from_monday() as usize + i) % 7
    }

    /// A series of the given story counts (one story of `rung` and one outlet each, except
    /// `outlets` for all), from `first`: for tests and benchmarks of the detector.
    #[must_use]
    pub fn from_counts(first: NaiveDate, counts: &[u32], rung: Rung, outlets: u32) -> Self {
        let mut series = Self::new(first);
        for (i, &n) in counts.iter().enumerate() {
            let day = series.day_mut(first + TimeDelta::days(i64::try_from(i).unwrap_or(0)));
            for _ in 0..n {
                day.add(rung, outlets);
            }
        }
        series
    }
}

/// The index of every pair and actor seen.
#[derive(Debug, Default)]
pub struct Index {
    /// source → target → series: looked up by `&str` twice, so counting a story allocates only
    /// for a pair never seen before.
    pairs: HashMap<String, HashMap<String, Series>>,
    /// Each actor's stories, as source or target.
    actors: HashMap<String, Series>,
    /// Actors alone are not counted (a replay signals pairs only: half the memory).
    pairs_only: bool,
}

impl Index {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An index of pairs alone; [`Index::actor`] finds nothing in it.
    #[must_use]
    pub fn pairs_only() -> Self {
        Self { pairs_only: true, ..Self::default() }
    }

    /// Counts a story for its pair and for each of its actors.
    ///
    /// # Errors
    ///
    /// [`TrendsError::NoOutlets`] for a story no outlet carried, [`TrendsError::NoActor`] for an
    /// empty actor name.
    pub fn add(&mut self, story: &Story<'_>) -> Result<(), TrendsError> {
        if story.outlets == 0 {
            return Err(TrendsError::NoOutlets);
        }
        if story.source.is_empty() || story.target.is_empty() {
            return Err(TrendsError::NoActor);
        }
        let targets = entry(&mut self.pairs, story.source, HashMap::new);
        entry(targets, story.target, || Series::new(story.date))
            .day_mut(story.date)
            .add(story.rung, story.outlets);
        if self.pairs_only {
            return Ok(());
        }
        let mut actors = vec![story.source];
        if story.target != story.source {
            actors.push(story.target);
        }
        for actor in actors {
            entry(&mut self.actors, actor, || Series::new(story.date))
                .day_mut(story.date)
                .add(story.rung, story.outlets);
        }
        Ok(())
    }

    /// The series of the pair `source>target`.
    #[must_use]
    pub fn pair(&self, source: &str, target: &str) -> Option<&Series> {
        self.pairs.get(source)?.get(target)
    }

    /// The series of an actor alone.
    #[must_use]
    pub fn actor(&self, name: &str) -> Option<&Series> {
        self.actors.get(name)
    }

    /// Every pair as `(source, target, series)`, sorted by source then target.
    #[must_use]
    pub fn pairs(&self) -> Vec<(&str, &str, &Series)> {
        let mut out: Vec<_> = self
            .pairs
            .iter()
            .flat_map(|(s, targets)| targets.iter().map(move |(t, series)| (s.as_str(), t.as_str(), series)))
            .collect();
        out.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out
    }

    /// Every actor with its series, sorted by name.
    #[must_use]
    pub fn actors(&self) -> Vec<(&str, &Series)> {
        let mut out: Vec<_> = self.actors.iter().map(|(a, series)| (a.as_str(), series)).collect();
        out.sort_unstable_by_key(|(a, _)| *a);
        out
    }
}

/// `map[key]`, inserted from `new` when absent, without allocating a key to look it up.
fn entry<'m, V>(map: &'m mut HashMap<String, V>, key: &str, new: impl FnOnce() -> V) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), new());
    }
    map.get_mut(key).expect("inserted above")
}
