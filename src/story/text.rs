//! Article text → what the clusterer compares: three term bags (title, body, named entities)
//! and a simhash fingerprint of the body that finds syndicated copies. Pure.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// A term, as the FNV-1a hash of its lowercase spelling: no strings are kept per story.
pub(crate) type Term = u64;

/// Hashes a [`Term`], itself a hash, by mixing its bits: fast, and the same in every process,
/// so a map iterates in one order and sums of floats over it are the same on every replay.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TermHasher(u64);

impl Hasher for TermHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(self.0, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

/// A map keyed by terms.
pub(crate) type TermMap<V> = HashMap<Term, V, BuildHasherDefault<TermHasher>>;

/// Term → occurrences.
pub(crate) type Bag = TermMap<f32>;

/// Fewest body words a fingerprint is taken over: shorter texts are too alike by chance.
const MIN_FINGERPRINT_WORDS: usize = 24;

/// Words that say nothing about which event a report is about: function words, reporting
/// verbs, weekdays. Capitalised, they are not entities either ("The", "Monday").
const STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "is",
    "was",
    "were",
    "be",
    "been",
    "being",
    "are",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "we",
    "you",
    "i",
    "his",
    "her",
    "their",
    "our",
    "your",
    "them",
    "him",
    "who",
    "whom",
    "which",
    "what",
    "when",
    "where",
    "why",
    "how",
    "not",
    "no",
    "so",
    "than",
    "then",
    "there",
    "here",
    "also",
    "after",
    "before",
    "over",
    "under",
    "into",
    "out",
    "up",
    "down",
    "about",
    "said",
    "says",
    "say",
    "would",
    "could",
    "should",
    "will",
    "can",
    "may",
    "might",
    "has",
    "have",
    "had",
    "do",
    "does",
    "did",
    "just",
    "more",
    "most",
    "some",
    "any",
    "all",
    "one",
    "two",
    "very",
    "new",
    "like",
    "told",
    "according",
    "police",
    "officials",
    "official",
    "news",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "am",
    "pm",
    "mr",
    "mrs",
    "ms",
];

static STOPWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| STOP.iter().copied().collect());

/// One article as the clusterer sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Doc {
    /// Content words of the title.
    pub(crate) title: Bag,
    /// Content words of the body.
    pub(crate) body: Bag,
    /// Capitalised words and numbers of title and body: names, places, counts.
    pub(crate) entities: Bag,
    /// Full names of the body: two adjacent capitalised words ("Rahim Khan", "North Waziristan"),
    /// which tell one person or place from the many sharing either word.
    pub(crate) names: Bag,
    /// The names of `names` given with an age ("Rahim Khan, 22,"): people, in wire style.
    pub(crate) aged: Vec<Term>,
    /// The entity terms that are numbers.
    pub(crate) numbers: Vec<Term>,
    /// simhash of the body's word 3-shingles; `None` for a body too short to fingerprint.
    pub(crate) fingerprint: Option<u64>,
}

impl Doc {
    pub(crate) fn new(title: &str, body: &str) -> Self {
        let mut doc = Self::default();
        for word in words(title) {
            doc.add_word(word, false);
        }
        for word in words(body) {
            doc.add_word(word, true);
        }
        let (names, mut aged) = names(body);
        for name in names {
            *doc.names.entry(hash(name.as_bytes())).or_default() += 1.0;
        }
        aged.sort_unstable();
        aged.dedup();
        doc.aged = aged.iter().map(|n| hash(n.as_bytes())).collect();
        doc.numbers.sort_unstable();
        doc.numbers.dedup();
        doc.fingerprint = simhash(body);
        doc
    }

    fn add_word(&mut self, word: &str, in_body: bool) {
        let lower = word.to_lowercase();
        let digit = word.starts_with(|c: char| c.is_ascii_digit());
        if (lower.chars().count() < 2 && !digit) || STOPWORDS.contains(lower.as_str()) {
            return;
        }
        let term = hash(lower.as_bytes());
        let bag = if in_body { &mut self.body } else { &mut self.title };
        *bag.entry(term).or_default() += 1.0;
        if digit || word.starts_with(char::is_uppercase) {
            *self.entities.entry(term).or_default() += 1.0;
        }
        if digit {
            self.numbers.push(term);
        }
    }
}

/// The tokens a name is read from: words (a letter or digit, then letters, digits, apostrophes
/// and hyphens) and single marks of punctuation; links left out.
fn name_tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let mut rest = before_link(chunk);
        while let Some(c) = rest.chars().next() {
            let len = if c.is_alphanumeric() {
                rest.find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '\'' | '’' | '-')))
                    .unwrap_or(rest.len())
            } else {
                c.len_utf8()
            };
            // An underscore alone is neither a word nor a mark that names end on.
            if c != '_' {
                out.push(&rest[..len]);
            }
            rest = &rest[len..];
        }
    }
    out
}

/// A name word lowercased, without a possessive's `'s` or its trailing apostrophe.
fn name_word(token: &str) -> String {
    let lower = token.to_lowercase();
    let bare = lower.strip_suffix("'s").or_else(|| lower.strip_suffix("’s")).unwrap_or(&lower);
    bare.trim_end_matches(['\'', '’']).to_string()
}

