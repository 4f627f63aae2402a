//! Sparse term vectors kept for as long as a story is in the window: terms in ascending order
//! beside their values, 12 bytes a term where a hash map takes about 26. Two of them are
//! compared by walking both in order, and an article's bag is added by merging. Pure.

use super::text::{Term, TermMap};

/// Terms in ascending order, each with a value (an occurrence count or a weight).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sparse {
    terms: Vec<Term>,
    values: Vec<f32>,
}

impl Sparse {
    /// The pairs of `map`, sorted by term.
    pub(crate) fn from_map(map: &TermMap<f32>) -> Self {
        let mut pairs: Vec<(Term, f32)> = map.iter().map(|(t, v)| (*t, *v)).collect();
        pairs.sort_unstable_by_key(|p| p.0);
        pairs.into_iter().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.terms.len()
    }

    pub(crate) fn terms(&self) -> &[Term] {
        &self.terms
    }

    pub(crate) fn values(&self) -> &[f32] {
        &self.values
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (Term, f32)> + '_ {
        self.terms.iter().copied().zip(self.values.iter().copied())
    }

    pub(crate) fn contains(&self, term: Term) -> bool {
        self.terms.binary_search(&term).is_ok()
    }

    /// The value of `term`, if held.
    pub(crate) fn get(&self, term: Term) -> Option<f32> {
        self.terms.binary_search(&term).ok().map(|i| self.values[i])
    }

    /// Scales every value by `factor`.
    pub(crate) fn scale(&mut self, factor: f32) {
        for v in &mut self.values {
            *v *= factor;
        }
    }

    /// Adds `bag`'s values term by term; calls `new_term` for each term not held before.
    pub(crate) fn add(&mut self, bag: &TermMap<f32>, mut new_term: impl FnMut(Term)) {
        let incoming = Self::from_map(bag);
        let mut terms = Vec::with_capacity(self.len() + incoming.len());
        let mut values = Vec::with_capacity(self.len() + incoming.len());
        let (mut i, mut j) = (0, 0);
        while i < self.len() || j < incoming.len() {
            let mine = self.terms.get(i);
            let theirs = incoming.terms.get(j);
            match (mine, theirs) {
                (Some(a), Some(b)) if a == b => {
                    terms.push(*a);
                    values.push(self.values[i] + incoming.values[j]);
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    terms.push(*a);
                    values.push(self.values[i]);
                    i += 1;
                }
                (Some(a), None) => {
                    terms.push(*a);
                    values.push(self.values[i]);
                    i += 1;
                }
                (_, Some(b)) => {
                    new_term(*b);
                    terms.push(*b);
                    values.push(incoming.values[j]);
                    j += 1;
                }
                (None, None) => unreachable!("the loop runs while one side has terms"),
            }
        }
        terms.shrink_to_fit();
        values.shrink_to_fit();
        self.terms = terms;
        self.values = values;
    }

    /// Keeps the `n` largest values (ties to the smaller term), in term order.
    pub(crate) fn keep_largest(&mut self, n: usize) {
        if self.len() <= n {
            return;
        }
        let mut pairs: Vec<(Term, f32)> = self.iter().collect();
        pairs.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        pairs.truncate(n);
        pairs.sort_unstable_by_key(|p| p.0);
        *self = pairs.into_iter().collect();
    }
}

impl FromIterator<(Term, f32)> for Sparse {
    /// Pairs already in ascending term order.
    fn from_iter<I: IntoIterator<Item = (Term, f32)>>(pairs: I) -> Self {
        let (terms, values): (Vec<Term>, Vec<f32>) = pairs.into_iter().unzip();
        debug_assert!(terms.windows(2).all(|w| w[0] < w[1]), "terms in ascending order");
        Self { terms, values }
    }
}

/// The positions in `a` and in `b` of the terms both hold, in term order: one walk through
/// the two.
pub(crate) fn shared<'a>(a: &'a Sparse, b: &'a Sparse) -> impl Iterator<Item = (usize, usize)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.terms.len() && j < b.terms.len() {
            match a.terms[i].cmp(&b.terms[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let pair = (i, j);
                    i += 1;
                    j += 1;
                    return Some(pair);
                }
            }
        }
        None
    })
}

/// Dot product of `a` and `b`: their cosine when both are of unit length.
pub(crate) fn dot(a: &Sparse, b: &Sparse) -> f32 {
    shared(a, b).map(|(i, j)| a.values[i] * b.values[j]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = &'static [(Term, f32)];

    fn map(pairs: &[(Term, f32)]) -> TermMap<f32> {
        pairs.iter().copied().collect()
    }

    fn sparse(pairs: &[(Term, f32)]) -> Sparse {
        Sparse::from_map(&map(pairs))
    }

    #[test]
    fn adding_a_bag_merges_counts_and_names_the_new_terms() {
        let cases: &[(Pairs, Pairs, Pairs, &[Term])] = &[
            (&[], &[(5, 1.0), (2, 2.0)], &[(2, 2.0), (5, 1.0)], &[2, 5]),
            (&[(2, 1.0), (9, 1.0)], &[], &[(2, 1.0), (9, 1.0)], &[]),
            (
                &[(2, 1.0), (9, 1.0)],
                &[(9, 2.0), (1, 1.0), (5, 1.0)],
                &[(1, 1.0), (2, 1.0), (5, 1.0), (9, 3.0)],
                &[1, 5],
            ),
            (&[(1, 1.0)], &[(u64::MAX, 1.0)], &[(1, 1.0), (u64::MAX, 1.0)], &[u64::MAX]),
        ];
        for (held, bag, want, new) in cases {
            let mut s = sparse(held);
            let mut added = Vec::new();
            s.add(&map(bag), |t| added.push(t));
            assert_eq!(s.iter().collect::<Vec<_>>(), want.to_vec(), "{held:?} + {bag:?}");
            assert_eq!(added, new.to_vec(), "{held:?} + {bag:?}");
        }
    }

    #[test]
    fn the_dot_product_counts_shared_terms_only() {
        let cases: &[(Pairs, Pairs, f32)] = &[
            (&[], &[(1, 1.0)], 0.0),
            (&[(1, 0.6), (2, 0.8)], &[(1, 0.6), (2, 0.8)], 1.0),
            (&[(1, 1.0)], &[(2, 1.0)], 0.0),
            (&[(1, 0.5), (3, 0.5), (7, 2.0)], &[(3, 4.0), (7, 0.25), (8, 9.0)], 2.5),
        ];
        for (a, b, want) in cases {
            let got = dot(&sparse(a), &sparse(b));
            assert!((got - want).abs() < 1e-6, "{a:?} · {b:?} = {got}");
            assert!((dot(&sparse(b), &sparse(a)) - got).abs() < 1e-6, "symmetric");
        }
    }

    #[test]
    fn the_largest_values_are_kept_in_term_order() {
        let mut s = sparse(&[(1, 1.0), (2, 5.0), (3, 2.0), (4, 5.0), (5, 0.5)]);
        s.keep_largest(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![(2, 5.0), (3, 2.0), (4, 5.0)]);
        assert!(s.contains(3) && !s.contains(1));
        assert_eq!((s.get(4), s.get(1)), (Some(5.0), None));
        s.keep_largest(10);
        assert_eq!(s.len(), 3, "fewer than n: unchanged");
    }
}
