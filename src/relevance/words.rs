//! The words of article text, as the relevance model reads them (pure): NFKC-normalised,
//! lowercased, split at every character that is not a letter or a digit; stop words and
//! one-letter Latin words dropped, digits folded to their shape.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Bytes of body normalised first per word read: a long page is read only as far as its first
/// `max_words` words, which rarely average more than a few bytes each.
const BYTES_PER_WORD: usize = 24;

/// [`normalise_into`] of as much of `body` as its first `max_words` words need: a prefix when it
/// holds more words than that (so the last one read is whole), else all of it. The features are
/// the same as normalising all of it.
pub(super) fn normalise_body(body: &str, max_words: u32, out: &mut String) {
    let limit = usize::try_from(max_words).unwrap_or(usize::MAX).saturating_mul(BYTES_PER_WORD);
    if body.len() > limit {
        let mut cut = limit;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        normalise_into(&body[..cut], out);
        let tokens =
            Tokens { text: out, at: 0 }.take(usize::try_from(max_words).unwrap_or(usize::MAX) + 1).count();
        if tokens > usize::try_from(max_words).unwrap_or(usize::MAX) {
            return;
        }
    }
    normalise_into(body, out);
}

/// NFKC and lowercase into `out`; runs of ASCII, most of any English text, skip the Unicode
/// tables.
pub(super) fn normalise_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
        return;
    }
    let owned;
    let mut rest = if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        text
    } else {
        owned = text.nfkc().collect::<String>();
        owned.as_str()
    };
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| !b.is_ascii()).unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        if let Some(c) = rest.chars().next() {
            out.extend(c.to_lowercase());
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// The kept words among the first `max_words` words of normalised `text`.
pub(super) fn words(text: &str, max_words: u32) -> impl Iterator<Item = Cow<'_, str>> {
    Tokens { text, at: 0 }.take(usize::try_from(max_words).unwrap_or(usize::MAX)).filter_map(keep)
}

/// A word of the text: a maximal run of letters and digits.
#[derive(Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    ascii: bool,
    /// Holds a digit of any script.
    numeric: bool,
}

/// The words of a text, split at every character that is not a letter or a digit; ASCII, most
/// of any English text, is read a byte at a time.
struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        // Up to the word's first character.
        loop {
            match bytes.get(i) {
                None => {
                    self.at = i;
                    return None;
                }
                Some(b) if b.is_ascii_alphanumeric() => break,
                Some(b) if b.is_ascii() => i += 1,
                Some(_) => match self.char_at(i) {
                    c if c.is_alphanumeric() => break,
                    c => i += c.len_utf8(),
                },
            }
        }
        let (start, mut ascii, mut numeric) = (i, true, false);
        // Up to the character after its last.
        let mut after = 0;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_alphanumeric() {
                numeric |= b.is_ascii_digit();
                i += 1;
            } else if b.is_ascii() {
                after = 1;
                break;
            } else {
                let c = self.char_at(i);
                if !c.is_alphanumeric() {
                    after = c.len_utf8();
                    break;
                }
                ascii = false;
                numeric |= c.is_numeric();
                i += c.len_utf8();
            }
        }
        self.at = i + after;
        Some(Token { text: &self.text[start..i], ascii, numeric })
    }
}

impl Tokens<'_> {
    /// The character starting at byte `i`, a character boundary.
    fn char_at(&self, i: usize) -> char {
        self.text[i..].chars().next().unwrap_or_default()
    }
}

/// The word as a feature, or `None` for a word that says nothing about the topic.
fn keep(token: Token<'_>) -> Option<Cow<'_, str>> {
    let word = token.text;
    if token.numeric {
        return Some(shape(word));
    }
    let one_latin_letter = word.len() == 1;
    if one_latin_letter || (token.ascii && is_stop_word(word)) {
        return None;
    }
    Some(Cow::Borrowed(word))
}

/// Whether `word` is in [`STOP_WORDS`]: the word packed into an integer (every stop word has at
/// most eight bytes) and looked up in an open-addressing table, so the search compares numbers,
/// not strings.
fn is_stop_word(word: &str) -> bool {
    if word.len() > 8 {
        return false;
    }
    let key = pack(word.as_bytes());
    let mut slot = slot_of(key);
    loop {
        match STOP_TABLE[slot] {
            0 => return false,
            k if k == key => return true,
            _ => slot = (slot + 1) % STOP_TABLE.len(),
        }
    }
}

const fn pack(bytes: &[u8]) -> u64 {
    let mut key = 0u64;
    let mut i = 0;
    while i < bytes.len() && i < 8 {
        key |= (bytes[i] as u64) << (56 - 8 * i);
        i += 1;
    }
    key
}

/// The home slot of a packed word in [`STOP_TABLE`] (Fibonacci hashing to 8 bits).
const fn slot_of(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

/// [`STOP_WORDS`] packed, by linear probing into 256 slots (a quarter full, so a miss ends at
/// an empty slot within a probe or two); 0 marks an empty slot, which no word packs to.
const STOP_TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let key = pack(STOP_WORDS[i].as_bytes());
        let mut slot = slot_of(key);
        while table[slot] != 0 {
            slot = (slot + 1) % 256;
        }
        table[slot] = key;
        i += 1;
    }
    table
};

/// `word` with each run of digits folded to `#`.
fn shape(word: &str) -> Cow<'_, str> {
    if word.chars().all(char::is_numeric) {
        return Cow::Borrowed("#");
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !c.is_numeric() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    Cow::Owned(out)
}

/// Function words (they carry a source's style more than a topic) and the names of HTML
/// entities that leak from markup (`&nbsp;` → `nbsp`). Sorted, each of at most eight bytes.
const STOP_WORDS: &[&str] = &[
    "about", "after", "also", "am", "amp", "an", "and", "apos", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "did", "do", "does", "for", "from", "gt", "had", "has", "have", "he", "her", "his", "i",
    "if", "in", "into", "is", "it", "its", "lt", "me", "my", "nbsp", "of", "on", "or", "our", "quot", "she",
    "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
    "us", "was", "we", "were", "which", "who", "will", "with", "would", "you", "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_read_only_as_far_as_its_words_need_with_the_same_features() {
        let words: Vec<String> = (0..6000).map(|i| format!("Wörd{} Troops", i % 97)).collect();
        let body = words.join(" ");
        assert!(body.len() > 2000 * BYTES_PER_WORD, "long enough to be cut");
        let mut whole = String::new();
        normalise_into(&body, &mut whole);
        let mut cut = String::new();
        normalise_body(&body, 2000, &mut cut);
        assert!(cut.len() < whole.len(), "only a prefix is normalised");
        let first = |text: &str| words_of(text, 2000);
        assert_eq!(first(&cut), first(&whole));
        // A body of few long words is normalised whole.
        let long_words = "x".repeat(100_000);
        normalise_body(&long_words, 2000, &mut cut);
        assert_eq!(cut.len(), 100_000);
    }

    fn words_of(text: &str, max: u32) -> Vec<String> {
        words(text, max).map(Cow::into_owned).collect()
    }

    #[test]
    fn stop_words_are_found_and_only_they() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1] && w[1].len() <= 8));
        assert_eq!(STOP_TABLE.iter().filter(|&&k| k != 0).count(), STOP_WORDS.len());
        assert!(STOP_WORDS.iter().all(|w| is_stop_word(w)));
        let cases = [
            ("the", true),
            ("them", true),
            ("th", false),
            ("theatre", false),
            ("troops", false),
            ("", false),
        ];
        for (word, stop) in cases {
            assert_eq!(is_stop_word(word), stop, "{word}");
        }
    }
}
