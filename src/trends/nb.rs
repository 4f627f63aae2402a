//! Negative-binomial tails: the count a day must reach to be improbable under its baseline.
//!
//! A negative binomial of mean `m` and variance `v > m` has size `r = m² / (v − m)`; with
//! `v ≤ m` it is taken as the Poisson of mean `m`, its limit. Probabilities are summed from the
//! bottom with the ratio `P(k) / P(k−1) = (k − 1 + r) / k · m / (r + m)` (Poisson: `m / k`), so
//! no gamma function is needed; the counts tested are small (hundreds at most).

/// The most terms summed: far beyond any daily count of one pair.
const MAX_COUNT: u32 = 100_000;

/// `P(X = 0)`, `P(X = 1)`, … for `X` of a given mean and variance.
struct Probabilities {
    next: f64,
    k: f64,
    mean: f64,
    /// The negative binomial's size; `None` for the Poisson.
    size: Option<f64>,
}

impl Probabilities {
    fn new(mean: f64, var: f64) -> Self {
        if var <= mean * (1.0 + 1e-9) {
            return Self { next: (-mean).exp(), k: 0.0, mean, size: None };
        }
        let r = mean * mean / (var - mean);
        // (r / (r + m))^r through ln_1p, so a large r (near-Poisson) keeps its precision.
        Self { next: (-r * (mean / r).ln_1p()).exp(), k: 0.0, mean, size: Some(r) }
    }
}

impl Iterator for Probabilities {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let p = self.next;
        self.k += 1.0;
        self.next *= match self.size {
            None => self.mean / self.k,
            Some(r) => (self.k - 1.0 + r) / self.k * self.mean / (r + self.mean),
        };
        Some(p)
    }
}

/// The least count `c` with `P(X ≥ c) ≤ alpha` for `X` of mean `mean` and variance `var`.
#[must_use]
pub fn upper(mean: f64, var: f64, alpha: f64) -> u32 {
    if mean <= 0.0 {
        return 1;
    }
    let mut below = 0.0;
    for (c, p) in (0..MAX_COUNT).zip(Probabilities::new(mean, var)) {
        if 1.0 - below <= alpha {
            return c;
        }
        below += p;
    }
    MAX_COUNT
}

/// `P(X ≥ c)` for `X` of mean `mean` and variance `var` (as [`upper`] takes them).
#[must_use]
pub fn tail(c: u32, mean: f64, var: f64) -> f64 {
    if mean <= 0.0 {
        return if c == 0 { 1.0 } else { 0.0 };
    }
    let below: f64 = Probabilities::new(mean, var).take(c as usize).sum();
    (1.0 - below).max(0.0)
}
