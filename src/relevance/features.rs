//! Article text → hashed, sublinear, L2-normalised feature vector (pure).
//!
//! Text is NFKC-normalised and lowercased, then split into words at every character that is not
//! a letter or a digit, so punctuation and markup characters never become features. The first
//! [`Hashing::max_words`] words of the title and of the body count (long documents cost the same
//! as short ones); of those, stop words, one-letter Latin words and HTML entity names are
//! dropped, and a word holding a digit is folded to its shape (each run of digits becomes `#`:
//! `1989` → `#`, `16s` → `#s`), so dates and counts never tell one source from another.
//!
//! Features, named as [`Feature::text`] shows them:
//!
//! | feature | example |
//! |---|---|
//! | body word | `troops` |
//! | body word pair (neighbours after dropping stop words) | `shelling border` |
//! | title word, its own namespace | `title:ceasefire` |
//!
//! Each feature is hashed with 64-bit FNV-1a (offset basis XOR the seed, then a namespace byte
//! 0 word / 1 pair / 2 title, then the UTF-8 bytes, pairs joined by one space), xor-folded to
//! [`Hashing::buckets_log2`] bits: `(h ^ (h >> bits)) & (2^bits − 1)`. The value of a bucket is
//! `ln(1 + count)` and the whole vector is scaled to unit length.

use std::borrow::Cow;
use std::ops::ControlFlow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// How text becomes a vector; stored in the model file so that training and inference agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hashing {
    /// The vector has `2^buckets_log2` buckets (1..=24); 18 keeps collisions rare at a 1 MiB
    /// model.
    pub buckets_log2: u32,
    /// Mixed into the hash's start state, so a retrained model can move its collisions.
    pub seed: u32,
    /// Words read from the title and from the body, each; beyond this a document is cut, which
    /// keeps inference speed flat and the vector about the lead rather than the tail.
    pub max_words: u32,
}

impl Default for Hashing {
    fn default() -> Self {
        Self { buckets_log2: 18, seed: 0, max_words: 2_000 }
    }
}

impl Hashing {
    /// Number of buckets, `2^buckets_log2`.
    #[must_use]
    pub fn dims(&self) -> usize {
        1 << self.buckets_log2
    }

    /// The bucket of `feature`.
    #[must_use]
    pub fn bucket(&self, feature: &Feature<'_>) -> u32 {
        let mut h = fnv1a(FNV_OFFSET ^ u64::from(self.seed), &[feature.kind as u8]);
        h = fnv1a(h, feature.first.as_bytes());
        if feature.kind == Kind::Pair {
            h = fnv1a(fnv1a(h, b" "), feature.second.as_bytes());
        }
        self.fold(h)
    }

    /// A 64-bit hash xor-folded to a bucket.
    fn fold(&self, h: u64) -> u32 {
        let folded = (h ^ (h >> self.buckets_log2)) & ((1 << self.buckets_log2) - 1);
        u32::try_from(folded).unwrap_or(0)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| fnv1a_step(h, b))
}

const fn fnv1a_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(FNV_PRIME)
}

/// A feature's namespace; the discriminant is the byte hashed before the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word = 0,
    Pair = 1,
    Title = 2,
}

/// One feature occurrence, borrowing its words from the normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature<'a> {
    pub kind: Kind,
    pub first: Cow<'a, str>,
    /// The pair's second word; empty for the other kinds.
    pub second: Cow<'a, str>,
}

impl Feature<'_> {
    /// The feature as a reader sees it: `troops`, `shelling border`, `title:ceasefire`.
    #[must_use]
    pub fn text(&self) -> String {
        match self.kind {
            Kind::Word => self.first.to_string(),
            Kind::Pair => format!("{} {}", self.first, self.second),
            Kind::Title => format!("title:{}", self.first),
        }
    }
}

/// A sparse vector: bucket indices, strictly increasing, and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

/// The feature vector of an article.
#[must_use]
pub fn vectorise(hashing: &Hashing, title: &str, body: &str) -> SparseVector {
    let mut buckets = Vec::with_capacity(body.len() / 3);
    for_each_bucket(hashing, title, body, |bucket| buckets.push(bucket));
    radix_sort(&mut buckets, hashing.buckets_log2);
    let mut vector = SparseVector::default();
    for run in buckets.chunk_by(|a, b| a == b) {
        vector.indices.push(run[0]);
        #[expect(clippy::cast_precision_loss, reason = "a word count is far below 2^23")]
        vector.values.push((run.len() as f32).ln_1p());
    }
    let norm = vector.values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.values.iter_mut().for_each(|v| *v /= norm);
    }
    vector
}

