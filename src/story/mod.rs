//! Stories: online clustering of articles into the real-world events they report, so an event
//! carried by seven outlets is one story with seven outlets, not seven articles.
//!
//! After Miranda et al. (EMNLP 2018, "Multilingual clustering of streaming news"): each article
//! has three TF-IDF representations (title, body, named entities: capitalised names and places,
//! numbers such as casualty counts), with document frequencies updated online as articles
//! arrive. Its candidates are the stories of the window ([`Settings::window`]) sharing a
//! distinctive title or entity term with it, found through an inverted index; a fixed ensemble
//! of gradient-boosted trees over the similarities, shared names and time decides join or new
//! (see `decide`).
//! A near-duplicate of an article already in a candidate story (simhash of the body) joins that
//! story as a copy, and a copy from another site is not an independent outlet.
//!
//! The core is pure: the clock is each article's time. The daemon keeps the stories in SQLite
//! and rebuilds the window at start with [`Clusterer::reload`].

mod anchors;
mod cluster;
mod decide;
pub mod lifecycle;
mod sparse;
mod text;
mod vocab;

#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

pub use cluster::Clusterer;

/// The clustering's settings (the config module builds them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How long a story stays a candidate after its last article through its title and entity
    /// words. Follow-ups of local crime stories come days to weeks apart, so a month.
    pub window: Duration,
    /// How long a story stays reachable after its last article through a full name few
    /// articles carry (a victim named again at a trial years later): then it is evicted. Memory
    /// is bounded by `max_stories` and `max_bytes` either way.
    pub archive: Duration,
    /// Document frequencies halve every this long, so they follow the recent vocabulary.
    pub idf_half_life: Duration,
    /// Most differing simhash bits of two bodies that are one text (a wire copy).
    pub max_hamming: u32,
    /// Most stories held in the window: past it the least recently seen are evicted first, so
    /// memory stays bounded when articles come faster than the window can hold (300,000 a day
    /// would be millions of stories in 30 days).
    pub max_stories: usize,
    /// Most bytes the window's stories may hold, by [`Clusterer::bytes`]'s estimate: past it
    /// the least recently seen are evicted first, like past `max_stories`. A story of long
    /// articles from many outlets holds far more than a short one's.
    pub max_bytes: usize,
    /// A story with no article for this long is resolved (its alert too), and its severity is
    /// that of its articles within this of its latest alerting one.
    pub resolve_after: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            window: Duration::from_hours(30 * 24),
            archive: Duration::from_hours(1_500 * 24),
            idf_half_life: Duration::from_hours(365 * 24),
            max_hamming: 3,
            max_stories: 5_000,
            max_bytes: 32 << 20,
            resolve_after: Duration::from_hours(72),
        }
    }
}

/// Why a story input was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    #[error("date {0:?} is neither RFC 3339 nor YYYY-MM-DD")]
    Date(String),
}

/// Where an article went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The story's id, which its alert carries: `alrt_` and a hash of its first article's key,
    /// so it never changes.
    pub story: String,
    /// The article opened the story.
    pub opened: bool,
    /// The article is a near-duplicate of another site's article in the story.
    pub copy: bool,
    /// Articles of the story in the window, this one included.
    pub articles: usize,
    /// Independent outlets of the story: sites, copies not counted.
    pub outlets: usize,
}

/// One article to place.
#[derive(Debug, Clone, Copy)]
pub struct Article<'a> {
    /// Its unique key (a canonical URL, a replay id).
    pub key: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    /// The site that published it ([`outlet_of`] its URL).
    pub outlet: &'a str,
    /// Its time: the story clock.
    pub at: DateTime<Utc>,
    /// The canonical names of the actors the scorer found in it ("Pakistan" for "پاکستان"): what
    /// lets reports of one event in two languages meet.
    pub names: &'a [String],
}

impl Clusterer {
    /// Places `article`: it joins a story of the window or opens one.
    pub fn add(&mut self, article: &Article<'_>) -> Placement {
        self.place(article)
    }

    /// Puts back a stored article of story `story` (whether it was a copy), rebuilding the
    /// window at start; call in time order.
    pub fn reload(&mut self, story: &str, article: &Article<'_>, copy: bool) {
        self.restore(story, article, copy);
    }
}

/// A story's id from its first article's key; its alert's id too, so a receiver can
/// deduplicate on it even across databases. The first 12 bytes of the key's SHA-256, after
/// `alrt_` (the prefix of the alert ids of the articles stored before stories).
#[must_use]
pub fn story_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().take(12).fold(String::from("alrt_"), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

/// The outlet of an article address: its host without `www.`, with its port when it names one
/// (two servers on one host are two outlets); the address itself if it has no host.
#[must_use]
pub fn outlet_of(url: &str) -> String {
    let Some(parsed) = url::Url::parse(url).ok() else { return url.to_string() };
    let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else { return url.to_string() };
    let host = host.strip_prefix("www.").map_or_else(|| host.clone(), str::to_string);
    match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// A publication time: RFC 3339, or a day (`2014-03-02`, taken as its midnight UTC).
///
/// # Errors
/// [`StoryError::Date`] for anything else.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, StoryError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| StoryError::Date(text.to_string()))
}
