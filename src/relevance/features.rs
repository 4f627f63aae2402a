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

use super::words::{normalise_body, normalise_into, words};

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

#[cfg(test)]
mod tests {
    use super::*;

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
