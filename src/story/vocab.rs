//! Online document frequencies, one table per representation: each article updates them as
//! it arrives (nothing is fitted on a whole file), and they halve every `idf_half_life` of the
//! clock so the counts follow the recent vocabulary. A table that outgrows [`MAX_TERMS`]
//! halves early: most of a vocabulary is names and numbers seen once, and at tens of thousands
//! of articles a day a year of them would be most of the daemon's memory. Pure.

use std::hash::BuildHasherDefault;

use super::sparse::{Sparse, shared};
use super::text::{Bag, Doc, Term, TermMap};

/// The representations, in the order of [`Doc`]'s bags: title, body, entities, full names.
pub(crate) const FIELDS: usize = 4;

/// Most terms one representation's table holds; past it the table halves, which drops the
/// terms seen in fewer than two (decayed) articles. Each table is made this large at the start
/// (about 1.7 MB), so its memory is taken at once and never grows: a daemon's memory is flat
/// from its first hour, not only once a year of names has filled the tables. The development
/// sets hold at most 22,000 terms a representation.
pub(crate) const MAX_TERMS: usize = 1 << 16;

/// Document frequencies of one representation.
#[derive(Debug, Clone)]
pub(crate) struct Frequencies {
    /// Articles seen (decayed).
    docs: f32,
    /// Articles each term occurred in (decayed).
    df: TermMap<f32>,
}

impl Default for Frequencies {
    fn default() -> Self {
        Self { docs: 0.0, df: TermMap::with_capacity_and_hasher(MAX_TERMS, BuildHasherDefault::default()) }
    }
}

impl Frequencies {
    /// Counts `bag`; returns how many times the table halved to stay within [`MAX_TERMS`].
    fn observe(&mut self, bag: &Bag) -> u32 {
        self.docs += 1.0;
        for term in bag.keys() {
            *self.df.entry(*term).or_default() += 1.0;
        }
        let mut halvings = 0;
        while self.df.len() > MAX_TERMS {
            self.halve();
            halvings += 1;
        }
        halvings
    }

    /// Halves every count and drops the terms under half an article, into a fresh table of the
    /// same size: removing in place would leave tombstones that make the table grow later.
    fn halve(&mut self) {
        self.docs *= 0.5;
        let mut kept = TermMap::with_capacity_and_hasher(MAX_TERMS, BuildHasherDefault::default());
        kept.extend(self.df.drain().map(|(t, n)| (t, n * 0.5)).filter(|(_, n)| *n >= 0.5));
        self.df = kept;
    }

    /// Smoothed inverse document frequency: `ln((N + 1) / (df + 1)) + 1`.
    pub(crate) fn idf(&self, term: Term) -> f32 {
        ((self.docs + 1.0) / (self.df.get(&term).copied().unwrap_or(0.0) + 1.0)).ln() + 1.0
    }

    pub(crate) fn df(&self, term: Term) -> f32 {
        self.df.get(&term).copied().unwrap_or(0.0)
    }

    pub(crate) fn docs(&self) -> f32 {
        self.docs
    }
}

/// The frequencies of title, body, entities and names, with their halving clock.
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    pub(crate) fields: [Frequencies; FIELDS],
    half_life: i64,
    next_halving: Option<i64>,
}

impl Vocabulary {
    pub(crate) fn new(half_life_secs: i64) -> Self {
        Self { fields: Default::default(), half_life: half_life_secs.max(1), next_halving: None }
    }

    /// Counts `doc` as seen at `now` (seconds); returns the factor each table's counts were
    /// scaled by (1 unless it halved), so that counts kept elsewhere in the same units (a
    /// story's documents carrying a name) can follow.
    pub(crate) fn observe(&mut self, doc: &Doc, now: i64) -> [f32; FIELDS] {
        let next = *self.next_halving.get_or_insert(now + self.half_life);
        let mut halvings = [0; FIELDS];
        if now >= next {
            for f in &mut self.fields {
                f.halve();
            }
            halvings = [1; FIELDS];
            self.next_halving = Some(now + self.half_life);
        }
        for ((f, bag), h) in self.fields.iter_mut().zip(doc.bags()).zip(&mut halvings) {
            *h += f.observe(bag);
        }
        halvings.map(|h| 0.5_f32.powi(i32::try_from(h).unwrap_or(i32::MAX)))
    }
}

