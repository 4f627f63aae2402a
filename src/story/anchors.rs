//! What an article's language does not change, for joining reports of one event in two
//! scripts: the canonical names of the actors the scorer named in it and the numbers of its
//! title and lede. Pure.

use super::Article;
use super::text::numbers;

/// Bytes of a body, after its title, whose numbers are an article's anchors: its lede.
const LEDE_BYTES: usize = 1_000;

/// What an article's language does not change: the canonical names of the actors it names,
/// and the numbers of its title and lede.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Anchors {
    pub(super) names: Vec<String>,
    pub(super) numbers: Vec<u32>,
}

impl Anchors {
    pub(super) fn of(article: &Article<'_>) -> Self {
        let mut names: Vec<String> = article.names.iter().map(|n| n.to_lowercase()).collect();
        names.sort_unstable();
        names.dedup();
        let mut cut = article.body.len().min(LEDE_BYTES);
        while !article.body.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut numbers: Vec<u32> = numbers(article.title).chain(numbers(&article.body[..cut])).collect();
        numbers.sort_unstable();
        numbers.dedup();
        Self { names, numbers }
    }

    pub(super) fn merge(&mut self, other: &Self) {
        self.names.extend(other.names.iter().cloned());
        self.names.sort_unstable();
        self.names.dedup();
        self.numbers.extend(&other.numbers);
        self.numbers.sort_unstable();
        self.numbers.dedup();
    }

    /// Names and numbers shared with `other`.
    pub(super) fn shared(&self, other: &Self) -> (usize, usize) {
        let names = self.names.iter().filter(|n| other.names.contains(n)).count();
        let numbers = self.numbers.iter().filter(|n| other.numbers.contains(n)).count();
        (names, numbers)
    }
}