/// The full names of a text: each two adjacent capitalised words that are not stop words, as a
/// lowercase pair ("Rahim J. Khan" gives "rahim khan": an initial is skipped; "Khan's Party"
/// gives nothing: a possessive ends a name). Second, the pairs given with an age, that is
/// followed by a comma and a number of one to three digits ("Rahim Khan, 22,").
pub(crate) fn names(text: &str) -> (Vec<String>, Vec<String>) {
    let tokens = name_tokens(text);
    let (mut names, mut aged) = (Vec::new(), Vec::new());
    let mut previous: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let mut chars = token.chars();
        let first = chars.next().unwrap_or(' ');
        let single = chars.next().is_none();
        if single && first.is_uppercase() && previous.is_some() && tokens.get(i + 1) == Some(&".") {
            i += 2;
            continue;
        }
        let capital = first.is_uppercase() && first.is_alphabetic();
        if capital && !single && !STOPWORDS.contains(token.to_lowercase().as_str()) {
            let word = name_word(token);
            if let Some(before) = &previous {
                let name = format!("{before} {word}");
                let age = tokens
                    .get(i + 2)
                    .is_some_and(|t| t.chars().count() <= 3 && t.chars().all(char::is_numeric));
                if tokens.get(i + 1) == Some(&",") && age {
                    aged.push(name.clone());
                }
                names.push(name);
            }
            let possessive = token.ends_with(['\'', '’']) || token.ends_with("'s") || token.ends_with("’s");
            previous = (!possessive).then_some(word);
        } else {
            previous = None;
        }
        i += 1;
    }
    (names, aged)
}

/// The words of `text`, links left out (a page's list of related addresses is not its content).
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .map(before_link)
        .flat_map(|chunk| chunk.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
}

/// The part of a whitespace-delimited chunk before a link in it ("Photo:https://…" gives
/// "Photo:"): a link runs to the next whitespace.
fn before_link(chunk: &str) -> &str {
    let bytes = chunk.as_bytes();
    // Looking closer only at an `h` or a `w` (ASCII, so a character boundary).
    let at = memchr::memchr2_iter(b'h', b'w', bytes).find(|&i| {
        let rest = &bytes[i..];
        rest.starts_with(b"http://") || rest.starts_with(b"https://") || rest.starts_with(b"www.")
    });
    &chunk[..at.unwrap_or(chunk.len())]
}

/// FNV-1a, 64 bits: stable across runs and platforms, so replays are reproducible.
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Spreads a shingle's combined hash over all 64 bits (splitmix64's finaliser).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Charikar's simhash over lowercase word 3-shingles: texts that share most shingles get
/// fingerprints a few bits apart.
pub(crate) fn simhash(body: &str) -> Option<u64> {
    let hashes: Vec<u64> = words(body).map(|w| hash(w.to_lowercase().as_bytes())).collect();
    if hashes.len() < MIN_FINGERPRINT_WORDS {
        return None;
    }
    let mut votes = [0i32; 64];
    for w in hashes.windows(3) {
        let h = mix(w[0] ^ w[1].rotate_left(21) ^ w[2].rotate_left(42));
        for (bit, vote) in votes.iter_mut().enumerate() {
            *vote += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    Some(votes.iter().enumerate().filter(|(_, v)| **v > 0).fold(0, |acc, (bit, _)| acc | 1 << bit))
}

/// The writing system most letters of `texts` are in (of their first 2,000): `latn`, `arab`,
/// `deva` or `other`.
#[must_use]
pub(crate) fn script(texts: &[&str]) -> &'static str {
    let (mut latin, mut arabic, mut devanagari, mut other) = (0u32, 0u32, 0u32, 0u32);
    for c in texts.iter().flat_map(|t| t.chars()).filter(|c| c.is_alphabetic()).take(2000) {
        match u32::from(c) {
            0..=0x024F => latin += 1,
            0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
                arabic += 1;
            }
            0x0900..=0x097F => devanagari += 1,
            _ => other += 1,
        }
    }
    let most = latin.max(arabic).max(devanagari).max(other);
    if most == 0 || most == latin {
        "latn"
    } else if most == arabic {
        "arab"
    } else if most == devanagari {
        "deva"
    } else {
        "other"
    }
}

/// A decimal digit of any script the lexicons cover, as its value: ASCII, Arabic-Indic,
/// Extended Arabic-Indic (Persian, Urdu) and Devanagari.
fn digit_value(c: char) -> Option<u32> {
    let n = u32::from(c);
    match n {
        0x30..=0x39 => Some(n - 0x30),
        0x0660..=0x0669 => Some(n - 0x0660),
        0x06F0..=0x06F9 => Some(n - 0x06F0),
        0x0966..=0x096F => Some(n - 0x0966),
        _ => None,
    }
}

/// The numbers of a text that can tell one event from another (casualty counts, ages): 2 to
/// 9,999, years (1900–2100) left out, digits of every script read alike, so "۱۲" in an Urdu
/// report and "12" in an English one are one number.
pub(crate) fn numbers(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.split(|c: char| digit_value(c).is_none()).filter_map(|run| {
        let mut value: u32 = 0;
        for c in run.chars() {
            value = value.checked_mul(10)?.checked_add(digit_value(c)?)?;
        }
        (!run.is_empty() && (2..10_000).contains(&value) && !(1900..=2100).contains(&value)).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::before_link;

    #[test]
    fn a_link_runs_from_where_it_starts_to_the_end_of_its_chunk() {
        let cases = [
            ("plain", "plain"),
            ("https://dawn.com/news/1", ""),
            ("Photo:https://dawn.com/x", "Photo:"),
            ("(http://a.pk)", "("),
            ("Awww.Nice", "A"),
            ("wheat", "wheat"),
            ("http:/half", "http:/half"),
            ("Kohat—www.x.pk", "Kohat—"),
        ];
        for (chunk, want) in cases {
            assert_eq!(before_link(chunk), want, "{chunk}");
        }
    }
}
