//! Trends: a daily index of stories per ordered actor pair (`Pakistan>Afghanistan`) and per
//! actor alone, and the detector that turns it into signals: a *spike* when a day's stories
//! stand out from the pair's own baseline, a *level-up* when the pair reaches a higher rung of
//! the escalation ladder than in the weeks before.
//!
//! The core is pure: it sees stories (a date, two actors, a rung, how many independent outlets
//! carried it) and days, never the clock or the database. `index` keeps the days; `detect`
//! judges them; `nb` holds the negative-binomial arithmetic the judgement rests on.

mod detect;
mod index;
pub mod live;
pub mod nb;

#[cfg(test)]
mod tests;

pub use detect::{Assessment, Detector, Settings, Signal, SignalKind, Test};
pub use index::{Day, Index, Series, story_score};

use chrono::NaiveDate;

crate::types::text_enum! {
    /// The event categories of a story, in the order of the escalation ladder (PLOVER names):
    /// threaten < mobilize = coerce < assault < fight.
    Rung {
        /// A threat of force or of a penalty.
        Threaten => "threaten",
        /// Forces moved, alerted or massed.
        Mobilize => "mobilize",
        /// Coercion short of violence: blockades, expulsions, force against protesters.
        Coerce => "coerce",
        /// Violence by one party: an attack, a bombing, a kidnapping.
        Assault => "assault",
        /// Armed violence between two parties' forces.
        Fight => "fight",
    }
}

impl Rung {
    /// Its step on the ladder, 1 to 4: mobilisation and coercion share the second.
    #[must_use]
    pub fn level(self) -> u8 {
        match self {
            Self::Threaten => 1,
            Self::Mobilize | Self::Coerce => 2,
            Self::Assault => 3,
            Self::Fight => 4,
        }
    }

    /// Its place in [`Rung::ALL`], for per-rung arrays.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One story as the index counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Story<'a> {
    /// The day it is counted on (its first article's, in UTC).
    pub date: NaiveDate,
    /// The actor that acts.
    pub source: &'a str,
    /// The actor acted upon.
    pub target: &'a str,
    /// The highest rung its events reached.
    pub rung: Rung,
    /// Independent outlets that carried it (copies of one wire story count once); at least 1.
    pub outlets: u32,
}

/// One story's part in one pair's index, as it is kept: the story's date, the highest rung the
/// alerts of its articles gave the pair, and its outlets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoryPart {
    /// The story's id.
    pub story: String,
    pub source: String,
    pub target: String,
    pub date: NaiveDate,
    pub rung: Rung,
    pub outlets: u32,
}

impl StoryPart {
    /// The story as the index counts it.
    #[must_use]
    pub fn as_story(&self) -> Story<'_> {
        Story {
            date: self.date,
            source: &self.source,
            target: &self.target,
            rung: self.rung,
            outlets: self.outlets,
        }
    }

    /// This part grown by `other` (the same story and pair seen again): the higher rung, the
    /// most outlets, the earlier date.
    #[must_use]
    pub fn merged(mut self, other: &Self) -> Self {
        if other.rung.level() > self.rung.level() {
            self.rung = other.rung;
        }
        self.outlets = self.outlets.max(other.outlets);
        self.date = self.date.min(other.date);
        self
    }
}

/// One part per story and pair: the alerts of a story's articles may name its pair many times.
#[must_use]
pub fn merge_parts(mut parts: Vec<StoryPart>) -> Vec<StoryPart> {
    parts.sort_unstable();
    let mut out: Vec<StoryPart> = Vec::with_capacity(parts.len());
    for part in parts {
        match out.last_mut() {
            Some(last)
                if (&last.story, &last.source, &last.target) == (&part.story, &part.source, &part.target) =>
            {
                *last = last.clone().merged(&part);
            }
            _ => out.push(part),
        }
    }
    out
}

/// The index's rung for an alert's event: the scorer files coercion with mobilisation, so an
/// event's mobilisation is counted as `mobilize`.
#[must_use]
pub fn rung_of_event(rung: crate::score::Rung) -> Rung {
    match rung {
        crate::score::Rung::Threat => Rung::Threaten,
        crate::score::Rung::Mobilisation => Rung::Mobilize,
        crate::score::Rung::Attack => Rung::Assault,
        crate::score::Rung::Clash => Rung::Fight,
    }
}

/// Why a story could not be counted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrendsError {
    #[error("date {0:?} is not YYYY-MM-DD")]
    Date(String),
    #[error("rung {0:?} is none of {spellings}", spellings = Rung::spellings())]
    Rung(String),
    #[error("a story needs at least one outlet")]
    NoOutlets,
    #[error("a story needs a source and a target actor")]
    NoActor,
}

/// `YYYY-MM-DD` (the replay format's dates), without the cost of a format string.
///
/// # Errors
///
/// [`TrendsError::Date`] for anything else.
pub fn parse_date(text: &str) -> Result<NaiveDate, TrendsError> {
    let bad = || TrendsError::Date(text.to_string());
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return Err(bad()) };
    let y = i32::try_from(y).map_err(|_| bad())?;
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)
}

/// A rung by its category name.
///
/// # Errors
///
/// [`TrendsError::Rung`] for a name off the ladder.
pub fn parse_rung(text: &str) -> Result<Rung, TrendsError> {
    Rung::parse(text).ok_or_else(|| TrendsError::Rung(text.to_string()))
}