impl Doc {
    pub(crate) fn bags(&self) -> [&Bag; FIELDS] {
        [&self.title, &self.body, &self.entities, &self.names]
    }
}

/// `bag` weighted `(1 + ln tf) · idf` and scaled to unit length, with the IDF of each of its
/// terms in their order (what [`weighed_dot`] takes).
pub(crate) fn weigh(bag: &Sparse, freq: &Frequencies) -> (Sparse, Vec<f32>) {
    let idfs: Vec<f32> = bag.terms().iter().map(|t| freq.idf(*t)).collect();
    let mut v: Sparse = bag.iter().zip(&idfs).map(|((t, n), idf)| (t, (1.0 + n.ln()) * idf)).collect();
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.scale(norm.recip());
    }
    (v, idfs)
}

/// The length of `bag` weighed, never zero (an empty bag's cosine is zero either way).
pub(crate) fn norm(bag: &Sparse, freq: &Frequencies) -> f32 {
    bag.iter().map(|(t, n)| ((1.0 + n.ln()) * freq.idf(t)).powi(2)).sum::<f32>().sqrt().max(f32::MIN_POSITIVE)
}

/// The dot product of a unit `vector` with `bag` weighed, given the IDF of each of `vector`'s
/// terms in its order (`idfs`); over `bag`'s weighed length it is their cosine, without
/// weighing the terms they do not share.
pub(crate) fn weighed_dot(vector: &Sparse, idfs: &[f32], bag: &Sparse) -> f32 {
    let (x, counts) = (vector.values(), bag.values());
    shared(vector, bag).map(|(i, j)| x[i] * (1.0 + counts[j].ln()) * idfs[i]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(terms: impl IntoIterator<Item = Term>) -> Bag {
        terms.into_iter().map(|t| (t, 1.0)).collect()
    }

    #[test]
    fn a_vocabulary_of_names_seen_once_stays_bounded_and_common_terms_keep_their_weight() {
        let mut f = Frequencies::default();
        let capacity = f.df.capacity();
        assert!(capacity >= MAX_TERMS);
        let common = 0;
        for doc in 0..200_000_u64 {
            // Every article: one common term and three names never seen again.
            f.observe(&bag([common, 1 + doc * 3, 2 + doc * 3, 3 + doc * 3]));
            assert!(f.df.len() <= MAX_TERMS, "{} terms after {doc} articles", f.df.len());
            assert_eq!(f.df.capacity(), capacity, "the table never grows");
        }
        // The common term stays in every article's count: its IDF is the least there is.
        assert!((f.idf(common) - 1.0).abs() < 0.01, "{}", f.idf(common));
        assert!(f.idf(1 + 199_999 * 3) > 5.0, "a recent name stays rare: {}", f.idf(1 + 199_999 * 3));
        assert!(f.idf(u64::MAX) >= f.idf(1 + 199_999 * 3), "an unseen term is the rarest");
    }

    #[test]
    #[expect(clippy::float_cmp, reason = "halves of small whole counts are exact")]
    fn time_halves_every_table_and_forgets_what_is_no_longer_seen() {
        let mut v = Vocabulary::new(100);
        let doc = |t: Term| Doc {
            title: bag([t]),
            body: bag([t]),
            entities: bag([t]),
            names: bag([t]),
            ..Doc::default()
        };
        assert_eq!(v.observe(&doc(7), 0), [1.0; FIELDS]);
        v.observe(&doc(8), 50);
        assert_eq!(v.fields[0].df(7), 1.0);
        assert_eq!(v.observe(&doc(8), 100), [0.5; FIELDS], "halved: the counts kept elsewhere follow");
        for f in &v.fields {
            assert_eq!((f.df(7), f.df(8), f.docs()), (0.5, 1.5, 2.0));
        }
        v.observe(&doc(8), 200);
        assert_eq!(v.fields[1].df(7), 0.0, "under half an article: forgotten");
    }
}
