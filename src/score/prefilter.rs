//! Which sentences of an article's body to search in full: a key word per literal, searched for
//! in the raw body in one pass (see `keys.rs`), and the sentences holding a key or a character
//! whose normal form may hide a letter. The result is the same as searching every sentence.

use super::keys::Keys;
use super::matcher::{Literals, Use};
use super::scorer::ScoreError;
use super::text;

/// Words found in most sentences of English news, the worst keys for the prefilter.
const COMMON_WORDS: &[&str] = &[
    "the", "of", "to", "and", "a", "an", "in", "is", "was", "were", "be", "been", "are", "for", "on", "at",
    "by", "with", "as", "from", "that", "this", "it", "its", "has", "have", "had", "will", "would", "not",
    "or", "but", "all", "said", "says", "they", "their", "he", "she", "his", "her", "who", "which", "under",
    "against", "over", "into", "after", "about", "more", "than", "also", "came", "come", "use", "used",
    "made", "make", "state", "new", "one", "two", "out", "up", "act",
];

/// The keys of `main`'s literals; `None` when some literal has none, so every sentence must be
/// searched.
pub(super) fn keys_of(main: &Literals<Use>) -> Result<Option<Keys>, ScoreError> {
    let mut keys = std::collections::BTreeSet::new();
    for (literal, uses) in main.patterns.iter().zip(&main.uses) {
        if uses.iter().all(|u| matches!(u, Use::Exclude)) {
            continue;
        }
        // A letter or digit beyond ASCII in the text comes from a character `unusual_chars`
        // reports, whose sentence is searched in full anyway: such a literal needs no key.
        if literal.chars().any(|c| !c.is_ascii() && c.is_alphanumeric()) {
            continue;
        }
        // Its longest run of letters and digits, common words last: "came under fire" is keyed
        // by "fire", which fewer sentences hold.
        let Some(key) = literal
            .split(|c: char| !c.is_ascii_alphanumeric())
            .max_by_key(|run| (!COMMON_WORDS.contains(run), run.len()))
        else {
            continue;
        };
        if key.is_empty() {
            return Ok(None);
        }
        keys.insert(key);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    Keys::new(keys).map(Some).map_err(ScoreError::Build)
}

/// The sentences of `body` where a rule may match, in order, each once.
pub(super) fn candidates<'a>(keys: &Keys, body: &'a str) -> impl Iterator<Item = &'a str> {
    // A key is a whole run of letters and digits of its literal, so where the literal matches,
    // the key stands in the raw text as a whole word.
    let found = keys.find(body.as_bytes());
    let unusual = text::unusual_chars(body);
    let mut done = 0;
    merged(found, unusual).filter_map(move |at| {
        if at < done {
            return None;
        }
        let (start, end) = text::sentence_around(body, at);
        done = end.max(at + 1);
        let sentence = body[start..end].trim();
        (!sentence.is_empty()).then_some(sentence)
    })
}

/// The union of two ascending lists, ascending.
fn merged(first: Vec<usize>, second: Vec<usize>) -> impl Iterator<Item = usize> {
    let mut left = first.into_iter().peekable();
    let mut right = second.into_iter().peekable();
    std::iter::from_fn(move || match (left.peek(), right.peek()) {
        (Some(l), Some(r)) if l <= r => left.next(),
        (_, Some(_)) => right.next(),
        _ => left.next(),
    })
}