/// Sorts bucket numbers below `2^bits` by their bytes, least significant first: linear in their
/// count, where comparison sorts spent a tenth of inference.
fn radix_sort(keys: &mut Vec<u32>, bits: u32) {
    let mut spare = vec![0u32; keys.len()];
    for shift in (0..bits).step_by(8) {
        let mut starts = [0usize; 257];
        for &k in keys.iter() {
            starts[((k >> shift) & 0xff) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        for &k in keys.iter() {
            let digit = ((k >> shift) & 0xff) as usize;
            spare[starts[digit]] = k;
            starts[digit] += 1;
        }
        std::mem::swap(keys, &mut spare);
    }
}

/// Calls `emit` with the bucket of every feature occurrence, in the order of
/// [`for_each_feature`]: the same buckets as [`Hashing::bucket`] of each feature, without
/// building one. Each body word's bytes are read once for three hashes: the word's, the pair it
/// ends, and the start of the pair it begins.
fn for_each_bucket(hashing: &Hashing, title: &str, body: &str, mut emit: impl FnMut(u32)) {
    let start = |kind: Kind| fnv1a(FNV_OFFSET ^ u64::from(hashing.seed), &[kind as u8]);
    let (word_start, pair_start, title_start) = (start(Kind::Word), start(Kind::Pair), start(Kind::Title));
    let mut text = String::new();
    normalise_into(title, &mut text);
    for word in words(&text, hashing.max_words) {
        emit(hashing.fold(fnv1a(title_start, word.as_bytes())));
    }
    normalise_body(body, hashing.max_words, &mut text);
    // The hash of `"previous word "` in the pair namespace, once a word has been read.
    let mut open_pair: Option<u64> = None;
    for word in words(&text, hashing.max_words) {
        let (mut alone, mut pair, mut next) = (word_start, open_pair.unwrap_or_default(), pair_start);
        for &b in word.as_bytes() {
            alone = fnv1a_step(alone, b);
            pair = fnv1a_step(pair, b);
            next = fnv1a_step(next, b);
        }
        if open_pair.is_some() {
            emit(hashing.fold(pair));
        }
        emit(hashing.fold(alone));
        open_pair = Some(fnv1a_step(next, b' '));
    }
}

/// Calls `emit` with every feature occurrence of the article, title first, in text order,
/// until `emit` breaks.
pub fn for_each_feature(
    max_words: u32,
    title: &str,
    body: &str,
    mut emit: impl FnMut(Feature<'_>) -> ControlFlow<()>,
) {
    let mut text = String::new();
    normalise_into(title, &mut text);
    for word in words(&text, max_words) {
        if emit(Feature { kind: Kind::Title, first: word, second: Cow::Borrowed("") }).is_break() {
            return;
        }
    }
    normalise_body(body, max_words, &mut text);
    let mut previous: Option<Cow<'_, str>> = None;
    for word in words(&text, max_words) {
        if let Some(prev) = previous.take()
            && emit(Feature { kind: Kind::Pair, first: prev, second: word.clone() }).is_break()
        {
            return;
        }
        if emit(Feature { kind: Kind::Word, first: word.clone(), second: Cow::Borrowed("") }).is_break() {
            return;
        }
        previous = Some(word);
    }
}

/// Bytes of body normalised first per word read: a long page is read only as far as its first
/// `max_words` words, which rarely average more than a few bytes each.
const BYTES_PER_WORD: usize = 24;

/// [`normalise_into`] of as much of `body` as its first `max_words` words need: a prefix when it
/// holds more words than that (so the last one read is whole), else all of it. The features are
/// the same as normalising all of it.
fn normalise_body(body: &str, max_words: u32, out: &mut String) {
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
fn normalise_into(text: &str, out: &mut String) {
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
fn words(text: &str, max_words: u32) -> impl Iterator<Item = Cow<'_, str>> {
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

    fn texts(title: &str, body: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_feature(2_000, title, body, |f| {
            out.push(f.text());
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn radix_sort_sorts() {
        for bits in [1, 8, 9, 18, 24] {
            let mask = (1u32 << bits) - 1;
            let mut keys: Vec<u32> =
                (0..5_000u32).map(|i| i.wrapping_mul(2_654_435_761).rotate_left(7) & mask).collect();
            let mut want = keys.clone();
            want.sort_unstable();
            radix_sort(&mut keys, bits);
            assert_eq!(keys, want, "{bits} bits");
        }
    }

    #[test]
    fn buckets_straight_from_text_are_those_of_the_features() {
        let cases = [
            ("Troops shelled the border", "In 1989, F-16s flew over Kabul; the army's 3rd corps moved."),
            ("", "ＡＲＭＹ  Ｋｉｌｌｅｄ ÉTAT D'URGENCE ٣٤ soldiers, २०२५ में हमला"),
            ("Ceasefire", "a b c the of x"),
            ("", ""),
            ("Title only", ""),
        ];
        for seed in [0, 7] {
            let h = Hashing { seed, max_words: 12, ..Hashing::default() };
            for (title, body) in cases {
                let mut fast = Vec::new();
                for_each_bucket(&h, title, body, |b| fast.push(b));
                let mut slow = Vec::new();
                for_each_feature(h.max_words, title, body, |f| {
                    slow.push(h.bucket(&f));
                    ControlFlow::Continue(())
                });
                assert_eq!(fast, slow, "seed {seed} title {title:?} body {body:?}");
            }
        }
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

    #[test]
    fn features_of_small_articles() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "",
                "Troops shelled the border.",
                &["troops", "troops shelled", "shelled", "shelled border", "border"],
            ),
            ("Ceasefire holds", "", &["title:ceasefire", "title:holds"]),
            ("", "In 1989, F-16s flew", &["#", "# #s", "#s", "#s flew", "flew"]),
            ("", "&nbsp;<b>Army</b> &amp; police", &["army", "army police", "police"]),
            ("", "ＡＲＭＹ  Ｋｉｌｌｅｄ", &["army", "army killed", "killed"]),
            ("", "don't", &["don"]),
            ("", "ÉTAT D'URGENCE", &["état", "état urgence", "urgence"]),
            ("", "...!!! --- ", &[]),
        ];
        for (title, body, want) in cases {
            assert_eq!(texts(title, body), *want, "title {title:?} body {body:?}");
        }
    }

    #[test]
    fn case_and_punctuation_do_not_change_the_vector() {
        let h = Hashing::default();
        let bbc = vectorise(&h, "", "rebels attacked the town  killing 12 soldiers");
        let wire = vectorise(&h, "", "REBELS ATTACKED THE TOWN, KILLING 12 SOLDIERS.");
        assert_eq!(bbc, wire);
    }

    #[test]
    fn long_documents_are_cut_at_max_words() {
        let h = Hashing { max_words: 3, ..Hashing::default() };
        let cut = vectorise(&h, "", "army police border football football football");
        assert_eq!(cut, vectorise(&h, "", "army police border"));
    }

    #[test]
    fn vector_is_sublinear_and_unit_length() {
        let v = vectorise(&Hashing::default(), "", "war war war war peace");
        let norm: f32 = v.values.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(v.indices.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(v.indices.len(), 4, "war, peace, `war war`, `war peace`");
        let (most, least) =
            (v.values.iter().copied().fold(0.0, f32::max), v.values.iter().copied().fold(1.0, f32::min));
        assert!((most / least - 5f32.ln() / 2f32.ln()).abs() < 1e-4, "ln(1+4) against ln(1+1)");
    }

    #[test]
    fn hash_is_fixed() {
        // Pins the hash: a change here silently invalidates every shipped model.
        let h = Hashing::default();
        let word = |w: &'static str| Feature { kind: Kind::Word, first: w.into(), second: "".into() };
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c, "the published FNV-1a 64 value");
        let buckets: Vec<u32> = ["troops", "football"].map(|w| h.bucket(&word(w))).to_vec();
        assert_eq!(buckets, [27_157, 83_752]);
        let seeded = Hashing { seed: 7, ..h };
        assert_ne!(seeded.bucket(&word("troops")), h.bucket(&word("troops")));
    }
}
