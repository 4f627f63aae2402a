//! Online document frequencies, one table per representation: each article updates them as
//! it arrives (nothing is fitted on a whole file), and they halve every `idf_half_life` of the
//! clock so memory follows the recent vocabulary, not all history. Pure.

use super::text::{Bag, Doc, Term, TermMap};

/// The three representations, in the order of [`Doc`]'s bags.
pub(crate) const FIELDS: usize = 3;

/// Document frequencies of one representation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frequencies {
    /// Articles seen (decayed).
    docs: f32,
    /// Articles each term occurred in (decayed).
    df: TermMap<f32>,
}

impl Frequencies {
    fn observe(&mut self, bag: &Bag) {
        self.docs += 1.0;
        for term in bag.keys() {
            *self.df.entry(*term).or_default() += 1.0;
        }
    }

    fn halve(&mut self) {
        self.docs *= 0.5;
        self.df.retain(|_, n| {
            *n *= 0.5;
            *n >= 0.5
        });
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

/// The frequencies of title, body and entities, with their halving clock.
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

    /// Counts `doc` as seen at `now` (seconds).
    pub(crate) fn observe(&mut self, doc: &Doc, now: i64) {
        let next = *self.next_halving.get_or_insert(now + self.half_life);
        if now >= next {
            for f in &mut self.fields {
                f.halve();
            }
            self.next_halving = Some(now + self.half_life);
        }
        for (f, bag) in self.fields.iter_mut().zip(doc.bags()) {
            f.observe(bag);
        }
    }
}

impl Doc {
    pub(crate) fn bags(&self) -> [&Bag; FIELDS] {
        [&self.title, &self.body, &self.entities]
    }
}

/// `bag` weighted `(1 + ln tf) · idf` and scaled to unit length.
pub(crate) fn weigh(bag: &Bag, freq: &Frequencies) -> TermMap<f32> {
    let mut v: TermMap<f32> = bag.iter().map(|(t, n)| (*t, (1.0 + n.ln()) * freq.idf(*t))).collect();
    let norm = v.values().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v.values_mut() {
            *x /= norm;
        }
    }
    v
}

/// Cosine of two unit vectors.
pub(crate) fn cosine(a: &TermMap<f32>, b: &TermMap<f32>) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.iter().filter_map(|(t, x)| large.get(t).map(|y| x * y)).sum()
}
